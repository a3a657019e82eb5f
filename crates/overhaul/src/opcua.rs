//! `overhaul serve --opcua`: machine data from OPC UA servers into the reading pipeline. Every
//! enabled signal bound to an OPC UA node is monitored; the bindings are re-read from the
//! database every few seconds (like `--mqtt`), so a signal configured over the API is picked up
//! without a restart. Security policy None with an anonymous identity only, for now.

use anyhow::{Result, anyhow};
use overhaul_app::signals::SignalQuery;
use overhaul_app::{App, Ctx};
use overhaul_core::condition::signal::SourceBinding;
use overhaul_ingest::{OpcUaBinding, OpcUaConfig, OpcUaConnector};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often the bindings are re-read from the database.
const RELOAD: Duration = Duration::from_secs(5);

pub struct OpcUaIngest {
    connector: OpcUaConnector,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The enabled signals with an OPC UA source, as connector bindings.
async fn bindings(app: &App) -> Result<Vec<OpcUaBinding>> {
    let ctx = Ctx::system("opcua", chrono::Utc::now());
    let signals = app
        .list_signals(
            &ctx,
            SignalQuery {
                source_kind: Some("opc_ua".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut out: Vec<OpcUaBinding> = signals
        .into_iter()
        .filter(|s| s.signal.enabled)
        .filter_map(|s| match s.source {
            SourceBinding::OpcUa {
                endpoint,
                node_id,
                sampling_ms,
                deadband,
            } => Some(OpcUaBinding {
                signal_id: s.signal.id,
                endpoint,
                node_id,
                sampling_ms,
                deadband,
            }),
            _ => None,
        })
        .collect();
    out.sort_by_key(|b| b.signal_id);
    Ok(out)
}

pub async fn start(app: App, pki_dir: PathBuf) -> Result<OpcUaIngest> {
    let initial = bindings(&app).await?;
    tracing::info!(signals = initial.len(), pki_dir = %pki_dir.display(), "OPC UA ingest starting");
    let (bind_tx, bind_rx) = watch::channel(initial);
    let (tx, rx) = mpsc::channel::<Vec<overhaul_ingest::Sample>>(64);
    let connector = OpcUaConnector::spawn(OpcUaConfig::new(pki_dir), bind_rx, tx);
    let consumer = tokio::spawn(crate::mqtt::store_batches(app.clone(), "opcua", rx));
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
                Err(e) => tracing::warn!(error = %e, "re-reading OPC UA bindings failed"),
            }
        }
    });
    Ok(OpcUaIngest {
        connector,
        tasks: vec![consumer, reloader],
    })
}

impl OpcUaIngest {
    pub async fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
        self.connector.shutdown().await;
    }
}
