//! `ghostguard diagnose`: the echo tests (UDP and TCP, on 5060 and the
//! other port), the exposure probe, and a short live capture, turned into a
//! verdict per cause (and, with `--nat-binding`, the NAT binding test of
//! `nat_binding`), by `ghostguard_diagnose::verdict` and rendered like
//! `analyze`'s report.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use ghostguard_diagnose::binding::Binding;
use ghostguard_diagnose::verdict::{AlgOutcome, AlgTest, Capture, Exposure, Findings, causes};
use ghostguard_diagnose::wire::{RequestParams, echo_request, parse_reply, probe_request};
use ghostguard_diagnose::{ReplyCode, Transport, compare};
use ghostguard_engine::EngineConfig;
use ghostguard_report::{InputSummary, ReportKind, ReportMeta};

use crate::cli::DiagnoseArgs;
use crate::live;

fn resolve(spec: &str) -> Result<SocketAddr> {
    let with_port = if spec.parse::<SocketAddr>().is_ok()
        || spec
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
    {
        spec.to_string()
    } else if spec.contains(':') && !spec.starts_with('[') {
        format!("[{spec}]:5060")
    } else {
        format!("{spec}:5060")
    };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve reflector {spec}"))?
        .next()
        .ok_or_else(|| anyhow!("reflector {spec} has no address"))
}

/// A short unique id for Call-ID, tags and branches.
pub(crate) fn test_id(n: u32) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}{n}{:x}", t & 0xffff_ffff, std::process::id())
}

/// One exchange: send `make(local)` and read the reply.
fn exchange(
    transport: Transport,
    to: SocketAddr,
    timeout: Duration,
    make: &dyn Fn(SocketAddr) -> Vec<u8>,
) -> Result<(Vec<u8>, SocketAddr, ghostguard_diagnose::Reply)> {
    match transport {
        Transport::Udp => {
            let any: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse()?;
            let s = UdpSocket::bind(any)?;
            s.connect(to)?;
            let local = s.local_addr()?;
            let sent = make(local);
            let mut buf = vec![0u8; 70_000];
            // Two tries: one lost datagram must not decide the test.
            for _ in 0..2 {
                s.send(&sent)?;
                s.set_read_timeout(Some(timeout / 2))?;
                match s.recv(&mut buf) {
                    Ok(n) => {
                        let (reply, _) =
                            parse_reply(&buf[..n])?.ok_or_else(|| anyhow!("truncated reply"))?;
                        return Ok((sent, local, reply));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        return Err(anyhow!("port closed (connection refused)"));
                    }
                    Err(_) => {}
                }
            }
            Err(anyhow!(
                "no answer within {} ms (blocked, or the reflector's rate limit)",
                timeout.as_millis()
            ))
        }
        Transport::Tcp => {
            let mut s = TcpStream::connect_timeout(&to, timeout)?;
            let local = s.local_addr()?;
            let sent = make(local);
            s.write_all(&sent)?;
            let deadline = Instant::now() + timeout;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(anyhow!(
                        "no complete answer within {} ms",
                        timeout.as_millis()
                    ));
                }
                s.set_read_timeout(Some(left))?;
                let n = s.read(&mut chunk)?;
                if n == 0 {
                    return Err(anyhow!(
                        "connection closed without an answer (a wrong port, or the reflector's rate limit)"
                    ));
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some((reply, _)) = parse_reply(&buf)? {
                    return Ok((sent, local, reply));
                }
            }
        }
    }
}

fn refused(code: ReplyCode) -> String {
    match code {
        ReplyCode::Unauthorized => {
            "the reflector wants a token (--token-file), or another one".into()
        }
        ReplyCode::Forbidden => "the reflector refused the test".into(),
        ReplyCode::Busy => "the reflector is busy; try again in a minute".into(),
        c => format!("the reflector answered {}", c.number()),
    }
}

