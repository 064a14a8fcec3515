//! Evidence packets (domain section 6): the PDF an auditor reads and the ZIP bundle that lets
//! anyone re-check it.
//!
//! Pure: [`PacketData`] is plain data assembled elsewhere; [`render_pdf`] draws it,
//! [`build_bundle`] / [`BundleWriter`] package it with the executed documents, the audit
//! excerpt and a manifest of SHA-256 hashes signed with the server's Ed25519 key, and
//! [`verify_bundle`] checks a bundle offline.
//! No database, no clock, no network. Failures (a font that does not parse, a failed write) are
//! `anyhow::Error`s with context: none is the user's to correct, so they are reported as
//! internal failures.

mod bundle;
mod fonts;
mod layout;
mod model;
mod pdf;
mod signature;
mod verify;

pub use bundle::{
    audit_summary, build_bundle, safe_name, AuditSummary, BundleWriter, Manifest, ManifestFile, PacketMeta,
    AUDIT_NAME, DOCUMENTS_DIR, FORMAT, MANIFEST_NAME, PDF_NAME,
};
pub use model::{
    AgreementSection, AuditExcerpt, AuditRow, BusinessAssociate, ClauseRow, CorrectionRow, CoverageRow,
    DocumentVersion, FindingRow, Graph, GraphEdge, GraphNode, NodeKind, PacketData, PeriodSection,
    PeriodService, Person, Phi, SafeguardRow, Severity, SeverityCounts, StatusEntry, Summary, Verdict,
};
pub use pdf::render_pdf;
pub use signature::{
    key_id, seed_from_base64, ManifestSignature, PacketKey, PublicKey, SIGNATURE_FORMAT, SIGNATURE_NAME,
};
pub use verify::{format_report, verify_bundle, verify_bundle_with, Problem, SignatureCheck, VerifyReport};
