//! What an alarm activation does to maintenance work: raise a work request (the default), raise
//! a work order from the rule's template, or — while the alarm's earlier work is still open —
//! add the occurrence to that work instead of creating more.

use super::alarm::WorkEffect;
use crate::validation::{Checks, parse_line, parse_text};
use crate::work_order::{Priority, WorkOrderStatus, WorkOrderType, WorkRequestStatus};
use crate::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The work order a rule raises when its alarm activates, instead of a work request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkTemplate {
    pub title: String,
    #[serde(rename = "type")]
    pub kind: WorkOrderType,
    pub priority: Priority,
    /// A published procedure revision of the asset's site, pinned on the raised work order.
    pub procedure_revision_id: Option<Uuid>,
    /// Planned labour in hours (written on the raised work order).
    pub estimated_hours: Option<f64>,
    /// Number of people the job needs (written on the raised work order).
    pub crew_size: Option<u32>,
    /// Instructions put first in the raised work order's description.
    pub description: Option<String>,
}

impl WorkTemplate {
    /// Checks every field; errors are named `{prefix}.{field}`.
    pub fn check(&self, prefix: &str) -> Result<(), Invalid> {
        let mut c = Checks::new();
        c.take(&format!("{prefix}.title"), parse_line(&self.title, 200));
        if let Some(d) = &self.description {
            c.take(&format!("{prefix}.description"), parse_text(d, 4_000));
        }
        if let Some(h) = self.estimated_hours
            && !(h.is_finite() && h > 0.0 && h <= 10_000.0)
        {
            c.push(
                format!("{prefix}.estimated_hours"),
                "must be a number of hours above 0 and at most 10000",
            );
        }
        if let Some(n) = self.crew_size
            && !(1..=100).contains(&n)
        {
            c.push(format!("{prefix}.crew_size"), "must be between 1 and 100");
        }
        c.finish()
    }

    /// The lines the raised work order's description starts with.
    pub fn instructions(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.description {
            out.push_str(d.trim());
            out.push_str("\n\n");
        }
        let mut est = Vec::new();
        if let Some(h) = self.estimated_hours {
            est.push(format!("{h} h"));
        }
        if let Some(n) = self.crew_size {
            est.push(format!("{n} {}", if n == 1 { "person" } else { "people" }));
        }
        if !est.is_empty() {
            out.push_str(&format!("Estimate: {}.\n", est.join(", ")));
        }
        out
    }
}

/// Where the work an alarm raised earlier stands: a work order it raised itself (its status), and
/// the work request it raised (its status and, once converted, its work order's status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EarlierWork {
    pub order: Option<WorkOrderStatus>,
    pub request: Option<(WorkRequestStatus, Option<WorkOrderStatus>)>,
}

/// The earlier work still open, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenWork {
    None,
    /// The alarm's own work order is open.
    Order,
    /// The work request is open or approved.
    Request,
    /// The work request was converted and its work order is open.
    ConvertedOrder,
}

pub fn open_work(w: EarlierWork) -> OpenWork {
    if w.order.is_some_and(WorkOrderStatus::is_open) {
        return OpenWork::Order;
    }
    match w.request {
        Some((WorkRequestStatus::Open | WorkRequestStatus::Approved, _)) => OpenWork::Request,
        Some((WorkRequestStatus::Converted, Some(s))) if s.is_open() => OpenWork::ConvertedOrder,
        _ => OpenWork::None,
    }
}

/// What to do with an activation's work effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkDecision {
    Nothing,
    /// Add the occurrence to the open request (its description).
    NoteRequest,
    /// Add the occurrence to the open work order (a comment).
    NoteOrder,
    RaiseRequest,
    RaiseOrderFromTemplate,
}

/// Open work is enriched, never duplicated. With nothing open, a rule with a template raises a
/// work order from it; without one, a work request. A chattering instrument is an instrument
/// fault, not the machine condition the template plans for, so it raises a work request.
pub fn decide_work(effect: WorkEffect, open: OpenWork, has_template: bool) -> WorkDecision {
    match (effect, open) {
        (WorkEffect::None, _) => WorkDecision::Nothing,
        (_, OpenWork::Request) => WorkDecision::NoteRequest,
        (_, OpenWork::Order | OpenWork::ConvertedOrder) => WorkDecision::NoteOrder,
        (WorkEffect::Raise, OpenWork::None) if has_template => WorkDecision::RaiseOrderFromTemplate,
        (WorkEffect::Raise | WorkEffect::FlagChattering, OpenWork::None) => {
            WorkDecision::RaiseRequest
        }
    }
}

