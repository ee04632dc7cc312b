//! The HTML dashboard: server-rendered askama pages in English and Dutch.
//! Forms post with the session's CSRF token; lists link to a source's page.

mod bans;
mod incidents;
mod login;
mod overview;
mod sources;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use ghostguard_store::{Ban, UnixMillis};

use crate::access::PageCtx;
use crate::clock::{format_ms, format_span, now_ms};
use crate::error::WebError;
use crate::state::AppState;

/// Login, logout and the language switch (no session needed).
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/lang/{code}", get(login::language))
}

/// The pages behind the login.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::page))
        .route("/incidents", get(incidents::list))
        .route("/incidents/{id}", get(incidents::detail))
        .route("/bans", get(bans::list).post(bans::add))
        .route("/bans/lift", post(bans::lift))
        .route("/sites", get(sources::sites))
        .route("/sources/{ip}", get(sources::source))
        .route("/logout", post(login::logout))
}

/// Renders a page, or a plain 500 naming the template error.
pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => WebError::Render(e).into_page(),
    }
}

impl WebError {
    /// The error as a short page (the API gets JSON instead).
    pub(crate) fn into_page(self) -> Response {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            eprintln!("ghostguard serve: {self}");
        }
        (status, Html(format!("<!DOCTYPE html><title>ghostguard</title><p>{}</p><p><a href=\"/\">ghostguard</a></p>", escape(&self.to_string())))).into_response()
    }
}

/// HTML text escaping for the few strings built outside templates.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Page result: errors become error pages.
pub(crate) type PageResult = Result<Response, Response>;

pub(crate) fn page_err(e: WebError) -> Response {
    e.into_page()
}

/// A ban as a table row.
#[derive(Debug, Clone)]
pub(crate) struct BanRow {
    pub ip: String,
    pub site: String,
    pub origin: String,
    pub actor: String,
    pub reason: String,
    pub created: String,
    /// "in 3h 20m", "never" (until lifted), or when it ended.
    pub ends: String,
    pub active: bool,
    pub lifted: String,
}

impl BanRow {
    pub(crate) fn new(b: &Ban, p: &PageCtx, now: UnixMillis) -> BanRow {
        let ends = match b.expires_at {
            None => p.tr.t("ban-until-lifted"),
            Some(e) if e > now => p.tr.t1("ban-expires-in", "span", &format_span(e - now)),
            Some(e) => format_ms(e),
        };
        BanRow {
            ip: b.ip.to_string(),
            site: b.site.clone(),
            origin: p.tr.t(&format!("origin-{}", b.origin)),
            actor: b.actor.clone(),
            reason: b.reason.clone(),
            created: format_ms(b.created_at),
            ends,
            active: b.is_active(now),
            lifted: match (&b.lifted_by, b.lifted_at) {
                (Some(by), Some(at)) => p.tr.args(
                    "ban-lifted-by",
                    &[("who", by.clone()), ("time", format_ms(at))],
                ),
                _ => String::new(),
            },
        }
    }
}

pub(crate) fn ban_rows(bans: &[Ban], p: &PageCtx) -> Vec<BanRow> {
    let now = now_ms();
    bans.iter().map(|b| BanRow::new(b, p, now)).collect()
}
