//! The Sparkplug B topic namespace (specification chapter 4):
//! `spBv1.0/{group_id}/{message_type}/{edge_node_id}[/{device_id}]` and the host application's
//! `spBv1.0/STATE/{host_id}`.

use std::fmt;

/// The namespace element every Sparkplug B topic starts with.
pub const NAMESPACE: &str = "spBv1.0";

/// The message types of the namespace (`STATE` has its own topic shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    NBirth,
    NData,
    NDeath,
    NCmd,
    DBirth,
    DData,
    DDeath,
    DCmd,
}

impl MessageType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "NBIRTH" => MessageType::NBirth,
            "NDATA" => MessageType::NData,
            "NDEATH" => MessageType::NDeath,
            "NCMD" => MessageType::NCmd,
            "DBIRTH" => MessageType::DBirth,
            "DDATA" => MessageType::DData,
            "DDEATH" => MessageType::DDeath,
            "DCMD" => MessageType::DCmd,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NBirth => "NBIRTH",
            MessageType::NData => "NDATA",
            MessageType::NDeath => "NDEATH",
            MessageType::NCmd => "NCMD",
            MessageType::DBirth => "DBIRTH",
            MessageType::DData => "DDATA",
            MessageType::DDeath => "DDEATH",
            MessageType::DCmd => "DCMD",
        }
    }

    /// Device-level messages carry a device id as the fifth topic level.
    pub fn is_device(self) -> bool {
        matches!(
            self,
            MessageType::DBirth | MessageType::DData | MessageType::DDeath | MessageType::DCmd
        )
    }
}

/// A parsed Sparkplug topic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    Message {
        group_id: String,
        message_type: MessageType,
        edge_node_id: String,
        /// Present exactly for device-level message types.
        device_id: Option<String>,
    },
    /// Sparkplug 3.0 host application state.
    State { host_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("not in the spBv1.0 namespace")]
    Namespace,
    #[error("unknown message type")]
    MessageType,
    #[error("wrong number of topic levels for the message type")]
    Levels,
    #[error("empty id or an id containing a wildcard")]
    BadId,
}

/// An id element is non-empty and free of MQTT wildcards (levels never contain `/`, since the
/// topic is split on it).
fn valid_id(s: &str) -> bool {
    !s.is_empty() && !s.contains(['+', '#'])
}

impl Topic {
    pub fn parse(topic: &str) -> Result<Topic, TopicError> {
        let mut levels = topic.split('/');
        if levels.next() != Some(NAMESPACE) {
            return Err(TopicError::Namespace);
        }
        let rest: Vec<&str> = levels.collect();
        match rest.as_slice() {
            ["STATE", host_id] => {
                if !valid_id(host_id) {
                    return Err(TopicError::BadId);
                }
                Ok(Topic::State {
                    host_id: (*host_id).to_owned(),
                })
            }
            [group, kind, edge, device @ ..] => {
                let message_type = MessageType::parse(kind).ok_or(TopicError::MessageType)?;
                let device_id = match (message_type.is_device(), device) {
                    (false, []) => None,
                    (true, [d]) => Some(*d),
                    _ => return Err(TopicError::Levels),
                };
                if !valid_id(group) || !valid_id(edge) || device_id.is_some_and(|d| !valid_id(d)) {
                    return Err(TopicError::BadId);
                }
                Ok(Topic::Message {
                    group_id: (*group).to_owned(),
                    message_type,
                    edge_node_id: (*edge).to_owned(),
                    device_id: device_id.map(str::to_owned),
                })
            }
            _ => Err(TopicError::Levels),
        }
    }

    /// The topic of a message; the inverse of [`Topic::parse`] for valid ids.
    pub fn message(
        group_id: &str,
        message_type: MessageType,
        edge_node_id: &str,
        device_id: Option<&str>,
    ) -> String {
        match device_id {
            Some(d) => format!(
                "{NAMESPACE}/{group_id}/{}/{edge_node_id}/{d}",
                message_type.as_str()
            ),
            None => format!(
                "{NAMESPACE}/{group_id}/{}/{edge_node_id}",
                message_type.as_str()
            ),
        }
    }

