//! A user's named views of the work-order list ("my overdue electrical work"): the list's
//! filters kept as its query string, so a view opens exactly as it was saved.

use crate::{App, AppError, AppResult, Ctx};
use overhaul_store::saved_view::{self, SavedView};
use uuid::Uuid;

/// Checks a view's name and query; returns them cleaned.
pub fn check_view(name: &str, query: &str) -> Result<(String, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            "give the view a name of 1 to 60 characters",
        ));
    }
    let query = query.trim().trim_start_matches('?');
    let allowed = |c: char| c.is_ascii_alphanumeric() || "=&%_.:+-~".contains(c);
    if query.len() > 1000 || !query.chars().all(allowed) {
        return Err(AppError::invalid(
            "query",
            "is not a list filter of this application",
        ));
    }
    let drop_cursor: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="))
        .collect();
    Ok((name.to_owned(), drop_cursor.join("&")))
}

impl App {
    pub async fn save_view(&self, ctx: &Ctx, name: &str, query: &str) -> AppResult<SavedView> {
        let user = ctx
            .actor
            .user_id()
            .ok_or_else(|| AppError::rule("only people have saved views"))?;
        let (name, query) = check_view(name, query)?;
        let v = SavedView {
            id: Uuid::now_v7(),
            user_id: user,
            name,
            query,
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        saved_view::insert(&mut tx, &v).await.map_err(|e| match e {
            overhaul_store::StoreError::Conflict(_) => {
                AppError::Conflict("you already have a view with this name".into())
            }
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn saved_views(&self, ctx: &Ctx) -> AppResult<Vec<SavedView>> {
        match ctx.actor.user_id() {
            Some(u) => Ok(saved_view::of_user(&self.db, u).await?),
            None => Ok(vec![]),
        }
    }

    /// Deletes one of the caller's own views (another user's is "not found").
    pub async fn delete_view(&self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        let v = saved_view::get(&self.db, id)
            .await
            .map_err(crate::missing("saved view"))?;
        if Some(v.user_id) != ctx.actor.user_id() {
            return Err(AppError::NotFound("saved view"));
        }
        let mut tx = ctx.begin(&self.db).await?;
        saved_view::delete(&mut tx, &v).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_keep_filters_and_drop_the_page_position() {
        let ok = [
            (
                "Overdue",
                "status=open&due=overdue",
                "status=open&due=overdue",
            ),
            (" Mine ", "?assignee=me&cursor=abc", "assignee=me"),
            (
                "Search",
                "q=bearing%20noise&type=corrective",
                "q=bearing%20noise&type=corrective",
            ),
        ];
        for (n, q, want) in ok {
            assert_eq!(check_view(n, q).unwrap().1, want, "{q}");
        }
        assert!(check_view("", "status=open").is_err());
        assert!(check_view(&"x".repeat(61), "status=open").is_err());
        assert!(check_view("x", "status=open\"><script>").is_err());
        assert!(check_view("x", "a=b#frag").is_err());
    }
}
