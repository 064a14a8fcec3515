//! Building blocks shared by the pages: page frames, messages, form fields.

use crate::api::{page_ctx, Flash, PageContext, UiError};
use baa_core::account::{Permission, Viewer};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{de::DeserializeOwned, Serialize};

/// The message for a field, if the flash is about it.
pub fn field_error(flash: &Option<Flash>, field: &str) -> Option<String> {
    flash.as_ref().and_then(|f| f.error_for(field))
}

/// A value to refill a form field with after an error.
pub fn refill(flash: &Option<Flash>, field: &str) -> String {
    flash.as_ref().map(|f| f.value(field)).unwrap_or_default()
}

/// The flash if it is about `form`: a refused form's values and errors come back into that form
/// only, never into another form of the same page.
pub fn for_form(flash: &Option<Flash>, form: &str) -> Option<Flash> {
    flash.as_ref().filter(|f| f.form.as_deref() == Some(form)).cloned()
}

/// Whether a refused form sent `name=value`; `default` when no refused form is being shown
/// (the form's usual initial state).
pub fn was_sent(flash: &Option<Flash>, name: &str, value: &str, default: bool) -> bool {
    match flash {
        Some(f) if f.error => f.sent(name, value),
        _ => default,
    }
}

/// A field's error message, with the id its input points to (`aria-describedby`).
#[component]
pub fn FieldError(id: String, message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="field-error" id=id>{m}</p> })
}

/// A signed-in page: loads who is signed in and `data`, then renders the frame and `body`.
pub fn app_page<T, F>(title: &'static str, data: Resource<Result<T, UiError>>, body: F) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(Viewer, Option<Flash>, T) -> AnyView + Clone + Send + Sync + 'static,
{
    let ctx = Resource::new(|| (), |_| page_ctx());
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let body = body.clone();
                Suspend::new(async move {
                    let c = match ctx.await {
                        Ok(c) => c,
                        Err(e) => return view! { <ErrorBox error=e /> }.into_any(),
                    };
                    let Some(viewer) = c.viewer.clone() else {
                        return view! { <SignedOut /> }.into_any();
                    };
                    let idle = c.idle_minutes;
                    let unread = c.unread;
                    let inner = match data.await {
                        Ok(d) => {
                            let flash = c.flash.clone();
                            view! {
                                <FlashBanner flash=flash.clone() />
                                {body(viewer.clone(), flash, d)}
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    };
                    view! {
                        <Frame viewer idle_minutes=idle unread title>
                            {inner}
                        </Frame>
                    }
                        .into_any()
                })
            }}
        </Suspense>
    }
}

