//! Incidents: upsert, lookup, search, and per-source summaries.

use std::collections::BTreeMap;
use std::net::IpAddr;

use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::model::{Incident, SourceSummary};
use crate::query::{Arg, IncidentQuery, SourceQuery, Sql, get, get_bool, get_ip, get_u64};
use crate::{Store, validate};

const COLUMNS: &str = "id, site, source, kind, detector, code, confidence, evidence, \
    first_seen, last_seen, count, internal, mac, vendor";

impl Store {
    /// One incident by id.
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM incidents WHERE id = "));
        sql.bind(Arg::I64(id));
        let row = sql.fetch_optional(self.pool(), "incident").await?;
        row.as_ref().map(incident_from_row).transpose()
    }

    /// Incidents matching `q`, most recently seen first.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an over-long search text,
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn incidents(&self, q: &IncidentQuery) -> Result<Vec<Incident>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM incidents WHERE 1 = 1"));
        incident_filter(&mut sql, q)?;
        sql.push(" ORDER BY last_seen DESC, id DESC");
        sql.page(q.limit, q.offset);
        let rows = sql.fetch_all(self.pool(), "incidents").await?;
        rows.iter().map(incident_from_row).collect()
    }

    /// How many incidents match `q` (its page ignored), for pagination.
    ///
    /// # Errors
    /// As [`Store::incidents`].
    pub async fn count_incidents(&self, q: &IncidentQuery) -> Result<u64> {
        let mut sql = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM incidents WHERE 1 = 1");
        incident_filter(&mut sql, q)?;
        let row = sql.fetch_one(self.pool(), "count_incidents").await?;
        get_u64(&row, "count_incidents", "n")
    }

    /// Per-source summaries (the source list of the dashboard), most recently
    /// seen first.
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn sources(&self, q: &SourceQuery) -> Result<Vec<SourceSummary>> {
        self.summaries(q, None).await
    }

    /// The summary of one source (the "source page" header).
    ///
    /// # Errors
    /// As [`Store::sources`].
    pub async fn source(
        &self,
        site: Option<&str>,
        source: IpAddr,
    ) -> Result<Option<SourceSummary>> {
        let q = SourceQuery {
            site: site.map(str::to_owned),
            ..SourceQuery::default()
        };
        Ok(self.summaries(&q, Some(source)).await?.pop())
    }

    async fn summaries(
        &self,
        q: &SourceQuery,
        source: Option<IpAddr>,
    ) -> Result<Vec<SourceSummary>> {
        const OP: &str = "sources";
        let mut sql = Sql::new(
            "SELECT source, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, \
             CAST(COUNT(*) AS BIGINT) AS incidents, CAST(SUM(count) AS BIGINT) AS occurrences, \
             MAX(internal) AS internal FROM incidents WHERE 1 = 1",
        );
        sql.eq_text("site", q.site.as_deref())
            .eq_text("source", source.map(|s| s.to_string()).as_deref());
        sql.push(" GROUP BY source");
        if let Some(since) = q.since {
            sql.push(" HAVING MAX(last_seen) >= ").bind(Arg::I64(since));
        }
        sql.push(" ORDER BY MAX(last_seen) DESC, source");
        sql.page(q.limit, q.offset);
        let rows = sql.fetch_all(self.pool(), OP).await?;
        let mut out = rows
            .iter()
            .map(|row| {
                Ok(SourceSummary {
                    source: get_ip(row, OP, "source")?,
                    first_seen: get(row, OP, "first_seen")?,
                    last_seen: get(row, OP, "last_seen")?,
                    incidents: get_u64(row, OP, "incidents")?,
                    occurrences: get_u64(row, OP, "occurrences")?,
                    kinds: Vec::new(),
                    internal: get_bool(row, OP, "internal")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.fill_kinds(q.site.as_deref(), &mut out).await?;
        Ok(out)
    }

    async fn fill_kinds(&self, site: Option<&str>, out: &mut [SourceSummary]) -> Result<()> {
        const OP: &str = "sources";
        if out.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new("SELECT DISTINCT source, kind FROM incidents WHERE source IN (");
        for (i, s) in out.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::Text(s.source.to_string()));
        }
        sql.push(")");
        sql.eq_text("site", site);
        let rows = sql.fetch_all(self.pool(), OP).await?;
        let mut kinds: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        for row in &rows {
            kinds
                .entry(get_ip(row, OP, "source")?)
                .or_default()
                .push(get(row, OP, "kind")?);
        }
        for s in out {
            if let Some(mut k) = kinds.remove(&s.source) {
                k.sort();
                s.kinds = k;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Incidents with ids above `id`, oldest first (for alerts).
    pub(crate) async fn incidents_after(&self, id: i64, limit: u32) -> Result<Vec<Incident>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM incidents WHERE id > "));
        sql.bind(Arg::I64(id)).push(" ORDER BY id");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), "incidents_after").await?;
        rows.iter().map(incident_from_row).collect()
    }
}

fn incident_filter(sql: &mut Sql, q: &IncidentQuery) -> Result<()> {
    sql.eq_text("site", q.site.as_deref())
        .eq_text("source", q.source.map(|s| s.to_string()).as_deref())
        .eq_text("kind", q.kind.as_deref())
        .cmp_i64("last_seen", ">=", q.since)
        .cmp_i64("first_seen", "<", q.until);
    if let Some(text) = &q.text {
        let pattern = validate::like_pattern("text", text)?;
        sql.push(" AND (LOWER(source) LIKE ")
            .bind(Arg::Text(pattern));
        let n = sql.last_placeholder();
        for col in [
            "kind",
            "detector",
            "code",
            "evidence",
            "COALESCE(vendor, '')",
        ] {
            sql.push(" ESCAPE '\\' OR LOWER(")
                .push(col)
                .push(") LIKE ")
                .push(&n);
        }
        sql.push(" ESCAPE '\\')");
    }
    Ok(())
}

fn incident_from_row(row: &AnyRow) -> Result<Incident> {
    const OP: &str = "incidents";
    let confidence: i16 = get(row, OP, "confidence")?;
    Ok(Incident {
        id: get(row, OP, "id")?,
        site: get(row, OP, "site")?,
        source: get_ip(row, OP, "source")?,
        kind: get(row, OP, "kind")?,
        detector: get(row, OP, "detector")?,
        code: get(row, OP, "code")?,
        confidence: u8::try_from(confidence).map_err(|_| StoreError::Corrupt {
            op: OP,
            column: "confidence",
            value: confidence.to_string(),
        })?,
        evidence: get(row, OP, "evidence")?,
        first_seen: get(row, OP, "first_seen")?,
        last_seen: get(row, OP, "last_seen")?,
        count: get_u64(row, OP, "count")?,
        internal: get_bool(row, OP, "internal")?,
        mac: get(row, OP, "mac")?,
        vendor: get(row, OP, "vendor")?,
    })
}
