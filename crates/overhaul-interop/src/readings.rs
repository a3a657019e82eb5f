//! `overhaul import readings FILE.csv`: signal readings from a CSV file with a header naming
//! the columns `signal_id` (or `signal`, the signal's name), `time` (RFC 3339 or epoch
//! milliseconds) and `value` (the source's raw value; the signal's scaling is applied).
//!
//! Readings go through the same pipeline as live data (`App::ingest_readings`) in batches:
//! they are checked, stored with their rollups, and the rules see them. A reading stored
//! before is skipped, so importing a file twice adds nothing. Rows that cannot be read, and
//! readings the pipeline refuses (outside the retention window, not finite, unknown signal…),
//! are reported, never fatal.

use crate::progress::Progress;
use crate::report::{Report, Skipped};
use crate::{ImportError, ImportKind};
use chrono::DateTime;
use overhaul_app::signals::IncomingReading;
use overhaul_app::{App, Ctx};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

const BATCH: usize = 10_000;
const READINGS: &str = "readings";
/// Rows listed one by one in the report (the rest are counted).
const MAX_LISTED: usize = 200;

fn parse_time(raw: &str) -> Result<i64, String> {
    let t = raw.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .map_err(|_| format!("time '{t}' is neither RFC 3339 nor epoch milliseconds"))
}

pub(crate) async fn import(
    app: &App,
    ctx: &Ctx,
    path: &Path,
    progress: &mut Progress,
) -> Result<Report, ImportError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let read_err = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let format_err = |message: String| ImportError::Format {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(read_err)?;
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    progress.set_total(lines.saturating_sub(1));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| format_err(e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let by_id = col("signal_id");
    let by_name = col("signal");
    let (Some(time_col), Some(value_col)) = (col("time"), col("value")) else {
        return Err(format_err(
            "the header must name the columns time and value".into(),
        ));
    };
    if by_id.is_none() && by_name.is_none() {
        return Err(format_err(
            "the header must name a signal_id or a signal (name) column".into(),
        ));
    }
    let mut report = Report::new(ImportKind::Readings);
    report.tallies.clear();
    let mut names: HashMap<String, Result<Uuid, String>> = HashMap::new();
    let mut rejected: HashMap<String, usize> = HashMap::new();
    let skip = |report: &mut Report, line: u64, reason: String| {
        if report.skipped.len() < MAX_LISTED {
            report.skipped.push(Skipped {
                file: file.clone(),
                line,
                reason,
            });
        }
    };
    let cols = Columns {
        by_id,
        by_name,
        time: time_col,
        value: value_col,
    };
    let mut batch: Vec<IncomingReading> = Vec::with_capacity(BATCH);
    let mut batch_lines: Vec<u64> = Vec::with_capacity(BATCH);
    let mut skipped_rows = 0_usize;
    let mut records = reader.records();
    loop {
        let next = records.next();
        let done = next.is_none();
        if let Some(rec) = next {
            report.rows_read += 1;
            let line = report.rows_read as u64 + 1;
            let row = parse_row(app, ctx, &mut names, rec, cols).await;
            match row {
                Ok(r) => {
                    batch.push(r);
                    batch_lines.push(line);
                }
                Err(reason) => {
                    skipped_rows += 1;
                    skip(&mut report, line, reason);
                    progress.advance(1);
                }
            }
        }
        if batch.len() >= BATCH || (done && !batch.is_empty()) {
            let r = app.ingest_readings(ctx, &batch).await?;
            let t = report.tally_mut(READINGS);
            t.created += r.accepted - r.already_stored as usize;
            t.already_present += r.already_stored as usize;
            for (reason, n) in &r.rejected {
                *rejected.entry(reason.clone()).or_default() += n;
            }
            for x in &r.rejections {
                if let Some(line) = batch_lines.get(x.index) {
                    skip(&mut report, *line, format!("refused: {}", x.reason));
                }
            }
            progress.advance(batch.len());
            batch.clear();
            batch_lines.clear();
        }
        if done {
            break;
        }
    }
    let mut reasons: Vec<(String, usize)> = rejected.into_iter().collect();
    reasons.sort();
    for (reason, n) in reasons {
        report
            .notes
            .push(format!("{n} readings refused by the pipeline: {reason}"));
    }
    if skipped_rows > 0 {
        report
            .notes
            .push(format!("{skipped_rows} rows could not be read"));
    }
    Ok(report)
}

#[derive(Clone, Copy)]
struct Columns {
    by_id: Option<usize>,
    by_name: Option<usize>,
    time: usize,
    value: usize,
}

async fn parse_row(
    app: &App,
    ctx: &Ctx,
    names: &mut HashMap<String, Result<Uuid, String>>,
    rec: Result<csv::StringRecord, csv::Error>,
    cols: Columns,
) -> Result<IncomingReading, String> {
    let rec = rec.map_err(|e| e.to_string())?;
    let signal_id = match (cols.by_id, cols.by_name) {
        (Some(c), _) => {
            let raw = rec.get(c).unwrap_or("");
            Uuid::parse_str(raw).map_err(|_| format!("signal_id '{raw}' is not a UUID"))?
        }
        (None, Some(c)) => {
            let name = rec.get(c).unwrap_or("").to_owned();
            if !names.contains_key(&name) {
                let found = app
                    .signal_by_name(ctx, &name)
                    .await
                    .map_err(|e| e.to_string())?;
                names.insert(name.clone(), found);
            }
            names
                .get(&name)
                .cloned()
                .unwrap_or_else(|| Err("no such signal".into()))?
        }
        (None, None) => return Err("no signal column".into()),
    };
    let at_ms = parse_time(rec.get(cols.time).unwrap_or(""))?;
    let raw = rec.get(cols.value).unwrap_or("");
    let value = raw
        .parse::<f64>()
        .map_err(|_| format!("value '{raw}' is not a number"))?;
    Ok(IncomingReading {
        signal_id,
        at_ms,
        value,
    })
}
