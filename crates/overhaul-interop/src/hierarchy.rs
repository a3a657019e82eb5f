//! The site and asset hierarchy an import hangs its history on, created through the ordinary
//! use cases (`create_site`, `create_asset`) and found again by code on the next run.

use crate::report::{ASSETS, Report, SITES};
use overhaul_app::assets::{AssetQuery, NewAsset};
use overhaul_app::sites::NewSite;
use overhaul_app::{App, AppResult, Ctx};
use overhaul_core::asset::AssetLevel;
use std::collections::HashMap;
use uuid::Uuid;

/// An asset the import needs.
pub(crate) struct AssetSpec<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub level: AssetLevel,
    pub parent: Option<Uuid>,
}

/// A site of the import and the assets it already holds, by code.
pub(crate) struct Hierarchy {
    pub site_id: Uuid,
    codes: HashMap<String, Uuid>,
    /// Every asset this import placed or found, in order.
    pub touched: Vec<Uuid>,
}

impl Hierarchy {
    /// Finds the site with `site.code` or creates it, and loads the codes of its assets.
    pub async fn open(
        app: &App,
        ctx: &Ctx,
        site: NewSite,
        report: &mut Report,
    ) -> AppResult<Hierarchy> {
        let existing = app
            .list_sites(ctx)
            .await?
            .into_iter()
            .find(|s| s.site.code == site.code);
        let site_id = match existing {
            Some(s) => {
                report.count(SITES, false);
                s.site.id
            }
            None => {
                let s = app.create_site(ctx, site).await?;
                report.count(SITES, true);
                s.site.id
            }
        };
        let mut codes = HashMap::new();
        let mut cursor = None;
        loop {
            let page = app
                .list_assets(
                    ctx,
                    AssetQuery {
                        site_id: Some(site_id),
                        limit: Some(500),
                        cursor: cursor.take(),
                        ..AssetQuery::default()
                    },
                )
                .await?;
            codes.extend(page.items.into_iter().map(|a| (a.asset.code, a.asset.id)));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(Hierarchy {
            site_id,
            codes,
            touched: Vec::new(),
        })
    }

    /// The asset with `code`, created under `parent` when the site has none.
    pub async fn ensure_asset(
        &mut self,
        app: &App,
        ctx: &Ctx,
        report: &mut Report,
        spec: AssetSpec<'_>,
    ) -> AppResult<Uuid> {
        let AssetSpec {
            code,
            name,
            level,
            parent,
        } = spec;
        let id = match self.codes.get(code) {
            Some(id) => {
                report.count(ASSETS, false);
                *id
            }
            None => {
                let a = app
                    .create_asset(
                        ctx,
                        NewAsset {
                            site_id: self.site_id,
                            parent_id: parent,
                            code: code.to_owned(),
                            name: name.to_owned(),
                            level,
                            equipment_class: None,
                            criticality: None,
                            status: None,
                            replacement_value: None,
                        },
                    )
                    .await?;
                report.count(ASSETS, true);
                self.codes.insert(code.to_owned(), a.asset.id);
                a.asset.id
            }
        };
        self.touched.push(id);
        Ok(id)
    }
}
