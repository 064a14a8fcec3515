//! Import from the `fly` CLI: parsing every fixture, both table layouts, malformed inputs,
//! the plan for the acme-health sample, idempotency, and the coverage of the imported world.
//!
//! The fixtures are the `fly` samples in `fixtures/fly` (copied from the shared set; see its README);
//! set `BAA_FLY_FIXTURES` to read them from elsewhere.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

mod acme_plan;
mod candidates;
mod coverage;
mod malformed;
mod parsing;
mod updates;

use std::collections::BTreeSet;
use std::path::PathBuf;

use baa_core::catalog::Catalog;
use baa_core::coverage::build::{baa, WorldBuilder};
use baa_core::coverage::{evaluate, Environment, Phi, Policy, Service, ServiceProvisioning, World};
use baa_core::fly_import::{
    apply, plan_import, read_snapshot_dir, Change, ExtensionKind, ImportErrors, ImportPlan, RecordKind,
    Snapshot, SnapshotFile,
};
use chrono::NaiveDate;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Day of the import (the fixtures were rendered as if run on 2026-08-21).
fn today() -> NaiveDate {
    d("2026-08-21")
}

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("BAA_FLY_FIXTURES")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fly"), PathBuf::from);
    assert!(
        dir.join("README.md").is_file(),
        "fly fixtures not found in {}: set BAA_FLY_FIXTURES",
        dir.display()
    );
    dir
}

fn all_fixtures() -> Vec<SnapshotFile> {
    read_snapshot_dir(&fixtures_dir()).unwrap()
}

