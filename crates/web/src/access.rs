//! The gate in front of every protected route: who is asking (bearer token,
//! `?token=` for feed and metrics consumers, or a session cookie), and for
//! a state change made with a cookie, the CSRF token (header
//! `X-CSRF-Token`, or the form field `csrf`).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::{Principal, Via, csrf_ok};
use crate::clock::now_ms;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "gg_session";
/// Language cookie name.
pub const LANG_COOKIE: &str = "gg_lang";
/// DoS: the largest form body read to find its CSRF field.
pub const MAX_FORM: usize = 64 * 1024;

/// Which part of the site a path is in; decides how a refusal looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Api,
    Metrics,
    Feed,
    Page,
}

impl Area {
    fn of(path: &str) -> Area {
        if path.starts_with("/api/") {
            Area::Api
        } else if path == "/metrics" {
            Area::Metrics
        } else if path.starts_with("/feed/") {
            Area::Feed
        } else {
            Area::Page
        }
    }
}

/// A cookie's value from the request headers.
#[must_use]
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The value of `name` in a query string or urlencoded form.
#[must_use]
pub fn form_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters and `/`.
#[must_use]
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn principal(st: &AppState, req: &Request, area: Area) -> Option<Principal> {
    let headers = req.headers();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // A wrong token is refused outright, not tried as a cookie.
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))?;
        return st.inner.accounts.token(token);
    }
    if matches!(area, Area::Feed | Area::Metrics)
        && let Some(token) = req.uri().query().and_then(|q| form_value(q, "token"))
    {
        return st.inner.accounts.token(&token);
    }
    let id = cookie(headers, SESSION_COOKIE)?;
    st.inner.sessions.get(id, now_ms())
}

fn refuse(area: Area, status: StatusCode, why: &'static str, req: &Request) -> Response {
    match (area, status) {
        (Area::Page, StatusCode::UNAUTHORIZED) => {
            let target = req
                .uri()
                .path_and_query()
                .map_or("/", axum::http::uri::PathAndQuery::as_str);
            Redirect::to(&format!("/login?next={}", percent_encode(target))).into_response()
        }
        (Area::Page, _) => (status, why).into_response(),
        (Area::Api, _) => {
            let mut r = (status, axum::Json(serde_json::json!({ "error": why }))).into_response();
            if status == StatusCode::UNAUTHORIZED {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"ghostguard\""),
                );
            }
            r
        }
        _ => (status, why).into_response(),
    }
}

/// The middleware: lets the request through with its [`Principal`] in the
/// extensions, or refuses it.
pub async fn gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let area = Area::of(req.uri().path());
    let cfg = st.config();
    let public =
        (area == Area::Metrics && cfg.metrics.public) || (area == Area::Feed && cfg.feed.public);
    let who = principal(&st, &req, area);
    let Some(who) = who else {
        if public && req.method() == Method::GET {
            return next.run(req).await;
        }
        return refuse(area, StatusCode::UNAUTHORIZED, "login required", &req);
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if !safe {
        match &who.via {
            Via::Token { read_only: true } => {
                return refuse(area, StatusCode::FORBIDDEN, "read-only token", &req);
            }
            Via::Token { read_only: false } => {}
            Via::Session { csrf } => {
                let header = req
                    .headers()
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let sent = match header {
                    Some(h) => Some(h),
                    None => {
                        let (parts, body) = req.into_parts();
                        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
                            return (StatusCode::PAYLOAD_TOO_LARGE, "form too large")
                                .into_response();
                        };
                        let field = std::str::from_utf8(&bytes)
                            .ok()
                            .and_then(|f| form_value(f, "csrf"));
                        req = Request::from_parts(parts, Body::from(bytes));
                        field
                    }
                };
                if !csrf_ok(csrf, sent.as_deref()) {
                    return refuse(
                        area,
                        StatusCode::FORBIDDEN,
                        "CSRF token missing or wrong",
                        &req,
                    );
                }
            }
        }
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

/// Everything a page needs about the request: who, in which language, the
/// CSRF token for its forms, and where it is.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub user: String,
    pub csrf: String,
    pub path: String,
}

impl PageCtx {
    /// The language switch link for `lang`.
    #[must_use]
    pub fn lang_link(&self, lang: &str) -> String {
        format!("/lang/{lang}?next={}", percent_encode(&self.path))
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let who = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())?;
        let csrf = match who.via {
            Via::Session { csrf } => csrf,
            Via::Token { .. } => String::new(),
        };
        Ok(PageCtx {
            tr: Tr {
                lang: lang_of(&parts.headers, st),
            },
            user: who.actor,
            csrf,
            path: parts.uri.path().to_owned(),
        })
    }
}

/// The page language: cookie, else the config's.
#[must_use]
pub fn lang_of(headers: &HeaderMap, st: &AppState) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or(st.config().language)
}

/// A path we may redirect to after login or a language change: local only.
#[must_use]
pub fn local_target(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_forms_and_targets() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; gg_session=abc; gg_lang=nl".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(
            form_value("ip=198.51.100.7&csrf=x%2By+z", "csrf").as_deref(),
            Some("x+y z")
        );
        assert_eq!(form_value("a=%4", "a").as_deref(), Some("%4"));
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(
            percent_encode("/incidents?kind=a b"),
            "/incidents%3Fkind%3Da%20b"
        );
        assert_eq!(local_target(Some("/bans")), "/bans");
        assert_eq!(local_target(Some("//evil.example")), "/");
        assert_eq!(local_target(Some("https://evil.example")), "/");
        assert_eq!(local_target(None), "/");
    }
}
