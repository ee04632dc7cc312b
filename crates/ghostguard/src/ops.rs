//! Operator commands around the guard: `config check`, `bans`,
//! `incidents`, `status`. They work while the daemon runs: the store is
//! shared (SQLite WAL or PostgreSQL) and the kernel sets are changed in
//! atomic batches; the daemon picks up lifted bans from the store.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use ghostguard_firewall::{self as fw, Firewall};
use ghostguard_guard::Mode;
use ghostguard_guard::trusted::{Dns, TrustedServers};
use ghostguard_store::{BanOrigin, GhostCallQuery, IncidentQuery, NewBan};

use crate::guard::{cli_actor, firewall_spec, load_config, load_rules, never_banned, open_store};
use crate::guard_cli::{
    BansAction, BansArgs, CallsArgs, ConfigAction, ConfigArgs, IncidentsArgs, ListFormat,
    StatusArgs,
};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn now_ms() -> i64 {
    ghostguard_guard::sources::now().as_millis()
}

fn when(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

pub fn config(args: &ConfigArgs) -> Result<ExitCode> {
    let ConfigAction::Check { file, resolve } = &args.action;
    let cfg = load_config(file)?;
    load_rules(&cfg)?;
    let mut trusted = TrustedServers::new(&cfg)?;
    if *resolve && trusted.has_names() {
        let dns = Dns::system().map_err(anyhow::Error::msg)?;
        let r = runtime()?.block_on(trusted.refresh(&dns));
        for (name, why, _) in &r.failures {
            println!("warning: trusted server `{name}` does not resolve: {why}");
        }
    }
    let nets = trusted.current();
    if *resolve
        && nets.is_empty()
        && cfg.mode != Mode::Monitor
        && cfg.trusted_only()
        && cfg.policy == ghostguard_guard::Policy::Enforce
    {
        anyhow::bail!(
            "{}: trusted_only with policy \"enforce\", and none of the trusted servers \
             resolves: every call to the phones would be dropped. Fix the names or the \
             DNS, or keep policy = \"observe\" until they resolve",
            file.display()
        );
    }
    // The kernel spec is checked too (ports, networks, queue support).
    if cfg.inspect.queue.is_none() {
        firewall_spec(&cfg, &nets)?;
    }
    // The config's own words: `gateway`, `enforce` (the enums' serde names).
    let word = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
    println!(
        "{}: OK ({} mode, policy {}, site {}, {} trusted {}{}, store {})",
        file.display(),
        word(&cfg.mode),
        word(&cfg.policy),
        cfg.site(),
        nets.len(),
        if nets.len() == 1 {
            "prefix"
        } else {
            "prefixes"
        },
        if trusted.has_names() && !*resolve {
            " + DNS names (use --resolve to look them up)"
        } else {
            ""
        },
        redact(&cfg.store.url)
    );
    if cfg.policy == ghostguard_guard::Policy::Observe && cfg.mode != Mode::Monitor {
        println!("note: policy is observe: nothing is dropped until `policy = \"enforce\"`");
    }
    Ok(ExitCode::SUCCESS)
}

fn redact(url: &str) -> String {
    ghostguard_store::RedactedUrl::new(url).as_str().to_string()
}

/// The network a ban of `ip` by `bans` puts in the kernel, or why not:
/// what `bans add` refuses, and what a lift leaves out when it puts the
/// surrounding bans back (loopback, multicast and the like, networks the
/// firewall does not take, and what the config never bans).
fn checked(
    cfg: &ghostguard_guard::GuardConfig,
    trusted: &[ipnet::IpNet],
    ip: ghostguard_store::BanTarget,
    config: &std::path::Path,
) -> Result<ipnet::IpNet> {
    if !ghostguard_web::ban::bannable(ip.addr()) {
        anyhow::bail!("{ip} cannot be banned (loopback, unspecified, multicast or broadcast)");
    }
    let net = fw::ban_net(fw::Step::Ban, ip.net())?;
    if let Some(why) = never_banned(cfg, trusted, ip) {
        anyhow::bail!("{ip} is {why} in {}: not banned", config.display());
    }
    Ok(net)
}

pub fn bans(args: &BansArgs) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let site = cfg.site().to_string();
    let rt = runtime()?;
    let store = rt.block_on(open_store(&cfg))?;
    let kernel = cfg.mode != Mode::Monitor;
    match &args.action {
        BansAction::List { format, ip } => {
            let now = now_ms();
            let mut list = rt.block_on(store.active_bans(&site, now))?;
            if let Some(want) = ip {
                list.retain(|b| b.ip.overlaps(*want));
            }
            let in_kernel: Vec<fw::BanEntry> = if kernel {
                fw::Nft::new().bans().unwrap_or_else(|e| {
                    eprintln!("ghostguard: cannot list the kernel's bans: {e}");
                    Vec::new()
                })
            } else {
                Vec::new()
            };
            if *format == ListFormat::Json {
                let v: Vec<_> = list
                    .iter()
                    .map(|b| {
                        let k = in_kernel.iter().find(|k| k.net == b.ip.net());
                        serde_json::json!({
                            "ip": b.ip, "reason": b.reason, "origin": b.origin, "actor": b.actor,
                            "created_at": b.created_at, "expires_at": b.expires_at,
                            "in_kernel": k.is_some(),
                            "kernel_remaining_secs": k.and_then(|k| k.remaining).map(|d| d.as_secs()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<40} {:<7} {:<21} {:<6} reason",
                    "address", "origin", "until", "kernel"
                );
                for b in &list {
                    let k = in_kernel.iter().any(|k| k.net == b.ip.net());
                    println!(
                        "{:<40} {:<7} {:<21} {:<6} {}",
                        b.ip.to_string(),
                        b.origin.as_str(),
                        b.expires_at.map_or("never".into(), when),
                        if !kernel {
                            "-"
                        } else if k {
                            "yes"
                        } else {
                            "NO"
                        },
                        b.reason
                    );
                }
                println!("{} bans in force", list.len());
            }
        }
        BansAction::Add { ip, time, reason } => {
            let ttl: Duration = *time;
            let fixed: Vec<ipnet::IpNet> = TrustedServers::new(&cfg)?.current();
            checked(&cfg, &fixed, *ip, &args.config)?;
            let now = now_ms();
            let rec = rt.block_on(store.record_ban(&NewBan {
                site,
                ip: *ip,
                reason: reason.clone(),
                origin: BanOrigin::Manual,
                actor: cli_actor(),
                created_at: now,
                expires_at: Some(now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)),
            }))?;
            // A ban in force that ends later keeps its end (the store's
            // rule): the kernel gets the time left until the later end.
            let ttl = fw::ttl_left(rec.expires_at, now);
            if kernel {
                fw::Nft::new()
                    .ban(&[fw::Ban { net: ip.net(), ttl }])
                    .context(
                        "cannot add the ban to the kernel (is `ghostguard guard` installed? run \
                         as root); it is recorded, and a running guard applies it",
                    )?;
            }
            if rec.new {
                println!("banned {ip} for {}", humantime::format_duration(ttl));
            } else {
                println!(
                    "{ip} was banned already; it stays banned for {}",
                    humantime::format_duration(Duration::from_secs(ttl.as_secs()))
                );
            }
        }
        BansAction::Del { ip } => {
            fw::ban_net(fw::Step::Unban, ip.net())?;
            let now = now_ms();
            let lifted = rt.block_on(store.lift_ban(&site, *ip, &cli_actor(), now))?;
            if kernel {
                let gone: Vec<_> = if lifted.is_empty() {
                    vec![*ip]
                } else {
                    lifted.clone()
                };
                // The adapter deletes every element overlapping what goes
                // (a wider ban merged with it too): put back the bans
                // still in force there.
                // Only what `bans add` would take: a row written by another
                // tool (a network holding a protected phone, a private
                // network) stays out, and cannot sink the others' batch.
                let fixed: Vec<ipnet::IpNet> = TrustedServers::new(&cfg)?.current();
                let again: Vec<fw::Ban> = rt
                    .block_on(store.active_bans(&site, now))?
                    .into_iter()
                    .filter(|b| gone.iter().any(|g| g.overlaps(b.ip)))
                    .filter_map(|b| {
                        Some(fw::Ban {
                            net: checked(&cfg, &fixed, b.ip, &args.config).ok()?,
                            ttl: fw::ttl_left(b.expires_at, now),
                        })
                    })
                    .collect();
                let mut nft = fw::Nft::new();
                nft.unban(&gone.iter().map(|g| g.net()).collect::<Vec<_>>())
                    .context("cannot lift the ban in the kernel (run as root)")?;
                nft.ban(&again)
                    .context("cannot keep the wider bans in the kernel")?;
            }
            if !lifted.is_empty() {
                let what: Vec<String> = lifted.iter().map(ToString::to_string).collect();
                println!("lifted the ban of {}", what.join(", "));
            } else {
                println!(
                    "{ip} had no ban in force in the store (removed from the kernel set if it was there)"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn incidents(args: &IncidentsArgs) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let rt = runtime()?;
    let store = rt.block_on(open_store(&cfg))?;
    let since = since_ms(args.since);
    let list = rt.block_on(store.incidents(&IncidentQuery {
        site: Some(cfg.site().to_string()),
        source: args.source,
        since,
        limit: args.limit.clamp(1, ghostguard_store::MAX_LIMIT),
        ..Default::default()
    }))?;
    if json_out(args.format, &list)? {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<21} {:<40} {:<12} {:>4} {:>6}  what",
        "last seen", "source", "kind", "conf", "count"
    );
    for i in &list {
        let mac = i
            .mac
            .as_deref()
            .map(|m| {
                format!(
                    " [{m}{}]",
                    i.vendor
                        .as_deref()
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        println!(
            "{:<21} {:<40} {:<12} {:>4} {:>6}  {}: {}{mac}",
            when(i.last_seen),
            i.source.to_string(),
            i.kind,
            i.confidence,
            i.count,
            i.detector,
            i.code
        );
    }
    println!("{} incidents", list.len());
    Ok(ExitCode::SUCCESS)
}

/// Prints `list` as JSON when that format was asked for; says whether.
fn json_out(format: ListFormat, list: &impl serde::Serialize) -> Result<bool> {
    if format == ListFormat::Json {
        println!("{}", serde_json::to_string_pretty(list)?);
        return Ok(true);
    }
    Ok(false)
}

fn since_ms(d: Option<humantime::Duration>) -> Option<i64> {
    d.map(|d| {
        let d: Duration = d.into();
        now_ms() - i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
    })
}

pub fn calls(args: &CallsArgs) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let rt = runtime()?;
    let store = rt.block_on(open_store(&cfg))?;
    let list = rt.block_on(store.ghost_calls(&GhostCallQuery {
        site: Some(cfg.site().to_string()),
        phone: args.phone,
        since: since_ms(args.since),
        limit: args.limit.clamp(1, ghostguard_store::MAX_LIMIT),
        ..Default::default()
    }))?;
    if json_out(args.format, &list)? {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<21} {:<40} {:<40} {:<20} dialled",
        "time", "phone", "from", "caller"
    );
    for c in &list {
        println!(
            "{:<21} {:<40} {:<40} {:<20} {}",
            when(c.time),
            c.phone.to_string(),
            c.source.to_string(),
            c.caller
                .chars()
                .filter(|ch| !ch.is_control())
                .take(20)
                .collect::<String>(),
            c.dialled.as_deref().unwrap_or("-")
        );
    }
    println!("{} ghost calls", list.len());
    Ok(ExitCode::SUCCESS)
}

pub fn status(args: &StatusArgs) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let site = cfg.site().to_string();
    let rt = runtime()?;
    let store = rt.block_on(open_store(&cfg))?;
    let now = now_ms();
    let hb = rt.block_on(store.heartbeat(&site))?;
    let totals = rt.block_on(store.totals(Some(&site), now))?;
    let table = if cfg.mode == Mode::Monitor {
        None
    } else {
        Some(fw::Nft::new().list_table().is_ok())
    };
    let alive = hb.as_ref().is_some_and(|h| now - h.last_seen < 30_000);
    if args.format == ListFormat::Json {
        let v = serde_json::json!({
            "site": site,
            "running": alive,
            "last_heartbeat": hb.as_ref().map(|h| h.last_seen),
            "daemon": hb.as_ref().and_then(|h| serde_json::from_str::<serde_json::Value>(&h.stats).ok()),
            "table_installed": table,
            "totals": totals,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "site:        {site} ({:?} mode, policy {:?})",
            cfg.mode, cfg.policy
        );
        println!(
            "daemon:      {}",
            match &hb {
                Some(h) if alive => format!("running (heartbeat {})", when(h.last_seen)),
                Some(h) => format!("NOT running (last heartbeat {})", when(h.last_seen)),
                None => "never ran with this store".into(),
            }
        );
        if let Some(t) = table {
            println!(
                "table:       inet ghostguard {}",
                if t { "installed" } else { "NOT installed" }
            );
        }
        println!(
            "store:       {} incidents, {} sources, {} bans in force, {} ghost calls",
            totals.incidents, totals.sources, totals.active_bans, totals.ghost_calls
        );
        if let Some(s) = hb
            .as_ref()
            .and_then(|h| serde_json::from_str::<serde_json::Value>(&h.stats).ok())
        {
            println!(
                "inspected:   {} packets, {} batches dropped, ban latency last {} µs / worst {} µs",
                s["packets"],
                s["batches_dropped"],
                s["ban_latency_last_us"],
                s["ban_latency_max_us"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
