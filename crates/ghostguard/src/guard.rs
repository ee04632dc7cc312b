//! `ghostguard guard`: the daemon. Wires the live sources, the inspector,
//! the firewall, the store and the alerts:
//!
//! ```text
//! NFLOG / HEP threads --batches--> inspector thread --bans--> firewall thread (nft)
//!                                        |  effects
//!                                        v
//!                          tokio: store, alerts, DNS refresh, signals
//! ```
//!
//! Bans go to the kernel first, on their own thread, so a slow database or
//! webhook never delays them. The nftables table stays when the daemon
//! stops or dies; `guard --remove` deletes it.

use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use ghostguard_engine::Rules;
use ghostguard_firewall::{self as fw, Firewall, FirewallSpec};
use ghostguard_guard::alert::Alert;
use ghostguard_guard::inspector::{Effect, Inspector};
use ghostguard_guard::notify::Notifier;
use ghostguard_guard::policy::Verdict;
use ghostguard_guard::sources::{self, Batch, Feed, ItemKind, SourceStats};
use ghostguard_guard::trusted::{Dns, TrustedServers};
use ghostguard_guard::{GuardConfig, Mode, Policy};
use ghostguard_packet::{Frame, Timestamp};
use ghostguard_store::{
    BanOrigin, BanQuery, NewBan, NewGhostCall, NewIncident, Store, StoreOptions,
};
use ipnet::IpNet;
use tokio::signal::unix::{SignalKind, signal};

use crate::guard_cli::GuardArgs;

/// Reads and validates a guard config; nothing is touched before this.
pub fn load_config(path: &Path) -> Result<GuardConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    GuardConfig::parse(&text).with_context(|| format!("config {} is invalid", path.display()))
}

pub fn load_rules(cfg: &GuardConfig) -> Result<Rules> {
    match &cfg.detect.rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read rules {}", p.display()))?;
            Rules::parse(&text).with_context(|| format!("rules file {} is invalid", p.display()))
        }
        None => Ok(Rules::default_rules()?),
    }
}

/// The kernel ruleset for a config and the trusted prefixes.
pub fn firewall_spec(cfg: &GuardConfig, trusted: &[IpNet]) -> Result<Option<FirewallSpec>> {
    let mode = match cfg.mode {
        Mode::Gateway => fw::Mode::Gateway,
        Mode::Host => fw::Mode::Host,
        Mode::Monitor => return Ok(None),
    };
    let policy = match cfg.policy {
        Policy::Observe => fw::Policy::Observe,
        Policy::Enforce => fw::Policy::Enforce,
    };
    let mut spec = FirewallSpec::new(mode, policy);
    spec.sip_ports = cfg.network.sip_ports.clone();
    spec.protected = cfg.network.protected.clone();
    spec.protected
        .extend(cfg.network.phones.iter().map(|&ip| IpNet::from(ip)));
    spec.trusted = trusted.to_vec();
    spec.allow = cfg.trusted.allow.clone();
    spec.trusted_only = cfg.trusted_only();
    spec.nflog = cfg.inspect.nflog_group.map(fw::Nflog::new);
    if let Some(num) = cfg.inspect.queue {
        let support = fw::detect_queue_support();
        let Some(backend) = support.backend() else {
            bail!("inline mode (inspect.queue) is not available on this host:\n{support}");
        };
        eprintln!("ghostguard: inline mode: {support}");
        spec.queue = Some(fw::Queue { num, backend });
    }
    spec.validate()
        .context("the firewall settings are invalid")?;
    Ok(Some(spec))
}

fn now_ms() -> i64 {
    sources::now().as_millis()
}

fn ts_ms(t: Timestamp) -> i64 {
    t.as_millis()
}

fn actor() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "root".into());
    format!("cli:{user}")
}

/// Commands for the firewall thread.
enum FwCmd {
    Ban(Vec<fw::Ban>, Instant),
    Unban(Vec<IpAddr>),
    Trusted(Vec<IpNet>),
    Install(Box<FirewallSpec>),
}

