//! The daemon's two worker threads: the inspector (engine) and the
//! firewall (nft batches), and the counters they share with the async side.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};
use ghostguard_firewall::{self as fw, Firewall, FirewallSpec};
use ghostguard_guard::inspector::{Effect, Inspector};
use ghostguard_guard::sources::{self, Batch, ItemKind, SourceStats};
use ghostguard_packet::{Frame, Timestamp};
use ipnet::IpNet;

/// Commands for the firewall thread, carried out in order.
pub(super) enum FwCmd {
    /// Bans, with the time of the packet that made each source malicious.
    Ban(Vec<(fw::Ban, Timestamp)>),
    Unban(Vec<IpNet>),
    Trusted(Vec<IpNet>),
    Install(Box<FirewallSpec>),
}

/// Commands for the inspector thread.
pub(super) enum Control {
    Trusted(Vec<IpNet>),
    /// An operator lifted a ban at this time (ms since the epoch).
    Lifted(IpNet, i64),
    /// Bans made outside the daemon (store rows), each with its end: the
    /// inspector knows them (to put them back after a lift inside them),
    /// then the firewall applies them.
    Added(Vec<(IpNet, Timestamp)>),
    Replace(Box<Inspector>),
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub effects_dropped: AtomicU64,
    pub bans_applied: AtomicU64,
    pub ban_errors: AtomicU64,
    /// Detecting packet to kernel commit, last and worst (microseconds).
    pub ban_latency_last_us: AtomicU64,
    pub ban_latency_max_us: AtomicU64,
    pub store_errors: AtomicU64,
    pub frames: AtomicU64,
    pub incidents: AtomicU64,
    pub calls: AtomicU64,
    /// SIP messages by method and verdict since the start (the inspector's
    /// counts, carried over when a reload replaces it).
    pub messages: std::sync::Mutex<[[u64; 5]; 8]>,
}

fn add(a: &mut [[u64; 5]; 8], b: &[[u64; 5]; 8]) {
    for (x, y) in a.iter_mut().flatten().zip(b.iter().flatten()) {
        *x += y;
    }
}

/// The inspector thread's channels.
pub(super) struct InspectorIo {
    pub batches: Receiver<Batch>,
    pub control: Receiver<Control>,
    pub fw_tx: Option<Sender<FwCmd>>,
    pub eff_tx: tokio::sync::mpsc::Sender<Effect>,
}

