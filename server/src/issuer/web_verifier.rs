//! The staff verifier page at `/verify/` (issue 31): the static files of `web/verifier/` (with
//! the WebAssembly `scripts/web-verifier-build` made), and `root-key.js`, the issuer root key the
//! page trusts, written from this server's key ring. The same files work from any static host
//! with a `root-key.js` written at deployment.

use super::state::ServerState;
use crate::responses::api_error;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What the page may load: its own files, its WebAssembly (`wasm-unsafe-eval` lets the browser
/// compile it), the camera, and the API on the same origin.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'";

fn content_type(path: &str) -> Option<&'static str> {
    Some(match path.rsplit_once('.')?.1 {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

fn page_file(body: Vec<u8>, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            // The service worker keeps its own copy; the browser asks again each time.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    api_error(StatusCode::NOT_FOUND, "not_found", "no such file")
}

/// `GET /verify/`: the page.
pub async fn page(State(st): State<Arc<ServerState>>) -> Response {
    file(State(st), UrlPath("index.html".to_owned())).await
}

/// `GET /verify/{*path}`: a file of the page, or `root-key.js`.
pub async fn file(State(st): State<Arc<ServerState>>, UrlPath(path): UrlPath<String>) -> Response {
    if path == "root-key.js" {
        let root = techo_core::hex::encode(st.keys.root_public().uncompressed());
        return page_file(
            format!("export const ROOT_KEY = \"{root}\";\nexport const API = \"../v1/\";\n")
                .into_bytes(),
            "text/javascript; charset=utf-8",
        );
    }
    let Some(dir) = &st.cfg.web_verifier else {
        return not_found();
    };
    // Plain names only: nothing outside the page's folder is ever read.
    let safe = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != ".."
                && part != "."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    let (true, Some(kind)) = (safe, content_type(&path)) else {
        return not_found();
    };
    let file = dir.join(&path);
    match tokio::task::spawn_blocking(move || std::fs::read(file)).await {
        Ok(Ok(body)) => page_file(body, kind),
        _ => not_found(),
    }
}
