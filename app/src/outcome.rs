//! What a server call tells the page besides its data: an error fit to show ([`UiError`]) or a
//! one-time message carried across a redirect ([`Flash`]). A leaf: the request context
//! (`crate::ssr`) and every data loader use it, and it uses neither.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error as the browser sees it: status, stable code, message fit for people.
///
/// Why a type of its own: it is the wire form of `baa_backend::error::AppError` for server
/// functions, compiled into the browser too (where the backend is not), so it carries only what
/// may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    /// HTTP status.
    pub status: u16,
    /// Stable code (`not_found`, `forbidden`, ...).
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(_value: ServerFnErrorErr) -> Self {
        UiError {
            status: 500,
            code: "request_failed".into(),
            message: "The page could not load its data. Reload the page; if you were away for a while, sign in again."
                .into(),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(feature = "ssr")]
impl From<baa_backend::error::AppError> for UiError {
    fn from(e: baa_backend::error::AppError) -> Self {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(e.status());
        }
        UiError { status: e.status().as_u16(), code: e.code().into(), message: e.public_message() }
    }
}

/// A one-time message carried across a redirect (post/redirect/get). A refused form comes back
/// with every value it sent (`values`, in order, repeated names kept: selects, checkboxes) and
/// every problem the validation found (`errors`), each shown next to its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// True for errors, false for confirmations.
    pub error: bool,
    /// The message (for a refused form: all its problems in one line).
    pub message: String,
    /// The first field the message is about, if any.
    pub field: Option<String>,
    /// Which form it concerns.
    pub form: Option<String>,
    /// Values to put back into the form, as submitted (never passwords).
    #[serde(default)]
    pub values: Vec<(String, String)>,
    /// Every field problem, in form order.
    #[serde(default)]
    pub errors: Vec<baa_core::account::Invalid>,
    /// What a save did to coverage, shown instead of a plain confirmation.
    #[serde(default)]
    pub effect: Option<baa_core::coverage::effect::Effect>,
}

impl Flash {
    /// The value to refill `name` with (the first, if it was sent several times).
    pub fn value(&self, name: &str) -> String {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Whether `name` was sent with `value` (a ticked checkbox, a chosen option).
    pub fn sent(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// The message for `field`, if this refused form has one.
    pub fn error_for(&self, field: &str) -> Option<String> {
        if !self.error {
            return None;
        }
        self.errors.iter().find(|i| i.field == field).map(|i| i.message.clone()).or_else(|| {
            (self.errors.is_empty() && self.field.as_deref() == Some(field)).then(|| self.message.clone())
        })
    }
}