/// Commands for the inspector thread.
enum Control {
    Trusted(Vec<IpNet>),
    /// An operator lifted a ban at this time (ms since the epoch).
    Lifted(IpAddr, i64),
    Replace(Box<Inspector>),
}

#[derive(Debug, Default)]
struct Counters {
    effects_dropped: AtomicU64,
    bans_applied: AtomicU64,
    ban_errors: AtomicU64,
    /// Detection to kernel commit, last and worst (microseconds).
    ban_latency_last_us: AtomicU64,
    ban_latency_max_us: AtomicU64,
    store_errors: AtomicU64,
    frames: AtomicU64,
    incidents: AtomicU64,
    calls: AtomicU64,
}

pub fn run(args: &GuardArgs) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    if args.remove {
        let mut nft = fw::Nft::new();
        nft.remove().context("cannot remove the ghostguard table")?;
        println!("removed table inet ghostguard: SIP is no longer filtered by ghostguard");
        return Ok(ExitCode::SUCCESS);
    }
    let rules = load_rules(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(daemon(cfg, rules, args))
}

async fn resolve_trusted(cfg: &GuardConfig) -> Result<(TrustedServers, Duration)> {
    let mut trusted = TrustedServers::new(cfg)?;
    if !trusted.has_names() {
        return Ok((trusted, Duration::from_secs(3600)));
    }
    let dns = Dns::system().map_err(anyhow::Error::msg)?;
    let r = trusted.refresh(&dns).await;
    for (name, why, _) in &r.failures {
        eprintln!(
            "ghostguard: warning: trusted server `{name}` does not resolve ({why}); \
             SIP from it is treated as untrusted until it does"
        );
    }
    Ok((trusted, r.next))
}

