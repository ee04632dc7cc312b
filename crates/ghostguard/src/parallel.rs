//! `analyze --threads N`: the engine sharded by the responder address.
//!
//! The calling thread reads and decodes. Each datagram goes to the shard of
//! its *responder*: a request's destination, a response's source. Every
//! exchange the engine correlates shares that address (a request and its
//! answers, both copies of a message around a NAT router, loop copies), so
//! each worker's engine sees whole exchanges. What keeps state per
//! requester (the call tracker; the enumeration, password guessing, flood,
//! sweep and toll-fraud detectors) runs instead in the engine of the
//! *requester* address (a request's
//! source, a response's destination), which gets a second copy of the
//! message when it is not the responder's engine (`Role`): that engine sees
//! all of one requester's exchanges, with every responder. What the trust
//! model learns (registrations and answered calls: which addresses are
//! phones, which are their servers) is needed by every engine, so those
//! messages (`Engine::teaches_trust`, a few percent of a capture) also go to
//! every other engine, which only learns from them (`Role::Trust`). The
//! two copies of a message seen on both sides of a NAT router share their
//! requester or their responder, depending on the direction, so the SIP ALG
//! watch runs in engine 0 alone, which also gets the other engines'
//! INVITE, REGISTER and response messages (`Role::Alg`). At the end the
//! workers' engines are merged into one (`Engine::merge`).
//!
//! Datagrams borrow the decoder's buffers, so they are copied into
//! per-shard batches (one byte arena plus small metadata records). Full
//! batches go to the workers over bounded channels and come back empty for
//! reuse: memory stays at about channel capacity × batch size per worker,
//! with no allocation per message.

use std::net::IpAddr;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use anyhow::{Context, Result};
use ghostguard_engine::net::canonical;
use ghostguard_engine::{Engine, EngineConfig, Role, Rules};
use ghostguard_packet::{Datagram, Timestamp};

use crate::analyze::observe;

/// Datagrams per batch.
const BATCH: usize = 2048;
/// Payload bytes per batch before it is sent early (large TCP messages).
const BATCH_BYTES: usize = 4 << 20;
/// Full batches queued per worker.
const QUEUE: usize = 4;
/// The engine that runs the SIP ALG watch.
const ALG_SHARD: usize = 0;

/// A datagram without its payload, which lives in the batch's arena.
#[derive(Debug, Clone, Copy)]
struct Meta {
    /// The datagram with its payload left out (it lives in `bytes`).
    head: Datagram<'static>,
    role: Role,
    start: usize,
    end: usize,
}

#[derive(Debug, Default)]
struct Batch {
    /// The time of the first datagram of the whole input: every engine
    /// starts its timeline there, so the timelines merge exactly.
    origin: Option<Timestamp>,
    bytes: Vec<u8>,
    metas: Vec<Meta>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            origin: None,
            bytes: Vec::with_capacity(BATCH * 512),
            metas: Vec::with_capacity(BATCH),
        }
    }

    fn push(&mut self, d: &Datagram<'_>, role: Role) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(d.payload);
        self.metas.push(Meta {
            head: Datagram { payload: &[], ..*d },
            role,
            start,
            end: self.bytes.len(),
        });
    }

    fn is_full(&self) -> bool {
        self.metas.len() >= BATCH || self.bytes.len() >= BATCH_BYTES
    }

    fn datagrams(&self) -> impl Iterator<Item = (Datagram<'_>, Role)> {
        self.metas.iter().map(|m| {
            let d = Datagram {
                payload: &self.bytes[m.start..m.end],
                ..m.head
            };
            (d, m.role)
        })
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.metas.clear();
    }
}

/// Where a datagram goes: the shard of its responder address (a request's
/// destination, a response's source), and when its requester (a request's
/// source, a response's destination) belongs to another shard, that shard
/// too (for the per-requester detectors).
fn route(d: &Datagram<'_>, shards: usize) -> (usize, Option<usize>) {
    let (responder, requester) = if is_response(d.payload) {
        (d.src.ip(), d.dst.ip())
    } else {
        (d.dst.ip(), d.src.ip())
    };
    let responder = shard_of(responder, shards);
    let requester = shard_of(requester, shards);
    (responder, (requester != responder).then_some(requester))
}

