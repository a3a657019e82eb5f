//! Typed identifiers: UUIDv7 (time-ordered) newtypes so an asset id can never be passed where a
//! work-order id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    SiteId,
    UserId,
    TokenId,
    AssetId,
    MeterId,
    ReadingId,
    WorkRequestId,
    WorkOrderId,
    LaborId,
    DowntimeId,
    CommentId,
    StateIntervalId,
    SignalId,
    SignalRuleId,
    AlarmId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_parse_back() {
        let a = WorkOrderId::new();
        let b = WorkOrderId::new();
        assert!(a < b);
        assert_eq!(a.to_string().parse::<WorkOrderId>().ok(), Some(a));
        assert!("not-a-uuid".parse::<WorkOrderId>().is_err());
    }
}
