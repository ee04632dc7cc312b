//! Bans: record, extend, lift, expire, history, escalation counts.

use ghostguard_store::{BanOrigin, BanQuery, BanTarget, NewBan, StoreError};

use crate::{DAY, Db, HOUR, T0, battery, ip};

battery!(
    ban_lifecycle,
    rebanning_extends_the_active_ban,
    ban_history_counts_repeat_offenders,
    ban_queries_filter_history,
    ban_input_is_checked,
    prefix_bans_are_found_and_lifted_by_any_address_inside,
    lifting_takes_the_exact_ban_before_a_wider_one,
    old_ipv4_mapped_rows_are_found_extended_and_lifted,
);

fn ban(site: &str, addr: &str, at: i64, ttl: Option<i64>) -> NewBan {
    NewBan {
        site: site.into(),
        ip: target(addr),
        reason: "scanner: friendly-scanner".into(),
        origin: BanOrigin::Auto,
        actor: "ghostguard".into(),
        created_at: at,
        expires_at: ttl.map(|t| at + t),
    }
}

async fn ban_lifecycle(db: Db) {
    let store = db.open().await;
    let a = store
        .record_ban(&ban("edge", "203.0.113.5", T0, Some(HOUR)))
        .await
        .unwrap();
    assert!(a.new);
    let mut manual = ban("edge", "198.51.100.9", T0 + 1, None);
    manual.origin = BanOrigin::Manual;
    manual.actor = "alice".into();
    store.record_ban(&manual).await.unwrap();
    store
        .record_ban(&ban("core", "192.0.2.1", T0, None))
        .await
        .unwrap();

    let active = store.active_bans("edge", T0 + 10).await.unwrap();
    assert_eq!(active.len(), 2);
    assert_eq!(active[0].ip, ip("203.0.113.5"));
    assert_eq!(active[0].origin, BanOrigin::Auto);
    assert_eq!(active[0].expires_at, Some(T0 + HOUR));
    assert_eq!(active[1].origin, BanOrigin::Manual);
    assert_eq!(active[1].actor, "alice");
    assert_eq!(active[1].expires_at, None);
    assert!(active.iter().all(|b| b.is_active(T0 + 10)));

    // expiry
    let later = store.active_bans("edge", T0 + HOUR).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].ip, ip("198.51.100.9"));

    // lift
    assert!(
        !store
            .lift_ban("edge", ip("198.51.100.9"), "bob", T0 + 2 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lift_ban("edge", ip("198.51.100.9"), "bob", T0 + 3 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    // a running guard learns of the lift
    let lifted = store.lifted_since("edge", T0 + 2 * HOUR, 10).await.unwrap();
    assert_eq!(lifted.len(), 1);
    assert_eq!(lifted[0].ip, ip("198.51.100.9"));
    assert_eq!(lifted[0].lifted_by.as_deref(), Some("bob"));
    assert!(
        store
            .lifted_since("edge", T0 + 2 * HOUR + 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.lifted_since("core", 0, 10).await.unwrap().is_empty());
    // an expired ban cannot be lifted; a ban on another site is untouched
    assert!(
        store
            .lift_ban("edge", ip("203.0.113.5"), "bob", T0 + 2 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lift_ban("edge", ip("192.0.2.1"), "bob", T0 + 2 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .active_bans("edge", T0 + 2 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .active_bans("core", T0 + 2 * HOUR)
            .await
            .unwrap()
            .len(),
        1
    );

    let history = store
        .bans(&BanQuery {
            ip: Some(ip("198.51.100.9").into()),
            ..BanQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].lifted_at, Some(T0 + 2 * HOUR));
    assert_eq!(history[0].lifted_by.as_deref(), Some("bob"));
    assert!(!history[0].is_active(T0 + 2 * HOUR));
}

async fn rebanning_extends_the_active_ban(db: Db) {
    let store = db.open().await;
    let first = store
        .record_ban(&ban("edge", "203.0.113.5", T0, Some(HOUR)))
        .await
        .unwrap();
    let again = store
        .record_ban(&ban("edge", "203.0.113.5", T0 + 60_000, Some(HOUR)))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert!(!again.new);
    let shorter = store
        .record_ban(&ban("edge", "203.0.113.5", T0 + 120_000, Some(1)))
        .await
        .unwrap();
    assert!(!shorter.new);
    let b = &store.active_bans("edge", T0 + 200_000).await.unwrap()[0];
    assert_eq!(
        b.expires_at,
        Some(T0 + 60_000 + HOUR),
        "the later expiry wins"
    );
    store
        .record_ban(&ban("edge", "203.0.113.5", T0 + 180_000, None))
        .await
        .unwrap();
    let b = &store.active_bans("edge", T0 + 200_000).await.unwrap()[0];
    assert_eq!(b.expires_at, None, "a permanent ban beats any expiry");
    assert_eq!(
        store
            .ban_history_count(None, ip("203.0.113.5"), 0)
            .await
            .unwrap(),
        1
    );

    // after a lift, a new ban is a new row
    store
        .lift_ban("edge", ip("203.0.113.5"), "alice", T0 + HOUR)
        .await
        .unwrap();
    let fresh = store
        .record_ban(&ban("edge", "203.0.113.5", T0 + 2 * HOUR, Some(HOUR)))
        .await
        .unwrap();
    assert!(fresh.new);
    assert_ne!(fresh.id, first.id);
}

async fn ban_history_counts_repeat_offenders(db: Db) {
    let store = db.open().await;
    for day in 0..4 {
        store
            .record_ban(&ban("edge", "203.0.113.5", T0 + day * DAY, Some(HOUR)))
            .await
            .unwrap();
    }
    store
        .record_ban(&ban("core", "203.0.113.5", T0, Some(HOUR)))
        .await
        .unwrap();
    store
        .record_ban(&ban("edge", "203.0.113.6", T0, Some(HOUR)))
        .await
        .unwrap();
    let a = ip("203.0.113.5");
    assert_eq!(
        store.ban_history_count(Some("edge"), a, T0).await.unwrap(),
        4
    );
    assert_eq!(
        store
            .ban_history_count(Some("edge"), a, T0 + 2 * DAY)
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.ban_history_count(None, a, T0).await.unwrap(), 5);
    assert_eq!(
        store
            .ban_history_count(None, ip("192.0.2.1"), 0)
            .await
            .unwrap(),
        0
    );
}

async fn ban_queries_filter_history(db: Db) {
    let store = db.open().await;
    for i in 0..6i64 {
        let site = if i < 4 { "edge" } else { "core" };
        store
            .record_ban(&ban(
                site,
                &format!("192.0.2.{i}"),
                T0 + i * HOUR,
                Some(2 * HOUR),
            ))
            .await
            .unwrap();
    }
    let all = store.bans(&BanQuery::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].ip, ip("192.0.2.5"), "newest first");
    let active = BanQuery {
        active_at: Some(T0 + 3 * HOUR + 1),
        site: Some("edge".into()),
        ..BanQuery::default()
    };
    let got: Vec<_> = store
        .bans(&active)
        .await
        .unwrap()
        .iter()
        .map(|b| b.ip)
        .collect();
    assert_eq!(got, [ip("192.0.2.3"), ip("192.0.2.2")]);
    let window = BanQuery {
        since: Some(T0 + HOUR),
        until: Some(T0 + 3 * HOUR),
        ..BanQuery::default()
    };
    let got: Vec<_> = store
        .bans(&window)
        .await
        .unwrap()
        .iter()
        .map(|b| b.ip)
        .collect();
    assert_eq!(got, [ip("192.0.2.2"), ip("192.0.2.1")]);
    let page = BanQuery {
        limit: 2,
        offset: 4,
        ..BanQuery::default()
    };
    let got: Vec<_> = store
        .bans(&page)
        .await
        .unwrap()
        .iter()
        .map(|b| b.ip)
        .collect();
    assert_eq!(got, [ip("192.0.2.1"), ip("192.0.2.0")]);
}

async fn ban_input_is_checked(db: Db) {
    let store = db.open().await;
    let mut b = ban("edge", "192.0.2.1", T0, None);
    b.actor = String::new();
    assert!(matches!(
        store.record_ban(&b).await,
        Err(StoreError::Invalid { field: "actor", .. })
    ));
    assert!(matches!(
        store.lift_ban("", ip("192.0.2.1"), "bob", T0).await,
        Err(StoreError::Invalid { field: "site", .. })
    ));
    let mut b = ban("edge", "192.0.2.1", T0, None);
    b.reason = "r".repeat(100_000);
    store.record_ban(&b).await.unwrap();
    let got = store.bans(&BanQuery::default()).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].reason.len(), ghostguard_store::MAX_TEXT);
}

fn target(s: &str) -> BanTarget {
    s.parse().unwrap()
}

async fn prefix_bans_are_found_and_lifted_by_any_address_inside(db: Db) {
    let store = db.open().await;
    for (addr, at) in [
        ("2001:db8:1:2::/64", T0),
        ("2001:db8:1:3::5", T0 + 1),
        ("203.0.113.5", T0 + 2),
    ] {
        store
            .record_ban(&ban("edge", addr, at, Some(HOUR)))
            .await
            .unwrap();
    }
    // Banning the /64 again extends its row.
    let again = store
        .record_ban(&ban("edge", "2001:db8:1:2::77/64", T0 + 3, Some(2 * HOUR)))
        .await
        .unwrap();
    assert!(!again.new, "host bits do not make another network");
    let active = store.active_bans("edge", T0 + 10).await.unwrap();
    let shown: Vec<String> = active.iter().map(|b| b.ip.to_string()).collect();
    assert_eq!(
        shown,
        ["2001:db8:1:2::/64", "2001:db8:1:3::5", "203.0.113.5"],
        "networks as networks, addresses as before"
    );
    let covering = |q: &str| {
        let store = &store;
        let q = target(q);
        async move {
            store
                .bans(&BanQuery {
                    ip: Some(q),
                    ..BanQuery::default()
                })
                .await
                .unwrap()
                .into_iter()
                .map(|b| b.ip.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        covering("2001:db8:1:2:aaaa::1").await,
        ["2001:db8:1:2::/64"]
    );
    assert_eq!(covering("2001:db8:1:2::/64").await, ["2001:db8:1:2::/64"]);
    assert!(covering("2001:db8:1:4::1").await.is_empty());
    assert_eq!(covering("203.0.113.5").await, ["203.0.113.5"]);
    assert_eq!(
        store
            .ban_history_count(Some("edge"), target("2001:db8:1:2::/64"), 0)
            .await
            .unwrap(),
        1
    );

    // Lifting an address inside lifts its /64.
    let lifted = store
        .lift_ban("edge", ip("2001:db8:1:2::abcd"), "bob", T0 + 20)
        .await
        .unwrap();
    assert_eq!(lifted, [target("2001:db8:1:2::/64")]);
    // Lifting a network lifts the bans inside it.
    let lifted = store
        .lift_ban("edge", target("2001:db8:1::/48"), "bob", T0 + 21)
        .await
        .unwrap();
    assert_eq!(lifted, [target("2001:db8:1:3::5")]);
    let left: Vec<String> = store
        .active_bans("edge", T0 + 30)
        .await
        .unwrap()
        .iter()
        .map(|b| b.ip.to_string())
        .collect();
    assert_eq!(left, ["203.0.113.5"]);
}

async fn lifting_takes_the_exact_ban_before_a_wider_one(db: Db) {
    let store = db.open().await;
    for (addr, at) in [
        ("2001:db8:7::/48", T0),
        ("2001:db8:7:1::5", T0 + 1),
        ("2001:db8:7:1::/64", T0 + 2),
        ("2001:db8:7:1:2::/80", T0 + 3),
    ] {
        store
            .record_ban(&ban("edge", addr, at, Some(HOUR)))
            .await
            .unwrap();
    }
    let left = |at: i64| {
        let store = &store;
        async move {
            let mut v: Vec<String> = store
                .active_bans("edge", at)
                .await
                .unwrap()
                .iter()
                .map(|b| b.ip.to_string())
                .collect();
            v.sort();
            v
        }
    };
    // The address's own ban only: the /64 and the operator's /48 stay.
    let lifted = store
        .lift_ban("edge", ip("2001:db8:7:1::5"), "bob", T0 + 10)
        .await
        .unwrap();
    assert_eq!(lifted, [target("2001:db8:7:1::5")]);
    // The /64's own ban and the /80 inside it; not the /48 around it.
    let lifted = store
        .lift_ban("edge", target("2001:db8:7:1::/64"), "bob", T0 + 11)
        .await
        .unwrap();
    assert_eq!(
        lifted,
        [target("2001:db8:7:1::/64"), target("2001:db8:7:1:2::/80")]
    );
    assert_eq!(left(T0 + 12).await, ["2001:db8:7::/48"]);
    // No ban of its own: the ban around it goes.
    let lifted = store
        .lift_ban("edge", ip("2001:db8:7:9::1"), "bob", T0 + 13)
        .await
        .unwrap();
    assert_eq!(lifted, [target("2001:db8:7::/48")]);
    assert!(left(T0 + 14).await.is_empty());
}

async fn old_ipv4_mapped_rows_are_found_extended_and_lifted(db: Db) {
    drop(db.open().await);
    // As an older version wrote an IPv4 source seen on a dual-stack socket.
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO bans (site, ip, reason, origin, actor, created_at, expires_at) \
         VALUES ('edge', '::ffff:198.51.100.77', 'scan', 'auto', 'ghostguard', $1, $2)",
    )
    .bind(T0)
    .bind(T0 + HOUR)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let store = db.open().await;
    let query = BanQuery {
        ip: Some(ip("198.51.100.77").into()),
        ..BanQuery::default()
    };
    let found = store.bans(&query).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].ip.to_string(), "198.51.100.77");
    assert_eq!(
        store
            .ban_history_count(Some("edge"), ip("198.51.100.77"), 0)
            .await
            .unwrap(),
        1
    );
    let again = store
        .record_ban(&ban("edge", "198.51.100.77", T0 + 5, Some(2 * HOUR)))
        .await
        .unwrap();
    assert!(!again.new, "the old row is extended");
    let lifted = store
        .lift_ban("edge", ip("198.51.100.77"), "bob", T0 + 10)
        .await
        .unwrap();
    assert_eq!(lifted, [target("198.51.100.77")]);
    assert!(store.active_bans("edge", T0 + 11).await.unwrap().is_empty());
}