pub(super) fn spawn_inspector(
    mut ins: Inspector,
    io: InspectorIo,
    stop: Arc<AtomicBool>,
    stats: Arc<SourceStats>,
    counters: Arc<Counters>,
) -> Result<JoinHandle<()>> {
    let InspectorIo {
        batches,
        control,
        fw_tx,
        eff_tx,
    } = io;
    Ok(std::thread::Builder::new()
        .name("inspector".into())
        .spawn(move || {
            let mut out = Vec::new();
            let mut last_tick = Instant::now();
            let mut base = [[0u64; 5]; 8];
            loop {
                while let Ok(c) = control.try_recv() {
                    match c {
                        Control::Trusted(n) => ins.set_trusted(n),
                        // The inspector decides whether the kernel element
                        // goes (not when it banned the source again since the
                        // lift) and sends the unban in order with its bans.
                        Control::Lifted(net, at) => {
                            let at = Timestamp::from_nanos(at.saturating_mul(1_000_000));
                            if let Some(keep) = ins.lifted(net, at)
                                && let Some(tx) = &fw_tx
                            {
                                let _ = tx.send(FwCmd::Unban(vec![net]));
                                let again = still_in_force(keep, sources::now());
                                if !again.is_empty() {
                                    let _ = tx.send(FwCmd::Ban(again));
                                }
                            }
                        }
                        Control::Added(list) => {
                            let now = sources::now();
                            for (net, until) in &list {
                                ins.note_ban(*net, *until);
                            }
                            let bans = still_in_force(list, now);
                            if !bans.is_empty()
                                && let Some(tx) = &fw_tx
                            {
                                let _ = tx.send(FwCmd::Ban(bans));
                            }
                        }
                        Control::Replace(new) => {
                            add(&mut base, &ins.stats().messages);
                            ins = *new;
                        }
                    }
                }
                match batches.recv_timeout(Duration::from_millis(200)) {
                    Ok(b) => {
                        for item in &b.items {
                            let bytes = b.bytes(item);
                            match item.kind {
                                ItemKind::Frame(link) => ins.feed(
                                    &Frame::new(item.ts, link, bytes),
                                    item.hwaddr,
                                    &mut out,
                                ),
                                ItemKind::Hep => ins.feed_hep(item.ts, bytes, &mut out),
                            }
                        }
                        stats.queued_bytes.fetch_sub(
                            b.data.len().min(stats.queued_bytes.load(Ordering::Relaxed)),
                            Ordering::Relaxed,
                        );
                        counters
                            .frames
                            .fetch_add(b.items.len() as u64, Ordering::Relaxed);
                        if let Ok(mut m) = counters.messages.lock() {
                            *m = base;
                            add(&mut m, &ins.stats().messages);
                        }
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
                dispatch(&mut out, fw_tx.as_ref(), &eff_tx, &counters);
                if stop.load(Ordering::Relaxed) && batches.is_empty() {
                    break;
                }
                if last_tick.elapsed() >= Duration::from_secs(1) {
                    ins.tick(sources::now());
                    last_tick = Instant::now();
                }
            }
            dispatch(&mut out, fw_tx.as_ref(), &eff_tx, &counters);
        })?)
}

/// Bans for the kernel from networks and their ends: the time left at
/// `now` (those over are left out).
fn still_in_force(list: Vec<(IpNet, Timestamp)>, now: Timestamp) -> Vec<(fw::Ban, Timestamp)> {
    list.into_iter()
        .filter(|(_, end)| *end > now)
        .map(|(net, end)| {
            let nanos = u64::try_from(end.since(now).as_nanos()).unwrap_or(0);
            let ttl = Duration::from_nanos(nanos).min(fw::MAX_BAN_TTL);
            (fw::Ban { net, ttl }, now)
        })
        .collect()
}

/// Bans to the firewall thread at once (one command per call), everything
/// to the async side (store, alerts).
fn dispatch(
    out: &mut Vec<Effect>,
    fw_tx: Option<&Sender<FwCmd>>,
    eff_tx: &tokio::sync::mpsc::Sender<Effect>,
    counters: &Counters,
) {
    if out.is_empty() {
        return;
    }
    let bans: Vec<(fw::Ban, Timestamp)> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Ban { net, ttl, at, .. } => Some((
                fw::Ban {
                    net: *net,
                    ttl: *ttl,
                },
                *at,
            )),
            _ => None,
        })
        .collect();
    if let Some(tx) = fw_tx
        && !bans.is_empty()
    {
        let _ = tx.send(FwCmd::Ban(bans));
    }
    for e in out.drain(..) {
        match &e {
            Effect::Incident { .. } => counters.incidents.fetch_add(1, Ordering::Relaxed),
            Effect::Call(_) => counters.calls.fetch_add(1, Ordering::Relaxed),
            Effect::Ban { .. } => 0,
        };
        if eff_tx.try_send(e).is_err() {
            counters.effects_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Applies firewall commands in the order they came; consecutive bans are
/// merged into one batch (at most 5000 addresses each).
pub(super) fn spawn_firewall(
    mut f: Box<dyn Firewall + Send>,
    rx: Receiver<FwCmd>,
    counters: Arc<Counters>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut pending: Option<FwCmd> = None;
        loop {
            let Some(first) = pending.take().or_else(|| rx.recv().ok()) else {
                return;
            };
            let r = match first {
                FwCmd::Ban(mut bans) => {
                    // Merge the bans queued right behind, stop at anything else.
                    while bans.len() < 5_000 {
                        match rx.try_recv() {
                            Ok(FwCmd::Ban(more)) => bans.extend(more),
                            Ok(other) => {
                                pending = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    apply_bans(f.as_mut(), &bans, &counters);
                    Ok(())
                }
                FwCmd::Unban(ips) => f.unban(&ips),
                FwCmd::Trusted(nets) => f.set_trusted(&nets),
                FwCmd::Install(spec) => f.install(&spec),
            };
            if let Err(e) = r {
                eprintln!("ghostguard: firewall: {e}");
            }
        }
    })
}

/// Whether the kernel can hold `ban`; a refused one (an IPv4 network or a
/// too wide IPv6 one, from a store row another tool wrote) is logged and
/// left out, so that it does not stop the bans batched with it.
pub(super) fn bannable(ban: &fw::Ban) -> bool {
    match fw::ban_net(fw::Step::Ban, ban.net) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("ghostguard: warning: skipping a ban: {e}");
            false
        }
    }
}

fn apply_bans(f: &mut dyn Firewall, bans: &[(fw::Ban, Timestamp)], counters: &Counters) {
    let list: Vec<fw::Ban> = bans.iter().map(|(b, _)| *b).filter(bannable).collect();
    let refused = bans.len() - list.len();
    if refused > 0 {
        counters
            .ban_errors
            .fetch_add(refused as u64, Ordering::Relaxed);
    }
    match f.ban(&list) {
        Ok(()) => {
            counters
                .bans_applied
                .fetch_add(list.len() as u64, Ordering::Relaxed);
            // From the packet that made the source malicious to the commit.
            if let Some(at) = bans.iter().map(|(_, t)| *t).min() {
                let us = u64::try_from(sources::now().since(at).as_nanos() / 1_000).unwrap_or(0);
                counters.ban_latency_last_us.store(us, Ordering::Relaxed);
                counters.ban_latency_max_us.fetch_max(us, Ordering::Relaxed);
            }
        }
        Err(e) => {
            counters.ban_errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("ghostguard: firewall: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lift of an address inside an operator's /48 (made outside the
    /// daemon): its element goes, and the /48, merged with it in the
    /// kernel, is put back.
    #[test]
    fn a_lift_inside_a_wider_ban_puts_the_wider_one_back() {
        let cfg = ghostguard_guard::GuardConfig::parse(
            "mode = \"host\"\n[network]\nprotected = [\"192.0.2.10/32\"]\n",
        )
        .unwrap();
        let ins = Inspector::new(
            &cfg,
            ghostguard_engine::Rules::default_rules().unwrap(),
            vec![],
            &[],
        )
        .unwrap();
        let (_batch_tx, batches) = crossbeam_channel::unbounded();
        let (ctl_tx, control) = crossbeam_channel::unbounded();
        let (fw_tx, fw_rx) = crossbeam_channel::unbounded();
        let (eff_tx, _eff_rx) = tokio::sync::mpsc::channel(16);
        let stop = Arc::new(AtomicBool::new(false));
        let io = InspectorIo {
            batches,
            control,
            fw_tx: Some(fw_tx),
            eff_tx,
        };
        let thread =
            spawn_inspector(ins, io, stop.clone(), Arc::default(), Arc::default()).unwrap();
        let wide: IpNet = "2001:db8:5::/48".parse().unwrap();
        let host: IpNet = "2001:db8:5:1::6/128".parse().unwrap();
        let hour = Timestamp::from_nanos(sources::now().as_nanos() + 3_600_000_000_000);
        ctl_tx
            .send(Control::Added(vec![(wide, hour), (host, hour)]))
            .unwrap();
        ctl_tx
            .send(Control::Lifted(host, sources::now().as_millis()))
            .unwrap();
        let wait = Duration::from_secs(5);
        assert!(matches!(fw_rx.recv_timeout(wait), Ok(FwCmd::Ban(b)) if b.len() == 2));
        assert!(matches!(fw_rx.recv_timeout(wait), Ok(FwCmd::Unban(n)) if n == [host]));
        match fw_rx.recv_timeout(wait) {
            Ok(FwCmd::Ban(b)) => {
                assert_eq!(b.len(), 1);
                assert_eq!(b[0].0.net, wide);
                assert!(b[0].0.ttl > Duration::from_secs(3_500));
            }
            _ => panic!("the /48 is not put back"),
        }
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }

    #[test]
    fn a_refused_ban_does_not_stop_the_batch() {
        let mut f = fw::Memory::new();
        f.install(&FirewallSpec::new(fw::Mode::Host, fw::Policy::Enforce))
            .unwrap();
        let counters = Counters::default();
        let ban = |net: &str| {
            (
                fw::Ban {
                    net: net.parse().unwrap(),
                    ttl: Duration::from_secs(60),
                },
                sources::now(),
            )
        };
        let batch = [
            ban("203.0.113.7/32"),
            ban("198.51.100.0/24"),
            ban("2001:db8::/40"),
            ban("2001:db8:1:2::/64"),
        ];
        apply_bans(&mut f, &batch, &counters);
        assert!(f.is_banned("203.0.113.7".parse().unwrap()));
        assert!(f.is_banned("2001:db8:1:2::9".parse().unwrap()));
        assert!(!f.is_banned("198.51.100.1".parse().unwrap()));
        assert_eq!(counters.bans_applied.load(Ordering::Relaxed), 2);
        assert_eq!(counters.ban_errors.load(Ordering::Relaxed), 2);
    }
}
