//! Aggregates for the dashboard, metrics and feed.

use ghostguard_store::{BanOrigin, MaxIds, NewBan, NewGhostCall};

use crate::{DAY, Db, HOUR, T0, battery, incident, ip};

battery!(
    top_sources_and_phones,
    counts_sites_and_latest,
    feed_sources_skip_internal_and_weak,
    rows_after_ids,
);

fn call(site: &str, phone: &str, source: &str, at: i64, answered: bool) -> NewGhostCall {
    NewGhostCall {
        site: site.into(),
        phone: ip(phone),
        source: ip(source),
        caller: "100".into(),
        dialled: None,
        time: at,
        answered,
    }
}

async fn top_sources_and_phones(db: Db) {
    let s = db.open().await;
    let mut a = incident("edge", "198.51.100.1", "a", T0);
    a.count = 50;
    s.record_incident(&a).await.unwrap();
    let mut b = incident("edge", "198.51.100.2", "a", T0 + HOUR);
    b.count = 5;
    b.confidence = 70;
    s.record_incident(&b).await.unwrap();
    s.record_incident(&incident("edge", "198.51.100.2", "b", T0 + HOUR))
        .await
        .unwrap();
    s.record_incident(&incident("edge", "198.51.100.3", "a", T0 - 2 * DAY))
        .await
        .unwrap();
    let top = s.top_sources(None, T0 - DAY, 10).await.unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!(top[0].source, ip("198.51.100.1"));
    assert_eq!(top[0].occurrences, 50);
    assert_eq!(top[1].incidents, 2);
    assert_eq!(top[1].occurrences, 6);
    assert_eq!(top[1].confidence, 90);
    for (p, src, ans) in [
        ("10.0.0.5", "198.51.100.1", false),
        ("10.0.0.5", "198.51.100.2", true),
        ("10.0.0.5", "198.51.100.2", false),
        ("10.0.0.6", "198.51.100.1", false),
    ] {
        s.record_ghost_call(&call("edge", p, src, T0, ans))
            .await
            .unwrap();
    }
    let phones = s.ghost_calls_by_phone(Some("edge"), T0, 10).await.unwrap();
    assert_eq!(phones.len(), 2);
    assert_eq!(phones[0].phone, ip("10.0.0.5"));
    assert_eq!(
        (phones[0].calls, phones[0].answered, phones[0].sources),
        (3, 1, 2)
    );
    assert!(
        s.ghost_calls_by_phone(Some("other"), T0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn counts_sites_and_latest(db: Db) {
    let s = db.open().await;
    assert_eq!(s.latest_activity(None).await.unwrap(), None);
    s.record_incident(&incident("a", "198.51.100.1", "x", T0))
        .await
        .unwrap();
    let mut e = incident("b", "198.51.100.1", "y", T0 + HOUR);
    e.kind = "enumeration".into();
    s.record_incident(&e).await.unwrap();
    s.record_ban(&NewBan {
        site: "c".into(),
        ip: ip("198.51.100.9").into(),
        reason: "r".into(),
        origin: BanOrigin::Manual,
        actor: "alice".into(),
        created_at: T0 + 2 * HOUR,
        expires_at: None,
    })
    .await
    .unwrap();
    assert_eq!(s.sites().await.unwrap(), vec!["a", "b", "c"]);
    assert_eq!(s.latest_activity(None).await.unwrap(), Some(T0 + 2 * HOUR));
    assert_eq!(s.latest_activity(Some("a")).await.unwrap(), Some(T0));
    let kinds = s.incident_counts().await.unwrap();
    assert_eq!(kinds.len(), 2);
    assert_eq!(
        (kinds[1].site.as_str(), kinds[1].label.as_str()),
        ("b", "enumeration")
    );
    let bans = s.active_ban_counts(T0 + 3 * HOUR).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!((bans[0].label.as_str(), bans[0].count), ("manual", 1));
    assert_eq!(s.count_new_sources(None, T0).await.unwrap(), 1);
    assert_eq!(s.count_new_sources(None, T0 + 1).await.unwrap(), 0);
}

async fn feed_sources_skip_internal_and_weak(db: Db) {
    let s = db.open().await;
    s.record_incident(&incident("e", "198.51.100.1", "x", T0))
        .await
        .unwrap();
    let mut weak = incident("e", "198.51.100.2", "x", T0);
    weak.confidence = 40;
    s.record_incident(&weak).await.unwrap();
    let mut inside = incident("e", "10.1.2.3", "x", T0);
    inside.internal = true;
    s.record_incident(&inside).await.unwrap();
    s.record_incident(&incident("e", "2001:db8::7", "x", T0 - 10 * DAY))
        .await
        .unwrap();
    let feed = s.feed_sources(None, 60, T0 - DAY, 100).await.unwrap();
    let ips: Vec<_> = feed.iter().map(|f| f.source).collect();
    assert_eq!(ips, vec![ip("198.51.100.1")]);
    assert_eq!(
        s.feed_sources(None, 60, T0 - 30 * DAY, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.feed_sources(None, 30, T0 - DAY, 100).await.unwrap().len(),
        2
    );
}

async fn rows_after_ids(db: Db) {
    let s = db.open().await;
    assert_eq!(s.max_ids().await.unwrap(), MaxIds::default());
    s.record_incident(&incident("e", "198.51.100.1", "x", T0))
        .await
        .unwrap();
    let start = s.max_ids().await.unwrap();
    let second = s
        .record_incident(&incident("e", "198.51.100.2", "x", T0))
        .await
        .unwrap();
    s.record_ghost_call(&call("e", "10.0.0.5", "198.51.100.2", T0, false))
        .await
        .unwrap();
    let (inc, bans, calls) = s.rows_after(start, 100).await.unwrap();
    assert_eq!(
        inc.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    assert!(bans.is_empty());
    assert_eq!(calls.len(), 1);
}
