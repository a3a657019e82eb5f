//! The audit chain: each record carries the hash of the one before it and its own SHA-256 over
//! a canonical encoding, so altering, deleting or reordering any record breaks the chain.

use crate::time::{Instant, canonical};
use sha2::{Digest, Sha256};

/// Hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record as stored (everything but its own hash).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFields<'a> {
    pub seq: i64,
    pub at: Instant,
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub prev_hash: &'a str,
}

fn put(h: &mut Sha256, field: Option<&str>) {
    // Length-prefixed, with a distinct marker for "absent", so no two different records encode
    // to the same bytes ("ab"+"c" vs "a"+"bc", null vs empty string).
    match field {
        None => h.update(b"N;"),
        Some(s) => {
            h.update(format!("S{}:", s.len()).as_bytes());
            h.update(s.as_bytes());
            h.update(b";");
        }
    }
}

/// SHA-256 (lower-case hex) over the canonical encoding of a record.
pub fn record_hash(f: &AuditFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"overhaul-audit-v1;");
    put(&mut h, Some(&f.seq.to_string()));
    put(&mut h, Some(&canonical(f.at)));
    put(&mut h, f.actor_id);
    put(&mut h, Some(f.actor_name));
    put(&mut h, Some(f.action));
    put(&mut h, Some(f.entity));
    put(&mut h, Some(f.entity_id));
    put(&mut h, f.old_value);
    put(&mut h, f.new_value);
    put(&mut h, f.reason);
    put(&mut h, Some(f.prev_hash));
    hex::encode(h.finalize())
}

/// Why a chain failed verification, naming the first bad record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// A sequence number is missing (a record was deleted) or out of order.
    Gap { expected: i64, found: i64 },
    /// The record's `prev_hash` is not the previous record's hash (deleted or reordered).
    Link { seq: i64 },
    /// The record's content does not match its hash (altered).
    Content { seq: i64 },
    /// The chain head says more records exist than are present (records at the end deleted).
    Truncated { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Gap { expected, found } => write!(
                f,
                "audit record {expected} is missing (next record found is {found}): deleted or reordered"
            ),
            ChainBreak::Link { seq } => write!(
                f,
                "audit record {seq} does not link to the record before it: a record was deleted or reordered"
            ),
            ChainBreak::Content { seq } => {
                write!(
                    f,
                    "audit record {seq} was altered: its content does not match its hash"
                )
            }
            ChainBreak::Truncated { head_seq, last_seq } => write!(
                f,
                "audit records after {last_seq} are missing (the chain head is at {head_seq}): deleted"
            ),
        }
    }
}

/// Incremental verifier: feed records in `seq` order with their stored hash.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, f: &AuditFields<'_>, stored_hash: &str) -> Result<(), ChainBreak> {
        if f.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                expected: self.expected_seq,
                found: f.seq,
            });
        }
        if f.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: f.seq });
        }
        if record_hash(f) != stored_hash {
            return Err(ChainBreak::Content { seq: f.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = stored_hash.to_owned();
        Ok(())
    }

    /// Checks the end of the chain against the head (last seq and hash) kept beside it.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last {
            return Err(ChainBreak::Truncated {
                head_seq,
                last_seq: last,
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: last });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn rec(
        seq: i64,
        prev: &str,
        new_value: Option<&'static str>,
    ) -> (AuditFields<'static>, String) {
        let prev: &'static str = Box::leak(prev.to_owned().into_boxed_str());
        let f = AuditFields {
            seq,
            at: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, seq as u32)
                .single()
                .unwrap(),
            actor_id: None,
            actor_name: "system",
            action: "create",
            entity: "asset",
            entity_id: "x",
            old_value: None,
            new_value,
            reason: None,
            prev_hash: prev,
        };
        let h = record_hash(&f);
        (f, h)
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let (a, ha) = rec(1, GENESIS, Some("{}"));
        assert_eq!(ha.len(), 64);
        assert_eq!(record_hash(&a), ha);
        let mut b = a.clone();
        b.new_value = Some("{ }");
        assert_ne!(record_hash(&b), ha);
        let mut c = a.clone();
        c.new_value = None;
        let mut d = a.clone();
        d.new_value = Some("");
        assert_ne!(record_hash(&c), record_hash(&d), "null and empty differ");
        let mut e = a.clone();
        e.entity = "asse";
        e.entity_id = "tx";
        assert_ne!(
            record_hash(&e),
            ha,
            "field boundaries are part of the encoding"
        );
    }

    #[test]
    fn verifier_finds_first_bad_record() {
        let (r1, h1) = rec(1, GENESIS, Some("1"));
        let (r2, h2) = rec(2, &h1, Some("2"));
        let (r3, h3) = rec(3, &h2, Some("3"));

        let mut v = ChainVerifier::new();
        for (r, h) in [(&r1, &h1), (&r2, &h2), (&r3, &h3)] {
            v.check(r, h).unwrap();
        }
        assert_eq!(v.finish(3, &h3), Ok(3));
        assert_eq!(
            v.finish(4, &h3),
            Err(ChainBreak::Truncated {
                head_seq: 4,
                last_seq: 3
            })
        );

        // altered content
        let mut v = ChainVerifier::new();
        v.check(&r1, &h1).unwrap();
        let mut r2x = r2.clone();
        r2x.new_value = Some("tampered");
        assert_eq!(v.check(&r2x, &h2), Err(ChainBreak::Content { seq: 2 }));

        // deleted record
        let mut v = ChainVerifier::new();
        v.check(&r1, &h1).unwrap();
        assert_eq!(
            v.check(&r3, &h3),
            Err(ChainBreak::Gap {
                expected: 2,
                found: 3
            })
        );

        // reordered: record 3's content renumbered as 2
        let mut v = ChainVerifier::new();
        v.check(&r1, &h1).unwrap();
        let mut r3x = r3.clone();
        r3x.seq = 2;
        assert_eq!(v.check(&r3x, &h3), Err(ChainBreak::Link { seq: 2 }));
    }
}
