//! Ghost calls, heartbeats, totals, activity, retention, opening.

use ghostguard_store::{
    Backend, BanQuery, GhostCallQuery, Heartbeat, IncidentQuery, NewGhostCall, Retention,
    SCHEMA_VERSION, Store, StoreError, StoreOptions,
};

use crate::{DAY, Db, HOUR, T0, battery, incident, ip};

battery!(
    opening_twice_migrates_once,
    concurrent_first_opens_agree,
    newer_schema_is_refused,
    ghost_calls_are_recorded_and_queried,
    heartbeats_replace_per_site,
    totals_and_activity_buckets,
    prune_by_age_keeps_active_bans,
    prune_caps_rows,
    two_handles_write_at_once,
);

async fn opening_twice_migrates_once(db: Db) {
    let a = db.open().await;
    a.record_incident(&incident("edge", "192.0.2.1", "x", T0))
        .await
        .unwrap();
    let b = db.open().await;
    let h = b.health().await.unwrap();
    assert_eq!(h.schema_version, SCHEMA_VERSION);
    let expected = if db.url.starts_with("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(h.backend, expected);
    assert_eq!(
        b.count_incidents(&IncidentQuery::default()).await.unwrap(),
        1
    );
    let rows: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ghostguard_schema")
        .fetch_one(&sqlx::AnyPool::connect(&db.url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows, SCHEMA_VERSION);
}

/// Guards starting at once on a fresh store: one migrates, the others
/// wait or retry, and all end up open on the same schema.
async fn concurrent_first_opens_agree(db: Db) {
    let opens = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { Store::open(&url, &StoreOptions::default()).await })
    });
    for h in opens.collect::<Vec<_>>() {
        let store = h.await.unwrap().unwrap();
        assert_eq!(store.health().await.unwrap().schema_version, SCHEMA_VERSION);
    }
}