/// Field errors of a template nested under `prefix`, for callers that collect several checks.
pub fn template_errors(t: &WorkTemplate, prefix: &str) -> Vec<FieldError> {
    t.check(prefix).err().map(|i| i.0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkOrderStatus as W;
    use WorkRequestStatus as R;

    #[test]
    fn open_work_by_status() {
        let cases: Vec<(EarlierWork, OpenWork)> = vec![
            (EarlierWork::default(), OpenWork::None),
            (
                EarlierWork {
                    order: Some(W::Requested),
                    request: None,
                },
                OpenWork::Order,
            ),
            (
                EarlierWork {
                    order: Some(W::OnHold),
                    request: None,
                },
                OpenWork::Order,
            ),
            (
                EarlierWork {
                    order: Some(W::Completed),
                    request: None,
                },
                OpenWork::None,
            ),
            (
                EarlierWork {
                    order: Some(W::Closed),
                    request: None,
                },
                OpenWork::None,
            ),
            (
                EarlierWork {
                    order: Some(W::Cancelled),
                    request: Some((R::Open, None)),
                },
                OpenWork::Request,
            ),
            (
                EarlierWork {
                    order: None,
                    request: Some((R::Approved, None)),
                },
                OpenWork::Request,
            ),
            (
                EarlierWork {
                    order: None,
                    request: Some((R::Rejected, None)),
                },
                OpenWork::None,
            ),
            (
                EarlierWork {
                    order: None,
                    request: Some((R::Converted, Some(W::InProgress))),
                },
                OpenWork::ConvertedOrder,
            ),
            (
                EarlierWork {
                    order: None,
                    request: Some((R::Converted, Some(W::Closed))),
                },
                OpenWork::None,
            ),
            // The alarm's own order wins over an older request that is still open.
            (
                EarlierWork {
                    order: Some(W::Scheduled),
                    request: Some((R::Open, None)),
                },
                OpenWork::Order,
            ),
        ];
        for (w, want) in cases {
            assert_eq!(open_work(w), want, "{w:?}");
        }
    }

    #[test]
    fn decisions() {
        use WorkDecision as D;
        use WorkEffect as E;
        let cases = [
            (E::None, OpenWork::None, true, D::Nothing),
            (E::None, OpenWork::Order, false, D::Nothing),
            (E::Raise, OpenWork::None, false, D::RaiseRequest),
            (E::Raise, OpenWork::None, true, D::RaiseOrderFromTemplate),
            (E::Raise, OpenWork::Order, true, D::NoteOrder),
            (E::Raise, OpenWork::ConvertedOrder, false, D::NoteOrder),
            (E::Raise, OpenWork::Request, true, D::NoteRequest),
            (E::FlagChattering, OpenWork::None, true, D::RaiseRequest),
            (E::FlagChattering, OpenWork::None, false, D::RaiseRequest),
            (E::FlagChattering, OpenWork::Order, true, D::NoteOrder),
            (E::FlagChattering, OpenWork::Request, false, D::NoteRequest),
        ];
        for (e, o, t, want) in cases {
            assert_eq!(decide_work(e, o, t), want, "{e:?} {o:?} template={t}");
        }
    }

    #[test]
    fn template_checks_and_instructions() {
        let ok = WorkTemplate {
            title: "Replace bearing".into(),
            kind: WorkOrderType::Predictive,
            priority: Priority::High,
            procedure_revision_id: None,
            estimated_hours: Some(2.5),
            crew_size: Some(2),
            description: Some("Lock out first.".into()),
        };
        assert_eq!(ok.check("t"), Ok(()));
        assert_eq!(
            ok.instructions(),
            "Lock out first.\n\nEstimate: 2.5 h, 2 people.\n"
        );
        let bad = WorkTemplate {
            title: "  ".into(),
            estimated_hours: Some(f64::NAN),
            crew_size: Some(0),
            description: Some("x".repeat(4_001)),
            ..ok.clone()
        };
        let fields: Vec<String> = template_errors(&bad, "work_order_template")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "work_order_template.title",
                "work_order_template.description",
                "work_order_template.estimated_hours",
                "work_order_template.crew_size"
            ]
        );
        for h in [0.0, -1.0, 10_000.5, f64::INFINITY] {
            let t = WorkTemplate {
                estimated_hours: Some(h),
                ..ok.clone()
            };
            assert!(t.check("t").is_err(), "{h}");
        }
        let one = WorkTemplate {
            description: None,
            estimated_hours: None,
            crew_size: Some(1),
            ..ok
        };
        assert_eq!(one.instructions(), "Estimate: 1 person.\n");
        let json = serde_json::json!({"title": "T", "type": "predictive", "priority": "high"});
        let t: WorkTemplate = serde_json::from_value(json).unwrap();
        assert_eq!(t.kind, WorkOrderType::Predictive);
        assert!(
            serde_json::from_value::<WorkTemplate>(
                serde_json::json!({"title": "T", "type": "x", "priority": "high"})
            )
            .is_err()
        );
    }
}
