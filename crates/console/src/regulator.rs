//! The regulator console: a page served on 127.0.0.1 by the process that
//! holds the regulator's (or auditor's) keystore.
//!
//! The key never leaves this process: the browser asks this server for a
//! view, the server makes the same audited request to the node as `veil
//! regulator view` does (so the same access record lands on the ledger),
//! decrypts locally and answers with the rows.
//!
//! Who may ask: only a browser that holds the session token printed at
//! start (`http://127.0.0.1:PORT/#token=…`; the fragment never reaches a
//! server or a log), sent as `Authorization: Bearer …` on every API call;
//! and only with a `Host` of this loopback address (a page on another
//! origin that resolves its name to 127.0.0.1 — DNS rebinding — is
//! refused). The listener must be a loopback address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query as QueryParams, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use veil_client::types::Problem;
use veil_regulator::session::{report_csv, view_csv, Query, Session};

/// Most "largest transfers" a report lists (`top`).
const MAX_TOP: usize = 1000;

/// The console's state.
struct Console {
    session: Session,
    token: String,
    addr: SocketAddr,
    /// Where delegated auditor keys are written (the directory the console
    /// was started in, unless `--out-dir`).
    out_dir: PathBuf,
}

/// A problem+json answer.
struct ApiProblem(StatusCode, &'static str, String);

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let p = Problem {
            kind: format!("urn:veil:problem:{}", self.1),
            title: self.0.canonical_reason().unwrap_or("error").to_owned(),
            status: self.0.as_u16(),
            detail: self.2,
        };
        let mut r = (self.0, Json(p)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}

impl From<veil_regulator::RegulatorError> for ApiProblem {
    fn from(e: veil_regulator::RegulatorError) -> Self {
        use veil_regulator::RegulatorError as E;
        match &e {
            E::BeyondTip { .. } => Self(StatusCode::BAD_REQUEST, "beyond-tip", e.to_string()),
            E::NotRegulator(_) => Self(StatusCode::FORBIDDEN, "not-regulator", e.to_string()),
            E::Api(_) => Self(StatusCode::BAD_GATEWAY, "node", e.to_string()),
            _ => Self(
                StatusCode::INTERNAL_SERVER_ERROR,
                "regulator",
                e.to_string(),
            ),
        }
    }
}

fn bad(detail: impl Into<String>) -> ApiProblem {
    ApiProblem(StatusCode::BAD_REQUEST, "bad-request", detail.into())
}

/// Starts the console on `listener` (which must be bound to a loopback
/// address) and serves until `shutdown` resolves. Returns the URL to open,
/// token included, through `ready` before serving.
pub async fn serve(
    session: Session,
    listener: tokio::net::TcpListener,
    token: String,
    out_dir: PathBuf,
    ready: impl FnOnce(String),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the regulator console listens on loopback only, not {addr}"),
        ));
    }
    let console = Arc::new(Console {
        session,
        token,
        addr,
        out_dir,
    });
    let url = format!("http://{addr}/#token={}", console.token);
    ready(url);
    axum::serve(listener, router(console))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A fresh session token: 32 random bytes, hex.
pub fn new_token() -> String {
    let mut t = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut t);
    hex::encode(t)
}

fn router(console: Arc<Console>) -> Router {
    let api = Router::new()
        .route("/api/session", get(session))
        .route("/api/view", get(view))
        .route("/api/view.csv", get(view_csv_file))
        .route("/api/report", get(report))
        .route("/api/report.csv", get(report_csv_file))
        .route("/api/audit-trail", get(audit_trail))
        .route("/api/delegate", post(delegate))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&console),
            authorize,
        ));
    Router::new()
        .route("/", get(|| async { crate::serve("regulator/index.html") }))
        .route(
            "/{file}",
            get(
                |axum::extract::Path(file): axum::extract::Path<String>| async move {
                    crate::page_file("regulator", &file)
                },
            ),
        )
        .route(
            "/vendor/{file}",
            get(
                |axum::extract::Path(file): axum::extract::Path<String>| async move {
                    crate::page_file("regulator", &format!("vendor/{file}"))
                },
            ),
        )
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&console),
            loopback_host,
        ))
        .with_state(console)
}

