//! Sites: time zone and business hours.

use crate::validation::Checks;
use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Parses an IANA time-zone name such as `Europe/Berlin`.
pub fn parse_timezone(raw: &str) -> Result<Tz, String> {
    raw.parse::<Tz>()
        .map_err(|_| format!("'{raw}' is not an IANA time zone such as Europe/Berlin"))
}

/// Opening hours of one weekday in the site's local time; `None` = closed that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// Local opening time, `HH:MM`.
    pub open: String,
    /// Local closing time, `HH:MM`, after `open`.
    pub close: String,
}

/// The business calendar of a week, Monday first (seven entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub days: Vec<Option<DayHours>>,
}

impl Default for BusinessHours {
    /// Monday to Friday 07:00–16:00, closed at weekends.
    fn default() -> Self {
        let day = Some(DayHours {
            open: "07:00".into(),
            close: "16:00".into(),
        });
        Self {
            days: vec![
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                None,
                None,
            ],
        }
    }
}

fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("'{s}' is not a time HH:MM"))
}

impl BusinessHours {
    pub fn check(&self, field: &str, checks: &mut Checks) {
        if self.days.len() != 7 {
            checks.push(
                format!("{field}.days"),
                "must list seven days, Monday first (null = closed)",
            );
            return;
        }
        for (i, d) in self.days.iter().enumerate() {
            let Some(d) = d else { continue };
            let f = format!("{field}.days[{i}]");
            let open = checks.take(&format!("{f}.open"), parse_hhmm(&d.open));
            let close = checks.take(&format!("{f}.close"), parse_hhmm(&d.close));
            if let (Some(o), Some(c)) = (open, close)
                && c <= o
            {
                checks.push(format!("{f}.close"), "must be after the opening time");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        assert!(parse_timezone("Europe/Berlin").is_ok());
        assert!(parse_timezone("America/New_York").is_ok());
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(parse_timezone("").is_err());
    }

    #[test]
    fn business_hours() {
        let mut c = Checks::new();
        BusinessHours::default().check("business_hours", &mut c);
        assert!(c.finish().is_ok());

        let mut bad = BusinessHours::default();
        bad.days[0] = Some(DayHours {
            open: "17:00".into(),
            close: "08:00".into(),
        });
        bad.days[1] = Some(DayHours {
            open: "25:00".into(),
            close: "08:00".into(),
        });
        let mut c = Checks::new();
        bad.check("business_hours", &mut c);
        let fields: Vec<String> = c
            .finish()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "business_hours.days[0].close",
                "business_hours.days[1].open"
            ]
        );

        let short = BusinessHours { days: vec![None] };
        let mut c = Checks::new();
        short.check("bh", &mut c);
        assert!(c.finish().is_err());
    }
}
