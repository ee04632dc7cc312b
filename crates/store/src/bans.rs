//! Bans: the record of who was blocked, by whom, until when, and when it
//! was lifted. The firewall enforces them; this is the history.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::{Result, StoreError};
use crate::model::{Backend, Ban, BanRecorded, NewBan, UnixMillis};
use crate::query::{Arg, BanQuery, Sql, get, get_target, get_u64};
use crate::target::BanTarget;
use crate::{Store, validate};

const COLUMNS: &str =
    "id, site, ip, reason, origin, actor, created_at, expires_at, lifted_at, lifted_by";

/// `expires_at IS NULL OR expires_at > $now`, not lifted.
const ACTIVE: &str = "lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ";

impl Store {
    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write cannot fail with "database
    /// is locked" halfway; it waits up to the busy timeout instead.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend() {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        }
    }

    /// Records a ban. When the address already has an active ban on this
    /// site, that ban is extended instead (the later expiry wins, `None`
    /// beats all) and `new` is `false`, so a restarted guard re-applying its
    /// bans does not inflate the history.
    ///
    /// # Errors
    /// [`StoreError::Invalid`], [`StoreError::Query`].
    pub async fn record_ban(&self, ban: &NewBan) -> Result<BanRecorded> {
        const OP: &str = "record_ban";
        let err = StoreError::query(OP);
        let site = validate::ident("site", &ban.site)?;
        let actor = validate::ident("actor", &ban.actor)?;
        let reason = validate::text(&ban.reason);
        let ip = ban.ip.to_string();
        // An older row may hold an IPv4 address in its IPv4-mapped form.
        let texts = ban.ip.stored_texts();
        let old_form = texts.last().unwrap_or(&ip);
        let mut tx = self.begin_write().await.map_err(err)?;
        let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, expires_at FROM bans WHERE site = $1 AND ip IN ($2, $4) \
             AND {ACTIVE}$3) ORDER BY id DESC LIMIT 1"
        )))
        .bind(site)
        .bind(ip.as_str())
        .bind(ban.created_at)
        .bind(old_form.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::query(OP))?;
        let out = if let Some(row) = existing {
            let id: i64 = row.try_get("id").map_err(StoreError::query(OP))?;
            let old: Option<i64> = row.try_get("expires_at").map_err(StoreError::query(OP))?;
            let expires = match (old, ban.expires_at) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            sqlx::query("UPDATE bans SET expires_at = $1 WHERE id = $2")
                .bind(expires)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(OP))?;
            BanRecorded {
                id,
                new: false,
                expires_at: expires,
            }
        } else {
            let row = sqlx::query(
                "INSERT INTO bans (site, ip, reason, origin, actor, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(site)
            .bind(ip.as_str())
            .bind(reason.as_ref())
            .bind(ban.origin.as_str())
            .bind(actor)
            .bind(ban.created_at)
            .bind(ban.expires_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query(OP))?;
            let id = row.try_get(0).map_err(StoreError::query(OP))?;
            BanRecorded {
                id,
                new: true,
                expires_at: ban.expires_at,
            }
        };
        tx.commit().await.map_err(StoreError::query(OP))?;
        Ok(out)
    }

    /// Lifts the active bans on `site` about `target` at `at`: its own
    /// ban and, for a network, the bans inside it. Only when neither
    /// exists, the bans of the networks around it (lifting an address
    /// inside an automatic /64 ban lifts that /64); a wider ban that an
    /// operator made on purpose stays when the narrower one is lifted.
    /// Returns what was lifted.
    ///
    /// # Errors
    /// [`StoreError::Invalid`], [`StoreError::Query`].
    pub async fn lift_ban(
        &self,
        site: &str,
        target: impl Into<BanTarget>,
        actor: &str,
        at: UnixMillis,
    ) -> Result<Vec<BanTarget>> {
        const OP: &str = "lift_ban";
        let site = validate::ident("site", site)?;
        let actor = validate::ident("actor", actor)?;
        let target = target.into();
        let mut sql = Sql::new("SELECT id, ip FROM bans WHERE site = ");
        sql.bind(Arg::Text(site.to_owned()));
        // Covering bans by their text; bans inside a network only by
        // reading the site's active bans (bounded by retention).
        if target.is_host() {
            sql.in_text("ip", &target.covering_texts());
        }
        sql.push(" AND ").push(ACTIVE).bind(Arg::I64(at)).push(")");
        let mut tx = self.begin_write().await.map_err(StoreError::query(OP))?;
        let rows = sql.fetch_all_in(&mut tx, OP).await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let ip = get_target(row, OP, "ip")?;
            if ip.overlaps(target) {
                found.push((get::<i64>(row, OP, "id")?, ip));
            }
        }
        // Its own and those inside it; else those around it.
        let inside = |ip: &BanTarget| target.net().contains(&ip.net());
        if found.iter().any(|(_, ip)| inside(ip)) {
            found.retain(|(_, ip)| inside(ip));
        }
        let mut lifted = Vec::new();
        for (id, ip) in found {
            sqlx::query("UPDATE bans SET lifted_at = $1, lifted_by = $2 WHERE id = $3")
                .bind(at)
                .bind(actor)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(OP))?;
            if !lifted.contains(&ip) {
                lifted.push(ip);
            }
        }
        tx.commit().await.map_err(StoreError::query(OP))?;
        Ok(lifted)
    }

    /// Every ban of `site` in force at `now`, oldest first (what a starting
    /// guard loads into its firewall). Bounded by the retention's
    /// `max_rows`.
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn active_bans(&self, site: &str, now: UnixMillis) -> Result<Vec<Ban>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM bans WHERE site = "));
        sql.bind(Arg::Text(site.to_owned()));
        sql.push(" AND ").push(ACTIVE).bind(Arg::I64(now)).push(")");
        sql.push(" ORDER BY created_at, id");
        let rows = sql.fetch_all(self.pool(), "active_bans").await?;
        rows.iter().map(ban_from_row).collect()
    }

    /// Bans matching `q`, newest first; with `active_at: None` the history
    /// (lifted and expired bans too).
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn bans(&self, q: &BanQuery) -> Result<Vec<Ban>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM bans WHERE 1 = 1"));
        sql.eq_text("site", q.site.as_deref())
            .in_text(
                "ip",
                &q.ip.map(BanTarget::covering_texts).unwrap_or_default(),
            )
            .cmp_i64("created_at", ">=", q.since)
            .cmp_i64("created_at", "<", q.until);
        if let Some(at) = q.active_at {
            sql.push(" AND ").push(ACTIVE).bind(Arg::I64(at)).push(")");
        }
        sql.push(" ORDER BY created_at DESC, id DESC");
        sql.page(q.limit, q.offset);
        let rows = sql.fetch_all(self.pool(), "bans").await?;
        rows.iter().map(ban_from_row).collect()
    }

    /// How many bans `target` (this address or network exactly) got since
    /// `since` (on `site`, or on every site), for escalating the ban time of
    /// repeat offenders.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn ban_history_count(
        &self,
        site: Option<&str>,
        target: impl Into<BanTarget>,
        since: UnixMillis,
    ) -> Result<u64> {
        let mut sql = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM bans WHERE 1 = 1");
        sql.in_text("ip", &target.into().stored_texts())
            .eq_text("site", site)
            .cmp_i64("created_at", ">=", Some(since));
        let row = sql.fetch_one(self.pool(), "ban_history_count").await?;
        get_u64(&row, "ban_history_count", "n")
    }

    /// Bans of `site` lifted at or after `since`, oldest lift first (how a
    /// running guard learns that an operator lifted a ban). At most
    /// `limit` rows.
    ///
    /// # Errors
    /// [`StoreError::Query`], [`StoreError::Corrupt`].
    pub async fn lifted_since(
        &self,
        site: &str,
        since: UnixMillis,
        limit: u32,
    ) -> Result<Vec<Ban>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM bans WHERE site = "));
        sql.bind(Arg::Text(site.to_owned()));
        sql.cmp_i64("lifted_at", ">=", Some(since));
        sql.push(" ORDER BY lifted_at, id");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), "lifted_since").await?;
        rows.iter().map(ban_from_row).collect()
    }
}