    pub fn state(host_id: &str) -> String {
        format!("{NAMESPACE}/STATE/{host_id}")
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Message {
                group_id,
                message_type,
                edge_node_id,
                device_id,
            } => f.write_str(&Topic::message(
                group_id,
                *message_type,
                edge_node_id,
                device_id.as_deref(),
            )),
            Topic::State { host_id } => f.write_str(&Topic::state(host_id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let m = |g: &str, t, e: &str, d: Option<&str>| {
            Ok(Topic::Message {
                group_id: g.into(),
                message_type: t,
                edge_node_id: e.into(),
                device_id: d.map(Into::into),
            })
        };
        let cases: Vec<(&str, Result<Topic, TopicError>)> = vec![
            (
                "spBv1.0/G1/NBIRTH/E1",
                m("G1", MessageType::NBirth, "E1", None),
            ),
            (
                "spBv1.0/G1/NDATA/E1",
                m("G1", MessageType::NData, "E1", None),
            ),
            (
                "spBv1.0/G1/NDEATH/E1",
                m("G1", MessageType::NDeath, "E1", None),
            ),
            ("spBv1.0/G1/NCMD/E1", m("G1", MessageType::NCmd, "E1", None)),
            (
                "spBv1.0/G1/DBIRTH/E1/D1",
                m("G1", MessageType::DBirth, "E1", Some("D1")),
            ),
            (
                "spBv1.0/G1/DDATA/E1/D1",
                m("G1", MessageType::DData, "E1", Some("D1")),
            ),
            (
                "spBv1.0/G1/DDEATH/E1/D1",
                m("G1", MessageType::DDeath, "E1", Some("D1")),
            ),
            (
                "spBv1.0/G1/DCMD/E1/D1",
                m("G1", MessageType::DCmd, "E1", Some("D1")),
            ),
            (
                "spBv1.0/STATE/host-a",
                Ok(Topic::State {
                    host_id: "host-a".into(),
                }),
            ),
            ("spBv1.0/G1/DDATA/E1", Err(TopicError::Levels)),
            ("spBv1.0/G1/NDATA/E1/D1", Err(TopicError::Levels)),
            ("spBv1.0/G1/NDATA", Err(TopicError::Levels)),
            ("spBv1.0/G1/XDATA/E1", Err(TopicError::MessageType)),
            ("spBv1.0/G1/ndata/E1", Err(TopicError::MessageType)),
            ("spBv1.0//NDATA/E1", Err(TopicError::BadId)),
            ("spBv1.0/G1/NDATA/", Err(TopicError::BadId)),
            ("spBv1.0/G+/NDATA/E1", Err(TopicError::BadId)),
            ("spBv1.0/STATE/", Err(TopicError::BadId)),
            ("spBv1.0/STATE/a/b", Err(TopicError::MessageType)),
            ("spAv1.0/G1/NDATA/E1", Err(TopicError::Namespace)),
            ("STATE/host-a", Err(TopicError::Namespace)),
            ("", Err(TopicError::Namespace)),
        ];
        for (topic, want) in cases {
            assert_eq!(Topic::parse(topic), want, "{topic}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_string(s in ".*") {
            let _ = Topic::parse(&s);
        }

        #[test]
        fn never_panics_on_namespace_shaped_input(
            levels in proptest::collection::vec("[A-Za-z0-9+#./ ]{0,6}|NBIRTH|DDATA|STATE|NDEATH", 0..7)
        ) {
            let t = format!("{NAMESPACE}/{}", levels.join("/"));
            let _ = Topic::parse(&t);
        }

        #[test]
        fn formatting_then_parsing_is_identity(
            g in "[A-Za-z0-9_.-]{1,12}",
            e in "[A-Za-z0-9_.-]{1,12}",
            d in "[A-Za-z0-9_.-]{1,12}",
            k in 0usize..8,
        ) {
            let kinds = [
                MessageType::NBirth, MessageType::NData, MessageType::NDeath, MessageType::NCmd,
                MessageType::DBirth, MessageType::DData, MessageType::DDeath, MessageType::DCmd,
            ];
            let kind = kinds[k];
            let dev = kind.is_device().then_some(d.as_str());
            let s = Topic::message(&g, kind, &e, dev);
            let parsed = Topic::parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), s);
        }
    }
}