/// A status line, by the parser's own rule: leading CRLFs skipped, `SIP/`
/// in any case (a response routed as a request would miss its request).
fn is_response(payload: &[u8]) -> bool {
    let start = payload
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    payload
        .get(start..start + 4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

/// The shard of an address: a fixed hash, so runs are repeatable.
fn shard_of(ip: IpAddr, shards: usize) -> usize {
    let key = match canonical(ip) {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => {
            let x = u128::from(a);
            (x as u64) ^ ((x >> 64) as u64)
        }
    };
    // Fibonacci hashing: the high bits of the product mix every input bit.
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (h % shards as u64) as usize
}

/// The reading side: fills one open batch per shard and hands full ones on.
struct Sharder {
    origin: Option<Timestamp>,
    open: Vec<Batch>,
    to: Vec<SyncSender<Batch>>,
    spare: Receiver<Batch>,
}

impl Sharder {
    fn push(&mut self, d: &Datagram<'_>) {
        self.origin.get_or_insert(d.ts);
        let (shard, requester) = route(d, self.to.len());
        match requester {
            None => self.push_to(shard, d, Role::Whole),
            Some(requester) => {
                self.push_to(shard, d, Role::Exchange);
                self.push_to(requester, d, Role::Requester);
            }
        }
        // Every engine learns the same phones and servers.
        let teaches = Engine::teaches_trust(d.payload);
        if teaches {
            for other in 0..self.to.len() {
                if other != shard && Some(other) != requester {
                    self.push_to(other, d, Role::Trust);
                }
            }
        }
        // The SIP ALG watch runs in engine 0 alone: both copies of a
        // message around a NAT router must meet there.
        let has_it = shard == ALG_SHARD || requester == Some(ALG_SHARD) || teaches;
        if !has_it && Engine::concerns_alg(d.payload) {
            self.push_to(ALG_SHARD, d, Role::Alg);
        }
    }

    fn push_to(&mut self, shard: usize, d: &Datagram<'_>, role: Role) {
        self.open[shard].push(d, role);
        if self.open[shard].is_full() {
            self.send(shard);
        }
    }

    fn send(&mut self, shard: usize) {
        let fresh = self.spare.try_recv().unwrap_or_else(|_| Batch::new());
        let mut full = std::mem::replace(&mut self.open[shard], fresh);
        full.origin = self.origin;
        // A worker that is gone has panicked; joining it reports that.
        let _ = self.to[shard].send(full);
    }

    /// Sends the partly filled batches; dropping the senders then ends the
    /// workers.
    fn flush(mut self) {
        for shard in 0..self.open.len() {
            if !self.open[shard].metas.is_empty() {
                self.send(shard);
            }
        }
    }
}

fn work(mut engine: Engine, batches: Receiver<Batch>, back: Sender<Batch>) -> Engine {
    for mut batch in batches {
        if let Some(origin) = batch.origin {
            engine.start_timeline(origin);
        }
        for (d, role) in batch.datagrams() {
            observe(&mut engine, &d, role);
        }
        batch.clear();
        // The reader may be done and gone: then the batch is just freed.
        let _ = back.send(batch);
    }
    engine
}

/// Runs `read` (which decodes the captures into the sink it is given) with
/// `threads` engine workers, and returns their engines merged into one.
pub fn analyze<T>(
    threads: usize,
    cfg: &EngineConfig,
    rules: &Rules,
    read: impl FnOnce(&mut dyn FnMut(&Datagram<'_>)) -> T,
) -> Result<(Engine, T)> {
    let engines = (0..threads)
        .map(|_| Engine::new(cfg.clone(), rules.clone()))
        .collect::<Result<Vec<_>, _>>()
        .context("invalid engine settings")?;
    let (back, spare) = channel();
    std::thread::scope(|scope| {
        let mut to = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for (i, mut engine) in engines.into_iter().enumerate() {
            engine.set_alg_watch(i == ALG_SHARD);
            let (tx, rx) = sync_channel(QUEUE);
            let back = back.clone();
            let worker = std::thread::Builder::new()
                .name(format!("engine-{i}"))
                .spawn_scoped(scope, move || work(engine, rx, back))
                .context("cannot start an analysis thread")?;
            to.push(tx);
            workers.push(worker);
        }
        drop(back);
        let mut sharder = Sharder {
            origin: None,
            open: (0..threads).map(|_| Batch::new()).collect(),
            to,
            spare,
        };
        let out = read(&mut |d| sharder.push(d));
        sharder.flush();
        let mut merged: Option<Engine> = None;
        for w in workers {
            let engine = w
                .join()
                .map_err(|_| anyhow::anyhow!("an analysis thread failed"))?;
            match &mut merged {
                Some(m) => m.merge(engine),
                None => merged = Some(engine),
            }
        }
        let merged = merged.context("no analysis thread ran")?;
        Ok((merged, out))
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn responses_are_recognised_like_the_parser_does() {
        assert!(super::is_response(b"SIP/2.0 200 OK\r\n"));
        assert!(super::is_response(b"\r\n\r\nsip/2.0 180 Ringing\r\n"));
        assert!(!super::is_response(b"INVITE sip:a@b SIP/2.0\r\n"));
        assert!(!super::is_response(b"SIP"));
    }
    use super::*;
    use ghostguard_packet::Transport;
    use std::net::SocketAddr;

    fn datagram<'a>(src: &str, dst: &str, payload: &'a [u8]) -> Datagram<'a> {
        Datagram {
            ts: Timestamp::from_parts(1, 0),
            src: src.parse().unwrap_or_else(|_| unreachable!()),
            dst: dst.parse().unwrap_or_else(|_| unreachable!()),
            transport: Transport::Udp,
            ttl: 64,
            ip_id: None,
            src_mac: None,
            dst_mac: None,
            vlan: None,
            interface: 0,
            payload,
            hep: false,
            fragmented: false,
        }
    }

    #[test]
    fn a_request_and_its_answer_share_a_shard() {
        for n in 2..9 {
            for phone in 1..=50u8 {
                let phone = format!("192.168.1.{phone}:5060");
                let req = datagram("203.0.113.9:5060", &phone, b"INVITE sip:x SIP/2.0\r\n");
                let resp = datagram(&phone, "203.0.113.9:5060", b"SIP/2.0 180 Ringing\r\n");
                assert_eq!(route(&req, n), route(&resp, n));
                // All of the scanner's exchanges also meet in its own shard.
                let own = shard_of("203.0.113.9".parse().unwrap_or_else(|_| unreachable!()), n);
                let (to, also) = route(&req, n);
                assert_eq!(also.unwrap_or(to), own);
            }
        }
    }

    #[test]
    fn v4_mapped_v6_is_the_v4_address() {
        let a = datagram("[::1]:1", "10.0.0.7:5060", b"OPTIONS");
        let b = datagram("[::1]:1", "[::ffff:10.0.0.7]:5060", b"OPTIONS");
        assert_eq!(route(&a, 7).0, route(&b, 7).0);
    }

    #[test]
    fn batches_round_trip_datagrams() {
        let mut b = Batch::new();
        b.push(&datagram("10.0.0.1:1", "10.0.0.2:2", b"one"), Role::Whole);
        b.push(
            &datagram("10.0.0.3:3", "10.0.0.4:4", b"two!"),
            Role::Requester,
        );
        let got: Vec<(SocketAddr, Vec<u8>)> = b
            .datagrams()
            .map(|(d, _)| (d.src, d.payload.to_vec()))
            .collect();
        assert_eq!(b.metas[1].role, Role::Requester);
        assert_eq!(got[0].1, b"one");
        assert_eq!(got[1].1, b"two!");
        assert_eq!(got[1].0.to_string(), "10.0.0.3:3");
    }
}
