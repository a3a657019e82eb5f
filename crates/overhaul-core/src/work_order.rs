//! Work orders and work requests: kinds, priorities and the guarded life cycle.

use crate::time::Instant;
use chrono::Duration;

text_enum!(
    /// What kind of work this is.
    WorkOrderType {
        Corrective => "corrective",
        Emergency => "emergency",
        Preventive => "preventive",
        Predictive => "predictive",
        Inspection => "inspection",
        Calibration => "calibration",
        Improvement => "improvement",
    }
);

text_enum!(
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

text_enum!(
    /// Life cycle: requested → approved → planned → ready → scheduled → in_progress ⇄ on_hold →
    /// completed → closed, or cancelled.
    WorkOrderStatus {
        Requested => "requested",
        Approved => "approved",
        Planned => "planned",
        Ready => "ready",
        Scheduled => "scheduled",
        InProgress => "in_progress",
        OnHold => "on_hold",
        Completed => "completed",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

impl WorkOrderStatus {
    /// Open = still work to do (everything before completion that was not cancelled).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            WorkOrderStatus::Completed | WorkOrderStatus::Closed | WorkOrderStatus::Cancelled
        )
    }

    pub fn open_statuses() -> Vec<WorkOrderStatus> {
        Self::ALL.iter().copied().filter(|s| s.is_open()).collect()
    }
}

/// The statuses a work order may move to from `from`.
///
/// Planning steps can be stepped back one at a time (a planned job whose parts fell through goes
/// back from ready to planned). Emergency work skips planning: it may start straight from
/// requested or approved. Completed work may be reopened (back to in progress) until it is closed.
/// Closed and cancelled are final.
pub fn allowed_transitions(from: WorkOrderStatus, kind: WorkOrderType) -> Vec<WorkOrderStatus> {
    use WorkOrderStatus::*;
    let mut next: Vec<WorkOrderStatus> = match from {
        Requested => vec![Approved, Cancelled],
        Approved => vec![Planned, Cancelled],
        Planned => vec![Ready, Approved, Cancelled],
        Ready => vec![Scheduled, Planned, Cancelled],
        Scheduled => vec![InProgress, Ready, Cancelled],
        InProgress => vec![OnHold, Completed],
        OnHold => vec![InProgress, Cancelled],
        Completed => vec![Closed, InProgress],
        Closed | Cancelled => vec![],
    };
    if kind == WorkOrderType::Emergency && matches!(from, Requested | Approved) {
        next.insert(0, InProgress);
    }
    next
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// The move is not in the life cycle; `allowed` names the moves that are.
    NotAllowed {
        from: WorkOrderStatus,
        to: WorkOrderStatus,
        allowed: Vec<WorkOrderStatus>,
    },
    /// Holding, cancelling and reopening must say why.
    ReasonRequired { to: WorkOrderStatus },
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionError::NotAllowed { from, to, allowed } => {
                let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                if list.is_empty() {
                    write!(
                        f,
                        "a {from} work order cannot change status (it is final); asked for {to}"
                    )
                } else {
                    write!(
                        f,
                        "cannot go from {from} to {to}; allowed: {}",
                        list.join(", ")
                    )
                }
            }
            TransitionError::ReasonRequired { to } => {
                write!(f, "moving to {to} needs a reason")
            }
        }
    }
}

/// What changes when a transition is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: WorkOrderStatus,
    pub to: WorkOrderStatus,
    /// The hold reason to store (set when going on hold, cleared otherwise).
    pub hold_reason: Option<String>,
    pub sets_started: bool,
    pub sets_completed: bool,
    pub sets_closed: bool,
    pub clears_completed: bool,
}

