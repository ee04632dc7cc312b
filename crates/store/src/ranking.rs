//! Aggregates for the dashboard, the metrics and the blocklist feed: top
//! sources, ghost calls per phone, counts by site and kind, the sites known
//! to the store, and "rows after id" for alerting on what is new.
//!
//! Every list is paged by `limit` (at most [`crate::MAX_LIMIT`]); the
//! per-site counts are bounded by the number of sites and kinds.

use std::net::IpAddr;

use serde::Serialize;

use crate::error::Result;
use crate::model::{Ban, GhostCall, Incident, UnixMillis};
use crate::query::{Arg, Sql, get, get_ip, get_u64};
use crate::{Store, validate};

/// A source ranked by how much it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRank {
    pub source: IpAddr,
    /// Occurrences: the sum of its incidents' counts.
    pub occurrences: u64,
    pub incidents: u64,
    /// Its strongest incident's confidence.
    pub confidence: u8,
    pub last_seen: UnixMillis,
}

/// Ghost calls that rang one phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneCalls {
    pub phone: IpAddr,
    pub calls: u64,
    pub answered: u64,
    /// Distinct sources that rang it.
    pub sources: u64,
    pub last: UnixMillis,
}

/// A count for one site and one label (an incident kind, a ban origin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteCount {
    pub site: String,
    /// The kind, origin, or empty when the count has no label.
    pub label: String,
    pub count: u64,
    /// Occurrences where that applies (incidents), else equal to `count`.
    pub occurrences: u64,
}

/// A source fit for the blocklist feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedSource {
    pub source: IpAddr,
    pub confidence: u8,
    pub last_seen: UnixMillis,
}

/// The newest row id of each table (0 when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MaxIds {
    pub incident: i64,
    pub ban: i64,
    pub ghost_call: i64,
}

