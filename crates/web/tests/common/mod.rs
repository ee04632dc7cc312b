//! Shared by the web tests: a sample store (SQLite, or PostgreSQL when
//! `GHOSTGUARD_TEST_PG_URL` names a cluster), a router over it with a
//! Memory firewall, and HTTP helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use ghostguard_firewall::{Firewall, FirewallSpec, Memory, Mode, Policy};
use ghostguard_store::{Store, StoreOptions};
use ghostguard_web::config::{Token, User};
use ghostguard_web::{AppState, ServeConfig, auth, sample};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";
pub const RW_TOKEN: &str = "rw-token-for-tests";
pub const RO_TOKEN: &str = "ro-token-for-tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct App {
    pub router: Router,
    pub state: AppState,
    pub store: Store,
    pub fw: Arc<Mutex<Memory>>,
    pub url: String,
    _dir: tempfile::TempDir,
    pg: Option<ghostguard_store::scratch::Scratch>,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(scratch) = self.pg.take() {
            // Best effort, on a thread of its own (Drop cannot await).
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let _ = rt.block_on(scratch.drop_database());
            })
            .join();
        }
    }
}

fn password_hash() -> String {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| auth::hash_password(PASSWORD).unwrap())
        .clone()
}

pub fn config(url: &str) -> ServeConfig {
    let mut cfg = ServeConfig::default();
    cfg.store.url = url.to_owned();
    cfg.users.push(User {
        name: USER.into(),
        password_hash: password_hash(),
    });
    cfg.tokens.push(Token {
        name: "ops".into(),
        sha256: auth::sha256_hex(RW_TOKEN),
        read_only: false,
    });
    cfg.tokens.push(Token {
        name: "prometheus".into(),
        sha256: auth::sha256_hex(RO_TOKEN),
        read_only: true,
    });
    cfg.bans.site = "office".into();
    cfg.validate().unwrap();
    cfg
}

/// A store URL for `backend`, or `None` after a loud SKIP (a failure when
/// `CI=true`).
async fn store_url(
    backend: Backend,
    dir: &tempfile::TempDir,
    test: &str,
) -> Option<(String, Option<ghostguard_store::scratch::Scratch>)> {
    match backend {
        Backend::Sqlite => Some((
            format!("sqlite://{}", dir.path().join("gg.db").display()),
            None,
        )),
        Backend::Postgres => {
            let base = ghostguard_store::scratch::cluster(test)?;
            let scratch = ghostguard_store::scratch::Scratch::create(&base, "ggweb")
                .await
                .unwrap();
            Some((scratch.url.clone(), Some(scratch)))
        }
    }
}

/// The sample store on `backend`, served with a Memory firewall.
pub async fn app(backend: Backend, test: &str) -> Option<App> {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = store_url(backend, &dir, test).await?;
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    sample::fill(&store, ghostguard_web::clock::now_ms())
        .await
        .unwrap();
    let mut mem = Memory::new();
    mem.install(&FirewallSpec::new(Mode::Host, Policy::Enforce))
        .unwrap();
    let fw = Arc::new(Mutex::new(mem));
    let shared: ghostguard_web::SharedFirewall = fw.clone();
    let state = AppState::new(config(&url), store.clone(), Some(shared));
    Some(App {
        router: ghostguard_web::router(state.clone()),
        state,
        store,
        fw,
        url,
        _dir: dir,
        pg,
    })
}

pub async fn send(router: &Router, req: Request<Body>) -> Response<Body> {
    router.clone().oneshot(req).await.unwrap()
}

pub async fn body_text(r: Response<Body>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub async fn json(r: Response<Body>) -> serde_json::Value {
    let t = body_text(r).await;
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"))
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

pub fn bearer(
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

/// `name=value` of a Set-Cookie header with that name.
pub fn set_cookie(r: &Response<Body>, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of `<input name="csrf" value="...">` in a page.
pub fn csrf_field(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("no csrf field") + 19;
    html[i..].split('"').next().unwrap().to_owned()
}

/// A logged-in browser: its session cookie and the CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub async fn login(router: &Router) -> Session {
    let r = send(router, get("/login")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let pre = set_cookie(&r, "gg_login").unwrap();
    let pre = pre.split(';').next().unwrap().to_owned();
    let csrf = csrf_field(&body_text(r).await);
    let form = format!(
        "user={USER}&password={}&csrf={csrf}&next=%2F",
        PASSWORD.replace(' ', "+")
    );
    let r = send(
        router,
        Request::post("/login")
            .header(header::COOKIE, pre)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login failed");
    let sc = set_cookie(&r, "gg_session").unwrap();
    assert!(
        sc.contains("HttpOnly") && sc.contains("SameSite=Strict"),
        "{sc}"
    );
    let cookie = sc.split(';').next().unwrap().to_owned();
    let page = send(
        router,
        Request::get("/bans")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let csrf = csrf_field(&body_text(page).await);
    Session { cookie, csrf }
}

impl Session {
    pub fn get(&self, path: &str) -> Request<Body> {
        Request::get(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap()
    }

    pub fn form(&self, path: &str, body: &str) -> Request<Body> {
        Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }
}
