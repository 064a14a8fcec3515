//! Read answers of the REST API kept with the coverage view they were computed from.
//!
//! A `GET` answer of the API depends only on the workspace's view of the day (kept per revision,
//! `baa_backend::storage::cache`) and the request's parsed parameters: the same request against
//! the same view gets the same bytes. So the answer is serialized once, compressed once per
//! encoding the clients ask for (br or gzip, at a level too costly to pay per request), and kept
//! in the view's derived slot: the next write makes a new view, and the old answers go with the
//! old view. At most [`PER_VIEW`] answers are kept per view; past that, answers are computed per
//! request as before (nothing is evicted, so a hot answer is never pushed out by a scan).

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use baa_backend::error::{AppError, AppResult};
use baa_backend::storage::world::CoverageView;
use bytes::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Answers kept per view (per workspace, day and revision).
const PER_VIEW: usize = 64;
/// Compression levels: br 5 and gzip 6 shrink JSON well and cost a few milliseconds per
/// megabyte, paid once per answer and view, not per request.
const BR_QUALITY: u32 = 5;
const GZIP_LEVEL: u32 = 6;

/// One serialized answer and its compressed copies, made on first use.
struct Answer {
    json: Bytes,
    br: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

/// The answers derived from one view, by key.
#[derive(Default)]
struct Answers(Mutex<HashMap<String, Arc<Answer>>>);

/// An encoding the client accepts, in our order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// br if the client accepts it, else gzip, else none (`q=0` refuses an encoding).
fn accepted(headers: &HeaderMap) -> Encoding {
    let mut br = false;
    let mut gzip = false;
    for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            match name.as_str() {
                "br" => br = !refused,
                "gzip" => gzip = !refused,
                _ => {}
            }
        }
    }
    if br {
        Encoding::Br
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn br(json: &[u8]) -> Bytes {
    let params = brotli::enc::BrotliEncoderParams { quality: BR_QUALITY as i32, ..Default::default() };
    let mut out = Vec::with_capacity(json.len() / 8);
    let mut input = json;
    // Writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
    Bytes::from(out)
}

fn gzip(json: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 6),
        flate2::Compression::new(GZIP_LEVEL),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(json);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// The JSON answer for `key` (the route and the parameters the answer depends on) from `view`: built by `build` the
/// first time, then the kept bytes, compressed as `headers` accept. An error is never kept.
pub fn json_of_view(
    view: &CoverageView,
    key: &str,
    headers: &HeaderMap,
    build: impl FnOnce() -> AppResult<Value>,
) -> AppResult<Response> {
    let answers = view.derived.get_or_build(Answers::default);
    let kept = answers.0.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned();
    let answer = match kept {
        Some(a) => a,
        None => {
            let json = serde_json::to_vec(&build()?).map_err(|e| AppError::Internal(e.into()))?;
            let built =
                Arc::new(Answer { json: Bytes::from(json), br: OnceLock::new(), gzip: OnceLock::new() });
            let mut held = answers.0.lock().unwrap_or_else(PoisonError::into_inner);
            if held.len() < PER_VIEW {
                held.entry(key.to_owned()).or_insert(built).clone()
            } else {
                built
            }
        }
    };
    let (body, encoding) = match accepted(headers) {
        Encoding::Br => (answer.br.get_or_init(|| br(&answer.json)).clone(), Some("br")),
        Encoding::Gzip => (answer.gzip.get_or_init(|| gzip(&answer.json)).clone(), Some("gzip")),
        Encoding::Identity => (answer.json.clone(), None),
    };
    let mut res = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    let h = res.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(e) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(accept).expect("header"));
        h
    }

    #[test]
    fn br_is_preferred_and_q0_refuses() {
        for (accept, want) in [
            ("gzip, deflate, br, zstd", Encoding::Br),
            ("gzip", Encoding::Gzip),
            ("br;q=0, gzip;q=0.5", Encoding::Gzip),
            ("BR", Encoding::Br),
            ("gzip;q=0", Encoding::Identity),
            ("identity", Encoding::Identity),
            ("", Encoding::Identity),
        ] {
            assert_eq!(accepted(&with(accept)), want, "{accept}");
        }
        assert_eq!(accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn compressed_copies_decode_to_the_answer() {
        use std::io::Read as _;
        let json = br#"{"services":[{"id":"a","name":"uploads"}],"next_cursor":null}"#.repeat(50);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut br(&json).as_ref(), &mut out).expect("br");
        assert_eq!(out, json);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gzip(&json).as_ref()).read_to_end(&mut out).expect("gzip");
        assert_eq!(out, json);
    }
}
