//! `ghostguard reflector`: the sockets around `ghostguard_diagnose::Reflector`.
//!
//! One thread per UDP socket and per TCP listener (UDP and TCP on every
//! configured address and port); one thread per TCP connection, at most
//! `limits.max_tcp_connections`; one thread per probe, at most
//! `limits.max_concurrent_probes`. NAT binding callbacks are sent by the
//! UDP socket that got their request, which wakes every 0.2 s to send the
//! ones due. Every decision is the library's; this
//! file only moves bytes and keeps the concurrency bounds.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ghostguard_diagnose::reflector::{Inbound, classify_answer};
use ghostguard_diagnose::{
    Decision, ProbeOutcome, ProbePlan, Reflector, ReflectorConfig, Transport,
};
use ghostguard_sip::framer::{Framed, frame};
use socket2::{Domain, Protocol, Socket, Type};

use crate::cli::ReflectorArgs;
use crate::token::read_token_file;

/// What all threads share.
struct Shared {
    reflector: Mutex<Reflector>,
    tcp_active: AtomicUsize,
    probes_active: AtomicUsize,
    max_tcp: usize,
    max_probes: usize,
    tcp_timeout: Duration,
    max_request: usize,
}

/// Holds one slot of a bounded pool; frees it when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(counter: &'a AtomicUsize, max: usize) -> Option<Slot<'a>> {
        let prev = counter.fetch_add(1, Ordering::SeqCst);
        if prev >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(counter))
    }

    /// Keeps the slot taken past this scope: the thread it is handed to
    /// rebuilds the guard with `Slot(counter)` and frees it when done.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn load(args: &ReflectorArgs) -> Result<(ReflectorConfig, Option<String>)> {
    let cfg = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            ReflectorConfig::parse(&text)
                .with_context(|| format!("config {} is invalid", p.display()))?
        }
        None => ReflectorConfig::default(),
    };
    let token = match (&args.token_file, &cfg.auth.token, &cfg.auth.token_file) {
        (Some(f), ..) | (None, None, Some(f)) => Some(read_token_file(f)?),
        (None, Some(t), _) => Some(t.clone()),
        (None, None, None) => None,
    };
    Ok((cfg, token))
}

fn socket(addr: SocketAddr, ty: Type, proto: Protocol) -> Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), ty, Some(proto))?;
    if addr.is_ipv6() {
        // `::` and `0.0.0.0` on the same port must not collide.
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.bind(&addr.into())
        .with_context(|| format!("cannot bind {addr}"))?;
    Ok(s)
}

