//! The coverage engine (domain section 3): given a snapshot of parties, services and agreements,
//! say for each service whether a chain of BAAs covers it on a given day, and what to fix.
//!
//! [`evaluate`] is a pure function of its inputs; the rules, boundaries and every decision the
//! domain reference leaves open are written down in `docs/coverage-rules.md`.

pub mod build;
mod engine;
mod model;
mod report;

pub use engine::evaluate;
pub use model::{
    Agreement, AgreementKind, App, Clause, ClauseEvidence, Environment, FlyOrg, Party, Phi, Policy, Role,
    Scope, Service, ServiceProvisioning, Standing, Status, StatusChange, World,
};
pub use report::{
    Expiring, Finding, Report, RuleId, ServiceReport, Severity, Subject, SubjectKind, Summary, Verdict,
};
