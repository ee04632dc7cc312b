//! The serve config: shipped examples parse, and mistakes are named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ghostguard_web::ServeConfig;
use ghostguard_web::config::Apply;

fn example(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn shipped_examples_parse() {
    let cfg = ServeConfig::parse(&example("serve.toml")).unwrap();
    assert!(cfg.bind.ip().is_loopback());
    assert_eq!(cfg.users[0].name, "alice");
    assert_eq!(cfg.bans.apply, Apply::None);
    assert_eq!(cfg.feed.import.len(), 1);
    assert_eq!(cfg.alerts.webhook.len(), 1);
    let sample = ServeConfig::parse(&example("serve-sample.toml")).unwrap();
    assert_eq!(sample.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(sample.bans.site, "office");
}

const USER: &str = "[[users]]\nname = \"a\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$pGxfwQKIYCO6dCCQRV3bdg$UbvOPr2IXE0VWIBcY3/AlcpppTLZhijwVQpmzwW9XCc\"\n";

fn err(text: &str) -> String {
    ServeConfig::parse(text).unwrap_err().to_string()
}

#[test]
fn defaults_bind_loopback() {
    let cfg = ServeConfig::parse(USER).unwrap();
    assert_eq!(cfg.bind.to_string(), "127.0.0.1:8080");
    assert!(!cfg.metrics.public && !cfg.feed.public);
}

#[test]
fn mistakes_are_named() {
    assert!(err("").contains("`users`"), "{}", err(""));
    assert!(err(&format!("{USER}colour = 1")).contains("colour"));
    assert!(
        err("[[users]]\nname = \"a\"\npassword_hash = \"hunter2\"").contains("users.password_hash")
    );
    assert!(
        err(&format!(
            "{USER}[[users]]\nname = \"a\"\npassword_hash = \"x\""
        ))
        .contains("twice")
    );
    assert!(err("[[tokens]]\nname = \"t\"\nsha256 = \"abc\"").contains("tokens.sha256"));
    assert!(err(&format!("{USER}[store]\nurl = \"mysql://x\"")).contains("store.url"));
    assert!(err(&format!("{USER}[session]\nttl = \"1s\"")).contains("session.ttl"));
    assert!(err(&format!("{USER}[feed]\nmin_confidence = 101")).contains("feed.min_confidence"));
    assert!(
        err(&format!(
            "{USER}[[feed.import]]\nsource = \"x\"\nban_time = \"0s\""
        ))
        .contains("feed.import.ban_time")
    );
    assert!(
        err(&format!("{USER}[[alerts.webhook]]\nurl = \"ftp://x\"")).contains("alerts.webhook.url")
    );
    assert!(
        err(&format!("{USER}[alerts.syslog]\nfacility = \"nope\""))
            .contains("alerts.syslog.facility")
    );
    assert!(err(&format!("{USER}language = \"fr\"")).contains("fr"));
    assert!(err(&format!("{USER}[bans]\napply = \"iptables\"")).contains("iptables"));
}

/// dist/grafana/ghostguard.json uses only metrics that /metrics exports.
#[test]
fn grafana_dashboard_uses_exported_metrics() {
    let path = format!(
        "{}/../../dist/grafana/ghostguard.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let dash: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let src = include_str!("../src/metrics.rs");
    let mut used = 0;
    for panel in dash["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let Some(name) = word.strip_prefix("ghostguard_") else {
                    continue;
                };
                let base = name.strip_suffix("_total").unwrap_or(name);
                let known =
                    src.contains(&format!("\"{base}\"")) || src.contains(&format!("(\"{base}\""));
                assert!(
                    known,
                    "panel {:?} uses {word}, which /metrics does not export",
                    panel["title"]
                );
                used += 1;
            }
        }
    }
    assert!(used >= 15, "{used}");
}

/// The shipped sample store opens (migrated) and holds both sites.
#[tokio::test]
async fn shipped_sample_store_opens() {
    let src = format!(
        "{}/../../examples/sample/ghostguard.db",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("s.db");
    std::fs::copy(&src, &copy).unwrap();
    let store =
        ghostguard_store::Store::open(&format!("sqlite://{}", copy.display()), &Default::default())
            .await
            .unwrap();
    assert_eq!(store.sites().await.unwrap(), vec!["branch", "office"]);
    let t = store.totals(None, 0).await.unwrap();
    assert!(t.incidents >= 10 && t.ghost_calls >= 50, "{t:?}");
    let o = ghostguard_web::view::overview(&store, None).await.unwrap();
    assert!(
        !o.top_sources.is_empty() && !o.phones.is_empty(),
        "the overview of the sample is empty"
    );
}
