//! Every guard config the repo ships parses and validates: the example
//! files and the annotated schema in docs/configuration.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ghostguard_guard::{GuardConfig, Mode, Policy};

fn repo(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn example_configs_validate() {
    for f in ["examples/guard-gateway.toml", "examples/guard-pbx.toml"] {
        GuardConfig::parse(&repo(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn the_documented_schema_is_the_real_one() {
    let doc = repo("docs/configuration.md");
    let start = doc.find("## Guard configuration").expect("guard section");
    let block = &doc[start..];
    let a = block.find("```toml\n").expect("toml block") + 8;
    let b = a + block[a..].find("```").expect("end of block");
    let cfg = GuardConfig::parse(&block[a..b]).unwrap();
    // The documented values are the defaults where the text says so.
    assert_eq!(cfg.mode, Mode::Gateway);
    assert_eq!(cfg.policy, Policy::Observe);
    assert_eq!(
        cfg.detect.thresholds,
        GuardConfig::default().detect.thresholds
    );
    assert_eq!(cfg.ban, GuardConfig::default().ban);
    assert_eq!(
        cfg.store.retention.max_rows,
        GuardConfig::default().store.retention.max_rows
    );
    assert_eq!(
        cfg.alerts.group_window,
        GuardConfig::default().alerts.group_window
    );
}

#[test]
fn bad_configs_name_the_key() {
    let cases = [
        ("mode = \"gateway\"\n", "network.protected"),
        ("[network]\nprotected=[\"10.0.0.0/8\"]\n", "trusted.servers"),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\nsip_ports=[0]\n[trusted]\nservers=[\"192.0.2.1\"]\n",
            "network.sip_ports",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"not a host!\"]\n",
            "trusted.servers",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[ban]\ntime=\"2d\"\nmax_time=\"1d\"\n",
            "ban.max_time",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[[alerts.webhook]]\nurl=\"ftp://x\"\n",
            "alerts.webhook.url",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\nsurprise = 1\n",
            "surprise",
        ),
        ("mode = \"monitor\"\n", "inspect"),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[ban]\nipv6_prefix=32\n",
            "ban.ipv6_prefix",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[ban]\nipv6_prefix=129\n",
            "ban.ipv6_prefix",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[ban]\nipv6_prefix=300\n",
            "ipv6_prefix",
        ),
        (
            "[network]\nprotected=[\"10.0.0.0/8\"]\n[trusted]\nservers=[\"192.0.2.1\"]\n[alerts.syslog]\nfacility=\"nope\"\n",
            "alerts.syslog.facility",
        ),
    ];
    for (text, key) in cases {
        let e = GuardConfig::parse(text).expect_err(text).to_string();
        assert!(
            e.contains(key),
            "error for {text:?} should name `{key}`: {e}"
        );
    }
}
