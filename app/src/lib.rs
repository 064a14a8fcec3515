//! BAA Tracker pages (Leptos, rendered on the server and hydrated in the browser).
//!
//! Pages read through server functions in [`api`]; every change is a plain HTML form posted to
//! an `/actions/...` route of the server binary (post/redirect/get), so each form works without
//! JavaScript and the hydrated page only adds conveniences on top. Every route renders in
//! `SsrMode::Async`: the server sends the finished page, so it reads fully without JavaScript.

#![recursion_limit = "512"]

pub mod api;
pub mod audit_api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod findings_view;
#[cfg(feature = "ssr")]
pub mod graph;
pub mod import_api;
pub mod integrations_api;
pub mod inventory_api;
pub mod outcome;
pub mod pages;
pub mod period_api;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod tokens_api;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Where the stylesheet and the upload script are (content-hashed names, provided by the server
/// for each page; the plain names when it did not, as on error pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetNames {
    /// The stylesheet.
    pub css: String,
    /// The upload script.
    pub upload: String,
}

impl Default for AssetNames {
    fn default() -> Self {
        AssetNames { css: "/pkg/baa-tracker.css".into(), upload: "/pkg/upload.js".into() }
    }
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    let names = use_context::<AssetNames>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options islands=true />
                // Drag and drop with upload progress for document forms (plain forms without it).
                <link rel="stylesheet" id="leptos" href=names.css />
                <script type="module" src=names.upload nonce=leptos::nonce::use_nonce()></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: routes to pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "BAA Tracker".to_string() } else { format!("{t} · BAA Tracker") } />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::coverage::Dashboard ssr=SsrMode::Async />
                <Route path=path!("/inventory") view=pages::coverage::Inventory ssr=SsrMode::Async />
                <Route path=path!("/agreements") view=pages::coverage::Agreements ssr=SsrMode::Async />
                <Route path=path!("/agreements/:id") view=pages::details::AgreementPage ssr=SsrMode::Async />
                <Route path=path!("/services/:id") view=pages::details::ServicePage ssr=SsrMode::Async />
                <Route path=path!("/vendors") view=pages::details::Vendors ssr=SsrMode::Async />
                <Route path=path!("/audit") view=pages::audit::Audit ssr=SsrMode::Async />
                <Route path=path!("/coverage/period") view=pages::period::CoverageOverTime ssr=SsrMode::Async />
                <Route path=path!("/setup") view=pages::auth::Setup ssr=SsrMode::Async />
                <Route path=path!("/login") view=pages::auth::Login ssr=SsrMode::Async />
                <Route path=path!("/login/2fa") view=pages::auth::LoginTwoFactor ssr=SsrMode::Async />
                <Route path=path!("/forgot") view=pages::auth::Forgot ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=pages::auth::Reset ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=pages::auth::AcceptInvite ssr=SsrMode::Async />
                <Route path=path!("/members") view=pages::members::Members ssr=SsrMode::Async />
                <Route path=path!("/settings") view=pages::settings::Settings ssr=SsrMode::Async />
                <Route path=path!("/notifications") view=pages::notifications::Notifications ssr=SsrMode::Async />
                <Route path=path!("/packets") view=pages::packets::Packets ssr=SsrMode::Async />
                <Route path=path!("/import") view=pages::import::Import ssr=SsrMode::Async />
                <Route path=path!("/tokens") view=pages::tokens::Tokens ssr=SsrMode::Async />
                <Route path=path!("/integrations") view=pages::integrations::Integrations ssr=SsrMode::Async />
                <Route path=path!("/account") view=pages::account::Account ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
