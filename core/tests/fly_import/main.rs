//! Import from the `fly` CLI: parsing every fixture, both table layouts, malformed inputs,
//! the plan for the acme-health sample, idempotency, and the coverage of the imported world.
//!
//! The fixtures are the `fly` samples in `fixtures/fly` (copied from the shared set; see its README);
//! set `BAA_FLY_FIXTURES` to read them from elsewhere.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

mod candidates;

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

// ---------------------------------------------------------------------------------------------
// Every fixture file

/// What a fixture file yields on its own: counts of (orgs, apps, secret names, extensions,
/// redis statuses, fly.tomls, notes), or the line of its error.
type Yield = Result<[usize; 7], Option<usize>>;

fn expected_per_file() -> Vec<(&'static str, Yield)> {
    let toml = |notes| Ok([0, 0, 0, 0, 0, 1, notes]);
    vec![
        ("README.md", Ok([0, 0, 0, 0, 0, 0, 1])),
        ("platform-regions.json", Ok([0, 0, 0, 0, 0, 0, 1])),
        ("fly-toml/SOURCES.md", Ok([0, 0, 0, 0, 0, 0, 1])),
        ("orgs-list.json", Ok([3, 0, 0, 0, 0, 0, 0])),
        ("orgs-list.txt", Ok([3, 0, 0, 0, 0, 0, 0])),
        ("apps-list.json", Ok([0, 9, 0, 0, 0, 0, 0])),
        ("apps-list.txt", Ok([0, 9, 0, 0, 0, 0, 0])),
        ("apps-list.legacy.txt", Ok([0, 9, 0, 0, 0, 0, 0])),
        ("secrets-list--acme-api.json", Ok([0, 0, 8, 0, 0, 0, 0])),
        ("secrets-list--acme-api.txt", Ok([0, 0, 8, 0, 0, 0, 0])),
        ("secrets-list--acme-api.legacy.txt", Ok([0, 0, 8, 0, 0, 0, 0])),
        ("secrets-list--acme-worker.json", Ok([0, 0, 10, 0, 0, 0, 0])),
        ("secrets-list--acme-worker.txt", Ok([0, 0, 10, 0, 0, 0, 0])),
        ("secrets-list--acme-worker.legacy.txt", Ok([0, 0, 10, 0, 0, 0, 0])),
        ("secrets-list--acme-web.json", Ok([0, 0, 4, 0, 0, 0, 0])),
        ("secrets-list--acme-web.txt", Ok([0, 0, 4, 0, 0, 0, 0])),
        ("secrets-list--acme-web.legacy.txt", Ok([0, 0, 4, 0, 0, 0, 0])),
        ("secrets-list--acme-api-staging.json", Ok([0, 0, 7, 0, 0, 0, 0])),
        ("secrets-list--acme-api-staging.txt", Ok([0, 0, 7, 0, 0, 0, 0])),
        ("secrets-list--acme-api-staging.legacy.txt", Ok([0, 0, 7, 0, 0, 0, 0])),
        ("storage-list.txt", Ok([0, 0, 0, 3, 0, 0, 0])),
        ("storage-list.legacy.txt", Ok([0, 0, 0, 3, 0, 0, 0])),
        ("redis-list.txt", Ok([0, 0, 0, 3, 0, 0, 0])),
        ("redis-list.legacy.txt", Ok([0, 0, 0, 3, 0, 0, 0])),
        ("redis-status--acme-redis-prod.txt", Ok([0, 0, 0, 0, 1, 0, 0])),
        ("redis-status--acme-redis-prod.legacy.txt", Ok([0, 0, 0, 0, 1, 0, 0])),
        ("ext-sentry-list.txt", Ok([0, 0, 0, 4, 0, 0, 0])),
        ("ext-sentry-list.legacy.txt", Ok([0, 0, 0, 4, 0, 0, 0])),
        ("ext-arcjet-list.txt", Ok([0, 0, 0, 2, 0, 0, 0])),
        ("ext-arcjet-list.legacy.txt", Ok([0, 0, 0, 2, 0, 0, 0])),
        ("ext-vector-list.txt", Ok([0, 0, 0, 1, 0, 0, 0])),
        ("ext-vector-list.legacy.txt", Ok([0, 0, 0, 1, 0, 0, 0])),
        ("ext-kubernetes-list.txt", Ok([0, 0, 0, 1, 0, 0, 0])),
        ("ext-kubernetes-list.legacy.txt", Ok([0, 0, 0, 1, 0, 0, 0])),
        // Help text, not a list: one note, no extension.
        ("ext-wafris-list.txt", Ok([0, 0, 0, 0, 0, 0, 1])),
        ("fly-toml/DiggAiHH__diggai-anamnese__fly.toml", toml(0)),
        ("fly-toml/DiggAiHH__diggai-anamnese__fly.staging.toml", toml(0)),
        ("fly-toml/SebastianGarces__ci_foundation__fly.production.toml", toml(0)),
        ("fly-toml/SebastianGarces__ci_foundation__fly.staging.toml", toml(0)),
        ("fly-toml/commonknowledge__leftbookclub__fly.production.toml", toml(0)),
        // `DJANGO_SETTINGS_MODULE = app.settings.staging`: an unquoted value.
        ("fly-toml/commonknowledge__leftbookclub__fly.staging.toml", Err(Some(8))),
        ("fly-toml/discord-diabetes__diabot__fly.production.toml", toml(0)),
        ("fly-toml/gleam-lang__packages__fly.toml", toml(0)),
        ("fly-toml/jrey8343__nohead-rs__fly.toml", toml(0)),
        ("fly-toml/kmcphillips__twilio-rails-example__fly.toml", toml(0)),
        ("fly-toml/mythal__boluo__apps__db__production__fly.toml", toml(0)),
        ("fly-toml/openstatusHQ__openstatus__apps__checker__fly.toml", toml(0)),
    ]
}

