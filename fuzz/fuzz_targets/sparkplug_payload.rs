//! Arbitrary bytes as a Sparkplug B payload: decoding, typed values and re-encoding never panic,
//! and whatever decodes survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhaul_ingest::sparkplug::{self, MetricValue};

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = sparkplug::decode_payload(data) else {
        return;
    };
    for m in &payload.metrics {
        // Every datatype code, not only the declared one: the decoder must refuse, not panic.
        for code in [
            m.datatype.unwrap_or(0),
            1,
            2,
            3,
            4,
            5,
            7,
            9,
            11,
            12,
            22,
            24,
            32,
            33,
            99,
        ] {
            if let Ok(v) = MetricValue::decode(m, Some(code)) {
                let _ = v.as_f64();
                let (wire, _) = v.encode();
                let _ = wire;
            }
        }
    }
    let bytes = sparkplug::encode_payload(&payload);
    let again = sparkplug::decode_payload(&bytes).expect("our own encoding decodes");
    assert_eq!(sparkplug::encode_payload(&again), bytes);
});
