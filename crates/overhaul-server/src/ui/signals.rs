//! Signal pages: the list of signals per site and asset, the form that creates a signal, the
//! signal page (settings, rules with the work they raise, the trend chart with its alarm limits
//! and the same data as a table and CSV), and the live values on the asset page.
//!
//! Forms are plain posts: on success the browser is sent to the signal page, on refusal the
//! page comes back with what was typed and each message next to its field. Input names are the
//! API's field names (`source.topic`, `params.limit`, `work_order_template.title`), so the app
//! layer's field errors land next to the right input without translation.

use super::form::Fields;
use super::work_orders::{find_asset_by_code, site_zones, uuid_field};
use super::{Chrome, UiError, UiResult, Viewer, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use overhaul_app::signals::{
    NewRule, NewSignal, RulePatch, RuleView, SignalPatch, SignalQuery, SignalView, Trend,
    TrendQuery, TrendRange,
};
use overhaul_app::{Action, AppError, Ctx};
use overhaul_core::condition::alarm::AlarmState;
use overhaul_core::condition::rule::{RuleParams, ThresholdLevel};
use overhaul_core::condition::signal::{SignalKind, SourceBinding};
use overhaul_core::condition::work::WorkTemplate;
use overhaul_core::work_order::{Priority, WorkOrderType};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One input of a form, with what was typed and why it was refused.
pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `select`, `checkbox` or `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub hint: &'static str,
    pub error: Option<String>,
}

impl Input {
    pub fn id(&self) -> String {
        self.name.replace(['.', '_'], "-")
    }
    pub fn checked(&self) -> bool {
        self.value == "on" || self.value == "true"
    }
}

pub struct FieldSet {
    pub legend: &'static str,
    /// Which choice of a selector this group belongs to (`source.kind` or `params.kind`), for
    /// people reading the form; every group is posted, only the chosen one is read.
    pub when: &'static str,
    pub inputs: Vec<Input>,
}

pub struct FormView {
    pub id: String,
    pub action: String,
    pub submit: &'static str,
    pub version: Option<i64>,
    pub hidden: Vec<(String, String)>,
    pub sets: Vec<FieldSet>,
    pub error: Option<String>,
}

impl FormView {
    /// The form itself, for templates that bind it to the name `_form.html` expects.
    pub fn me(&self) -> &Self {
        self
    }
}

/// Values and errors of a form, keyed by input name.
#[derive(Default)]
struct State_ {
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl State_ {
    fn from_fields(f: &Fields) -> Self {
        let mut values = HashMap::new();
        for (k, v) in &f.0 {
            values.entry(k.clone()).or_insert_with(|| v.clone());
        }
        State_ {
            values,
            errors: HashMap::new(),
        }
    }
    fn set(&mut self, k: &str, v: impl ToString) {
        self.values.insert(k.to_owned(), v.to_string());
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.values
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
    fn err(&mut self, k: &str, m: impl Into<String>) {
        self.errors.entry(k.to_owned()).or_insert_with(|| m.into());
    }
    fn input(&self, name: &str, label: &str, kind: &'static str, hint: &'static str) -> Input {
        Input {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            value: self.values.get(name).cloned().unwrap_or_default(),
            options: vec![],
            hint,
            error: self.errors.get(name).cloned(),
        }
    }
    fn select(&self, name: &str, label: &str, options: Vec<(String, String)>) -> Input {
        let mut i = self.input(name, label, "select", "");
        i.options = options;
        i
    }
    /// A required text.
    fn text(&mut self, k: &str) -> String {
        match self.get(k) {
            Some(v) => v.to_owned(),
            None => {
                self.err(k, "must not be empty");
                String::new()
            }
        }
    }
    /// An optional number; a non-number is an error on the field.
    fn num<T: std::str::FromStr>(&mut self, k: &str) -> Option<T> {
        let raw = self.get(k)?.to_owned();
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.err(k, format!("'{raw}' is not a number"));
                None
            }
        }
    }
    /// A required number.
    fn req_num<T: std::str::FromStr + Default>(&mut self, k: &str) -> T {
        if self.get(k).is_none() {
            self.err(k, "is required");
            return T::default();
        }
        self.num(k).unwrap_or_default()
    }
    fn checkbox(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
    /// Takes the app layer's field errors; any not shown next to an input go in the summary.
    fn absorb(&mut self, e: &UiError, shown: &[&str]) -> Option<String> {
        let mut rest = Vec::new();
        for (k, m) in &e.fields {
            // A rule's fields are named like the API's, with or without the list prefix.
            let k = k.strip_prefix("rules[0].").unwrap_or(k);
            if shown.contains(&k) {
                self.err(k, m.clone());
            } else {
                rest.push(format!("{k}: {m}"));
            }
        }
        let mut msg = format!("{}: {}", e.heading, e.message);
        if !rest.is_empty() {
            msg.push(' ');
            msg.push_str(&rest.join("; "));
        }
        Some(msg)
    }
}

fn opts<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|(v, l)| (v.to_owned(), l.to_owned()))
        .collect()
}

const SIGNAL_INPUTS: &[&str] = &[
    "name",
    "kind",
    "unit",
    "scale",
    "offset",
    "max_gap_s",
    "enabled",
    "meter_id",
    "asset_id",
    "source.kind",
    "source.topic",
    "source.pointer",
    "source.group_id",
    "source.edge_node_id",
    "source.device_id",
    "source.metric",
    "source.endpoint",
    "source.node_id",
    "source.sampling_ms",
    "source.deadband",
];

const RULE_INPUTS: &[&str] = &[
    "name",
    "priority",
    "enabled",
    "params.kind",
    "params.level",
    "params.limit",
    "params.deadband",
    "params.on_delay_s",
    "params.off_delay_s",
    "params.max_per_minute",
    "params.window_s",
    "params.alpha",
    "params.k",
    "params.warmup",
    "params.deadband_sigma",
    "work",
    "work_order_template.title",
    "work_order_template.type",
    "work_order_template.priority",
    "work_order_template.procedure_revision_id",
    "work_order_template.estimated_hours",
    "work_order_template.crew_size",
    "work_order_template.description",
];

fn signal_sets(st: &State_, new: bool, meters: &[(Uuid, String)]) -> Vec<FieldSet> {
    let mut main = vec![st.input("name", "Name", "text", "e.g. DE bearing vibration")];
    if new {
        main.push(st.select(
            "kind",
            "Kind",
            opts([
                ("gauge", "gauge (goes up and down)"),
                ("counter", "counter (only grows)"),
                ("run", "run signal (1 running, 0 stopped)"),
            ]),
        ));
    }
    main.push(st.input("unit", "Unit", "text", "e.g. mm/s, °C; run signals: h"));
    main.push(st.input(
        "scale",
        "Scale",
        "number",
        "value = raw × scale + offset; default 1",
    ));
    main.push(st.input("offset", "Offset", "number", "default 0"));
    main.push(st.input(
        "max_gap_s",
        "Longest gap (s)",
        "number",
        "run signals: a silence longer than this is not run time; default 900",
    ));
    if new {
        let mut o = vec![(String::new(), "none".to_owned())];
        o.extend(meters.iter().map(|(id, l)| (id.to_string(), l.clone())));
        main.push(st.select("meter_id", "Run hours go to meter", o));
    } else {
        main.push(st.input("enabled", "Enabled", "checkbox", ""));
    }
    vec![
        FieldSet {
            legend: "Signal",
            when: "",
            inputs: main,
        },
        FieldSet {
            legend: "Source",
            when: "",
            inputs: vec![st.select(
                "source.kind",
                "Values come from",
                opts([
                    ("mqtt_json", "MQTT, JSON payload"),
                    ("sparkplug", "MQTT, Sparkplug B metric"),
                    ("opc_ua", "OPC UA node"),
                    ("http", "pushed over HTTP or imported from CSV"),
                ]),
            )],
        },
        FieldSet {
            legend: "MQTT JSON",
            when: "mqtt_json",
            inputs: vec![
                st.input("source.topic", "Topic", "text", "one topic, no wildcards"),
                st.input(
                    "source.pointer",
                    "JSON pointer",
                    "text",
                    "e.g. /vibration/rms",
                ),
            ],
        },
        FieldSet {
            legend: "Sparkplug B",
            when: "sparkplug",
            inputs: vec![
                st.input("source.group_id", "Group id", "text", ""),
                st.input("source.edge_node_id", "Edge node id", "text", ""),
                st.input(
                    "source.device_id",
                    "Device id",
                    "text",
                    "empty for a metric of the edge node itself",
                ),
                st.input("source.metric", "Metric name", "text", ""),
            ],
        },
        FieldSet {
            legend: "OPC UA",
            when: "opc_ua",
            inputs: vec![
                st.input(
                    "source.endpoint",
                    "Endpoint",
                    "text",
                    "e.g. opc.tcp://plc1:4840",
                ),
                st.input(
                    "source.node_id",
                    "Node id",
                    "text",
                    "e.g. ns=2;s=Pump1.Vibration",
                ),
                st.input(
                    "source.sampling_ms",
                    "Sampling interval (ms)",
                    "number",
                    "10 to 3,600,000; default 1,000",
                ),
                st.input(
                    "source.deadband",
                    "Deadband",
                    "number",
                    "absolute, in the node's units; 0 reports every change",
                ),
            ],
        },
    ]
}

fn rule_sets(st: &State_, new: bool) -> Vec<FieldSet> {
    let prio = || {
        opts(
            Priority::ALL
                .iter()
                .map(|p| (p.as_str(), p.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    let mut main = vec![
        st.input("name", "Rule name", "text", "e.g. vibration high"),
        st.select("priority", "Alarm priority", prio()),
        st.select(
            "params.kind",
            "Kind",
            opts([
                ("threshold", "threshold"),
                ("rate_of_change", "rate of change"),
                ("drift", "drift from baseline (EWMA)"),
            ]),
        ),
    ];
    if !new {
        main.push(st.input("enabled", "Enabled", "checkbox", ""));
    }
    vec![
        FieldSet {
            legend: "Rule",
            when: "",
            inputs: main,
        },
        FieldSet {
            legend: "Threshold",
            when: "threshold",
            inputs: vec![
                st.select(
                    "params.level",
                    "Level",
                    opts([
                        ("hh", "high-high"),
                        ("h", "high"),
                        ("l", "low"),
                        ("ll", "low-low"),
                    ]),
                ),
                st.input("params.limit", "Limit", "number", ""),
            ],
        },
        FieldSet {
            legend: "Rate of change",
            when: "rate_of_change",
            inputs: vec![
                st.input(
                    "params.max_per_minute",
                    "Most change per minute",
                    "number",
                    "units per minute, either direction",
                ),
                st.input("params.window_s", "Window (s)", "number", ""),
            ],
        },
        FieldSet {
            legend: "Drift",
            when: "drift",
            inputs: vec![
                st.input(
                    "params.alpha",
                    "EWMA weight α",
                    "number",
                    "between 0 and 1, e.g. 0.05",
                ),
                st.input("params.k", "Limit k (σ)", "number", "e.g. 3"),
                st.input(
                    "params.warmup",
                    "Warm-up readings",
                    "number",
                    "readings before the rule can activate",
                ),
                st.input(
                    "params.deadband_sigma",
                    "Deadband (σ)",
                    "number",
                    "default 0",
                ),
            ],
        },
        FieldSet {
            legend: "Nuisance reduction",
            when: "",
            inputs: vec![
                st.input(
                    "params.deadband",
                    "Deadband",
                    "number",
                    "threshold and rate of change; default 0",
                ),
                st.input("params.on_delay_s", "On delay (s)", "number", "default 0"),
                st.input("params.off_delay_s", "Off delay (s)", "number", "default 0"),
            ],
        },
        FieldSet {
            legend: "Work raised when the alarm activates",
            when: "",
            inputs: vec![
                st.select(
                    "work",
                    "Raise",
                    opts([
                        ("request", "a work request"),
                        ("work_order", "a work order from this template"),
                    ]),
                ),
                st.input("work_order_template.title", "Work order title", "text", ""),
                st.select(
                    "work_order_template.type",
                    "Type",
                    opts(
                        WorkOrderType::ALL
                            .iter()
                            .map(|p| (p.as_str(), p.as_str()))
                            .collect::<Vec<_>>(),
                    ),
                ),
                st.select("work_order_template.priority", "Priority", prio()),
                st.input(
                    "work_order_template.procedure_revision_id",
                    "Procedure revision id",
                    "text",
                    "optional; a published revision of this site",
                ),
                st.input(
                    "work_order_template.estimated_hours",
                    "Estimated hours",
                    "number",
                    "optional",
                ),
                st.input(
                    "work_order_template.crew_size",
                    "Crew size",
                    "number",
                    "optional",
                ),
                st.input(
                    "work_order_template.description",
                    "Instructions",
                    "textarea",
                    "optional",
                ),
            ],
        },
    ]
}

/// The source binding typed into a signal form.
fn read_source(st: &mut State_) -> Option<SourceBinding> {
    let kind = st.get("source.kind").unwrap_or("http").to_owned();
    let opt = |st: &State_, k: &str| st.get(k).map(str::to_owned);
    Some(match kind.as_str() {
        "mqtt_json" => SourceBinding::MqttJson {
            topic: opt(st, "source.topic").unwrap_or_default(),
            pointer: opt(st, "source.pointer").unwrap_or_default(),
        },
        "sparkplug" => SourceBinding::Sparkplug {
            group_id: opt(st, "source.group_id").unwrap_or_default(),
            edge_node_id: opt(st, "source.edge_node_id").unwrap_or_default(),
            device_id: opt(st, "source.device_id"),
            metric: opt(st, "source.metric").unwrap_or_default(),
        },
        "opc_ua" => SourceBinding::OpcUa {
            endpoint: opt(st, "source.endpoint").unwrap_or_default(),
            node_id: opt(st, "source.node_id").unwrap_or_default(),
            sampling_ms: st
                .num::<u32>("source.sampling_ms")
                .unwrap_or(overhaul_core::condition::signal::DEFAULT_SAMPLING_MS),
            deadband: st.num::<f64>("source.deadband").unwrap_or(0.0),
        },
        "http" => SourceBinding::Http,
        _ => {
            st.err("source.kind", "choose where the values come from");
            return None;
        }
    })
}

fn source_values(st: &mut State_, b: &SourceBinding) {
    st.set("source.kind", b.kind());
    match b {
        SourceBinding::MqttJson { topic, pointer } => {
            st.set("source.topic", topic);
            st.set("source.pointer", pointer);
        }
        SourceBinding::Sparkplug {
            group_id,
            edge_node_id,
            device_id,
            metric,
        } => {
            st.set("source.group_id", group_id);
            st.set("source.edge_node_id", edge_node_id);
            st.set("source.device_id", device_id.as_deref().unwrap_or(""));
            st.set("source.metric", metric);
        }
        SourceBinding::OpcUa {
            endpoint,
            node_id,
            sampling_ms,
            deadband,
        } => {
            st.set("source.endpoint", endpoint);
            st.set("source.node_id", node_id);
            st.set("source.sampling_ms", sampling_ms);
            st.set("source.deadband", deadband);
        }
        SourceBinding::Http => {}
    }
}

/// The rule parameters and template typed into a rule form.
fn read_rule(st: &mut State_) -> (Option<RuleParams>, Option<WorkTemplate>) {
    let deadband = st.num::<f64>("params.deadband").unwrap_or(0.0);
    let on_delay_s = st.num::<u32>("params.on_delay_s").unwrap_or(0);
    let off_delay_s = st.num::<u32>("params.off_delay_s").unwrap_or(0);
    let params = match st.get("params.kind").unwrap_or("threshold") {
        "threshold" => {
            let level = match ThresholdLevel::parse(st.get("params.level").unwrap_or("h")) {
                Ok(l) => l,
                Err(m) => {
                    st.err("params.level", m);
                    ThresholdLevel::High
                }
            };
            Some(RuleParams::Threshold {
                level,
                limit: st.req_num("params.limit"),
                deadband,
                on_delay_s,
                off_delay_s,
            })
        }
        "rate_of_change" => Some(RuleParams::RateOfChange {
            max_per_minute: st.req_num("params.max_per_minute"),
            window_s: st.req_num("params.window_s"),
            deadband,
            on_delay_s,
            off_delay_s,
        }),
        "drift" => Some(RuleParams::Drift {
            alpha: st.req_num("params.alpha"),
            k: st.req_num("params.k"),
            warmup: st.req_num("params.warmup"),
            deadband_sigma: st.num("params.deadband_sigma").unwrap_or(0.0),
            on_delay_s,
            off_delay_s,
        }),
        _ => {
            st.err("params.kind", "choose a kind of rule");
            None
        }
    };
    let template = if st.get("work") == Some("work_order") {
        let title = st.text("work_order_template.title");
        let kind = WorkOrderType::parse(st.get("work_order_template.type").unwrap_or("predictive"))
            .unwrap_or(WorkOrderType::Predictive);
        let priority = Priority::parse(st.get("work_order_template.priority").unwrap_or("normal"))
            .unwrap_or(Priority::Normal);
        let procedure_revision_id = match st
            .get("work_order_template.procedure_revision_id")
            .map(str::to_owned)
        {
            Some(raw) => match Uuid::parse_str(&raw) {
                Ok(u) => Some(u),
                Err(_) => {
                    st.err(
                        "work_order_template.procedure_revision_id",
                        "not a valid id",
                    );
                    None
                }
            },
            None => None,
        };
        Some(WorkTemplate {
            title,
            kind,
            priority,
            procedure_revision_id,
            estimated_hours: st.num("work_order_template.estimated_hours"),
            crew_size: st.num("work_order_template.crew_size"),
            description: st.get("work_order_template.description").map(str::to_owned),
        })
    } else {
        None
    };
    (params, template)
}

fn rule_values(r: &RuleView) -> State_ {
    let mut st = State_::default();
    st.set("name", &r.rule.name);
    st.set("priority", &r.rule.priority);
    st.set("params.kind", r.params.kind());
    if r.rule.enabled {
        st.set("enabled", "on");
    }
    match &r.params {
        RuleParams::Threshold {
            level,
            limit,
            deadband,
            on_delay_s,
            off_delay_s,
        } => {
            st.set("params.level", level.as_str());
            st.set("params.limit", limit);
            st.set("params.deadband", deadband);
            st.set("params.on_delay_s", on_delay_s);
            st.set("params.off_delay_s", off_delay_s);
        }
        RuleParams::RateOfChange {
            max_per_minute,
            window_s,
            deadband,
            on_delay_s,
            off_delay_s,
        } => {
            st.set("params.max_per_minute", max_per_minute);
            st.set("params.window_s", window_s);
            st.set("params.deadband", deadband);
            st.set("params.on_delay_s", on_delay_s);
            st.set("params.off_delay_s", off_delay_s);
        }
        RuleParams::Drift {
            alpha,
            k,
            warmup,
            deadband_sigma,
            on_delay_s,
            off_delay_s,
        } => {
            st.set("params.alpha", alpha);
            st.set("params.k", k);
            st.set("params.warmup", warmup);
            st.set("params.deadband_sigma", deadband_sigma);
            st.set("params.on_delay_s", on_delay_s);
            st.set("params.off_delay_s", off_delay_s);
        }
    }
    match &r.work_order_template {
        Some(t) => {
            st.set("work", "work_order");
            st.set("work_order_template.title", &t.title);
            st.set("work_order_template.type", t.kind.as_str());
            st.set("work_order_template.priority", t.priority.as_str());
            if let Some(p) = t.procedure_revision_id {
                st.set("work_order_template.procedure_revision_id", p);
            }
            if let Some(h) = t.estimated_hours {
                st.set("work_order_template.estimated_hours", h);
            }
            if let Some(n) = t.crew_size {
                st.set("work_order_template.crew_size", n);
            }
            if let Some(d) = &t.description {
                st.set("work_order_template.description", d);
            }
        }
        None => st.set("work", "request"),
    }
    st
}

fn describe_rule(r: &RuleView, unit: &str) -> String {
    let p = match &r.params {
        RuleParams::Threshold {
            level,
            limit,
            deadband,
            on_delay_s,
            off_delay_s,
        } => format!(
            "{} {limit} {unit}, deadband {deadband}, delays {on_delay_s} s / {off_delay_s} s",
            level.as_str().to_uppercase()
        ),
        RuleParams::RateOfChange {
            max_per_minute,
            window_s,
            ..
        } => format!("change above {max_per_minute} {unit}/min over {window_s} s"),
        RuleParams::Drift { alpha, k, .. } => format!("drift beyond {k} σ (EWMA α {alpha})"),
    };
    let w = match &r.work_order_template {
        Some(t) => format!("raises work order \"{}\"", t.title),
        None => "raises a work request".into(),
    };
    format!("{p}; {w}")
}

// ----- the list -----

pub struct SignalLine {
    id: Uuid,
    name: String,
    asset_id: Uuid,
    asset: String,
    kind: String,
    unit: String,
    source: String,
    rules: usize,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "signals/list.html")]
struct ListPage {
    chrome: Chrome,
    signals: Vec<SignalLine>,
    asset: Option<(Uuid, String)>,
    can_edit: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    asset: Option<String>,
    site: Option<String>,
}

fn source_text(v: &SignalView) -> String {
    match &v.source {
        SourceBinding::MqttJson { topic, pointer } => format!("MQTT {topic} {pointer}"),
        SourceBinding::Sparkplug {
            group_id,
            edge_node_id,
            device_id,
            metric,
        } => format!(
            "Sparkplug {group_id}/{edge_node_id}{} {metric}",
            device_id
                .as_deref()
                .map(|d| format!("/{d}"))
                .unwrap_or_default()
        ),
        SourceBinding::OpcUa {
            endpoint, node_id, ..
        } => format!("OPC UA {endpoint} {node_id}"),
        SourceBinding::Http => "HTTP / CSV".into(),
    }
}

pub async fn list(State(s): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> UiResult {
    let asset_id = q
        .asset
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| uuid_field("asset", a))
        .transpose()?;
    let site_id = q
        .site
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| uuid_field("site", a))
        .transpose()?;
    let asset = match asset_id {
        Some(id) => {
            let a = s.app.get_asset(&v.ctx, id).await?.asset;
            Some((a.id, format!("{} — {}", a.code, a.name)))
        }
        None => None,
    };
    let views = s
        .app
        .list_signals(
            &v.ctx,
            SignalQuery {
                site_id,
                asset_id,
                source_kind: None,
            },
        )
        .await?;
    let ids: Vec<Uuid> = views.iter().map(|x| x.signal.asset_id).collect();
    let names = overhaul_store::overview::asset_names(&s.app.db, &ids)
        .await
        .map_err(AppError::from)?;
    let signals = views
        .iter()
        .map(|x| SignalLine {
            id: x.signal.id,
            name: x.signal.name.clone(),
            asset_id: x.signal.asset_id,
            asset: names
                .get(&x.signal.asset_id)
                .map(|n| format!("{} — {}", n.code, n.name))
                .unwrap_or_default(),
            kind: x.signal.kind.clone(),
            unit: x.signal.unit.clone(),
            source: source_text(x),
            rules: x.rules.len(),
            enabled: x.signal.enabled,
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::for_viewer(&v, "Signals", "/signals"),
        signals,
        asset,
        can_edit: v.session.principal.can_anywhere(Action::EditAssets),
    }))
}

// ----- creating a signal -----

#[derive(Template)]
#[template(path = "signals/new.html")]
struct NewPage {
    chrome: Chrome,
    asset: String,
    asset_label: Option<String>,
    form: FormView,
}

#[derive(Deserialize)]
pub struct NewQuery {
    asset: Option<String>,
}

/// An asset given by id or by code.
async fn asset_of(
    s: &AppState,
    ctx: &Ctx,
    raw: &str,
) -> Result<overhaul_store::asset::Asset, UiError> {
    match Uuid::parse_str(raw) {
        Ok(id) => Ok(s.app.get_asset(ctx, id).await?.asset),
        Err(_) => find_asset_by_code(&s.app, ctx, raw).await,
    }
}

async fn counter_meters(
    s: &AppState,
    ctx: &Ctx,
    asset: Option<Uuid>,
) -> Result<Vec<(Uuid, String)>, UiError> {
    let Some(a) = asset else {
        return Ok(vec![]);
    };
    Ok(s.app
        .list_meters(ctx, Some(a))
        .await?
        .into_iter()
        .filter(|m| m.kind == "counter")
        .map(|m| (m.id, format!("{} — {}", m.code, m.name)))
        .collect())
}

async fn new_page(
    s: &AppState,
    v: &Viewer,
    st: State_,
    error: Option<String>,
) -> Result<NewPage, UiError> {
    let raw = st.get("asset").unwrap_or_default().to_owned();
    let asset = if raw.is_empty() {
        None
    } else {
        asset_of(s, &v.ctx, &raw).await.ok()
    };
    let meters = counter_meters(s, &v.ctx, asset.as_ref().map(|a| a.id)).await?;
    let asset_id = asset.as_ref().map(|a| a.id.to_string()).unwrap_or_default();
    Ok(NewPage {
        chrome: Chrome::for_viewer(v, "New signal", "/signals"),
        asset_label: asset.as_ref().map(|a| format!("{} — {}", a.code, a.name)),
        asset: asset.map(|a| a.code).unwrap_or(raw),
        form: FormView {
            id: "signal-form".into(),
            action: "/signals/new".into(),
            submit: "Create signal",
            version: None,
            hidden: vec![("asset".into(), asset_id)],
            sets: signal_sets(&st, true, &meters),
            error,
        },
    })
}

pub async fn new_form(State(s): State<AppState>, v: Viewer, Query(q): Query<NewQuery>) -> UiResult {
    let mut st = State_::default();
    st.set("kind", "gauge");
    st.set("source.kind", "mqtt_json");
    if let Some(a) = q.asset {
        st.set("asset", a);
    }
    Ok(render(&new_page(&s, &v, st, None).await?))
}

pub async fn create(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let mut st = State_::from_fields(&f);
    let attempt = async {
        let raw = st.text("asset");
        let asset = if raw.is_empty() {
            None
        } else {
            match asset_of(&s, &v.ctx, &raw).await {
                Ok(a) => Some(a),
                Err(e) => {
                    st.err("asset", e.message);
                    None
                }
            }
        };
        let name = st.text("name");
        let unit = st.text("unit");
        let kind = match SignalKind::parse(st.get("kind").unwrap_or("gauge")) {
            Ok(k) => k,
            Err(m) => {
                st.err("kind", m);
                SignalKind::Gauge
            }
        };
        let scale = st.num("scale");
        let offset = st.num("offset");
        let max_gap_s = st.num("max_gap_s");
        let meter_id = match st.get("meter_id").map(str::to_owned) {
            Some(m) => match Uuid::parse_str(&m) {
                Ok(u) => Some(u),
                Err(_) => {
                    st.err("meter_id", "not a valid id");
                    None
                }
            },
            None => None,
        };
        let source = read_source(&mut st);
        let (Some(asset), Some(source), true) = (asset, source, st.errors.is_empty()) else {
            return Err(UiError::bad("Some fields need attention."));
        };
        let input = NewSignal {
            asset_id: asset.id,
            meter_id,
            name,
            kind,
            unit,
            scale,
            offset,
            source,
            max_gap_s,
            enabled: None,
            rules: vec![],
        };
        Ok(s.app.create_signal(&v.ctx, input).await?)
    };
    match attempt.await {
        Ok(sv) => Ok(Redirect::to(&format!("/signals/{}", sv.signal.id)).into_response()),
        Err(e) => {
            let mut shown = SIGNAL_INPUTS.to_vec();
            shown.push("asset");
            let msg = st.absorb(&e, &shown);
            let mut r = render(&new_page(&s, &v, st, msg).await?);
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

// ----- the signal page -----

pub struct RuleLine {
    id: Uuid,
    name: String,
    summary: String,
    enabled: bool,
    alarm_state: String,
    alarm_class: &'static str,
    form: FormView,
}

#[derive(Template)]
#[template(path = "signals/page.html")]
struct SignalPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    asset_id: Uuid,
    asset: String,
    kind: String,
    unit: String,
    source: String,
    can_edit: bool,
    range: &'static str,
    ranges: Vec<(&'static str, bool)>,
    trend: TrendTable,
    settings: FormView,
    rules: Vec<RuleLine>,
    new_rule: FormView,
}

/// The trend as rows for people who do not read charts (and for screen readers).
pub struct TrendTable {
    resolution: String,
    /// (time, min, max, avg, count)
    rows: Vec<(String, String, String, String, i64)>,
    total: usize,
    limits: Vec<String>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    range: Option<String>,
}

fn range_of(raw: Option<&str>) -> Result<TrendRange, UiError> {
    match raw.filter(|r| !r.is_empty()) {
        None => Ok(TrendRange::Day),
        Some(r) => {
            TrendRange::parse(r).ok_or_else(|| UiError::bad("range: one of 1h, 24h, 7d, 30d, 1y"))
        }
    }
}

fn alarm_badge(state: &str) -> (String, &'static str) {
    let class = match AlarmState::parse(state) {
        Ok(AlarmState::ActiveUnacknowledged) => "urgent",
        Ok(AlarmState::ActiveAcknowledged) => "high",
        Ok(AlarmState::ReturnedUnacknowledged) => "on_hold",
        _ => "completed",
    };
    (words(state), class)
}

/// Which form on the page was refused, to show it again with its errors.
enum Refused {
    None,
    Settings(State_, Option<String>),
    Rule(Uuid, State_, Option<String>),
    NewRule(State_, Option<String>),
}

async fn signal_page(
    s: &AppState,
    v: &Viewer,
    id: Uuid,
    range: TrendRange,
    refused: Refused,
) -> Result<SignalPage, UiError> {
    let sv = s.app.get_signal(&v.ctx, id).await?;
    let asset = s.app.get_asset(&v.ctx, sv.signal.asset_id).await?.asset;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zones
        .get(&sv.site_id)
        .map(|z| z.0)
        .unwrap_or(chrono_tz::UTC);
    let trend = s
        .app
        .signal_trend(
            &v.ctx,
            id,
            TrendQuery {
                range: Some(range),
                to: None,
            },
        )
        .await?;
    let alarms: HashMap<Uuid, String> = s
        .app
        .list_alarms(
            &v.ctx,
            overhaul_app::alarms::AlarmQuery {
                signal_id: Some(id),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .map(|a| (a.alarm.rule_id, a.alarm.state))
        .collect();
    let can_edit = v
        .session
        .principal
        .can(Some(sv.site_id), Action::EditAssets);
    let (mut settings_st, mut settings_err) = (None, None);
    let (mut rule_refused, mut new_st, mut new_err) = (None, None, None);
    match refused {
        Refused::None => {}
        Refused::Settings(st, e) => {
            settings_st = Some(st);
            settings_err = e;
        }
        Refused::Rule(rid, st, e) => rule_refused = Some((rid, st, e)),
        Refused::NewRule(st, e) => {
            new_st = Some(st);
            new_err = e;
        }
    }
    let settings_st = settings_st.unwrap_or_else(|| {
        let mut st = State_::default();
        st.set("name", &sv.signal.name);
        st.set("unit", &sv.signal.unit);
        st.set("scale", sv.signal.scale);
        st.set("offset", sv.signal.value_offset);
        st.set("max_gap_s", sv.signal.max_gap_s);
        if sv.signal.enabled {
            st.set("enabled", "on");
        }
        source_values(&mut st, &sv.source);
        st
    });
    let mut rules = Vec::new();
    for r in &sv.rules {
        let (st, err) = match &mut rule_refused {
            Some((rid, st, e)) if *rid == r.rule.id => (std::mem::take(st), e.take()),
            _ => (rule_values(r), None),
        };
        let (alarm_state, alarm_class) =
            alarm_badge(alarms.get(&r.rule.id).map_or("normal", String::as_str));
        rules.push(RuleLine {
            id: r.rule.id,
            name: r.rule.name.clone(),
            summary: describe_rule(r, &sv.signal.unit),
            enabled: r.rule.enabled,
            alarm_state,
            alarm_class,
            form: FormView {
                id: format!("rule-{}", r.rule.id),
                action: format!("/signals/{id}/rules/{}", r.rule.id),
                submit: "Save rule",
                version: Some(r.rule.version),
                hidden: vec![],
                sets: rule_sets(&st, false),
                error: err,
            },
        });
    }
    let new_st = new_st.unwrap_or_else(|| {
        let mut st = State_::default();
        st.set("priority", "normal");
        st.set("params.kind", "threshold");
        st.set("params.level", "h");
        st.set("work", "request");
        st.set("work_order_template.type", "predictive");
        st.set("work_order_template.priority", "normal");
        st
    });
    let table = trend_table(&trend, tz);
    Ok(SignalPage {
        chrome: Chrome::for_viewer(v, format!("Signal {}", sv.signal.name), "/signals"),
        id,
        name: sv.signal.name.clone(),
        asset_id: asset.id,
        asset: format!("{} — {}", asset.code, asset.name),
        kind: sv.signal.kind.clone(),
        unit: sv.signal.unit.clone(),
        source: source_text(&sv),
        can_edit,
        range: range.as_str(),
        ranges: TrendRange::ALL
            .iter()
            .map(|r| (r.as_str(), *r == range))
            .collect(),
        trend: table,
        settings: FormView {
            id: "signal-settings".into(),
            action: format!("/signals/{id}"),
            submit: "Save signal",
            version: Some(sv.signal.version),
            hidden: vec![],
            sets: signal_sets(&settings_st, false, &[]),
            error: settings_err,
        },
        rules,
        new_rule: FormView {
            id: "new-rule".into(),
            action: format!("/signals/{id}/rules"),
            submit: "Add rule",
            version: None,
            hidden: vec![],
            sets: rule_sets(&new_st, true),
            error: new_err,
        },
    })
}

/// Rows shown in the page's table (the newest); the CSV has them all.
const TABLE_ROWS: usize = 500;

fn trend_table(t: &Trend, tz: chrono_tz::Tz) -> TrendTable {
    let fmt = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|x| x.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    };
    let rows = t
        .points
        .iter()
        .rev()
        .take(TABLE_ROWS)
        .map(|p| {
            (
                fmt(p.t_ms),
                format!("{}", p.min),
                format!("{}", p.max),
                format!("{:.4}", p.avg),
                p.count,
            )
        })
        .collect();
    TrendTable {
        resolution: t.resolution.clone(),
        rows,
        total: t.points.len(),
        limits: t
            .limits
            .iter()
            .map(|l| {
                format!(
                    "{} {} {} ({}{})",
                    l.level.to_uppercase(),
                    l.value,
                    t.unit,
                    l.rule,
                    if l.enabled { "" } else { ", disabled" }
                )
            })
            .collect(),
    }
}

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let range = range_of(q.range.as_deref())?;
    Ok(render(
        &signal_page(&s, &v, id, range, Refused::None).await?,
    ))
}

fn version_of(st: &State_) -> Option<i64> {
    st.get("version").and_then(|x| x.parse().ok())
}

async fn refused_page(
    s: &AppState,
    v: &Viewer,
    id: Uuid,
    status: StatusCode,
    refused: Refused,
) -> UiResult {
    let mut r = render(&signal_page(s, v, id, TrendRange::Day, refused).await?);
    *r.status_mut() = status;
    Ok(r)
}

pub async fn update(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let mut st = State_::from_fields(&f);
    let attempt = async {
        let patch = SignalPatch {
            name: Some(st.text("name")),
            unit: Some(st.text("unit")),
            scale: Some(st.num("scale").unwrap_or(1.0)),
            offset: Some(st.num("offset").unwrap_or(0.0)),
            source: read_source(&mut st),
            max_gap_s: st.num("max_gap_s"),
            enabled: Some(st.checkbox("enabled")),
        };
        if !st.errors.is_empty() {
            return Err(UiError::bad("Some fields need attention."));
        }
        s.app
            .update_signal(&v.ctx, id, version_of(&st), patch)
            .await?;
        Ok::<_, UiError>(())
    };
    match attempt.await {
        Ok(()) => Ok(Redirect::to(&format!("/signals/{id}")).into_response()),
        Err(e) => {
            let msg = st.absorb(&e, SIGNAL_INPUTS);
            refused_page(&s, &v, id, e.status, Refused::Settings(st, msg)).await
        }
    }
}

pub async fn add_rule(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let mut st = State_::from_fields(&f);
    let attempt = async {
        let name = st.text("name");
        let priority = Priority::parse(st.get("priority").unwrap_or("normal")).ok();
        let (params, template) = read_rule(&mut st);
        let (Some(params), true) = (params, st.errors.is_empty()) else {
            return Err(UiError::bad("Some fields need attention."));
        };
        s.app
            .add_rule(
                &v.ctx,
                id,
                NewRule {
                    name,
                    priority,
                    params,
                    work_order_template: template,
                },
            )
            .await?;
        Ok::<_, UiError>(())
    };
    match attempt.await {
        Ok(()) => Ok(Redirect::to(&format!("/signals/{id}")).into_response()),
        Err(e) => {
            let msg = st.absorb(&e, RULE_INPUTS);
            refused_page(&s, &v, id, e.status, Refused::NewRule(st, msg)).await
        }
    }
}

pub async fn update_rule(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, rule)): Path<(String, String)>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let rule = uuid_field("rule", &rule)?;
    let mut st = State_::from_fields(&f);
    let attempt = async {
        let name = st.text("name");
        let priority = Priority::parse(st.get("priority").unwrap_or("normal")).ok();
        let (params, template) = read_rule(&mut st);
        let (Some(params), true) = (params, st.errors.is_empty()) else {
            return Err(UiError::bad("Some fields need attention."));
        };
        s.app
            .update_rule(
                &v.ctx,
                id,
                rule,
                version_of(&st),
                RulePatch {
                    name: Some(name),
                    priority,
                    params: Some(params),
                    enabled: Some(st.checkbox("enabled")),
                    work_order_template: Some(template),
                },
            )
            .await?;
        Ok::<_, UiError>(())
    };
    match attempt.await {
        Ok(()) => Ok(Redirect::to(&format!("/signals/{id}")).into_response()),
        Err(e) => {
            let msg = st.absorb(&e, RULE_INPUTS);
            refused_page(&s, &v, id, e.status, Refused::Rule(rule, st, msg)).await
        }
    }
}

// ----- data for the chart, and as CSV -----

/// The trend of the signal in the path over the range asked for (the chart's JSON and the CSV).
async fn load_trend(
    s: &AppState,
    v: &Viewer,
    id: &str,
    q: &PageQuery,
) -> Result<overhaul_app::signals::Trend, UiError> {
    let id = uuid_field("id", id)?;
    let range = range_of(q.range.as_deref())?;
    Ok(s.app
        .signal_trend(
            &v.ctx,
            id,
            TrendQuery {
                range: Some(range),
                to: None,
            },
        )
        .await?)
}

pub async fn trend_json(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let t = load_trend(&s, &v, &id, &q).await?;
    Ok(axum::Json(t).into_response())
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; a leading character
/// a spreadsheet would run as a formula is neutralised.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub async fn trend_csv(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let t = load_trend(&s, &v, &id, &q).await?;
    // For the file name (both already checked by load_trend).
    let id = uuid_field("id", &id)?;
    let range = range_of(q.range.as_deref())?;
    let time = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(overhaul_core::time::canonical)
            .unwrap_or_default()
    };
    let mut out = String::new();
    if t.resolution == "raw" {
        out.push_str("time,value,unit\n");
        for p in &t.points {
            out.push_str(&format!(
                "{},{},{}\n",
                time(p.t_ms),
                p.avg,
                csv_field(&t.unit)
            ));
        }
    } else {
        out.push_str("hour,min,max,avg,count,unit\n");
        for p in &t.points {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                time(p.t_ms),
                p.min,
                p.max,
                p.avg,
                p.count,
                csv_field(&t.unit)
            ));
        }
    }
    let mut r = out.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(d) = HeaderValue::from_str(&format!(
        "attachment; filename=\"signal-{id}-{}.csv\"",
        range.as_str()
    )) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    Ok(r)
}

// ----- live values on the asset page -----

pub struct LiveLine {
    pub id: Uuid,
    pub name: String,
    pub value: String,
    pub unit: String,
    pub at: String,
    pub alarm: String,
    pub alarm_class: &'static str,
}

#[derive(Template)]
#[template(path = "signals/_live.html")]
struct LiveRows {
    signals: Vec<LiveLine>,
}

/// Worst first: an unacknowledged active alarm outranks an acknowledged one, which outranks an
/// unacknowledged return to normal.
fn severity(state: &str) -> u8 {
    match AlarmState::parse(state) {
        Ok(AlarmState::ActiveUnacknowledged) => 3,
        Ok(AlarmState::ActiveAcknowledged) => 2,
        Ok(AlarmState::ReturnedUnacknowledged) => 1,
        _ => 0,
    }
}

pub async fn live_lines(
    s: &AppState,
    ctx: &Ctx,
    asset: Uuid,
    tz: chrono_tz::Tz,
) -> Result<Vec<LiveLine>, UiError> {
    let views = s
        .app
        .list_signals(
            ctx,
            SignalQuery {
                asset_id: Some(asset),
                ..Default::default()
            },
        )
        .await?;
    let alarms = s
        .app
        .list_alarms(
            ctx,
            overhaul_app::alarms::AlarmQuery {
                asset_id: Some(asset),
                limit: Some(1000),
                ..Default::default()
            },
        )
        .await?;
    let mut out = Vec::new();
    for sv in views {
        let last = s.app.latest_reading(ctx, sv.signal.id).await?;
        let worst = alarms
            .iter()
            .filter(|a| a.alarm.signal_id == sv.signal.id)
            .map(|a| a.alarm.state.as_str())
            .max_by_key(|st| severity(st))
            .unwrap_or("normal");
        let (alarm, alarm_class) = alarm_badge(worst);
        out.push(LiveLine {
            id: sv.signal.id,
            name: sv.signal.name,
            value: last.map(|r| format!("{}", r.value)).unwrap_or("—".into()),
            unit: sv.signal.unit,
            at: last
                .and_then(|r| chrono::DateTime::from_timestamp_millis(r.ts_ms))
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| "no readings yet".into()),
            alarm,
            alarm_class,
        });
    }
    Ok(out)
}

pub async fn live(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let a = s.app.get_asset(&v.ctx, id).await?.asset;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zones.get(&a.site_id).map(|z| z.0).unwrap_or(chrono_tz::UTC);
    let signals = live_lines(&s, &v.ctx, id, tz).await?;
    Ok(render(&LiveRows { signals }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("mm/s"), "mm/s");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-12.5"), "-12.5", "numbers stay numbers");
        assert_eq!(csv_field("@x"), "'@x");
    }

    #[test]
    fn app_field_errors_land_next_to_their_inputs() {
        let mut st = State_::default();
        let e = UiError {
            status: StatusCode::BAD_REQUEST,
            heading: "Please check the form",
            message: "Some fields need attention.".into(),
            fields: vec![
                ("rules[0].params.limit".into(), "must be finite".into()),
                (
                    "work_order_template.title".into(),
                    "must not be empty".into(),
                ),
                ("something_else".into(), "odd".into()),
            ],
        };
        let msg = st.absorb(&e, RULE_INPUTS).unwrap();
        assert_eq!(
            st.errors.get("params.limit").map(String::as_str),
            Some("must be finite")
        );
        assert!(st.errors.contains_key("work_order_template.title"));
        assert!(msg.ends_with("something_else: odd"), "{msg}");
        // numbers typed wrong are refused on their field
        st.set("params.window_s", "ten");
        assert_eq!(st.num::<u32>("params.window_s"), None);
        assert_eq!(
            st.errors.get("params.window_s").map(String::as_str),
            Some("'ten' is not a number")
        );
        let sets = rule_sets(&st, true);
        let limit = sets
            .iter()
            .flat_map(|s| &s.inputs)
            .find(|i| i.name == "params.limit")
            .unwrap();
        assert_eq!(limit.error.as_deref(), Some("must be finite"));
        assert_eq!(limit.id(), "params-limit");
    }
}
