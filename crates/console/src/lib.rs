//! Veil's web consoles, embedded in the binary so that a consortium
//! machine with no internet serves them as they were built.
//!
//! - The **public console** (`/console` on every node): an explorer of what
//!   the ledger shows, the network and operations dashboard, governance,
//!   and credentials. It reads the node's public API and nothing else.
//! - The **regulator console** ([`regulator`]): served by `veil regulator
//!   console` from the regulator's own process on 127.0.0.1, so the key
//!   stays in that process; the browser sees decrypted views only.
//!
//! The pages are plain ES modules with no build step (docs/architecture.md,
//! "Console"); the one library, uPlot for charts, is vendored from the npm
//! lockfile in this crate (`package-lock.json`, checked by
//! `e2e/vendor.mjs --check`).

pub mod regulator;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file.
struct Asset {
    path: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, body: include_bytes!(concat!("../assets/", $path)) }),*]
    };
}

/// Every file the consoles serve, by path under `assets/`.
static ASSETS: &[Asset] = assets![
    "public/index.html",
    "public/app.js",
    "regulator/index.html",
    "regulator/app.js",
    "shared/common.js",
    "shared/charts.js",
    "shared/style.css",
    "shared/vendor/uPlot.esm.js",
    "shared/vendor/uPlot.min.css",
    "shared/vendor/uPlot.LICENSE",
];

/// The content security policy of every page: only this origin's scripts,
/// styles and API; no frames, no inline script.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// The asset at `path` (under `assets/`), if embedded.
fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// A response serving `path`, with the console's security headers; 404
/// when no such asset is embedded.
fn serve(path: &str) -> Response {
    let Some(a) = asset(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such console file",
        )
            .into_response();
    };
    let mut r = ([(header::CONTENT_TYPE, content_type(a.path))], a.body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A file of a console page: its own directory first, then the shared one.
fn page_file(page: &str, file: &str) -> Response {
    if file.contains("..") {
        return serve("");
    }
    let own = format!("{page}/{file}");
    if asset(&own).is_some() {
        serve(&own)
    } else {
        serve(&format!("shared/{file}"))
    }
}

/// The public console's routes (`/console`, `/console/`, `/console/*`), to
/// merge into the node's router.
pub fn public_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| async { serve("public/index.html") }))
        .route(
            "/console/{*file}",
            get(|Path(file): Path<String>| async move { page_file("public", &file) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `assets/` is embedded (a file added to the
    /// directory but not to [`ASSETS`] would be missing from the binary).
    #[test]
    fn every_asset_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut stack = vec![root.clone()];
        let mut on_disk = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(
                        p.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn no_path_escapes_the_assets() {
        assert_eq!(page_file("public", "../regulator/app.js").status(), 404);
        assert_eq!(page_file("public", "nothing.js").status(), 404);
        let r = page_file("public", "style.css");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
    }

    /// Nothing the consoles serve loads from another origin.
    #[test]
    fn nothing_is_fetched_from_elsewhere() {
        for a in ASSETS.iter().filter(|a| !a.path.contains("vendor/")) {
            let text = std::str::from_utf8(a.body).unwrap();
            for bad in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(bad), "{} contains {bad}", a.path);
            }
        }
    }
}
