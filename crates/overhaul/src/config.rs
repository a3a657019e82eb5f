//! The configuration file, `overhaul.toml`.
//!
//! Every command-line option that has an `OVERHAUL_*` environment variable can also be set in the
//! file, under the variable's name without the prefix, in lower case: `OVERHAUL_DATABASE_URL` is
//! `database_url`, `OVERHAUL_LISTEN` is `listen`. A value given on the command line wins over the
//! environment, which wins over the file, which wins over the built-in default. The file is
//! `--config FILE` or `OVERHAUL_CONFIG`, else `overhaul.toml` in the current directory when
//! there is one. Unknown settings are refused (a misspelt key must not be silently ignored).
//! Besides the options, `log` and `log_format` stand for `OVERHAUL_LOG` and
//! `OVERHAUL_LOG_FORMAT`. Values are never printed: the file may hold a database password.

use anyhow::{Context, Result, bail};
use clap::{Arg, Command};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const PREFIX: &str = "OVERHAUL_";
/// Settings that are not command-line options.
const EXTRA: [&str; 2] = ["log", "log_format"];

/// Settings read from the file, by key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settings {
    pub path: Option<PathBuf>,
    values: BTreeMap<String, String>,
}

impl Settings {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Which file to read: `--config FILE` / `--config=FILE` among the arguments, else
/// `OVERHAUL_CONFIG`, else `./overhaul.toml` if it exists. `Err` when a named file is missing.
pub fn locate(args: &[String], env: Option<String>, cwd_has_default: bool) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    if let Some(e) = env.filter(|e| !e.is_empty()) {
        return Some(PathBuf::from(e));
    }
    cwd_has_default.then(|| PathBuf::from("overhaul.toml"))
}

