//! Assets: the ISA-95 equipment hierarchy, ISO 14224 equipment classes, criticality and status.

use serde::{Deserialize, Serialize};

text_enum!(
    /// ISA-95 role-based equipment level below the site.
    AssetLevel {
        Area => "area",
        WorkCenter => "work_center",
        WorkUnit => "work_unit",
        Equipment => "equipment",
        Component => "component",
    }
);

impl AssetLevel {
    /// Depth below the site: area = 1 … component = 5.
    pub fn depth(self) -> u8 {
        match self {
            AssetLevel::Area => 1,
            AssetLevel::WorkCenter => 2,
            AssetLevel::WorkUnit => 3,
            AssetLevel::Equipment => 4,
            AssetLevel::Component => 5,
        }
    }
}

/// Where an asset may sit: a root asset (directly under the site) must be an area; a child must
/// be at a deeper level than its parent (levels may be skipped: a pump can sit directly in an
/// area when the plant has no lines).
pub fn check_placement(level: AssetLevel, parent: Option<AssetLevel>) -> Result<(), String> {
    match parent {
        None if level != AssetLevel::Area => Err(format!(
            "a {} needs a parent; only an area sits directly under the site",
            level.as_str()
        )),
        Some(p) if level.depth() <= p.depth() => Err(format!(
            "a {} cannot be placed under a {}: a child must be at a lower level (area › work_center › work_unit › equipment › component)",
            level.as_str(),
            p.as_str()
        )),
        _ => Ok(()),
    }
}

/// Refuses a re-parenting that would make an asset its own ancestor.
/// `new_parent_ancestry` is the new parent followed by its ancestors up to the root.
pub fn check_no_cycle<T: PartialEq>(asset: T, new_parent_ancestry: &[T]) -> Result<(), String> {
    if new_parent_ancestry.contains(&asset) {
        Err("would make the asset its own ancestor".into())
    } else {
        Ok(())
    }
}

text_enum!(
    /// Operating status; the time spent in each is kept as state intervals.
    AssetStatus {
        Running => "running",
        Standby => "standby",
        DownPlanned => "down_planned",
        DownUnplanned => "down_unplanned",
        Decommissioned => "decommissioned",
    }
);

impl AssetStatus {
    pub fn is_down(self) -> bool {
        matches!(self, AssetStatus::DownPlanned | AssetStatus::DownUnplanned)
    }
}

/// Consequence × likelihood, each 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criticality {
    /// Consequence of a failure, 1 (negligible) to 5 (catastrophic).
    pub consequence: u8,
    /// Likelihood of a failure, 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
}

text_enum!(
    /// Band of the 5 × 5 risk matrix.
    RiskBand {
        Low => "low",
        Medium => "medium",
        High => "high",
        Extreme => "extreme",
    }
);

impl Criticality {
    pub fn new(consequence: u8, likelihood: u8) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errs = Vec::new();
        if !(1..=5).contains(&consequence) {
            errs.push(("consequence", "must be between 1 and 5".to_string()));
        }
        if !(1..=5).contains(&likelihood) {
            errs.push(("likelihood", "must be between 1 and 5".to_string()));
        }
        if errs.is_empty() {
            Ok(Self {
                consequence,
                likelihood,
            })
        } else {
            Err(errs)
        }
    }

    /// Risk score 1–25.
    pub fn score(self) -> u8 {
        self.consequence * self.likelihood
    }

    /// Low 1–4, medium 5–9, high 10–16, extreme 20–25 (the common 5 × 5 banding).
    pub fn band(self) -> RiskBand {
        match self.score() {
            0..=4 => RiskBand::Low,
            5..=9 => RiskBand::Medium,
            10..=16 => RiskBand::High,
            _ => RiskBand::Extreme,
        }
    }
}

/// ISO 14224:2016 Table A.4 equipment class codes (the subset in our standards notes).
pub const EQUIPMENT_CLASSES: &[(&str, &str)] = &[
    ("BL", "Blowers and fans"),
    ("CL", "Control logic units"),
    ("CO", "Compressors"),
    ("CR", "Cranes"),
    ("EG", "Electric generators"),
    ("EM", "Electric motors"),
    ("FC", "Frequency converters"),
    ("FG", "Fire and gas detectors"),
    ("FS", "Filters and strainers"),
    ("GT", "Gas turbines"),
    ("HE", "Heat exchangers"),
    ("ID", "Input devices"),
    ("PI", "Piping"),
    ("PT", "Power transformers"),
    ("PU", "Pumps"),
    ("SG", "Switchgear"),
    ("ST", "Steam turbines"),
    ("UP", "Uninterruptible power supplies"),
    ("VA", "Valves"),
    ("VE", "Pressure vessels"),
];

pub fn parse_equipment_class(raw: &str) -> Result<String, String> {
    if EQUIPMENT_CLASSES.iter().any(|(c, _)| *c == raw) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "'{}' is not an ISO 14224 equipment class code; use one of {}",
            raw.chars().take(16).collect::<String>(),
            EQUIPMENT_CLASSES
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AssetId;
    use AssetLevel::*;

    #[test]
    fn placement_table() {
        let cases = [
            (Area, None, true),
            (Equipment, None, false),
            (WorkCenter, Some(Area), true),
            (Equipment, Some(Area), true),
            (Component, Some(Equipment), true),
            (Area, Some(Area), false),
            (WorkCenter, Some(WorkUnit), false),
            (Equipment, Some(Component), false),
            (Component, Some(Component), false),
        ];
        for (level, parent, ok) in cases {
            assert_eq!(
                check_placement(level, parent).is_ok(),
                ok,
                "{level:?} under {parent:?}"
            );
        }
    }

    #[test]
    fn cycles() {
        let (a, b, c) = (AssetId::new(), AssetId::new(), AssetId::new());
        assert!(check_no_cycle(a, &[b, c]).is_ok());
        assert!(check_no_cycle(a, &[b, a]).is_err());
        assert!(check_no_cycle(a, &[a]).is_err());
        assert!(check_no_cycle(a, &[]).is_ok());
    }

    #[test]
    fn criticality_bands() {
        let cases = [
            (1, 1, 1, RiskBand::Low),
            (2, 2, 4, RiskBand::Low),
            (5, 1, 5, RiskBand::Medium),
            (3, 3, 9, RiskBand::Medium),
            (2, 5, 10, RiskBand::High),
            (4, 4, 16, RiskBand::High),
            (4, 5, 20, RiskBand::Extreme),
            (5, 5, 25, RiskBand::Extreme),
        ];
        for (c, l, score, band) in cases {
            let k = Criticality::new(c, l).unwrap();
            assert_eq!((k.score(), k.band()), (score, band), "{c}×{l}");
        }
        assert_eq!(Criticality::new(0, 6).unwrap_err().len(), 2);
        assert_eq!(Criticality::new(3, 0).unwrap_err()[0].0, "likelihood");
    }

    #[test]
    fn equipment_classes() {
        assert!(parse_equipment_class("PU").is_ok());
        assert!(parse_equipment_class("pu").is_err());
        assert!(parse_equipment_class("XX").is_err());
    }
}
