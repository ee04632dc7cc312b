//! Errors of the dashboard: configuration, start-up, requests, imports.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A refused `serve` configuration. Names the key and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("`{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

pub(crate) fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("config: {0}")]
    Config(#[from] ConfigError),
    #[error("store: {0}")]
    Store(#[from] ghostguard_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// What a request can fail with; becomes a status and a short message
/// (JSON for the API, a page for the dashboard).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("login required")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("store: {0}")]
    Store(#[from] ghostguard_store::StoreError),
    #[error("firewall: {0}")]
    Firewall(String),
    #[error("page rendering: {0}")]
    Render(#[from] askama::Error),
}

impl WebError {
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Store(ghostguard_store::StoreError::Invalid { .. }) => {
                StatusCode::BAD_REQUEST
            }
            WebError::Store(_) | WebError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Firewall(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

/// As JSON: `{"error": "..."}`.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            eprintln!("ghostguard serve: {self}");
        }
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// Why a blocklist import failed as a whole (single bad lines are counted,
/// not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot fetch {url}: {source}")]
    Fetch { url: String, source: reqwest::Error },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{what} is larger than {max} bytes")]
    TooLarge { what: String, max: usize },
    #[error("{what}: not a blocklist (no addresses and not JSON we know)")]
    Format { what: String },
    #[error("store: {0}")]
    Store(#[from] ghostguard_store::StoreError),
    #[error("firewall: {0}")]
    Firewall(#[from] ghostguard_firewall::FirewallError),
}
