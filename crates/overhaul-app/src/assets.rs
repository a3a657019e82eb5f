//! Assets: the hierarchy, criticality, status and its timeline, downtime.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx, Page, cursor, page_limit};
use chrono::{DateTime, Utc};
use overhaul_core::asset::{
    AssetLevel, AssetStatus, Criticality, RiskBand, check_no_cycle, check_placement,
    parse_equipment_class,
};
use overhaul_core::asset_state::Span;
use overhaul_core::validation::{Checks, Code, parse_line};
use overhaul_store::asset::{self, Asset, AssetFilter, Downtime, DowntimeFilter, StateInterval};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    pub site_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub level: AssetLevel,
    /// ISO 14224 equipment class code, e.g. `PU`.
    pub equipment_class: Option<String>,
    pub criticality: Option<Criticality>,
    /// Default `running`.
    pub status: Option<AssetStatus>,
    /// Replacement asset value in minor units (cents) of the site currency.
    pub replacement_value: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    /// Move under another parent (`null` = to the site root; only areas sit there).
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    pub level: Option<AssetLevel>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub equipment_class: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<Criticality>)]
    pub criticality: Option<Option<Criticality>>,
    /// A status change starts a new interval in the asset's timeline now.
    pub status: Option<AssetStatus>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<i64>)]
    pub replacement_value: Option<Option<i64>>,
    /// Why (written to the audit trail).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CriticalityView {
    pub consequence: u8,
    pub likelihood: u8,
    /// consequence × likelihood, 1–25.
    pub score: u8,
    pub band: RiskBand,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssetView {
    #[serde(flatten)]
    pub asset: Asset,
    pub criticality: Option<CriticalityView>,
}

