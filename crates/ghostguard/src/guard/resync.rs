//! Bans made outside the daemon (an operator's `bans add` on another host,
//! the dashboard, an imported blocklist) and their renewals reach this
//! kernel: every minute the store's active bans are compared with what the
//! daemon last applied. The per-second poll sees only the newest 1,000 new
//! rows; an import of more rows at once, or an import renewing its bans
//! (it extends the rows' end instead of adding rows), is caught here.
//!
//! DoS: one entry per active ban of the site that the daemon did not make;
//! rows no longer active are forgotten at each comparison.

use std::collections::{HashMap, HashSet};

use ghostguard_store::{Ban, BanOrigin};

/// How often the whole list is compared (seconds of the daemon's tick).
pub(crate) const EVERY_TICKS: u64 = 60;

/// The end of each outside ban as last applied, by store id.
#[derive(Debug, Default)]
pub(crate) struct Synced {
    applied: HashMap<i64, Option<i64>>,
}

impl Synced {
    /// Records bans applied another way (restored at start, or found by
    /// the per-second poll), so the next comparison does not apply them
    /// again.
    pub(crate) fn note(&mut self, b: &Ban) {
        if b.origin != BanOrigin::Auto {
            self.applied.insert(b.id, b.expires_at);
        }
    }

    /// Of the site's active bans `list`, those not made by the daemon that
    /// are new or end later than when last applied; forgets the rest.
    pub(crate) fn changes<'a>(&mut self, list: &'a [Ban]) -> Vec<&'a Ban> {
        let live: HashSet<i64> = list.iter().map(|b| b.id).collect();
        self.applied.retain(|id, _| live.contains(id));
        list.iter()
            .filter(|b| b.origin != BanOrigin::Auto)
            .filter(|b| self.applied.insert(b.id, b.expires_at) != Some(b.expires_at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(id: i64, origin: BanOrigin, expires_at: Option<i64>) -> Ban {
        Ban {
            id,
            site: "s".into(),
            ip: format!("198.51.100.{}", id % 250)
                .parse::<std::net::IpAddr>()
                .unwrap()
                .into(),
            reason: "r".into(),
            origin,
            actor: "a".into(),
            created_at: 0,
            expires_at,
            lifted_at: None,
            lifted_by: None,
        }
    }

    #[test]
    fn new_and_renewed_outside_bans_are_applied_once() {
        let mut s = Synced::default();
        // 1,500 imported rows at once, one operator ban, one of the daemon's own.
        let mut list: Vec<Ban> = (1..=1_500)
            .map(|id| ban(id, BanOrigin::Import, Some(1_000)))
            .collect();
        list.push(ban(2_000, BanOrigin::Manual, None));
        list.push(ban(3_000, BanOrigin::Auto, Some(1_000)));
        s.note(&list[0]); // the per-second poll already applied this one
        let first = s.changes(&list);
        assert_eq!(
            first.len(),
            1_500,
            "all but the noted one and the daemon's own"
        );
        assert!(
            first
                .iter()
                .all(|b| b.origin != BanOrigin::Auto && b.id != 1)
        );
        assert!(s.changes(&list).is_empty(), "nothing changed");
        // The next import renews row 7; row 9 was lifted (no longer active).
        list[6].expires_at = Some(5_000);
        list.remove(8);
        let again = s.changes(&list);
        assert_eq!(again.iter().map(|b| b.id).collect::<Vec<_>>(), vec![7]);
        assert_eq!(s.applied.len(), 1_500, "the lifted row is forgotten");
        // A lifted row that comes back (banned again) is applied again.
        list.push(ban(9, BanOrigin::Import, Some(1_000)));
        assert_eq!(s.changes(&list).len(), 1);
    }
}
