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

mod effects;
mod resync;
#[cfg(test)]
mod tests;
mod workers;

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use crossbeam_channel::{bounded, unbounded};
use ghostguard_engine::Rules;
use ghostguard_firewall::{self as fw, Firewall, FirewallSpec};
use ghostguard_guard::inline::{InlineJudge, InlineVerdict};
use ghostguard_guard::inspector::{Effect, Inspector};
use ghostguard_guard::notify::Notifier;
use ghostguard_guard::sources::{self, Batch, Feed, SourceStats};
use ghostguard_guard::trusted::{Dns, TrustedServers};
use ghostguard_guard::{GuardConfig, Mode, Policy};
use ghostguard_packet::Timestamp;
use ghostguard_store::{BanOrigin, BanQuery, BanTarget, Store, StoreOptions};
use ipnet::IpNet;
use tokio::signal::unix::{SignalKind, signal};

use effects::{ACTOR_OBSERVE, carry_out, now_ms, status_json, store_error};
use workers::{Control, Counters, FwCmd, InspectorIo, spawn_firewall, spawn_inspector};

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
    // Whole packets (a request padded past a small snap length must not
    // hide), handed over at once (ban latency over batching).
    spec.nflog = cfg.inspect.nflog_group.map(|group| fw::Nflog {
        group,
        snaplen: NFLOG_SNAPLEN,
        queue_threshold: 1,
    });
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

/// Bytes NFLOG copies of each packet: all of it.
const NFLOG_SNAPLEN: u32 = 65_535;

/// The end of a stored ban expiring at `expires_at` (`None`: until lifted).
fn until(expires_at: Option<i64>) -> Timestamp {
    let ms = expires_at.unwrap_or(i64::MAX / 2_000_000);
    Timestamp::from_nanos(ms.saturating_mul(1_000_000))
}

/// Addresses the guard must never ban, whatever the store or an operator
/// says: the trusted servers, the allowlist and the protected phones. A
/// network (an IPv6 prefix ban) is refused when it holds one of them or
/// overlaps the LAN.
pub(crate) fn never_banned(
    cfg: &GuardConfig,
    trusted: &[IpNet],
    target: BanTarget,
) -> Option<&'static str> {
    let net = target.net();
    let in_any = |nets: &[IpNet]| nets.iter().any(|n| n.contains(&net) || net.contains(n));
    let phone = cfg.network.phones.iter().any(|p| net.contains(p));
    let (trusted, allowed, protected) = (
        in_any(trusted),
        in_any(&cfg.trusted.allow),
        in_any(&cfg.network.protected) || phone,
    );
    match (target.is_host(), trusted, allowed, protected) {
        (true, true, ..) => Some("a trusted server"),
        (true, _, true, _) => Some("allowlisted"),
        (true, .., true) => Some("a protected phone or network"),
        (false, true, ..) => Some("a network holding a trusted server"),
        (false, _, true, _) => Some("a network holding an allowlisted address"),
        (false, .., true) => Some("a network holding a protected phone or network"),
        // A prefix ban over the LAN (`network.lan`), as the policy refuses
        // for the guard's own bans.
        (false, ..) if in_any(&cfg.network.lan) => Some("a network overlapping the LAN"),
        // A network of private, unique-local or link-local addresses: the
        // bannable networks (IPv6 /48 and longer) lie inside such a range
        // or outside all of them, so the first address tells.
        (false, ..) if ghostguard_engine::net::is_private(net.network()) => {
            Some("a network of private addresses (the LAN)")
        }
        _ => None,
    }
}

fn actor() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "root".into());
    format!("cli:{user}")
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
    report_dns(&r.failures);
    Ok((trusted, r.next))
}

fn report_dns(failures: &[(String, String, bool)]) {
    for (name, why, kept) in failures {
        eprintln!(
            "ghostguard: warning: trusted server `{name}` does not resolve ({why}); {}",
            if *kept {
                "keeping its last addresses"
            } else {
                "SIP from it is treated as untrusted until it does"
            }
        );
    }
}

