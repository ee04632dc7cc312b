//! Where live packets come from: NFLOG (the kernel's copies of SIP that
//! our nftables table logs), a HEPv3 feed over UDP and TCP (Kamailio,
//! OpenSIPS, FreeSWITCH, Asterisk, heplify), and AF_PACKET capture on an
//! interface (monitor mode, through libpcap).
//!
//! Each source runs on its own thread, reads in batches and hands them to
//! the inspector over one bounded channel. When the inspector falls
//! behind, batches are dropped and counted; a source never blocks the
//! kernel or the sender.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Sender, TrySendError};
use ghostguard_packet::{LinkType, Timestamp, hep};

use crate::nflog;

/// A read timeout or an interrupted call: try again.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// How one item of a batch is to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A captured frame of this link type.
    Frame(LinkType),
    /// One HEP record (v2 or v3).
    Hep,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub range: Range<usize>,
    pub ts: Timestamp,
    /// The sender's link address when the source knows it (NFLOG).
    pub hwaddr: Option<[u8; 6]>,
}

/// Packets read together; `items` index into `data`.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub items: Vec<Item>,
}

impl Batch {
    fn push(&mut self, kind: ItemKind, bytes: &[u8], ts: Timestamp, hwaddr: Option<[u8; 6]>) {
        let start = self.data.len();
        self.data.extend_from_slice(bytes);
        self.items.push(Item {
            kind,
            range: start..self.data.len(),
            ts,
            hwaddr,
        });
    }

    #[must_use]
    pub fn bytes(&self, item: &Item) -> &[u8] {
        self.data.get(item.range.clone()).unwrap_or(&[])
    }
}

/// Counters shared by all sources.
#[derive(Debug, Default)]
pub struct SourceStats {
    pub packets: AtomicU64,
    /// Batches dropped because the inspector fell behind.
    pub dropped: AtomicU64,
    /// NFLOG: the kernel said its queue overran (copies lost).
    pub overruns: AtomicU64,
    /// Bytes that were not valid NFLOG/HEP.
    pub malformed: AtomicU64,
    pub hep_connections: AtomicUsize,
    /// HEP from an agent not in `inspect.hep_allow` (dropped).
    pub hep_refused: AtomicU64,
    /// Bytes in batches waiting for the inspector (see [`MAX_QUEUED_BYTES`]).
    pub queued_bytes: AtomicUsize,
    /// Inline mode: packets judged and packets dropped.
    pub inline_judged: AtomicU64,
    pub inline_dropped: AtomicU64,
}

/// What a source needs: where to send, when to stop, what to count.
#[derive(Debug, Clone)]
pub struct Feed {
    pub tx: Sender<Batch>,
    pub stop: Arc<AtomicBool>,
    pub stats: Arc<SourceStats>,
}

/// DoS: bytes waiting for the inspector across all sources; beyond it new
/// batches are dropped and counted (a busy mirror port cannot fill memory
/// while the engine lags).
pub const MAX_QUEUED_BYTES: usize = 256 << 20;

impl Feed {
    fn send(&self, batch: Batch) {
        if batch.items.is_empty() {
            return;
        }
        self.stats
            .packets
            .fetch_add(batch.items.len() as u64, Ordering::Relaxed);
        let size = batch.data.len();
        if self.stats.queued_bytes.load(Ordering::Relaxed) + size > MAX_QUEUED_BYTES {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.stats.queued_bytes.fetch_add(size, Ordering::Relaxed);
        match self.tx.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.stats.queued_bytes.fetch_sub(size, Ordering::Relaxed);
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => self.stop.store(true, Ordering::Relaxed),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The wall clock as a packet timestamp (sources are the edge: the only
/// place the guard reads the clock for packets).
#[must_use]
pub fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(i64::try_from(d.as_secs()).unwrap_or(0), d.subsec_nanos())
}

/// Why a source could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error(
        "NFLOG group {group}: {what}: {source} (needs CAP_NET_ADMIN; is another program bound to the group?)"
    )]
    Nflog {
        group: u16,
        what: &'static str,
        source: io::Error,
    },
    #[error("NFLOG group {group}: the kernel refused `{what}`: errno {errno}")]
    NflogRefused {
        group: u16,
        what: &'static str,
        errno: i32,
    },
    #[error("NFQUEUE {num}: {reason} (needs CAP_NET_ADMIN; is another program bound to it?)")]
    Queue { num: u16, reason: String },
    #[error("capture on {interface}: {reason} (needs CAP_NET_RAW; is the interface up?)")]
    Capture { interface: String, reason: String },
    #[error("HEP listener {addr} ({proto}): {source}")]
    Hep {
        addr: SocketAddr,
        proto: &'static str,
        source: io::Error,
    },
}

