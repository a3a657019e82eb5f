//! ISO 14224:2016 code lists for failure reports (Annex B): failure mode, mechanism, cause,
//! detection method, and maintenance activity.

use serde::Serialize;

text_enum!(
    FailureCodeKind {
        Mode => "mode",
        Mechanism => "mechanism",
        Cause => "cause",
        Detection => "detection",
        Activity => "activity",
        Impact => "impact",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FailureCode {
    pub kind: FailureCodeKind,
    pub code: &'static str,
    pub label: &'static str,
}

macro_rules! codes {
    ($kind:ident: $($code:literal => $label:literal),+ $(,)?) => {
        &[$(FailureCode { kind: FailureCodeKind::$kind, code: $code, label: $label }),+]
    };
}

/// Failure modes (Annex B.6–B.15 common codes).
pub const MODES: &[FailureCode] = codes!(Mode:
    "AIR" => "Abnormal instrument reading", "BRD" => "Breakdown", "DOP" => "Delayed operation",
    "ELP" => "External leakage – process medium", "ELU" => "External leakage – utility medium",
    "ERO" => "Erratic output", "FTC" => "Fail to close on demand", "FTF" => "Fail to function on demand",
    "FTO" => "Fail to open on demand", "FTR" => "Fail to regulate", "FTS" => "Fail to start on demand",
    "HIO" => "High output", "INL" => "Internal leakage", "LOO" => "Low output", "NOI" => "Noise",
    "OHE" => "Overheating", "PDE" => "Parameter deviation", "PLU" => "Plugged/choked",
    "SER" => "Minor in-service problems", "SPO" => "Spurious operation", "STD" => "Structural deficiency",
    "STP" => "Fail to stop on demand", "UST" => "Spurious stop", "VIB" => "Vibration",
    "FCO" => "Failure to connect", "FDC" => "Failure to disconnect", "FRO" => "Failure to rotate",
    "FTI" => "Failure to function as intended", "NOO" => "No output", "FOF" => "Faulty output frequency",
    "FOV" => "Faulty output voltage", "IHT" => "Insufficient heat transfer", "LBP" => "Low oil supply pressure",
    "LOA" => "Load drop", "LOB" => "Loss of buoyancy", "LOR" => "Loss of redundancy",
    "OTH" => "Other", "UNK" => "Unknown",
);

/// Failure mechanisms (Table B.2).
pub const MECHANISMS: &[FailureCode] = codes!(Mechanism:
    "1.0" => "Mechanical failure – general", "1.1" => "Leakage", "1.2" => "Vibration",
    "1.3" => "Clearance/alignment failure", "1.4" => "Deformation", "1.5" => "Looseness", "1.6" => "Sticking",
    "2.0" => "Material failure – general", "2.1" => "Cavitation", "2.2" => "Corrosion", "2.3" => "Erosion",
    "2.4" => "Wear", "2.5" => "Breakage", "2.6" => "Fatigue", "2.7" => "Overheating", "2.8" => "Burst",
    "3.0" => "Instrument failure – general", "3.1" => "Control failure", "3.2" => "No signal/indication/alarm",
    "3.3" => "Faulty signal/indication/alarm", "3.4" => "Out of adjustment", "3.5" => "Software error",
    "3.6" => "Common cause/mode failure",
    "4.0" => "Electrical failure – general", "4.1" => "Short circuiting", "4.2" => "Open circuit",
    "4.3" => "No power/voltage", "4.4" => "Faulty power/voltage", "4.5" => "Earth/isolation fault",
    "5.0" => "External influence – general", "5.1" => "Blockage/plugged", "5.2" => "Contamination",
    "5.3" => "Miscellaneous external influences",
    "6.0" => "Miscellaneous – general", "6.1" => "No cause found", "6.2" => "Combined causes",
    "6.3" => "Other", "6.4" => "Unknown",
);

/// Failure causes (Table B.3).
pub const CAUSES: &[FailureCode] = codes!(Cause:
    "1.0" => "Design-related – general", "1.1" => "Improper capacity", "1.2" => "Improper material",
    "2.0" => "Fabrication/installation – general", "2.1" => "Fabrication error", "2.2" => "Installation error",
    "3.0" => "Operation/maintenance – general", "3.1" => "Off-design service", "3.2" => "Operating error",
    "3.3" => "Maintenance error", "3.4" => "Expected wear and tear",
    "4.0" => "Management – general", "4.1" => "Documentation error", "4.2" => "Management error",
    "5.0" => "Miscellaneous – general", "5.1" => "No cause found", "5.2" => "Common cause",
    "5.3" => "Combined causes", "5.4" => "Other unit/cascading failure", "5.5" => "Other", "5.6" => "Unknown",
);

/// Detection methods (Table B.4).
pub const DETECTIONS: &[FailureCode] = codes!(Detection:
    "1" => "Periodic maintenance", "2" => "Functional testing", "3" => "Inspection",
    "4" => "Periodic condition monitoring", "5" => "Pressure testing", "6" => "Continuous condition monitoring",
    "7" => "Production interference", "8" => "Casual observation", "9" => "Corrective maintenance",
    "10" => "On demand", "11" => "Other",
);

/// Maintenance activities (Table B.5).
pub const ACTIVITIES: &[FailureCode] = codes!(Activity:
    "1" => "Replace", "2" => "Repair", "3" => "Modify", "4" => "Adjust", "5" => "Refit", "6" => "Check",
    "7" => "Service", "8" => "Test", "9" => "Inspection", "10" => "Overhaul", "11" => "Combination", "12" => "Other",
);

/// Failure impact on equipment function (Table 6).
pub const IMPACTS: &[FailureCode] = codes!(Impact:
    "C" => "Critical failure", "D" => "Degraded failure", "I" => "Incipient failure",
);

pub fn list(kind: FailureCodeKind) -> &'static [FailureCode] {
    match kind {
        FailureCodeKind::Mode => MODES,
        FailureCodeKind::Mechanism => MECHANISMS,
        FailureCodeKind::Cause => CAUSES,
        FailureCodeKind::Detection => DETECTIONS,
        FailureCodeKind::Activity => ACTIVITIES,
        FailureCodeKind::Impact => IMPACTS,
    }
}

pub fn all() -> impl Iterator<Item = &'static FailureCode> {
    FailureCodeKind::ALL.iter().flat_map(|k| list(*k).iter())
}

