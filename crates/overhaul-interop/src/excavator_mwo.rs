//! `overhaul import excavator-mwo FILE`: the maintenance work orders of five hydraulic mining
//! excavators in Australia, 2001–2012 (Hodkiewicz & Ho 2016), as distributed with NIST nestor.
//!
//! Mapping (see README.md):
//! - site `EXCAVATORS` (time zone Australia/Perth, currency AUD), one area `EXC-FLEET`, each
//!   excavator an equipment `EXC-A`…`EXC-E`;
//! - each row a closed work order on its excavator, raised at 00:00 local time of
//!   `BscStartDate`, titled with `OriginalShorttext`; `PMType` chooses the work-order type and
//!   is kept in the description together with `Cost` (AUD);
//! - no failure report and no downtime are invented: the file says neither which repairs were
//!   functional failures nor how long the machines stood;
//! - rows whose order type or cost does not parse (the row with an unquoted comma in its text)
//!   are skipped and reported with their line.

use crate::hierarchy::{AssetSpec, Hierarchy};
use crate::ids::derived;
use crate::progress::Progress;
use crate::report::{Report, WORK_ORDERS};
use crate::source::{self, Record};
use crate::{ImportError, ImportKind};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use overhaul_app::import::HistoricWorkOrder;
use overhaul_app::sites::NewSite;
use overhaul_app::{App, Ctx};
use overhaul_core::asset::AssetLevel;
use overhaul_core::validation::parse_line;
use overhaul_core::work_order::{Priority, WorkOrderType};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use uuid::Uuid;

pub const SITE_CODE: &str = "EXCAVATORS";
pub const AREA_CODE: &str = "EXC-FLEET";
const TIMEZONE: Tz = chrono_tz::Australia::Perth;
const DATASET: &str = "excavator-mwo";
const BATCH: usize = 1_000;

/// SAP PM order types found in the file: the Overhaul work-order type and what the type means.
const ORDER_TYPES: [(&str, WorkOrderType, &str); 6] = [
    ("PM01", WorkOrderType::Corrective, "repair"),
    ("PM02", WorkOrderType::Preventive, "planned replacement"),
    (
        "PM04",
        WorkOrderType::Improvement,
        "capital work or upgrade",
    ),
    (
        "PM05",
        WorkOrderType::Preventive,
        "ground-engaging tools budget order",
    ),
    ("PM06", WorkOrderType::Corrective, "accident damage repair"),
    (
        "PM13",
        WorkOrderType::Corrective,
        "repair of a rotable part",
    ),
];

struct Order {
    date: NaiveDate,
    excavator: char,
    text: String,
    order_type: &'static str,
    kind: WorkOrderType,
    meaning: &'static str,
    /// AUD cents; negative amounts are credits.
    cost_cents: i64,
    cost_raw: String,
}

/// `183.05` → 18305 cents; at most two decimals, a leading minus allowed.
fn parse_cents(raw: &str) -> Option<i64> {
    let t = raw.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let (units, frac) = match t.split_once('.') {
        Some((u, f)) if digits(f) && f.len() <= 2 => (u, f),
        Some(_) => return None,
        None => (t, ""),
    };
    if !digits(units) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    let cents = units.checked_mul(100)?.checked_add(frac)?;
    Some(if neg { -cents } else { cents })
}

fn format_cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
}

fn parse_order(r: &Record) -> Result<Order, String> {
    let mut problems = Vec::new();
    let date = NaiveDate::parse_from_str(r.get(0).trim(), "%Y-%m-%d")
        .map_err(|_| problems.push(format!("BscStartDate '{}' is not YYYY-MM-DD", r.get(0))))
        .ok();
    let asset = r.get(1).trim();
    let excavator = match asset.chars().collect::<Vec<_>>()[..] {
        [c] if c.is_ascii_uppercase() => Some(c),
        _ => {
            problems.push(format!("Asset '{asset}' is not a single letter"));
            None
        }
    };
    let text = parse_line(r.get(2), 200)
        .map_err(|m| problems.push(format!("OriginalShorttext {m}")))
        .ok();
    let order_type = ORDER_TYPES.iter().find(|(t, _, _)| *t == r.get(3).trim());
    if order_type.is_none() {
        problems.push(format!(
            "PMType '{}' is not an order type ({})",
            r.get(3),
            ORDER_TYPES.map(|(t, _, _)| t).join(", ")
        ));
    }
    let cost = parse_cents(r.get(4));
    if cost.is_none() {
        problems.push(format!("Cost '{}' is not an amount", r.get(4)));
    }
    match (date, excavator, text, order_type, cost) {
        (Some(date), Some(excavator), Some(text), Some((t, kind, meaning)), Some(cost_cents))
            if problems.is_empty() =>
        {
            Ok(Order {
                date,
                excavator,
                text,
                order_type: t,
                kind: *kind,
                meaning,
                cost_cents,
                cost_raw: r.get(4).trim().to_owned(),
            })
        }
        _ => {
            let mut reason = problems.join("; ");
            if order_type.is_none() && cost.is_none() {
                reason.push_str(
                    " (the columns look shifted: probably an unquoted comma in the text)",
                );
            }
            Err(reason)
        }
    }
}

/// 00:00 local time at the site on `date`, in UTC.
fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match TIMEZONE.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Perth has no gap at midnight; fall back to UTC+8 should a zone rule ever add one.
        None => (naive - chrono::Duration::hours(8)).and_utc(),
    }
}

