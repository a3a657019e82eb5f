//! Integration tests of overhaul-ingest: the Sparkplug payload types against the reference
//! schema, and the connector against the real Mosquitto broker on 127.0.0.1:1883.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_restart;
mod mqtt;
mod proto_compat;
mod support;
