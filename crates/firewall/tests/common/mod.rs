//! Network namespaces for the real-kernel tests: a guard that deletes the
//! namespace even on panic, a way to run code inside one (a thread that
//! enters it with setns; processes it spawns start there too), and the
//! client -> router -> phone lab.
//!
//! Addresses are documentation ranges only (RFC 5737, RFC 3849), and no
//! packet leaves the namespaces the test made.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// True when the test can run (root, `ip` and `nft` present). Otherwise a
/// loud SKIP, or a failure under CI=true.
pub fn can_run(test: &str) -> bool {
    let reason = if !rustix::process::geteuid().is_root() {
        Some("needs root (CAP_NET_ADMIN) for network namespaces and nftables".to_owned())
    } else {
        ["ip", "nft"]
            .into_iter()
            .find(|tool| Command::new(tool).arg("-V").output().is_err())
            .map(|tool| format!("`{tool}` not found (apt-get install iproute2 nftables)"))
    };
    let Some(reason) = reason else { return true };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {reason} (CI=true: failing instead of skipping)"
    );
    eprintln!("\n*** SKIP: {test}: {reason} ***\n");
    false
}

/// Runs a command, panicking with its stderr when it fails.
pub fn sh(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "`{}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace, deleted when dropped (also during a panic).
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// A fresh namespace `gg-fw-<pid>-<n>-<tag>` with `lo` up.
    pub fn new(tag: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("gg-fw-{}-{n}-{tag}", std::process::id());
        sh(&["ip", "netns", "add", &name]);
        let ns = Self { name };
        sh(&["ip", "-n", &ns.name, "link", "set", "lo", "up"]);
        // Link-local addresses usable at once: no DAD wait before NDP.
        ns.sysctl("net/ipv6/conf/default/accept_dad", "0");
        ns.sysctl("net/ipv6/conf/all/accept_dad", "0");
        ns
    }

    /// Runs `f` on a thread inside this namespace and returns its result
    /// (a panic in `f` is re-raised here). Sockets made in `f` stay in the
    /// namespace when handed back.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let fd = std::fs::File::open(&path).unwrap();
                    rustix::thread::move_into_link_name_space(
                        std::os::fd::AsFd::as_fd(&fd),
                        Some(rustix::thread::LinkNameSpaceType::Network),
                    )
                    .unwrap();
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// `ip -n <ns> args...`
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["ip", "-n", &self.name];
        all.extend_from_slice(args);
        sh(&all);
    }

    /// Writes a sysctl of this namespace.
    pub fn sysctl(&self, path: &str, value: &str) {
        let path = format!("/proc/sys/{path}");
        self.run(|| std::fs::write(&path, value).unwrap());
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The outside client's addresses: one to ban, one trusted.
pub const BANNED4: &str = "203.0.113.2";
pub const TRUSTED4: &str = "203.0.113.3";
pub const BANNED6: &str = "2001:db8:c::2";
pub const TRUSTED6: &str = "2001:db8:c::3";
/// The phone behind the router.
pub const PHONE4: &str = "192.0.2.10";
pub const PHONE6: &str = "2001:db8:1::10";

/// client (203.0.113.0/24, 2001:db8:c::/64) -- router -- phone
/// (192.0.2.0/24, 2001:db8:1::/64). The router forwards; the phone
/// listens on UDP 5060.
#[derive(Debug)]
pub struct Lab {
    pub client: Netns,
    pub router: Netns,
    pub phone: Netns,
    phone_socket: UdpSocket,
    next_probe: AtomicU32,
}

impl Lab {
    pub fn new() -> Self {
        let client = Netns::new("c");
        let router = Netns::new("r");
        let phone = Netns::new("p");
        sh(&[
            "ip",
            "link",
            "add",
            "c0",
            "netns",
            &client.name,
            "type",
            "veth",
            "peer",
            "name",
            "r0",
            "netns",
            &router.name,
        ]);
        sh(&[
            "ip",
            "link",
            "add",
            "p0",
            "netns",
            &phone.name,
            "type",
            "veth",
            "peer",
            "name",
            "r1",
            "netns",
            &router.name,
        ]);
        for (ns, dev, addrs) in [
            (
                &client,
                "c0",
                vec![
                    "203.0.113.2/24",
                    "203.0.113.3/24",
                    "2001:db8:c::2/64",
                    "2001:db8:c::3/64",
                ],
            ),
            (&router, "r0", vec!["203.0.113.1/24", "2001:db8:c::1/64"]),
            (&router, "r1", vec!["192.0.2.1/24", "2001:db8:1::1/64"]),
            (&phone, "p0", vec!["192.0.2.10/24", "2001:db8:1::10/64"]),
        ] {
            for addr in addrs {
                ns.ip(&["addr", "add", addr, "dev", dev, "nodad"]);
            }
            ns.ip(&["link", "set", dev, "up"]);
        }
        client.ip(&["route", "add", "default", "via", "203.0.113.1"]);
        client.ip(&["-6", "route", "add", "default", "via", "2001:db8:c::1"]);
        phone.ip(&["route", "add", "default", "via", "192.0.2.1"]);
        phone.ip(&["-6", "route", "add", "default", "via", "2001:db8:1::1"]);
        router.sysctl("net/ipv4/ip_forward", "1");
        router.sysctl("net/ipv6/conf/all/forwarding", "1");
        // One dual-stack socket: IPv4 arrives as ::ffff:a.b.c.d.
        let phone_socket = phone.run(|| UdpSocket::bind("[::]:5060").unwrap());
        phone_socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let lab = Self {
            client,
            router,
            phone,
            phone_socket,
            next_probe: AtomicU32::new(0),
        };
        // Ready when every client address reaches the phone (IPv6 neighbour
        // discovery can lose the first packets for about a second).
        for from in [BANNED4, TRUSTED4, BANNED6, TRUSTED6] {
            assert!(
                (0..8).any(|_| lab.delivered(from)),
                "lab not ready: {from} cannot reach the phone"
            );
        }
        lab
    }

    /// Sends a SIP answer from the phone's port 5060 to `to` (a client
    /// address) port 5060, up to three times, and says whether it arrived.
    pub fn answer_delivered(&self, to: &str) -> bool {
        let to: IpAddr = to.parse().unwrap();
        let n = self.next_probe.fetch_add(1, Ordering::Relaxed);
        let payload = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {to};branch=z9hG4bK-gg-{n}\r\nCall-ID: answer-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let socket = self
            .client
            .run(|| UdpSocket::bind(SocketAddr::new(to, 5060)).unwrap());
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 2048];
        for _ in 0..3 {
            self.phone_socket
                .send_to(payload.as_bytes(), SocketAddr::new(to, 5060))
                .unwrap();
            for _ in 0..5 {
                if let Ok((len, _)) = socket.recv_from(&mut buf)
                    && buf[..len] == *payload.as_bytes()
                {
                    return true;
                }
            }
        }
        false
    }

    /// Sends a SIP OPTIONS from `from` (a client address) to the phone's
    /// port 5060, up to three times, and says whether the phone got it.
    pub fn delivered(&self, from: &str) -> bool {
        let from: IpAddr = from.parse().unwrap();
        let to: IpAddr = if from.is_ipv4() { PHONE4 } else { PHONE6 }
            .parse()
            .unwrap();
        let n = self.next_probe.fetch_add(1, Ordering::Relaxed);
        let payload = format!(
            "OPTIONS sip:100@{to} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-gg-{n}\r\nCall-ID: probe-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let socket = self
            .client
            .run(|| UdpSocket::bind(SocketAddr::new(from, 0)).unwrap());
        let mut buf = [0u8; 2048];
        // Three tries of 250 ms: a first packet may wait for (or be lost to)
        // neighbour resolution.
        for _ in 0..3 {
            socket
                .send_to(payload.as_bytes(), SocketAddr::new(to, 5060))
                .unwrap();
            for _ in 0..5 {
                if let Ok((len, _)) = self.phone_socket.recv_from(&mut buf)
                    && buf[..len] == *payload.as_bytes()
                {
                    return true;
                }
            }
        }
        false
    }
}
