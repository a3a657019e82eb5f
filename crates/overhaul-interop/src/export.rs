//! `overhaul export KIND`: the master tables as CSV, one row per record.
//!
//! Records are read through the application layer (the same views the API returns, with the
//! caller's permissions), page by page, and written as they come, so an export of a million work
//! orders never holds more than one page. Columns are the view's top-level fields in a stable
//! order (`id` first, then by name); a field holding an object or a list is written as its JSON
//! text, `null` as an empty cell, so nothing is lost and a spreadsheet opens the file as is.

use crate::Progress;
use overhaul_app::assets::AssetQuery;
use overhaul_app::work_orders::WorkOrderQuery;
use overhaul_app::work_requests::RequestQuery;
use overhaul_app::{App, AppError, Ctx};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::io::Write;
use uuid::Uuid;

/// The tables `overhaul export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Sites,
    Users,
    Assets,
    Meters,
    WorkRequests,
    WorkOrders,
    PmPlans,
    Signals,
}

impl ExportKind {
    pub const ALL: [ExportKind; 8] = [
        ExportKind::Sites,
        ExportKind::Users,
        ExportKind::Assets,
        ExportKind::Meters,
        ExportKind::WorkRequests,
        ExportKind::WorkOrders,
        ExportKind::PmPlans,
        ExportKind::Signals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Sites => "sites",
            ExportKind::Users => "users",
            ExportKind::Assets => "assets",
            ExportKind::Meters => "meters",
            ExportKind::WorkRequests => "work-requests",
            ExportKind::WorkOrders => "work-orders",
            ExportKind::PmPlans => "pm-plans",
            ExportKind::Signals => "signals",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "unknown export kind '{raw}': use one of {}",
                    Self::ALL.map(ExportKind::as_str).join(", ")
                )
            })
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    App(#[from] AppError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the export: {0}")]
    Csv(#[from] csv::Error),
    #[error("record {id}: {message}")]
    Shape { id: String, message: String },
}

/// Turns one record into cells by column name.
pub fn cells<T: Serialize>(record: &T) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(record).map_err(|e| e.to_string())? {
        Value::Object(m) => Ok(m),
        other => Err(format!("expected an object, got {other}")),
    }
}

/// The columns of a record: `id` first, then the rest by name.
pub fn columns(m: &Map<String, Value>) -> Vec<String> {
    let mut cols: Vec<String> = m.keys().filter(|k| *k != "id").cloned().collect();
    cols.sort();
    if m.contains_key("id") {
        cols.insert(0, "id".into());
    }
    cols
}

/// A cell's text: strings as they are, numbers and booleans as JSON writes them, `null` empty,
/// objects and lists as JSON text.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => v.to_string(),
    }
}

/// Writes records as CSV, taking the header from the first one.
struct Sheet<W: Write> {
    out: csv::Writer<W>,
    header: Option<Vec<String>>,
    rows: usize,
}

impl<W: Write> Sheet<W> {
    fn new(out: W) -> Self {
        Self {
            out: csv::Writer::from_writer(out),
            header: None,
            rows: 0,
        }
    }

