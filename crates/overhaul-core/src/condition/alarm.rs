//! The ISA-18.2 alarm state machine, and what an alarm change means for maintenance work.
//!
//! States: normal; active and unacknowledged; active and acknowledged; returned to normal but
//! still unacknowledged. Beside the state: shelving (by an operator, until a time; a shelved
//! alarm neither annunciates nor raises work and unshelves itself when the time has passed),
//! suppression by design (the asset is down for planned maintenance) and chattering (at least N
//! activations within a window of reading time: flagged once, after which its activations raise
//! no new work).

use crate::time::Instant;
use chrono::Duration;

text_enum!(
    AlarmState {
        Normal => "normal",
        ActiveUnacknowledged => "active_unacknowledged",
        ActiveAcknowledged => "active_acknowledged",
        ReturnedUnacknowledged => "returned_unacknowledged",
    }
);

impl AlarmState {
    pub fn is_active(self) -> bool {
        matches!(
            self,
            AlarmState::ActiveUnacknowledged | AlarmState::ActiveAcknowledged
        )
    }
}

text_enum!(
    /// What happened to an alarm (kept in its history).
    AlarmEventKind {
        Activated => "activated",
        Cleared => "cleared",
        Acknowledged => "acknowledged",
        Shelved => "shelved",
        Unshelved => "unshelved",
        ShelfExpired => "shelf_expired",
    }
);

/// The longest an operator may shelve an alarm.
pub const MAX_SHELVE_HOURS: i64 = 7 * 24;

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub state: AlarmState,
    pub shelved_until: Option<Instant>,
    /// The last activation came while the asset was down for planned maintenance.
    pub suppressed: bool,
    pub chattering: bool,
    /// Reading times (epoch ms) of the activations inside the chatter window, oldest first.
    pub recent_activations: Vec<i64>,
    pub activation_count: i64,
}

impl Default for Alarm {
    fn default() -> Self {
        Self {
            state: AlarmState::Normal,
            shelved_until: None,
            suppressed: false,
            chattering: false,
            recent_activations: Vec::new(),
            activation_count: 0,
        }
    }
}

/// Chattering: at least `activations` activations within `window_ms` of reading time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatterPolicy {
    pub activations: usize,
    pub window_ms: i64,
}

impl Default for ChatterPolicy {
    /// The ISA-18.2 rule of thumb: 3 activations in 60 seconds.
    fn default() -> Self {
        Self {
            activations: 3,
            window_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// The rule's condition became active at this reading time.
    Activate {
        at_ms: i64,
    },
    /// The rule's condition cleared.
    Clear {
        at_ms: i64,
    },
    Acknowledge,
    Shelve {
        until: Instant,
    },
    Unshelve,
}

/// What the alarm is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Env {
    pub now: Instant,
    /// The asset is down for planned maintenance.
    pub suppressed_by_design: bool,
    pub chatter: ChatterPolicy,
}

/// What the maintenance side should do about an activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkEffect {
    None,
    /// Raise work (or, while the alarm's work is still open, add the occurrence to it).
    Raise,
    /// The alarm has just started chattering: one item flagged "chattering instrument" (or a
    /// note on the open work); its further activations raise nothing.
    FlagChattering,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub alarm: Alarm,
    /// In order; empty when the command changed nothing.
    pub events: Vec<AlarmEventKind>,
    /// Whether operators are to be told (not shelved, not suppressed).
    pub annunciate: bool,
    pub work: WorkEffect,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("only an unacknowledged alarm can be acknowledged (this one is {0})")]
    NotUnacknowledged(AlarmState),
    #[error("the alarm is not shelved")]
    NotShelved,
    #[error("shelve until a time in the future")]
    ShelveNotInFuture,
    #[error("an alarm can be shelved for at most {MAX_SHELVE_HOURS} hours")]
    ShelveTooLong,
}

