//! The ghostguard incident store: incidents, bans, ghost calls and guard
//! heartbeats, in SQLite (one file, the default) or PostgreSQL (several
//! guards sharing one store, each row tagged with its `site`).
//!
//! One code path serves both backends: sqlx's Any driver runs the same SQL
//! text, with `$N` placeholders, on SQLite and PostgreSQL 15. Times are unix
//! milliseconds in `BIGINT` columns.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ghostguard_store::StoreError> {
//! use ghostguard_store::{Store, StoreOptions};
//! let store = Store::open("sqlite:///var/lib/ghostguard/ghostguard.db", &StoreOptions::default()).await?;
//! let bans = store.active_bans("edge-1", 1_700_000_000_000).await?;
//! # Ok(()) }
//! ```
//!
//! This crate is not: a detector (it stores what the engine found), a
//! firewall (bans here are the record, nftables enforces them), or a cache
//! (every write is committed before the call returns).
//!
//! Durability (SQLite): the file runs in WAL mode with `synchronous=FULL` by
//! default. A call that returned `Ok` has been committed and the WAL fsynced,
//! so the row survives `kill -9` of the guard and also a power cut. `NORMAL`
//! ([`SqliteSync::Normal`]) still survives `kill -9` (the commit is in the
//! OS page cache before the call returns) but may lose the last commits on
//! power loss; it saves one fsync per write.

#![forbid(unsafe_code)]

mod bans;
mod calls;
mod error;
mod incidents;
mod model;
mod prune;
mod query;
mod ranking;
mod schema;
#[cfg(feature = "testing")]
pub mod scratch;
mod stats;
mod status;
mod target;
mod upsert;
mod validate;

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

pub use error::{Invalid, RedactedUrl, Result, StoreError};
pub use model::{
    Backend, Ban, BanOrigin, BanRecorded, BansByAddress, Bucket, GhostCall, Health, Heartbeat,
    Incident, NewBan, NewGhostCall, NewIncident, Pruned, Recorded, Retention, SourceSummary,
    Totals, UnixMillis,
};
pub use query::{BanQuery, GhostCallQuery, IncidentQuery, SourceQuery};
pub use ranking::{FeedSource, MaxIds, PhoneCalls, SiteCount, SourceRank};
pub use schema::{SCHEMA_VERSION, schema_sql};
pub use stats::{EngineStats, GuardStats, MessageCount};
pub use target::{BanTarget, BanTargetError};
pub use validate::{MAX_IDENT, MAX_JSON, MAX_LIMIT, MAX_TEXT};

/// SQLite's `synchronous` setting; see the crate docs on durability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SqliteSync {
    /// fsync the WAL at every commit: survives `kill -9` and power loss.
    #[default]
    Full,
    /// fsync at checkpoints only: survives `kill -9`, not power loss.
    Normal,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size (SQLite: readers run in parallel, writes one at a time).
    pub max_connections: u32,
    /// How long to wait for a connection (PostgreSQL connect, pool acquire).
    pub connect_timeout: Duration,
    /// SQLite: how long a write waits for another process's write (the CLI
    /// and the daemon share one file).
    pub busy_timeout: Duration,
    /// SQLite durability.
    pub sqlite_sync: SqliteSync,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 4,
            connect_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::Full,
        }
    }
}

/// An open store. Cheap to clone (a shared pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: RedactedUrl,
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `url`:
    /// `sqlite://PATH` (`sqlite:///abs/path.db`, `sqlite://rel.db`) or
    /// `postgres://USER:PASSWORD@HOST/DB` (`postgresql://` too).
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`], [`StoreError::CreateDir`],
    /// [`StoreError::Open`], [`StoreError::Migrate`],
    /// [`StoreError::SchemaTooNew`]; each names the URL, password redacted.
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let redacted = RedactedUrl::new(url);
        let (backend, connect_url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            (Backend::Sqlite, sqlite_url(rest, &redacted)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::UnsupportedUrl { url: redacted });
        };
        let pragmas = match backend {
            Backend::Sqlite => Some(format!(
                "PRAGMA busy_timeout = {}; PRAGMA synchronous = {}",
                opts.busy_timeout.as_millis().min(i32::MAX as u128),
                match opts.sqlite_sync {
                    SqliteSync::Full => "FULL",
                    SqliteSync::Normal => "NORMAL",
                }
            )),
            Backend::Postgres => None,
        };
        let open_err = |source| StoreError::Open {
            url: redacted.clone(),
            source,
        };
        // One plain connection first: the pool would retry a failing
        // connect until its timeout and report only "timed out", hiding
        // the cause (refused, bad password, not a database).
        let mut probe =
            tokio::time::timeout(opts.connect_timeout, AnyConnection::connect(&connect_url))
                .await
                .map_err(|_| StoreError::ConnectTimeout {
                    url: redacted.clone(),
                    after: opts.connect_timeout,
                })?
                .map_err(open_err)?;
        if let Some(pragmas) = &pragmas {
            probe
                .execute(sqlx::AssertSqlSafe(pragmas.as_str()))
                .await
                .map_err(open_err)?;
            // Persistent in the file; needs a moment without other writers.
            set_wal(&mut probe).await.map_err(open_err)?;
        }
        let _ = probe.close().await;
        let mut pool_opts = AnyPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.connect_timeout);
        if let Some(pragmas) = pragmas {
            pool_opts = pool_opts.after_connect(move |conn, _| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                    Ok(())
                })
            });
        }
        let pool = pool_opts.connect(&connect_url).await.map_err(open_err)?;
        schema::migrate(&pool, backend, &redacted).await?;
        Ok(Store {
            pool,
            backend,
            url: redacted,
        })
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it was opened with, password redacted.
    #[must_use]
    pub fn url(&self) -> &RedactedUrl {
        &self.url
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// `sqlite:` URL rest (`//path?query` or `path`) to a connect URL that
/// creates the file, creating its directory too.
fn sqlite_url(rest: &str, redacted: &RedactedUrl) -> Result<String> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl {
            url: redacted.clone(),
        });
    }
    let dir = Path::new(path)
        .parent()
        .filter(|d| path != ":memory:" && !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            url: redacted.clone(),
            dir: dir.display().to_string(),
            source,
        })?;
    }
    let mode = if query.split('&').any(|p| p.starts_with("mode=")) {
        ""
    } else {
        "mode=rwc"
    };
    let sep = if query.is_empty() || mode.is_empty() {
        ""
    } else {
        "&"
    };
    Ok(format!("sqlite://{path}?{query}{sep}{mode}"))
}

async fn set_wal(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        match sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *conn)
            .await
        {
            // Changing the journal mode cannot wait on busy_timeout.
            Err(sqlx::Error::Database(e)) if attempt < 20 && e.message().contains("locked") => {
                tokio::time::sleep(Duration::from_millis(25 * attempt)).await;
            }
            other => return other.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file() {
        let r = RedactedUrl::new("x");
        let dir = std::env::temp_dir().join("ghostguard-store-url-test");
        let p = dir.join("a.db");
        let url = sqlite_url(&format!("//{}", p.display()), &r).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", p.display()));
        assert!(dir.is_dir());
        assert_eq!(
            sqlite_url("rel.db?mode=ro", &r).unwrap(),
            "sqlite://rel.db?mode=ro"
        );
        assert_eq!(
            sqlite_url("//:memory:?cache=shared", &r).unwrap(),
            "sqlite://:memory:?cache=shared&mode=rwc"
        );
        assert!(sqlite_url("//", &r).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
