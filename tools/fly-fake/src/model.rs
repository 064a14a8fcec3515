//! The in-memory Fly world the fake answers from, as plain data (JSON on disk).
//!
//! It holds secret digests, add-on passwords and environments on purpose: a query that asks for
//! them gets an answer, as from the real API, so a test can tell that nobody asked.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Everything the fake knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeWorld {
    /// Orgs, found by `organization(slug:)` (or `id`, or `name`).
    pub organizations: Vec<FakeOrg>,
}

/// A Fly organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeOrg {
    /// `Organization.id`.
    pub id: String,
    /// `slug` (and `rawSlug`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// `PERSONAL` or `SHARED`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `paidPlan`.
    pub paid_plan: bool,
    /// `billable`.
    pub billable: bool,
    /// A `BillingStatus` value.
    pub billing_status: String,
    /// `settings` (JSON).
    #[serde(default)]
    pub settings: Option<Value>,
    /// `signedDocuments`.
    #[serde(default)]
    pub signed_documents: Vec<FakeSignedDocument>,
    /// When set, the billing fields (`billingStatus`, `settings`, `signedDocuments`) answer with a
    /// field error, as for a token that may not see billing.
    #[serde(default)]
    pub billing_hidden: bool,
    /// Apps, in the order the connection lists them.
    #[serde(default)]
    pub apps: Vec<FakeApp>,
    /// Add-ons (extensions), in the order the connection lists them.
    #[serde(default)]
    pub add_ons: Vec<FakeAddOn>,
}

/// A signed document of an org (a BAA, for instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeSignedDocument {
    /// `documentType`.
    pub document_type: String,
    /// `signed`.
    pub signed: bool,
    /// `signerEmailAddress`.
    #[serde(default)]
    pub signer_email_address: Option<String>,
}

/// A Fly app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeApp {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `status` (`deployed`, `suspended`, `pending`).
    pub status: String,
    /// `deployed`.
    pub deployed: bool,
    /// `platformVersion` (`machines`, `nomad`, `detached`).
    #[serde(default)]
    pub platform_version: Option<String>,
    /// `createdAt`.
    pub created_at: String,
    /// `regions` codes.
    #[serde(default)]
    pub regions: Vec<String>,
    /// `machines`.
    #[serde(default)]
    pub machines: Vec<FakeMachine>,
    /// `volumes`.
    #[serde(default)]
    pub volumes: Vec<FakeVolume>,
    /// `secrets` (with digests).
    #[serde(default)]
    pub secrets: Vec<FakeSecret>,
}

/// A machine of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeMachine {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `region`.
    pub region: String,
    /// `state` (`started`, `stopped`, `suspended`, `destroyed`).
    pub state: String,
    /// `createdAt`.
    pub created_at: String,
}

/// A volume of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeVolume {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `region`.
    pub region: String,
    /// `encrypted`.
    pub encrypted: bool,
    /// `state`.
    pub state: String,
    /// `sizeGb`.
    pub size_gb: i64,
    /// `createdAt`.
    pub created_at: String,
}

/// A secret of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeSecret {
    /// `name`.
    pub name: String,
    /// `digest`: never to be asked for by the tracker.
    pub digest: String,
    /// `createdAt`.
    pub created_at: String,
}

/// An add-on (Fly extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeAddOn {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// The `AddOnType` it is listed under (`tigris`, `upstash_redis`, `sentry`, ...), for the
    /// `addOns(type:)` filter.
    #[serde(rename = "type")]
    pub kind: String,
    /// `addOnProvider`.
    pub provider: FakeProvider,
    /// `addOnPlan`.
    #[serde(default)]
    pub plan: Option<FakePlan>,
    /// `primaryRegion`.
    #[serde(default)]
    pub primary_region: Option<String>,
    /// `readRegions`.
    #[serde(default)]
    pub read_regions: Vec<String>,
    /// `app`: the name of the app it is attached to.
    #[serde(default)]
    pub app: Option<String>,
    /// `apps`: names of the apps associated with it.
    #[serde(default)]
    pub apps: Vec<String>,
    /// `status`.
    #[serde(default)]
    pub status: Option<String>,
    /// `createdAt`.
    pub created_at: String,
    /// `updatedAt`.
    pub updated_at: String,
    /// `hostname`.
    #[serde(default)]
    pub hostname: Option<String>,
    /// `password`: never to be asked for.
    #[serde(default)]
    pub password: Option<String>,
    /// `environment`: never to be asked for.
    #[serde(default)]
    pub environment: Option<Value>,
    /// `publicUrl`: carries the password for Upstash; never to be asked for.
    #[serde(default)]
    pub public_url: Option<String>,
}