pub fn run(args: &ReflectorArgs) -> Result<ExitCode> {
    let (cfg, token) = load(args)?;
    if args.check {
        println!("config ok");
        return Ok(ExitCode::SUCCESS);
    }
    let l = cfg.limits.clone();
    let listen = cfg.listen.clone();
    let shared = Arc::new(Shared {
        reflector: Mutex::new(Reflector::new(cfg, token)),
        tcp_active: AtomicUsize::new(0),
        probes_active: AtomicUsize::new(0),
        max_tcp: l.max_tcp_connections,
        max_probes: l.max_concurrent_probes,
        tcp_timeout: Duration::from_millis(l.tcp_timeout_ms),
        max_request: l.max_request_bytes,
    });
    // Bind everything first: a port in use fails before anything is served.
    let mut udp = Vec::new();
    let mut tcp = Vec::new();
    for ip in &listen.addresses {
        for port in &listen.ports {
            let addr = SocketAddr::new(*ip, *port);
            if listen.udp {
                udp.push(UdpSocket::from(socket(addr, Type::DGRAM, Protocol::UDP)?));
            }
            if listen.tcp {
                let s = socket(addr, Type::STREAM, Protocol::TCP)?;
                s.listen(128)?;
                tcp.push(TcpListener::from(s));
            }
        }
    }
    let mut threads = Vec::new();
    for s in udp {
        eprintln!("reflector: listening on udp {}", s.local_addr()?);
        let sh = Arc::clone(&shared);
        threads.push(std::thread::spawn(move || serve_udp(&s, &sh)));
    }
    for s in tcp {
        eprintln!("reflector: listening on tcp {}", s.local_addr()?);
        let sh = Arc::clone(&shared);
        threads.push(std::thread::spawn(move || serve_tcp(&s, &sh)));
    }
    for t in threads {
        if t.join().is_err() {
            bail!("a listener thread stopped");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(
    sh: &Shared,
    transport: Transport,
    (src, local): (SocketAddr, SocketAddr),
    bytes: &[u8],
) -> Decision {
    let inb = Inbound {
        transport,
        src,
        local,
        bytes,
        now: Instant::now(),
    };
    match sh.reflector.lock() {
        Ok(mut r) => r.handle(&inb),
        Err(poisoned) => poisoned.into_inner().handle(&inb),
    }
}

fn log(transport: Transport, src: SocketAddr, what: &str) {
    eprintln!("reflector: {transport} {src} {what}");
}

/// Sends the NAT binding callbacks this socket owes by now.
fn send_callbacks(sock: &UdpSocket, local: SocketAddr, sh: &Shared) {
    loop {
        let due = match sh.reflector.lock() {
            Ok(mut r) => r.due_callback(local, Instant::now()),
            Err(poisoned) => poisoned.into_inner().due_callback(local, Instant::now()),
        };
        let Some((to, bytes)) = due else { return };
        log(
            Transport::Udp,
            to,
            &format!("callback {} bytes", bytes.len()),
        );
        let _ = sock.send_to(&bytes, to);
    }
}

fn serve_udp(sock: &UdpSocket, sh: &Arc<Shared>) {
    let mut buf = vec![0u8; 65_536];
    let Ok(local) = sock.local_addr() else { return };
    // Wake up often enough to send callbacks on time (±0.2 s).
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    loop {
        send_callbacks(sock, local, sh);
        let (n, src) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => {
                eprintln!("reflector: udp receive failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        match decide(sh, Transport::Udp, (src, local), &buf[..n]) {
            Decision::Reply(r) => {
                log(
                    Transport::Udp,
                    src,
                    &format!("reply {} bytes to {n}", r.len()),
                );
                let _ = sock.send_to(&r, src);
            }
            Decision::Probe(plan) => {
                let reply_sock = sock.try_clone().ok();
                let slot = Slot::take(&sh.probes_active, sh.max_probes).map(Slot::keep);
                let (Some(reply_sock), Some(())) = (reply_sock, slot) else {
                    let _ = sock.send_to(&plan.busy_reply(), src);
                    continue;
                };
                let sh2 = Arc::clone(sh);
                std::thread::spawn(move || {
                    let _slot = Slot(&sh2.probes_active);
                    let reply = plan.reply(&probe(&plan));
                    let _ = reply_sock.send_to(&reply, src);
                });
            }
            Decision::Drop(_) => {}
        }
    }
}

/// Runs a probe if a slot is free; returns the reply to send.
fn probe_with_slot(sh: &Shared, plan: &ProbePlan) -> Vec<u8> {
    let Some(_slot) = Slot::take(&sh.probes_active, sh.max_probes) else {
        return plan.busy_reply();
    };
    plan.reply(&probe(plan))
}

/// Sends the one OPTIONS and waits for any answer from the target.
fn probe(plan: &ProbePlan) -> ProbeOutcome {
    let any: IpAddr = match plan.target {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let run = || -> std::io::Result<ProbeOutcome> {
        let s = UdpSocket::bind(SocketAddr::new(any, 0))?;
        s.connect(plan.target)?;
        s.set_read_timeout(Some(plan.timeout))?;
        let msg = plan.message(s.local_addr()?);
        s.send(&msg)?;
        let mut buf = vec![0u8; 4096];
        let n = s.recv(&mut buf)?;
        Ok(classify_answer(&buf[..n]))
    };
    let outcome = match run() {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => ProbeOutcome::Closed,
        Err(_) => ProbeOutcome::Silent,
    };
    eprintln!("reflector: probe {} -> {outcome:?}", plan.target);
    outcome
}

fn serve_tcp(listener: &TcpListener, sh: &Arc<Shared>) {
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        let sh2 = Arc::clone(sh);
        // Take the slot before spawning, so a connection flood spawns nothing.
        if Slot::take(&sh.tcp_active, sh.max_tcp)
            .map(Slot::keep)
            .is_none()
        {
            drop(stream);
            continue;
        }
        std::thread::spawn(move || {
            let _slot = Slot(&sh2.tcp_active);
            let _ = serve_conn(stream, &sh2);
        });
    }
}

fn serve_conn(mut stream: TcpStream, sh: &Shared) -> std::io::Result<()> {
    let src = stream.peer_addr()?;
    let local = stream.local_addr()?;
    let deadline = Instant::now() + sh.tcp_timeout;
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let len = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        match frame(&buf) {
            Framed::Message(len) => break len,
            Framed::KeepAlive(k) => {
                buf.drain(..k);
            }
            Framed::Incomplete if buf.len() <= sh.max_request => {}
            // Junk or too long: close without an answer.
            _ => return Ok(()),
        }
    };
    let reply = match decide(sh, Transport::Tcp, (src, local), &buf[..len]) {
        Decision::Reply(r) => r,
        Decision::Probe(plan) => probe_with_slot(sh, &plan),
        Decision::Drop(_) => return Ok(()),
    };
    log(
        Transport::Tcp,
        src,
        &format!("reply {} bytes to {len}", reply.len()),
    );
    stream.write_all(&reply)?;
    stream.shutdown(std::net::Shutdown::Both)
}
