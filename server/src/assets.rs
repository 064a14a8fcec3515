//! The browser's files under content-hashed names, cached for a year.
//!
//! At start the server hashes the bundle (the WASM and its JS glue together, since the glue is
//! built for that WASM), the stylesheet and the upload script in `SITE_ROOT/pkg`, and pages name
//! them `/pkg/baa-tracker.<hash>.js`, `/pkg/baa-tracker.<hash>_bg.wasm`,
//! `/pkg/baa-tracker.<hash>.css` and `/pkg/upload.<hash>.js`. Those answers carry
//! `Cache-Control: public, max-age=31536000, immutable`: a new build has new names, so a browser
//! never runs a stale bundle. A hashed name that is not the current one is a 404 (never the new
//! content under an old name, which a cache would keep for a year). The plain names stay served,
//! uncached, for tools and for pages rendered without the context (error pages). Each goes out
//! br- or gzip-compressed from the copies scripts/build-site.sh made, when the browser accepts it.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::{Path as FsPath, PathBuf};
use tower::ServiceExt as _;
use tower_http::services::ServeFile;

/// Base name of the bundle (`output_name` before hashing).
pub const BUNDLE: &str = "baa-tracker";

/// Hashes of the current build's files.
#[derive(Debug, Clone)]
pub struct Assets {
    pkg: PathBuf,
    /// Of the WASM and its JS glue.
    pub bundle: String,
    /// Of the stylesheet.
    pub css: String,
    /// Of the upload script.
    pub upload: String,
}

fn digest(files: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    for f in files {
        // A missing file (a server started without a built site) hashes as empty.
        h.update(std::fs::read(f).unwrap_or_default());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

impl Assets {
    /// Hashes the files in `site_root/pkg`.
    pub fn load(site_root: &FsPath) -> Assets {
        let pkg = site_root.join("pkg");
        let file = |name: &str| pkg.join(name);
        Assets {
            bundle: digest(&[file(&format!("{BUNDLE}.js")), file(&format!("{BUNDLE}_bg.wasm"))]),
            css: digest(&[file(&format!("{BUNDLE}.css"))]),
            upload: digest(&[file("upload.js")]),
            pkg,
        }
    }

    /// The names pages use.
    pub fn names(&self) -> app::AssetNames {
        app::AssetNames {
            css: format!("/pkg/{BUNDLE}.{}.css", self.css),
            upload: format!("/pkg/upload.{}.js", self.upload),
        }
    }

    /// The `output_name` Leptos builds the script and WASM names from.
    pub fn output_name(&self) -> String {
        format!("{BUNDLE}.{}", self.bundle)
    }

    /// The file a hashed name stands for, if it is one of the current names.
    fn resolve(&self, name: &str) -> Option<PathBuf> {
        let bundle = format!("{BUNDLE}.{}", self.bundle);
        let file = if name == format!("{bundle}.js") {
            format!("{BUNDLE}.js")
        } else if name == format!("{bundle}_bg.wasm") {
            format!("{BUNDLE}_bg.wasm")
        } else if name == format!("{BUNDLE}.{}.css", self.css) {
            format!("{BUNDLE}.css")
        } else if name == format!("upload.{}.js", self.upload) {
            "upload.js".to_owned()
        } else {
            return None;
        };
        Some(self.pkg.join(file))
    }
}

/// Whether a `/pkg` file name carries a content hash (`name.<16 hex>.ext`, `name.<16 hex>_bg.wasm`).
pub fn is_hashed(name: &str) -> bool {
    name.split('.').any(|part| {
        let part = part.strip_suffix("_bg").unwrap_or(part);
        part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// `GET /pkg/{name}`: a hashed name is served cached for a year (or 404 when it is not the current
/// build's), a plain name uncached.
pub async fn pkg(State(assets): State<Assets>, Path(name): Path<String>, req: Request) -> Response {
    let (path, cache) = if is_hashed(&name) {
        match assets.resolve(&name) {
            Some(path) => (path, "public, max-age=31536000, immutable"),
            None => return StatusCode::NOT_FOUND.into_response(),
        }
    } else if !name.starts_with('.') && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        (assets.pkg.join(&name), "no-cache")
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // build-site.sh leaves `name.br` and `name.gz` beside each file: sent as they are when the
    // browser accepts them (a file without them goes out plain).
    match ServeFile::new(path).precompressed_br().precompressed_gzip().oneshot(req).await {
        Ok(res) => {
            let mut res = res.into_response();
            if res.status().is_success() {
                res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            }
            res
        }
        Err(never) => match never {},
    }
}
