//! One module per area of the app.

pub mod account;
pub mod audit;
pub mod auth;
pub mod coverage;
pub mod details;
pub mod import;
pub mod integrations;
pub mod members;
pub mod notifications;
pub mod packets;
pub mod period;
pub mod safeguards;
pub mod settings;
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="public" id="main">
            <div class="public-card">
                <h1>"Not found"</h1>
                <p>"This page does not exist, or it is not in your workspace."</p>
                <a class="button" href="/">"Go to the overview"</a>
            </div>
        </main>
    }
}
