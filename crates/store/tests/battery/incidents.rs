//! Incidents: upsert, lookup, search, sources, validation.

use ghostguard_store::{IncidentQuery, Invalid, SourceQuery, StoreError};

use crate::{Db, HOUR, T0, battery, incident, ip};

battery!(
    upsert_bumps_count_and_widens_times,
    incident_by_id,
    query_filters_and_pages,
    text_search_is_case_insensitive_and_literal,
    sources_summarise_incidents,
    hostile_input_is_refused_or_cut,
    ipv6_sources_are_canonical,
    batches_are_all_or_nothing,
);

async fn upsert_bumps_count_and_widens_times(db: Db) {
    let store = db.open().await;
    let mut a = incident("edge", "203.0.113.5", "sig.ua", T0);
    a.mac = Some("02:00:00:00:00:01".into());
    a.vendor = Some("Example Corp".into());
    let first = store.record_incident(&a).await.unwrap();
    assert!(first.new);

    let mut b = incident("edge", "203.0.113.5", "sig.ua", T0 + 5_000);
    b.first_seen = T0 - 1_000;
    b.count = 4;
    b.confidence = 95;
    b.evidence = r#"{"user_agent":"sipvicious"}"#.into();
    let second = store.record_incident(&b).await.unwrap();
    assert_eq!(second.id, first.id);
    assert!(!second.new);
    let got = store.incident(first.id).await.unwrap().unwrap();
    assert_eq!(
        got.evidence, r#"{"user_agent":"sipvicious"}"#,
        "the newest evidence wins"
    );

    // A lower confidence and an older last_seen do not lower what is stored.
    let mut c = incident("edge", "203.0.113.5", "sig.ua", T0 + 1_000);
    c.confidence = 10;
    c.kind = "enumeration".into();
    assert!(!store.record_incident(&c).await.unwrap().new);

    let got = store.incident(first.id).await.unwrap().unwrap();
    assert_eq!(got.count, 6);
    assert_eq!(got.first_seen, T0 - 1_000);
    assert_eq!(got.last_seen, T0 + 5_000);
    assert_eq!(got.confidence, 95);
    assert_eq!(got.evidence, r#"{"user_agent":"friendly-scanner"}"#);
    assert_eq!(got.kind, "enumeration");
    // mac/vendor kept when a later record has none
    assert_eq!(got.mac.as_deref(), Some("02:00:00:00:00:01"));
    assert_eq!(got.vendor.as_deref(), Some("Example Corp"));

    // Another code, another site: separate incidents.
    assert!(
        store
            .record_incident(&incident("edge", "203.0.113.5", "sig.other", T0))
            .await
            .unwrap()
            .new
    );
    assert!(
        store
            .record_incident(&incident("core", "203.0.113.5", "sig.ua", T0))
            .await
            .unwrap()
            .new
    );
    let q = IncidentQuery::default();
    assert_eq!(store.count_incidents(&q).await.unwrap(), 3);

    // The count saturates instead of overflowing.
    let mut huge = incident("edge", "203.0.113.5", "sig.ua", T0);
    huge.count = u64::MAX;
    store.record_incident(&huge).await.unwrap();
    store.record_incident(&huge).await.unwrap();
    assert_eq!(
        store.incident(first.id).await.unwrap().unwrap().count,
        i64::MAX as u64
    );
}

async fn incident_by_id(db: Db) {
    let store = db.open().await;
    let mut a = incident("edge", "198.51.100.7", "enum.users", T0);
    a.kind = "enumeration".into();
    a.detector = "enumeration".into();
    a.internal = true;
    let id = store.record_incident(&a).await.unwrap().id;
    let got = store.incident(id).await.unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.site, "edge");
    assert_eq!(got.source, ip("198.51.100.7"));
    assert_eq!(got.kind, "enumeration");
    assert_eq!(got.detector, "enumeration");
    assert_eq!(got.code, "enum.users");
    assert_eq!(got.confidence, 90);
    assert_eq!(got.count, 1);
    assert!(got.internal);
    assert_eq!(got.mac, None);
    assert!(store.incident(id + 1000).await.unwrap().is_none());
}

