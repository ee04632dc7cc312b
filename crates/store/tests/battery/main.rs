//! The store test battery: every behaviour runs against SQLite (a temp
//! file) and PostgreSQL (a fresh database per test in the cluster named by
//! `GHOSTGUARD_TEST_PG_URL`; `scripts/pg-test.sh` starts a throwaway one).
//! Without that variable the PostgreSQL half prints SKIP, and fails when
//! `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bans;
mod incidents;
mod misc;
mod ranking;
mod text;

use std::future::Future;
use std::net::IpAddr;

use ghostguard_store::{NewIncident, Store, StoreOptions};

pub const T0: i64 = 1_700_000_000_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An incident with plausible defaults.
pub fn incident(site: &str, source: &str, code: &str, at: i64) -> NewIncident {
    NewIncident {
        site: site.into(),
        source: ip(source),
        kind: "scanner".into(),
        detector: "signature".into(),
        code: code.into(),
        confidence: 90,
        evidence: r#"{"user_agent":"friendly-scanner"}"#.into(),
        first_seen: at,
        last_seen: at,
        count: 1,
        internal: false,
        mac: None,
        vendor: None,
    }
}

/// Where a test's store lives; what `open` needs to open it again.
#[derive(Debug)]
pub struct Db {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<ghostguard_store::scratch::Scratch>,
}

impl Db {
    pub async fn open(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default())
            .await
            .unwrap()
    }
}

pub fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("store/ghostguard.db").display()
    );
    Db {
        url,
        _dir: Some(dir),
        pg_admin: None,
    }
}

/// A fresh database in the test cluster, or `None` (after a loud SKIP).
pub async fn postgres_db(test: &str) -> Option<Db> {
    let base = ghostguard_store::scratch::cluster(test)?;
    let scratch = ghostguard_store::scratch::Scratch::create(&base, "gg")
        .await
        .unwrap();
    Some(Db {
        url: scratch.url.clone(),
        _dir: None,
        pg_admin: Some(scratch),
    })
}

/// Runs `body` against `db`, then drops the PostgreSQL database.
pub async fn run<F, Fut>(db: Option<Db>, body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = db else { return };
    let admin = db.pg_admin.clone();
    body(db).await;
    if let Some(scratch) = admin {
        scratch.drop_database().await.unwrap();
    }
}

/// Declares each behaviour `fn name(db: Db)` as two tests,
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! battery {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run(Some($crate::sqlite_db()), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run($crate::postgres_db(stringify!($name)).await, super::$name).await;
                }
            )*
        }
    };
}