/// Decides a status change.
pub fn transition(
    from: WorkOrderStatus,
    to: WorkOrderStatus,
    kind: WorkOrderType,
    reason: Option<&str>,
) -> Result<Transition, TransitionError> {
    use WorkOrderStatus::*;
    let allowed = allowed_transitions(from, kind);
    if !allowed.contains(&to) {
        return Err(TransitionError::NotAllowed { from, to, allowed });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let reopening = from == Completed && to == InProgress;
    if (to == OnHold || to == Cancelled || reopening) && reason.is_none() {
        return Err(TransitionError::ReasonRequired { to });
    }
    Ok(Transition {
        from,
        to,
        hold_reason: if to == OnHold {
            reason.map(str::to_owned)
        } else {
            None
        },
        sets_started: to == InProgress && from != OnHold && !reopening,
        sets_completed: to == Completed,
        sets_closed: to == Closed,
        clears_completed: reopening,
    })
}

text_enum!(
    /// Triage state of a work request.
    WorkRequestStatus {
        Open => "open",
        Approved => "approved",
        Rejected => "rejected",
        Converted => "converted",
    }
);

/// A request may be approved or rejected while open, and converted while open or approved.
pub fn check_request_triage(from: WorkRequestStatus, to: WorkRequestStatus) -> Result<(), String> {
    use WorkRequestStatus::*;
    let ok = matches!(
        (from, to),
        (Open, Approved) | (Open, Rejected) | (Open, Converted) | (Approved, Converted)
    );
    if ok {
        Ok(())
    } else {
        Err(format!("a request that is {from} cannot become {to}"))
    }
}

/// Longest single labour entry accepted (a shift with overtime); longer ones are typing errors.
pub const MAX_LABOR: Duration = Duration::hours(24);

/// Checks a labour entry and returns its length in whole minutes (rounded to nearest).
pub fn labor_minutes(started_at: Instant, ended_at: Instant) -> Result<i64, String> {
    if ended_at <= started_at {
        return Err("must be after started_at".into());
    }
    let d = ended_at - started_at;
    if d > MAX_LABOR {
        return Err("a single labour entry cannot exceed 24 hours; split it".into());
    }
    Ok((d.num_seconds() + 30) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkOrderStatus::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn life_cycle_table() {
        let c = WorkOrderType::Corrective;
        let e = WorkOrderType::Emergency;
        // (from, to, kind, reason, ok)
        let cases: &[(
            WorkOrderStatus,
            WorkOrderStatus,
            WorkOrderType,
            Option<&str>,
            bool,
        )] = &[
            (Requested, Approved, c, None, true),
            (Approved, Planned, c, None, true),
            (Planned, Ready, c, None, true),
            (Ready, Scheduled, c, None, true),
            (Scheduled, InProgress, c, None, true),
            (InProgress, OnHold, c, Some("waiting for parts"), true),
            (InProgress, OnHold, c, None, false),
            (InProgress, OnHold, c, Some("   "), false),
            (OnHold, InProgress, c, None, true),
            (InProgress, Completed, c, None, true),
            (Completed, Closed, c, None, true),
            (Completed, InProgress, c, Some("leak came back"), true),
            (Completed, InProgress, c, None, false),
            (Requested, Cancelled, c, Some("duplicate"), true),
            (Requested, Cancelled, c, None, false),
            (Requested, InProgress, c, None, false),
            (Requested, InProgress, e, None, true),
            (Approved, InProgress, e, None, true),
            (Planned, InProgress, e, None, false),
            (Requested, Completed, c, None, false),
            (InProgress, Cancelled, c, Some("x"), false),
            (Closed, InProgress, c, Some("x"), false),
            (Cancelled, Requested, c, None, false),
            (Ready, Planned, c, None, true),
            (Scheduled, Ready, c, None, true),
            (Scheduled, Scheduled, c, None, false),
        ];
        for (from, to, kind, reason, ok) in cases {
            assert_eq!(
                transition(*from, *to, *kind, *reason).is_ok(),
                *ok,
                "{from} -> {to} ({kind}, {reason:?})"
            );
        }
    }

    #[test]
    fn refusal_names_allowed_moves() {
        let err = transition(Requested, Completed, WorkOrderType::Corrective, None).unwrap_err();
        assert_eq!(
            err,
            TransitionError::NotAllowed {
                from: Requested,
                to: Completed,
                allowed: vec![Approved, Cancelled]
            }
        );
        assert_eq!(
            err.to_string(),
            "cannot go from requested to completed; allowed: approved, cancelled"
        );
        let final_err = transition(Closed, Approved, WorkOrderType::Corrective, None).unwrap_err();
        assert!(final_err.to_string().contains("final"));
    }

    #[test]
    fn effects() {
        let c = WorkOrderType::Corrective;
        let t = transition(Scheduled, InProgress, c, None).unwrap();
        assert!(t.sets_started && !t.sets_completed);
        let t = transition(OnHold, InProgress, c, None).unwrap();
        assert!(!t.sets_started, "resuming keeps the first start time");
        let t = transition(InProgress, OnHold, c, Some(" parts ")).unwrap();
        assert_eq!(t.hold_reason.as_deref(), Some("parts"));
        let t = transition(Completed, InProgress, c, Some("again")).unwrap();
        assert!(t.clears_completed && !t.sets_started);
        assert!(transition(Completed, Closed, c, None).unwrap().sets_closed);
    }

    #[test]
    fn every_status_reaches_a_final_state() {
        // From any status, following allowed moves reaches closed or cancelled.
        for start in WorkOrderStatus::ALL {
            let mut seen = vec![*start];
            let mut frontier = vec![*start];
            while let Some(s) = frontier.pop() {
                for n in allowed_transitions(s, WorkOrderType::Corrective) {
                    if !seen.contains(&n) {
                        seen.push(n);
                        frontier.push(n);
                    }
                }
            }
            assert!(
                seen.contains(&Closed) || seen.contains(&Cancelled),
                "{start}"
            );
        }
    }

    #[test]
    fn open_statuses() {
        assert_eq!(WorkOrderStatus::open_statuses().len(), 7);
        assert!(!Completed.is_open() && !Cancelled.is_open() && OnHold.is_open());
    }

    #[test]
    fn request_triage() {
        use WorkRequestStatus::*;
        assert!(check_request_triage(Open, Approved).is_ok());
        assert!(check_request_triage(Approved, Converted).is_ok());
        assert!(check_request_triage(Rejected, Converted).is_err());
        assert!(check_request_triage(Converted, Open).is_err());
        assert!(check_request_triage(Approved, Rejected).is_err());
    }

    #[test]
    fn labor() {
        let t = Utc.with_ymd_and_hms(2026, 2, 2, 7, 0, 0).single().unwrap();
        assert_eq!(labor_minutes(t, t + Duration::minutes(90)), Ok(90));
        assert_eq!(labor_minutes(t, t + Duration::seconds(89)), Ok(1));
        assert!(labor_minutes(t, t).is_err());
        assert!(labor_minutes(t, t - Duration::minutes(5)).is_err());
        assert!(labor_minutes(t, t + Duration::hours(25)).is_err());
    }
}