fn nflog_err(group: u16, what: &'static str) -> impl FnOnce(io::Error) -> SourceError {
    move |source| SourceError::Nflog {
        group,
        what,
        source,
    }
}

/// Binds NFLOG `group` (copying whole packets up to `snaplen`) and reads it
/// on a thread.
pub fn spawn_nflog(group: u16, snaplen: u32, feed: Feed) -> Result<JoinHandle<()>, SourceError> {
    use netlink_sys::{Socket, SocketAddr as NlAddr, protocols::NETLINK_NETFILTER};
    let mut sock = Socket::new(NETLINK_NETFILTER).map_err(nflog_err(group, "socket"))?;
    sock.bind(&NlAddr::new(0, 0))
        .map_err(nflog_err(group, "bind"))?;
    let _ = sock.set_no_enobufs(true);
    // A large receive buffer absorbs bursts while the engine works.
    let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(8 << 20);
    let kernel = NlAddr::new(0, 0);
    let mut buf = vec![0u8; 1 << 16];
    let steps: [(&'static str, Vec<u8>); 2] = [
        ("bind", nflog::command(1, group, nflog::CMD_BIND)),
        // Flush timeout 0: a lone packet goes up at the next timer tick, not
        // 10 ms later (about half the time from a scanner's first packet
        // to its ban); under load the queue threshold still batches.
        ("copy mode", nflog::tune(2, group, snaplen, 1 << 20, 0, 32)),
    ];
    for (seq, (what, msg)) in (1u32..).zip(steps.iter()) {
        sock.send_to(msg, &kernel, 0)
            .map_err(nflog_err(group, what))?;
        // Wait for the ack of this request (packets may already arrive).
        'ack: loop {
            let n = sock
                .recv(&mut &mut buf[..], 0)
                .map_err(nflog_err(group, what))?;
            for item in nflog::messages(&buf[..n]) {
                if let nflog::Item::Control(nflog::Control::Ack { seq: s, errno }) = item
                    && s == seq
                {
                    if errno != 0 {
                        return Err(SourceError::NflogRefused { group, what, errno });
                    }
                    break 'ack;
                }
            }
        }
    }
    let _ = socket2::SockRef::from(&sock).set_read_timeout(Some(Duration::from_millis(200)));
    std::thread::Builder::new()
        .name(format!("nflog-{group}"))
        .spawn(move || {
            while !feed.stopped() {
                let n = match sock.recv(&mut &mut buf[..], 0) {
                    Ok(n) => n,
                    Err(e) if transient(&e) => continue,
                    Err(e) if e.raw_os_error() == Some(105) => {
                        // ENOBUFS: the kernel dropped copies.
                        feed.stats.overruns.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    Err(_) => break,
                };
                let ts = now();
                let mut batch = Batch::default();
                for item in nflog::messages(&buf[..n]) {
                    match item {
                        nflog::Item::Packet(p) if p.group == group => {
                            let ts = p.timestamp.map_or(ts, |(s, us)| {
                                Timestamp::from_parts(
                                    i64::try_from(s).unwrap_or(0),
                                    u32::try_from(us.min(999_999) * 1000).unwrap_or(0),
                                )
                            });
                            batch.push(ItemKind::Frame(LinkType::Raw), p.payload, ts, p.hwaddr);
                        }
                        nflog::Item::Control(nflog::Control::Overrun) => {
                            feed.stats.overruns.fetch_add(1, Ordering::Relaxed);
                        }
                        nflog::Item::Control(nflog::Control::Malformed) => {
                            feed.stats.malformed.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
                feed.send(batch);
            }
            let _ = sock.send_to(&nflog::command(9, group, nflog::CMD_UNBIND), &kernel, 0);
        })
        .map_err(nflog_err(group, "thread"))
}

/// A HEP listener on `addr`, UDP and TCP, for the agents in `allow` only.
pub fn spawn_hep(
    addr: SocketAddr,
    allow: Vec<ipnet::IpNet>,
    feed: Feed,
) -> Result<Vec<JoinHandle<()>>, SourceError> {
    let allow = Arc::new(allow);
    let udp = UdpSocket::bind(addr).map_err(|source| SourceError::Hep {
        addr,
        proto: "udp",
        source,
    })?;
    let tcp = TcpListener::bind(addr).map_err(|source| SourceError::Hep {
        addr,
        proto: "tcp",
        source,
    })?;
    let _ = udp.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = socket2::SockRef::from(&udp).set_recv_buffer_size(4 << 20);
    let ufeed = feed.clone();
    let uallow = allow.clone();
    let mut handles = vec![
        std::thread::Builder::new()
            .name(format!("hep-udp-{addr}"))
            .spawn(move || hep_udp(&udp, &uallow, &ufeed))
            .map_err(|source| SourceError::Hep {
                addr,
                proto: "udp",
                source,
            })?,
    ];
    tcp.set_nonblocking(true)
        .map_err(|source| SourceError::Hep {
            addr,
            proto: "tcp",
            source,
        })?;
    handles.push(
        std::thread::Builder::new()
            .name(format!("hep-tcp-{addr}"))
            .spawn(move || hep_tcp_accept(&tcp, &allow, &feed))
            .map_err(|source| SourceError::Hep {
                addr,
                proto: "tcp",
                source,
            })?,
    );
    Ok(handles)
}

fn allowed(allow: &[ipnet::IpNet], peer: SocketAddr) -> bool {
    let ip = match peer.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer.ip(), std::net::IpAddr::V4),
        v4 => v4,
    };
    allow.iter().any(|n| n.contains(&ip))
}

fn hep_udp(sock: &UdpSocket, allow: &[ipnet::IpNet], feed: &Feed) {
    let mut buf = vec![0u8; 65_536];
    while !feed.stopped() {
        let mut batch = Batch::default();
        // Gather what is waiting (up to 64 datagrams) into one batch.
        for i in 0..64 {
            if i == 1 {
                let _ = sock.set_nonblocking(true);
            }
            match sock.recv_from(&mut buf) {
                Ok((_, peer)) if !allowed(allow, peer) => {
                    feed.stats.hep_refused.fetch_add(1, Ordering::Relaxed);
                }
                Ok((n, _)) => {
                    if hep::decode(&buf[..n]).is_ok() {
                        batch.push(ItemKind::Hep, &buf[..n], now(), None);
                    } else {
                        feed.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => break,
            }
        }
        let _ = sock.set_nonblocking(false);
        feed.send(batch);
    }
}

/// DoS: a HEP TCP connection silent this long is closed.
pub const HEP_IDLE: Duration = Duration::from_secs(300);

/// DoS: HEP TCP connections served at once; more are refused.
pub const MAX_HEP_CONNECTIONS: usize = 64;
/// DoS: one HEP record over TCP is at most this large (a SIP message of
/// 64 KiB plus its chunks); a larger one closes the connection.
pub const MAX_HEP_RECORD: usize = 70_000;

fn hep_tcp_accept(listener: &TcpListener, allow: &[ipnet::IpNet], feed: &Feed) {
    while !feed.stopped() {
        match listener.accept() {
            Ok((_, peer)) if !allowed(allow, peer) => {
                feed.stats.hep_refused.fetch_add(1, Ordering::Relaxed);
            }
            Ok((stream, _)) => {
                if feed.stats.hep_connections.load(Ordering::Relaxed) >= MAX_HEP_CONNECTIONS {
                    continue; // dropped: closes it
                }
                feed.stats.hep_connections.fetch_add(1, Ordering::Relaxed);
                let f = feed.clone();
                let spawned = std::thread::Builder::new()
                    .name("hep-tcp-conn".into())
                    .spawn(move || {
                        hep_tcp_conn(stream, &f);
                        f.stats.hep_connections.fetch_sub(1, Ordering::Relaxed);
                    });
                if spawned.is_err() {
                    feed.stats.hep_connections.fetch_sub(1, Ordering::Relaxed);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Reads HEPv3 records from a stream: each starts with `HEP3` and its
/// length. Garbage or an oversized record ends the connection.
fn hep_tcp_conn(mut stream: TcpStream, feed: &Feed) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf: Vec<u8> = Vec::with_capacity(16_384);
    let mut chunk = vec![0u8; 16_384];
    let mut last = std::time::Instant::now();
    while !feed.stopped() {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                last = std::time::Instant::now();
                buf.extend_from_slice(&chunk[..n]);
            }
            // An agent that sends nothing for the idle time is closed, so
            // silent connections cannot hold the connection slots.
            Err(e) if transient(&e) && last.elapsed() > HEP_IDLE => return,
            Err(e) if transient(&e) => continue,
            Err(_) => return,
        }
        let mut batch = Batch::default();
        let mut at = 0;
        loop {
            match hep::v3_record_len(&buf[at..]) {
                Ok(Some(len)) if len <= MAX_HEP_RECORD && at + len <= buf.len() => {
                    let rec = &buf[at..at + len];
                    if hep::decode(rec).is_ok() {
                        batch.push(ItemKind::Hep, rec, now(), None);
                    } else {
                        feed.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    }
                    at += len;
                }
                Ok(Some(len)) if len <= MAX_HEP_RECORD => break, // incomplete
                Ok(None) => break,                               // need more bytes
                _ => {
                    feed.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    feed.send(batch);
                    return;
                }
            }
        }
        buf.drain(..at);
        feed.send(batch);
        if buf.len() > MAX_HEP_RECORD {
            feed.stats.malformed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
}

/// Captures on `interface` (AF_PACKET through libpcap; a mirror port in
/// monitor mode) and feeds SIP-looking frames to the inspector.
pub fn spawn_pcap(
    interface: &str,
    ports: &[u16],
    feed: Feed,
) -> Result<JoinHandle<()>, SourceError> {
    let err = |reason: String| SourceError::Capture {
        interface: interface.to_string(),
        reason,
    };
    let mut cap = pcap::Capture::from_device(interface)
        .map_err(|e| err(e.to_string()))?
        .promisc(true)
        .snaplen(65_535)
        .immediate_mode(true)
        .buffer_size(16 << 20)
        .timeout(200)
        .open()
        .map_err(|e| err(e.to_string()))?;
    // The kernel filters: SIP ports (UDP/TCP, either direction), IP
    // fragments (a large INVITE), and HEP; SIP on other ports reaches us
    // through the trusted servers' HEP feed or NFLOG instead.
    let mut f = String::from("ip[6:2] & 0x3fff != 0 or ip6[6] == 44 or port 9060");
    for p in ports {
        f.push_str(&format!(" or port {p}"));
    }
    cap.filter(&f, true)
        .map_err(|e| err(format!("filter `{f}`: {e}")))?;
    let link = LinkType::from_dlt(u32::try_from(cap.get_datalink().0).unwrap_or(1));
    std::thread::Builder::new()
        .name(format!("pcap-{interface}"))
        .spawn(move || {
            while !feed.stopped() {
                let mut batch = Batch::default();
                // Up to 64 frames per batch; a timeout ends the batch early.
                for _ in 0..64 {
                    match cap.next_packet() {
                        Ok(p) => {
                            let ts = Timestamp::from_parts(
                                p.header.ts.tv_sec,
                                u32::try_from(p.header.ts.tv_usec).unwrap_or(0).min(999_999) * 1000,
                            );
                            batch.push(ItemKind::Frame(link), p.data, ts, None);
                        }
                        Err(pcap::Error::TimeoutExpired) => break,
                        Err(_) => {
                            feed.send(batch);
                            return;
                        }
                    }
                }
                feed.send(batch);
            }
        })
        .map_err(|e| err(e.to_string()))
}

/// Inline mode: binds NFQUEUE `num` and gives every queued packet a
/// verdict from `judge` at once (fail-open: when the queue is full the
/// kernel accepts). New trusted prefixes arrive on `trusted`. Drops are
/// reported on `dropped` for the log. The thread is not joined at
/// shutdown: the kernel accepts queued packets once the socket closes
/// (the rule has `--queue-bypass`).
pub fn spawn_queue(
    num: u16,
    mut judge: crate::inline::InlineJudge,
    trusted: crossbeam_channel::Receiver<Vec<ipnet::IpNet>>,
    dropped: Sender<crate::inline::InlineVerdict>,
    stats: Arc<SourceStats>,
) -> Result<JoinHandle<()>, SourceError> {
    let err = |reason: String| SourceError::Queue { num, reason };
    let mut q = nfq::Queue::open().map_err(|e| err(e.to_string()))?;
    q.bind(num).map_err(|e| err(e.to_string()))?;
    q.set_fail_open(num, true).map_err(|e| err(e.to_string()))?;
    q.set_copy_range(num, 0xffff)
        .map_err(|e| err(e.to_string()))?;
    std::thread::Builder::new()
        .name(format!("nfqueue-{num}"))
        .spawn(move || {
            loop {
                while let Ok(nets) = trusted.try_recv() {
                    judge.set_trusted(nets);
                }
                let Ok(mut msg) = q.recv() else { return };
                let v = judge.judge(now(), msg.get_payload());
                stats.inline_judged.fetch_add(1, Ordering::Relaxed);
                if v == crate::inline::InlineVerdict::Accept {
                    msg.set_verdict(nfq::Verdict::Accept);
                } else {
                    msg.set_verdict(nfq::Verdict::Drop);
                    stats.inline_dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = dropped.try_send(v);
                }
                if q.verdict(msg).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| err(e.to_string()))
}
