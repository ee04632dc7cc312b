//! Guard heartbeats, totals, the activity chart and the health check.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::error::{Invalid, Result, StoreError};
use crate::model::{Backend, Bucket, Health, Heartbeat, Totals, UnixMillis};
use crate::query::{Arg, Sql, get, get_u64};
use crate::{Store, schema, validate};

/// DoS: the most buckets one activity query returns.
pub const MAX_BUCKETS: u64 = 10_000;

impl Store {
    /// Writes `site`'s heartbeat (one row per site, replaced).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (stats must be JSON), [`StoreError::Query`].
    pub async fn write_heartbeat(&self, hb: &Heartbeat) -> Result<()> {
        let site = validate::ident("site", &hb.site)?;
        let stats = validate::json("stats", &hb.stats)?;
        sqlx::query(
            "INSERT INTO heartbeats (site, last_seen, version, stats) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (site) DO UPDATE SET last_seen = excluded.last_seen, \
             version = excluded.version, stats = excluded.stats",
        )
        .bind(site)
        .bind(hb.last_seen)
        .bind(validate::text(&hb.version).as_ref())
        .bind(stats)
        .execute(self.pool())
        .await
        .map_err(StoreError::query("write_heartbeat"))?;
        Ok(())
    }

    /// Every guard's latest heartbeat, by site.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn heartbeats(&self) -> Result<Vec<Heartbeat>> {
        let rows =
            sqlx::query("SELECT site, last_seen, version, stats FROM heartbeats ORDER BY site")
                .fetch_all(self.pool())
                .await
                .map_err(StoreError::query("heartbeats"))?;
        rows.iter().map(heartbeat_from_row).collect()
    }

    /// One site's latest heartbeat.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn heartbeat(&self, site: &str) -> Result<Option<Heartbeat>> {
        let row =
            sqlx::query("SELECT site, last_seen, version, stats FROM heartbeats WHERE site = $1")
                .bind(site)
                .fetch_optional(self.pool())
                .await
                .map_err(StoreError::query("heartbeat"))?;
        row.as_ref().map(heartbeat_from_row).transpose()
    }

    /// Totals on `site` (or all sites) at `now`.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn totals(&self, site: Option<&str>, now: UnixMillis) -> Result<Totals> {
        let count = async |select: &str, extra: Option<UnixMillis>| -> Result<u64> {
            let mut sql = Sql::new(select);
            sql.eq_text("site", site);
            if let Some(now) = extra {
                sql.push(" AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ")
                    .bind(Arg::I64(now))
                    .push(")");
            }
            let row = sql.fetch_one(self.pool(), "totals").await?;
            get_u64(&row, "totals", "n")
        };
        Ok(Totals {
            incidents: count(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM incidents WHERE 1 = 1",
                None,
            )
            .await?,
            sources: count(
                "SELECT CAST(COUNT(DISTINCT source) AS BIGINT) AS n FROM incidents WHERE 1 = 1",
                None,
            )
            .await?,
            active_bans: count(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM bans WHERE 1 = 1",
                Some(now),
            )
            .await?,
            ghost_calls: count(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ghost_calls WHERE 1 = 1",
                None,
            )
            .await?,
        })
    }

    /// Activity in `[from, to)` in buckets of `bucket_ms` (3_600_000 for the
    /// hourly chart): incidents by `first_seen`, bans by `created_at`, ghost
    /// calls by `time`. Every bucket is present, empty ones as zeros.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `bucket_ms < 1` or the range needs more
    /// than [`MAX_BUCKETS`] buckets; [`StoreError::Query`].
    pub async fn activity(
        &self,
        site: Option<&str>,
        from: UnixMillis,
        to: UnixMillis,
        bucket_ms: i64,
    ) -> Result<Vec<Bucket>> {
        let span = u64::try_from(i128::from(to) - i128::from(from)).unwrap_or(u64::MAX);
        let width = u64::try_from(bucket_ms).ok().filter(|w| *w > 0);
        let n = match width {
            Some(w) if span.div_ceil(w) <= MAX_BUCKETS && to >= from => span.div_ceil(w),
            _ => {
                return Err(StoreError::Invalid {
                    field: "bucket",
                    problem: Invalid::OutOfRange,
                });
            }
        };
        let mut out: Vec<Bucket> = (0..n)
            .map(|i| Bucket {
                start: from.saturating_add((i as i64).saturating_mul(bucket_ms)),
                incidents: 0,
                bans: 0,
                ghost_calls: 0,
            })
            .collect();
        for (table, col, pick) in [
            ("incidents", "first_seen", 0),
            ("bans", "created_at", 1),
            ("ghost_calls", "time", 2),
        ] {
            let mut sql = Sql::new(&format!("SELECT CAST(({col} - "));
            sql.bind(Arg::I64(from)).push(") / ");
            sql.bind(Arg::I64(bucket_ms));
            sql.push(&format!(
                " AS BIGINT) AS b, CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE {col} >= $1"
            ));
            sql.cmp_i64(col, "<", Some(to)).eq_text("site", site);
            sql.push(" GROUP BY b");
            let rows = sql.fetch_all(self.pool(), "activity").await?;
            for row in &rows {
                let b = get_u64(row, "activity", "b")?;
                let count = get_u64(row, "activity", "n")?;
                if let Some(bucket) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
                    match pick {
                        0 => bucket.incidents = count,
                        1 => bucket.bans = count,
                        _ => bucket.ghost_calls = count,
                    }
                }
            }
        }
        Ok(out)
    }

    /// Checks the database answers; reports the schema version and, on
    /// SQLite, the durability settings in force.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn health(&self) -> Result<Health> {
        const OP: &str = "health";
        let schema_version = schema::current_version(self.pool())
            .await
            .map_err(StoreError::query(OP))?;
        let (mut journal_mode, mut synchronous) = (None, None);
        if self.backend() == Backend::Sqlite {
            let mut conn = self.pool().acquire().await.map_err(StoreError::query(OP))?;
            let pragma = async |conn: &mut AnyConnection, sql: &'static str| {
                sqlx::query(sql)
                    .fetch_one(conn)
                    .await
                    .map_err(StoreError::query(OP))
            };
            let row = pragma(&mut conn, "PRAGMA journal_mode").await?;
            journal_mode = Some(get(&row, OP, "journal_mode")?);
            let row = pragma(&mut conn, "PRAGMA synchronous").await?;
            synchronous = Some(get(&row, OP, "synchronous")?);
        }
        Ok(Health {
            backend: self.backend(),
            schema_version,
            journal_mode,
            synchronous,
        })
    }
}

fn heartbeat_from_row(row: &AnyRow) -> Result<Heartbeat> {
    const OP: &str = "heartbeats";
    Ok(Heartbeat {
        site: get(row, OP, "site")?,
        last_seen: get(row, OP, "last_seen")?,
        version: get(row, OP, "version")?,
        stats: get(row, OP, "stats")?,
    })
}
