//! `overhaul bench`: starts the server in this process on a fresh database, drives it over
//! loopback with real HTTP clients, and prints the figures recorded in docs/benchmarks.md.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use overhaul_app::assets::NewAsset;
use overhaul_app::sites::NewSite;
use overhaul_app::users::{NewGrant, NewUser};
use overhaul_app::{App, Ctx, Db};
use overhaul_core::asset::AssetLevel;
use overhaul_core::role::Role;
use overhaul_store::work_order::{WorkOrder, attachments, insert_many};
use std::time::Instant;
use uuid::Uuid;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// `sqlite` (a temporary file) or the URL of a PostgreSQL server on which a scratch database
    /// is created and dropped, e.g. postgres://postgres@127.0.0.1/postgres.
    #[arg(long, default_value = "sqlite")]
    target: String,
    /// Seconds of each create phase (1 and 8 clients).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Work orders seeded for the list measurement.
    #[arg(long, default_value_t = 1_000_000)]
    list_rows: usize,
    /// List requests measured.
    #[arg(long, default_value_t = 2_000)]
    list_requests: usize,
    /// Measure only the condition-monitoring reading pipeline (signals with rules, batches
    /// through `ingest_readings`) instead of the API.
    #[arg(long)]
    ingest: bool,
    /// Readings per batch in the ingest measurement.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
}

const UI_PASSWORD: &str = "bench-password";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat_ms: Vec<f64>, secs: f64) {
    lat_ms.sort_by(f64::total_cmp);
    println!(
        "{name}: {} requests in {:.1} s = {:.0}/s; latency ms p50 {:.2} p95 {:.2} p99 {:.2}",
        lat_ms.len(),
        secs,
        lat_ms.len() as f64 / secs,
        percentile(&lat_ms, 0.50),
        percentile(&lat_ms, 0.95),
        percentile(&lat_ms, 0.99)
    );
}

fn rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let (url, cleanup) = if args.target == "sqlite" {
        let dir = std::env::temp_dir().join(format!("overhaul-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        (
            format!("sqlite://{}/bench.db", dir.display()),
            Cleanup::Dir(dir),
        )
    } else {
        let admin = sqlx_admin(&args.target).await?;
        let name = format!("overhaul_bench_{}", std::process::id());
        admin.create(&name).await?;
        let base = args
            .target
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&args.target);
        (format!("{base}/{name}"), Cleanup::Pg(admin, name))
    };
    let result = if args.ingest {
        crate::bench_ingest::measure(&url, args.seconds, args.batch).await
    } else {
        measure(&url, &args).await
    };
    cleanup.run().await;
    result
}

