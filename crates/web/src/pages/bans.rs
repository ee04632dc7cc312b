//! The ban list with forms to add and lift bans. Changes are recorded with
//! the logged-in user as actor (see `crate::ban`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use ghostguard_store::BanQuery;
use serde::Deserialize;

use super::{BanRow, PageResult, ban_rows, page_err, render};
use crate::access::{PageCtx, percent_encode};
use crate::api::parse_duration;
use crate::auth::Principal;
use crate::ban::{self, BanChange, BanRequest};
use crate::clock::now_ms;
use crate::state::AppState;
use crate::view::parse_target;

#[derive(Template)]
#[template(path = "bans.html")]
struct BansPage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    rows: Vec<BanRow>,
    history: bool,
    message: String,
    error: bool,
    default_site: String,
    default_time: String,
    prefill_ip: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BansQuery {
    history: Option<String>,
    /// A message to show after a change (`added`, `extended`, `lifted`,
    /// `not-active`, `firewall`).
    done: Option<String>,
    ip: Option<String>,
    site: Option<String>,
    error: Option<String>,
}

/// `GET /bans`.
pub(crate) async fn list(
    State(st): State<AppState>,
    p: PageCtx,
    Query(q): Query<BansQuery>,
) -> PageResult {
    let history = q.history.is_some_and(|h| !h.is_empty() && h != "0");
    let bans = st
        .store()
        .bans(&BanQuery {
            site: q.site.clone().filter(|s| !s.is_empty()),
            active_at: (!history).then(now_ms),
            limit: 500,
            ..BanQuery::default()
        })
        .await
        .map_err(|e| page_err(e.into()))?;
    let ip = q.ip.clone().unwrap_or_default();
    let (message, error) = match (q.done.as_deref(), q.error.as_deref()) {
        (_, Some(e)) => (e.to_owned(), true),
        (Some(d @ ("added" | "extended" | "lifted" | "not-active" | "firewall")), None) => (
            p.tr.t1(&format!("ban-done-{d}"), "ip", &ip),
            d == "firewall",
        ),
        _ => (String::new(), false),
    };
    let page = BansPage {
        title: p.tr.t("nav-bans"),
        nav: "bans",
        rows: ban_rows(&bans, &p),
        history,
        message,
        error,
        default_site: q.site.unwrap_or_else(|| st.config().bans.site.clone()),
        default_time: humantime::format_duration(st.config().bans.default_time).to_string(),
        prefill_ip: if q.done.is_none() { ip } else { String::new() },
        p,
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddForm {
    ip: String,
    #[serde(default)]
    site: String,
    /// humantime, or `permanent`.
    #[serde(default)]
    duration: String,
    #[serde(default)]
    reason: String,
}

fn back(done: &str, ip: &str, change: Option<&BanChange>) -> Response {
    let done = match change {
        Some(c) if c.firewall_error.is_some() => "firewall",
        _ => done,
    };
    Redirect::to(&format!("/bans?done={done}&ip={}", percent_encode(ip))).into_response()
}

fn failed(e: &crate::error::WebError) -> Response {
    Redirect::to(&format!("/bans?error={}", percent_encode(&e.to_string()))).into_response()
}

/// `POST /bans` (form).
pub(crate) async fn add(
    State(st): State<AppState>,
    Extension(who): Extension<Principal>,
    Form(f): Form<AddForm>,
) -> Response {
    let req = (|| {
        let d = f.duration.trim();
        let duration = match d {
            "permanent" => None,
            "" => Some(st.config().bans.default_time),
            d => Some(parse_duration(d)?),
        };
        Ok::<_, crate::error::WebError>(BanRequest {
            site: if f.site.trim().is_empty() {
                st.config().bans.site.clone()
            } else {
                f.site.trim().to_owned()
            },
            ip: parse_target(&f.ip)?,
            duration,
            reason: if f.reason.trim().is_empty() {
                "added in the dashboard".into()
            } else {
                f.reason.trim().to_owned()
            },
        })
    })();
    let req = match req {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let ip = req.ip.to_string();
    match ban::add(&st, &who.actor, req).await {
        Ok(c) => back(if c.changed { "added" } else { "extended" }, &ip, Some(&c)),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LiftForm {
    ip: String,
    site: String,
}

/// `POST /bans/lift` (form).
pub(crate) async fn lift(
    State(st): State<AppState>,
    Extension(who): Extension<Principal>,
    Form(f): Form<LiftForm>,
) -> Response {
    let target = match parse_target(&f.ip) {
        Ok(t) => t,
        Err(e) => return failed(&e),
    };
    match ban::lift(&st, &who.actor, f.site.trim(), target).await {
        Ok(c) => back(
            if c.changed { "lifted" } else { "not-active" },
            &f.ip,
            Some(&c),
        ),
        Err(e) => failed(&e),
    }
}