async fn query_filters_and_pages(db: Db) {
    let store = db.open().await;
    for i in 0..10i64 {
        let mut inc = incident(
            if i % 2 == 0 { "edge" } else { "core" },
            &format!("192.0.2.{}", i + 1),
            "sig.ua",
            T0 + i * HOUR,
        );
        if i >= 5 {
            inc.kind = "flood".into();
        }
        store.record_incident(&inc).await.unwrap();
    }
    let all = store.incidents(&IncidentQuery::default()).await.unwrap();
    assert_eq!(all.len(), 10);
    // most recently seen first
    assert_eq!(all[0].source, ip("192.0.2.10"));
    assert_eq!(all[9].source, ip("192.0.2.1"));

    let q = |f: &dyn Fn(&mut IncidentQuery)| {
        let mut q = IncidentQuery::default();
        f(&mut q);
        q
    };
    let edge = q(&|q| q.site = Some("edge".into()));
    assert_eq!(store.count_incidents(&edge).await.unwrap(), 5);
    assert!(
        store
            .incidents(&edge)
            .await
            .unwrap()
            .iter()
            .all(|i| i.site == "edge")
    );

    let flood = q(&|q| q.kind = Some("flood".into()));
    assert_eq!(store.count_incidents(&flood).await.unwrap(), 5);

    let one = q(&|q| q.source = Some(ip("192.0.2.3")));
    let got = store.incidents(&one).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source, ip("192.0.2.3"));

    // since/until select incidents overlapping [since, until)
    let window = q(&|q| {
        q.since = Some(T0 + 2 * HOUR);
        q.until = Some(T0 + 5 * HOUR);
    });
    let got: Vec<_> = store
        .incidents(&window)
        .await
        .unwrap()
        .iter()
        .map(|i| i.source)
        .collect();
    assert_eq!(got, [ip("192.0.2.5"), ip("192.0.2.4"), ip("192.0.2.3")]);

    // pages
    let page = q(&|q| {
        q.limit = 3;
        q.offset = 3;
    });
    let got: Vec<_> = store
        .incidents(&page)
        .await
        .unwrap()
        .iter()
        .map(|i| i.source)
        .collect();
    assert_eq!(got, [ip("192.0.2.7"), ip("192.0.2.6"), ip("192.0.2.5")]);
    assert_eq!(store.count_incidents(&page).await.unwrap(), 10);
    let past = q(&|q| q.offset = 100);
    assert!(store.incidents(&past).await.unwrap().is_empty());
}

async fn text_search_is_case_insensitive_and_literal(db: Db) {
    let store = db.open().await;
    let mut a = incident("edge", "192.0.2.1", "sig.ua", T0);
    a.evidence = r#"{"user_agent":"FriendlyScanner","ratio":"100%"}"#.into();
    store.record_incident(&a).await.unwrap();
    let mut b = incident("edge", "192.0.2.2", "flood.rate", T0);
    b.evidence = r#"{"rate":"1000"}"#.into();
    b.vendor = Some("Yealink".into());
    store.record_incident(&b).await.unwrap();

    let search = |t: &str| IncidentQuery {
        text: Some(t.into()),
        ..IncidentQuery::default()
    };
    let hits =
        |v: Vec<ghostguard_store::Incident>| v.into_iter().map(|i| i.source).collect::<Vec<_>>();
    assert_eq!(
        hits(store.incidents(&search("friendlyscanner")).await.unwrap()),
        [ip("192.0.2.1")]
    );
    assert_eq!(
        hits(store.incidents(&search("0%")).await.unwrap()),
        [ip("192.0.2.1")]
    );
    assert_eq!(
        hits(store.incidents(&search("YEALINK")).await.unwrap()),
        [ip("192.0.2.2")]
    );
    assert_eq!(
        hits(store.incidents(&search("192.0.2.2")).await.unwrap()),
        [ip("192.0.2.2")]
    );
    assert_eq!(
        hits(store.incidents(&search("FLOOD.")).await.unwrap()),
        [ip("192.0.2.2")]
    );
    // `_` and `%` are literal, not wildcards
    assert!(store.incidents(&search("sig_ua")).await.unwrap().is_empty());
    assert!(store.incidents(&search("%")).await.unwrap().len() == 1);
    assert_eq!(
        store
            .count_incidents(&search("nothing-like-this"))
            .await
            .unwrap(),
        0
    );
    let long = search(&"x".repeat(ghostguard_store::MAX_TEXT + 1));
    assert!(matches!(
        store.incidents(&long).await,
        Err(StoreError::Invalid { field: "text", .. })
    ));
}

