//! The live sources against real sockets: a HEPv3 feed over UDP and TCP on
//! loopback, and NFLOG copies from a real nftables `log group` rule inside a
//! network namespace this test creates (root only; CI runs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use ghostguard_guard::sources::{Batch, Feed, ItemKind, SourceStats, spawn_hep, spawn_nflog};
use ghostguard_packet::{LinkType, Timestamp, hep};

const OPTIONS: &[u8] = b"OPTIONS sip:100@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1\r\n\
From: \"sipvicious\"<sip:100@1.1.1.1>;tag=1\r\nTo: <sip:100@192.0.2.20>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\
User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";

fn feed() -> (Feed, crossbeam_channel::Receiver<Batch>) {
    let (tx, rx) = crossbeam_channel::bounded(64);
    let f = Feed {
        tx,
        stop: Arc::new(AtomicBool::new(false)),
        stats: Arc::new(SourceStats::default()),
    };
    (f, rx)
}

fn hep_record() -> Vec<u8> {
    let p = hep::HepPacket {
        version: 3,
        proto_family: hep::FAMILY_IPV4,
        ip_proto: 17,
        src: "198.51.100.7:5060".parse().unwrap(),
        dst: "192.0.2.20:5060".parse().unwrap(),
        ts: Some(Timestamp::from_parts(1_800_000_000, 0)),
        capture_id: Some(1),
        payload_type: hep::PAYLOAD_SIP,
        payload: OPTIONS,
    };
    let mut out = Vec::new();
    hep::encode_v3(&p, &mut out).unwrap();
    out
}

fn collect(rx: &crossbeam_channel::Receiver<Batch>, want: usize, within: Duration) -> Vec<Vec<u8>> {
    let end = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < end {
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
            for it in &b.items {
                got.push((it.kind, b.bytes(it).to_vec()));
            }
        }
    }
    got.into_iter()
        .map(|(k, v)| {
            assert!(matches!(k, ItemKind::Hep | ItemKind::Frame(LinkType::Raw)));
            v
        })
        .collect()
}

#[test]
fn hep_over_udp_and_tcp_arrives_record_by_record() {
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (f, rx) = feed();
    let stop = f.stop.clone();
    let stats = f.stats.clone();
    let handles = spawn_hep(addr, f).unwrap();
    let rec = hep_record();

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(&rec, addr).unwrap();
    udp.send_to(b"not hep at all", addr).unwrap();
    let got = collect(&rx, 1, Duration::from_secs(5));
    assert_eq!(got, vec![rec.clone()]);

    // TCP: three records, the stream cut in awkward places.
    let mut tcp = TcpStream::connect(addr).unwrap();
    let mut stream = rec.clone();
    stream.extend_from_slice(&rec);
    stream.extend_from_slice(&rec);
    for part in [
        &stream[..3],
        &stream[3..rec.len() + 10],
        &stream[rec.len() + 10..],
    ] {
        tcp.write_all(part).unwrap();
        tcp.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    let got = collect(&rx, 3, Duration::from_secs(5));
    assert_eq!(got, vec![rec.clone(), rec.clone(), rec.clone()]);

    // Garbage on TCP closes that connection and is counted.
    let mut bad = TcpStream::connect(addr).unwrap();
    bad.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    while stats.malformed.load(std::sync::atomic::Ordering::Relaxed) < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(stats.malformed.load(std::sync::atomic::Ordering::Relaxed) >= 2);

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .unwrap()
        .success();
    assert!(ok, "failed: {cmd}");
}

struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn nflog_copies_sip_from_a_real_log_rule() {
    if !is_root() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the NFLOG test as root"
        );
        eprintln!(
            "SKIP: nflog_copies_sip_from_a_real_log_rule needs root (network namespace, nftables)"
        );
        return;
    }
    let ns = Netns(format!("gg-nflog-{}", std::process::id()));
    sh(&format!(
        "ip netns add {0} && ip -n {0} link set lo up",
        ns.0
    ));
    sh(&format!(
        "ip netns exec {} nft -f - <<'EOF'\ntable inet ggtest {{\n chain out {{ type filter hook output priority 0; udp dport 5060 log group 77; }}\n}}\nEOF",
        ns.0
    ));
    let (f, rx) = feed();
    let stop = f.stop.clone();
    let name = ns.0.clone();
    // Enter the namespace on a thread of our own: the netlink socket and
    // the sender belong to the namespace, the rest of the test does not.
    let handle = std::thread::spawn(move || {
        let fd = std::fs::File::open(format!("/run/netns/{name}")).unwrap();
        nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let h = spawn_nflog(77, 2048, f).unwrap();
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..3 {
            s.send_to(OPTIONS, "127.0.0.1:5060").unwrap();
        }
        h
    });
    let h = handle.join().unwrap();
    let got = collect(&rx, 3, Duration::from_secs(5));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    h.join().unwrap();
    assert_eq!(got.len(), 3, "three logged copies");
    for pkt in got {
        assert_eq!(pkt[0] >> 4, 4, "an IPv4 packet");
        assert!(pkt.ends_with(OPTIONS), "the whole SIP message is copied");
    }
}

