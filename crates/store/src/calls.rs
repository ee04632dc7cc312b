//! Ghost calls: INVITEs that reached a phone from an untrusted source.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::model::{GhostCall, NewGhostCall};
use crate::query::{Arg, GhostCallQuery, Sql, get, get_bool, get_ip};

const COLUMNS: &str = "id, site, phone, source, caller, dialled, time, answered";
use crate::{Store, validate};

impl Store {
    /// Records a ghost call; returns its id. `caller` and `dialled` are
    /// attacker-chosen and cut to [`crate::MAX_TEXT`] bytes.
    ///
    /// # Errors
    /// [`StoreError::Invalid`], [`StoreError::Query`].
    pub async fn record_ghost_call(&self, call: &NewGhostCall) -> Result<i64> {
        const OP: &str = "record_ghost_call";
        let site = validate::ident("site", &call.site)?;
        let caller = validate::text(&call.caller);
        let dialled = validate::opt_text(call.dialled.as_deref());
        let row = sqlx::query(
            "INSERT INTO ghost_calls (site, phone, source, caller, dialled, time, answered) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(site)
        .bind(call.phone.to_string())
        .bind(call.source.to_string())
        .bind(caller.as_ref())
        .bind(dialled.as_deref())
        .bind(call.time)
        .bind(i16::from(call.answered))
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::query(OP))?;
        row.try_get(0).map_err(StoreError::query(OP))
    }

    /// Ghost calls matching `q`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn ghost_calls(&self, q: &GhostCallQuery) -> Result<Vec<GhostCall>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM ghost_calls WHERE 1 = 1"));
        sql.eq_text("site", q.site.as_deref())
            .eq_text("phone", q.phone.map(|ip| ip.to_string()).as_deref())
            .eq_text("source", q.source.map(|ip| ip.to_string()).as_deref())
            .cmp_i64("time", ">=", q.since)
            .cmp_i64("time", "<", q.until);
        sql.push(" ORDER BY time DESC, id DESC");
        sql.page(q.limit, q.offset);
        let rows = sql.fetch_all(self.pool(), "ghost_calls").await?;
        rows.iter().map(call_from_row).collect()
    }
}

impl Store {
    /// Ghost calls with ids above `id`, oldest first (for alerts).
    pub(crate) async fn ghost_calls_after(&self, id: i64, limit: u32) -> Result<Vec<GhostCall>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM ghost_calls WHERE id > "));
        sql.bind(Arg::I64(id)).push(" ORDER BY id");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), "ghost_calls_after").await?;
        rows.iter().map(call_from_row).collect()
    }
}

fn call_from_row(row: &AnyRow) -> Result<GhostCall> {
    const OP: &str = "ghost_calls";
    Ok(GhostCall {
        id: get(row, OP, "id")?,
        site: get(row, OP, "site")?,
        phone: get_ip(row, OP, "phone")?,
        source: get_ip(row, OP, "source")?,
        caller: get(row, OP, "caller")?,
        dialled: get(row, OP, "dialled")?,
        time: get(row, OP, "time")?,
        answered: get_bool(row, OP, "answered")?,
    })
}
