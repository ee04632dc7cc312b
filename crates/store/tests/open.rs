//! Opening: durability settings on SQLite and clear errors that name the
//! URL without its password.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ghostguard_store::{Backend, SqliteSync, Store, StoreError, StoreOptions};

#[tokio::test]
async fn sqlite_runs_in_wal_with_the_chosen_sync() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a/b/g.db").display());
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let h = store.health().await.unwrap();
    assert_eq!(h.backend, Backend::Sqlite);
    assert_eq!(h.journal_mode.as_deref(), Some("wal"));
    assert_eq!(h.synchronous, Some(2), "FULL by default");
    store.close().await;

    let opts = StoreOptions {
        sqlite_sync: SqliteSync::Normal,
        ..StoreOptions::default()
    };
    let store = Store::open(&url, &opts).await.unwrap();
    assert_eq!(store.health().await.unwrap().synchronous, Some(1));
    assert!(dir.path().join("a/b/g.db-wal").exists());
}

#[tokio::test]
async fn unsupported_scheme_is_named() {
    let e = Store::open(
        "mysql://root:hunter2@db.example/gg",
        &StoreOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::UnsupportedUrl { .. }));
    let msg = e.to_string();
    assert!(msg.contains("mysql://root:***@db.example/gg"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn unreachable_postgres_names_the_url_without_password() {
    let opts = StoreOptions {
        connect_timeout: Duration::from_secs(3),
        ..StoreOptions::default()
    };
    // Nothing listens on loopback port 1.
    let e = Store::open("postgres://guard:s3cret@127.0.0.1:1/gg", &opts)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Open { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("postgres://guard:***@127.0.0.1:1/gg"), "{msg}");
    assert!(msg.contains("refused"), "the cause is named: {msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}

#[tokio::test]
async fn sqlite_directory_that_cannot_exist_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let url = format!("sqlite://{}/sub/g.db", file.display());
    let e = Store::open(&url, &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::CreateDir { .. }), "{e:?}");
    assert!(e.to_string().contains("plain-file/sub"), "{e}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.db");
    std::fs::write(&file, vec![0x5a; 8192]).unwrap();
    let url = format!("sqlite://{}", file.display());
    let e = Store::open(&url, &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Open { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("junk.db") && msg.contains("not a database"),
        "{msg}"
    );
}