async fn newer_schema_is_refused(db: Db) {
    drop(db.open().await);
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query("INSERT INTO ghostguard_schema (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(SCHEMA_VERSION + 1)
        .bind("from the future")
        .bind(T0)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    match Store::open(&db.url, &StoreOptions::default()).await {
        Err(e @ StoreError::SchemaTooNew { .. }) => assert!(e.to_string().contains("upgrade")),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

async fn ghost_calls_are_recorded_and_queried(db: Db) {
    let store = db.open().await;
    for i in 0..5i64 {
        let id = store
            .record_ghost_call(&NewGhostCall {
                site: "edge".into(),
                phone: ip(if i < 3 {
                    "192.168.1.20"
                } else {
                    "192.168.1.21"
                }),
                source: ip("203.0.113.5"),
                caller: if i == 0 {
                    "x\0".repeat(5_000)
                } else {
                    format!("10{i}")
                },
                dialled: (i % 2 == 0).then(|| "100".to_owned()),
                time: T0 + i * 1000,
                answered: i == 4,
            })
            .await
            .unwrap();
        assert!(id > 0);
    }
    let all = store.ghost_calls(&GhostCallQuery::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].time, T0 + 4000, "newest first");
    assert!(all[0].answered);
    assert_eq!(all[0].dialled.as_deref(), Some("100"));
    assert_eq!(all[1].dialled, None);
    assert!(all[4].caller.len() <= ghostguard_store::MAX_TEXT);
    assert!(!all[4].caller.contains('\0'));
    let phone = GhostCallQuery {
        phone: Some(ip("192.168.1.20")),
        since: Some(T0 + 1000),
        ..GhostCallQuery::default()
    };
    let got: Vec<_> = store
        .ghost_calls(&phone)
        .await
        .unwrap()
        .iter()
        .map(|c| c.time)
        .collect();
    assert_eq!(got, [T0 + 2000, T0 + 1000]);
    let none = GhostCallQuery {
        source: Some(ip("203.0.113.6")),
        ..GhostCallQuery::default()
    };
    assert!(store.ghost_calls(&none).await.unwrap().is_empty());
}

async fn heartbeats_replace_per_site(db: Db) {
    let store = db.open().await;
    let hb = |site: &str, at: i64, stats: &str| Heartbeat {
        site: site.into(),
        last_seen: at,
        version: "0.1.0".into(),
        stats: stats.into(),
    };
    store
        .write_heartbeat(&hb("edge", T0, r#"{"messages":1}"#))
        .await
        .unwrap();
    store.write_heartbeat(&hb("core", T0, "{}")).await.unwrap();
    store
        .write_heartbeat(&hb("edge", T0 + 30_000, r#"{"messages":9}"#))
        .await
        .unwrap();
    let all = store.heartbeats().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].site, "core");
    assert_eq!(all[1], hb("edge", T0 + 30_000, r#"{"messages":9}"#));
    assert_eq!(
        store.heartbeat("edge").await.unwrap().unwrap().last_seen,
        T0 + 30_000
    );
    assert!(store.heartbeat("nowhere").await.unwrap().is_none());
    assert!(matches!(
        store.write_heartbeat(&hb("edge", T0, "nope")).await,
        Err(StoreError::Invalid { field: "stats", .. })
    ));
}

async fn totals_and_activity_buckets(db: Db) {
    let store = db.open().await;
    // incidents first seen at hours 0, 0, 2 (site edge) and 1 (core)
    for (site, src, h) in [
        ("edge", "192.0.2.1", 0),
        ("edge", "192.0.2.2", 0),
        ("edge", "192.0.2.3", 2),
        ("core", "192.0.2.1", 1),
    ] {
        store
            .record_incident(&incident(site, src, "sig", T0 + h * HOUR + 5))
            .await
            .unwrap();
    }
    let ban = |addr: &str, at: i64| ghostguard_store::NewBan {
        site: "edge".into(),
        ip: ip(addr).into(),
        reason: "r".into(),
        origin: ghostguard_store::BanOrigin::Auto,
        actor: "ghostguard".into(),
        created_at: at,
        expires_at: Some(at + HOUR),
    };
    store
        .record_ban(&ban("192.0.2.1", T0 + HOUR))
        .await
        .unwrap();
    store
        .record_ban(&ban("192.0.2.2", T0 + 2 * HOUR))
        .await
        .unwrap();
    store
        .record_ghost_call(&NewGhostCall {
            site: "edge".into(),
            phone: ip("192.168.1.20"),
            source: ip("192.0.2.1"),
            caller: "100".into(),
            dialled: None,
            time: T0 + 2 * HOUR,
            answered: false,
        })
        .await
        .unwrap();

    let t = store.totals(None, T0 + 2 * HOUR + 1).await.unwrap();
    assert_eq!(
        (t.incidents, t.sources, t.active_bans, t.ghost_calls),
        (4, 3, 1, 1)
    );
    let t = store.totals(Some("core"), T0).await.unwrap();
    assert_eq!(
        (t.incidents, t.sources, t.active_bans, t.ghost_calls),
        (1, 1, 0, 0)
    );

    let b = store.activity(None, T0, T0 + 4 * HOUR, HOUR).await.unwrap();
    let got: Vec<_> = b
        .iter()
        .map(|b| (b.start - T0, b.incidents, b.bans, b.ghost_calls))
        .collect();
    assert_eq!(
        got,
        [
            (0, 2, 0, 0),
            (HOUR, 1, 1, 0),
            (2 * HOUR, 1, 1, 1),
            (3 * HOUR, 0, 0, 0)
        ]
    );
    let edge = store
        .activity(Some("edge"), T0, T0 + 2 * HOUR, HOUR)
        .await
        .unwrap();
    assert_eq!(edge.iter().map(|b| b.incidents).collect::<Vec<_>>(), [2, 0]);
    assert!(store.activity(None, T0, T0 + DAY * 1000, 1).await.is_err());
    assert!(store.activity(None, T0, T0 + HOUR, 0).await.is_err());
    assert!(store.activity(None, T0 + HOUR, T0, HOUR).await.is_err());
}

async fn prune_by_age_keeps_active_bans(db: Db) {
    let store = db.open().await;
    let now = T0 + 100 * DAY;
    store
        .record_incident(&incident("edge", "192.0.2.1", "old", T0))
        .await
        .unwrap();
    store
        .record_incident(&incident("edge", "192.0.2.2", "new", now - DAY))
        .await
        .unwrap();
    let ban = |addr: &str, at: i64, exp: Option<i64>| ghostguard_store::NewBan {
        site: "edge".into(),
        ip: ip(addr).into(),
        reason: "r".into(),
        origin: ghostguard_store::BanOrigin::Manual,
        actor: "alice".into(),
        created_at: at,
        expires_at: exp,
    };
    store
        .record_ban(&ban("192.0.2.10", T0, None))
        .await
        .unwrap(); // permanent: stays
    store
        .record_ban(&ban("192.0.2.11", T0, Some(T0 + DAY)))
        .await
        .unwrap(); // long expired: goes
    store
        .record_ban(&ban("192.0.2.12", T0, Some(now + DAY)))
        .await
        .unwrap(); // active: stays
    store
        .record_ban(&ban("192.0.2.13", T0, None))
        .await
        .unwrap();
    store
        .lift_ban("edge", ip("192.0.2.13"), "bob", now - 2 * DAY)
        .await
        .unwrap(); // lifted lately: stays
    let r = Retention {
        incidents_days: 30,
        bans_days: 30,
        ghost_calls_days: 30,
        max_rows: 1000,
    };
    let p = store.prune(now, &r).await.unwrap();
    assert_eq!((p.incidents, p.bans, p.ghost_calls), (1, 1, 0));
    let left: Vec<_> = store
        .incidents(&IncidentQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|i| i.code.clone())
        .collect();
    assert_eq!(left, ["new"]);
    let mut bans: Vec<_> = store
        .bans(&BanQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|b| b.ip)
        .collect();
    bans.sort();
    assert_eq!(bans, [ip("192.0.2.10"), ip("192.0.2.12"), ip("192.0.2.13")]);
    assert_eq!(
        store.prune(now, &r).await.unwrap(),
        ghostguard_store::Pruned::default()
    );
}

async fn prune_caps_rows(db: Db) {
    let store = db.open().await;
    let now = T0 + 10 * HOUR;
    for i in 0..12i64 {
        store
            .record_incident(&incident(
                "edge",
                &format!("192.0.2.{i}"),
                "c",
                T0 + i * 1000,
            ))
            .await
            .unwrap();
        store
            .record_ban(&ghostguard_store::NewBan {
                site: "edge".into(),
                ip: ip(&format!("198.51.100.{i}")).into(),
                reason: "r".into(),
                origin: ghostguard_store::BanOrigin::Auto,
                actor: "ghostguard".into(),
                created_at: T0 + i * 1000,
                // the 4 newest are still active at `now`
                expires_at: Some(if i >= 8 { now + HOUR } else { T0 + HOUR }),
            })
            .await
            .unwrap();
    }
    let r = Retention {
        max_rows: 5,
        ..Retention::default()
    };
    let p = store.prune(now, &r).await.unwrap();
    assert_eq!(p.incidents, 7);
    assert_eq!(p.bans, 3, "5 inactive bans kept beside the 4 active ones");
    let left: Vec<_> = store
        .incidents(&IncidentQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|i| i.source)
        .collect();
    assert_eq!(
        left,
        (7..12)
            .rev()
            .map(|i| ip(&format!("192.0.2.{i}")))
            .collect::<Vec<_>>()
    );
    assert_eq!(store.active_bans("edge", now).await.unwrap().len(), 4);
    assert_eq!(store.bans(&BanQuery::default()).await.unwrap().len(), 9);
}

/// The guard and an operator command use one store at once (SQLite: one
/// file, two pools; busy_timeout makes the writers wait, not fail).
async fn two_handles_write_at_once(db: Db) {
    let a = db.open().await;
    let b = db.open().await;
    let write = |store: Store, tag: u32| {
        tokio::spawn(async move {
            for i in 0..150u32 {
                let src = format!("192.0.2.{}", i % 200);
                store
                    .record_incident(&incident("edge", &src, &format!("c{tag}-{i}"), T0))
                    .await
                    .unwrap();
            }
        })
    };
    let (x, y) = (write(a.clone(), 1), write(b.clone(), 2));
    x.await.unwrap();
    y.await.unwrap();
    assert_eq!(
        a.count_incidents(&IncidentQuery::default()).await.unwrap(),
        300
    );
}
