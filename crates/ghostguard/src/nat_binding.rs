//! The NAT binding test's sockets: one UDP socket per wait, each asking the
//! reflector for one datagram back after its wait, then silent until the
//! callback arrives or the wait (plus slack) is over. The verdict is
//! `ghostguard_diagnose::binding`'s.

use std::net::{SocketAddr, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use ghostguard_diagnose::binding::{Binding, Wait};
use ghostguard_diagnose::wire::{RequestParams, callback_request, parse_reply};
use ghostguard_diagnose::{ReplyCode, Transport};

use crate::cli::DiagnoseArgs;

/// The waits when --nat-binding is given without --nat-wait.
const DEFAULT_WAITS: [u32; 3] = [20, 45, 90];
/// How late a callback may arrive and still count.
const SLACK: Duration = Duration::from_secs(3);

/// The waits asked for, or why the test does not run.
fn waits(args: &DiagnoseArgs) -> Result<Vec<u32>, String> {
    if args.no_nat_wait {
        return Err("skipped (--no-nat-wait)".into());
    }
    if !args.nat_wait.is_empty() {
        let mut w = args.nat_wait.clone();
        w.sort_unstable();
        w.dedup();
        return Ok(w);
    }
    if args.nat_binding {
        return Ok(DEFAULT_WAITS.to_vec());
    }
    // Empty: the verdict says "not measured" without an error.
    Err(String::new())
}

/// Asks for one callback; returns the socket, waiting, once acknowledged.
fn ask(args: &DiagnoseArgs, to: SocketAddr, after: u32, id: &str) -> Result<UdpSocket> {
    let any: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse()?;
    let s = UdpSocket::bind(any)?;
    s.connect(to)?;
    let p = RequestParams {
        transport: Transport::Udp,
        local: s.local_addr()?,
        reflector: to,
        id,
        token: args.token.as_deref(),
    };
    let req = callback_request(&p, after);
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut buf = [0u8; 2048];
    for _ in 0..2 {
        s.send(&req)?;
        s.set_read_timeout(Some(timeout / 2))?;
        match s.recv(&mut buf) {
            Ok(n) => {
                let (r, _) = parse_reply(&buf[..n])?.ok_or_else(|| anyhow!("truncated reply"))?;
                return match r.code {
                    ReplyCode::Scheduled if r.after == Some(after) => Ok(s),
                    ReplyCode::Busy => Err(anyhow!("the reflector is busy; try again in a minute")),
                    ReplyCode::Unauthorized => Err(anyhow!(
                        "the reflector wants a token (--token-file), or another one"
                    )),
                    c => Err(anyhow!(
                        "the reflector answered {} (too old for this test?)",
                        c.number()
                    )),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(anyhow!("port closed (connection refused)"));
            }
            Err(_) => {}
        }
    }
    Err(anyhow!("no answer within {} ms", timeout.as_millis()))
}

/// Starts the test: asks for every callback now, and waits for them on a
/// thread. When not asked for, the thread returns `Binding::NotRun` with an
/// empty reason (the verdict then says "not measured").
pub fn start(args: &DiagnoseArgs, refl: SocketAddr) -> JoinHandle<Binding> {
    let waits = match waits(args) {
        Ok(w) => w,
        Err(why) => return std::thread::spawn(move || Binding::NotRun(why)),
    };
    let mut results: Vec<(u32, Wait)> = Vec::new();
    let mut waiting = Vec::new();
    for (i, &after) in waits.iter().enumerate() {
        let id = crate::diagnose::test_id(200 + u32::try_from(i).unwrap_or(0));
        match ask(args, refl, after, &id) {
            Ok(s) => waiting.push((after, Instant::now(), s)),
            Err(e) => results.push((after, Wait::Failed(format!("{e:#}")))),
        }
    }
    if !waiting.is_empty() {
        let longest = waits.iter().max().copied().unwrap_or(0);
        eprintln!("ghostguard: NAT binding test: waiting up to {longest} s for callbacks");
    }
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !waiting.is_empty() {
            let now = Instant::now();
            waiting.retain(|(after, asked, s)| {
                let deadline = *asked + Duration::from_secs(u64::from(*after)) + SLACK;
                let _ = s.set_nonblocking(true);
                // Anything but our callback (a late duplicate ack) is skipped.
                while let Ok(n) = s.recv(&mut buf) {
                    if let Ok(Some((r, _))) = parse_reply(&buf[..n])
                        && r.code == ReplyCode::Callback
                        && r.after == Some(*after)
                    {
                        results.push((*after, Wait::Arrived));
                        return false;
                    }
                }
                if now >= deadline {
                    results.push((*after, Wait::Lost));
                    return false;
                }
                true
            });
            std::thread::sleep(Duration::from_millis(100));
        }
        results.sort_by_key(|(s, _)| *s);
        Binding::Done(results)
    })
}
