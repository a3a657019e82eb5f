//! Field-level validation errors and the parsed value types shared by every aggregate.

use serde::Serialize;
use std::fmt;

/// One rejected field: `field` is a JSON-pointer-like path (`criticality.consequence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Input that breaks a rule; carries every field that was wrong, not only the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for Invalid {}

/// Collects field errors while a command is checked, so one response names every problem.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Runs a parser and records its error under `field`; returns the value when it parsed.
    pub fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.push(field, m);
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A short identifier people type and print on labels (asset codes, site codes, meter codes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        if has_control(raw) {
            return Err("must not contain control characters".into());
        }
        if raw.chars().any(char::is_whitespace) {
            return Err("must not contain spaces".into());
        }
        if raw.contains('/') {
            return Err("must not contain '/'".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A one-line human text (names, titles): trimmed, non-empty, bounded, no control characters.
pub fn parse_line(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if has_control(t) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// A multi-line text (descriptions, comments): newlines and tabs allowed, other control
/// characters refused.
pub fn parse_text(raw: &str, max: usize) -> Result<String, String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters other than newlines and tabs".into());
    }
    Ok(raw.to_owned())
}

/// An e-mail address as a login name: one `@`, something on both sides, no spaces; lower-cased.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    let ok = t.len() <= 254
        && !has_control(t)
        && !t.chars().any(char::is_whitespace)
        && t.split('@').count() == 2
        && t.split('@').all(|p| !p.is_empty());
    if ok {
        Ok(t.to_lowercase())
    } else {
        Err("must be an e-mail address such as anna@plant.example".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let cases: &[(&str, bool)] = &[
            ("P-101", true),
            ("PUMP_01.A", true),
            ("Ü-7", true),
            ("", false),
            ("has space", false),
            ("tab\there", false),
            ("bell\u{7}", false),
            ("a/b", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
        ];
        for (raw, ok) in cases {
            assert_eq!(Code::parse(raw).is_ok(), *ok, "{raw:?}");
        }
    }

    #[test]
    fn lines_and_texts() {
        assert_eq!(parse_line("  Pump 1 ", 10), Ok("Pump 1".into()));
        assert!(parse_line("   ", 10).is_err());
        assert!(parse_line("a\u{0}b", 10).is_err());
        assert!(parse_line("abcdefghijk", 10).is_err());
        assert!(parse_text("line1\nline2\ttab", 100).is_ok());
        assert!(parse_text("esc\u{1b}[31m", 100).is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            parse_email(" Anna@Plant.Example "),
            Ok("anna@plant.example".into())
        );
        for bad in ["anna", "@x", "a@", "a@@b", "a b@c", ""] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_collect_every_field() {
        let mut c = Checks::new();
        assert_eq!(
            c.take("a", Code::parse("ok")).map(|c| c.into_inner()),
            Some("ok".into())
        );
        assert!(c.take("b", Code::parse("")).is_none());
        c.push("c", "bad");
        let err = c.finish().unwrap_err();
        assert_eq!(
            err.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
    }
}

#[cfg(test)]
mod text_enum_tests {
    use crate::asset::AssetStatus;
    use crate::work_order::WorkOrderStatus;

    #[test]
    fn texts_are_the_snake_case_variant_names_in_serde_too() {
        for s in WorkOrderStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for s in AssetStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }
}