    fn push<T: Serialize>(&mut self, record: &T) -> Result<(), ExportError> {
        let m = cells(record).map_err(|message| ExportError::Shape {
            id: "?".into(),
            message,
        })?;
        let header = match &self.header {
            Some(h) => h,
            None => {
                let h = columns(&m);
                self.out.write_record(&h)?;
                self.header.insert(h)
            }
        };
        if let Some(extra) = m.keys().find(|k| !header.contains(k)) {
            return Err(ExportError::Shape {
                id: m.get("id").map(cell_text).unwrap_or_default(),
                message: format!("has a field '{extra}' that the first record did not have"),
            });
        }
        let row: Vec<String> = header
            .iter()
            .map(|c| m.get(c).map(cell_text).unwrap_or_default())
            .collect();
        self.out.write_record(&row)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<usize, ExportError> {
        self.out.flush()?;
        Ok(self.rows)
    }
}

const PAGE: u32 = 500;

/// Writes every record of `kind` the caller may read (of one site, if given) to `out`; returns
/// the number of records.
pub async fn export<W: Write>(
    app: &App,
    ctx: &Ctx,
    kind: ExportKind,
    site_id: Option<Uuid>,
    out: W,
    progress: &mut Progress,
) -> Result<usize, ExportError> {
    let mut sheet = Sheet::new(out);
    let in_site = |s: Uuid| site_id.is_none_or(|x| x == s);
    match kind {
        ExportKind::Sites => {
            for s in app.list_sites(ctx).await? {
                if in_site(s.site.id) {
                    sheet.push(&s)?;
                }
            }
        }
        ExportKind::Users => {
            for u in app.list_users(ctx).await? {
                sheet.push(&u)?;
            }
        }
        ExportKind::Meters => {
            for m in app.list_meters(ctx, None).await? {
                sheet.push(&m)?;
            }
        }
        ExportKind::PmPlans => {
            for p in app.list_pm_plans(ctx, site_id, None).await? {
                sheet.push(&p)?;
            }
        }
        ExportKind::Signals => {
            let q = overhaul_app::signals::SignalQuery {
                site_id,
                asset_id: None,
                source_kind: None,
            };
            for s in app.list_signals(ctx, q).await? {
                sheet.push(&s)?;
            }
        }
        ExportKind::Assets => {
            let mut cursor = None;
            loop {
                let page = app
                    .list_assets(
                        ctx,
                        AssetQuery {
                            site_id,
                            limit: Some(PAGE),
                            cursor,
                            ..AssetQuery::default()
                        },
                    )
                    .await?;
                for a in &page.items {
                    sheet.push(a)?;
                }
                progress.advance(page.items.len());
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
        }
        ExportKind::WorkRequests => {
            let mut cursor = None;
            loop {
                let page = app
                    .list_work_requests(
                        ctx,
                        RequestQuery {
                            site_id,
                            asset_id: None,
                            status: None,
                            limit: Some(PAGE),
                            cursor,
                        },
                    )
                    .await?;
                for r in &page.items {
                    sheet.push(r)?;
                }
                progress.advance(page.items.len());
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
        }
        ExportKind::WorkOrders => {
            let mut cursor = None;
            loop {
                let page = app
                    .list_work_orders(
                        ctx,
                        WorkOrderQuery {
                            site_id,
                            limit: Some(PAGE),
                            cursor,
                            ..WorkOrderQuery::default()
                        },
                    )
                    .await?;
                for w in &page.items {
                    sheet.push(w)?;
                }
                progress.advance(page.items.len());
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
        }
    }
    let n = sheet.finish()?;
    progress.finish();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_keep_every_value_and_columns_are_stable() {
        let v = json!({"title": "Pump, \"P-1\"", "id": "a", "due": null, "n": 3, "ok": true,
                       "tags": ["x", "y"], "crit": {"c": 4}});
        let m = cells(&v).expect("object");
        assert_eq!(
            columns(&m),
            ["id", "crit", "due", "n", "ok", "tags", "title"]
        );
        let texts: Vec<String> = columns(&m).iter().map(|c| cell_text(&m[c])).collect();
        assert_eq!(
            texts,
            [
                "a",
                "{\"c\":4}",
                "",
                "3",
                "true",
                "[\"x\",\"y\"]",
                "Pump, \"P-1\""
            ]
        );
        assert!(cells(&json!([1])).is_err());
    }

    #[test]
    fn a_sheet_quotes_and_refuses_a_record_of_another_shape() {
        let mut buf = Vec::new();
        {
            let mut s = Sheet::new(&mut buf);
            s.push(&json!({"id": "1", "name": "a,b", "note": "line\nbreak"}))
                .expect("first");
            s.push(&json!({"id": "2", "name": "c"}))
                .expect("missing field is empty");
            let err = s
                .push(&json!({"id": "3", "name": "d", "surprise": 1}))
                .expect_err("new field");
            assert!(err.to_string().contains("record 3"), "{err}");
            assert_eq!(s.finish().expect("finish"), 2);
        }
        let text = String::from_utf8(buf).expect("utf8");
        assert_eq!(text, "id,name,note\n1,\"a,b\",\"line\nbreak\"\n2,c,\n");
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        for k in ExportKind::ALL {
            assert_eq!(ExportKind::parse(k.as_str()), Ok(k));
        }
        assert!(
            ExportKind::parse("workorders")
                .expect_err("unknown")
                .contains("work-orders")
        );
    }
}