/// Earlier bans within `ban.history` that count toward escalation: lifted
/// bans (false positives) and observe-mode bans do not.
async fn ban_history(store: &Store, cfg: &GuardConfig) -> Result<Vec<(IpNet, Timestamp)>> {
    let since = now_ms() - i64::try_from(cfg.ban.history.as_millis()).unwrap_or(i64::MAX / 2);
    Ok(store
        .bans(&BanQuery {
            site: Some(cfg.site().to_string()),
            since: Some(since),
            limit: 10_000,
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|b| b.lifted_at.is_none() && b.actor != ACTOR_OBSERVE)
        .map(|b| {
            (
                b.ip.net(),
                Timestamp::from_nanos(b.created_at.saturating_mul(1_000_000)),
            )
        })
        .collect())
}

/// Builds an inspector that knows the bans in force (restored bans are not
/// banned twice, and re-arm the engine when they end).
async fn inspector(
    store: &Store,
    cfg: &GuardConfig,
    rules: Rules,
    nets: Vec<IpNet>,
) -> Result<Inspector> {
    let history = ban_history(store, cfg).await?;
    let mut ins = Inspector::new(cfg, rules, nets.clone(), &history)?;
    let active = store.active_bans(cfg.site(), now_ms()).await?;
    note_in_force(
        &mut ins,
        cfg,
        &nets,
        active.iter().map(|b| (b.ip, b.expires_at)),
    );
    Ok(ins)
}

/// Tells the inspector the stored bans in force, less those the guard
/// does not restore (they would cover a trusted, allowed or protected
/// address): attackers there are not "banned already".
fn note_in_force(
    ins: &mut Inspector,
    cfg: &GuardConfig,
    trusted: &[IpNet],
    bans: impl IntoIterator<Item = (BanTarget, Option<i64>)>,
) {
    for (target, expires_at) in bans {
        if never_banned(cfg, trusted, target).is_none() {
            ins.note_ban(target.net(), until(expires_at));
        }
    }
}

/// What a reload may not change while running.
fn restart_needed(old: &GuardConfig, new: &GuardConfig) -> Option<&'static str> {
    if old.mode != new.mode {
        Some("mode")
    } else if old.site() != new.site() {
        Some("site")
    } else if old.inspect != new.inspect {
        Some("inspect")
    } else if old.store.url != new.store.url {
        Some("store.url")
    } else {
        None
    }
}

