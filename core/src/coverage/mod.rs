//! The coverage engine (domain section 3): given a snapshot of parties, services and agreements,
//! say for each service whether a chain of BAAs covers it on a given day, and what to fix.
//!
//! [`evaluate`] is a pure function of its inputs; the rules, boundaries and every decision the
//! domain reference leaves open are written down in `docs/coverage-rules.md`.

pub mod build;
pub mod effect;
mod engine;
mod model;
pub mod period;
mod report;

pub use engine::evaluate;
pub use model::{
    cites_encryption, AccountCheck, Agreement, AgreementKind, App, Attestation, Clause, ClauseEvidence,
    Downstream, Environment, FlyOrg, NoPhiBasis, Party, Phi, Policy, Role, SafeguardException,
    SafeguardPolicy, SafeguardRule, Scope, ScopeMiss, Service, ServiceProvisioning, Standing, Status,
    StatusChange, World, DEFAULT_SNAPSHOT_RETENTION_DAYS,
};
pub use period::{change_days, over_period, PeriodReport, Sample, ServicePeriod, Span, SpanState};
pub use report::{
    Action, Deadline, DeadlineKind, Finding, Report, RuleId, ServiceReport, Severity, Subject, SubjectKind,
    Summary, Verdict,
};
