//! Roles a user holds, per site or across all sites.

text_enum!(
    /// What a person does in the plant; the permission table in the app layer maps each role to
    /// the actions it may take.
    Role {
        Admin => "admin",
        Manager => "manager",
        Planner => "planner",
        Technician => "technician",
        Operator => "operator",
        Storekeeper => "storekeeper",
        Auditor => "auditor",
    }
);
