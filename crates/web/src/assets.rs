//! Static files compiled into the binary (rust-embed): the stylesheet, the
//! small chart script, and the vendored uPlot (see `assets/vendor/README.md`).
//! No CDN: the dashboard works offline.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
struct Assets;

/// `GET /assets/{*path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
                (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
            ],
            file.data.into_owned(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Names of the embedded files (for tests and docs).
#[must_use]
pub fn names() -> Vec<String> {
    Assets::iter().map(|n| n.into_owned()).collect()
}
