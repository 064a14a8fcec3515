//! What a Fly API discovery says, as the facts the import planner reads: the same planner as a
//! CLI snapshot, so a sync and a file import of the same org plan the same records.
//!
//! Places are `fly-api:` pseudo-files (`fly-api:apps/NAME`, `fly-api:addOns/NAME`) so every
//! create, change and note says where it came from. The `addOns` listing returns every kind,
//! so every known kind counts as listed (a missing add-on then means something).

use crate::fly_api::{OrgDiscovery, OrgKind};
use baa_core::fly_import::{
    AppSecrets, Extension, ExtensionKind, FlyToml, Location, SecretName, Snapshot, SnapshotApp, SnapshotOrg,
    Unmapped,
};

/// Every kind the import knows: the API's `addOns` listing covers them all.
const KINDS: [ExtensionKind; 12] = [
    ExtensionKind::Sentry,
    ExtensionKind::Tigris,
    ExtensionKind::UpstashRedis,
    ExtensionKind::UpstashVector,
    ExtensionKind::Kubernetes,
    ExtensionKind::Arcjet,
    ExtensionKind::Wafris,
    ExtensionKind::Supabase,
    ExtensionKind::Mysql,
    ExtensionKind::UpstashKafka,
    ExtensionKind::Planetscale,
    ExtensionKind::Enveloop,
];

fn at(what: &str) -> Location {
    Location::file(&format!("fly-api:{what}"))
}

/// The planner's view of one discovery.
pub fn from_discovery(d: &OrgDiscovery) -> Snapshot {
    let slug = d.org.slug.clone();
    let mut snap = Snapshot {
        orgs: vec![SnapshotOrg {
            slug: slug.clone(),
            name: d.org.name.clone(),
            personal: d.org.kind == OrgKind::Personal || slug == "personal",
            at: at("organization"),
        }],
        listed: KINDS.to_vec(),
        ..Snapshot::default()
    };
    for app in &d.apps {
        let place = at(&format!("apps/{}", app.name));
        snap.apps.push(SnapshotApp {
            name: app.name.clone(),
            org: slug.clone(),
            org_name: Some(d.org.name.clone()),
            status: app.status.to_lowercase(),
            regions: app.regions.clone(),
            at: place.clone(),
        });
        if !app.secret_names.is_empty() {
            let secrets_at = at(&format!("apps/{}/secrets", app.name));
            snap.secrets.push(AppSecrets {
                app: app.name.clone(),
                secrets: app
                    .secret_names
                    .iter()
                    .map(|n| SecretName { name: n.clone(), status: None, at: secrets_at.clone() })
                    .collect(),
                at: secrets_at,
            });
        }
        let mounts: Vec<String> = app
            .volumes
            .iter()
            .filter(|v| !v.state.eq_ignore_ascii_case("destroyed"))
            .map(|v| v.name.clone())
            .collect();
        if !mounts.is_empty() {
            let mut unique = mounts;
            unique.sort();
            unique.dedup();
            snap.fly_tomls.push(FlyToml {
                app: app.name.clone(),
                primary_region: None,
                mounts: unique,
                at: at(&format!("apps/{}/volumes", app.name)),
                config: None,
            });
        }
    }
    for a in &d.add_ons {
        let name = a.name.clone().unwrap_or_else(|| a.id.clone());
        let kind = a.extension_kind();
        if let ExtensionKind::Other(p) = &kind {
            if !snap.listed.contains(&kind) {
                snap.listed.push(ExtensionKind::Other(p.clone()));
            }
        }
        let mut regions: Vec<String> = a.primary_region.iter().cloned().collect();
        for r in &a.read_regions {
            if !regions.contains(r) {
                regions.push(r.clone());
            }
        }
        let mut apps: Vec<String> = a.app.iter().cloned().collect();
        for x in &a.apps {
            if !apps.contains(x) {
                apps.push(x.clone());
            }
        }
        snap.extensions.push(Extension {
            kind,
            name: name.clone(),
            org: slug.clone(),
            plan: a.plan_display_name.clone().or_else(|| a.plan.clone()),
            regions,
            apps,
            at: at(&format!("addOns/{name}")),
        });
    }
    let org_at = at("organization");
    let mut facts = format!("the Fly API shows paidPlan {}, billable {}", d.org.paid_plan, d.org.billable);
    if let Some(b) = &d.org.billing {
        facts.push_str(&format!(", billingStatus {}", b.billing_status));
        let signed: Vec<&str> =
            b.signed_documents.iter().filter(|s| s.signed).map(|s| s.document_type.as_str()).collect();
        if !signed.is_empty() {
            facts.push_str(&format!(", signed documents {}", signed.join(", ")));
        }
    }
    snap.unmapped.push(Unmapped {
        file: org_at.file.clone(),
        line: None,
        reason: format!(
            "{facts}: the API has no field for the org's plan or Compliance Package, so they are not \
             imported; record them on the org by hand (until then the org counts as Pay As You Go, which \
             fails closed)"
        ),
    });
    for n in &d.notes {
        snap.unmapped.push(Unmapped { file: org_at.file.clone(), line: None, reason: n.clone() });
    }
    snap
}
