//! Plain-JSON payloads: a binding's JSON pointer selects a number, a boolean (1/0), or an
//! object `{"value": number|bool, "timestamp"|"ts": ms | RFC 3339}`.

use crate::counters::RejectReason;
use serde_json::Value;

/// A value taken from a payload, with its own timestamp when the payload gave one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extracted {
    pub value: f64,
    pub ts_ms: Option<i64>,
}

/// Parse a payload once; the pointers are applied with [`extract`].
pub fn parse(payload: &[u8]) -> Result<Value, RejectReason> {
    serde_json::from_slice(payload).map_err(|_| RejectReason::MalformedJson)
}

/// The value at `pointer` (RFC 6901; `""` is the whole document).
pub fn extract(doc: &Value, pointer: &str) -> Result<Extracted, RejectReason> {
    let v = doc.pointer(pointer).ok_or(RejectReason::MissingValue)?;
    match v {
        Value::Object(o) => {
            let value = scalar(o.get("value").ok_or(RejectReason::MissingValue)?)?;
            let ts = o.get("timestamp").or_else(|| o.get("ts"));
            let ts_ms = match ts {
                None | Some(Value::Null) => None,
                Some(t) => Some(timestamp(t)?),
            };
            Ok(Extracted { value, ts_ms })
        }
        other => Ok(Extracted {
            value: scalar(other)?,
            ts_ms: None,
        }),
    }
}

fn scalar(v: &Value) -> Result<f64, RejectReason> {
    match v {
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => {
            let f = n.as_f64().ok_or(RejectReason::WrongType)?;
            if f.is_finite() {
                Ok(f)
            } else {
                Err(RejectReason::NotFinite)
            }
        }
        _ => Err(RejectReason::WrongType),
    }
}

fn timestamp(v: &Value) -> Result<i64, RejectReason> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else {
                // Fractional milliseconds are truncated; out-of-range floats are rejected.
                let f = n.as_f64().ok_or(RejectReason::BadTimestamp)?;
                if f.is_finite() && f.abs() < 9.0e15 {
                    Ok(f.trunc() as i64)
                } else {
                    Err(RejectReason::BadTimestamp)
                }
            }
        }
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|_| RejectReason::BadTimestamp),
        _ => Err(RejectReason::BadTimestamp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table() {
        let doc = json!({
            "n": 1.5, "i": -3, "t": true, "f": false, "s": "1", "null": null, "arr": [7],
            "o": {"value": 2, "timestamp": 1_700_000_000_000_i64},
            "ots": {"value": false, "ts": "2024-01-02T03:04:05.250+01:00"},
            "ofrac": {"value": 1, "ts": 1_700_000_000_000.7},
            "onots": {"value": 4},
            "obad": {"value": 4, "ts": "yesterday"},
            "onov": {"v": 4},
            "onest": {"value": {"value": 1}},
        });
        let ok = |value, ts_ms| Ok(Extracted { value, ts_ms });
        let cases: Vec<(&str, Result<Extracted, RejectReason>)> = vec![
            ("/n", ok(1.5, None)),
            ("/i", ok(-3.0, None)),
            ("/t", ok(1.0, None)),
            ("/f", ok(0.0, None)),
            ("/arr/0", ok(7.0, None)),
            ("/o", ok(2.0, Some(1_700_000_000_000))),
            // 03:04:05.250 at +01:00 is 02:04:05.250 UTC.
            ("/ots", ok(0.0, Some(1_704_161_045_250))),
            ("/ofrac", ok(1.0, Some(1_700_000_000_000))),
            ("/onots", ok(4.0, None)),
            ("/s", Err(RejectReason::WrongType)),
            ("/null", Err(RejectReason::WrongType)),
            ("/arr", Err(RejectReason::WrongType)),
            ("/obad", Err(RejectReason::BadTimestamp)),
            ("/onov", Err(RejectReason::MissingValue)),
            ("/onest", Err(RejectReason::WrongType)),
            ("/absent", Err(RejectReason::MissingValue)),
            ("no-leading-slash", Err(RejectReason::MissingValue)),
        ];
        for (ptr, want) in cases {
            assert_eq!(extract(&doc, ptr), want, "{ptr}");
        }
        assert_eq!(extract(&json!(3), ""), ok(3.0, None));
    }

    #[test]
    fn malformed_json_and_out_of_range_numbers_are_rejected() {
        assert_eq!(parse(b"{\"a\":"), Err(RejectReason::MalformedJson));
        assert_eq!(parse(b"NaN"), Err(RejectReason::MalformedJson));
        // serde_json refuses numbers beyond f64; such a payload is not usable JSON.
        assert_eq!(parse(b"1e400"), Err(RejectReason::MalformedJson));
        assert!(parse(b"{\"a\":1}").is_ok());
    }
}