#[test]
fn inline_mode_drops_the_first_scanner_packet_and_passes_a_phone() {
    if !is_root() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the NFQUEUE test as root"
        );
        eprintln!("SKIP: inline_mode_drops_the_first_scanner_packet_and_passes_a_phone needs root");
        return;
    }
    let pid = std::process::id();
    let (a, b) = (
        Netns(format!("gg-nfq-a-{pid}")),
        Netns(format!("gg-nfq-b-{pid}")),
    );
    sh(&format!(
        "ip netns add {a} && ip netns add {b} && ip -n {a} link set lo up && ip -n {b} link set lo up && \
         ip -n {a} link add v0 type veth peer name v1 netns {b} && \
         ip -n {a} addr add 198.51.100.7/24 dev v0 && ip -n {a} addr add 198.51.100.8/24 dev v0 && \
         ip -n {b} addr add 198.51.100.20/24 dev v1 && ip -n {a} link set v0 up && ip -n {b} link set v1 up && \
         ip netns exec {b} iptables -A INPUT -p udp --dport 5060 -j NFQUEUE --queue-num 9 --queue-bypass",
        a = a.0,
        b = b.0
    ));
    let cfg = ghostguard_guard::GuardConfig::parse(
        "policy = \"enforce\"\n[network]\nprotected = [\"192.168.1.0/24\"]\n[trusted]\nservers = [\"203.0.113.10\"]\n",
    )
    .unwrap();
    let judge = ghostguard_guard::inline::InlineJudge::new(
        &cfg,
        ghostguard_engine::Rules::default_rules().unwrap(),
        vec!["203.0.113.10/32".parse().unwrap()],
    );
    let (_ttx, trx) = crossbeam_channel::unbounded();
    let (dtx, drx) = crossbeam_channel::bounded(16);
    let stats = Arc::new(SourceStats::default());
    let bname = b.0.clone();
    let st = stats.clone();
    // The queue reader and the receiving phone live in namespace b.
    let phone = std::thread::spawn(move || {
        let fd = std::fs::File::open(format!("/run/netns/{bname}")).unwrap();
        nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let _q = ghostguard_guard::sources::spawn_queue(9, judge, trx, dtx, st).unwrap();
        let s = UdpSocket::bind("198.51.100.20:5060").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            got.push((from.ip().to_string(), buf[..n].to_vec()));
        }
        got
    });
    std::thread::sleep(Duration::from_millis(500));
    let aname = a.0.clone();
    std::thread::spawn(move || {
        let fd = std::fs::File::open(format!("/run/netns/{aname}")).unwrap();
        nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let scanner = UdpSocket::bind("198.51.100.7:5060").unwrap();
        scanner.send_to(OPTIONS, "198.51.100.20:5060").unwrap();
        let phone = UdpSocket::bind("198.51.100.8:5060").unwrap();
        let legit = String::from_utf8_lossy(OPTIONS)
            .replace("friendly-scanner", "Yealink SIP-T46S")
            .replace("sipvicious", "Reception");
        phone
            .send_to(legit.as_bytes(), "198.51.100.20:5060")
            .unwrap();
    })
    .join()
    .unwrap();
    let got = phone.join().unwrap();
    let from: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        from,
        vec!["198.51.100.8"],
        "only the phone's request arrives"
    );
    let dropped = drx.try_recv().expect("the drop is reported");
    assert!(
        matches!(dropped, ghostguard_guard::inline::InlineVerdict::Drop { source, .. } if source.to_string() == "198.51.100.7")
    );
    assert_eq!(
        stats
            .inline_dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}
