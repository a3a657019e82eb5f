//! Deterministic ids for imported records: the same source row always gets the same id, so a
//! second import finds what the first one stored.

use uuid::Uuid;

/// The namespace of every id Overhaul derives from imported data.
const OVERHAUL_IMPORTS: Uuid = Uuid::from_u128(0x5c0e_7a51_3d2b_4f0e_9a6c_0f7e_1b2d_c3a4);

/// UUIDv5 of `key` within the data set `dataset` (e.g. `azure-pdm`, `failure/2015-01-05T06:00:00/1/comp4`).
pub(crate) fn derived(dataset: &str, key: &str) -> Uuid {
    let ns = Uuid::new_v5(&OVERHAUL_IMPORTS, dataset.as_bytes());
    Uuid::new_v5(&ns, key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = derived("azure-pdm", "failure/2015-01-05T06:00:00/1/comp4");
        assert_eq!(
            a,
            derived("azure-pdm", "failure/2015-01-05T06:00:00/1/comp4")
        );
        assert_ne!(a, derived("azure-pdm", "maint/2015-01-05T06:00:00/1/comp4"));
        assert_ne!(
            a,
            derived("excavator-mwo", "failure/2015-01-05T06:00:00/1/comp4")
        );
        assert_eq!(a.get_version_num(), 5);
    }
}