async fn daemon(cfg: GuardConfig, rules: Rules, args: &GuardArgs) -> Result<ExitCode> {
    let (mut trusted, mut dns_next) = resolve_trusted(&cfg).await?;
    let nets = trusted.current();
    let spec = firewall_spec(&cfg, &nets)?;
    if args.dry_run {
        match &spec {
            Some(spec) => {
                let mut dry = fw::DryRun::new();
                dry.install(spec)?;
                print!("{}", dry.script());
            }
            None => println!("# monitor mode: no kernel rules"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let site = cfg.site().to_string();
    let store = Store::open(&cfg.store.url, &StoreOptions::default())
        .await
        .context("cannot open the store")?;
    let now = now_ms();

    // The kernel first: the table, then the bans still in force.
    let mut firewall: Option<Box<dyn Firewall + Send>> = None;
    if let Some(spec) = &spec {
        let mut nft = fw::Nft::new();
        nft.install(spec)
            .context("cannot install the nftables table")?;
        let active = store.active_bans(&site, now).await?;
        let restore: Vec<fw::Ban> = active
            .iter()
            .map(|b| fw::Ban {
                ip: b.ip,
                ttl: b.expires_at.map_or(fw::MAX_BAN_TTL, |e| {
                    Duration::from_millis(u64::try_from(e - now).unwrap_or(1_000))
                }),
            })
            .collect();
        for chunk in restore.chunks(5_000) {
            nft.ban(chunk).context("cannot restore bans")?;
        }
        eprintln!(
            "ghostguard: table inet ghostguard installed ({:?} mode, {:?}); {} bans restored",
            cfg.mode,
            cfg.policy,
            restore.len()
        );
        firewall = Some(Box::new(nft));
    }

    let history_since = now - i64::try_from(cfg.ban.history.as_millis()).unwrap_or(i64::MAX / 2);
    let history: Vec<(IpAddr, Timestamp)> = store
        .bans(&BanQuery {
            site: Some(site.clone()),
            since: Some(history_since),
            limit: 10_000,
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|b| {
            (
                b.ip,
                Timestamp::from_nanos(b.created_at.saturating_mul(1_000_000)),
            )
        })
        .collect();
    let inspector = Inspector::new(&cfg, rules, nets.clone(), &history)?;

    // Channels and threads.
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(SourceStats::default());
    let counters = Arc::new(Counters::default());
    let (batch_tx, batch_rx) = bounded::<Batch>((cfg.inspect.backlog / 16).max(64));
    let (ctl_tx, ctl_rx) = unbounded::<Control>();
    let (fw_tx, fw_rx) = unbounded::<FwCmd>();
    let (eff_tx, mut eff_rx) = tokio::sync::mpsc::channel::<Effect>(65_536);
    let feed = Feed {
        tx: batch_tx,
        stop: stop.clone(),
        stats: stats.clone(),
    };
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    if cfg.mode != Mode::Monitor
        && let Some(group) = cfg.inspect.nflog_group
    {
        threads.push(sources::spawn_nflog(group, 2048, feed.clone())?);
    }
    for addr in &cfg.inspect.hep_listen {
        threads.extend(sources::spawn_hep(*addr, feed.clone())?);
    }
    drop(feed);
    threads.push(spawn_inspector(
        inspector,
        batch_rx,
        ctl_rx,
        fw_tx.clone(),
        eff_tx,
        stop.clone(),
        counters.clone(),
    )?);
    let fw_thread = firewall.map(|f| spawn_firewall(f, fw_rx, counters.clone()));
    eprintln!(
        "ghostguard: guarding (site {site}; trusted: {}; sources: {})",
        if nets.is_empty() {
            "none".to_string()
        } else {
            nets.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        },
        describe_sources(&cfg)
    );

    let mut notifier = Notifier::new(&cfg.alerts, &site);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    // Also how soon a ban lifted by `bans del` re-arms its source in the
    // engine: until then a renewed attack from it is not banned again.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = tokio::time::interval(Duration::from_secs(10));
    let mut prune = tokio::time::interval(Duration::from_secs(3600));
    let mut lifted_seen = now;
    let mut cfg = cfg;
    let dns = if trusted.has_names() {
        Dns::system().ok()
    } else {
        None
    };
    let mut dns_at = tokio::time::Instant::now() + dns_next;
    loop {
        tokio::select! {
            Some(e) = eff_rx.recv() => {
                carry_out(&store, &mut notifier, &site, e, &counters).await;
            }
            _ = tick.tick() => {
                notifier.flush(now_ms());
                // Bans an operator lifted (bans del, the dashboard).
                match store.lifted_since(&site, lifted_seen, 1000).await {
                    // The inspector decides whether the kernel element
                    // goes (not when it banned the source again since) and
                    // sends the unban in order with its own bans.
                    Ok(list) => for b in list {
                        let at = b.lifted_at.unwrap_or(0);
                        lifted_seen = lifted_seen.max(at + 1);
                        let _ = ctl_tx.send(Control::Lifted(b.ip, at));
                    },
                    Err(e) => store_error(&counters, "lifted bans", &e),
                }
            }
            _ = tokio::time::sleep_until(dns_at), if dns.is_some() => {
                if let Some(d) = &dns {
                    let r = trusted.refresh(d).await;
                    for (name, why, kept) in &r.failures {
                        eprintln!("ghostguard: warning: trusted server `{name}`: {why}{}", if *kept { " (keeping its last addresses)" } else { "" });
                    }
                    let _ = ctl_tx.send(Control::Trusted(r.nets.clone()));
                    let _ = fw_tx.send(FwCmd::Trusted(r.nets));
                    dns_next = r.next;
                }
                dns_at = tokio::time::Instant::now() + dns_next;
            }
            _ = heartbeat.tick() => {
                let hb = ghostguard_store::Heartbeat {
                    site: site.clone(),
                    last_seen: now_ms(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    stats: status_json(&cfg, &stats, &counters, &notifier).to_string(),
                };
                if let Err(e) = store.write_heartbeat(&hb).await {
                    store_error(&counters, "heartbeat", &e);
                }
            }
            _ = prune.tick() => {
                let r = &cfg.store.retention;
                let days = |d: Duration| u32::try_from(d.as_secs() / 86_400).unwrap_or(u32::MAX).max(1);
                let ret = ghostguard_store::Retention {
                    incidents_days: days(r.incidents),
                    bans_days: days(r.bans),
                    ghost_calls_days: days(r.ghost_calls),
                    max_rows: r.max_rows,
                };
                if let Err(e) = store.prune(now_ms(), &ret).await {
                    store_error(&counters, "prune", &e);
                }
            }
            _ = sighup.recv() => {
                match reload(&args.config).await {
                    Ok((new_cfg, inspector, spec, new_trusted)) => {
                        if let Some(spec) = spec {
                            let _ = fw_tx.send(FwCmd::Install(Box::new(spec)));
                        }
                        let _ = ctl_tx.send(Control::Replace(Box::new(inspector)));
                        notifier = Notifier::new(&new_cfg.alerts, &site);
                        trusted = new_trusted;
                        cfg = new_cfg;
                        eprintln!("ghostguard: configuration reloaded");
                    }
                    Err(e) => eprintln!("ghostguard: reload refused, keeping the running configuration: {e:#}"),
                }
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    eprintln!(
        "ghostguard: stopping; the nftables table stays in force (`ghostguard guard --remove` deletes it)"
    );
    stop.store(true, Ordering::Relaxed);
    // Drain what the inspector already produced, then stop the threads.
    while let Ok(e) = tokio::time::timeout(Duration::from_millis(300), eff_rx.recv()).await {
        match e {
            Some(e) => carry_out(&store, &mut notifier, &site, e, &counters).await,
            None => break,
        }
    }
    drop(fw_tx);
    drop(ctl_tx);
    for t in threads {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    if let Some(t) = fw_thread {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn describe_sources(cfg: &GuardConfig) -> String {
    let mut v = Vec::new();
    if cfg.mode != Mode::Monitor
        && let Some(g) = cfg.inspect.nflog_group
    {
        v.push(format!("NFLOG group {g}"));
    }
    for a in &cfg.inspect.hep_listen {
        v.push(format!("HEP on {a}"));
    }
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

async fn reload(
    path: &Path,
) -> Result<(GuardConfig, Inspector, Option<FirewallSpec>, TrustedServers)> {
    let cfg = load_config(path)?;
    let rules = load_rules(&cfg)?;
    let (trusted, _) = resolve_trusted(&cfg).await?;
    let nets = trusted.current();
    let spec = firewall_spec(&cfg, &nets)?;
    let inspector = Inspector::new(&cfg, rules, nets, &[])?;
    Ok((cfg, inspector, spec, trusted))
}

fn store_error(c: &Counters, what: &str, e: &ghostguard_store::StoreError) {
    c.store_errors.fetch_add(1, Ordering::Relaxed);
    eprintln!("ghostguard: store: {what}: {e}");
}

fn status_json(
    cfg: &GuardConfig,
    s: &SourceStats,
    c: &Counters,
    n: &Notifier,
) -> serde_json::Value {
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    serde_json::json!({
        "mode": format!("{:?}", cfg.mode).to_lowercase(),
        "policy": format!("{:?}", cfg.policy).to_lowercase(),
        "pid": std::process::id(),
        "packets": l(&s.packets),
        "batches_dropped": l(&s.dropped),
        "nflog_overruns": l(&s.overruns),
        "malformed_input": l(&s.malformed),
        "frames_inspected": l(&c.frames),
        "incidents": l(&c.incidents),
        "ghost_calls": l(&c.calls),
        "bans_applied": l(&c.bans_applied),
        "ban_errors": l(&c.ban_errors),
        "ban_latency_last_us": l(&c.ban_latency_last_us),
        "ban_latency_max_us": l(&c.ban_latency_max_us),
        "effects_dropped": l(&c.effects_dropped),
        "store_errors": l(&c.store_errors),
        "alerts_sent": l(&n.stats.sent),
        "alerts_held": l(&n.stats.held),
        "alerts_failed": l(&n.stats.failed),
    })
}

fn spawn_inspector(
    mut ins: Inspector,
    batches: Receiver<Batch>,
    control: Receiver<Control>,
    fw_tx: Sender<FwCmd>,
    eff_tx: tokio::sync::mpsc::Sender<Effect>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> Result<JoinHandle<()>> {
    Ok(std::thread::Builder::new()
        .name("inspector".into())
        .spawn(move || {
            let mut out = Vec::new();
            let mut last_tick = Instant::now();
            loop {
                while let Ok(c) = control.try_recv() {
                    match c {
                        Control::Trusted(n) => ins.set_trusted(n),
                        Control::Lifted(ip, at) => {
                            let at = Timestamp::from_nanos(at.saturating_mul(1_000_000));
                            if ins.lifted(ip, at) {
                                let _ = fw_tx.send(FwCmd::Unban(vec![ip]));
                            }
                        }
                        Control::Replace(new) => ins = *new,
                    }
                }
                match batches.recv_timeout(Duration::from_millis(200)) {
                    Ok(b) => {
                        for item in &b.items {
                            let bytes = b.bytes(item);
                            match item.kind {
                                ItemKind::Frame(link) => {
                                    ins.feed(
                                        &Frame::new(item.ts, link, bytes),
                                        item.hwaddr,
                                        &mut out,
                                    );
                                }
                                ItemKind::Hep => ins.feed_hep(item.ts, bytes, &mut out),
                            }
                        }
                        counters
                            .frames
                            .fetch_add(b.items.len() as u64, Ordering::Relaxed);
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
                if stop.load(Ordering::Relaxed) && batches.is_empty() {
                    break;
                }
                dispatch(&mut out, &fw_tx, &eff_tx, &counters);
                if last_tick.elapsed() >= Duration::from_secs(1) {
                    ins.tick(sources::now());
                    last_tick = Instant::now();
                }
            }
            dispatch(&mut out, &fw_tx, &eff_tx, &counters);
        })?)
}

/// Bans to the firewall thread at once (one batch per call), everything
/// to the async side.
fn dispatch(
    out: &mut Vec<Effect>,
    fw_tx: &Sender<FwCmd>,
    eff_tx: &tokio::sync::mpsc::Sender<Effect>,
    counters: &Counters,
) {
    if out.is_empty() {
        return;
    }
    let bans: Vec<fw::Ban> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Ban { ip, ttl, .. } => Some(fw::Ban { ip: *ip, ttl: *ttl }),
            _ => None,
        })
        .collect();
    if !bans.is_empty() {
        let _ = fw_tx.send(FwCmd::Ban(bans, Instant::now()));
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

fn spawn_firewall(
    mut f: Box<dyn Firewall + Send>,
    rx: Receiver<FwCmd>,
    counters: Arc<Counters>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            // Coalesce the bans that queued up behind the first command into
            // one batch, in order: an unban queued before a ban of the same
            // address must not run after it.
            let mut bans = Vec::new();
            let mut detected = None;
            for cmd in std::iter::once(first).chain(rx.try_iter()) {
                let r = match cmd {
                    FwCmd::Ban(b, at) => {
                        detected.get_or_insert(at);
                        bans.extend(b);
                        continue;
                    }
                    other => {
                        apply_bans(f.as_mut(), &mut bans, detected.take(), &counters);
                        match other {
                            FwCmd::Unban(ips) => f.unban(&ips),
                            FwCmd::Trusted(nets) => f.set_trusted(&nets),
                            FwCmd::Install(spec) => f.install(&spec),
                            FwCmd::Ban(..) => Ok(()),
                        }
                    }
                };
                if let Err(e) = r {
                    eprintln!("ghostguard: firewall: {e}");
                }
            }
            apply_bans(f.as_mut(), &mut bans, detected, &counters);
        }
    })
}

/// One kernel batch per 5 000 bans; `detected` is when the first of them
/// was decided (for the latency counters).
fn apply_bans(
    f: &mut (dyn Firewall + Send),
    bans: &mut Vec<fw::Ban>,
    detected: Option<Instant>,
    counters: &Counters,
) {
    if bans.is_empty() {
        return;
    }
    for chunk in bans.chunks(5_000) {
        match f.ban(chunk) {
            Ok(()) => {
                counters
                    .bans_applied
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                counters.ban_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("ghostguard: firewall: {e}");
            }
        }
    }
    bans.clear();
    if let Some(at) = detected {
        let us = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX);
        counters.ban_latency_last_us.store(us, Ordering::Relaxed);
        counters.ban_latency_max_us.fetch_max(us, Ordering::Relaxed);
    }
}

/// Records one effect in the store and alerts about it.
async fn carry_out(store: &Store, n: &mut Notifier, site: &str, e: Effect, c: &Counters) {
    match e {
        Effect::Incident {
            source,
            internal,
            evidence,
            mac,
            vendor,
            verdict,
        } => {
            let ev = serde_json::to_string(&evidence).unwrap_or_default();
            let inc = NewIncident {
                site: site.to_string(),
                source,
                kind: evidence.kind.as_str().to_string(),
                detector: evidence.detector.to_string(),
                code: evidence.code.to_string(),
                confidence: evidence.confidence,
                evidence: ev,
                first_seen: ts_ms(evidence.first_seen),
                last_seen: ts_ms(evidence.last_seen),
                count: evidence.count,
                internal,
                mac: mac.map(ghostguard_engine::net::format_mac),
                vendor: vendor.clone(),
            };
            if let Err(err) = store.record_incident(&inc).await {
                store_error(c, "incident", &err);
            }
            let ban_secs = match verdict {
                Verdict::Ban { ttl, .. } => Some(ttl.as_secs()),
                Verdict::Spare(_) => None,
            };
            let who = match (&inc.mac, &vendor) {
                (Some(m), Some(v)) => format!(" (MAC {m}, {v})"),
                (Some(m), None) => format!(" (MAC {m})"),
                _ => String::new(),
            };
            let what = match verdict {
                Verdict::Ban { ttl, offence, .. } => format!(
                    "banned for {} (offence {offence})",
                    humantime::format_duration(ttl)
                ),
                Verdict::Spare(s) => format!("not banned: {}", s.as_str()),
            };
            n.offer(Alert {
                site: site.to_string(),
                event: "incident",
                source: Some(source),
                kind: Some(inc.kind.clone()),
                confidence: Some(inc.confidence),
                summary: format!(
                    "{source}{who}: {} {} ({}); {what}",
                    inc.kind, inc.code, inc.detector
                ),
                time_ms: inc.last_seen,
                ban_secs,
                grouped: 0,
                evidence: serde_json::from_str(&inc.evidence).unwrap_or_default(),
            });
        }
        Effect::Ban {
            ip, ttl, reason, ..
        } => {
            let now = now_ms();
            let ban = NewBan {
                site: site.to_string(),
                ip,
                reason,
                origin: BanOrigin::Auto,
                actor: "ghostguard".into(),
                created_at: now,
                expires_at: Some(now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)),
            };
            if let Err(err) = store.record_ban(&ban).await {
                store_error(c, "ban", &err);
            }
        }
        Effect::Call(call) => {
            let gc = NewGhostCall {
                site: site.to_string(),
                phone: call.phone,
                source: call.source,
                caller: call.caller.clone(),
                dialled: call.dialled.clone(),
                time: ts_ms(call.time),
                answered: false,
            };
            if let Err(err) = store.record_ghost_call(&gc).await {
                store_error(c, "ghost call", &err);
            }
            n.offer(Alert {
                site: site.to_string(),
                event: "ghost-call",
                source: Some(call.source),
                kind: None,
                confidence: None,
                summary: format!(
                    "call from {} (\"{}\") to phone {}{}",
                    call.source,
                    call.caller,
                    call.phone,
                    call.user_agent
                        .as_deref()
                        .map(|u| format!(", User-Agent {u}"))
                        .unwrap_or_default()
                ),
                time_ms: gc.time,
                ban_secs: None,
                grouped: 0,
                evidence: serde_json::Value::Null,
            });
        }
    }
}

/// Opens the store a config names (operator commands).
pub async fn open_store(cfg: &GuardConfig) -> Result<Store> {
    Store::open(&cfg.store.url, &StoreOptions::default())
        .await
        .context("cannot open the store")
}

pub(crate) fn cli_actor() -> String {
    actor()
}
