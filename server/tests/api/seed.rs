//! A seed builder: the world most tests start from (orgs, apps, services, agreements), posted
//! through the app's real forms by a signed-in client. Each `save` asserts the form was
//! accepted: a 303 to the page the form answers on, and no error in the flash (which it reads,
//! so the flash is consumed). A test that checks a form's own answer sends it with `send`,
//! which posts the same fields and returns the response untouched.
//!
//! Defaults are what most tests post: an org in production on Scale, a service that handles
//! PHI, a signed BAA between us and the vendor effective 2026-01-01.

use crate::helpers::{Client, Resp, ALL_CLAUSES};
use serde_json::Value;

/// Builds forms for one signed-in client.
pub struct Seed<'c> {
    c: &'c Client,
}

impl<'c> Seed<'c> {
    pub fn new(c: &'c Client) -> Self {
        Seed { c }
    }

    fn form(&self, path: &'static str, back: &'static str, fields: &[(&str, &str)]) -> Form<'c> {
        Form {
            c: self.c,
            path,
            back,
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// An org in production on the Scale plan.
    pub fn org(&self, slug: &str) -> Form<'c> {
        self.form(
            "/actions/orgs/save",
            "/inventory",
            &[("slug", slug), ("environment", "production"), ("plan", "scale")],
        )
    }

    /// An app in `org`.
    pub fn app(&self, name: &str, org: &str) -> Form<'c> {
        self.form("/actions/apps/save", "/inventory", &[("name", name), ("org", org)])
    }

    /// A new service on `vendor_plan` ("tigris|standard") that handles PHI.
    pub fn service(&self, name: &str, vendor_plan: &str) -> Form<'c> {
        self.form(
            "/actions/services/save",
            "/inventory",
            &[("name", name), ("vendor_plan", vendor_plan), ("phi", "yes")],
        )
    }

    /// A change to the service `id` (the form on its own page, which it answers to).
    pub fn service_edit(&self, id: &str, name: &str, vendor_plan: &str) -> Form<'c> {
        let mut f = self.service(name, vendor_plan).with("id", id);
        f.back = "";
        f
    }

    /// A signed BAA between us and `party_b` ("vendor:fly"), effective 2026-01-01; an empty
    /// `title` sends none.
    pub fn baa(&self, party_b: &str, title: &str) -> Form<'c> {
        let f = self.form(
            "/actions/agreements/create",
            "/agreements",
            &[
                ("party_a", "us"),
                ("party_b", party_b),
                ("kind", "baa"),
                ("status", "signed"),
                ("effective", "2026-01-01"),
            ],
        );
        if title.is_empty() {
            f
        } else {
            f.with("title", title)
        }
    }

    /// The world several journeys start from: the org acme-health-production and its app
    /// acme-api in iad, both from 2026-02-01.
    pub async fn acme_production(&self) {
        self.org("acme-health-production").on("2026-02-01").save().await;
        self.app("acme-api", "acme-health-production").regions("iad").on("2026-02-01").save().await;
    }

    /// acme-api's Tigris bucket acme-uploads (PHI, iad, from 2026-02-01): saved but not covered.
    pub fn acme_uploads(&self) -> Form<'c> {
        self.service("acme-uploads", "tigris|standard")
            .apps("acme-api")
            .org("acme-health-production")
            .regions("iad")
            .on("2026-02-01")
    }

    /// The id of the service named `name`, from the coverage data.
    pub async fn service_id(&self, name: &str) -> String {
        let v = coverage(self.c, "").await;
        id_named(&v["services"], "name", name)
    }

    /// The id of the agreement titled `title`, from the coverage data.
    pub async fn agreement_id(&self, title: &str) -> String {
        let v = coverage(self.c, "").await;
        id_named(&v["agreements"], "title", title)
    }
}

fn id_named(list: &Value, key: &str, name: &str) -> String {
    list.as_array()
        .expect("list")
        .iter()
        .find(|s| s[key] == name)
        .unwrap_or_else(|| panic!("no {key} {name} in {list}"))["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// The coverage data as of a day ("" for today).
pub async fn coverage(c: &Client, as_of: &str) -> Value {
    let r = c.api_with("coverage_data", &[("as_of", as_of)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).expect("json")
}

/// An agreement's detail, as its page loads it.
pub async fn agreement_detail(c: &Client, id: &str) -> Value {
    let r = c.api_with("agreement_detail", &[("id", id)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).expect("json")
}

/// One form, with its fields in the order they are sent.
pub struct Form<'c> {
    c: &'c Client,
    path: &'static str,
    /// Where an accepted form redirects ("" for the service's own page).
    back: &'static str,
    fields: Vec<(String, String)>,
}

impl Form<'_> {
    /// Sets `field` (replacing its value if it is already set).
    pub fn with(mut self, field: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(k, _)| k == field) {
            Some(f) => f.1 = value.to_string(),
            None => self.fields.push((field.to_string(), value.to_string())),
        }
        self
    }

    /// Leaves `field` out.
    pub fn without(mut self, field: &str) -> Self {
        self.fields.retain(|(k, _)| k != field);
        self
    }

    /// The day the record takes effect (`effective_on`).
    pub fn on(self, day: &str) -> Self {
        self.with("effective_on", day)
    }

    pub fn apps(self, apps: &str) -> Self {
        self.with("apps", apps)
    }

    pub fn org(self, org: &str) -> Self {
        self.with("org", org)
    }

    pub fn regions(self, regions: &str) -> Self {
        self.with("regions", regions)
    }

    /// No PHI, for `reason`.
    pub fn phi_no(self, reason: &str) -> Self {
        self.with("phi", "no").with("phi_reason", reason)
    }

    pub fn effective(self, day: &str) -> Self {
        self.with("effective", day)
    }

    pub fn expiry(self, day: &str) -> Self {
        self.with("expiry", day)
    }

    /// Every required clause ticked with where it is found.
    pub fn all_clauses(mut self) -> Self {
        self.fields.extend(ALL_CLAUSES.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// Posts the form and returns the answer unchecked (the flash is left for the test).
    pub async fn send(&self) -> Resp {
        let form: Vec<(&str, &str)> = self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.c.post(self.path, &form).await
    }

    fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// Saves a service or an agreement and returns its id (found by name or title, so it must
    /// be the only one with it).
    pub async fn save_id(self) -> String {
        let c = self.c;
        let (list, key, name) = match self.path {
            "/actions/agreements/create" => ("agreements", "title", self.field("title").to_string()),
            _ => ("services", "name", self.field("name").to_string()),
        };
        self.save().await;
        id_named(&coverage(c, "").await[list], key, &name)
    }

    /// Posts the form and asserts it was accepted.
    pub async fn save(self) {
        let r = self.send().await;
        assert_eq!(r.status, 303, "{} {:?}: {}", self.path, self.fields, r.body);
        if self.back.is_empty() {
            assert!(
                r.location().starts_with("/services/"),
                "{} {:?}: {}",
                self.path,
                self.fields,
                r.location()
            );
        } else {
            assert_eq!(r.location(), self.back, "{} {:?}", self.path, self.fields);
        }
        let ctx: Value = serde_json::from_str(&self.c.api("public/page_ctx").await.body).expect("json");
        assert_ne!(ctx["flash"]["error"], true, "{} {:?}: {}", self.path, self.fields, ctx["flash"]);
    }
}
