//! Arbitrary strings as Sparkplug topics: parsing never panics, and what parses formats back
//! to the same topic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhaul_ingest::sparkplug::Topic;

fuzz_target!(|s: &str| {
    if let Ok(t) = Topic::parse(s) {
        assert_eq!(t.to_string(), s);
    }
});