impl Store {
    /// Sources with incidents seen since `since`, most occurrences first.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`], [`crate::StoreError::Corrupt`].
    pub async fn top_sources(
        &self,
        site: Option<&str>,
        since: UnixMillis,
        limit: u32,
    ) -> Result<Vec<SourceRank>> {
        const OP: &str = "top_sources";
        let mut sql = Sql::new(
            "SELECT source, CAST(SUM(count) AS BIGINT) AS occ, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(MAX(confidence) AS BIGINT) AS conf, MAX(last_seen) AS last_seen \
             FROM incidents WHERE last_seen >= ",
        );
        sql.bind(Arg::I64(since));
        sql.eq_text("site", site);
        sql.push(" GROUP BY source ORDER BY SUM(count) DESC, MAX(last_seen) DESC, source");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), OP).await?;
        rows.iter()
            .map(|row| {
                Ok(SourceRank {
                    source: get_ip(row, OP, "source")?,
                    occurrences: get_u64(row, OP, "occ")?,
                    incidents: get_u64(row, OP, "n")?,
                    confidence: confidence(get_u64(row, OP, "conf")?),
                    last_seen: get(row, OP, "last_seen")?,
                })
            })
            .collect()
    }

    /// Phones that got ghost calls since `since`, most calls first.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`], [`crate::StoreError::Corrupt`].
    pub async fn ghost_calls_by_phone(
        &self,
        site: Option<&str>,
        since: UnixMillis,
        limit: u32,
    ) -> Result<Vec<PhoneCalls>> {
        const OP: &str = "ghost_calls_by_phone";
        let mut sql = Sql::new(
            "SELECT phone, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(answered) AS BIGINT) AS answered, \
             CAST(COUNT(DISTINCT source) AS BIGINT) AS sources, MAX(time) AS last \
             FROM ghost_calls WHERE time >= ",
        );
        sql.bind(Arg::I64(since));
        sql.eq_text("site", site);
        sql.push(" GROUP BY phone ORDER BY COUNT(*) DESC, MAX(time) DESC, phone");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), OP).await?;
        rows.iter()
            .map(|row| {
                Ok(PhoneCalls {
                    phone: get_ip(row, OP, "phone")?,
                    calls: get_u64(row, OP, "n")?,
                    answered: get_u64(row, OP, "answered")?,
                    sources: get_u64(row, OP, "sources")?,
                    last: get(row, OP, "last")?,
                })
            })
            .collect()
    }

    /// Stored incidents by site and kind (label), with their occurrences.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn incident_counts(&self) -> Result<Vec<SiteCount>> {
        let sql = Sql::new(
            "SELECT site, kind AS label, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(SUM(count) AS BIGINT) AS occ FROM incidents GROUP BY site, kind ORDER BY site, kind",
        );
        self.site_counts(&sql, "incident_counts").await
    }

    /// Bans in force at `now` by site and origin (label).
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn active_ban_counts(&self, now: UnixMillis) -> Result<Vec<SiteCount>> {
        let mut sql = Sql::new(
            "SELECT site, origin AS label, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COUNT(*) AS BIGINT) AS occ FROM bans \
             WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ",
        );
        sql.bind(Arg::I64(now));
        sql.push(") GROUP BY site, origin ORDER BY site, origin");
        self.site_counts(&sql, "active_ban_counts").await
    }

    /// Stored ghost calls by site (label: empty).
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn ghost_call_counts(&self) -> Result<Vec<SiteCount>> {
        let sql = Sql::new(
            "SELECT site, '' AS label, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(SUM(answered) AS BIGINT) AS occ FROM ghost_calls GROUP BY site ORDER BY site",
        );
        self.site_counts(&sql, "ghost_call_counts").await
    }

    async fn site_counts(&self, sql: &Sql, op: &'static str) -> Result<Vec<SiteCount>> {
        let rows = sql.fetch_all(self.pool(), op).await?;
        rows.iter()
            .map(|row| {
                Ok(SiteCount {
                    site: get(row, op, "site")?,
                    label: get(row, op, "label")?,
                    count: get_u64(row, op, "n")?,
                    occurrences: get_u64(row, op, "occ")?,
                })
            })
            .collect()
    }

    /// Every site named in any table, sorted.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn sites(&self) -> Result<Vec<String>> {
        let sql = Sql::new(
            "SELECT site FROM incidents UNION SELECT site FROM bans \
             UNION SELECT site FROM ghost_calls UNION SELECT site FROM heartbeats ORDER BY site",
        );
        let rows = sql.fetch_all(self.pool(), "sites").await?;
        rows.iter().map(|row| get(row, "sites", "site")).collect()
    }

    /// The time of the latest incident, ban or ghost call on `site` (or any
    /// site); `None` for an empty store.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn latest_activity(&self, site: Option<&str>) -> Result<Option<UnixMillis>> {
        let mut latest = None;
        for (table, col) in [
            ("incidents", "last_seen"),
            ("bans", "created_at"),
            ("ghost_calls", "time"),
        ] {
            let mut sql = Sql::new(&format!("SELECT MAX({col}) AS t FROM {table} WHERE 1 = 1"));
            sql.eq_text("site", site);
            let row = sql.fetch_one(self.pool(), "latest_activity").await?;
            let t: Option<i64> = get(&row, "latest_activity", "t")?;
            latest = latest.max(t);
        }
        Ok(latest)
    }

    /// Sources whose first incident is at or after `since`.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn count_new_sources(&self, site: Option<&str>, since: UnixMillis) -> Result<u64> {
        let mut sql = Sql::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT source FROM incidents WHERE 1 = 1",
        );
        sql.eq_text("site", site);
        sql.push(" GROUP BY source HAVING MIN(first_seen) >= ")
            .bind(Arg::I64(since))
            .push(") AS fresh");
        let row = sql.fetch_one(self.pool(), "count_new_sources").await?;
        get_u64(&row, "count_new_sources", "n")
    }

    /// Outside sources (never `internal`) whose strongest incident reaches
    /// `min_confidence` and that were seen at or after `since`: what the
    /// blocklist feed publishes. Most recently seen first.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`], [`crate::StoreError::Corrupt`].
    pub async fn feed_sources(
        &self,
        site: Option<&str>,
        min_confidence: u8,
        since: UnixMillis,
        limit: u32,
    ) -> Result<Vec<FeedSource>> {
        const OP: &str = "feed_sources";
        let mut sql = Sql::new(
            "SELECT source, CAST(MAX(confidence) AS BIGINT) AS conf, MAX(last_seen) AS last_seen \
             FROM incidents WHERE 1 = 1",
        );
        sql.eq_text("site", site);
        sql.push(" GROUP BY source HAVING MAX(internal) = 0 AND MAX(confidence) >= ")
            .bind(Arg::I64(i64::from(min_confidence)))
            .push(" AND MAX(last_seen) >= ")
            .bind(Arg::I64(since))
            .push(" ORDER BY MAX(last_seen) DESC, source");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), OP).await?;
        rows.iter()
            .map(|row| {
                Ok(FeedSource {
                    source: get_ip(row, OP, "source")?,
                    confidence: confidence(get_u64(row, OP, "conf")?),
                    last_seen: get(row, OP, "last_seen")?,
                })
            })
            .collect()
    }

    /// The newest id of each table, where alerting starts.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`].
    pub async fn max_ids(&self) -> Result<MaxIds> {
        let mut ids = [0i64; 3];
        for (i, table) in ["incidents", "bans", "ghost_calls"].iter().enumerate() {
            let sql = Sql::new(&format!("SELECT MAX(id) AS m FROM {table}"));
            let row = sql.fetch_one(self.pool(), "max_ids").await?;
            let m: Option<i64> = get(&row, "max_ids", "m")?;
            ids[i] = m.unwrap_or(0);
        }
        Ok(MaxIds {
            incident: ids[0],
            ban: ids[1],
            ghost_call: ids[2],
        })
    }

    /// Incidents, bans and ghost calls with ids above `after` (oldest
    /// first, at most `limit` of each): what is new since the last look.
    ///
    /// # Errors
    /// [`crate::StoreError::Query`], [`crate::StoreError::Corrupt`].
    pub async fn rows_after(
        &self,
        after: MaxIds,
        limit: u32,
    ) -> Result<(Vec<Incident>, Vec<Ban>, Vec<GhostCall>)> {
        let limit = u32::try_from(validate::limit(limit)).unwrap_or(1);
        let incidents = self.incidents_after(after.incident, limit).await?;
        let bans = self.bans_after(after.ban, limit).await?;
        let calls = self.ghost_calls_after(after.ghost_call, limit).await?;
        Ok((incidents, bans, calls))
    }
}

fn confidence(v: u64) -> u8 {
    u8::try_from(v.min(100)).unwrap_or(100)
}
