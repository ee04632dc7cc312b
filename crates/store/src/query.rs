//! Read queries (filters and pages) and the small SQL builder behind them.
//!
//! Filters become `AND col = $N` clauses with bound values, never text
//! pasted into SQL.

use std::net::IpAddr;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, AssertSqlSafe, Row};

use crate::error::{Result, StoreError};
use crate::model::UnixMillis;
use crate::target::BanTarget;
use crate::validate;

/// Filter and page for [`crate::Store::incidents`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentQuery {
    pub site: Option<String>,
    pub source: Option<IpAddr>,
    pub kind: Option<String>,
    /// Incidents still seen at or after this time (`last_seen >= since`).
    pub since: Option<UnixMillis>,
    /// Incidents first seen before this time (`first_seen < until`).
    pub until: Option<UnixMillis>,
    /// Case-insensitive substring of source, kind, detector, code, evidence
    /// or vendor (ASCII case folding on SQLite).
    pub text: Option<String>,
    /// Page size, 1..=[`crate::MAX_LIMIT`].
    pub limit: u32,
    pub offset: u64,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        IncidentQuery {
            site: None,
            source: None,
            kind: None,
            since: None,
            until: None,
            text: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// Filter and page for [`crate::Store::bans`]; newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanQuery {
    pub site: Option<String>,
    /// Bans that cover this address or network: its own, and those of
    /// every network around it (the /64 ban of an address inside).
    pub ip: Option<BanTarget>,
    /// Only bans in force at this time; `None` includes lifted and expired
    /// ones (the history).
    pub active_at: Option<UnixMillis>,
    /// Created at or after.
    pub since: Option<UnixMillis>,
    /// Created before.
    pub until: Option<UnixMillis>,
    pub limit: u32,
    pub offset: u64,
}

impl Default for BanQuery {
    fn default() -> Self {
        BanQuery {
            site: None,
            ip: None,
            active_at: None,
            since: None,
            until: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// Filter and page for [`crate::Store::ghost_calls`]; newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhostCallQuery {
    pub site: Option<String>,
    pub phone: Option<IpAddr>,
    pub source: Option<IpAddr>,
    pub since: Option<UnixMillis>,
    pub until: Option<UnixMillis>,
    pub limit: u32,
    pub offset: u64,
}

impl Default for GhostCallQuery {
    fn default() -> Self {
        GhostCallQuery {
            site: None,
            phone: None,
            source: None,
            since: None,
            until: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// Filter and page for [`crate::Store::sources`]; most recently seen first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceQuery {
    pub site: Option<String>,
    /// Sources seen at or after this time.
    pub since: Option<UnixMillis>,
    pub limit: u32,
    pub offset: u64,
}

impl Default for SourceQuery {
    fn default() -> Self {
        SourceQuery {
            site: None,
            since: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(i64),
    Text(String),
}

/// SQL text with `$N` placeholders and the values they stand for.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `$N` for `arg` (numbered in bind order).
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// `$N` of the last bound value, to use it again.
    pub(crate) fn last_placeholder(&self) -> String {
        format!("${}", self.args.len())
    }

    /// `AND <col> = $N` when `value` is set.
    pub(crate) fn eq_text(&mut self, col: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.push(" AND ").push(col).push(" = ");
            self.bind(Arg::Text(v.to_owned()));
        }
        self
    }

    /// `AND <col> IN ($N, ...)`; nothing when `values` is empty.
    pub(crate) fn in_text(&mut self, col: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        self.push(" AND ").push(col).push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::Text(v.clone()));
        }
        self.push(")")
    }

    /// `AND <col> <op> $N` when `value` is set.
    pub(crate) fn cmp_i64(&mut self, col: &str, op: &str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            self.push(" AND ").push(col).push(" ").push(op).push(" ");
            self.bind(Arg::I64(v));
        }
        self
    }

    /// ` LIMIT $N OFFSET $M`.
    pub(crate) fn page(&mut self, limit: u32, offset: u64) -> &mut Self {
        self.push(" LIMIT ");
        self.bind(Arg::I64(validate::limit(limit)));
        self.push(" OFFSET ");
        self.bind(Arg::I64(i64::try_from(offset).unwrap_or(i64::MAX)));
        self
    }

    pub(crate) async fn fetch_all(&self, pool: &AnyPool, op: &'static str) -> Result<Vec<AnyRow>> {
        self.query()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query(op))
    }

    /// Rows inside a transaction.
    pub(crate) async fn fetch_all_in(
        &self,
        tx: &mut sqlx::Transaction<'static, Any>,
        op: &'static str,
    ) -> Result<Vec<AnyRow>> {
        self.query()
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::query(op))
    }

    pub(crate) async fn fetch_one(&self, pool: &AnyPool, op: &'static str) -> Result<AnyRow> {
        self.query()
            .fetch_one(pool)
            .await
            .map_err(StoreError::query(op))
    }

    pub(crate) async fn fetch_optional(
        &self,
        pool: &AnyPool,
        op: &'static str,
    ) -> Result<Option<AnyRow>> {
        self.query()
            .fetch_optional(pool)
            .await
            .map_err(StoreError::query(op))
    }

    pub(crate) async fn execute(&self, pool: &AnyPool, op: &'static str) -> Result<AnyQueryResult> {
        self.query()
            .execute(pool)
            .await
            .map_err(StoreError::query(op))
    }

    fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.as_str()));
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// Reads a text column holding an address.
pub(crate) fn get_ip(row: &AnyRow, op: &'static str, column: &'static str) -> Result<IpAddr> {
    let s: String = row.try_get(column).map_err(StoreError::query(op))?;
    s.parse().map_err(|_| StoreError::Corrupt {
        op,
        column,
        value: s,
    })
}

/// Reads a text column holding a ban's address or network.
pub(crate) fn get_target(
    row: &AnyRow,
    op: &'static str,
    column: &'static str,
) -> Result<BanTarget> {
    let s: String = row.try_get(column).map_err(StoreError::query(op))?;
    s.parse().map_err(|_| StoreError::Corrupt {
        op,
        column,
        value: s,
    })
}

/// Reads a BIGINT column that must not be negative.
pub(crate) fn get_u64(row: &AnyRow, op: &'static str, column: &'static str) -> Result<u64> {
    let v: i64 = row.try_get(column).map_err(StoreError::query(op))?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        op,
        column,
        value: v.to_string(),
    })
}

/// Reads a column by name.
pub(crate) fn get<'r, T>(row: &'r AnyRow, op: &'static str, column: &'static str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(column).map_err(StoreError::query(op))
}

/// Reads a SMALLINT 0/1 column.
pub(crate) fn get_bool(row: &AnyRow, op: &'static str, column: &'static str) -> Result<bool> {
    let v: i16 = get(row, op, column)?;
    Ok(v != 0)
}
