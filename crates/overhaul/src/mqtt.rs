//! `overhaul serve --mqtt HOST:PORT`: machine data from the plant's broker into the reading
//! pipeline. The signals bound to MQTT topics (plain JSON) and Sparkplug metrics are read from
//! the database and re-read every few seconds, so a signal configured over the API starts
//! receiving without a restart. Several instances split the stream with a shared subscription.

use anyhow::{Context, Result, anyhow};
use overhaul_app::signals::{IncomingReading, SignalQuery};
use overhaul_app::{App, Ctx};
use overhaul_core::condition::signal::SourceBinding;
use overhaul_ingest::{Binding, Connector, MqttConfig, Source};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often the bindings are re-read from the database.
const RELOAD: Duration = Duration::from_secs(5);

pub struct MqttIngest {
    connector: Connector,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn parse_broker(raw: &str) -> Result<(String, u16)> {
    let s = raw
        .strip_prefix("mqtt://")
        .or_else(|| raw.strip_prefix("tcp://"))
        .unwrap_or(raw);
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_owned(),
            p.parse()
                .with_context(|| format!("bad MQTT port in {raw}"))?,
        )),
        None => Ok((s.to_owned(), 1883)),
    }
}

/// The enabled signals with an MQTT or Sparkplug source, as connector bindings.
async fn bindings(app: &App) -> Result<Vec<Binding>> {
    let ctx = Ctx::system("mqtt", chrono::Utc::now());
    let mut out = Vec::new();
    for kind in ["mqtt_json", "sparkplug"] {
        let signals = app
            .list_signals(
                &ctx,
                SignalQuery {
                    source_kind: Some(kind.into()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        for s in signals.into_iter().filter(|s| s.signal.enabled) {
            let source = match s.source {
                SourceBinding::MqttJson { topic, pointer } => Source::MqttJson { topic, pointer },
                SourceBinding::Sparkplug {
                    group_id,
                    edge_node_id,
                    device_id,
                    metric,
                } => Source::Sparkplug {
                    group_id,
                    edge_node_id,
                    device_id,
                    metric,
                },
                _ => continue,
            };
            out.push(Binding {
                signal_id: s.signal.id,
                source,
            });
        }
    }
    out.sort_by_key(|b| b.signal_id);
    Ok(out)
}

/// Hands the connector's sample batches to the reading pipeline (rules, alarms, work) until
/// the channel closes. `source` names the connector in the audit trail and the logs.
pub(crate) async fn store_batches(
    app: App,
    source: &'static str,
    mut rx: mpsc::Receiver<Vec<overhaul_ingest::Sample>>,
) {
    while let Some(batch) = rx.recv().await {
        let readings: Vec<IncomingReading> = batch
            .iter()
            .map(|s| IncomingReading {
                signal_id: s.signal_id,
                at_ms: s.ts_ms,
                value: s.value,
            })
            .collect();
        let ctx = Ctx::system(source, chrono::Utc::now());
        metrics::counter!("ingest_samples_total", "source" => source)
            .increment(readings.len() as u64);
        match app.ingest_readings(&ctx, &readings).await {
            Ok(report) => {
                // Readings new to the database; a redelivered message counts under
                // `ingest_readings_already_stored_total` instead (the insert is keyed by
                // signal and time, so it is never stored twice).
                metrics::counter!("ingest_readings_stored_total", "source" => source)
                    .increment((report.accepted as u64).saturating_sub(report.already_stored));
                metrics::counter!("ingest_readings_already_stored_total", "source" => source)
                    .increment(report.already_stored);
                if !report.rejected.is_empty() {
                    tracing::debug!(source, rejected = ?report.rejected, "readings partly rejected");
                }
            }
            Err(e) => tracing::error!(source, error = %e, "readings could not be stored"),
        }
    }
}

/// A stable client id for this machine (the broker keys the persistent session by it).
fn default_client_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if host.is_empty() {
        "overhaul".to_owned()
    } else {
        format!("overhaul-{host}")
    }
}

pub async fn start(app: App, broker: &str, client_id: Option<String>) -> Result<MqttIngest> {
    let (host, port) = parse_broker(broker)?;
    let initial = bindings(&app).await?;
    tracing::info!(broker, signals = initial.len(), "MQTT ingest starting");
    let (bind_tx, bind_rx) = watch::channel(initial);
    let (tx, rx) = mpsc::channel::<Vec<overhaul_ingest::Sample>>(64);
    let config = MqttConfig::new(host, port, client_id.unwrap_or_else(default_client_id));
    let connector = Connector::spawn(config, bind_rx, tx, None);
    let consumer = tokio::spawn(store_batches(app.clone(), "mqtt", rx));
    let reloader = tokio::spawn(async move {
        loop {
            tokio::time::sleep(RELOAD).await;
            match bindings(&app).await {
                Ok(b) => {
                    bind_tx.send_if_modified(|cur| {
                        if *cur != b {
                            *cur = b;
                            true
                        } else {
                            false
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "re-reading MQTT bindings failed"),
            }
        }
    });
    Ok(MqttIngest {
        connector,
        tasks: vec![consumer, reloader],
    })
}

impl MqttIngest {
    pub async fn stop(self) {
        self.connector.shutdown().await;
        for t in self.tasks {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        assert_eq!(
            parse_broker("127.0.0.1:1883").unwrap(),
            ("127.0.0.1".into(), 1883)
        );
        assert_eq!(
            parse_broker("mqtt://broker:8883").unwrap(),
            ("broker".into(), 8883)
        );
        assert_eq!(parse_broker("broker").unwrap(), ("broker".into(), 1883));
        assert!(parse_broker("broker:x").is_err());
    }
}
