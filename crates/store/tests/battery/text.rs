//! Strange text comes back exactly as stored (after the documented cut),
//! on both backends: quotes, backslashes, SQL-looking input, non-ASCII.

use ghostguard_store::{BanQuery, GhostCallQuery, NewBan, NewGhostCall, StoreError};

use crate::{Db, T0, battery, incident, ip};

battery!(
    strange_text_round_trips,
    identifiers_take_unicode_but_not_controls
);

const STRANGE: &[&str] = &[
    "'; DROP TABLE incidents; --",
    "\\\\server\\share\\%_",
    "\"quoted\" 'single' `back`",
    "Grüße 👻 مرحبا שלום 日本語",
    "\u{202e}reversed\u{202c}",
    "$1 $2 ? :name @name",
    "tab\there\r\nnewline",
    "",
];

async fn strange_text_round_trips(db: Db) {
    let store = db.open().await;
    for (n, s) in STRANGE.iter().enumerate() {
        let n = i64::try_from(n).unwrap();
        let mut inc = incident("edge", "192.0.2.1", &format!("c{n}"), T0 + n);
        inc.vendor = Some((*s).to_owned());
        inc.evidence = serde_json::json!({ "value": s }).to_string();
        let id = store.record_incident(&inc).await.unwrap().id;
        let got = store.incident(id).await.unwrap().unwrap();
        assert_eq!(got.vendor.as_deref(), Some(*s));
        assert_eq!(got.evidence, inc.evidence);

        store
            .record_ghost_call(&NewGhostCall {
                site: "edge".into(),
                phone: ip("192.168.1.20"),
                source: ip("192.0.2.1"),
                caller: (*s).to_owned(),
                dialled: Some((*s).to_owned()),
                time: T0 + n,
                answered: false,
            })
            .await
            .unwrap();
        let call = &store.ghost_calls(&GhostCallQuery::default()).await.unwrap()[0];
        assert_eq!(
            (call.caller.as_str(), call.dialled.as_deref()),
            (*s, Some(*s))
        );

        store
            .record_ban(&NewBan {
                site: "edge".into(),
                ip: ip(&format!("198.51.100.{n}")).into(),
                reason: (*s).to_owned(),
                origin: ghostguard_store::BanOrigin::Import,
                actor: "importer".into(),
                created_at: T0 + n,
                expires_at: None,
            })
            .await
            .unwrap();
        let ban = &store.bans(&BanQuery::default()).await.unwrap()[0];
        assert_eq!(ban.reason, *s);
    }
    // Searching for SQL-looking text finds it literally.
    let q = ghostguard_store::IncidentQuery {
        text: Some("drop table".into()),
        ..Default::default()
    };
    assert_eq!(store.count_incidents(&q).await.unwrap(), 1);
    let q = ghostguard_store::IncidentQuery {
        text: Some("\\server\\".into()),
        ..Default::default()
    };
    assert_eq!(store.count_incidents(&q).await.unwrap(), 1);
}

async fn identifiers_take_unicode_but_not_controls(db: Db) {
    let store = db.open().await;
    let id = store
        .record_incident(&incident("kantoor-Zuid 👻", "192.0.2.1", "c", T0))
        .await
        .unwrap()
        .id;
    assert_eq!(
        store.incident(id).await.unwrap().unwrap().site,
        "kantoor-Zuid 👻"
    );
    for bad in ["a\tb", "\u{7f}", "x\u{85}y"] {
        assert!(matches!(
            store
                .record_incident(&incident(bad, "192.0.2.1", "c", T0))
                .await,
            Err(StoreError::Invalid { field: "site", .. })
        ));
    }
}