fn alg_test(
    args: &DiagnoseArgs,
    refl: SocketAddr,
    transport: Transport,
    port: u16,
    n: u32,
) -> AlgTest {
    let to = SocketAddr::new(refl.ip(), port);
    let id = test_id(n);
    let token = args.token.as_deref();
    let make = |local: SocketAddr| {
        let p = RequestParams {
            transport,
            local,
            reflector: to,
            id: &id,
            token,
        };
        // An RTP port near ours, as a phone would offer.
        echo_request(&p, local.port().wrapping_add(2).max(1024))
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    let outcome = match exchange(transport, to, timeout, &make) {
        Ok((sent, local, reply)) if reply.code == ReplyCode::Echo => AlgOutcome::Compared {
            comparison: compare(&sent, &reply.echoed),
            local,
            observed: reply.observed.map(|o| o.1),
        },
        Ok((_, _, reply)) => AlgOutcome::Failed(refused(reply.code)),
        Err(e) => AlgOutcome::Failed(format!("{e:#}")),
    };
    AlgTest {
        transport,
        port,
        outcome,
    }
}

fn exposure(args: &DiagnoseArgs, refl: SocketAddr) -> Exposure {
    if args.no_probe {
        return Exposure::NotRun("skipped (--no-probe)".into());
    }
    let token = args.token.as_deref();
    let id = test_id(99);
    let timeout = Duration::from_millis(args.timeout_ms) + Duration::from_secs(6);
    let mut last = String::new();
    // The non-standard port first: an ALG on 5060 has no business with it.
    for port in [args.alt_port, refl.port()] {
        let to = SocketAddr::new(refl.ip(), port);
        let make = |local: SocketAddr| {
            let p = RequestParams {
                transport: Transport::Tcp,
                local,
                reflector: to,
                id: &id,
                token,
            };
            probe_request(&p, 5060, None)
        };
        match exchange(Transport::Tcp, to, timeout, &make) {
            Ok((_, _, r)) if r.code == ReplyCode::Probed => {
                if let (Some(outcome), Some((_, seen))) = (r.probe, r.observed) {
                    return Exposure::Done {
                        target: SocketAddr::new(seen.ip(), 5060),
                        outcome,
                    };
                }
                last = "the reflector's answer had no probe result".into();
            }
            Ok((_, _, r)) => return Exposure::NotRun(refused(r.code)),
            Err(e) => last = format!("tcp port {port}: {e:#}"),
        }
    }
    Exposure::NotRun(last)
}

pub fn run(args: &DiagnoseArgs) -> Result<ExitCode> {
    if let Some(path) = &args.token_file {
        let mut args = args.clone();
        args.token = Some(crate::token::read_token_file(path)?);
        args.token_file = None;
        return run(&args);
    }
    let refl = resolve(&args.reflector)?;
    let interface = match &args.interface {
        Some(i) => Some(i.clone()),
        None => live::default_route().map(|(i, _)| i),
    };
    // The capture runs while the tests run; its errors become a verdict.
    let mut capture_error = None;
    let handle = match (&interface, args.capture_seconds) {
        (_, 0) => {
            capture_error = Some("skipped (--capture-seconds 0)".to_string());
            None
        }
        (None, _) => {
            capture_error = Some("no interface (no default route; use --interface)".into());
            None
        }
        (Some(i), secs) => {
            let mut cfg = EngineConfig::default();
            cfg.lan.extend(live::prefixes(i));
            match live::start(i, secs, refl.ip(), cfg) {
                Ok(h) => Some(h),
                Err(e) => {
                    capture_error = Some(format!("{e:#}"));
                    None
                }
            }
        }
    };
    // First, so its waits run while the other tests do.
    let binding = crate::nat_binding::start(args, refl);
    let mut alg = Vec::new();
    let mut n = 0;
    for transport in [Transport::Udp, Transport::Tcp] {
        for port in [refl.port(), args.alt_port] {
            n += 1;
            alg.push(alg_test(args, refl, transport, port, n));
        }
    }
    let exposure = exposure(args, refl);
    let outcome = match handle.map(|h| h.join()) {
        Some(Ok(Ok(o))) => Some(o),
        Some(Ok(Err(e))) => {
            capture_error = Some(format!("{e:#}"));
            None
        }
        Some(Err(_)) => {
            capture_error = Some("the capture thread failed".into());
            None
        }
        None => None,
    };
    let binding = binding
        .join()
        .unwrap_or_else(|_| Binding::NotRun("the NAT binding test failed".into()));
    let register_interval = outcome.as_ref().and_then(|o| o.register_interval);
    if let Some(i) = register_interval {
        eprintln!("ghostguard: the phones re-register every {i} s (seen in the capture)");
    }
    let (mut analysis, capture, input) = match outcome {
        Some(o) => {
            let input = InputSummary {
                path: format!("live:{}", o.interface),
                format: format!(
                    "live capture, {} s{}",
                    o.seconds,
                    if o.truncated {
                        ", stopped at its size bound"
                    } else {
                        ""
                    }
                ),
                frames: o.frames,
                bytes: o.bytes,
                error: None,
            };
            let capture = Capture::Ran {
                interface: o.interface,
                seconds: o.seconds,
                sip_messages: o.analysis.summary.messages,
            };
            (o.analysis, capture, Some(input))
        }
        None => {
            let why = capture_error.unwrap_or_else(|| "not run".into());
            let empty = ghostguard_engine::Engine::new(
                EngineConfig::default(),
                ghostguard_engine::Rules::default_rules()?,
            )?
            .finish();
            (empty, Capture::Failed(why), None)
        }
    };
    let findings = Findings {
        reflector: refl.to_string(),
        alg,
        exposure,
        capture,
        local: analysis.causes.clone(),
        ghost_calls: analysis.ghost_calls.len(),
        gateway: live::gateway(),
        binding,
        register_interval,
    };
    analysis.causes = causes(&findings);
    let found = analysis.causes.iter().any(|c| c.is_found());
    let meta = ReportMeta {
        kind: ReportKind::Diagnose,
        version: env!("CARGO_PKG_VERSION"),
        inputs: input.into_iter().collect(),
        decode: Vec::new(),
        generated_by: format!(
            "ghostguard {} diagnose --reflector {}",
            env!("CARGO_PKG_VERSION"),
            args.reflector
        ),
    };
    crate::output::write_report(&analysis, &meta, &args.report)?;
    Ok(if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
