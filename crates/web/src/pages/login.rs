//! Login (with its own pre-session CSRF token, a double-submit cookie),
//! logout, and the language switch.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render;
use crate::access::{LANG_COOKIE, PageCtx, SESSION_COOKIE, cookie, lang_of, local_target};
use crate::auth::{csrf_ok, random_token};
use crate::clock::now_ms;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

const LOGIN_COOKIE: &str = "gg_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    p: PageCtx,
    next: String,
    failed: bool,
    title: String,
    nav: &'static str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

fn cookie_attrs(st: &AppState) -> &'static str {
    if st.config().session.secure_cookie {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Strict"
    }
}

fn login_page(st: &AppState, headers: &HeaderMap, next: &str, failed: bool) -> Response {
    let token = random_token();
    let tr = Tr {
        lang: lang_of(headers, st),
    };
    let page = LoginPage {
        title: tr.t("login-title"),
        p: PageCtx {
            tr,
            user: String::new(),
            csrf: token.clone(),
            path: "/login".into(),
        },
        next: local_target(Some(next)),
        failed,
        nav: "",
    };
    let mut r = render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    set_cookie(
        &mut r,
        &format!("{LOGIN_COOKIE}={token}{}; Max-Age=1800", cookie_attrs(st)),
    );
    r
}

fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `GET /login`.
pub(crate) async fn form(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(&st, &headers, q.next.as_deref().unwrap_or("/"), false)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`.
pub(crate) async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if !csrf_ok(cookie(&headers, LOGIN_COOKIE).unwrap_or(""), Some(&f.csrf)) || f.csrf.is_empty() {
        return (
            StatusCode::FORBIDDEN,
            "CSRF token missing or wrong: reload the login page",
        )
            .into_response();
    }
    let Some(user) = st.inner.accounts.login(f.user.trim(), &f.password).await else {
        eprintln!(
            "ghostguard serve: failed login for {:?}",
            f.user.chars().take(64).collect::<String>()
        );
        return login_page(&st, &headers, &f.next, true);
    };
    let id = st.inner.sessions.start(&user, now_ms());
    let mut r = Redirect::to(&local_target(Some(&f.next))).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    let max_age = st.config().session.ttl.as_secs();
    set_cookie(
        &mut r,
        &format!(
            "{SESSION_COOKIE}={id}{}; Max-Age={max_age}",
            cookie_attrs(&st)
        ),
    );
    set_cookie(
        &mut r,
        &format!("{LOGIN_COOKIE}=; Max-Age=0{}", cookie_attrs(&st)),
    );
    r
}

/// `POST /logout` (behind the gate, so with the CSRF token).
pub(crate) async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        st.inner.sessions.end(id);
    }
    let mut r = Redirect::to("/login").into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    set_cookie(
        &mut r,
        &format!("{SESSION_COOKIE}=; Max-Age=0{}", cookie_attrs(&st)),
    );
    r
}

/// `GET /lang/{code}?next=PATH`: remembers the language in a cookie (a
/// preference, no data changes) and goes back.
pub(crate) async fn language(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let mut r = Redirect::to(&local_target(q.next.as_deref())).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    let secure = if st.config().session.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    set_cookie(
        &mut r,
        &format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000{secure}",
            lang.tag()
        ),
    );
    r
}