/// The keys the file may hold for this command line, with the environment variable of each.
pub fn known_keys(cmd: &Command) -> BTreeMap<String, String> {
    fn walk(cmd: &Command, out: &mut BTreeMap<String, String>) {
        for a in cmd.get_arguments() {
            if let Some(env) = a.get_env().and_then(|e| e.to_str())
                && let Some(rest) = env.strip_prefix(PREFIX)
                && env != "OVERHAUL_CONFIG"
            {
                out.insert(rest.to_lowercase(), env.to_owned());
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(cmd, &mut out);
    for k in EXTRA {
        out.insert(k.to_owned(), format!("{PREFIX}{}", k.to_uppercase()));
    }
    out
}

/// Parses the file's text: a flat table of strings, integers and booleans.
pub fn parse(text: &str, known: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let table: BTreeMap<String, serde_json::Value> =
        basic_toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = BTreeMap::new();
    for (k, v) in table {
        if !known.contains_key(&k) {
            bail!(
                "unknown setting '{k}' (known: {})",
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => bail!("setting '{k}' must be a string, a number or true/false"),
        };
        out.insert(k, text);
    }
    Ok(out)
}

/// Reads the file, if any.
pub fn load(path: Option<&Path>, cmd: &Command) -> Result<Settings> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let values = parse(&text, &known_keys(cmd))
        .with_context(|| format!("in the configuration file {}", path.display()))?;
    Ok(Settings {
        path: Some(path.to_owned()),
        values,
    })
}

/// Makes the file's values the defaults of the matching options, in every subcommand.
pub fn apply(cmd: Command, s: &Settings) -> Command {
    if s.values.is_empty() {
        return cmd;
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    let mut cmd = cmd.mut_args(|a| with_default(a, s));
    for n in names {
        cmd = cmd.mut_subcommand(n, |sub| apply(sub, s));
    }
    cmd
}

fn with_default(a: Arg, s: &Settings) -> Arg {
    let key = a
        .get_env()
        .and_then(|e| e.to_str())
        .and_then(|e| e.strip_prefix(PREFIX))
        .map(str::to_lowercase);
    match key.as_deref().and_then(|k| s.get(k)) {
        // Parsed once at start; leaking the few strings of a config file is fine.
        Some(v) => a.default_value(&*Box::leak(v.to_owned().into_boxed_str())),
        None => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_file_is_found_from_the_flag_then_the_environment_then_the_directory() {
        let f = |a: &[&str], env: Option<&str>, cwd: bool| {
            locate(&args(a), env.map(str::to_owned), cwd)
        };
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            f(
                &["overhaul", "--config", "a.toml", "serve"],
                Some("b.toml"),
                true
            ),
            p("a.toml")
        );
        assert_eq!(
            f(&["overhaul", "serve", "--config=a.toml"], None, true),
            p("a.toml")
        );
        assert_eq!(f(&["overhaul", "serve"], Some("b.toml"), true), p("b.toml"));
        assert_eq!(
            f(&["overhaul", "serve"], Some(""), true),
            p("overhaul.toml")
        );
        assert_eq!(f(&["overhaul", "serve"], None, true), p("overhaul.toml"));
        assert_eq!(f(&["overhaul", "serve"], None, false), None);
        // after `--` nothing is an option
        assert_eq!(f(&["overhaul", "--", "--config", "x"], None, false), None);
    }

    #[test]
    fn keys_are_the_environment_names_without_prefix() {
        let known = known_keys(&crate::Cli::command());
        for k in [
            "database_url",
            "listen",
            "files_dir",
            "mqtt",
            "log",
            "log_format",
        ] {
            assert!(known.contains_key(k), "{k} missing from {known:?}");
        }
        assert!(!known.contains_key("config"));
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let known = known_keys(&crate::Cli::command());
        let err = |t: &str| parse(t, &known).expect_err(t).to_string();
        assert!(err("databse_url = 'x'").contains("unknown setting 'databse_url'"));
        assert!(err("listen = ['a']").contains("must be a string"));
        assert!(err("[server]\nlisten = 'a'").contains("unknown setting 'server'"));
        assert!(!err("listen = ").is_empty());
        let ok = parse("listen = '0.0.0.0:9000'\nmqtt = \"h:1883\"\n", &known).expect("ok");
        assert_eq!(ok.get("listen").map(String::as_str), Some("0.0.0.0:9000"));
    }

    #[test]
    fn command_line_beats_environment_beats_file_beats_default() {
        if std::env::var_os("OVERHAUL_LISTEN").is_some()
            || std::env::var_os("OVERHAUL_DATABASE_URL").is_some()
        {
            eprintln!("NOTICE: skipped: OVERHAUL_LISTEN or OVERHAUL_DATABASE_URL is set here");
            return;
        }
        let known = known_keys(&crate::Cli::command());
        let s = Settings {
            path: None,
            values: parse(
                "listen = '127.0.0.1:9999'\ndatabase_url = 'sqlite://from-file.db'\n",
                &known,
            )
            .expect("parse"),
        };
        let parse_cli = |a: &[&str]| {
            let m = apply(crate::Cli::command(), &s)
                .try_get_matches_from(args(a))
                .expect("args");
            crate::Cli::from_arg_matches(&m).expect("cli")
        };
        let cli = parse_cli(&["overhaul", "serve"]);
        assert_eq!(cli.database_url, "sqlite://from-file.db");
        match cli.command {
            crate::Command::Serve { listen, .. } => assert_eq!(listen, "127.0.0.1:9999"),
            _ => panic!("serve"),
        }
        let cli = parse_cli(&[
            "overhaul",
            "--database-url",
            "sqlite://flag.db",
            "demo",
            "--listen",
            "127.0.0.1:1",
        ]);
        assert_eq!(cli.database_url, "sqlite://flag.db");
        match cli.command {
            crate::Command::Demo { listen, .. } => assert_eq!(listen, "127.0.0.1:1"),
            _ => panic!("demo"),
        }
        // Without a file the built-in defaults stay.
        let m = apply(crate::Cli::command(), &Settings::default())
            .try_get_matches_from(args(&["overhaul", "serve"]))
            .expect("args");
        let cli = crate::Cli::from_arg_matches(&m).expect("cli");
        assert_eq!(cli.database_url, "sqlite://overhaul.db");
    }
}