/// Refuses any request whose `Host` is not this listener's loopback
/// address (DNS rebinding).
async fn loopback_host(
    State(c): State<Arc<Console>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let port = c.addr.port();
    let ok = host == format!("127.0.0.1:{port}")
        || host == format!("localhost:{port}")
        || host == format!("[::1]:{port}");
    if !ok {
        return ApiProblem(
            StatusCode::FORBIDDEN,
            "host",
            format!("the regulator console answers only to 127.0.0.1:{port}, not {host:?}"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Refuses API calls without the session token.
async fn authorize(
    State(c): State<Arc<Console>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(c.token.as_bytes())) {
        return ApiProblem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "open the console with the link `veil regulator console` printed (it carries the session token)".into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// Runs blocking session work (the node client is blocking) off the
/// async threads.
async fn blocking<T: Send + 'static>(
    c: &Arc<Console>,
    f: impl FnOnce(&Console) -> Result<T, ApiProblem> + Send + 'static,
) -> Result<T, ApiProblem> {
    let c = Arc::clone(c);
    tokio::task::spawn_blocking(move || f(&c))
        .await
        .map_err(|e| ApiProblem(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

async fn session(State(c): State<Arc<Console>>) -> Result<Json<serde_json::Value>, ApiProblem> {
    blocking(&c, |c| {
        let status = veil_client::Client::new(c.session.api())
            .status()
            .map_err(veil_regulator::RegulatorError::from)?;
        let participants: Vec<String> = c
            .session
            .directory()?
            .into_values()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(Json(json!({
            "viewer": c.session.credentials().describe(),
            "regulator": matches!(c.session.credentials(), veil_regulator::credentials::Credentials::Regulator { .. }),
            "node": c.session.api(),
            "chain_id": status.chain_id,
            "height": status.height,
            "epoch": status.epoch,
            "assets": status.assets,
            "participants": participants,
            "delegation_dir": c.out_dir,
        })))
    })
    .await
}

/// The query string of views and reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewParams {
    from: Option<u64>,
    to: Option<String>,
    /// A UTC day, `YYYY-MM-DD` (instead of from/to).
    day: Option<String>,
    bank: Option<String>,
    asset: Option<String>,
    top: Option<usize>,
}

/// The query string as [`ViewParams`], refused as problem+json (not axum's
/// plain-text rejection) when it does not parse.
struct Params(ViewParams);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        QueryParams::<ViewParams>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| bad(e.body_text()))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` → [start, end) in ms since the Unix epoch (UTC).
fn day_range(day: &str) -> Result<(u64, u64), ApiProblem> {
    let parts: Vec<&str> = day.split('-').collect();
    let nums: Option<Vec<i64>> = match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            parts.iter().map(|p| p.parse().ok()).collect()
        }
        _ => None,
    };
    let Some([y, m, d]) = nums.as_deref().and_then(|n| <[i64; 3]>::try_from(n).ok()) else {
        return Err(bad(format!("{day:?} is not a day (YYYY-MM-DD)")));
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad(format!("{day:?} is not a day (YYYY-MM-DD)")));
    }
    let start = days_from_civil(y, m, d) * 86_400_000;
    let start = u64::try_from(start).map_err(|_| bad("day before 1970"))?;
    Ok((start, start + 86_400_000))
}

/// The query `p` asks for; `None` when it names a day with no block.
fn query(c: &Console, p: &ViewParams) -> Result<Option<Query>, ApiProblem> {
    let (from, to) = match &p.day {
        Some(day) => {
            if p.from.is_some() || p.to.is_some() {
                return Err(bad("give either `day` or `from`/`to`"));
            }
            let (start, end) = day_range(day)?;
            match c.session.heights_between(start, end)? {
                Some((a, b)) => (a, Some(b)),
                None => return Ok(None),
            }
        }
        None => (
            p.from.unwrap_or(0),
            match p.to.as_deref() {
                None | Some("latest" | "") => None,
                Some(t) => Some(
                    t.parse()
                        .map_err(|_| bad(format!("`to` {t:?} is not a height or `latest`")))?,
                ),
            },
        ),
    };
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    Ok(Some(Query {
        from,
        to,
        bank: nonempty(&p.bank),
        asset: nonempty(&p.asset),
    }))
}

async fn view(
    State(c): State<Arc<Console>>,
    Params(p): Params,
) -> Result<Json<serde_json::Value>, ApiProblem> {
    blocking(&c, move |c| {
        let Some(q) = query(c, &p)? else {
            return Ok(Json(
                json!({"transfers": [], "access_records": [], "empty_day": true}),
            ));
        };
        let v = c.session.view(&q, false)?;
        Ok(Json(json!({
            "from_height": v.from_height,
            "to_height": v.to_height,
            "viewer": v.viewer,
            "access_records": v.access_records,
            "transfers": v.transfers,
            "decimals": c.session.decimals(),
        })))
    })
    .await
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn view_csv_file(
    State(c): State<Arc<Console>>,
    Params(p): Params,
) -> Result<Response, ApiProblem> {
    blocking(&c, move |c| {
        let rows = match query(c, &p)? {
            Some(q) => c.session.view(&q, false)?.transfers,
            None => Vec::new(),
        };
        Ok(csv_response(
            "veil-transfers.csv",
            view_csv(&rows, &c.session.decimals()),
        ))
    })
    .await
}

async fn report(
    State(c): State<Arc<Console>>,
    Params(p): Params,
) -> Result<Json<serde_json::Value>, ApiProblem> {
    blocking(&c, move |c| {
        let Some(q) = query(c, &p)? else {
            return Ok(Json(
                json!({"report": null, "access_records": [], "empty_day": true}),
            ));
        };
        let (rep, v) = c.session.report(&q, p.top.unwrap_or(10).min(MAX_TOP))?;
        Ok(Json(json!({
            "report": rep,
            "access_records": v.access_records,
            "decimals": c.session.decimals(),
        })))
    })
    .await
}

async fn report_csv_file(
    State(c): State<Arc<Console>>,
    Params(p): Params,
) -> Result<Response, ApiProblem> {
    blocking(&c, move |c| {
        let Some(q) = query(c, &p)? else {
            return Ok(csv_response(
                "veil-clearing-report.csv",
                report_csv(&veil_regulator::view::report(&[], 0, 0, 0), &HashMap::new()),
            ));
        };
        let (rep, _) = c.session.report(&q, p.top.unwrap_or(10).min(MAX_TOP))?;
        Ok(csv_response(
            "veil-clearing-report.csv",
            report_csv(&rep, &c.session.decimals()),
        ))
    })
    .await
}

async fn audit_trail(State(c): State<Arc<Console>>) -> Result<Json<serde_json::Value>, ApiProblem> {
    blocking(&c, |c| {
        let entries = c.session.own_audit_trail(0)?;
        Ok(Json(json!({ "entries": entries })))
    })
    .await
}

/// `POST /api/delegate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelegateRequest {
    epoch: u64,
    /// File name of the auditor's keystore, inside the console's
    /// delegation directory.
    file: String,
    /// Days valid (1..=366).
    expires_days: u64,
    /// The auditor's passphrase (at least 12 characters).
    passphrase: String,
}

impl std::fmt::Debug for DelegateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DelegateRequest")
            .field("epoch", &self.epoch)
            .field("file", &self.file)
            .field("expires_days", &self.expires_days)
            .finish_non_exhaustive()
    }
}

async fn delegate(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiProblem> {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return Err(ApiProblem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send application/json".into(),
        ));
    }
    let r: DelegateRequest =
        serde_json::from_slice(&body).map_err(|e| bad(format!("not a delegation request: {e}")))?;
    let name_ok = !r.file.is_empty()
        && r.file.len() <= 100
        && r.file
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
        && !r.file.starts_with('.');
    if !name_ok {
        return Err(bad(
            "`file` is a plain file name: letters, digits, `-`, `_`, `.`",
        ));
    }
    if !(1..=366).contains(&r.expires_days) {
        return Err(bad("`expires_days` is 1 to 366"));
    }
    if r.passphrase.chars().count() < 12 {
        return Err(bad("the auditor's passphrase needs at least 12 characters"));
    }
    blocking(&c, move |c| {
        let out = c.out_dir.join(&r.file);
        if out.exists() {
            return Err(ApiProblem(
                StatusCode::CONFLICT,
                "exists",
                format!("{} already exists", out.display()),
            ));
        }
        let d = c.session.delegate(
            r.epoch,
            &out,
            r.expires_days,
            &r.passphrase,
            veil_keystore::KdfParams::default(),
        )?;
        tracing::info!(epoch = d.epoch, file = %out.display(), "auditor key delegated from the console");
        Ok(Json(json!({ "delegation": d, "file": out })))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        assert_eq!(day_range("1970-01-01").ok().map(|r| r.0), Some(0));
        assert_eq!(
            day_range("2026-12-06").ok(),
            Some((1_796_515_200_000, 1_796_601_600_000))
        );
        for bad in [
            "2026-1-06",
            "2026-13-01",
            "x",
            "",
            "2026-12-06-1",
            "1969-12-31",
        ] {
            assert!(day_range(bad).is_err(), "{bad}");
        }
    }
}
