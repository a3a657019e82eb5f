//! The state timeline of an asset: consecutive, non-overlapping intervals (running, standby,
//! down planned, down unplanned, decommissioned), the base of availability and MTBF.

use crate::asset::AssetStatus;
use crate::time::Instant;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub state: AssetStatus,
    pub start: Instant,
    /// `None` = still current.
    pub end: Option<Instant>,
    pub reason: Option<String>,
    /// The downtime record this span comes from, if any.
    pub downtime_id: Option<Uuid>,
}

fn ends_after(end: Option<Instant>, t: Instant) -> bool {
    end.is_none_or(|e| e > t)
}

/// True when span `s` overlaps `[start, end)` (`end = None` = open to the future).
pub fn overlaps(s: &Span, start: Instant, end: Option<Instant>) -> bool {
    ends_after(s.end, start) && end.is_none_or(|e| s.start < e)
}

/// Lays `new` over the timeline. `overlapping` are the existing spans that overlap `new`'s
/// range (in any order); they are replaced by the returned spans: the parts of them outside the
/// range, clipped, plus `new` itself. Spans outside the range are untouched.
pub fn splice(overlapping: &[Span], new: Span) -> Vec<Span> {
    let mut out = Vec::new();
    for s in overlapping {
        if s.start < new.start {
            out.push(Span {
                end: Some(new.start),
                ..s.clone()
            });
        }
        if let Some(ne) = new.end
            && ends_after(s.end, ne)
        {
            out.push(Span {
                start: ne.max(s.start),
                ..s.clone()
            });
        }
    }
    out.push(new);
    out.sort_by_key(|s| s.start);
    out
}

/// The state the asset is in after the splice: the open-ended span's, if any.
pub fn current_state(spans: &[Span]) -> Option<AssetStatus> {
    spans.iter().find(|s| s.end.is_none()).map(|s| s.state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t(h: i64) -> Instant {
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single().unwrap() + Duration::hours(h)
    }
    fn span(state: AssetStatus, a: i64, b: Option<i64>) -> Span {
        Span {
            state,
            start: t(a),
            end: b.map(t),
            reason: None,
            downtime_id: None,
        }
    }
    fn shape(v: &[Span]) -> Vec<(AssetStatus, i64, Option<i64>)> {
        v.iter()
            .map(|s| {
                (
                    s.state,
                    (s.start - t(0)).num_hours(),
                    s.end.map(|e| (e - t(0)).num_hours()),
                )
            })
            .collect()
    }

    #[test]
    fn splice_table() {
        // (existing overlapping spans, new span, expected result)
        let cases = vec![
            // downtime inside a running span that is still current
            (
                vec![span(Running, 0, None)],
                span(DownUnplanned, 10, Some(12)),
                vec![
                    (Running, 0, Some(10)),
                    (DownUnplanned, 10, Some(12)),
                    (Running, 12, None),
                ],
            ),
            // ongoing downtime: the rest of the timeline becomes down
            (
                vec![span(Running, 0, None)],
                span(DownPlanned, 5, None),
                vec![(Running, 0, Some(5)), (DownPlanned, 5, None)],
            ),
            // downtime spanning two existing spans
            (
                vec![span(Running, 0, Some(10)), span(Standby, 10, None)],
                span(DownUnplanned, 8, Some(14)),
                vec![
                    (Running, 0, Some(8)),
                    (DownUnplanned, 8, Some(14)),
                    (Standby, 14, None),
                ],
            ),
            // exactly covering an existing span replaces it
            (
                vec![span(Standby, 10, Some(20))],
                span(DownPlanned, 10, Some(20)),
                vec![(DownPlanned, 10, Some(20))],
            ),
            // a new span before the asset's first span
            (
                vec![],
                span(DownUnplanned, 0, Some(2)),
                vec![(DownUnplanned, 0, Some(2))],
            ),
            // ending a running-from-now status change
            (
                vec![span(DownPlanned, 5, None)],
                span(Running, 9, None),
                vec![(DownPlanned, 5, Some(9)), (Running, 9, None)],
            ),
        ];
        for (existing, new, expected) in cases {
            let new_dbg = (new.state, new.start, new.end);
            for e in &existing {
                assert!(
                    overlaps(e, new.start, new.end),
                    "test data: {e:?} must overlap"
                );
            }
            assert_eq!(shape(&splice(&existing, new)), expected, "{new_dbg:?}");
        }
    }

    #[test]
    fn overlap_rules() {
        let s = span(Running, 10, Some(20));
        assert!(overlaps(&s, t(19), Some(t(25))));
        assert!(
            !overlaps(&s, t(20), Some(t(25))),
            "touching at the end is not overlap"
        );
        assert!(
            !overlaps(&s, t(0), Some(t(10))),
            "touching at the start is not overlap"
        );
        assert!(overlaps(&span(Running, 10, None), t(100), None));
    }

    #[test]
    fn current() {
        let v = splice(&[span(Running, 0, None)], span(DownUnplanned, 3, Some(4)));
        assert_eq!(current_state(&v), Some(Running));
        let v = splice(&[span(Running, 0, None)], span(DownUnplanned, 3, None));
        assert_eq!(current_state(&v), Some(DownUnplanned));
    }
}
