//! Who may do what, where: the permission table and per-site scoping.

use crate::{AppError, AppResult};
use overhaul_core::role::Role;
use overhaul_store::ActorRef;
use uuid::Uuid;

/// Everything a user can ask the system to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read anything at the site.
    Read,
    /// Create and configure sites (global admins only).
    ManageSites,
    ManageUsers,
    EditAssets,
    RecordReadings,
    CreateRequest,
    TriageRequest,
    CreateWorkOrder,
    /// Approve, plan, schedule, close, cancel work; edit its plan.
    PlanWork,
    /// Start, hold, resume, complete work; record failure reports.
    ExecuteWork,
    RecordLabor,
    RecordDowntime,
    Comment,
    ReadAudit,
    /// Acknowledge, shelve and unshelve alarms.
    HandleAlarms,
}

use Action::*;

/// The permission table. Read by people and by `permits`; change it here only.
pub const PERMISSIONS: &[(Role, &[Action])] = &[
    (
        Role::Admin,
        &[
            Read,
            ManageSites,
            ManageUsers,
            EditAssets,
            RecordReadings,
            CreateRequest,
            TriageRequest,
            CreateWorkOrder,
            PlanWork,
            ExecuteWork,
            RecordLabor,
            RecordDowntime,
            Comment,
            ReadAudit,
            HandleAlarms,
        ],
    ),
    (
        Role::Manager,
        &[
            Read,
            EditAssets,
            RecordReadings,
            CreateRequest,
            TriageRequest,
            CreateWorkOrder,
            PlanWork,
            ExecuteWork,
            RecordLabor,
            RecordDowntime,
            Comment,
            ReadAudit,
            HandleAlarms,
        ],
    ),
    (
        Role::Planner,
        &[
            Read,
            EditAssets,
            RecordReadings,
            CreateRequest,
            TriageRequest,
            CreateWorkOrder,
            PlanWork,
            RecordLabor,
            RecordDowntime,
            Comment,
            HandleAlarms,
        ],
    ),
    (
        Role::Technician,
        &[
            Read,
            RecordReadings,
            CreateRequest,
            CreateWorkOrder,
            ExecuteWork,
            RecordLabor,
            RecordDowntime,
            Comment,
            HandleAlarms,
        ],
    ),
    (
        Role::Operator,
        &[
            Read,
            RecordReadings,
            CreateRequest,
            RecordDowntime,
            Comment,
            HandleAlarms,
        ],
    ),
    (Role::Storekeeper, &[Read, CreateRequest, Comment]),
    (Role::Auditor, &[Read, ReadAudit]),
];

pub fn permits(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .any(|(r, actions)| *r == role && actions.contains(&action))
}

/// An authenticated user with their grants.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    /// (site, role); site `None` = every site.
    pub grants: Vec<(Option<Uuid>, Role)>,
}

impl Principal {
    /// Sites this user can see; `None` = all.
    pub fn visible_sites(&self) -> Option<Vec<Uuid>> {
        if self.grants.iter().any(|(s, _)| s.is_none()) {
            None
        } else {
            let mut v: Vec<Uuid> = self.grants.iter().filter_map(|(s, _)| *s).collect();
            v.sort();
            v.dedup();
            Some(v)
        }
    }

    pub fn sees(&self, site: Uuid) -> bool {
        self.grants.iter().any(|(s, _)| s.is_none_or(|s| s == site))
    }

    pub fn can(&self, site: Option<Uuid>, action: Action) -> bool {
        self.grants.iter().any(|(s, role)| {
            let in_scope = match (s, site) {
                (None, _) => true,
                (Some(g), Some(x)) => *g == x,
                (Some(_), None) => false,
            };
            in_scope && permits(*role, action)
        })
    }

    pub fn can_anywhere(&self, action: Action) -> bool {
        self.grants.iter().any(|(_, r)| permits(*r, action))
    }
}

#[derive(Debug, Clone)]
pub enum Actor {
    User(Principal),
    /// Internal jobs, the CLI and the demo seeder: unrestricted, named in the audit trail.
    System(String),
}