/// A page for people who are not signed in (sign-in, setup, links from mail).
pub fn public_page<F>(title: &'static str, body: F) -> impl IntoView
where
    F: Fn(PageContext) -> AnyView + Clone + Send + Sync + 'static,
{
    let ctx = Resource::new(|| (), |_| page_ctx());
    view! {
        <Title text=title />
        <main class="public" id="main">
            <div class="public-card">
                <p class="brand-line">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    " BAA Tracker"
                </p>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || {
                        let body = body.clone();
                        Suspend::new(async move {
                            match ctx.await {
                                Ok(c) => {
                                    let flash = c.flash.clone();
                                    view! {
                                        <FlashBanner flash />
                                        {body(c)}
                                    }
                                        .into_any()
                                }
                                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </div>
            <p class="public-foot">"BAA Tracker stores agreements and vendor facts. It never asks for patient data."</p>
        </main>
    }
}

/// The frame of signed-in pages: header, navigation, main content.
#[component]
pub fn Frame(
    viewer: Viewer,
    idle_minutes: i64,
    /// Unread notices, shown next to "Notifications".
    unread: i64,
    title: &'static str,
    children: Children,
) -> impl IntoView {
    let nav = [
        ("/", "Dashboard", Permission::Read),
        ("/inventory", "Inventory", Permission::Read),
        ("/agreements", "Agreements", Permission::Read),
        ("/coverage/period", "Coverage over time", Permission::Read),
        ("/vendors", "Vendors", Permission::Read),
        ("/members", "Members", Permission::Read),
        ("/import", "Import", Permission::EditInventory),
        ("/settings", "Settings", Permission::Read),
        ("/tokens", "API tokens", Permission::ManageSettings),
        ("/integrations", "Integrations", Permission::ManageSettings),
        ("/audit", "Audit", Permission::ReadAudit),
        ("/packets", "Evidence packets", Permission::Read),
        ("/notifications", "Notifications", Permission::Read),
    ];
    let current = if title == "Audit trail" { "Audit" } else { title };
    let several = viewer.workspaces.len() > 1;
    let ws_id = viewer.workspace_id.clone();
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="top">
            <div class="top-inner">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    " BAA Tracker"
                </a>
                <div class="workspace">
                    {if several {
                        view! {
                            <form method="post" action="/actions/workspace/switch" class="switcher">
                                <label for="ws-switch" class="visually-hidden">"Workspace"</label>
                                <select id="ws-switch" name="workspace_id">
                                    {viewer
                                        .workspaces
                                        .iter()
                                        .map(|w| {
                                            view! {
                                                <option value=w.id.clone() selected=w.id == ws_id>
                                                    {w.name.clone()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button type="submit" class="small">"Switch"</button>
                            </form>
                        }
                            .into_any()
                    } else {
                        view! { <span class="ws-name">{viewer.workspace_name.clone()}</span> }.into_any()
                    }}
                </div>
                <div class="who">
                    // The account page (password, two-factor) is reached from one's own name.
                    <a class="who-name" href="/account" aria-current={(title == "Account").then_some("page")} title="Your account: password and two-factor sign-in">
                        {viewer.name.clone()}<span class="visually-hidden">" (your account)"</span>
                    </a>
                    <span class="badge role">{viewer.role.label()}</span>
                    <form method="post" action="/actions/logout">
                        <button type="submit" class="link-button">"Sign out"</button>
                    </form>
                </div>
            </div>
            <nav aria-label="Main">
                <ul>
                    {nav
                        .into_iter()
                        .filter(|(href, _, p)| {
                            // Evidence packets: owners, legal and auditors (not engineers).
                            viewer.can(*p) && (*href != "/packets" || viewer.role != baa_core::account::Role::Engineer)
                        })
                        .map(|(href, label, _)| {
                            let here = label == current;
                            view! {
                                <li>
                                    <a href=href aria-current=here.then_some("page")>
                                        {label}
                                        {(href == "/notifications" && unread > 0).then(|| view! {
                                            " "<span class="count" aria-label=format!("{unread} unread")>{unread}</span>
                                        })}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
        <main id="main" class="content">
            <h1>{title}</h1>
            {children()}
        </main>
        <IdleLogout minutes=idle_minutes />
    }
}

/// Sends the browser to the sign-in page once the server-side idle timeout has passed, so no
/// data stays on an unattended screen (HIPAA automatic logoff). The server enforces the same
/// limit on its own. An island: it runs in the browser.
#[island]
fn IdleLogout(minutes: i64) -> impl IntoView {
    Effect::new(move |_| {
        let ms = u64::try_from(minutes.max(1)).unwrap_or(30) * 60_000 + 2_000;
        set_timeout(
            move || {
                let _ = window().location().set_href("/login?idle=1");
            },
            std::time::Duration::from_millis(ms),
        );
    });
}

/// A one-time confirmation or error message. A refused form gets a summary of all its problems
/// at the top (each also shown beside its field).
#[component]
pub fn FlashBanner(flash: Option<Flash>) -> impl IntoView {
    flash.filter(|f| f.field.is_none() || !f.error).map(|f| match f.effect {
        Some(effect) => view! { <EffectBanner effect /> }.into_any(),
        None => {
            let class = if f.error { "flash error" } else { "flash ok" };
            let role = if f.error { "alert" } else { "status" };
            view! {
                <div class=class role=role>
                    {f.message}
                </div>
            }
            .into_any()
        }
    })
}

/// The summary at the top of a refused form: how many problems, and each one.
#[component]
pub fn ErrorSummary(flash: Option<Flash>) -> impl IntoView {
    flash.filter(|f| f.error && f.field.is_some()).map(|f| {
        let errors = if f.errors.is_empty() {
            vec![baa_core::account::Invalid::new(f.field.clone().unwrap_or_default(), f.message.clone())]
        } else {
            f.errors.clone()
        };
        let n = errors.len();
        view! {
            <div class="flash error error-summary" role="alert">
                <p>
                    <strong>
                        {if n == 1 {
                            "Nothing was saved: one thing needs fixing.".to_string()
                        } else {
                            format!("Nothing was saved: {n} things need fixing.")
                        }}
                    </strong>
                </p>
                <ul>{errors.into_iter().map(|i| view! { <li>{i.message}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

/// What a save did to coverage: a warning (an alert with a link and one next step) when it
/// leaves something uncovered, never a green confirmation.
#[component]
pub fn EffectBanner(effect: baa_core::coverage::effect::Effect) -> impl IntoView {
    use baa_core::coverage::effect::Tone;
    let (class, role) = match effect.tone {
        Tone::Ok => ("flash ok", "status"),
        Tone::Neutral => ("flash neutral", "status"),
        Tone::Warning => ("flash warning", "alert"),
    };
    let details = effect.details.into_iter().map(|d| view! { <p>{d}</p> }).collect_view();
    let link = effect.link.map(|(href, name)| {
        view! {
            <p>
                <a href=href>{format!("Open {name}")}</a>
            </p>
        }
    });
    let step = effect.next_step.map(|s| {
        view! {
            <p class="next-step">
                <strong>"Next step: "</strong>
                {s}
            </p>
        }
    });
    view! {
        <div class=class role=role>
            <p class="headline">
                <strong>{effect.headline}</strong>
            </p>
            {details}
            {link}
            {step}
        </div>
    }
}

/// An error loading the page.
#[component]
pub fn ErrorBox(error: UiError) -> impl IntoView {
    let hint = match error.code.as_str() {
        "unauthenticated" => Some(view! { <a href="/login">"Sign in"</a> }),
        _ => None,
    };
    view! {
        <div class="flash error" role="alert">
            <p>{error.message}</p>
            {hint}
        </div>
    }
}

#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <main class="public" id="main">
            <div class="public-card">
                <p>"You are signed out."</p>
                <a class="button" href="/login">"Sign in"</a>
            </div>
        </main>
    }
}

/// Element ids of a labelled field: the input, its error, its hint, and which of the two
/// describes it (`aria-describedby`).
fn field_ids(
    prefix: &str,
    name: &str,
    has_error: bool,
    has_hint: bool,
) -> (String, String, String, Option<String>) {
    let id = format!("{prefix}-{name}");
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if has_error {
        Some(err_id.clone())
    } else if has_hint {
        Some(hint_id.clone())
    } else {
        None
    };
    (id, err_id, hint_id, described)
}

/// A labelled text input with its error message.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(default = None)] hint: Option<&'static str>,
    #[prop(default = None)] autocomplete: Option<&'static str>,
    #[prop(default = true)] required: bool,
    /// Starts the element ids, so two forms of one page with the same field names keep unique
    /// ids (each label then names its own input).
    #[prop(default = "f")]
    prefix: &'static str,
) -> impl IntoView {
    let (id, err_id, hint_id, described) = field_ids(prefix, name, error.is_some(), hint.is_some());
    let has_error = error.is_some();
    view! {
        <div class="field" class:has-error=has_error>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                autocomplete=autocomplete
                aria-invalid=has_error.then_some("true")
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {error.map(|e| view! { <p class="field-error" id=err_id>{e}</p> })}
        </div>
    }
}

/// A password input with a show/hide toggle once the page is hydrated (an island: its props
/// travel to the browser in the page, so they are owned strings; never a value).
#[island]
pub fn PasswordField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(optional_no_strip)] error: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
) -> impl IntoView {
    let (shown, set_shown) = signal(false);
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let (id, err_id, hint_id, described) = field_ids("f", &name, error.is_some(), hint.is_some());
    let has_error = error.is_some();
    let autocomplete = autocomplete.unwrap_or_else(|| "current-password".to_owned());
    view! {
        <div class="field" class:has-error=has_error>
            <label for=id.clone()>{label}</label>
            <div class="password-row">
                <input
                    id=id
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    required=true
                    maxlength="1024"
                    autocomplete=autocomplete
                    aria-invalid=has_error.then_some("true")
                    aria-describedby=described
                />
                <button
                    type="button"
                    class="small secondary"
                    hidden=move || !hydrated.get()
                    aria-pressed=move || if shown.get() { "true" } else { "false" }
                    on:click=move |_| set_shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {error.map(|e| view! { <p class="field-error" id=err_id>{e}</p> })}
        </div>
    }
}

/// Rows shown per page of a long list.
pub const PER_PAGE: usize = 50;

/// Which part of a list one page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageOf {
    /// The page shown, from 1 (a page past the end shows the last one).
    pub page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
    /// Index of the first row shown.
    pub first: usize,
    /// How many rows the list has.
    pub total: usize,
}

impl PageOf {
    /// Page `requested` (as typed in the URL: anything not a number from 1 is page 1) of a list
    /// of `total` rows.
    pub fn new(requested: &str, total: usize) -> Self {
        let pages = total.div_ceil(PER_PAGE).max(1);
        let page = requested.parse::<usize>().ok().filter(|n| *n >= 1).unwrap_or(1).min(pages);
        PageOf { page, pages, first: (page - 1) * PER_PAGE, total }
    }

    /// The rows of this page.
    pub fn rows<T>(&self, all: impl IntoIterator<Item = T>) -> impl Iterator<Item = T> {
        all.into_iter().skip(self.first).take(PER_PAGE)
    }
}

/// "Showing 51–100 of 1,000" with previous and next links (plain links, so they work without
/// JavaScript and are reached with the keyboard), keeping the page's other query values.
/// `param` names the page in the query (two lists on one page page apart), `what` the rows
/// ("services"), `anchor` where the list starts.
pub fn pager<K: AsRef<str>, V: AsRef<str>>(
    what: &'static str,
    path: &str,
    query: &[(K, V)],
    param: &str,
    p: PageOf,
    anchor: &str,
) -> impl IntoView {
    let href = |n: usize| {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter().filter(|(k, _)| k.as_ref() != param))
            .append_pair(param, &n.to_string())
            .finish();
        format!("{path}?{q}#{anchor}")
    };
    let last = (p.first + PER_PAGE).min(p.total);
    let shown = if p.total == 0 {
        format!("No {what} match.")
    } else {
        format!("Showing {}–{last} of {}", p.first + 1, p.total)
    };
    view! {
        <nav class="pager" aria-label=format!("Pages of {what}")>
            <span>{shown}</span>
            {(p.page > 1).then(|| view! { <a href=href(p.page - 1) rel="prev">"← Previous"</a> })}
            {(p.pages > 1).then(|| view! { <span>{format!("Page {} of {}", p.page, p.pages)}</span> })}
            {(p.page < p.pages).then(|| view! { <a href=href(p.page + 1) rel="next">"Next →"</a> })}
        </nav>
    }
}

/// The search, sort and page of one list as typed in the URL. `prefix` tells two lists of one
/// page apart: `""` reads `q`, `sort` and `page`; `"apps_"` reads `apps_q`, `apps_sort` and
/// `apps_page`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// What to look for (empty: everything).
    pub q: String,
    /// The chosen order (empty: the list's default).
    pub sort: String,
    /// The page asked for, as typed.
    pub page: String,
    prefix: &'static str,
    /// `q` trimmed and lowercased, once per request rather than once per row.
    needle: String,
}

impl ListQuery {
    /// Reads the list's values from the page's URL.
    pub fn from_url(prefix: &'static str) -> Self {
        let q = leptos_router::hooks::use_query_map();
        let get = |k: &str| q.with_untracked(|q| q.get(&format!("{prefix}{k}")).unwrap_or_default());
        let q = get("q");
        let needle = q.trim().to_lowercase();
        ListQuery { q, sort: get("sort"), page: get("page"), prefix, needle }
    }

    /// Whether a search was typed (rows whose fields cost something to build can skip building
    /// them when not).
    pub fn searching(&self) -> bool {
        !self.needle.is_empty()
    }

    /// Whether one of `fields` holds the search text (case does not matter; no text matches all).
    pub fn matches(&self, fields: &[&str]) -> bool {
        !self.searching() || fields.iter().any(|f| f.to_lowercase().contains(&self.needle))
    }

    /// Whether the list shows its pager: when it has several pages, or when a search narrowed
    /// it (the pager then says how many match, or that none does).
    pub fn wants_pager(&self, at: PageOf) -> bool {
        at.pages > 1 || self.searching()
    }

    /// The query's non-empty values, for links that keep them (a pager's).
    pub fn pairs(&self) -> Vec<(String, String)> {
        [("q", &self.q), ("sort", &self.sort), ("page", &self.page)]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (format!("{}{k}", self.prefix), v.clone()))
            .collect()
    }

    /// The name of this list's page parameter.
    pub fn page_param(&self) -> String {
        format!("{}page", self.prefix)
    }
}

/// The search box and order choice of a list: a plain GET form (works without JavaScript,
/// reached with the keyboard) that starts again from page 1 and keeps `keep` (another list's
/// values on the same page). `sorts` are (value, label), the first being the default.
pub fn list_controls(
    id: &'static str,
    path: &'static str,
    what: &'static str,
    hint: &'static str,
    list: &ListQuery,
    sorts: &[(&'static str, &'static str)],
    keep: &[(String, String)],
) -> impl IntoView {
    let (q_id, sort_id) = (format!("{id}-q"), format!("{id}-sort"));
    let (q_name, sort_name) = (format!("{}q", list.prefix), format!("{}sort", list.prefix));
    let sort = list.sort.clone();
    view! {
        <form method="get" action=path class="inline-form filters" aria-label=format!("Search and sort {what}")>
            {keep.iter().map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone() /> }).collect_view()}
            <div class="field"><label for=q_id.clone()>{format!("Search {what}")}</label><input id=q_id type="search" name=q_name value=list.q.clone() placeholder=hint /></div>
            <div class="field"><label for=sort_id.clone()>"Sort by"</label><select id=sort_id name=sort_name>
                {sorts.iter().enumerate().map(|(i, (v, l))| {
                    let value = if i == 0 { String::new() } else { (*v).to_string() };
                    let selected = value == sort;
                    view! { <option value=value selected=selected>{*l}</option> }
                }).collect_view()}
            </select></div>
            <button type="submit" class="secondary">"Search"</button>
            {(!list.q.is_empty() || !list.sort.is_empty()).then(|| view! { <a href=path>"Clear"</a> })}
        </form>
    }
}

#[cfg(test)]
mod page_tests {
    use super::{PageOf, PER_PAGE};

    #[test]
    fn a_page_past_the_end_or_not_a_number_is_clamped() {
        assert_eq!(PageOf::new("", 120), PageOf { page: 1, pages: 3, first: 0, total: 120 });
        assert_eq!(PageOf::new("3", 120).first, 2 * PER_PAGE);
        assert_eq!(PageOf::new("9", 120).page, 3);
        assert_eq!(PageOf::new("0", 120).page, 1);
        assert_eq!(PageOf::new("-1", 0), PageOf { page: 1, pages: 1, first: 0, total: 0 });
        assert_eq!(PageOf::new("2", 120).rows(0..120).collect::<Vec<_>>(), (50..100).collect::<Vec<_>>());
    }
}