/// Applies a command to an alarm. An expired shelf is removed first (recorded as an event).
pub fn apply(alarm: &Alarm, cmd: &Command, env: &Env) -> Result<Outcome, Rejection> {
    let mut a = alarm.clone();
    let mut events = Vec::new();
    if a.shelved_until.is_some_and(|u| u <= env.now) {
        a.shelved_until = None;
        events.push(AlarmEventKind::ShelfExpired);
    }
    let mut annunciate = false;
    let mut work = WorkEffect::None;
    match cmd {
        Command::Activate { at_ms } => {
            if !a.state.is_active() {
                let window = env.chatter.window_ms;
                a.recent_activations.retain(|t| *t > at_ms - window);
                a.recent_activations.push(*at_ms);
                a.activation_count += 1;
                let was_chattering = a.chattering;
                a.chattering = a.recent_activations.len() >= env.chatter.activations;
                a.state = AlarmState::ActiveUnacknowledged;
                a.suppressed = env.suppressed_by_design;
                annunciate = a.shelved_until.is_none() && !a.suppressed;
                work = match (annunciate, a.chattering, was_chattering) {
                    (false, _, _) => WorkEffect::None,
                    (true, false, _) => WorkEffect::Raise,
                    (true, true, false) => WorkEffect::FlagChattering,
                    (true, true, true) => WorkEffect::None,
                };
                events.push(AlarmEventKind::Activated);
            }
        }
        Command::Clear { .. } => {
            let next = match a.state {
                // Nobody was told about a shelved or suppressed activation: nothing to
                // acknowledge once it has cleared.
                AlarmState::ActiveUnacknowledged if a.shelved_until.is_none() && !a.suppressed => {
                    Some(AlarmState::ReturnedUnacknowledged)
                }
                AlarmState::ActiveUnacknowledged | AlarmState::ActiveAcknowledged => {
                    Some(AlarmState::Normal)
                }
                _ => None,
            };
            if let Some(s) = next {
                a.state = s;
                events.push(AlarmEventKind::Cleared);
            }
        }
        Command::Acknowledge => {
            a.state = match a.state {
                AlarmState::ActiveUnacknowledged => AlarmState::ActiveAcknowledged,
                AlarmState::ReturnedUnacknowledged => AlarmState::Normal,
                s => return Err(Rejection::NotUnacknowledged(s)),
            };
            events.push(AlarmEventKind::Acknowledged);
        }
        Command::Shelve { until } => {
            if *until <= env.now {
                return Err(Rejection::ShelveNotInFuture);
            }
            if *until > env.now + Duration::hours(MAX_SHELVE_HOURS) {
                return Err(Rejection::ShelveTooLong);
            }
            a.shelved_until = Some(*until);
            events.push(AlarmEventKind::Shelved);
        }
        Command::Unshelve => {
            if a.shelved_until.take().is_some() {
                events.push(AlarmEventKind::Unshelved);
            } else if events.is_empty() {
                return Err(Rejection::NotShelved);
            }
        }
    }
    Ok(Outcome {
        alarm: a,
        events,
        annunciate,
        work,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::*;
    use chrono::{TimeZone, Utc};

    fn now() -> Instant {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().unwrap()
    }

    fn env() -> Env {
        Env {
            now: now(),
            suppressed_by_design: false,
            chatter: ChatterPolicy::default(),
        }
    }

    fn with(state: AlarmState) -> Alarm {
        Alarm {
            state,
            ..Alarm::default()
        }
    }

    #[test]
    fn state_table() {
        let act = Command::Activate { at_ms: 1_000 };
        let clr = Command::Clear { at_ms: 2_000 };
        let ack = Command::Acknowledge;
        // (from, command, Ok(to) / Err)
        let cases: Vec<(AlarmState, Command, Result<AlarmState, Rejection>)> = vec![
            (Normal, act.clone(), Ok(ActiveUnacknowledged)),
            (
                ReturnedUnacknowledged,
                act.clone(),
                Ok(ActiveUnacknowledged),
            ),
            (ActiveAcknowledged, act.clone(), Ok(ActiveAcknowledged)),
            (
                ActiveUnacknowledged,
                clr.clone(),
                Ok(ReturnedUnacknowledged),
            ),
            (ActiveAcknowledged, clr.clone(), Ok(Normal)),
            (Normal, clr.clone(), Ok(Normal)),
            (ActiveUnacknowledged, ack.clone(), Ok(ActiveAcknowledged)),
            (ReturnedUnacknowledged, ack.clone(), Ok(Normal)),
            (
                Normal,
                ack.clone(),
                Err(Rejection::NotUnacknowledged(Normal)),
            ),
            (
                ActiveAcknowledged,
                ack.clone(),
                Err(Rejection::NotUnacknowledged(ActiveAcknowledged)),
            ),
            (Normal, Command::Unshelve, Err(Rejection::NotShelved)),
            (
                Normal,
                Command::Shelve { until: now() },
                Err(Rejection::ShelveNotInFuture),
            ),
            (
                Normal,
                Command::Shelve {
                    until: now() + Duration::hours(MAX_SHELVE_HOURS + 1),
                },
                Err(Rejection::ShelveTooLong),
            ),
        ];
        for (from, cmd, want) in cases {
            let got = apply(&with(from), &cmd, &env()).map(|o| o.alarm.state);
            assert_eq!(got, want, "{from} {cmd:?}");
        }
    }

    #[test]
    fn an_activation_raises_work_once_and_chattering_is_flagged_once() {
        let e = env();
        let mut a = Alarm::default();
        let mut effects = Vec::new();
        // activations at 0 s, 20 s, 40 s (3 within 60 s: chattering), 50 s, then 200 s (quiet)
        for t in [0, 20, 40, 50, 200] {
            let o = apply(&a, &Command::Activate { at_ms: t * 1000 }, &e).unwrap();
            effects.push((o.work, o.alarm.chattering));
            a = apply(
                &o.alarm,
                &Command::Clear {
                    at_ms: t * 1000 + 5,
                },
                &e,
            )
            .unwrap()
            .alarm;
        }
        assert_eq!(
            effects,
            vec![
                (WorkEffect::Raise, false),
                (WorkEffect::Raise, false),
                (WorkEffect::FlagChattering, true),
                (WorkEffect::None, true),
                (WorkEffect::Raise, false),
            ]
        );
        assert_eq!(a.activation_count, 5);
        assert_eq!(a.recent_activations, vec![200_000]);
    }

    #[test]
    fn shelved_and_suppressed_alarms_stay_quiet() {
        let shelved = Alarm {
            shelved_until: Some(now() + Duration::hours(1)),
            ..Alarm::default()
        };
        let o = apply(&shelved, &Command::Activate { at_ms: 0 }, &env()).unwrap();
        assert_eq!((o.annunciate, o.work), (false, WorkEffect::None));
        assert_eq!(o.alarm.state, ActiveUnacknowledged);
        // clearing an activation nobody was shown leaves nothing to acknowledge
        let o = apply(&o.alarm, &Command::Clear { at_ms: 1 }, &env()).unwrap();
        assert_eq!(o.alarm.state, Normal);

        let down = Env {
            suppressed_by_design: true,
            ..env()
        };
        let o = apply(&Alarm::default(), &Command::Activate { at_ms: 0 }, &down).unwrap();
        assert_eq!((o.annunciate, o.work), (false, WorkEffect::None));
        assert!(o.alarm.suppressed);
    }

    #[test]
    fn a_shelf_expires_by_itself() {
        let a = Alarm {
            shelved_until: Some(now() - Duration::minutes(1)),
            ..Alarm::default()
        };
        let o = apply(&a, &Command::Activate { at_ms: 0 }, &env()).unwrap();
        assert_eq!(
            o.events,
            vec![AlarmEventKind::ShelfExpired, AlarmEventKind::Activated]
        );
        assert_eq!((o.annunciate, o.work), (true, WorkEffect::Raise));
        // unshelving an alarm whose shelf has just run out is not an error
        let o = apply(&a, &Command::Unshelve, &env()).unwrap();
        assert_eq!(o.events, vec![AlarmEventKind::ShelfExpired]);
        assert_eq!(o.alarm.shelved_until, None);
        // shelve, then unshelve
        let until = now() + Duration::hours(8);
        let o = apply(&Alarm::default(), &Command::Shelve { until }, &env()).unwrap();
        assert_eq!(o.alarm.shelved_until, Some(until));
        let o = apply(&o.alarm, &Command::Unshelve, &env()).unwrap();
        assert_eq!(o.events, vec![AlarmEventKind::Unshelved]);
    }
}