async fn measure(url: &str, args: &BenchArgs) -> Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    println!("backend: {:?}", db.backend());
    let app = App::new(db.clone());
    let now = Utc::now();
    let sys = Ctx::system("bench", now - Duration::days(3700));
    let site = app
        .create_site(
            &sys,
            NewSite {
                code: "B".into(),
                name: "Bench".into(),
                timezone: "UTC".into(),
                business_hours: None,
                currency: None,
                allow_anonymous_requests: false,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let site_id = site.site.id;
    app.create_user(
        &sys,
        NewUser {
            email: "bench@x.test".into(),
            name: "Bench".into(),
            password: Some(UI_PASSWORD.into()),
            roles: vec![NewGrant {
                role: Role::Planner,
                site_id: None,
            }],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = app
        .create_token(&sys, "bench@x.test", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .token
        .0;
    // 1 area › 10 lines › 10 cells › 10 machines = 1,111 assets.
    let mk = |code: String, level, parent| NewAsset {
        site_id,
        parent_id: parent,
        code,
        name: "x".into(),
        level,
        equipment_class: None,
        criticality: None,
        status: None,
        replacement_value: None,
    };
    let area = app
        .create_asset(&sys, mk("A".into(), AssetLevel::Area, None))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .asset
        .id;
    let mut lines = Vec::new();
    let mut machines = Vec::new();
    for l in 0..10 {
        let line = app
            .create_asset(
                &sys,
                mk(format!("L{l}"), AssetLevel::WorkCenter, Some(area)),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .asset
            .id;
        lines.push(line);
        for c in 0..10 {
            let cell = app
                .create_asset(
                    &sys,
                    mk(format!("L{l}C{c}"), AssetLevel::WorkUnit, Some(line)),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .asset
                .id;
            for m in 0..10 {
                machines.push(
                    app.create_asset(
                        &sys,
                        mk(format!("L{l}C{c}M{m}"), AssetLevel::Equipment, Some(cell)),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .asset
                    .id,
                );
            }
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(overhaul_server::serve(
        listener,
        overhaul_server::build_app(app.clone()),
        async {
            let _ = stop_rx.await;
        },
    ));
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;

    for clients in [1_usize, 8] {
        let stats_before = db.write_stats();
        let deadline = Instant::now() + std::time::Duration::from_secs(args.seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let client = client.clone();
            let base = base.clone();
            let token = token.clone();
            let asset = machines[c * 97 % machines.len()];
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = client
                        .post(format!("{base}/api/v1/work-orders"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"asset_id": asset, "title": "Bench work order", "type": "corrective", "priority": "normal"}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 201 => lat.push(t.elapsed().as_secs_f64() * 1000.0),
                        Ok(r) => eprintln!("unexpected status {}", r.status()),
                        Err(e) => eprintln!("request failed: {e}"),
                    }
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await?);
        }
        report(
            &format!("create work order, {clients} client(s)"),
            all,
            started.elapsed().as_secs_f64(),
        );
        if let (Some(a), Some(b)) = (stats_before, db.write_stats()) {
            let (units, groups) = (b.units - a.units, b.groups - a.groups);
            println!(
                "  SQLite group commit: {units} transactions in {groups} commits ({:.2} per fsync)",
                units as f64 / groups.max(1) as f64
            );
        }
    }

    // Seed the list data set: spread over ten years and all machines, 10 % still open.
    let t0 = Instant::now();
    let sys_now = Ctx::system("bench", now);
    let mut tx = db.begin(&sys_now.actor.audit_ref(), now).await?;
    let first =
        overhaul_store::dialect::reserve_counter(&mut tx, "work_order", args.list_rows as i64)
            .await?;
    tx.commit().await?;
    let span_secs = 3650 * 86_400_i64;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..args.list_rows {
        let created = now
            - Duration::seconds(span_secs - (i as i64) * span_secs / args.list_rows.max(1) as i64);
        let open = i % 10 == 0;
        batch.push(WorkOrder {
            id: Uuid::now_v7(),
            site_id,
            asset_id: machines[(i * 7919) % machines.len()],
            number: format!("WO-{:07}", first + i as i64),
            title: format!("Seeded work order {i}"),
            description: String::new(),
            kind: "preventive".into(),
            priority: "normal".into(),
            status: if open {
                "scheduled".into()
            } else {
                "closed".into()
            },
            hold_reason: None,
            request_id: None,
            created_by: None,
            assignee_id: None,
            due_at: None,
            started_at: None,
            completed_at: None,
            closed_at: None,
            failure_impact: None,
            failure_mode: None,
            failure_mechanism: None,
            failure_cause: None,
            failure_detection: None,
            failure_activity: None,
            failure_notes: None,
            attachments: attachments(vec![]),
            version: 1,
            created_at: overhaul_core::time::micros(created),
            updated_at: overhaul_core::time::micros(created),
            procedure_revision_id: None,
        });
        if batch.len() == 10_000 || i + 1 == args.list_rows {
            let mut tx = db.begin(&sys_now.actor.audit_ref(), now).await?;
            insert_many(&mut tx, &batch).await?;
            tx.commit().await?;
            batch.clear();
        }
    }
    println!(
        "seeded {} work orders (with audit records) in {:.1} s",
        args.list_rows,
        t0.elapsed().as_secs_f64()
    );
    if let Db::Postgres(p) = &db {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    if let Db::Sqlite { write, .. } = &db {
        sqlx::query("ANALYZE").execute(write).await?;
    }

    let started = Instant::now();
    let mut lat = Vec::new();
    for i in 0..args.list_requests {
        let line = lines[i % lines.len()];
        let t = Instant::now();
        let r = client
            .get(format!(
                "{base}/api/v1/work-orders?asset_id={line}&status=open&limit=50"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .context("list request")?;
        let ok = r.status().is_success();
        let body: serde_json::Value = r.json().await?;
        if !ok || body["items"].as_array().map(Vec::len) != Some(50) {
            anyhow::bail!("unexpected list answer: {body}");
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    report(
        &format!(
            "list open work orders of one line subtree (newest first, page of 50) over {} rows",
            args.list_rows
        ),
        lat,
        started.elapsed().as_secs_f64(),
    );
    ui_pages(&app, &base, &lines, args).await?;
    if let Some(mb) = rss_mb() {
        println!("process RSS (server + load generator, same process): {mb:.0} MB");
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    db.close().await;
    Ok(())
}

struct PgAdmin {
    pool: sqlx::PgPool,
}

impl PgAdmin {
    async fn create(&self, name: &str) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn sqlx_admin(url: &str) -> Result<PgAdmin> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    Ok(PgAdmin { pool })
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Pg(PgAdmin, String),
}

impl Cleanup {
    async fn run(self) {
        match self {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::Pg(admin, name) => {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin.pool)
                .await;
            }
        }
    }
}

/// Server time of the UI's heaviest pages: the work-order list (50 rows over the seeded work
/// orders) and the asset tree (first level, and one level down) with 100,000 assets; and what
/// a page weighs on the wire, compressed.
async fn ui_pages(app: &App, base: &str, lines: &[Uuid], args: &BenchArgs) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = http
        .post(format!("{base}/login"))
        .form(&[("email", "bench@x.test"), ("password", UI_PASSWORD)])
        .send()
        .await?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie from the login")?
        .to_owned();
    let get = |path: String| {
        let http = http.clone();
        let cookie = cookie.clone();
        async move {
            let t = Instant::now();
            let r = http
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await?;
            let status = r.status();
            let body = r.text().await?;
            if !status.is_success() {
                anyhow::bail!("{path}: {status}");
            }
            Ok::<_, anyhow::Error>((t.elapsed().as_secs_f64() * 1000.0, body))
        }
    };
    let n = args.list_requests.min(1_000);
    let started = Instant::now();
    let mut lat = Vec::new();
    for i in 0..n {
        let line = lines[i % lines.len()];
        let (ms, body) = get(format!("/work-orders?status=open&asset={line}")).await?;
        if body.matches("<tr><td class=\"no-print\">").count() != 50 {
            anyhow::bail!("the list page did not show 50 rows");
        }
        lat.push(ms);
    }
    report(
        &format!(
            "UI page: work-order list (open, one line's subtree, 50 rows) over {} rows",
            args.list_rows
        ),
        lat,
        started.elapsed().as_secs_f64(),
    );

    // 100,000 assets at a second site: 10 areas › 100 work centres › 99 work units.
    let sys = Ctx::system("bench", Utc::now() - Duration::days(30));
    let site = app
        .create_site(
            &sys,
            NewSite {
                code: "T".into(),
                name: "Tree".into(),
                timezone: "UTC".into(),
                business_hours: None,
                currency: None,
                allow_anonymous_requests: false,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .site
        .id;
    let t0 = Instant::now();
    let mut areas = vec![];
    let mut total = 0;
    let now = Utc::now();
    for a in 0..10 {
        let mut tx = app.db.begin(&sys.actor.audit_ref(), now).await?;
        let area = tree_asset(site, None, format!("T{a}"), "area", now);
        overhaul_store::asset::insert(&mut tx, &area).await?;
        areas.push(area.id);
        total += 1;
        for w in 0..100 {
            let wc = tree_asset(site, Some(&area), format!("T{a}W{w}"), "work_center", now);
            overhaul_store::asset::insert(&mut tx, &wc).await?;
            total += 1;
            for u in 0..99 {
                let unit = tree_asset(site, Some(&wc), format!("T{a}W{w}U{u}"), "work_unit", now);
                overhaul_store::asset::insert(&mut tx, &unit).await?;
                total += 1;
            }
        }
        tx.commit().await?;
    }
    println!(
        "seeded {total} assets at a second site in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    overhaul_store::dialect::analyze(&app.db).await?;
    let started = Instant::now();
    let mut lat = Vec::new();
    for _ in 0..n {
        let (ms, body) = get("/assets".into()).await?;
        if !body.contains("T9") {
            anyhow::bail!("the tree page lacks the areas");
        }
        lat.push(ms);
    }
    report(
        "UI page: asset tree, first level of every site (100,000 assets at one)",
        lat,
        started.elapsed().as_secs_f64(),
    );
    let started = Instant::now();
    let mut lat = Vec::new();
    for i in 0..n {
        let (ms, _) = get(format!("/assets/{}/children", areas[i % areas.len()])).await?;
        lat.push(ms);
    }
    report(
        "UI fragment: one area's 100 children (with their child counts)",
        lat,
        started.elapsed().as_secs_f64(),
    );

    // What the work-order list weighs compressed, with the script and the stylesheet.
    let mut wire = 0;
    let mut plain = 0;
    for path in [
        format!("/work-orders?status=open&asset={}", lines[0]),
        format!("/static/{}/htmx.min.js", overhaul_server::ui::ASSET_VERSION),
        format!("/static/{}/app.css", overhaul_server::ui::ASSET_VERSION),
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await?;
        let bytes = r.bytes().await?;
        wire += bytes.len();
        let (_, body) = get(path).await?;
        plain += body.len();
    }
    println!(
        "UI weight: work-order list page + htmx + CSS = {:.1} KB on the wire (gzip), {:.1} KB uncompressed",
        wire as f64 / 1024.0,
        plain as f64 / 1024.0
    );
    Ok(())
}

fn tree_asset(
    site: Uuid,
    parent: Option<&overhaul_store::asset::Asset>,
    code: String,
    level: &str,
    now: chrono::DateTime<Utc>,
) -> overhaul_store::asset::Asset {
    let id = Uuid::now_v7();
    overhaul_store::asset::Asset {
        id,
        site_id: site,
        parent_id: parent.map(|p| p.id),
        path: overhaul_store::asset::Asset::child_path(parent.map(|p| p.path.as_str()), id),
        code,
        name: "x".into(),
        level: level.into(),
        equipment_class: None,
        consequence: None,
        likelihood: None,
        status: "running".into(),
        replacement_value: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}