async fn sources_summarise_incidents(db: Db) {
    let store = db.open().await;
    let mut a = incident("edge", "203.0.113.9", "sig.ua", T0);
    a.count = 3;
    store.record_incident(&a).await.unwrap();
    let mut b = incident("edge", "203.0.113.9", "enum.users", T0 + HOUR);
    b.kind = "enumeration".into();
    b.internal = true;
    store.record_incident(&b).await.unwrap();
    store
        .record_incident(&incident("core", "203.0.113.9", "sig.ua", T0 + 3 * HOUR))
        .await
        .unwrap();
    store
        .record_incident(&incident("edge", "198.51.100.1", "sig.ua", T0 + 2 * HOUR))
        .await
        .unwrap();

    let all = store.sources(&SourceQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let s = &all[0];
    assert_eq!(s.source, ip("203.0.113.9"));
    assert_eq!((s.first_seen, s.last_seen), (T0, T0 + 3 * HOUR));
    assert_eq!((s.incidents, s.occurrences), (3, 5));
    assert_eq!(s.kinds, ["enumeration", "scanner"]);
    assert!(s.internal);

    let edge = SourceQuery {
        site: Some("edge".into()),
        ..SourceQuery::default()
    };
    let got = store.sources(&edge).await.unwrap();
    assert_eq!(got[0].source, ip("198.51.100.1"));
    assert_eq!(got[1].incidents, 2);
    assert_eq!(got[1].last_seen, T0 + HOUR);

    let recent = SourceQuery {
        since: Some(T0 + 150 * 60_000),
        ..SourceQuery::default()
    };
    let got = store.sources(&recent).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source, ip("203.0.113.9"));

    let one = store
        .source(Some("edge"), ip("203.0.113.9"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.incidents, 2);
    assert_eq!(one.kinds, ["enumeration", "scanner"]);
    assert!(
        store
            .source(None, ip("192.0.2.200"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn hostile_input_is_refused_or_cut(db: Db) {
    let store = db.open().await;
    let refused = |field: &'static str, f: &dyn Fn(&mut ghostguard_store::NewIncident)| {
        let mut i = incident("edge", "192.0.2.1", "sig.ua", T0);
        f(&mut i);
        (field, i)
    };
    let cases = [
        refused("evidence", &|i| i.evidence = "{not json".into()),
        refused("evidence", &|i| {
            i.evidence = format!("\"{}\"", "x".repeat(ghostguard_store::MAX_JSON))
        }),
        refused("site", &|i| i.site = String::new()),
        refused("site", &|i| i.site = "a\0b".into()),
        refused("code", &|i| {
            i.code = "c".repeat(ghostguard_store::MAX_IDENT + 1)
        }),
        refused("confidence", &|i| i.confidence = 101),
        refused("count", &|i| i.count = 0),
        refused("last_seen", &|i| i.first_seen = i.last_seen + 1),
    ];
    for (field, inc) in &cases {
        match store.record_incident(inc).await {
            Err(StoreError::Invalid { field: f, .. }) => assert_eq!(f, *field),
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
    assert_eq!(
        store
            .count_incidents(&IncidentQuery::default())
            .await
            .unwrap(),
        0
    );

    // Free text is cut and NUL-cleaned, so both backends store it.
    let mut i = incident("edge", "192.0.2.1", "sig.ua", T0);
    i.vendor = Some(format!("ev\0il{}", "é".repeat(4000)));
    let id = store.record_incident(&i).await.unwrap().id;
    let got = store.incident(id).await.unwrap().unwrap();
    let vendor = got.vendor.unwrap();
    assert!(vendor.len() <= ghostguard_store::MAX_TEXT);
    assert!(vendor.starts_with("ev\u{fffd}il"));
    let e = store.record_incident(&cases[0].1).await.unwrap_err();
    assert!(matches!(
        e,
        StoreError::Invalid {
            problem: Invalid::NotJson,
            ..
        }
    ));
    assert!(e.to_string().contains("evidence"), "{e}");
}

async fn ipv6_sources_are_canonical(db: Db) {
    let store = db.open().await;
    let a = incident("edge", "2001:DB8:0::1", "sig.ua", T0);
    let first = store.record_incident(&a).await.unwrap();
    let b = incident("edge", "2001:db8::1", "sig.ua", T0 + 1);
    assert!(!store.record_incident(&b).await.unwrap().new);
    let q = IncidentQuery {
        source: Some(ip("2001:0db8::0001")),
        ..IncidentQuery::default()
    };
    let got = store.incidents(&q).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, first.id);
    assert_eq!(got[0].source.to_string(), "2001:db8::1");
}

async fn batches_are_all_or_nothing(db: Db) {
    let store = db.open().await;
    let mut bad = incident("edge", "192.0.2.9", "sig.ua", T0);
    bad.evidence = "{".into();
    let batch = [
        incident("edge", "192.0.2.1", "sig.ua", T0),
        incident("edge", "192.0.2.2", "sig.ua", T0),
        bad,
    ];
    assert!(matches!(
        store.record_incidents(&batch).await,
        Err(StoreError::Invalid {
            field: "evidence",
            ..
        })
    ));
    assert_eq!(
        store
            .count_incidents(&IncidentQuery::default())
            .await
            .unwrap(),
        0
    );

    let batch = [
        incident("edge", "192.0.2.1", "sig.ua", T0),
        incident("edge", "192.0.2.2", "sig.ua", T0),
        incident("edge", "192.0.2.1", "sig.ua", T0 + 1),
    ];
    let got = store.record_incidents(&batch).await.unwrap();
    assert_eq!(
        got.iter().map(|r| r.new).collect::<Vec<_>>(),
        [true, true, false]
    );
    assert_eq!(got[0].id, got[2].id);
    assert_eq!(store.incident(got[0].id).await.unwrap().unwrap().count, 2);
    assert!(store.record_incidents(&[]).await.unwrap().is_empty());
}
