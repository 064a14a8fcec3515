//! Parsing every fixture file alone and the folder as a whole, and both table layouts and
//! JSON giving the same records.

use super::*;

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
