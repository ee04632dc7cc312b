//! Bounded retention: old rows go, and no table grows past `max_rows`.
//!
//! Deletes run in chunks of [`CHUNK`] rows, each its own statement, so a
//! large prune never holds SQLite's write lock for long: the guard's writes
//! interleave. Active bans are never deleted, whatever their age or number.
//! Retention applies to the whole store (every site of a shared PostgreSQL
//! store).

use crate::Store;
use crate::error::Result;
use crate::model::{Pruned, Retention, UnixMillis};
use crate::query::{Arg, Sql, get};

/// Rows per delete statement.
const CHUNK: i64 = 5_000;
const DAY_MS: i64 = 86_400_000;

/// One table's retention: its time column and which rows may go at all.
struct Table {
    name: &'static str,
    /// Time a row is judged by, for `max_rows` (newest kept).
    time: &'static str,
    /// Age: the time compared with the cutoff.
    age: &'static str,
    /// Rows that may be deleted at all (`$NOW` is replaced by the bound now).
    deletable: Option<&'static str>,
}

const INCIDENTS: Table = Table {
    name: "incidents",
    time: "last_seen",
    age: "last_seen",
    deletable: None,
};
const BANS: Table = Table {
    name: "bans",
    time: "created_at",
    // NULL for a permanent unlifted ban: never older than the cutoff.
    age: "COALESCE(lifted_at, expires_at)",
    deletable: Some("(lifted_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= $NOW))"),
};
const GHOST_CALLS: Table = Table {
    name: "ghost_calls",
    time: "time",
    age: "time",
    deletable: None,
};

impl Store {
    /// Deletes incidents last seen more than `incidents_days` before `now`,
    /// bans lifted or expired more than `bans_days` before `now`, ghost
    /// calls older than `ghost_calls_days`, then the oldest rows of each
    /// table beyond `max_rows` (never an active ban). Returns the counts.
    ///
    /// # Errors
    /// [`StoreError::Query`]; rows deleted before the error stay deleted.
    pub async fn prune(&self, now: UnixMillis, r: &Retention) -> Result<Pruned> {
        Ok(Pruned {
            incidents: self
                .prune_table(&INCIDENTS, now, r.incidents_days, r.max_rows)
                .await?,
            bans: self
                .prune_table(&BANS, now, r.bans_days, r.max_rows)
                .await?,
            ghost_calls: self
                .prune_table(&GHOST_CALLS, now, r.ghost_calls_days, r.max_rows)
                .await?,
        })
    }

    async fn prune_table(
        &self,
        t: &Table,
        now: UnixMillis,
        days: u32,
        max_rows: u64,
    ) -> Result<u64> {
        const OP: &str = "prune";
        let cutoff = now.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
        let deletable = |sql: &mut Sql| {
            if let Some(d) = t.deletable {
                let (head, tail) = d.split_once("$NOW").unwrap_or((d, ""));
                sql.push(" AND ").push(head).bind(Arg::I64(now)).push(tail);
            }
        };
        let mut deleted = self
            .delete_chunked(t, |sql| {
                sql.push(t.age).push(" < ").bind(Arg::I64(cutoff));
                deletable(sql);
            })
            .await?;
        // The newest `max_rows` deletable rows stay; find the first one past them.
        let mut sql = Sql::new(&format!(
            "SELECT {} AS t, id FROM {} WHERE 1 = 1",
            t.time, t.name
        ));
        deletable(&mut sql);
        sql.push(&format!(" ORDER BY {} DESC, id DESC", t.time));
        sql.push(" LIMIT 1 OFFSET ")
            .bind(Arg::I64(i64::try_from(max_rows).unwrap_or(i64::MAX)));
        let edge = sql.fetch_optional(self.pool(), OP).await?;
        if let Some(row) = edge {
            let time: i64 = get(&row, OP, "t")?;
            let id: i64 = get(&row, OP, "id")?;
            deleted += self
                .delete_chunked(t, |sql| {
                    sql.push("(").push(t.time).push(" < ").bind(Arg::I64(time));
                    sql.push(" OR (")
                        .push(t.time)
                        .push(" = ")
                        .bind(Arg::I64(time));
                    sql.push(" AND id <= ").bind(Arg::I64(id)).push("))");
                    deletable(sql);
                })
                .await?;
        }
        Ok(deleted)
    }

    /// `DELETE FROM t WHERE <cond>`, [`CHUNK`] rows per statement.
    async fn delete_chunked(&self, t: &Table, cond: impl Fn(&mut Sql)) -> Result<u64> {
        let mut sql = Sql::new(&format!(
            "DELETE FROM {0} WHERE id IN (SELECT id FROM {0} WHERE ",
            t.name
        ));
        cond(&mut sql);
        sql.push(" LIMIT ").bind(Arg::I64(CHUNK)).push(")");
        let mut total = 0;
        loop {
            let done = sql.execute(self.pool(), "prune").await?;
            total += done.rows_affected();
            if done.rows_affected() < CHUNK.unsigned_abs() {
                return Ok(total);
            }
        }
    }
}