/// An add-on provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeProvider {
    /// `name` (`tigris`, `upstash_redis`, ...).
    pub name: String,
    /// `displayName`.
    pub display_name: String,
}

/// An add-on plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FakePlan {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `displayName`.
    pub display_name: String,
    /// `pricePerMonth` in cents.
    #[serde(default)]
    pub price_per_month: Option<i64>,
}

/// The token [`FakeWorld::acme`] and the binary accept unless told otherwise.
pub const DEFAULT_TOKEN: &str = "fm2_fake-readonly-token-for-tests";

const T0: &str = "2026-03-02T10:00:00Z";

fn provider(name: &str, display: &str) -> FakeProvider {
    FakeProvider { name: name.into(), display_name: display.into() }
}

fn plan(id: &str, name: &str, display: &str) -> Option<FakePlan> {
    Some(FakePlan { id: id.into(), name: name.into(), display_name: display.into(), price_per_month: None })
}

fn secret(name: &str, n: usize) -> FakeSecret {
    FakeSecret { name: name.into(), digest: format!("digest-{n:016x}"), created_at: T0.into() }
}

fn machine(app: &str, i: usize, region: &str, state: &str) -> FakeMachine {
    FakeMachine {
        id: format!("{:014x}", fnv(app) ^ i as u64),
        name: format!("{app}-{i}"),
        region: region.into(),
        state: state.into(),
        created_at: T0.into(),
    }
}

fn app(name: &str, secrets: &[&str], machines: &[(&str, &str)]) -> FakeApp {
    FakeApp {
        id: format!("app_{:x}", fnv(name)),
        name: name.into(),
        status: "deployed".into(),
        deployed: true,
        platform_version: Some("machines".into()),
        created_at: T0.into(),
        regions: Vec::new(),
        machines: machines.iter().enumerate().map(|(i, (r, s))| machine(name, i, r, s)).collect(),
        volumes: Vec::new(),
        secrets: secrets.iter().enumerate().map(|(i, s)| secret(s, fnv(name) as usize ^ i)).collect(),
    }
}

#[expect(clippy::too_many_arguments, reason = "a table of add-ons reads best with one positional row each")]
fn add_on(
    kind: &str,
    name: &str,
    provider: FakeProvider,
    plan: Option<FakePlan>,
    primary: Option<&str>,
    read: &[&str],
    app: Option<&str>,
    status: &str,
) -> FakeAddOn {
    FakeAddOn {
        id: format!("ao_{:x}", fnv(&format!("{kind}/{name}"))),
        name: name.into(),
        kind: kind.into(),
        provider,
        plan,
        primary_region: primary.map(Into::into),
        read_regions: read.iter().map(|r| (*r).into()).collect(),
        app: app.map(Into::into),
        apps: app.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        status: Some(status.into()),
        created_at: T0.into(),
        updated_at: T0.into(),
        hostname: Some(format!("{name}.fake.internal")),
        password: Some(format!("pw-{name}-s3cr3t")),
        environment: Some(json!({ "SECRET_URL": format!("https://user:pw-{name}-s3cr3t@{name}.fake") })),
        public_url: Some(format!("redis://default:pw-{name}-s3cr3t@{name}.fake:6379")),
    }
}

