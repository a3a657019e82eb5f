//! Roles per site: a second role at another site, refused twice and for unknown sites.

use super::{at, new_site};
use overhaul_app::users::{NewGrant, NewUser};
use overhaul_app::{App, AppError};
use overhaul_core::role::Role;
use overhaul_store::testing;

#[tokio::test]
async fn a_user_gets_a_second_role_at_another_site_once() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "Europe/Berlin").await;
    let u = app
        .create_user(
            &at(0),
            NewUser {
                email: "tom@example.test".into(),
                name: "Tom".into(),
                password: None,
                roles: vec![NewGrant {
                    role: Role::Operator,
                    site_id: None,
                }],
            },
        )
        .await
        .unwrap();
    let grant = || NewGrant {
        role: Role::Technician,
        site_id: Some(site),
    };
    let v = app.grant_role(&at(1), u.user.id, grant()).await.unwrap();
    assert_eq!(v.roles.len(), 2);
    let p = app.principal(u.user.id).await.unwrap();
    assert!(p.grants.contains(&(Some(site), Role::Technician)));
    assert!(matches!(
        app.grant_role(&at(2), u.user.id, grant()).await,
        Err(AppError::Conflict(_))
    ));
    let unknown = NewGrant {
        role: Role::Technician,
        site_id: Some(uuid::Uuid::now_v7()),
    };
    let e = app
        .grant_role(&at(2), u.user.id, unknown)
        .await
        .unwrap_err();
    assert_eq!(e.field_errors()[0].field, "site_id");
    assert_eq!(
        overhaul_store::user::roles(&app.db, u.user.id)
            .await
            .unwrap()
            .len(),
        2,
        "refusals changed nothing"
    );
}