pub(crate) async fn import(
    app: &App,
    ctx: &Ctx,
    file: &Path,
    progress: &mut Progress,
) -> Result<Report, ImportError> {
    let f = source::read(
        file,
        &[
            "BscStartDate",
            "Asset",
            "OriginalShorttext",
            "PMType",
            "Cost",
        ],
    )?;
    let mut report = Report::new(ImportKind::ExcavatorMwo);
    report.rows_read = f.rows();
    progress.set_total(f.rows());
    report.skipped.extend(f.unreadable.iter().cloned());

    let mut orders: Vec<Order> = Vec::new();
    for r in &f.records {
        match parse_order(r) {
            Ok(o) => orders.push(o),
            Err(reason) => report.skipped.push(f.skip(r.line, reason)),
        }
    }

    let mut h = Hierarchy::open(
        app,
        ctx,
        NewSite {
            code: SITE_CODE.into(),
            name: "Mining excavator fleet (work-order history 2001-2012)".into(),
            timezone: TIMEZONE.name().into(),
            business_hours: None,
            currency: Some("AUD".into()),
            allow_anonymous_requests: false,
        },
        &mut report,
    )
    .await?;
    let area = h
        .ensure_asset(
            app,
            ctx,
            &mut report,
            AssetSpec {
                code: AREA_CODE,
                name: "Hydraulic mining excavators",
                level: AssetLevel::Area,
                parent: None,
            },
        )
        .await?;
    let letters: BTreeMap<char, ()> = orders.iter().map(|o| (o.excavator, ())).collect();
    let mut excavators: HashMap<char, Uuid> = HashMap::new();
    for letter in letters.keys() {
        let id = h
            .ensure_asset(
                app,
                ctx,
                &mut report,
                AssetSpec {
                    code: &format!("EXC-{letter}"),
                    name: &format!("Hydraulic mining excavator {letter}"),
                    level: AssetLevel::Equipment,
                    parent: Some(area),
                },
            )
            .await?;
        excavators.insert(*letter, id);
    }
    if let Some(first) = orders.iter().map(|o| o.date).min() {
        app.backdate_service_start(ctx, local_midnight(first), &h.touched)
            .await?;
    }

    // Identical rows occur (same day, machine, text, type and cost): the n-th of them keeps
    // the n-th id, so the file imports the same way every time.
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut work: Vec<HistoricWorkOrder> = Vec::with_capacity(orders.len());
    for o in &orders {
        let Some(asset) = excavators.get(&o.excavator) else {
            continue;
        };
        let content = format!(
            "{}|{}|{}|{}|{}",
            o.date, o.excavator, o.order_type, o.cost_raw, o.text
        );
        let n = occurrences.entry(content.clone()).or_default();
        *n += 1;
        let at = local_midnight(o.date);
        work.push(HistoricWorkOrder {
            id: derived(DATASET, &format!("wo/{content}#{n}")),
            asset_id: *asset,
            title: o.text.clone(),
            description: format!(
                "Order type {} ({}). Cost: {} AUD. Imported from the excavator work-order history (Hodkiewicz & Ho 2016).",
                o.order_type,
                o.meaning,
                format_cents(o.cost_cents)
            ),
            kind: o.kind,
            priority: Priority::Normal,
            created_at: at,
            started_at: Some(at),
            completed_at: Some(at),
            closed_at: at,
            failure: None,
            downtime: None,
        });
    }
    progress.advance(f.rows() - work.len());
    for chunk in work.chunks(BATCH) {
        let outcome = app.import_closed_work_orders(ctx, chunk).await?;
        let t = report.tally_mut(WORK_ORDERS);
        t.created += outcome.created;
        t.already_present += outcome.already_present;
        progress.advance(chunk.len());
    }
    report.notes.push(
        "no failure reports or downtime are recorded: the file does not say which repairs were functional failures, nor how long the machines stood".into(),
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        let cases = [
            ("183.05", Some(18_305)),
            ("0", Some(0)),
            ("407.4", Some(40_740)),
            ("-339.81", Some(-33_981)),
            ("1026684.2", Some(102_668_420)),
            ("PM01", None),
            ("", None),
            ("1.234", None),
            ("1.", None),
            (".5", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_cents(raw), want, "{raw}");
        }
        assert_eq!(format_cents(-33_981), "-339.81");
        assert_eq!(format_cents(40_740), "407.40");
    }

    #[test]
    fn the_shifted_row_is_refused_with_its_reason() {
        let r = Record {
            line: 3454,
            fields: ["2003-12-31", "B", "won", "t swing", "PM01"]
                .map(str::to_owned)
                .to_vec(),
        };
        let reason = parse_order(&r).err().unwrap_or_default();
        assert!(reason.contains("PMType 't swing'"), "{reason}");
        assert!(reason.contains("unquoted comma"), "{reason}");
    }

    #[test]
    fn dates_are_local_midnight_in_perth() {
        let d = NaiveDate::from_ymd_opt(2004, 7, 1).unwrap_or_default();
        assert_eq!(local_midnight(d).to_rfc3339(), "2004-06-30T16:00:00+00:00");
        // Western Australia's daylight-saving trial (summer 2006/07): UTC+9.
        let d = NaiveDate::from_ymd_opt(2007, 1, 15).unwrap_or_default();
        assert_eq!(local_midnight(d).to_rfc3339(), "2007-01-14T15:00:00+00:00");
    }
}