impl From<Asset> for AssetView {
    fn from(asset: Asset) -> Self {
        let criticality = match (asset.consequence, asset.likelihood) {
            (Some(c), Some(l)) => {
                Criticality::new(c as u8, l as u8)
                    .ok()
                    .map(|k| CriticalityView {
                        consequence: k.consequence,
                        likelihood: k.likelihood,
                        score: k.score(),
                        band: k.band(),
                    })
            }
            _ => None,
        };
        Self { asset, criticality }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    pub site_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// `true`: only assets directly under the site.
    pub roots: Option<bool>,
    /// Everything below this asset (and the asset itself).
    pub subtree_of: Option<Uuid>,
    pub level: Option<AssetLevel>,
    pub status: Option<AssetStatus>,
    /// Text in code or name.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDowntime {
    pub started_at: DateTime<Utc>,
    /// Omit while the asset is still down.
    pub ended_at: Option<DateTime<Utc>>,
    pub planned: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndDowntime {
    pub ended_at: DateTime<Utc>,
}

fn check_value(c: &mut Checks, v: Option<i64>) {
    if v.is_some_and(|v| v < 0) {
        c.push("replacement_value", "must not be negative");
    }
}

fn criticality_parts(c: &mut Checks, k: Option<Criticality>) -> (Option<i64>, Option<i64>) {
    match k {
        None => (None, None),
        Some(k) => match Criticality::new(k.consequence, k.likelihood) {
            Ok(k) => (
                Some(i64::from(k.consequence)),
                Some(i64::from(k.likelihood)),
            ),
            Err(errs) => {
                for (f, m) in errs {
                    c.push(format!("criticality.{f}"), m);
                }
                (None, None)
            }
        },
    }
}

impl App {
    pub(crate) async fn load_asset(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<Asset> {
        let a = asset::get(&self.db, id)
            .await
            .map_err(crate::missing("asset"))?;
        ctx.actor.check(a.site_id, action, "asset")?;
        Ok(a)
    }

    /// Loads an asset named in the input: one that does not exist (or is not visible) is a
    /// field error on `asset_id`, not a 404 of the endpoint.
    pub(crate) async fn load_asset_ref(
        &self,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
    ) -> AppResult<Asset> {
        self.load_asset(ctx, id, action).await.map_err(|e| match e {
            AppError::NotFound(_) => AppError::invalid("asset_id", "no such asset"),
            e => e,
        })
    }

    pub async fn create_asset(&self, ctx: &Ctx, input: NewAsset) -> AppResult<AssetView> {
        // The site must exist and be writable by the actor before anything else is said.
        let site = overhaul_store::site::get(&self.db, input.site_id)
            .await
            .map_err(crate::missing_ref("site_id", "no such site"))?;
        ctx.actor
            .check(site.id, Action::EditAssets, "site")
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::invalid("site_id", "no such site"),
                e => e,
            })?;
        let mut c = Checks::new();
        let code = c.take("code", Code::parse(&input.code));
        let name = c.take("name", parse_line(&input.name, 200));
        let class = match &input.equipment_class {
            Some(k) => c.take("equipment_class", parse_equipment_class(k)),
            None => None,
        };
        let (consequence, likelihood) = criticality_parts(&mut c, input.criticality);
        check_value(&mut c, input.replacement_value);
        if input.status == Some(AssetStatus::Decommissioned) {
            c.push("status", "a new asset cannot start decommissioned");
        }
        let parent = match input.parent_id {
            Some(pid) => match asset::get(&self.db, pid).await {
                Ok(p) if p.site_id == site.id => Some(p),
                Ok(_) => {
                    c.push("parent_id", "the parent belongs to another site");
                    None
                }
                Err(overhaul_store::StoreError::NotFound) => {
                    c.push("parent_id", "no such asset");
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        if input.parent_id.is_none() || parent.is_some() {
            let parent_level = parent
                .as_ref()
                .and_then(|p| AssetLevel::parse(&p.level).ok());
            c.take("level", check_placement(input.level, parent_level));
        }
        if parent
            .as_ref()
            .is_some_and(|p| p.status == AssetStatus::Decommissioned.as_str())
        {
            c.push("parent_id", "the parent is decommissioned");
        }
        c.finish()?;
        let (Some(code), Some(name)) = (code, name) else {
            return Err(AppError::Internal("validation".into()));
        };
        let id = Uuid::now_v7();
        let a = Asset {
            id,
            site_id: site.id,
            parent_id: parent.as_ref().map(|p| p.id),
            path: Asset::child_path(parent.as_ref().map(|p| p.path.as_str()), id),
            code: code.into_inner(),
            name,
            level: input.level.as_str().to_owned(),
            equipment_class: class,
            consequence,
            likelihood,
            status: input
                .status
                .unwrap_or(AssetStatus::Running)
                .as_str()
                .to_owned(),
            replacement_value: input.replacement_value,
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        asset::insert(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(a.into())
    }

    pub async fn get_asset(&self, ctx: &Ctx, id: Uuid) -> AppResult<AssetView> {
        Ok(self.load_asset(ctx, id, Action::Read).await?.into())
    }

    pub async fn asset_by_code(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        code: &str,
    ) -> AppResult<AssetView> {
        let a = asset::by_code(&self.db, site_id, code)
            .await?
            .ok_or(AppError::NotFound("asset"))?;
        ctx.actor.check(a.site_id, Action::Read, "asset")?;
        Ok(a.into())
    }

    pub async fn list_assets(&self, ctx: &Ctx, q: AssetQuery) -> AppResult<Page<AssetView>> {
        let limit = page_limit(q.limit)?;
        let after = match &q.cursor {
            Some(c) => Some(cursor::decode(c).map_err(|m| AppError::invalid("cursor", m))?),
            None => None,
        };
        let subtree_path = match q.subtree_of {
            Some(id) => Some(self.load_asset(ctx, id, Action::Read).await?.path),
            None => None,
        };
        let f = AssetFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            parent_id: q.parent_id,
            roots_only: q.roots.unwrap_or(false),
            subtree_path,
            level: q.level.map(|l| l.as_str().to_owned()),
            status: q.status.map(|s| s.as_str().to_owned()),
            q: q.q.filter(|s| !s.trim().is_empty()),
            after,
            limit: limit + 1,
        };
        let mut items = asset::list(&self.db, &f).await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| cursor::encode(&a.code, a.id))
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(AssetView::from).collect(),
            next_cursor,
        })
    }

    pub async fn update_asset(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        p: AssetPatch,
    ) -> AppResult<AssetView> {
        let old = self.load_asset(ctx, id, Action::EditAssets).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        if old.status == AssetStatus::Decommissioned.as_str() {
            return Err(AppError::rule("a decommissioned asset cannot be changed"));
        }
        let mut c = Checks::new();
        let mut new = old.clone();
        if let Some(code) = &p.code
            && let Some(code) = c.take("code", Code::parse(code))
        {
            new.code = code.into_inner();
        }
        if let Some(n) = &p.name
            && let Some(n) = c.take("name", parse_line(n, 200))
        {
            new.name = n;
        }
        if let Some(l) = p.level {
            new.level = l.as_str().to_owned();
        }
        if let Some(k) = &p.equipment_class {
            new.equipment_class = match k {
                Some(k) => c.take("equipment_class", parse_equipment_class(k)),
                None => None,
            };
        }
        if let Some(k) = p.criticality {
            (new.consequence, new.likelihood) = criticality_parts(&mut c, k);
        }
        if let Some(v) = p.replacement_value {
            check_value(&mut c, v);
            new.replacement_value = v;
        }
        if p.status == Some(AssetStatus::Decommissioned) {
            c.push("status", "use POST /api/v1/assets/{id}/decommission");
        }
        let reason = match &p.reason {
            Some(r) => c.take("reason", parse_line(r, 500)),
            None => None,
        };
        // Re-parenting: same site, no cycle, level order kept.
        let mut parent_level = None;
        let parent_change = p.parent_id;
        if let Some(new_parent) = parent_change {
            match new_parent {
                None => {
                    new.parent_id = None;
                    new.path = Asset::child_path(None, old.id);
                }
                Some(pid) => match asset::get(&self.db, pid).await {
                    Ok(np) if np.site_id != old.site_id => {
                        c.push("parent_id", "the parent belongs to another site")
                    }
                    Ok(np) => {
                        let mut ancestry = vec![np.id];
                        ancestry.extend(np.ancestry());
                        if let Err(m) = check_no_cycle(old.id, &ancestry) {
                            c.push("parent_id", m);
                        } else {
                            new.parent_id = Some(np.id);
                            new.path = Asset::child_path(Some(&np.path), old.id);
                            parent_level = AssetLevel::parse(&np.level).ok();
                        }
                    }
                    Err(overhaul_store::StoreError::NotFound) => {
                        c.push("parent_id", "no such asset")
                    }
                    Err(e) => return Err(e.into()),
                },
            }
        } else if let Some(pid) = old.parent_id {
            parent_level = asset::get(&self.db, pid)
                .await
                .ok()
                .and_then(|p| AssetLevel::parse(&p.level).ok());
        }
        if let Ok(level) = AssetLevel::parse(&new.level)
            && (parent_change.is_some() || p.level.is_some())
        {
            if new.parent_id.is_some() && parent_level.is_none() && parent_change.is_some() {
                // parent error already reported
            } else {
                c.take("level", check_placement(level, parent_level));
            }
            // children must stay below the new level
            if p.level.is_some() {
                let children = asset::list(
                    &self.db,
                    &AssetFilter {
                        parent_id: Some(old.id),
                        limit: 10_000,
                        ..AssetFilter::default()
                    },
                )
                .await?;
                if children.iter().any(|ch| {
                    AssetLevel::parse(&ch.level).is_ok_and(|cl| cl.depth() <= level.depth())
                }) {
                    c.push("level", "a child of this asset would no longer be below it");
                }
            }
        }
        c.finish()?;
        new.version = old.version + 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        asset::update(&mut tx, &old, &new, reason.as_deref()).await?;
        if let Some(s) = p.status
            && s.as_str() != old.status
        {
            asset::splice_state(
                &mut tx,
                old.id,
                Span {
                    state: s,
                    start: ctx.now,
                    end: None,
                    reason: reason.clone(),
                    downtime_id: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(asset::get(&self.db, id).await?.into())
    }

    /// Deletes an asset that has no history; one with history must be decommissioned instead.
    pub async fn delete_asset(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
    ) -> AppResult<()> {
        let a = self.load_asset(ctx, id, Action::EditAssets).await?;
        if if_version.is_some_and(|v| v != a.version) {
            return Err(AppError::Stale);
        }
        let mut tx = ctx.begin(&self.db).await?;
        if let Some(what) = asset::has_history(&mut tx, id).await? {
            tx.rollback().await?;
            return Err(AppError::Conflict(format!(
                "the asset has {what}; it cannot be deleted. Decommission it instead (POST /api/v1/assets/{id}/decommission)"
            )));
        }
        asset::delete(&mut tx, &a, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes an asset out of service for good; its history stays.
    pub async fn decommission_asset(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: &str,
    ) -> AppResult<AssetView> {
        let a = self.load_asset(ctx, id, Action::EditAssets).await?;
        let reason = parse_line(reason, 500).map_err(|m| AppError::invalid("reason", m))?;
        if a.status == AssetStatus::Decommissioned.as_str() {
            return Err(AppError::rule("the asset is already decommissioned"));
        }
        let open_children = asset::list(
            &self.db,
            &AssetFilter {
                parent_id: Some(id),
                limit: 10_000,
                ..AssetFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|ch| ch.status != AssetStatus::Decommissioned.as_str())
        .count();
        if open_children > 0 {
            return Err(AppError::rule(format!(
                "{open_children} child asset(s) are still in service; decommission or move them first"
            )));
        }
        let mut tx = ctx.begin(&self.db).await?;
        asset::splice_state(
            &mut tx,
            id,
            Span {
                state: AssetStatus::Decommissioned,
                start: ctx.now,
                end: None,
                reason: Some(reason.clone()),
                downtime_id: None,
            },
        )
        .await?;
        asset::set_status(&mut tx, id, AssetStatus::Decommissioned).await?;
        tx.commit().await?;
        Ok(asset::get(&self.db, id).await?.into())
    }

    pub async fn asset_timeline(
        &self,
        ctx: &Ctx,
        id: Uuid,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> AppResult<Vec<StateInterval>> {
        self.load_asset(ctx, id, Action::Read).await?;
        Ok(asset::intervals(&self.db, id, from, to).await?)
    }

    /// Records downtime of an asset (optionally linked to a work order) and lays it over the
    /// asset's state timeline.
    pub async fn record_downtime(
        &self,
        ctx: &Ctx,
        asset_id: Uuid,
        work_order_id: Option<Uuid>,
        input: NewDowntime,
    ) -> AppResult<Downtime> {
        let a = self
            .load_asset(ctx, asset_id, Action::RecordDowntime)
            .await?;
        let mut c = Checks::new();
        let reason = c.take("reason", parse_line(&input.reason, 500));
        let start = overhaul_core::time::micros(input.started_at);
        let end = input.ended_at.map(overhaul_core::time::micros);
        c.take("ended_at", overhaul_core::time::check_interval(start, end));
        if end == Some(start) {
            c.push("ended_at", "must be after started_at");
        }
        if start > ctx.now + chrono::Duration::minutes(5) {
            c.push("started_at", "must not be in the future");
        }
        if a.status == AssetStatus::Decommissioned.as_str() {
            c.push("asset_id", "the asset is decommissioned");
        }
        c.finish()?;
        let d = Downtime {
            id: Uuid::now_v7(),
            asset_id,
            work_order_id,
            started_at: start,
            ended_at: end,
            planned: input.planned,
            reason: reason.unwrap_or_default(),
            version: 1,
            created_by: ctx.actor.user_id(),
            created_at: ctx.now,
        };
        let state = if d.planned {
            AssetStatus::DownPlanned
        } else {
            AssetStatus::DownUnplanned
        };
        let mut tx = ctx.begin(&self.db).await?;
        asset::insert_downtime(&mut tx, &d).await?;
        let current = asset::splice_state(
            &mut tx,
            asset_id,
            Span {
                state,
                start,
                end,
                reason: Some(d.reason.clone()),
                downtime_id: Some(d.id),
            },
        )
        .await?;
        if let Some(cur) = current
            && cur.as_str() != a.status
        {
            asset::set_status(&mut tx, asset_id, cur).await?;
        }
        tx.commit().await?;
        Ok(d)
    }

    /// Ends an open downtime: the asset returns to the state it had before the downtime began.
    pub async fn end_downtime(
        &self,
        ctx: &Ctx,
        downtime_id: Uuid,
        input: EndDowntime,
    ) -> AppResult<Downtime> {
        let old = asset::get_downtime(&self.db, downtime_id)
            .await
            .map_err(crate::missing("downtime"))?;
        let a = self
            .load_asset(ctx, old.asset_id, Action::RecordDowntime)
            .await?;
        if old.ended_at.is_some() {
            return Err(AppError::rule("this downtime has already ended"));
        }
        let end = overhaul_core::time::micros(input.ended_at);
        if end <= old.started_at {
            return Err(AppError::invalid("ended_at", "must be after started_at"));
        }
        let mut new = old.clone();
        new.ended_at = Some(end);
        new.version += 1;
        let mut tx = ctx.begin(&self.db).await?;
        asset::end_downtime(&mut tx, &old, &new).await?;
        let before = asset::state_before(&mut tx, a.id, old.started_at)
            .await?
            .filter(|s| !s.is_down())
            .unwrap_or(AssetStatus::Running);
        let current = asset::splice_state(
            &mut tx,
            a.id,
            Span {
                state: before,
                start: end,
                end: None,
                reason: Some("downtime ended".into()),
                downtime_id: None,
            },
        )
        .await?;
        if let Some(cur) = current {
            asset::set_status(&mut tx, a.id, cur).await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    pub async fn list_downtime(
        &self,
        ctx: &Ctx,
        asset_id: Option<Uuid>,
        work_order_id: Option<Uuid>,
    ) -> AppResult<Vec<Downtime>> {
        if let Some(a) = asset_id {
            self.load_asset(ctx, a, Action::Read).await?;
        }
        if let Some(w) = work_order_id {
            self.load_work_order(ctx, w, Action::Read).await?;
        }
        Ok(asset::list_downtime(
            &self.db,
            &DowntimeFilter {
                asset_id,
                work_order_id,
            },
        )
        .await?)
    }
}