/// Checks that `code` is in the list of `kind`.
pub fn check(kind: FailureCodeKind, code: &str) -> Result<(), String> {
    if list(kind).iter().any(|c| c.code == code) {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not an ISO 14224 {} code (see GET /api/v1/failure-codes?kind={})",
            code.chars().take(16).collect::<String>(),
            kind.as_str(),
            kind.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_unique_codes_and_expected_sizes() {
        let sizes = [
            (FailureCodeKind::Mode, 38),
            (FailureCodeKind::Mechanism, 38),
            (FailureCodeKind::Cause, 21),
            (FailureCodeKind::Detection, 11),
            (FailureCodeKind::Activity, 12),
            (FailureCodeKind::Impact, 3),
        ];
        for (kind, n) in sizes {
            let l = list(kind);
            assert_eq!(l.len(), n, "{kind}");
            let mut codes: Vec<&str> = l.iter().map(|c| c.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), n, "duplicate code in {kind}");
            assert!(l.iter().all(|c| c.kind == kind));
        }
    }

    #[test]
    fn check_codes() {
        assert!(check(FailureCodeKind::Mode, "VIB").is_ok());
        assert!(check(FailureCodeKind::Mechanism, "2.4").is_ok());
        assert!(check(FailureCodeKind::Mechanism, "VIB").is_err());
        assert!(check(FailureCodeKind::Detection, "6").is_ok());
        assert!(check(FailureCodeKind::Detection, "12").is_err());
    }
}
