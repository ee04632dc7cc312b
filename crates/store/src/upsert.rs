//! Writing incidents: one upsert, or a batch in one transaction.

use std::borrow::Cow;

use sqlx::{AnyConnection, Row};

use crate::error::{Invalid, Result, StoreError};
use crate::model::{NewIncident, Recorded};
use crate::{Store, validate};

const INSERT: &str = "INSERT INTO incidents (site, source, kind, detector, code, confidence, \
    evidence, first_seen, last_seen, count, internal, mac, vendor) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
    ON CONFLICT (site, source, detector, code) DO NOTHING RETURNING id";

/// Same placeholders as [`INSERT`]. The count saturates at i64::MAX (PostgreSQL
/// would fail on overflow, SQLite would turn it into a float).
const BUMP: &str = "UPDATE incidents SET kind = $3, \
    confidence = CASE WHEN confidence < $6 THEN $6 ELSE confidence END, \
    evidence = $7, \
    first_seen = CASE WHEN first_seen > $8 THEN $8 ELSE first_seen END, \
    last_seen = CASE WHEN last_seen < $9 THEN $9 ELSE last_seen END, \
    count = CASE WHEN count > 9223372036854775807 - $10 THEN 9223372036854775807 \
        ELSE count + $10 END, \
    internal = $11, mac = COALESCE($12, mac), vendor = COALESCE($13, vendor) \
    WHERE site = $1 AND source = $2 AND detector = $4 AND code = $5 RETURNING id";

/// A [`NewIncident`] that passed the checks, ready to bind.
struct Checked<'a> {
    inc: &'a NewIncident,
    source: String,
    evidence: &'a str,
    count: i64,
    mac: Option<Cow<'a, str>>,
    vendor: Option<Cow<'a, str>>,
}

fn check(inc: &NewIncident) -> Result<Checked<'_>> {
    for (field, value) in [
        ("site", &inc.site),
        ("kind", &inc.kind),
        ("detector", &inc.detector),
        ("code", &inc.code),
    ] {
        validate::ident(field, value)?;
    }
    let out_of_range = |field| StoreError::Invalid {
        field,
        problem: Invalid::OutOfRange,
    };
    if inc.confidence > 100 {
        return Err(out_of_range("confidence"));
    }
    if inc.first_seen > inc.last_seen {
        return Err(out_of_range("last_seen"));
    }
    Ok(Checked {
        inc,
        source: inc.source.to_string(),
        evidence: validate::json("evidence", &inc.evidence)?,
        count: validate::count("count", inc.count)?,
        mac: validate::opt_text(inc.mac.as_deref()),
        vendor: validate::opt_text(inc.vendor.as_deref()),
    })
}

/// Insert, else bump. A prune deleting the row in between makes the bump
/// find nothing; then the insert is tried again.
async fn upsert(conn: &mut AnyConnection, c: &Checked<'_>, op: &'static str) -> Result<Recorded> {
    for _ in 0..3 {
        for (sql, new) in [(INSERT, true), (BUMP, false)] {
            let row = sqlx::query(sql)
                .bind(c.inc.site.as_str())
                .bind(c.source.as_str())
                .bind(c.inc.kind.as_str())
                .bind(c.inc.detector.as_str())
                .bind(c.inc.code.as_str())
                .bind(i16::from(c.inc.confidence))
                .bind(c.evidence)
                .bind(c.inc.first_seen)
                .bind(c.inc.last_seen)
                .bind(c.count)
                .bind(i16::from(c.inc.internal))
                .bind(c.mac.as_deref())
                .bind(c.vendor.as_deref())
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::query(op))?;
            if let Some(row) = row {
                let id = row.try_get(0).map_err(StoreError::query(op))?;
                return Ok(Recorded { id, new });
            }
        }
    }
    Err(StoreError::Corrupt {
        op,
        column: "id",
        value: "neither inserted nor updated".to_owned(),
    })
}

impl Store {
    /// Records an incident, or bumps the stored one with the same
    /// `(site, source, detector, code)`: `count` grows by `inc.count`,
    /// `last_seen`/`first_seen` widen, `confidence` keeps the highest, and
    /// `evidence`, `kind`, `internal` take the new values (`mac`/`vendor`
    /// unless `None`). Committed when it returns.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a refused field (nothing written),
    /// [`StoreError::Query`] for the database.
    pub async fn record_incident(&self, inc: &NewIncident) -> Result<Recorded> {
        const OP: &str = "record_incident";
        let c = check(inc)?;
        let mut conn = self.pool().acquire().await.map_err(StoreError::query(OP))?;
        upsert(&mut conn, &c, OP).await
    }

    /// Records a batch as [`Store::record_incident`] does, in one
    /// transaction: all or nothing, and one commit (one fsync on SQLite)
    /// for the lot, which is what a guard under a distributed scan wants.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when any record is refused (nothing written),
    /// [`StoreError::Query`].
    pub async fn record_incidents(&self, batch: &[NewIncident]) -> Result<Vec<Recorded>> {
        const OP: &str = "record_incidents";
        let checked = batch.iter().map(check).collect::<Result<Vec<_>>>()?;
        let mut tx = self.begin_write().await.map_err(StoreError::query(OP))?;
        let mut out = Vec::with_capacity(checked.len());
        for c in &checked {
            out.push(upsert(&mut tx, c, OP).await?);
        }
        tx.commit().await.map_err(StoreError::query(OP))?;
        Ok(out)
    }
}