/// A stable 64-bit hash for made-up ids (FNV-1a).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl FakeWorld {
    /// The org the file-import sample describes (`acme-health`) plus its staging org: apps with
    /// secrets, machines and a volume, and add-ons of every current kind (Tigris, Upstash Redis,
    /// Sentry, Upstash Vector, Arcjet, Wafris, Kubernetes) and of removed ones (Supabase, MySQL,
    /// Upstash Kafka, Enveloop).
    pub fn acme() -> FakeWorld {
        let mut api = app(
            "acme-api",
            &[
                "DATABASE_URL",
                "SENTRY_DSN",
                "BUCKET_NAME",
                "AWS_ENDPOINT_URL_S3",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "REDIS_URL",
                "ARCJET_KEY",
            ],
            &[("iad", "started"), ("iad", "started"), ("ord", "stopped"), ("lhr", "destroyed")],
        );
        api.regions = vec!["iad".into()];
        let mut db =
            app("acme-db", &["OPERATOR_PASSWORD", "REPL_PASSWORD", "SU_PASSWORD"], &[("iad", "started")]);
        db.volumes = vec![FakeVolume {
            id: "vol_acmedb0001".into(),
            name: "pg_data".into(),
            region: "iad".into(),
            encrypted: true,
            state: "created".into(),
            size_gb: 10,
            created_at: T0.into(),
        }];
        let web = app(
            "acme-web",
            &["SENTRY_DSN", "VECTOR_ENDPOINT", "VECTOR_TOKEN"],
            &[("iad", "started"), ("ord", "started")],
        );
        let mut worker =
            app("acme-worker", &["REDIS_URL", "BUCKET_NAME", "AWS_ENDPOINT_URL_S3"], &[("iad", "stopped")]);
        worker.status = "suspended".into();
        let mut legacy = app("acme-legacy", &["DATABASE_URL"], &[]);
        legacy.platform_version = Some("nomad".into());
        legacy.status = "pending".into();
        legacy.deployed = false;
        legacy.regions = vec!["iad".into(), "ord".into()];

        let prod = FakeOrg {
            id: "org_acme_prod".into(),
            slug: "acme-health".into(),
            name: "Acme Health".into(),
            kind: "SHARED".into(),
            paid_plan: true,
            billable: true,
            billing_status: "CURRENT".into(),
            settings: Some(json!({ "compliance_package": true, "require_sso": false })),
            signed_documents: vec![FakeSignedDocument {
                document_type: "hipaa_baa".into(),
                signed: true,
                signer_email_address: Some("legal@acme-health.example".into()),
            }],
            billing_hidden: false,
            apps: vec![api, db, web, worker, legacy],
            add_ons: vec![
                add_on(
                    "tigris",
                    "acme-uploads",
                    provider("tigris", "Tigris Object Storage"),
                    None,
                    None,
                    &[],
                    None,
                    "ready",
                ),
                add_on(
                    "tigris",
                    "acme-backups",
                    provider("tigris", "Tigris Object Storage"),
                    None,
                    None,
                    &[],
                    None,
                    "ready",
                ),
                add_on(
                    "upstash_redis",
                    "acme-redis-prod",
                    provider("upstash_redis", "Upstash for Redis"),
                    plan("plan_redis_payg", "pay-as-you-go", "Pay-as-you-go"),
                    Some("iad"),
                    &["ord"],
                    None,
                    "ready",
                ),
                add_on(
                    "sentry",
                    "acme-api",
                    provider("sentry", "Sentry"),
                    plan("plan_sentry_team", "team", "Team"),
                    None,
                    &[],
                    Some("acme-api"),
                    "ready",
                ),
                add_on(
                    "sentry",
                    "acme-web",
                    provider("sentry", "Sentry"),
                    plan("plan_sentry_team", "team", "Team"),
                    None,
                    &[],
                    Some("acme-web"),
                    "ready",
                ),
                add_on(
                    "upstash_vector",
                    "acme-embeddings",
                    provider("upstash_vector", "Upstash Vector"),
                    plan("plan_vector_payg", "payg", "Pay as you go"),
                    Some("iad"),
                    &[],
                    None,
                    "ready",
                ),
                add_on(
                    "arcjet",
                    "acme-api",
                    provider("arcjet", "Arcjet"),
                    None,
                    None,
                    &[],
                    Some("acme-api"),
                    "ready",
                ),
                add_on(
                    "wafris",
                    "acme-web-waf",
                    provider("wafris", "Wafris"),
                    None,
                    None,
                    &[],
                    Some("acme-web"),
                    "ready",
                ),
                add_on(
                    "kubernetes",
                    "acme-fks",
                    provider("kubernetes", "Fly Kubernetes"),
                    None,
                    Some("ord"),
                    &[],
                    None,
                    "ready",
                ),
                add_on(
                    "supabase",
                    "acme-legacy-db",
                    provider("supabase", "Supabase"),
                    plan("plan_supabase_free", "free", "Free"),
                    Some("iad"),
                    &[],
                    Some("acme-legacy"),
                    "ready",
                ),
                add_on(
                    "fly_mysql",
                    "acme-reports",
                    provider("fly_mysql", "Fly MySQL"),
                    None,
                    Some("iad"),
                    &[],
                    None,
                    "ready",
                ),
                add_on(
                    "upstash_kafka",
                    "acme-events",
                    provider("upstash_kafka", "Upstash Kafka"),
                    None,
                    Some("iad"),
                    &[],
                    None,
                    "error",
                ),
                add_on(
                    "enveloop",
                    "acme-mail",
                    provider("enveloop", "Enveloop"),
                    None,
                    None,
                    &[],
                    None,
                    "ready",
                ),
            ],
        };
        let staging = FakeOrg {
            id: "org_acme_staging".into(),
            slug: "acme-health-staging".into(),
            name: "Acme Health Staging".into(),
            kind: "SHARED".into(),
            paid_plan: false,
            billable: true,
            billing_status: "TRIAL_ACTIVE".into(),
            settings: None,
            signed_documents: Vec::new(),
            billing_hidden: false,
            apps: vec![app("acme-api-staging", &["SENTRY_DSN", "REDIS_URL"], &[("iad", "started")])],
            add_ons: vec![add_on(
                "upstash_redis",
                "acme-redis-staging",
                provider("upstash_redis", "Upstash for Redis"),
                plan("plan_redis_free", "free", "Free"),
                Some("iad"),
                &[],
                None,
                "ready",
            )],
        };
        FakeWorld { organizations: vec![prod, staging] }
    }

    /// A large org `bench-org` with `apps` apps (two to four machines and four to eight secrets
    /// each, one in five with a volume) and `add_ons` add-ons cycling through every kind, for
    /// benchmarks. Deterministic.
    pub fn generated(apps: usize, add_ons: usize) -> FakeWorld {
        const REGIONS: [&str; 6] = ["iad", "ord", "lhr", "fra", "sjc", "syd"];
        const SECRETS: [&str; 8] = [
            "DATABASE_URL",
            "SENTRY_DSN",
            "REDIS_URL",
            "BUCKET_NAME",
            "AWS_ENDPOINT_URL_S3",
            "ARCJET_KEY",
            "VECTOR_TOKEN",
            "SESSION_KEY",
        ];
        // (AddOnType, provider display name, plan name and display name)
        type Kind = (&'static str, &'static str, Option<(&'static str, &'static str)>);
        let kinds: [Kind; 8] = [
            ("tigris", "Tigris Object Storage", None),
            ("upstash_redis", "Upstash for Redis", Some(("pay-as-you-go", "Pay-as-you-go"))),
            ("sentry", "Sentry", Some(("team", "Team"))),
            ("upstash_vector", "Upstash Vector", Some(("payg", "Pay as you go"))),
            ("arcjet", "Arcjet", None),
            ("wafris", "Wafris", None),
            ("kubernetes", "Fly Kubernetes", None),
            ("supabase", "Supabase", Some(("pro", "Pro"))),
        ];
        let app_list: Vec<FakeApp> = (0..apps)
            .map(|i| {
                let name = format!("bench-app-{i:04}");
                let machines: Vec<(&str, &str)> = (0..2 + i % 3)
                    .map(|m| (REGIONS[(i + m) % REGIONS.len()], if m == 0 { "started" } else { "stopped" }))
                    .collect();
                let mut a = app(&name, &SECRETS[..4 + i % 5], &machines);
                if i % 5 == 0 {
                    a.volumes.push(FakeVolume {
                        id: format!("vol_{i:010}"),
                        name: "data".into(),
                        region: REGIONS[i % REGIONS.len()].into(),
                        encrypted: true,
                        state: "created".into(),
                        size_gb: 1,
                        created_at: T0.into(),
                    });
                }
                a
            })
            .collect();
        let add_on_list = (0..add_ons)
            .map(|i| {
                let (kind, display, p) = kinds[i % kinds.len()];
                let attached = (apps > 0 && i % 2 == 0).then(|| format!("bench-app-{:04}", i % apps));
                add_on(
                    kind,
                    &format!("bench-{kind}-{i:04}"),
                    provider(kind, display),
                    p.and_then(|(n, d)| plan(&format!("plan_{kind}_{n}"), n, d)),
                    Some(REGIONS[i % REGIONS.len()]),
                    if kind == "upstash_redis" { &["ord"] } else { &[] },
                    attached.as_deref(),
                    "ready",
                )
            })
            .collect();
        FakeWorld {
            organizations: vec![FakeOrg {
                id: "org_bench".into(),
                slug: "bench-org".into(),
                name: "Bench Org".into(),
                kind: "SHARED".into(),
                paid_plan: true,
                billable: true,
                billing_status: "CURRENT".into(),
                settings: Some(json!({})),
                signed_documents: Vec::new(),
                billing_hidden: false,
                apps: app_list,
                add_ons: add_on_list,
            }],
        }
    }

    /// The org with this slug.
    pub fn org(&self, slug: &str) -> Option<&FakeOrg> {
        self.organizations.iter().find(|o| o.slug == slug)
    }

    /// The org with this slug, to change it between requests.
    pub fn org_mut(&mut self, slug: &str) -> Option<&mut FakeOrg> {
        self.organizations.iter_mut().find(|o| o.slug == slug)
    }
}
