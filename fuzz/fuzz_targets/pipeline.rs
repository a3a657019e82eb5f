//! A stream of (topic choice, payload) messages through the whole pipeline with Sparkplug host
//! state and JSON bindings: no panic, whatever the order or content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhaul_ingest::{Binding, Pipeline, Routes, Source};
use std::sync::Arc;

const TOPICS: [&str; 9] = [
    "spBv1.0/G/NBIRTH/E",
    "spBv1.0/G/NDATA/E",
    "spBv1.0/G/NDEATH/E",
    "spBv1.0/G/DBIRTH/E/D",
    "spBv1.0/G/DDATA/E/D",
    "spBv1.0/G/DDEATH/E/D",
    "spBv1.0/G/NCMD/E",
    "plant/json",
    "spBv1.0/STATE/h",
];

fuzz_target!(|data: &[u8]| {
    let bindings = vec![
        Binding {
            signal_id: uuid::Uuid::nil(),
            source: Source::Sparkplug {
                group_id: "G".into(),
                edge_node_id: "E".into(),
                device_id: Some("D".into()),
                metric: "m".into(),
            },
        },
        Binding {
            signal_id: uuid::Uuid::max(),
            source: Source::MqttJson {
                topic: "plant/json".into(),
                pointer: "/v".into(),
            },
        },
    ];
    let mut p = Pipeline::new(Arc::new(Routes::new(&bindings)), Arc::default(), 0, 1_000);
    // Messages are separated by a length byte; the first byte of each picks the topic.
    let mut rest = data;
    let mut now = 1_700_000_000_000_i64;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (msg, next) = tail.split_at(n);
        rest = next;
        let Some((&pick, payload)) = msg.split_first() else {
            continue;
        };
        let topic = TOPICS[usize::from(pick) % TOPICS.len()];
        let out = p.handle(topic, payload, now);
        for s in out.samples {
            assert!(s.value.is_finite());
        }
        now += 1_000;
    }
});
