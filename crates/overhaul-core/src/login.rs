//! Browser login rules: how long a session lives, and when failed logins lock an account or an
//! address out for a while (password guessing is slowed down, never answered with a hint of
//! whether the account exists).

use chrono::{DateTime, Duration, Utc};

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long expires (a 12-hour shift plus handover fits).
    pub idle: Duration,
    /// No session lives longer than this after login, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::hours(13),
            absolute: Duration::days(7),
        }
    }
}

impl SessionPolicy {
    /// The expiry after activity at `now` of a session opened at `created`.
    pub fn expiry(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.idle).min(created + self.absolute)
    }

    /// Whether a session touched at `last_seen` should have its expiry written again at `now`.
    /// Sliding on every request would turn each page view into a write; a minute's precision is
    /// plenty for a 13-hour window.
    pub fn needs_touch(&self, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen >= Duration::minutes(1)
    }
}

/// Failed-login limits for one key (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed within `window` before the key is locked.
    pub max_failures: i64,
    pub window: Duration,
    pub lockout: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 wrong passwords in 15 minutes lock it for 15 minutes.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
    /// Per address: a shared plant terminal gets more room than one account.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 30,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
}

/// The counter kept for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// `Some(until)` while the key is locked out.
pub fn locked_until(state: Option<&ThrottleState>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    state.and_then(|s| s.locked_until).filter(|t| *t > now)
}

/// The counter after one more failure at `now`.
pub fn after_failure(
    state: Option<&ThrottleState>,
    now: DateTime<Utc>,
    policy: ThrottlePolicy,
) -> ThrottleState {
    let (failures, started) = match state {
        Some(s) if now - s.window_started_at < policy.window => {
            (s.failures + 1, s.window_started_at)
        }
        _ => (1, now),
    };
    let locked_until = if failures >= policy.max_failures {
        Some(now + policy.lockout)
    } else {
        state.and_then(|s| s.locked_until).filter(|t| *t > now)
    };
    // A lockout starts a fresh window, so the key is not re-locked by its own old failures.
    if locked_until.is_some() && failures >= policy.max_failures {
        ThrottleState {
            failures: 0,
            window_started_at: now,
            locked_until,
        }
    } else {
        ThrottleState {
            failures,
            window_started_at: started,
            locked_until,
        }
    }
}

/// How stale an API token's "last used" time may get before a request records it again: one
/// write per token per interval, not one per request.
pub const TOKEN_USE_RESOLUTION_SECS: i64 = 300;

/// Whether a request made with a token at `now` should update its "last used" time.
pub fn should_record_token_use(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match last_used {
        None => true,
        // A clock that went backwards also gets corrected.
        Some(t) => now - t >= Duration::seconds(TOKEN_USE_RESOLUTION_SECS) || t > now,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_use_is_recorded_once_per_resolution_interval() {
        use super::should_record_token_use as rec;
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .expect("time")
            .to_utc();
        let ago = |s: i64| Some(now - chrono::Duration::seconds(s));
        for (last, want) in [
            (None, true),
            (ago(0), false),
            (ago(299), false),
            (ago(300), true),
            (ago(86_400), true),
            (ago(-60), true), // recorded in the future: the clock was wrong
        ] {
            assert_eq!(rec(last, now), want, "{last:?}");
        }
    }

    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn session_expiry_slides_but_never_past_the_absolute_limit() {
        let p = SessionPolicy::default();
        // (created, now, expected expiry)
        let cases = [
            (t(0), t(0), t(13 * 60)),
            (t(0), t(60), t(14 * 60)),
            // six days and 20 hours in: idle would reach past 7 days, the cap wins
            (t(0), t(6 * 1440 + 20 * 60), t(7 * 1440)),
        ];
        for (created, now, want) in cases {
            assert_eq!(p.expiry(created, now), want, "created {created} now {now}");
        }
        assert!(!p.needs_touch(t(0), t(0) + Duration::seconds(59)));
        assert!(p.needs_touch(t(0), t(1)));
    }

    #[test]
    fn five_failures_lock_an_account_for_fifteen_minutes() {
        let p = ThrottlePolicy::ACCOUNT;
        let mut s: Option<ThrottleState> = None;
        for i in 0..4 {
            s = Some(after_failure(s.as_ref(), t(i), p));
            assert_eq!(locked_until(s.as_ref(), t(i)), None, "failure {}", i + 1);
        }
        assert_eq!(s.map(|s| s.failures), Some(4));
        s = Some(after_failure(s.as_ref(), t(4), p));
        assert_eq!(locked_until(s.as_ref(), t(4)), Some(t(19)));
        assert_eq!(locked_until(s.as_ref(), t(18)), Some(t(19)));
        assert_eq!(locked_until(s.as_ref(), t(19)), None, "the lock ends");
        // After the lock: a new failure starts over, it does not re-lock at once.
        s = Some(after_failure(s.as_ref(), t(20), p));
        assert_eq!(locked_until(s.as_ref(), t(20)), None);
        assert_eq!(s.map(|s| s.failures), Some(1));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_add_up() {
        let p = ThrottlePolicy::ACCOUNT;
        let mut s: Option<ThrottleState> = None;
        // one failure every 4 minutes: the window (15 min) restarts before five accumulate
        for i in 0..12 {
            s = Some(after_failure(s.as_ref(), t(i * 4), p));
            assert_eq!(
                locked_until(s.as_ref(), t(i * 4)),
                None,
                "failure at {}",
                i * 4
            );
        }
    }

    #[test]
    fn no_state_is_not_locked() {
        assert_eq!(locked_until(None, t(0)), None);
    }
}
