//! `ghostguard serve`: the web dashboard, JSON API, Prometheus metrics,
//! blocklist feed and alerts, over the incident store (SQLite or
//! PostgreSQL) that the guards write.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ghostguard_web::ServeError> {
//! let cfg = ghostguard_web::ServeConfig::parse(&std::fs::read_to_string("serve.toml")?)?;
//! ghostguard_web::run(cfg, None).await
//! # }
//! ```
//!
//! Layout: [`config`] (TOML, validated first), [`auth`] and [`access`]
//! (logins, sessions, tokens, CSRF), [`view`] (what pages and API show),
//! [`pages`] (HTML, askama, English and Dutch), [`api`] (JSON),
//! [`metrics`] (Prometheus text), [`feed`] (blocklists out and in),
//! [`import`], [`alerts`], [`ban`] (ban changes: store, then firewall).
//!
//! This crate is not: a detector (it shows what the guards stored), nor the
//! guard daemon (it applies ban changes to the kernel only when
//! `bans.apply` says serve runs on the guard's host).

#![forbid(unsafe_code)]

pub mod access;
pub mod alerts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod ban;
pub mod clock;
pub mod config;
pub mod error;
pub mod feed;
pub mod i18n;
pub mod import;
pub mod metrics;
pub mod pages;
pub mod sample;
pub mod state;
pub mod view;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use ghostguard_store::{Store, StoreOptions};
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::ServeConfig;
pub use error::{ConfigError, ImportError, ServeError, WebError};
pub use state::{AppState, SharedFirewall};

/// Content-Security-Policy: only our own scripts and styles.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application: public routes (login, language, assets, health),
/// then everything else behind [`access::gate`].
pub fn router(st: AppState) -> Router {
    let protected = pages::router()
        .merge(api::router().route_layer(axum::middleware::from_fn(no_cache)))
        .route("/metrics", get(metrics::scrape))
        .merge(feed::router())
        .route_layer(axum::middleware::from_fn_with_state(
            st.clone(),
            access::gate,
        ));
    Router::new()
        .merge(pages::public_router())
        .route("/assets/{*path}", get(assets::serve))
        .merge(protected)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .with_state(st)
}

async fn no_cache(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut r = next.run(req).await;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Opens the store, starts alerts and scheduled imports, and serves until
/// Ctrl-C or SIGTERM. `firewall` receives ban changes (see
/// [`config::Apply`]); the binary builds it from `bans.apply`.
///
/// # Errors
/// The store cannot be opened or the address cannot be bound.
pub async fn run(cfg: ServeConfig, firewall: Option<SharedFirewall>) -> Result<(), ServeError> {
    cfg.validate()?;
    let store = Store::open(&cfg.store.url, &StoreOptions::default()).await?;
    let bind = cfg.bind;
    let st = AppState::new(cfg, store, firewall);
    alerts::spawn(&st, Duration::from_secs(10)).await?;
    import::spawn_scheduled(&st);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| ServeError::Bind { addr: bind, source })?;
    if !bind.ip().is_loopback() {
        eprintln!(
            "ghostguard serve: listening on {bind}, reachable from other hosts; put TLS in front of it"
        );
    }
    eprintln!("ghostguard serve: http://{}", listener.local_addr()?);
    axum::serve(listener, router(st))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
