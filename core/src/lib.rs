//! BAA Tracker core: domain types, validation newtypes and the coverage engine.
//!
//! Everything here is pure (no IO, no clock reads) so it is tested with plain `cargo test` and
//! compiles to WASM for the browser.

pub mod account;
pub mod audit;
pub mod catalog;
pub mod coverage;
pub mod fly_import;
pub mod graph;
pub mod notice;
pub mod safeguards;
pub mod source;
