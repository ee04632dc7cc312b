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
}

/// What a source needs: where to send, when to stop, what to count.
#[derive(Debug, Clone)]
pub struct Feed {
    pub tx: Sender<Batch>,
    pub stop: Arc<AtomicBool>,
    pub stats: Arc<SourceStats>,
}

impl Feed {
    fn send(&self, batch: Batch) {
        if batch.items.is_empty() {
            return;
        }
        self.stats
            .packets
            .fetch_add(batch.items.len() as u64, Ordering::Relaxed);
        match self.tx.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
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

/// A HEP listener on `addr`, UDP and TCP.
pub fn spawn_hep(addr: SocketAddr, feed: Feed) -> Result<Vec<JoinHandle<()>>, SourceError> {
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
    let mut handles = vec![
        std::thread::Builder::new()
            .name(format!("hep-udp-{addr}"))
            .spawn(move || hep_udp(&udp, &ufeed))
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
            .spawn(move || hep_tcp_accept(&tcp, &feed))
            .map_err(|source| SourceError::Hep {
                addr,
                proto: "tcp",
                source,
            })?,
    );
    Ok(handles)
}

fn hep_udp(sock: &UdpSocket, feed: &Feed) {
    let mut buf = vec![0u8; 65_536];
    while !feed.stopped() {
        let mut batch = Batch::default();
        // Gather what is waiting (up to 64 datagrams) into one batch.
        for i in 0..64 {
            if i == 1 {
                let _ = sock.set_nonblocking(true);
            }
            match sock.recv(&mut buf) {
                Ok(n) => {
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

/// DoS: HEP TCP connections served at once; more are refused.
pub const MAX_HEP_CONNECTIONS: usize = 64;
/// DoS: one HEP record over TCP is at most this large (a SIP message of
/// 64 KiB plus its chunks); a larger one closes the connection.
pub const MAX_HEP_RECORD: usize = 70_000;

fn hep_tcp_accept(listener: &TcpListener, feed: &Feed) {
    while !feed.stopped() {
        match listener.accept() {
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
    while !feed.stopped() {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
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
