//! The problem-report portal behind the QR code on a machine: who may use it, and filing a
//! request there. A site decides whether reports need a login (`allow_anonymous_requests`, off
//! by default); the rule is enforced here, not in the page.

use crate::attachments::{Owner, Upload};
use crate::work_requests::NewWorkRequest;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Utc};
use overhaul_store::asset::Asset;
use overhaul_store::site::Site;
use overhaul_store::work_request::WorkRequest;

/// The asset a QR code names, and its site.
#[derive(Debug, Clone)]
pub struct PortalTarget {
    pub site: Site,
    pub asset: Asset,
}

/// What the portal shows about a request filed there (no internal details).
#[derive(Debug, Clone)]
pub struct PortalStatus {
    pub number: String,
    pub title: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub work_order_number: Option<String>,
    pub work_order_status: Option<String>,
}

impl App {
    /// Resolves `/r/{asset_code}?site={site_code}`. Without a site code the asset code must be
    /// unique across sites. Decommissioned assets are not offered.
    pub async fn portal_target(
        &self,
        site_code: Option<&str>,
        asset_code: &str,
    ) -> AppResult<PortalTarget> {
        let sites = match site_code {
            Some(c) => overhaul_store::site::by_code(&self.db, c)
                .await?
                .into_iter()
                .collect::<Vec<_>>(),
            None => overhaul_store::site::list(&self.db, None).await?,
        };
        let mut found = vec![];
        for site in sites {
            if let Some(a) = overhaul_store::asset::by_code(&self.db, site.id, asset_code).await? {
                found.push(PortalTarget { site, asset: a });
            }
        }
        match found.len() {
            0 => Err(AppError::NotFound("asset")),
            1 => {
                let t = found.remove(0);
                if t.asset.status == "decommissioned" {
                    Err(AppError::rule("this asset is decommissioned"))
                } else {
                    Ok(t)
                }
            }
            _ => Err(AppError::rule(
                "several sites have an asset with this code; scan the label again or add ?site=CODE",
            )),
        }
    }

    /// Files a request from the portal: as the signed-in user when there is one, else
    /// anonymously where the site allows it (the audit trail names the portal and the
    /// reporter's own words for their name).
    pub async fn portal_request(
        &self,
        user: Option<&Ctx>,
        target: &PortalTarget,
        mut input: NewWorkRequest,
        photo: Option<Upload>,
        now: DateTime<Utc>,
    ) -> AppResult<WorkRequest> {
        input.asset_id = target.asset.id;
        let anonymous = Ctx::system("portal (anonymous)", now);
        let ctx = match user {
            Some(ctx) => ctx,
            None if target.site.allow_anonymous_requests => &anonymous,
            None => return Err(AppError::Unauthenticated),
        };
        // A photo that is not one is refused before anything is filed.
        if let Some(p) = &photo {
            overhaul_core::attachment::inspect(&p.bytes)
                .map_err(|m| AppError::invalid("photo", m))?;
        }
        let r = self.create_work_request(ctx, input).await?;
        if let Some(p) = photo {
            self.attach(ctx, Owner::WorkRequest(r.id), p).await?;
        }
        Ok(r)
    }

    /// The status of a request filed at this asset, by number. Anonymous readers see it only
    /// where the site allows anonymous reports; signed-in readers need to see the site.
    pub async fn portal_status(
        &self,
        user: Option<&Ctx>,
        target: &PortalTarget,
        number: &str,
    ) -> AppResult<PortalStatus> {
        match user {
            Some(ctx) => ctx
                .actor
                .check(target.site.id, crate::Action::Read, "work request")?,
            None if target.site.allow_anonymous_requests => {}
            None => return Err(AppError::Unauthenticated),
        }
        let r = overhaul_store::work_request::by_number(&self.db, number)
            .await?
            .filter(|r| r.asset_id == target.asset.id)
            .ok_or(AppError::NotFound("request"))?;
        let wo = match r.work_order_id {
            Some(id) => Some(overhaul_store::work_order::get(&self.db, id).await?),
            None => None,
        };
        Ok(PortalStatus {
            number: r.number,
            title: r.title,
            status: r.status,
            created_at: r.created_at,
            work_order_number: wo.as_ref().map(|w| w.number.clone()),
            work_order_status: wo.map(|w| w.status),
        })
    }
}
