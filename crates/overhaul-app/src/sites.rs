//! Sites: code, name, time zone, business hours.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use overhaul_core::site::{BusinessHours, parse_timezone};
use overhaul_core::validation::{Checks, Code, parse_line};
use overhaul_store::site::{self, Site};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    pub code: String,
    pub name: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    pub business_hours: Option<BusinessHours>,
    /// ISO 4217 code; default `EUR`.
    pub currency: Option<String>,
    #[serde(default)]
    pub allow_anonymous_requests: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub business_hours: Option<BusinessHours>,
    pub currency: Option<String>,
    pub allow_anonymous_requests: Option<bool>,
}

/// A site as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    #[serde(flatten)]
    pub site: Site,
    pub business_hours: BusinessHours,
}

impl From<Site> for SiteView {
    fn from(site: Site) -> Self {
        let business_hours = serde_json::from_str(&site.business_hours).unwrap_or_default();
        Self {
            site,
            business_hours,
        }
    }
}

fn parse_currency(raw: &str) -> Result<String, String> {
    if raw.len() == 3 && raw.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err("must be an ISO 4217 code such as EUR or USD".into())
    }
}

impl App {
    pub async fn create_site(&self, ctx: &Ctx, input: NewSite) -> AppResult<SiteView> {
        ctx.actor.check_global(Action::ManageSites)?;
        let mut c = Checks::new();
        let code = c.take("code", Code::parse(&input.code));
        let name = c.take("name", parse_line(&input.name, 200));
        let tz = c.take("timezone", parse_timezone(&input.timezone));
        let bh = input.business_hours.unwrap_or_default();
        bh.check("business_hours", &mut c);
        let currency = c.take(
            "currency",
            parse_currency(input.currency.as_deref().unwrap_or("EUR")),
        );
        c.finish()?;
        let (Some(code), Some(name), Some(tz), Some(currency)) = (code, name, tz, currency) else {
            return Err(AppError::Internal("validation".into()));
        };
        let s = Site {
            id: Uuid::now_v7(),
            code: code.into_inner(),
            name,
            timezone: tz.name().to_owned(),
            business_hours: serde_json::to_string(&bh).unwrap_or_default(),
            currency,
            allow_anonymous_requests: input.allow_anonymous_requests,
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        site::insert(&mut tx, &s).await?;
        tx.commit().await?;
        Ok(s.into())
    }

    pub async fn get_site(&self, ctx: &Ctx, id: Uuid) -> AppResult<SiteView> {
        let s = site::get(&self.db, id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(s.id, Action::Read, "site")?;
        Ok(s.into())
    }

    pub async fn list_sites(&self, ctx: &Ctx) -> AppResult<Vec<SiteView>> {
        let only = ctx.actor.visible_sites();
        Ok(site::list(&self.db, only.as_deref())
            .await?
            .into_iter()
            .map(SiteView::from)
            .collect())
    }

    pub async fn update_site(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        p: SitePatch,
    ) -> AppResult<SiteView> {
        let old = site::get(&self.db, id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(old.id, Action::ManageUsers, "site")?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let mut c = Checks::new();
        let mut new = old.clone();
        if let Some(n) = &p.name
            && let Some(n) = c.take("name", parse_line(n, 200))
        {
            new.name = n;
        }
        if let Some(t) = &p.timezone
            && let Some(t) = c.take("timezone", parse_timezone(t))
        {
            new.timezone = t.name().to_owned();
        }
        if let Some(bh) = &p.business_hours {
            bh.check("business_hours", &mut c);
            new.business_hours = serde_json::to_string(bh).unwrap_or_default();
        }
        if let Some(cur) = &p.currency
            && let Some(cur) = c.take("currency", parse_currency(cur))
        {
            new.currency = cur;
        }
        if let Some(a) = p.allow_anonymous_requests {
            new.allow_anonymous_requests = a;
        }
        c.finish()?;
        new.version = old.version + 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        site::update(&mut tx, &old, &new).await?;
        tx.commit().await?;
        Ok(new.into())
    }
}
