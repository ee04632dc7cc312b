//! Throwaway PostgreSQL databases for tests (feature `testing`): the store
//! battery and the web tests each get a fresh database in the cluster
//! `scripts/pg-test.sh` starts and names in `GHOSTGUARD_TEST_PG_URL`.

use std::sync::atomic::{AtomicU32, Ordering};

/// A database created for one test; [`Scratch::drop_database`] removes it.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// The URL of the new database.
    pub url: String,
    admin: String,
    name: String,
}

/// Where the test cluster is, or `None` after a loud SKIP line. With
/// `CI=true` a missing cluster is a failure: CI must run these tests.
///
/// # Panics
/// When `CI=true` and `GHOSTGUARD_TEST_PG_URL` is unset.
#[must_use]
pub fn cluster(test: &str) -> Option<String> {
    if let Ok(base) = std::env::var("GHOSTGUARD_TEST_PG_URL") {
        return Some(base);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but GHOSTGUARD_TEST_PG_URL is unset: run under scripts/pg-test.sh"
    );
    eprintln!(
        "SKIP: {test} on PostgreSQL: GHOSTGUARD_TEST_PG_URL is unset (use scripts/pg-test.sh)"
    );
    None
}

impl Scratch {
    /// Creates `PREFIX_PID_N` in the cluster at `admin`.
    ///
    /// # Errors
    /// The cluster refused the connection or the `CREATE DATABASE`.
    pub async fn create(admin: &str, prefix: &str) -> Result<Scratch, sqlx::Error> {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let (head, query) = admin.split_once('?').unwrap_or((admin, ""));
        let server = head.rsplit_once('/').map_or(head, |(s, _)| s);
        Ok(Scratch {
            url: format!("{server}/{name}?{query}"),
            admin: admin.to_string(),
            name,
        })
    }

    /// Drops the database (connections to it are closed).
    ///
    /// # Errors
    /// The cluster refused the connection or the `DROP DATABASE`.
    pub async fn drop_database(&self) -> Result<(), sqlx::Error> {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}
