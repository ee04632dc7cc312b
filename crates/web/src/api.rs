//! The JSON API (`/api/v1/…`): everything the dashboard shows and does.
//! Described in `docs/openapi.json`; a test walks [`routes`] against it.
//!
//! Reads take a session cookie or `Authorization: Bearer TOKEN`; changes
//! made with a cookie also need `X-CSRF-Token` (see `GET /api/v1/me`).

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Extension, Json, Router};
use ghostguard_store::{
    Ban, BanQuery, GhostCall, GhostCallQuery, Health, Incident, SourceQuery, SourceSummary,
};
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Via};
use crate::ban::{self, BanChange, BanRequest};
use crate::clock::now_ms;
use crate::error::WebError;
use crate::state::AppState;
use crate::view::{
    self, IncidentFilter, IncidentPage, Overview, SiteView, SourceView, parse_ip, parse_target,
};

/// Every API route: (method, path as in the OpenAPI document, handler).
pub fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("get", "/api/v1/me", get(me)),
        ("get", "/api/v1/overview", get(overview)),
        ("get", "/api/v1/activity", get(activity)),
        ("get", "/api/v1/incidents", get(incidents)),
        ("get", "/api/v1/incidents/{id}", get(incident)),
        ("get", "/api/v1/sources", get(sources)),
        ("get", "/api/v1/sources/{ip}", get(source)),
        ("get", "/api/v1/ghost-calls", get(ghost_calls)),
        ("get", "/api/v1/bans", get(bans)),
        ("post", "/api/v1/bans", post(add_ban)),
        ("delete", "/api/v1/bans/{ip}", delete(lift_ban)),
        ("get", "/api/v1/sites", get(sites)),
        ("get", "/api/v1/health", get(health)),
    ]
}

/// The API router (behind the access gate).
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, m)| r.route(path, m))
}

type ApiResult<T> = Result<Json<T>, WebError>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SiteQuery {
    site: Option<String>,
}

impl SiteQuery {
    fn site(&self) -> Option<&str> {
        self.site
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Serialize)]
struct Me {
    actor: String,
    /// For `X-CSRF-Token` on changes made with the session cookie; empty
    /// for token clients.
    csrf: String,
}

async fn me(Extension(who): Extension<Principal>) -> Json<Me> {
    let csrf = match who.via {
        Via::Session { csrf } => csrf,
        Via::Token { .. } => String::new(),
    };
    Json(Me {
        actor: who.actor,
        csrf,
    })
}

async fn overview(State(st): State<AppState>, Query(q): Query<SiteQuery>) -> ApiResult<Overview> {
    Ok(Json(view::overview(st.store(), q.site()).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ActivityQuery {
    site: Option<String>,
    /// Window in hours up to now (default 168).
    hours: Option<u32>,
    /// Bucket width in minutes (default 60).
    bucket_minutes: Option<u32>,
}

async fn activity(
    State(st): State<AppState>,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<Vec<ghostguard_store::Bucket>> {
    let now = now_ms();
    let hours = i64::from(q.hours.unwrap_or(168).clamp(1, 24 * 366));
    let bucket = i64::from(q.bucket_minutes.unwrap_or(60).clamp(1, 24 * 60)) * 60_000;
    let site = q.site.as_deref().filter(|s| !s.is_empty());
    let from = now - hours * 3_600_000;
    Ok(Json(st.store().activity(site, from, now, bucket).await?))
}

async fn incidents(
    State(st): State<AppState>,
    Query(f): Query<IncidentFilter>,
) -> ApiResult<IncidentPage> {
    Ok(Json(view::incidents(st.store(), &f).await?))
}

async fn incident(State(st): State<AppState>, Path(id): Path<i64>) -> ApiResult<Incident> {
    st.store()
        .incident(id)
        .await?
        .map(Json)
        .ok_or(WebError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    site: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn sources(
    State(st): State<AppState>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Vec<SourceSummary>> {
    let q = SourceQuery {
        site: q.site.filter(|s| !s.is_empty()),
        since: None,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(st.store().sources(&q).await?))
}

async fn source(
    State(st): State<AppState>,
    Path(ip): Path<String>,
    Query(q): Query<SiteQuery>,
) -> ApiResult<SourceView> {
    let ip = parse_ip(&ip)?;
    Ok(Json(view::source(st.store(), q.site(), ip).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CallQuery {
    site: Option<String>,
    phone: Option<String>,
    source: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn ghost_calls(
    State(st): State<AppState>,
    Query(q): Query<CallQuery>,
) -> ApiResult<Vec<GhostCall>> {
    let ip = |s: Option<String>| -> Result<Option<IpAddr>, WebError> {
        s.filter(|s| !s.is_empty())
            .map(|s| parse_ip(&s))
            .transpose()
    };
    let q = GhostCallQuery {
        site: q.site.filter(|s| !s.is_empty()),
        phone: ip(q.phone)?,
        source: ip(q.source)?,
        since: None,
        until: None,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(st.store().ghost_calls(&q).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BansQuery {
    site: Option<String>,
    /// `true` (default): bans in force; `false`: the history.
    active: Option<bool>,
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn bans(State(st): State<AppState>, Query(q): Query<BansQuery>) -> ApiResult<Vec<Ban>> {
    let q = BanQuery {
        site: q.site.filter(|s| !s.is_empty()),
        active_at: q.active.unwrap_or(true).then(now_ms),
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0),
        ..BanQuery::default()
    };
    Ok(Json(st.store().bans(&q).await?))
}

/// The body of `POST /api/v1/bans`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBanBody {
    ip: String,
    site: Option<String>,
    /// `30m`, `1d`, …; the config's `bans.default_time` when absent.
    duration: Option<String>,
    /// Until lifted (overrides `duration`).
    #[serde(default)]
    permanent: bool,
    #[serde(default)]
    reason: String,
}

/// A ban duration from a form or the API: humantime text.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, WebError> {
    humantime::parse_duration(s.trim())
        .map_err(|e| WebError::BadRequest(format!("duration `{}`: {e}", s.trim())))
}

async fn add_ban(
    State(st): State<AppState>,
    Extension(who): Extension<Principal>,
    Json(b): Json<NewBanBody>,
) -> Result<(StatusCode, Json<BanChange>), WebError> {
    let duration = if b.permanent {
        None
    } else {
        Some(match b.duration.as_deref() {
            Some(d) => parse_duration(d)?,
            None => st.config().bans.default_time,
        })
    };
    let req = BanRequest {
        site: b.site.unwrap_or_else(|| st.config().bans.site.clone()),
        ip: parse_target(&b.ip)?,
        duration,
        reason: if b.reason.is_empty() {
            "added in the dashboard".into()
        } else {
            b.reason
        },
    };
    let out = ban::add(&st, &who.actor, req).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

async fn lift_ban(
    State(st): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(ip): Path<String>,
    Query(q): Query<SiteQuery>,
) -> ApiResult<BanChange> {
    let target = parse_target(&ip)?;
    let site = q.site().unwrap_or(&st.config().bans.site).to_owned();
    Ok(Json(ban::lift(&st, &who.actor, &site, target).await?))
}

async fn sites(State(st): State<AppState>) -> ApiResult<Vec<SiteView>> {
    Ok(Json(view::sites(st.store()).await?))
}

async fn health(State(st): State<AppState>) -> ApiResult<Health> {
    Ok(Json(st.store().health().await?))
}
