//! The daemon end to end without root: monitor mode fed by a HEPv3 feed on
//! loopback, a real SQLite store, the operator commands reading it, SIGHUP
//! with a broken config (refused, still running) and SIGTERM (clean exit).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ghostguard_packet::{Timestamp, hep};

mod common;

use common::{BIN, Running as Daemon, free_port};

fn config(dir: &std::path::Path, port: u16, extra: &str) -> std::path::PathBuf {
    let p = dir.join("guard.toml");
    std::fs::write(
        &p,
        format!(
            "mode = \"monitor\"\nsite = \"test\"\n{extra}\n[network]\nprotected = [\"192.168.1.0/24\"]\n\
             [trusted]\nservers = [\"198.51.100.10\"]\n\
             [inspect]\nhep_listen = [\"127.0.0.1:{port}\"]\n\
             [store]\nurl = \"sqlite://{}/gg.db\"\n",
            dir.display()
        ),
    )
    .unwrap();
    p
}

fn hep(src: &str, dst: &str, sip: &str) -> Vec<u8> {
    let p = hep::HepPacket {
        version: 3,
        proto_family: hep::FAMILY_IPV4,
        ip_proto: 17,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        ts: Some(Timestamp::from_parts(1_800_000_000, 0)),
        capture_id: Some(7),
        payload_type: hep::PAYLOAD_SIP,
        payload: sip.as_bytes(),
    };
    let mut out = Vec::new();
    hep::encode_v3(&p, &mut out).unwrap();
    out
}

fn invite(n: u32) -> String {
    format!(
        "INVITE sip:100@192.168.1.20 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-{n}\r\n\
         From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6{n}\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
         Call-ID: {n}-scan\r\nCSeq: 1 INVITE\r\nContact: <sip:100@203.0.113.66:5060>\r\n\
         User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n"
    )
}

fn signal(child: &Child, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn monitor_mode_records_a_hep_fed_scan_and_survives_a_bad_reload() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(dir.path(), port, "");
    let c = cfg.to_str().unwrap();
    let out = Command::new(BIN)
        .args(["config", "check", c])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut d = Daemon(
        Command::new(BIN)
            .args(["guard", "-c", c])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Wait for the listener: resend until an incident shows up.
    let end = Instant::now() + Duration::from_secs(20);
    let mut incidents = serde_json::Value::Null;
    let mut n = 0;
    while Instant::now() < end {
        n += 1;
        sock.send_to(
            &hep("203.0.113.66:5060", "192.168.1.20:5060", &invite(n)),
            ("127.0.0.1", port),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        incidents = json(&["incidents", "-c", c, "--format", "json"]);
        if incidents.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
    }
    let list = incidents.as_array().expect("incidents recorded");
    assert!(
        list.iter()
            .any(|i| i["source"] == "203.0.113.66" && i["kind"] == "scanner"),
        "{incidents}"
    );

    // A broken config on SIGHUP is refused; the daemon keeps running.
    std::fs::write(&cfg, "mode = \"monitor\"\nnonsense = 1\n").unwrap();
    signal(&d.0, "-HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        d.0.try_wait().unwrap().is_none(),
        "still running after a bad reload"
    );
    config(dir.path(), port, "");

    // Heartbeat and totals reach `status`.
    let end = Instant::now() + Duration::from_secs(25);
    let mut status = serde_json::Value::Null;
    while Instant::now() < end {
        status = json(&["status", "-c", c, "--format", "json"]);
        // The first heartbeat is written at start; wait for one with counts.
        if status["running"] == true
            && status["daemon"]["messages"]
                .as_array()
                .is_some_and(|m| !m.is_empty())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(status["running"], true, "{status}");
    let msgs = status["daemon"]["messages"]
        .as_array()
        .expect("message counts");
    assert!(
        msgs.iter().any(|m| m["method"] == "INVITE"
            && m["verdict"] == "malicious"
            && m["count"].as_u64().unwrap() >= 1),
        "{status}"
    );
    assert!(
        status["totals"]["ghost_calls"].as_u64().unwrap() >= 1,
        "{status}"
    );

    // The ghost calls, as the operator lists them.
    let calls = json(&["calls", "-c", c, "--format", "json"]);
    assert!(
        calls
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["source"] == "203.0.113.66"
                && g["caller"] == "100"
                && g["phone"] == "192.168.1.20"),
        "{calls}"
    );

    signal(&d.0, "-TERM");
    let end = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(s) = d.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(code.success(), "{code:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(d.0.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("reload refused"), "{err}");
}
