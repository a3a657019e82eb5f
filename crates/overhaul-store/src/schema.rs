//! Table and column names, checked by the compiler wherever a statement is built.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Sites {
    Table,
    Id,
    Code,
    Name,
    Timezone,
    BusinessHours,
    Currency,
    AllowAnonymousRequests,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    IsActive,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum UserRoles {
    Table,
    Id,
    UserId,
    SiteId,
    Role,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Assets {
    Table,
    Id,
    SiteId,
    ParentId,
    Path,
    Code,
    Name,
    Level,
    EquipmentClass,
    Consequence,
    Likelihood,
    Status,
    ReplacementValue,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AssetStateIntervals {
    Table,
    Id,
    AssetId,
    State,
    StartedAt,
    EndedAt,
    Reason,
    DowntimeId,
}

#[derive(Iden, Clone, Copy)]
pub enum DowntimeEvents {
    Table,
    Id,
    AssetId,
    WorkOrderId,
    StartedAt,
    EndedAt,
    Planned,
    Reason,
    Version,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Meters {
    Table,
    Id,
    AssetId,
    Code,
    Name,
    Kind,
    Unit,
    LastValue,
    LastReadAt,
    Version,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum MeterReadings {
    Table,
    Id,
    MeterId,
    ReadAt,
    Value,
    Source,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum WorkOrders {
    Table,
    Id,
    SiteId,
    AssetId,
    Number,
    Title,
    Description,
    Type,
    Priority,
    Status,
    HoldReason,
    RequestId,
    CreatedBy,
    AssigneeId,
    DueAt,
    StartedAt,
    CompletedAt,
    ClosedAt,
    FailureImpact,
    FailureMode,
    FailureMechanism,
    FailureCause,
    FailureDetection,
    FailureActivity,
    FailureNotes,
    Attachments,
    Version,
    CreatedAt,
    UpdatedAt,
    PmPlanId,
    ProcedureRevisionId,
}

#[derive(Iden, Clone, Copy)]
pub enum WorkRequests {
    Table,
    Id,
    SiteId,
    AssetId,
    Number,
    Title,
    Description,
    Priority,
    Status,
    RejectReason,
    WorkOrderId,
    RequesterName,
    RequestedBy,
    Attachments,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum WorkOrderStatusChanges {
    Table,
    Id,
    WorkOrderId,
    FromStatus,
    ToStatus,
    Reason,
    ChangedBy,
    ChangedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum LaborEntries {
    Table,
    Id,
    WorkOrderId,
    UserId,
    Craft,
    StartedAt,
    EndedAt,
    Minutes,
    Notes,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum WorkOrderComments {
    Table,
    Id,
    WorkOrderId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FailureCodes {
    Table,
    Kind,
    Code,
    Label,
}

#[derive(Iden, Clone, Copy)]
pub enum Counters {
    Table,
    Name,
    Value,
}

#[derive(Iden, Clone, Copy)]
pub enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    RequestHash,
    StatusCode,
    ResponseBody,
    ResponseHeaders,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditLog {
    Table,
    Seq,
    At,
    ActorId,
    ActorName,
    Action,
    Entity,
    EntityId,
    OldValue,
    NewValue,
    Reason,
    PrevHash,
    Hash,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(Iden, Clone, Copy)]
pub enum SiteHolidays {
    Table,
    Id,
    SiteId,
    Day,
    Name,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum PmPlans {
    Table,
    Id,
    SiteId,
    AssetId,
    MeterId,
    Title,
    Description,
    Type,
    Priority,
    Schedule,
    Status,
    Cursor,
    LastCompletedAt,
    LastCompletionReading,
    Version,
    CreatedAt,
    UpdatedAt,
    ProcedureRevisionId,
}

#[derive(Iden, Clone, Copy)]
pub enum PmOccurrences {
    Table,
    Id,
    PlanId,
    Slot,
    Status,
    Reason,
    NominalAt,
    DueAt,
    CreateAt,
    WorkOrderId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Procedures {
    Table,
    Id,
    SiteId,
    Code,
    Title,
    Description,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ProcedureRevisions {
    Table,
    Id,
    ProcedureId,
    Number,
    State,
    Notes,
    SafetyNotes,
    Qualifications,
    EstimatedMinutes,
    Crafts,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    PublishedBy,
}

#[derive(Iden, Clone, Copy)]
pub enum ProcedureSteps {
    Table,
    Id,
    RevisionId,
    Position,
    Kind,
    Title,
    Instructions,
    Required,
    SafetyNote,
    RaiseFollowUpOnFail,
    Params,
}

#[derive(Iden, Clone, Copy)]
pub enum StepResults {
    Table,
    Id,
    WorkOrderId,
    StepId,
    Kind,
    Answer,
    Outcome,
    Reason,
    Note,
    ReadingId,
    FollowUpRequestId,
    RecordedBy,
    RecordedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Signals {
    Table,
    Id,
    AssetId,
    MeterId,
    Name,
    Kind,
    Unit,
    Scale,
    ValueOffset,
    SourceKind,
    SourceKey,
    Source,
    MaxGapS,
    Enabled,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SignalRules {
    Table,
    Id,
    SignalId,
    Name,
    Kind,
    Params,
    Priority,
    Enabled,
    Version,
    CreatedAt,
    UpdatedAt,
    WorkTemplate,
}

#[derive(Iden, Clone, Copy)]
pub enum Readings {
    Table,
    SignalId,
    TsMs,
    Value,
}

#[derive(Iden, Clone, Copy)]
pub enum ReadingRollups {
    Table,
    SignalId,
    HourMs,
    MinValue,
    MaxValue,
    SumValue,
    CountValue,
}

#[derive(Iden, Clone, Copy)]
pub enum Alarms {
    Table,
    Id,
    SignalId,
    RuleId,
    State,
    Priority,
    ActivatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ShelvedUntil,
    ShelveReason,
    Suppressed,
    Chattering,
    RecentActivations,
    ActivationCount,
    WorkRequestId,
    FirstReadingMs,
    LastReadingMs,
    LastValue,
    Version,
    CreatedAt,
    UpdatedAt,
    WorkOrderId,
}

#[derive(Iden, Clone, Copy)]
pub enum AlarmEvents {
    Table,
    Id,
    AlarmId,
    At,
    Kind,
    FromState,
    ToState,
    ReadingMs,
    Value,
    ActorId,
    ActorName,
    Note,
}

/// Every table Overhaul owns, parents before children (the order backups are written and
/// restored in).
pub const TABLES: &[&str] = &[
    "sites",
    "users",
    "user_roles",
    "api_tokens",
    "assets",
    "meters",
    "meter_readings",
    "site_holidays",
    "procedures",
    "procedure_revisions",
    "procedure_steps",
    "pm_plans",
    "work_requests",
    "work_orders",
    "attachments",
    "saved_views",
    "downtime_events",
    "asset_state_intervals",
    "work_order_status_changes",
    "labor_entries",
    "work_order_comments",
    "pm_occurrences",
    "step_results",
    "signals",
    "signal_rules",
    "readings",
    "reading_rollups",
    "alarms",
    "alarm_events",
    "failure_codes",
    "counters",
    "idempotency_keys",
    "audit_log",
    "audit_head",
];

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
}

#[derive(Iden, Clone, Copy)]
pub enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

#[derive(Iden, Clone, Copy)]
pub enum Attachments {
    Table,
    Id,
    SiteId,
    OwnerKind,
    OwnerId,
    Filename,
    Kind,
    SizeBytes,
    Sha256,
    Data,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SavedViews {
    Table,
    Id,
    UserId,
    Name,
    Query,
    CreatedAt,
}