impl Store {
    /// Bans with ids above `id`, oldest first (for alerts).
    pub(crate) async fn bans_after(&self, id: i64, limit: u32) -> Result<Vec<Ban>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM bans WHERE id > "));
        sql.bind(Arg::I64(id)).push(" ORDER BY id");
        sql.page(limit, 0);
        let rows = sql.fetch_all(self.pool(), "bans_after").await?;
        rows.iter().map(ban_from_row).collect()
    }
}

fn ban_from_row(row: &AnyRow) -> Result<Ban> {
    const OP: &str = "bans";
    let origin: String = get(row, OP, "origin")?;
    Ok(Ban {
        id: get(row, OP, "id")?,
        site: get(row, OP, "site")?,
        ip: get_target(row, OP, "ip")?,
        reason: get(row, OP, "reason")?,
        origin: origin.parse().map_err(|()| StoreError::Corrupt {
            op: OP,
            column: "origin",
            value: origin.clone(),
        })?,
        actor: get(row, OP, "actor")?,
        created_at: get(row, OP, "created_at")?,
        expires_at: get(row, OP, "expires_at")?,
        lifted_at: get(row, OP, "lifted_at")?,
        lifted_by: get(row, OP, "lifted_by")?,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::BanOrigin;

    #[test]
    fn origins_round_trip() {
        for o in [BanOrigin::Auto, BanOrigin::Manual, BanOrigin::Import] {
            assert_eq!(o.as_str().parse::<BanOrigin>(), Ok(o));
        }
        assert!("root".parse::<BanOrigin>().is_err());
    }
}