impl Actor {
    pub fn audit_ref(&self) -> ActorRef {
        match self {
            Actor::User(p) => ActorRef {
                id: Some(p.user_id),
                name: p.email.clone(),
            },
            Actor::System(n) => ActorRef::system(n),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Actor::User(p) => Some(p.user_id),
            Actor::System(_) => None,
        }
    }

    /// `None` = sees every site.
    pub fn visible_sites(&self) -> Option<Vec<Uuid>> {
        match self {
            Actor::User(p) => p.visible_sites(),
            Actor::System(_) => None,
        }
    }

    /// Checks access to a record of `site`: 404 when the site is not visible at all (so a user
    /// of site A cannot even learn that a record of site B exists), 403 when visible but the
    /// role does not permit the action.
    pub fn check(&self, site: Uuid, action: Action, what: &'static str) -> AppResult<()> {
        match self {
            Actor::System(_) => Ok(()),
            Actor::User(p) => {
                if !p.sees(site) {
                    Err(AppError::NotFound(what))
                } else if !p.can(Some(site), action) {
                    Err(AppError::Forbidden(format!(
                        "your role at this site does not allow this ({action:?})"
                    )))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Checks an action that is not tied to one site (managing sites and users).
    pub fn check_global(&self, action: Action) -> AppResult<()> {
        match self {
            Actor::System(_) => Ok(()),
            Actor::User(p) if p.can(None, action) => Ok(()),
            Actor::User(_) => Err(AppError::Forbidden(format!(
                "this needs a role granted for all sites that allows {action:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        let cases = [
            (Role::Admin, ManageUsers, true),
            (Role::Manager, ManageUsers, false),
            (Role::Planner, PlanWork, true),
            (Role::Planner, ExecuteWork, false),
            (Role::Technician, ExecuteWork, true),
            (Role::Technician, PlanWork, false),
            (Role::Technician, TriageRequest, false),
            (Role::Operator, CreateRequest, true),
            (Role::Operator, CreateWorkOrder, false),
            (Role::Storekeeper, EditAssets, false),
            (Role::Auditor, ReadAudit, true),
            (Role::Auditor, Comment, false),
            (Role::Auditor, Read, true),
            (Role::Operator, HandleAlarms, true),
            (Role::Auditor, HandleAlarms, false),
            (Role::Storekeeper, HandleAlarms, false),
        ];
        for (role, action, ok) in cases {
            assert_eq!(permits(role, action), ok, "{role} {action:?}");
        }
        // every role can read
        for r in Role::ALL {
            assert!(permits(*r, Read), "{r}");
        }
    }

    #[test]
    fn site_scoping() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let tech_a = Actor::User(Principal {
            user_id: Uuid::now_v7(),
            name: "T".into(),
            email: "t@x".into(),
            grants: vec![(Some(a), Role::Technician)],
        });
        assert!(tech_a.check(a, ExecuteWork, "work order").is_ok());
        assert!(matches!(
            tech_a.check(a, PlanWork, "work order"),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            tech_a.check(b, Read, "work order"),
            Err(AppError::NotFound(_))
        ));
        assert_eq!(tech_a.visible_sites(), Some(vec![a]));
        assert!(tech_a.check_global(ManageSites).is_err());

        let admin = Actor::User(Principal {
            user_id: Uuid::now_v7(),
            name: "A".into(),
            email: "a@x".into(),
            grants: vec![(None, Role::Admin)],
        });
        assert!(admin.check(b, PlanWork, "x").is_ok());
        assert!(admin.check_global(ManageSites).is_ok());
        assert_eq!(admin.visible_sites(), None);

        // a site-scoped admin administers that site but cannot create sites
        let site_admin = Actor::User(Principal {
            user_id: Uuid::now_v7(),
            name: "S".into(),
            email: "s@x".into(),
            grants: vec![(Some(a), Role::Admin)],
        });
        assert!(site_admin.check(a, EditAssets, "x").is_ok());
        assert!(site_admin.check_global(ManageSites).is_err());
    }
}