#[test]
fn every_fixture_file_parses_alone_or_fails_on_the_expected_line() {
    let table = expected_per_file();
    let files = all_fixtures();
    let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let listed: BTreeSet<&str> = table.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed, "the table must name every fixture file");
    for (name, expected) in table {
        let file = files.iter().find(|f| f.name == name).unwrap();
        let got = match Snapshot::parse(std::slice::from_ref(file)) {
            Ok(s) => Ok([
                s.orgs.len(),
                s.apps.len(),
                s.secrets.iter().map(|a| a.secrets.len()).sum(),
                s.extensions.len(),
                s.redis_status.len(),
                s.fly_tomls.len(),
                s.unmapped.len(),
            ]),
            Err(ImportErrors(errors)) => {
                assert_eq!(errors.len(), 1, "{name}: {errors:?}");
                assert_eq!(errors[0].file, name);
                assert!(errors[0].message.contains("not a valid fly.toml"), "{name}: {}", errors[0].message);
                Err(errors[0].line)
            }
        };
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn fly_toml_facts_are_app_primary_region_and_volumes() {
    let cases = [
        ("DiggAiHH__diggai-anamnese__fly.toml", "diggai-api", Some("fra"), vec!["diggai_uploads"], 20),
        ("commonknowledge__leftbookclub__fly.production.toml", "lbc-production", None, vec![], 3),
        ("gleam-lang__packages__fly.toml", "gleam-packages", Some("lhr"), vec!["packages_litefs"], 5),
        ("mythal__boluo__apps__db__production__fly.toml", "boluo-db", Some("nrt"), vec!["pgdata"], 6),
        ("openstatusHQ__openstatus__apps__checker__fly.toml", "openstatus-checker", Some("ams"), vec![], 6),
    ];
    for (file, app, region, mounts, line) in cases {
        let s = parse(&[fixture(&format!("fly-toml/{file}"))]);
        let t = &s.fly_tomls[0];
        assert_eq!(
            (t.app.as_str(), t.primary_region.as_deref(), t.mounts.clone(), t.at.line),
            (app, region, mounts.iter().map(|m| (*m).to_owned()).collect(), Some(line)),
            "{file}"
        );
    }
}

#[test]
fn the_whole_fixture_folder_fails_as_a_whole_on_the_invalid_toml() {
    let ImportErrors(errors) = errors(&all_fixtures());
    let at: Vec<(&str, Option<usize>)> = errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
    assert_eq!(at, [("fly-toml/commonknowledge__leftbookclub__fly.staging.toml", Some(8))]);
    // Without it, everything parses, and duplicate outputs of one command are noted, not merged.
    let files: Vec<SnapshotFile> =
        all_fixtures().into_iter().filter(|f| !f.name.contains("leftbookclub__fly.staging")).collect();
    let s = parse(&files);
    assert_eq!(s.apps.len(), 9);
    assert_eq!(s.extensions.len(), 14);
    assert!(s
        .unmapped
        .iter()
        .any(|u| u.file == "apps-list.txt" && u.reason.contains("same command as apps-list.json")));
    assert!(s.unmapped.iter().any(
        |u| u.file == "storage-list.legacy.txt" && u.reason.contains("same command as storage-list.txt")
    ));
}

// ---------------------------------------------------------------------------------------------
// Layouts

#[test]
fn current_and_legacy_tables_give_the_same_snapshot_and_plan() {
    let current = parse(&acme(Layout::Current));
    let legacy = parse(&acme(Layout::Legacy));
    assert_eq!(as_current(&current), as_current(&legacy));
    let world = fly_baa_world();
    assert_eq!(as_current(&plan_import(&world, &current)), as_current(&plan_import(&world, &legacy)));
}

#[test]
fn json_and_table_outputs_give_the_same_records() {
    let world = fly_baa_world();
    let (_, from_json) = import(&world, &acme(Layout::Json));
    let (_, from_tables) = import(&world, &acme(Layout::Current));
    assert_eq!(from_json, from_tables);
}

// ---------------------------------------------------------------------------------------------
// Malformed inputs

#[test]
fn malformed_inputs_fail_with_file_line_and_a_clear_message() {
    let cur = |lines: &[&str]| lines.join("\n") + "\n";
    let cases: Vec<(&str, Vec<u8>, Option<usize>, &str)> = vec![
        (
            "apps-list.json",
            b"[\n  {\"Name\": \"a\" \"Status\": \"deployed\"}\n]\n".to_vec(),
            Some(2),
            "not valid JSON",
        ),
        ("apps-list.json", b"[\n  {\"Name\": \"a\",\n".to_vec(), Some(3), "not valid JSON"),
        ("orgs-list.json", b"{\n  \"acme\": 5\n}\n".to_vec(), Some(2), "JSON of the wrong shape"),
        ("secrets-list--a.json", b"[\n  {\"digest\": \"00\"}\n]\n".to_vec(), Some(2), "missing field `name`"),
        (
            "apps-list.json",
            b"[\n  {\"Name\": \"a\", \"Organization\": null}\n]\n".to_vec(),
            Some(2),
            "no valid org slug",
        ),
        ("storage-list.txt", b"NAME    ORG\nb1      o1\n".to_vec(), Some(1), "not a table header"),
        (
            "storage-list.txt",
            cur(&[" BUCKET │ ORG ", " b      │ o1  "]).into_bytes(),
            Some(1),
            "no NAME column",
        ),
        ("ext-vector-list.txt", cur(&[" name │ org ", " v    │ o1  "]).into_bytes(), Some(1), "upper-case"),
        (
            "redis-list.txt",
            cur(&[" NAME │ ORG │ PLAN ", " r    │ o1 ", " s    │ o1  │ Free "]).into_bytes(),
            Some(2),
            "the row has 2 cells but the header on line 1 has 3 columns",
        ),
        ("ext-sentry-list.txt", cur(&[" NAME │ ORG ", "a\to1\t"]).into_bytes(), Some(2), "tab-separated row"),
        ("storage-list.legacy.txt", b"NAME\tORG \nb1\to1\tx\t\n".to_vec(), Some(2), "has 3 cells"),
        (
            "redis-list.txt",
            cur(&[" NAME │ ORG │ PRIMARY REGION ", " r    │ o1  │ Frankfurt "]).into_bytes(),
            Some(2),
            "`Frankfurt` is not a Fly region code",
        ),
        (
            "apps-list.txt",
            cur(&[" NAME │ OWNER │ STATUS ", " a │ o │ deployed ", " a │ o │ pending "]).into_bytes(),
            Some(3),
            "listed twice (first on line 2)",
        ),
        (
            "apps-list.txt",
            b" NAME \xe2\x94\x82 OWNER \xe2\x94\x82 STATUS \n \xff \xe2\x94\x82 o\n".to_vec(),
            Some(2),
            "not UTF-8",
        ),
        ("storage-list.txt", b"\n\n".to_vec(), None, "the file is empty"),
        ("orgs-list.txt", b"Slug Name\nx y\n".to_vec(), Some(1), "not the output of `fly orgs list`"),
        (
            "redis-status--r.txt",
            cur(&["Redis", " Name     │ r ", " ProdPack │ Maybe "]).into_bytes(),
            Some(3),
            "ProdPack is `Maybe`",
        ),
        ("redis-status--r.txt", cur(&["Redis", " Name │ other "]).into_bytes(), Some(2), "named for `r`"),
        (
            "redis-status--r.txt",
            cur(&["Redis", " Name │ r ", " garbage"]).into_bytes(),
            Some(3),
            "expected `Key │ Value`",
        ),
        ("fly-toml/fly.toml", b"app = \"a\"\n[env]\nX = a.b\n".to_vec(), Some(3), "not a valid fly.toml"),
        ("fly-toml/fly.toml", b"app = \"a\"\nprimary_region = 5\n".to_vec(), Some(2), "not a valid fly.toml"),
        (
            "fly-toml/fly.toml",
            b"app = \"a\"\nprimary_region = \"Frankfurt\"\n".to_vec(),
            Some(2),
            "not a Fly region",
        ),
        ("fly.staging.toml", b"app = \"Not An App\"\n".to_vec(), Some(1), "not a Fly app name"),
    ];
    for (file, bytes, line, message) in cases {
        let ImportErrors(errors) = errors(&[SnapshotFile::new(file, bytes)]);
        assert_eq!(errors.len(), 1, "{file} ({message}): {errors:?}");
        let e = &errors[0];
        assert_eq!((e.file.as_str(), e.line), (file, line), "{message}: {e}");
        assert!(e.message.contains(message), "{file}: `{}` should contain `{message}`", e.message);
    }
}

#[test]
fn every_error_of_every_file_is_reported_and_nothing_partial_comes_out() {
    let files = [
        fixture("orgs-list.json"),
        SnapshotFile::new("apps-list.json", "[}"),
        SnapshotFile::new("storage-list.txt", " NAME │ ORG \n a │ o │ x \n b │ o \n c \n"),
        SnapshotFile::new("fly-toml/fly.toml", "app = \n"),
    ];
    let ImportErrors(errors) = errors(&files);
    let at: Vec<(&str, Option<usize>)> = errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
    assert_eq!(
        at,
        [
            ("apps-list.json", Some(1)),
            ("fly-toml/fly.toml", Some(1)),
            ("storage-list.txt", Some(2)),
            ("storage-list.txt", Some(4))
        ]
    );
    let text = ImportErrors(errors).to_string();
    assert!(text.starts_with("the snapshot cannot be imported: 4 errors\napps-list.json line 1: "), "{text}");
}

#[test]
fn unknown_and_unreadable_files_are_notes_not_errors() {
    let s = parse(&[
        SnapshotFile::new("notes.md", "hello"),
        SnapshotFile::new("Cargo.toml", "[package]"),
        SnapshotFile::new("storage-list.json", "[]"),
        SnapshotFile::new("./snap/ext-wafris-list.txt", fixture("ext-wafris-list.txt").bytes),
    ]);
    let notes: Vec<(&str, Option<usize>)> = s.unmapped.iter().map(|u| (u.file.as_str(), u.line)).collect();
    assert_eq!(
        notes,
        [
            ("Cargo.toml", None),
            ("notes.md", None),
            ("snap/ext-wafris-list.txt", Some(3)),
            ("storage-list.json", None)
        ]
    );
    assert!(s.unmapped[2].reason.contains("no list command for Wafris"), "{}", s.unmapped[2].reason);
    assert!(s.listed.is_empty(), "help text is not a list");
}

#[test]
fn secret_values_digests_and_redis_passwords_are_never_kept() {
    let snapshot = parse(&acme(Layout::Json));
    let plan = plan_import(&fly_baa_world(), &snapshot);
    let text =
        format!("{} {}", serde_json::to_string(&snapshot).unwrap(), serde_json::to_string(&plan).unwrap());
    for secret in [
        "3e3474848c2c040e",
        "f1def7c34b15d5e5",
        "3f9c1e7a5b2d4c80a1e6f7b9d0c2e4a1",
        "redis://",
        "aaV829vaMVQGbi5",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the snapshot or plan");
    }
    assert!(snapshot.secrets.iter().any(|a| a.get("SENTRY_DSN").is_some()));
}

// ---------------------------------------------------------------------------------------------
// The acme-health plan

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

#[test]
fn acme_health_import_creates_the_expected_orgs_apps_and_services() {
    let (plan, world) = import(&fly_baa_world(), &acme(Layout::Json));
    let orgs: Vec<(&str, &str, Environment, &str)> = world
        .orgs
        .iter()
        .map(|o| (o.slug.as_str(), o.name.as_str(), o.environment, o.plan.as_str()))
        .collect();
    assert_eq!(
        orgs,
        [
            (PROD, "Acme Health Production", Environment::Production, "pay-as-you-go"),
            (STAGING, "Acme Health Staging", Environment::Staging, "pay-as-you-go"),
            ("personal", "Priya Raman", Environment::Development, "pay-as-you-go"),
        ]
    );
    assert_eq!(world.apps.len(), 9);
    assert!(world.apps.iter().all(|a| a.regions.is_empty() && a.environment.is_none()));
    assert_eq!(world.apps.iter().find(|a| a.name == "priya-playground").unwrap().org, "personal");

    let got: Vec<_> = world
        .services
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.provisioning.clone(),
                s.plan.clone(),
                s.add_ons.clone(),
                s.apps.clone(),
                s.candidate_apps.clone(),
                s.regions.clone(),
            )
        })
        .collect();
    let want: Vec<_> = ACME_SERVICES
        .iter()
        .map(|(id, org, plan, add_ons, apps, candidates, regions)| {
            (
                *id,
                ServiceProvisioning::Platform { org: (*org).into() },
                (*plan).to_owned(),
                strings(add_ons),
                strings(apps),
                strings(candidates),
                strings(regions),
            )
        })
        .collect();
    assert_eq!(got, want);
    for s in &world.services {
        assert_eq!((s.phi.clone(), s.created_on, s.removed_on), (Phi::Unknown, today(), None), "{}", s.id);
        assert!(s.id.ends_with(&format!(":{}", s.name)));
        let vendor = world.catalog.vendor(&s.vendor).unwrap();
        assert!(vendor.product(&s.product).is_some() && vendor.plan(&s.plan).is_some(), "{}", s.id);
    }
    assert_eq!((plan.creates(), plan.updates()), (3 + 9 + 23, 0));
    assert!(
        world.services.iter().all(|s| s.unconfirmed.is_none()),
        "no vendor is guessed from these secrets"
    );

    // What could not be mapped, with the line it comes from.
    let unmapped: Vec<(&str, Option<usize>, &str)> = plan
        .unmapped
        .iter()
        .map(|u| (u.file.as_str(), u.line, u.reason.split(':').next().unwrap_or("")))
        .collect();
    assert_eq!(
        unmapped,
        [
            ("ext-wafris-list.txt", Some(3), "`fly ext wafris list` printed the command's help"),
            ("secrets-list--acme-api-staging.json", Some(23), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
            ("secrets-list--acme-api.json", Some(28), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
            ("secrets-list--acme-worker.json", Some(23), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
        ]
    );
}

#[test]
fn plan_notes_explain_every_assumption() {
    let plan = plan_import(&fly_baa_world(), &parse(&acme(Layout::Json)));
    let notes = |id: &str| match plan.services.iter().find(|c| c.id() == id).unwrap() {
        Change::Create { notes, sources, .. } => (notes.join(" | "), sources.clone()),
        other => panic!("{id}: {other:?}"),
    };
    let (sentry, _) = notes("fly:sentry:errors:acme-web");
    assert!(sentry.contains("plan `team`") && sentry.contains("PHI unknown"), "{sentry}");
    let (redis, sources) = notes("fly:upstash-redis:redis:acme-redis-prod");
    assert!(
        redis.contains("candidate apps") && redis.contains("unconfirmed until an engineer confirms"),
        "{redis}"
    );
    assert!(!redis.contains("ProdPack unknown"), "{redis}");
    assert_eq!(sources[0].to_string(), "redis-list.txt line 2");
    assert_eq!(sources[1].to_string(), "redis-status--acme-redis-prod.txt line 3");
    let (sessions, _) = notes("fly:upstash-redis:redis:acme-sessions-prod");
    assert!(sessions.contains("ProdPack unknown"), "{sessions}");
    let (fks, _) = notes("fly:fly:kubernetes:acme-analytics-fks");
    assert!(
        fks.contains("no app in the snapshot points at it") && fks.contains("Fly.io's own product"),
        "{fks}"
    );
    let (machines, _) = notes("fly:fly:machines:acme-api");
    assert!(machines.contains("Fly Machines") && machines.contains("PHI unknown"), "{machines}");
    let org = match &plan.orgs[0] {
        Change::Create { notes, .. } => notes.join(" | "),
        other => panic!("{other:?}"),
    };
    assert!(org.contains("plan `pay-as-you-go`") && org.contains("guessed"), "{org}");
}

// ---------------------------------------------------------------------------------------------
// Idempotency and updates

#[test]
fn importing_the_same_snapshot_again_changes_nothing() {
    for layout in [Layout::Json, Layout::Current, Layout::Legacy] {
        let (first, world) = import(&fly_baa_world(), &acme(layout));
        assert!(!first.is_noop());
        let second = plan_import(&world, &parse(&acme(layout)));
        assert_eq!((second.creates(), second.updates()), (0, 0), "{second:#?}");
        assert_eq!(second.orgs.len() + second.apps.len() + second.services.len(), 3 + 9 + 23);
        assert!(second.absent.is_empty());
        assert_eq!(apply(&world, &second, d("2026-09-01")), world);
    }
}

#[test]
fn what_people_recorded_survives_a_reimport() {
    let (_, mut world) = import(&fly_baa_world(), &acme(Layout::Json));
    let prod = world.orgs.iter_mut().find(|o| o.slug == PROD).unwrap();
    prod.packages = vec!["compliance-package".into()];
    prod.name = "Acme (prod)".into();
    let api = world.apps.iter_mut().find(|a| a.name == "acme-api").unwrap();
    api.regions = vec!["iad".into()];
    let sentry = world.services.iter_mut().find(|s| s.id == "fly:sentry:errors:acme-web").unwrap();
    sentry.plan = "business".into();
    sentry.phi = Phi::no("PII scrubbing on");
    sentry.apps.push("acme-admin-legacy".into());
    let redis =
        world.services.iter_mut().find(|s| s.id == "fly:upstash-redis:redis:acme-redis-prod").unwrap();
    redis.plan = "free".into();
    redis.add_ons = vec!["prod-pack".into()];
    redis.regions = vec!["fra".into()];
    redis.removed_on = Some(d("2026-08-01"));

    let plan = plan_import(&world, &parse(&acme(Layout::Json)));
    let updates: Vec<(&str, Fields)> = (plan.orgs.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .chain(plan.apps.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .chain(plan.services.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .collect();
    let f = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        updates,
        [
            (PROD, vec![f("name", "Acme (prod)", "Acme Health Production")]),
            // The app's Machines run where the app runs.
            ("fly:fly:machines:acme-api", vec![f("regions", "(none)", "iad")]),
            (
                "fly:upstash-redis:redis:acme-redis-prod",
                vec![
                    f("plan", "free", "fixed"),
                    f("add_ons", "prod-pack", "(none)"),
                    f("regions", "fra", "iad, ord"),
                    f("removed_on", "2026-08-01", "(not removed)"),
                ]
            ),
        ]
    );
    // The assumed Sentry plan, PHI, extra apps, packages and app regions are left alone.
    let after = apply(&world, &plan, today());
    let sentry = after.services.iter().find(|s| s.id == "fly:sentry:errors:acme-web").unwrap();
    assert_eq!((sentry.plan.as_str(), sentry.apps.len()), ("business", 2));
    assert!(matches!(sentry.phi, Phi::No { .. }));
    assert_eq!(after.orgs.iter().find(|o| o.slug == PROD).unwrap().packages, ["compliance-package"]);
    assert_eq!(after.apps.iter().find(|a| a.name == "acme-api").unwrap().regions, ["iad"]);
    assert!(plan_import(&after, &parse(&acme(Layout::Json))).is_noop());
}

/// (field, before, after) of each changed field.
type Fields = Vec<(String, String, String)>;

fn fields<C, U>(c: &Change<C, U>) -> Option<Fields> {
    match c {
        Change::Update { fields, .. } => {
            Some(fields.iter().map(|f| (f.field.clone(), f.before.clone(), f.after.clone())).collect())
        }
        _ => None,
    }
}

#[test]
fn a_service_recorded_by_hand_is_matched_by_name_not_duplicated() {
    let by_hand = Service {
        id: "svc-123".into(),
        name: "acme-api".into(),
        vendor: "sentry".into(),
        product: "errors".into(),
        plan: "business".into(),
        add_ons: Vec::new(),
        apps: vec!["acme-api".into()],
        candidate_apps: Vec::new(),
        regions: Vec::new(),
        provisioning: ServiceProvisioning::Platform { org: PROD.into() },
        account: None,
        phi: Phi::Yes,
        unconfirmed: None,
        attestations: Vec::new(),
        created_on: d("2026-01-01"),
        removed_on: None,
    };
    let mut world = fly_baa_world();
    world.services.push(by_hand);
    let (plan, after) = import(&world, &acme(Layout::Json));
    assert!(plan.services.iter().any(|c| matches!(c, Change::Unchanged { id } if id == "svc-123")));
    assert!(!after.services.iter().any(|s| s.id == "fly:sentry:errors:acme-api"));
    assert_eq!(after.services.len(), 23);
}

#[test]
fn records_the_snapshot_no_longer_shows_are_reported_absent_not_removed() {
    let (_, world) = import(&fly_baa_world(), &acme(Layout::Json));
    // acme-web is gone from the apps list and acme-health-exports from the storage list.
    let files: Vec<SnapshotFile> = acme(Layout::Current)
        .into_iter()
        .map(|f| match f.name.as_str() {
            "apps-list.txt" | "storage-list.txt" => {
                let text = String::from_utf8(f.bytes).unwrap();
                let kept: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.contains("acme-web ") && !l.contains("acme-health-exports"))
                    .collect();
                SnapshotFile::new(f.name, kept.join("\n") + "\n")
            }
            _ => f,
        })
        .collect();
    let plan = plan_import(&world, &parse(&files));
    let absent: Vec<(RecordKind, &str)> = plan.absent.iter().map(|a| (a.kind, a.id.as_str())).collect();
    assert_eq!(
        absent,
        [
            (RecordKind::App, "acme-web"),
            (RecordKind::Service, "fly:fly:machines:acme-web"),
            (RecordKind::Service, "fly:tigris:object-storage:acme-health-exports")
        ]
    );
    assert_eq!(apply(&world, &plan, today()).apps.len(), 9, "nothing is removed");
}

#[test]
fn fly_toml_adds_the_primary_region_and_volumes_of_known_apps() {
    let toml = "app = 'acme-api'\nprimary_region = 'iad'\n\n[[mounts]]\n  source = 'uploads'\n  destination = '/data'\n";
    let mut files = acme(Layout::Json);
    files.push(SnapshotFile::new("fly-toml/fly.toml", toml));
    files.push(fixture("fly-toml/gleam-lang__packages__fly.toml"));
    let (plan, world) = import(&fly_baa_world(), &files);
    assert_eq!(world.apps.iter().find(|a| a.name == "acme-api").unwrap().regions, ["iad"]);
    let volume = world.services.iter().find(|s| s.id == "fly:fly:volumes:acme-api:uploads").unwrap();
    assert_eq!(
        (volume.vendor.as_str(), volume.product.as_str(), volume.apps.clone(), volume.regions.clone()),
        ("fly", "volumes", strings(&["acme-api"]), strings(&["iad"]))
    );
    assert_eq!(volume.provisioning, ServiceProvisioning::Platform { org: PROD.into() });
    let gleam = plan.unmapped.iter().find(|u| u.file.contains("gleam")).unwrap();
    assert_eq!(gleam.line, Some(5));
    assert!(gleam.reason.contains("neither in the apps list nor in the tracker"), "{}", gleam.reason);
    assert!(plan_import(&world, &parse(&files)).is_noop());
}

#[test]
fn hints_without_a_matching_extension_are_unmapped_with_their_line() {
    let secrets = r#"[
    {"name": "SENTRY_DSN", "digest": "00", "status": "Deployed"},
    {"name": "BUCKET_NAME", "digest": "00", "status": "Deployed"},
    {"name": "REDIS_URL", "digest": "00", "status": "Staged"},
    {"name": "SUPABASE_URL", "digest": "00", "status": "Deployed"}
]"#;
    let files = [
        fixture("orgs-list.json"),
        fixture("apps-list.json"),
        fixture("storage-list.txt"),
        SnapshotFile::new("secrets-list--acme-db.json", secrets),
        SnapshotFile::new("secrets-list--ghost.json", "[]"),
        SnapshotFile::new("ext-supabase-list.txt", " NAME    │ ORG                    │ PRIMARY REGION \n acme-sb │ acme-health-production │ iad            \n"),
        SnapshotFile::new("ext-newthing-list.txt", " NAME │ ORG \n n1   │ acme-health-production \n"),
    ];
    let plan = plan_import(&fly_baa_world(), &parse(&files));
    let unmapped: Vec<(&str, Option<usize>)> =
        plan.unmapped.iter().map(|u| (u.file.as_str(), u.line)).collect();
    assert_eq!(
        unmapped,
        [
            ("secrets-list--acme-db.json", Some(3)),
            ("secrets-list--acme-db.json", Some(4)),
            ("secrets-list--ghost.json", None),
        ]
    );
    let reasons: Vec<&str> = plan.unmapped.iter().map(|u| u.reason.as_str()).collect();
    assert!(reasons[0].contains("only one of BUCKET_NAME and AWS_ENDPOINT_URL_S3"), "{}", reasons[0]);
    assert!(reasons[1].contains("no `fly redis list` output"), "{}", reasons[1]);
    assert!(reasons[2].contains("its org is unknown"), "{}", reasons[2]);
    // A kind the catalog does not know is an uncatalogued service, not only a note.
    let other = plan.services.iter().find(|c| c.id() == "fly:newthing:newthing:n1").unwrap();
    assert!(
        matches!(other, Change::Create { notes, .. } if notes.iter().any(|n| n.contains("uncatalogued")))
    );
    // SENTRY_DSN with no Sentry extension named after the app, and SUPABASE_URL: candidate direct
    // services, evaluated like any other (fail closed).
    for (id, vendor) in [("secret:sentry:acme-db", "sentry"), ("secret:supabase:acme-db", "supabase")] {
        match plan.services.iter().find(|c| c.id() == id) {
            Some(Change::Create { record, .. }) => {
                assert_eq!(
                    (record.vendor.as_str(), record.provisioning.clone()),
                    (vendor, ServiceProvisioning::Direct)
                );
                assert!(record.unconfirmed.as_deref().is_some_and(|u| u.contains("acme-db")), "{record:?}");
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    // The removed Supabase extension is still imported, with a plan that fails closed.
    let sb = plan.services.iter().find(|c| c.id() == "fly:supabase:postgres:acme-sb").unwrap();
    match sb {
        Change::Create { record, notes, .. } => {
            assert_eq!((record.plan.as_str(), record.regions.clone()), ("unknown", strings(&["iad"])));
            assert!(notes.iter().any(|n| n.contains("plan `unknown`")), "{notes:?}");
            assert!(notes.iter().any(|n| n.contains("removed 2025-01-31")), "{notes:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        parse(&files).listed,
        [ExtensionKind::Tigris, ExtensionKind::Supabase, ExtensionKind::Other("newthing".into())]
    );
}

#[test]
fn prod_pack_enabled_in_redis_status_is_recorded_as_the_add_on() {
    let status = fixture("redis-status--acme-redis-prod.txt");
    let text = String::from_utf8(status.bytes).unwrap();
    let text = text
        .replace("Fixed 1GB", "Enterprise")
        .replace("ProdPack       │ Disabled", "ProdPack       │ Enabled ");
    assert!(text.contains("│ Enabled"), "the fixture changed");
    let mut files = acme(Layout::Json);
    files.retain(|f| !f.name.starts_with("redis-status"));
    files.push(SnapshotFile::new("redis-status--acme-redis-prod.txt", text));
    let (_, world) = import(&fly_baa_world(), &files);
    let redis = world.services.iter().find(|s| s.id == "fly:upstash-redis:redis:acme-redis-prod").unwrap();
    assert_eq!((redis.plan.as_str(), redis.add_ons.clone()), ("enterprise", strings(&["prod-pack"])));
    let vendor = world.catalog.vendor("upstash-redis").unwrap();
    assert_eq!(vendor.eligibility(&redis.plan, &redis.add_ons), baa_core::catalog::Eligibility::Eligible);
}

// ---------------------------------------------------------------------------------------------
// Coverage of the imported world

/// (rule id, subject id) of findings.
type Findings = BTreeSet<(String, String)>;

/// Findings of the imported acme-health world when only Fly.io's BAA is signed: every service is
/// PHI-unknown (so treated as PHI); the extensions have no chain; Fly.io's own products have their
/// chain, but every org is on a plan without a BAA; non-production orgs hold PHI services; and
/// Sentry's data scrubbing is not confirmed.
fn base_findings() -> Findings {
    let mut out = BTreeSet::new();
    for (id, org, ..) in ACME_SERVICES {
        out.insert(("phi-unknown".to_owned(), id.to_owned()));
        if !id.starts_with("fly:fly:") {
            out.insert(("uncovered-service".to_owned(), id.to_owned()));
        }
        if org != PROD {
            out.insert(("environment-mixed".to_owned(), id.to_owned()));
        }
        if id.starts_with("fly:sentry:") {
            out.insert(("configuration-unconfirmed".to_owned(), id.to_owned()));
        }
    }
    for org in [PROD, STAGING, "personal"] {
        out.insert(("platform-plan-ineligible".to_owned(), org.to_owned()));
    }
    out
}

/// Services of the acme world with no regions recorded.
fn without_regions() -> Vec<&'static str> {
    ACME_SERVICES.iter().filter(|r| r.6.is_empty()).map(|r| r.0).collect()
}

#[test]
fn coverage_of_the_imported_acme_world_with_only_a_fly_baa() {
    let (_, imported) = import(&fly_baa_world(), &acme(Layout::Json));
    let set = |pairs: &[(&str, &str)]| -> Findings {
        pairs.iter().map(|(r, s)| ((*r).to_owned(), (*s).to_owned())).collect()
    };
    let with_compliance = {
        let mut w = imported.clone();
        w.orgs.iter_mut().find(|o| o.slug == PROD).unwrap().packages = vec!["compliance-package".into()];
        w
    };
    let iad_only = Policy { allowed_regions: vec!["iad".into()], ..Policy::default() };
    let cases: Vec<(&str, &World, Policy, Findings, Findings)> = vec![
        ("as imported", &imported, Policy::default(), set(&[]), set(&[])),
        (
            "production org on the Compliance Package",
            &with_compliance,
            Policy::default(),
            set(&[]),
            set(&[("platform-plan-ineligible", PROD)]),
        ),
        (
            "PHI allowed only in iad",
            &imported,
            iad_only,
            set(&[
                ("region-outside-policy", "fly:upstash-redis:redis:acme-redis-prod"),
                ("region-outside-policy", "fly:fly:kubernetes:acme-analytics-fks"),
            ])
            .union(
                &without_regions()
                    .into_iter()
                    .map(|id| ("region-unknown".to_owned(), id.to_owned()))
                    .collect(),
            )
            .cloned()
            .collect(),
            set(&[]),
        ),
    ];
    for (name, world, policy, plus, minus) in cases {
        let report = evaluate(world, today(), &policy);
        let got: Findings =
            report.findings.iter().map(|f| (f.rule.as_str().to_owned(), f.subject.id.clone())).collect();
        let want: Findings = base_findings().union(&plus).filter(|x| !minus.contains(x)).cloned().collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            (report.summary.services, report.summary.phi_services, report.summary.covered_phi),
            (23, 23, if name.contains("Compliance") { 6 } else { 0 }),
            "{name}"
        );
    }
}
