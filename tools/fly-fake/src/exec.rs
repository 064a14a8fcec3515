//! Field resolvers over the [`FakeWorld`] for apollo-compiler's executor, which walks the
//! query's selection set (aliases, fragments, variables, `@skip`/`@include`, null propagation)
//! and coerces results to the schema's types. Only the resolvers are ours: which field of which
//! object answers what.
//!
//! Fields the fake does not model answer with a field error naming them (so a non-null one
//! nulls its parent, as the spec says), never with made-up data.

use std::cell::Cell;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonMap;
use base64::Engine as _;

use crate::model::{
    FakeAddOn, FakeApp, FakeMachine, FakeOrg, FakePlan, FakeProvider, FakeSecret, FakeSignedDocument,
    FakeVolume, FakeWorld,
};

/// Largest page a connection returns, whatever `first` asks (graphql-ruby's default cap).
pub const MAX_PAGE_SIZE: usize = 100;

/// What one execution needs besides the world: the page-failure fault to watch for.
pub(crate) struct Ctx<'w> {
    pub world: &'w FakeWorld,
    /// `(page, connection field name)`: set [`Ctx::tripped`] when that page is served.
    pub fail_page: Option<(u32, Option<String>)>,
    pub tripped: Cell<bool>,
}

#[derive(Clone)]
pub(crate) enum Obj<'w> {
    Query(&'w Ctx<'w>),
    Org(&'w Ctx<'w>, &'w FakeOrg),
    App(&'w Ctx<'w>, &'w FakeOrg, &'w FakeApp),
    Machine(&'w Ctx<'w>, &'w FakeOrg, &'w FakeApp, &'w FakeMachine),
    Volume(&'w Ctx<'w>, &'w FakeOrg, &'w FakeApp, &'w FakeVolume),
    Secret(&'w FakeSecret),
    Region(&'w str),
    AddOn(&'w Ctx<'w>, &'w FakeOrg, &'w FakeAddOn),
    Provider(&'w FakeProvider),
    Plan(&'w FakePlan),
    SignedDocument(&'w FakeSignedDocument),
    Connection(Box<Connection<'w>>),
    Edge { type_name: &'static str, cursor: String, node: Box<Obj<'w>> },
    PageInfo { has_next: bool, has_prev: bool, start: Option<String>, end: Option<String> },
}

#[derive(Clone)]
pub(crate) struct Connection<'w> {
    type_name: &'static str,
    edge_type: &'static str,
    /// The page's items with their 0-based index in the whole list.
    page: Vec<(usize, Obj<'w>)>,
    total: usize,
    has_next: bool,
    has_prev: bool,
}

/// The cursor of the item at 0-based `index`: opaque base64 of its 1-based position.
pub fn cursor(index: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("cursor:{}", index + 1))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    let s = String::from_utf8(raw).ok()?;
    s.strip_prefix("cursor:")?.parse::<usize>().ok()
}

fn err(message: impl Into<String>) -> FieldError {
    FieldError { message: message.into() }
}

fn not_modelled(type_name: &str, field: &str) -> FieldError {
    err(format!("the fake Fly API does not model {type_name}.{field}"))
}

fn arg_str<'a>(args: &'a JsonMap, name: &str) -> Option<&'a str> {
    args.get(name).and_then(|v| v.as_str())
}

fn arg_int(args: &JsonMap, name: &str) -> Option<i64> {
    args.get(name).and_then(|v| v.as_i64())
}

// ResolvedValue is invariant in its lifetime, so leaves (owned JSON) take the caller's.
fn s<'r>(v: &str) -> ResolvedValue<'r> {
    ResolvedValue::leaf(v)
}

fn opt_s<'r>(v: Option<&str>) -> ResolvedValue<'r> {
    v.map_or_else(ResolvedValue::null, ResolvedValue::leaf)
}

fn json<'r>(v: &Option<serde_json::Value>) -> ResolvedValue<'r> {
    v.clone().map_or_else(ResolvedValue::null, |v| ResolvedValue::leaf(serde_json_bytes::Value::from(v)))
}

fn obj(o: Obj<'_>) -> ResolvedValue<'_> {
    ResolvedValue::object(o)
}

fn list<'a>(items: impl IntoIterator<Item = Obj<'a>> + 'a) -> ResolvedValue<'a> {
    ResolvedValue::list(items.into_iter().map(ResolvedValue::object).collect::<Vec<_>>())
}

fn strings<'r>(items: &[String]) -> ResolvedValue<'r> {
    ResolvedValue::list(items.iter().map(|r| ResolvedValue::leaf(r.as_str())).collect::<Vec<_>>())
}

/// Forward pagination (`first`, `after`) over `all`, as graphql-ruby does it: `first` capped at
/// [`MAX_PAGE_SIZE`], cursors opaque, an unknown cursor a field error.
fn paginate<'w>(
    ctx: &Ctx<'w>,
    field: &str,
    args: &JsonMap,
    all: Vec<Obj<'w>>,
    type_name: &'static str,
    edge_type: &'static str,
) -> Result<Obj<'w>, FieldError> {
    if args.get("last").is_some_and(|v| !v.is_null()) || args.get("before").is_some_and(|v| !v.is_null()) {
        return Err(err("the fake Fly API pages forward only (first/after), not last/before"));
    }
    let first = match arg_int(args, "first") {
        Some(n) if n < 0 => return Err(err("Argument 'first' on Field must be non-negative")),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX).min(MAX_PAGE_SIZE),
        None => MAX_PAGE_SIZE,
    };
    let start = match arg_str(args, "after") {
        None => 0,
        Some(c) => match decode_cursor(c) {
            Some(pos) if pos <= all.len() => pos,
            _ => return Err(err(format!("invalid cursor for {field}: {c:?}"))),
        },
    };
    if let Some((page, only)) = &ctx.fail_page {
        let this_page = start.checked_div(first).map_or(1, |p| p + 1);
        if u32::try_from(this_page).ok() == Some(*page) && only.as_deref().is_none_or(|f| f == field) {
            ctx.tripped.set(true);
        }
    }
    let total = all.len();
    let end = start.saturating_add(first).min(total);
    let page = all.into_iter().enumerate().skip(start).take(end - start).collect();
    Ok(Obj::Connection(Box::new(Connection {
        type_name,
        edge_type,
        page,
        total,
        has_next: end < total,
        has_prev: start > 0,
    })))
}

impl<'w> Obj<'w> {
    fn resolve<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        let args = info.arguments();
        let type_name = self.type_name();
        Ok(match self {
            Obj::Query(ctx) => match field {
                "organization" => {
                    let found = ctx.world.organizations.iter().find(|o| {
                        arg_str(args, "slug").is_none_or(|s| s == o.slug)
                            && arg_str(args, "id").is_none_or(|s| s == o.id)
                            && arg_str(args, "name").is_none_or(|s| s == o.name)
                    });
                    if arg_str(args, "slug").is_none()
                        && arg_str(args, "id").is_none()
                        && arg_str(args, "name").is_none()
                    {
                        return Err(err("organization needs an id, a name or a slug"));
                    }
                    match found {
                        Some(o) => obj(Obj::Org(ctx, o)),
                        // graphql-ruby's Fly schema answers a field error for an unknown org.
                        None => return Err(err("Could not find Organization")),
                    }
                }
                "organizations" => paginate(
                    ctx,
                    field,
                    args,
                    ctx.world.organizations.iter().map(|o| Obj::Org(ctx, o)).collect(),
                    "OrganizationConnection",
                    "OrganizationEdge",
                )
                .map(obj)?,
                "app" => {
                    let name = arg_str(args, "name").ok_or_else(|| err("app needs a name"))?;
                    let found =
                        ctx.world.organizations.iter().find_map(|o| {
                            o.apps.iter().find(|a| a.name == name).map(|a| Obj::App(ctx, o, a))
                        });
                    match found {
                        Some(a) => obj(a),
                        None => return Err(err("Could not find App")),
                    }
                }
                "addOn" => {
                    let id = arg_str(args, "id");
                    let name = arg_str(args, "name");
                    if id.is_none() && name.is_none() {
                        return Err(err("addOn needs an id or a name"));
                    }
                    let found = ctx.world.organizations.iter().find_map(|o| {
                        o.add_ons
                            .iter()
                            .find(|a| id.is_none_or(|i| i == a.id) && name.is_none_or(|n| n == a.name))
                            .map(|a| Obj::AddOn(ctx, o, a))
                    });
                    ResolvedValue::nullable_object(found)
                }
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Org(ctx, o) => {
                let billing = matches!(field, "billingStatus" | "settings" | "signedDocuments");
                if billing && o.billing_hidden {
                    return Err(err("Not authorized to access this field"));
                }
                match field {
                    "id" => s(&o.id),
                    "slug" | "rawSlug" => s(&o.slug),
                    "name" => s(&o.name),
                    "type" => s(&o.kind),
                    "paidPlan" => ResolvedValue::leaf(o.paid_plan),
                    "billable" => ResolvedValue::leaf(o.billable),
                    "billingStatus" => s(&o.billing_status),
                    "settings" => json(&o.settings),
                    "viewerRole" => s("member"),
                    "signedDocuments" => paginate(
                        ctx,
                        field,
                        args,
                        o.signed_documents.iter().map(Obj::SignedDocument).collect(),
                        "SignedDocumentConnection",
                        "SignedDocumentEdge",
                    )
                    .map(obj)?,
                    "apps" => paginate(
                        ctx,
                        field,
                        args,
                        o.apps.iter().map(|a| Obj::App(ctx, o, a)).collect(),
                        "AppConnection",
                        "AppEdge",
                    )
                    .map(obj)?,
                    "addOns" => {
                        let kind = arg_str(args, "type");
                        paginate(
                            ctx,
                            field,
                            args,
                            o.add_ons
                                .iter()
                                .filter(|a| kind.is_none_or(|k| k == a.kind))
                                .map(|a| Obj::AddOn(ctx, o, a))
                                .collect(),
                            "AddOnConnection",
                            "AddOnEdge",
                        )
                        .map(obj)?
                    }
                    _ => return Err(not_modelled(type_name, field)),
                }
            }
            Obj::App(ctx, o, a) => match field {
                "id" => s(&a.id),
                "name" => s(&a.name),
                "status" => s(&a.status),
                "deployed" => ResolvedValue::leaf(a.deployed),
                "platformVersion" => opt_s(a.platform_version.as_deref()),
                "createdAt" => s(&a.created_at),
                "hostname" => ResolvedValue::leaf(format!("{}.fly.dev", a.name)),
                "appUrl" => ResolvedValue::leaf(format!("https://{}.fly.dev", a.name)),
                "organization" => obj(Obj::Org(ctx, o)),
                "regions" => list(a.regions.iter().map(|r| Obj::Region(r))),
                "secrets" => list(a.secrets.iter().map(Obj::Secret)),
                "machines" => {
                    let active = args.get("active").and_then(|v| v.as_bool()) == Some(true);
                    paginate(
                        ctx,
                        field,
                        args,
                        a.machines
                            .iter()
                            .filter(|m| !active || matches!(m.state.as_str(), "started" | "stopped"))
                            .map(|m| Obj::Machine(ctx, o, a, m))
                            .collect(),
                        "MachineConnection",
                        "MachineEdge",
                    )
                    .map(obj)?
                }
                "volumes" => paginate(
                    ctx,
                    field,
                    args,
                    a.volumes.iter().map(|v| Obj::Volume(ctx, o, a, v)).collect(),
                    "VolumeConnection",
                    "VolumeEdge",
                )
                .map(obj)?,
                "addOns" => paginate(
                    ctx,
                    field,
                    args,
                    o.add_ons
                        .iter()
                        .filter(|x| x.app.as_deref() == Some(&a.name) || x.apps.contains(&a.name))
                        .filter(|x| arg_str(args, "type").is_none_or(|k| k == x.kind))
                        .map(|x| Obj::AddOn(ctx, o, x))
                        .collect(),
                    "AddOnConnection",
                    "AddOnEdge",
                )
                .map(obj)?,
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Machine(ctx, o, a, m) => match field {
                "id" => s(&m.id),
                "name" => s(&m.name),
                "region" => s(&m.region),
                "state" => s(&m.state),
                "createdAt" | "updatedAt" => s(&m.created_at),
                "instanceId" => ResolvedValue::leaf(format!("inst-{}", m.id)),
                "app" => obj(Obj::App(ctx, o, a)),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Volume(ctx, o, a, v) => match field {
                "id" => s(&v.id),
                "internalId" => s(&v.id),
                "name" => s(&v.name),
                "region" => s(&v.region),
                "encrypted" => ResolvedValue::leaf(v.encrypted),
                "state" | "status" => s(&v.state),
                "sizeGb" => ResolvedValue::leaf(v.size_gb),
                "createdAt" => s(&v.created_at),
                "app" => obj(Obj::App(ctx, o, a)),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Secret(x) => match field {
                "id" => ResolvedValue::leaf(format!("secret_{}", x.name)),
                "name" => s(&x.name),
                "digest" => s(&x.digest),
                "createdAt" => s(&x.created_at),
                "user" => ResolvedValue::null(),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Region(code) => match field {
                "code" => s(code),
                "name" => s(region_name(code)),
                "deprecated" | "requiresPaidPlan" => ResolvedValue::leaf(false),
                "gatewayAvailable" => ResolvedValue::leaf(true),
                "latitude" | "longitude" | "processGroup" => ResolvedValue::null(),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::AddOn(ctx, o, x) => match field {
                "id" => s(&x.id),
                "name" => s(&x.name),
                "addOnProvider" => obj(Obj::Provider(&x.provider)),
                "addOnPlan" => ResolvedValue::nullable_object(x.plan.as_ref().map(Obj::Plan)),
                "addOnPlanName" => opt_s(x.plan.as_ref().map(|p| p.display_name.as_str())),
                "primaryRegion" => opt_s(x.primary_region.as_deref()),
                "readRegions" => strings(&x.read_regions),
                "status" => opt_s(x.status.as_deref()),
                "errorMessage" => {
                    if x.status.as_deref() == Some("error") {
                        s("provisioning failed")
                    } else {
                        ResolvedValue::null()
                    }
                }
                "createdAt" => s(&x.created_at),
                "updatedAt" => s(&x.updated_at),
                "hostname" => opt_s(x.hostname.as_deref()),
                "password" => opt_s(x.password.as_deref()),
                "environment" => json(&x.environment),
                "publicUrl" => opt_s(x.public_url.as_deref()),
                "organization" => obj(Obj::Org(ctx, o)),
                "app" => ResolvedValue::nullable_object(
                    x.app
                        .as_deref()
                        .and_then(|n| o.apps.iter().find(|a| a.name == n))
                        .map(|a| Obj::App(ctx, o, a)),
                ),
                "apps" => paginate(
                    ctx,
                    field,
                    args,
                    x.apps
                        .iter()
                        .filter_map(|n| o.apps.iter().find(|a| &a.name == n))
                        .map(|a| Obj::App(ctx, o, a))
                        .collect(),
                    "AppConnection",
                    "AppEdge",
                )
                .map(obj)?,
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Provider(p) => match field {
                "id" => ResolvedValue::leaf(format!("provider_{}", p.name)),
                "name" => s(&p.name),
                "displayName" => s(&p.display_name),
                "resourceName" => s(&p.name),
                "asyncProvisioning"
                | "autoProvision"
                | "beta"
                | "detectPlatform"
                | "internal"
                | "selectName"
                | "selectRegion"
                | "selectReplicaRegions" => ResolvedValue::leaf(false),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Plan(p) => match field {
                "id" => s(&p.id),
                "name" => s(&p.name),
                "displayName" => s(&p.display_name),
                "pricePerMonth" => p.price_per_month.map_or_else(ResolvedValue::null, ResolvedValue::leaf),
                "description" => ResolvedValue::null(),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::SignedDocument(d) => match field {
                "documentType" => s(&d.document_type),
                "signed" => ResolvedValue::leaf(d.signed),
                "canRemind" => ResolvedValue::leaf(false),
                "signatureRequestId" => ResolvedValue::null(),
                "signerEmailAddress" => opt_s(d.signer_email_address.as_deref()),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Connection(c) => match field {
                "nodes" => list(c.page.iter().map(|(_, o)| o.clone())),
                "edges" => list(c.page.iter().map(|(i, o)| Obj::Edge {
                    type_name: c.edge_type,
                    cursor: cursor(*i),
                    node: Box::new(o.clone()),
                })),
                "pageInfo" => obj(Obj::PageInfo {
                    has_next: c.has_next,
                    has_prev: c.has_prev,
                    start: c.page.first().map(|(i, _)| cursor(*i)),
                    end: c.page.last().map(|(i, _)| cursor(*i)),
                }),
                "totalCount" => ResolvedValue::leaf(i64::try_from(c.total).unwrap_or(i64::MAX)),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::Edge { cursor, node, .. } => match field {
                "cursor" => s(cursor),
                "node" => obj((**node).clone()),
                _ => return Err(not_modelled(type_name, field)),
            },
            Obj::PageInfo { has_next, has_prev, start, end } => match field {
                "hasNextPage" => ResolvedValue::leaf(*has_next),
                "hasPreviousPage" => ResolvedValue::leaf(*has_prev),
                "startCursor" => opt_s(start.as_deref()),
                "endCursor" => opt_s(end.as_deref()),
                _ => return Err(not_modelled(type_name, field)),
            },
        })
    }
}

fn region_name(code: &str) -> &'static str {
    match code {
        "iad" => "Ashburn, Virginia (US)",
        "ord" => "Chicago, Illinois (US)",
        "sjc" => "San Jose, California (US)",
        "lhr" => "London, United Kingdom",
        "fra" => "Frankfurt, Germany",
        "syd" => "Sydney, Australia",
        _ => "Unknown region",
    }
}

impl ObjectValue for Obj<'_> {
    fn type_name(&self) -> &str {
        match self {
            Obj::Query(_) => "Queries",
            Obj::Org(..) => "Organization",
            Obj::App(..) => "App",
            Obj::Machine(..) => "Machine",
            Obj::Volume(..) => "Volume",
            Obj::Secret(_) => "Secret",
            Obj::Region(_) => "Region",
            Obj::AddOn(..) => "AddOn",
            Obj::Provider(_) => "AddOnProvider",
            Obj::Plan(_) => "AddOnPlan",
            Obj::SignedDocument(_) => "SignedDocument",
            Obj::Connection(c) => c.type_name,
            Obj::Edge { type_name, .. } => type_name,
            Obj::PageInfo { .. } => "PageInfo",
        }
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        self.resolve(info)
    }
}