fn fixture(name: &str) -> SnapshotFile {
    let bytes = std::fs::read(fixtures_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    SnapshotFile::new(name, bytes)
}

fn parse(files: &[SnapshotFile]) -> Snapshot {
    Snapshot::parse(files).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(files: &[SnapshotFile]) -> ImportErrors {
    match Snapshot::parse(files) {
        Ok(s) => panic!("expected errors, parsed {s:?}"),
        Err(e) => e,
    }
}

/// Which table layout a snapshot uses.
#[derive(Clone, Copy)]
enum Layout {
    /// `--json` where the command has it, current tables otherwise.
    Json,
    /// Current tables only (orgs from JSON: `fly orgs list` has no tablewriter table).
    Current,
    /// flyctl 0.4.32 tables.
    Legacy,
}

const APPS_WITH_SECRETS: [&str; 4] = ["acme-api", "acme-api-staging", "acme-web", "acme-worker"];
const LISTS: [&str; 8] = [
    "storage-list",
    "redis-list",
    "redis-status--acme-redis-prod",
    "ext-sentry-list",
    "ext-arcjet-list",
    "ext-vector-list",
    "ext-kubernetes-list",
    "ext-wafris-list",
];

/// The acme-health snapshot: every command once, in one layout.
fn acme(layout: Layout) -> Vec<SnapshotFile> {
    let table = |stem: &str| match layout {
        Layout::Legacy if stem != "ext-wafris-list" => format!("{stem}.legacy.txt"),
        _ => format!("{stem}.txt"),
    };
    let mut names = vec!["orgs-list.json".to_owned()];
    match layout {
        Layout::Json => {
            names.push("apps-list.json".to_owned());
            names.extend(APPS_WITH_SECRETS.iter().map(|a| format!("secrets-list--{a}.json")));
        }
        Layout::Current | Layout::Legacy => {
            names.push(table("apps-list"));
            names.extend(APPS_WITH_SECRETS.iter().map(|a| table(&format!("secrets-list--{a}"))));
        }
    }
    names.extend(LISTS.iter().map(|s| table(s)));
    names.iter().map(|n| fixture(n)).collect()
}

fn catalog() -> Catalog {
    Catalog::bundled().unwrap()
}

/// A world with only us, Fly.io as a vendor, and our signed, complete BAA with Fly.io.
fn fly_baa_world() -> World {
    WorldBuilder::new(catalog()).vendor("fly", &[]).agreement(baa("fly-baa", "fly", d("2026-01-01"))).build()
}

fn import(world: &World, files: &[SnapshotFile]) -> (ImportPlan, World) {
    let plan = plan_import(world, &parse(files));
    let after = apply(world, &plan, today());
    (plan, after)
}

/// The same text with legacy file names read as current ones, to compare layouts.
fn as_current<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap().replace(".legacy.txt", ".txt")
}

// The acme-health sample: its orgs and every service its import creates.

/// (id, org, plan, add-ons, apps, candidate apps, regions)
type ServiceRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const PAYG: &str = "pay-as-you-go";
const BOTH: &[&str] = &["acme-api", "acme-worker"];

/// Every service of the acme-health snapshot: its extensions, and each app's Fly Machines (the
/// CLI cannot say which of the two production buckets or Redis databases each app uses, so
/// those links are candidates; the staging org has one of each, so there the link is a fact).
const ACME_SERVICES: [ServiceRow; 23] = [
    ("fly:arcjet:shield:acme-api", PROD, "default", &[], &["acme-api"], &[], &[]),
    ("fly:arcjet:shield:acme-web", PROD, "default", &[], &["acme-web"], &[], &[]),
    ("fly:fly:kubernetes:acme-analytics-fks", PROD, PAYG, &[], &[], &[], &["ord"]),
    ("fly:fly:machines:acme-admin-legacy", PROD, PAYG, &[], &["acme-admin-legacy"], &[], &[]),
    ("fly:fly:machines:acme-api", PROD, PAYG, &[], &["acme-api"], &[], &[]),
    ("fly:fly:machines:acme-api-staging", STAGING, PAYG, &[], &["acme-api-staging"], &[], &[]),
    ("fly:fly:machines:acme-db", PROD, PAYG, &[], &["acme-db"], &[], &[]),
    ("fly:fly:machines:acme-web", PROD, PAYG, &[], &["acme-web"], &[], &[]),
    ("fly:fly:machines:acme-web-staging", STAGING, PAYG, &[], &["acme-web-staging"], &[], &[]),
    ("fly:fly:machines:acme-worker", PROD, PAYG, &[], &["acme-worker"], &[], &[]),
    ("fly:fly:machines:acme-worker-staging", STAGING, PAYG, &[], &["acme-worker-staging"], &[], &[]),
    ("fly:fly:machines:priya-playground", "personal", PAYG, &[], &["priya-playground"], &[], &[]),
    ("fly:sentry:errors:acme-api", PROD, "team", &[], &["acme-api"], &[], &[]),
    ("fly:sentry:errors:acme-api-staging", STAGING, "team", &[], &["acme-api-staging"], &[], &[]),
    ("fly:sentry:errors:acme-web", PROD, "team", &[], &["acme-web"], &[], &[]),
    ("fly:sentry:errors:acme-worker", PROD, "team", &[], &["acme-worker"], &[], &[]),
    ("fly:tigris:object-storage:acme-health-exports", PROD, "standard", &[], &[], BOTH, &[]),
    ("fly:tigris:object-storage:acme-health-patient-docs", PROD, "standard", &[], &[], BOTH, &[]),
    (
        "fly:tigris:object-storage:acme-health-staging-docs",
        STAGING,
        "standard",
        &[],
        &["acme-api-staging"],
        &[],
        &[],
    ),
    ("fly:upstash-redis:redis:acme-redis-prod", PROD, "fixed", &[], &[], BOTH, &["iad", "ord"]),
    ("fly:upstash-redis:redis:acme-redis-staging", STAGING, PAYG, &[], &["acme-api-staging"], &[], &["iad"]),
    ("fly:upstash-redis:redis:acme-sessions-prod", PROD, PAYG, &[], &[], BOTH, &["iad"]),
    (
        "fly:upstash-vector:vector:acme-clinical-notes-index",
        PROD,
        "default",
        &[],
        &["acme-worker"],
        &[],
        &["iad"],
    ),
];
const PROD: &str = "acme-health-production";
const STAGING: &str = "acme-health-staging";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
