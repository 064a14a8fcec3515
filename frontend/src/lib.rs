//! Browser entry point: hydrate the islands (the interactive parts) of the server-rendered page.
//! Everything else is plain HTML from the server; links and forms are ordinary requests.

#![recursion_limit = "512"]

// The islands are defined in `app` (`#[island]`); naming the crate links them into the bundle.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