async fn daemon(cfg: GuardConfig, rules: Rules, args: &GuardArgs) -> Result<ExitCode> {
    let (mut trusted, dns_next) = resolve_trusted(&cfg).await?;
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

    // The kernel first: the table, then the bans still in force (never one
    // on a trusted server, the allowlist or a protected phone).
    let mut firewall: Option<Box<dyn Firewall + Send>> = None;
    if let Some(spec) = &spec {
        let mut nft = fw::Nft::new();
        nft.install(spec)
            .context("cannot install the nftables table")?;
        let now = now_ms();
        let mut restore = Vec::new();
        let mut stale = Vec::new();
        for b in store.active_bans(&site, now).await? {
            if let Some(why) = never_banned(&cfg, &nets, b.ip) {
                eprintln!("ghostguard: not restoring the ban of {}: it is {why}", b.ip);
                stale.push(b.ip.net());
                continue;
            }
            let ttl = fw::ttl_left(b.expires_at, now);
            restore.push(fw::Ban {
                net: b.ip.net(),
                ttl,
            });
        }
        if !stale.is_empty() {
            nft.unban(&stale).context("cannot lift stale bans")?;
        }
        // A row the kernel cannot hold is skipped, not a reason to stop.
        restore.retain(workers::bannable);
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
    let ins = inspector(&store, &cfg, rules, nets.clone()).await?;

    // Threads: sources -> inspector -> firewall.
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
    if cfg.mode != Mode::Monitor
        && let Some(group) = cfg.inspect.nflog_group
    {
        drop(sources::spawn_nflog(group, NFLOG_SNAPLEN, feed.clone())?);
    }
    for addr in &cfg.inspect.hep_listen {
        drop(sources::spawn_hep(
            *addr,
            cfg.inspect.hep_allow.clone(),
            feed.clone(),
        )?);
    }
    if let Some(ifname) = &cfg.inspect.interface {
        drop(sources::spawn_pcap(
            ifname,
            &cfg.network.sip_ports,
            feed.clone(),
        )?);
    }
    drop(feed);
    // Inline mode: its own thread judges requests on the packet alone.
    let (queue_trusted_tx, queue_trusted_rx) = unbounded::<Vec<IpNet>>();
    let (inline_tx, inline_rx) = bounded::<InlineVerdict>(1024);
    if let Some(num) = cfg.inspect.queue
        && cfg.mode != Mode::Monitor
    {
        let judge = InlineJudge::new(&cfg, load_rules(&cfg)?, nets.clone());
        // Not joined at shutdown (it blocks in recv); the kernel accepts
        // queued packets once the socket is gone (--queue-bypass).
        drop(sources::spawn_queue(
            num,
            judge,
            queue_trusted_rx,
            inline_tx,
            stats.clone(),
        )?);
        eprintln!("ghostguard: inline mode on NFQUEUE {num}");
    }
    let fw_tx = firewall.as_ref().map(|_| fw_tx);
    let inspector_thread = spawn_inspector(
        ins,
        InspectorIo {
            batches: batch_rx,
            control: ctl_rx,
            fw_tx: fw_tx.clone(),
            eff_tx,
        },
        stop.clone(),
        stats.clone(),
        counters.clone(),
    )?;
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
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = tokio::time::interval(Duration::from_secs(10));
    let mut prune = tokio::time::interval(Duration::from_secs(3600));
    // Lifts are polled with a minute of slack (CLI clocks differ) and
    // told apart by id.
    let mut lifted_seen = now_ms();
    let mut lifted_ids: VecDeque<i64> = VecDeque::new();
    let mut lifted_set: HashSet<i64> = HashSet::new();
    let mut added_seen = now_ms();
    let mut added_ids: HashSet<i64> = HashSet::new();
    // What is in force now was restored above; later changes are compared
    // against it.
    let mut synced = resync::Synced::default();
    for b in store.active_bans(&site, now_ms()).await.unwrap_or_default() {
        synced.note(&b);
    }
    let mut ticks: u64 = 0;
    let mut cfg = cfg;
    // DNS runs in its own task so a slow resolver never holds the loop.
    let (dns_tx, mut dns_rx) = tokio::sync::mpsc::channel::<(u64, TrustedServers, Duration)>(4);
    let mut generation = 0u64;
    let mut dns_at = tokio::time::Instant::now() + dns_next;
    let mut dns_running = false;
    let mut failed: Option<&str> = None;
    loop {
        tokio::select! {
            Some(e) = eff_rx.recv() => carry_out(&store, &mut notifier, &cfg, e, &counters).await,
            _ = tokio::time::sleep_until(dns_at), if trusted.has_names() && !dns_running => {
                dns_running = true;
                let (mut t, tx, g) = (trusted.clone(), dns_tx.clone(), generation);
                tokio::spawn(async move {
                    let Ok(dns) = Dns::system() else {
                        let _ = tx.send((g, t, Duration::from_secs(60))).await;
                        return;
                    };
                    let r = t.refresh(&dns).await;
                    report_dns(&r.failures);
                    let _ = tx.send((g, t, r.next)).await;
                });
            }
            Some((g, t, next)) = dns_rx.recv() => {
                dns_running = false;
                dns_at = tokio::time::Instant::now() + next;
                if g == generation {
                    trusted = t;
                    let nets = trusted.current();
                    let _ = ctl_tx.send(Control::Trusted(nets.clone()));
                    let _ = queue_trusted_tx.send(nets.clone());
                    if let Some(tx) = &fw_tx {
                        let _ = tx.send(FwCmd::Trusted(nets));
                    }
                }
            }
            _ = tick.tick() => {
                notifier.flush(now_ms());
                let mut drops: Vec<String> = Vec::new();
                for v in inline_rx.try_iter() {
                    if let InlineVerdict::Drop { source, tool, .. } = v
                        && drops.len() < 10
                    {
                        drops.push(format!("{source} ({tool})"));
                    }
                }
                if !drops.is_empty() {
                    eprintln!("ghostguard: inline drops: {}", drops.join(", "));
                }
                // Bans added elsewhere (`bans add` on another host, the
                // dashboard, an imported blocklist) reach this kernel too.
                let added = store
                    .bans(&BanQuery {
                        site: Some(site.clone()),
                        since: Some(added_seen - 60_000),
                        active_at: Some(now_ms()),
                        limit: 1000,
                        ..Default::default()
                    })
                    .await;
                match added {
                    Ok(list) => {
                        let mut bans = Vec::new();
                        for b in list {
                            if b.origin == BanOrigin::Auto || !added_ids.insert(b.id) {
                                continue;
                            }
                            synced.note(&b);
                            added_seen = added_seen.max(b.created_at);
                            if let Some(why) = never_banned(&cfg, &trusted.current(), b.ip) {
                                eprintln!("ghostguard: ignoring the {} ban of {}: it is {why}", b.origin, b.ip);
                                continue;
                            }
                            bans.push((b.ip.net(), until(b.expires_at)));
                        }
                        if added_ids.len() > 100_000 {
                            added_ids.clear();
                        }
                        if !bans.is_empty() {
                            eprintln!("ghostguard: {} bans added outside the daemon applied", bans.len());
                            let _ = ctl_tx.send(Control::Added(bans));
                        }
                    }
                    Err(e) => store_error(&counters, "added bans", &e),
                }
                ticks += 1;
                if ticks % resync::EVERY_TICKS == 0 {
                    match store.active_bans(&site, now_ms()).await {
                        Ok(list) => {
                            let mut bans = Vec::new();
                            let inner = ghostguard_store::BansByAddress::new(&list);
                            for b in synced.changes(&list) {
                                if never_banned(&cfg, &trusted.current(), b.ip).is_none() {
                                    // A network re-added keeps the ends of the bans it absorbed.
                                    bans.push((b.ip.net(), until(inner.end_with_inner(b.ip, b.expires_at))));
                                }
                            }
                            if !bans.is_empty() {
                                eprintln!("ghostguard: {} bans added or renewed outside the daemon applied", bans.len());
                                let _ = ctl_tx.send(Control::Added(bans));
                            }
                        }
                        Err(e) => store_error(&counters, "active bans", &e),
                    }
                }
                match store.lifted_since(&site, lifted_seen - 60_000, 1000).await {
                    Ok(list) => {
                        for b in list {
                            if !lifted_set.insert(b.id) {
                                continue;
                            }
                            lifted_ids.push_back(b.id);
                            if lifted_ids.len() > 10_000
                                && let Some(old) = lifted_ids.pop_front()
                            {
                                lifted_set.remove(&old);
                            }
                            let at = b.lifted_at.unwrap_or(0);
                            lifted_seen = lifted_seen.max(at);
                            let _ = ctl_tx.send(Control::Lifted(b.ip.net(), at));
                            eprintln!("ghostguard: ban of {} lifted by {}", b.ip, b.lifted_by.as_deref().unwrap_or("?"));
                        }
                    }
                    Err(e) => store_error(&counters, "lifted bans", &e),
                }
                // A worker that died leaves the daemon blind: exit, so the
                // service manager restarts it (the table stays in force).
                if inspector_thread.is_finished() && !stop.load(Ordering::Relaxed) {
                    failed = Some("the inspector thread stopped");
                    break;
                }
                if fw_thread.as_ref().is_some_and(std::thread::JoinHandle::is_finished) {
                    failed = Some("the firewall thread stopped");
                    break;
                }
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
                match reload(&args.config, &cfg, &trusted, &store).await {
                    Ok((new_cfg, ins, spec, new_trusted)) => {
                        if let (Some(spec), Some(tx)) = (spec, &fw_tx) {
                            let _ = tx.send(FwCmd::Install(Box::new(spec)));
                        }
                        let nets = new_trusted.current();
                        let _ = queue_trusted_tx.send(nets);
                        let _ = ctl_tx.send(Control::Replace(Box::new(ins)));
                        notifier = Notifier::new(&new_cfg.alerts, &site);
                        trusted = new_trusted;
                        generation += 1;
                        dns_at = tokio::time::Instant::now();
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
        "ghostguard: stopping{}; the nftables table stays in force (`ghostguard guard --remove` deletes it)",
        failed.map(|f| format!(" ({f})")).unwrap_or_default()
    );
    stop.store(true, Ordering::Relaxed);
    drop(ctl_tx);
    // The inspector finishes its queue and hands out its last effects; they
    // are recorded before the store closes.
    let _ = tokio::task::spawn_blocking(move || inspector_thread.join()).await;
    while let Some(e) = eff_rx.recv().await {
        carry_out(&store, &mut notifier, &cfg, e, &counters).await;
    }
    drop(fw_tx);
    if let Some(t) = fw_thread {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    store.close().await;
    Ok(if failed.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
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
    if let Some(i) = &cfg.inspect.interface {
        v.push(format!("capture on {i}"));
    }
    if let Some(q) = cfg.inspect.queue {
        v.push(format!("inline NFQUEUE {q}"));
    }
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Re-reads and validates the config; refuses changes that need a restart.
/// The last good DNS answers carry over.
async fn reload(
    path: &Path,
    old: &GuardConfig,
    old_trusted: &TrustedServers,
    store: &Store,
) -> Result<(GuardConfig, Inspector, Option<FirewallSpec>, TrustedServers)> {
    let cfg = load_config(path)?;
    if let Some(what) = restart_needed(old, &cfg) {
        bail!("`{what}` changed: restart the daemon for that (systemctl restart ghostguard)");
    }
    let rules = load_rules(&cfg)?;
    let mut trusted = TrustedServers::new(&cfg)?;
    trusted.adopt(old_trusted);
    let nets = trusted.current();
    let spec = firewall_spec(&cfg, &nets)?;
    let ins = inspector(store, &cfg, rules, nets).await?;
    Ok((cfg, ins, spec, trusted))
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
