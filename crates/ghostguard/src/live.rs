//! The live side of `diagnose`: a short capture on one interface (libpcap,
//! bounded in seconds, frames and bytes) fed to the engine exactly as
//! `analyze` feeds it a file, and what the machine knows about its LAN
//! (interface prefixes, default gateway and its MAC).

use std::net::{IpAddr, Ipv4Addr};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use ghostguard_diagnose::binding::register_interval;
use ghostguard_diagnose::verdict::Gateway;
use ghostguard_engine::net::mac_vendor;
use ghostguard_engine::{Analysis, Engine, EngineConfig, Role, Rules};
use ghostguard_packet::{Decoder, Frame, Limits, LinkType, Timestamp};
use ipnet::IpNet;

use crate::analyze::observe;

/// DoS: the capture stops after this many bytes or frames, whatever the time.
const MAX_BYTES: u64 = 64 << 20;
const MAX_FRAMES: u64 = 500_000;

/// What the capture gave.
#[derive(Debug)]
pub struct Outcome {
    pub analysis: Analysis,
    pub interface: String,
    pub seconds: u64,
    pub frames: u64,
    pub bytes: u64,
    /// Set when a bound stopped the capture early.
    pub truncated: bool,
    /// The shortest REGISTER interval seen (RFC 3261 §10.2.1.1).
    pub register_interval: Option<u32>,
}

/// The interface of the IPv4 default route and its gateway (`/proc/net/route`).
pub fn default_route() -> Option<(String, Ipv4Addr)> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.get(1) != Some(&"00000000") {
            return None;
        }
        let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
        Some((f[0].to_string(), Ipv4Addr::from(gw.to_le_bytes())))
    })
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut mac {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// The default gateway with its MAC (from the ARP cache) and maker.
pub fn gateway() -> Option<Gateway> {
    let (ifname, gw) = default_route()?;
    let arp = std::fs::read_to_string("/proc/net/arp").unwrap_or_default();
    let mac = arp.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.first() == Some(&gw.to_string().as_str()) && f.get(5) == Some(&ifname.as_str()))
            .then(|| f.get(3).and_then(|m| parse_mac(m)))
            .flatten()
            .filter(|m| *m != [0; 6])
    });
    Some(Gateway {
        address: gw.to_string(),
        mac: mac.map(ghostguard_engine::net::format_mac),
        vendor: mac.and_then(mac_vendor),
    })
}

/// The prefixes on `interface` (they are the LAN, whatever their range).
pub fn prefixes(interface: &str) -> Vec<IpNet> {
    let Ok(devices) = pcap::Device::list() else {
        return Vec::new();
    };
    devices
        .iter()
        .filter(|d| d.name == interface)
        .flat_map(|d| &d.addresses)
        .filter_map(|a| {
            let bits = match a.netmask? {
                IpAddr::V4(m) => u32::from(m).count_ones(),
                IpAddr::V6(m) => u128::from(m).count_ones(),
            };
            IpNet::new(a.addr, u8::try_from(bits).ok()?)
                .ok()
                .map(|n| n.trunc())
        })
        .filter(|n| !n.addr().is_loopback() && n.prefix_len() > 0)
        .collect()
}

/// Opens the capture (errors now, so they are reported at once) and runs
/// it on its own thread for `seconds`. `exclude` is the reflector: our own
/// tests are not local evidence.
pub fn start(
    interface: &str,
    seconds: u64,
    exclude: IpAddr,
    cfg: EngineConfig,
) -> Result<JoinHandle<Result<Outcome>>> {
    let inactive = pcap::Capture::from_device(interface)
        .with_context(|| format!("no capture device {interface}"))?;
    let mut cap = inactive
        .promisc(true)
        .snaplen(65_535)
        .immediate_mode(true)
        .buffer_size(8 << 20)
        .open()
        .with_context(|| format!("cannot capture on {interface} (needs root or CAP_NET_RAW)"))?
        // Non-blocking: a quiet interface must not hold the capture past
        // its deadline (a read timeout is not honoured in immediate mode).
        .setnonblock()
        .context("cannot make the capture non-blocking")?;
    cap.filter(&format!("(udp or tcp) and not host {exclude}"), true)
        .context("cannot set the capture filter")?;
    let rules = Rules::default_rules()?;
    let mut engine = Engine::new(cfg, rules).context("invalid engine settings")?;
    let interface = interface.to_string();
    eprintln!("ghostguard: capturing on {interface} for {seconds} s");
    Ok(std::thread::spawn(move || {
        let link = LinkType::from_dlt(u32::try_from(cap.get_datalink().0).unwrap_or(1));
        let mut decoder = Decoder::new(Limits::default());
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let (mut frames, mut bytes, mut truncated) = (0u64, 0u64, false);
        let mut interval: Option<u32> = None;
        let mut see = |engine: &mut Engine, d: &ghostguard_packet::Datagram<'_>| {
            if let Some(s) = ghostguard_sip::parse(d.payload)
                .ok()
                .and_then(|m| register_interval(&m))
            {
                interval = Some(interval.map_or(s, |i| i.min(s)));
            }
            observe(engine, d, Role::Whole);
        };
        while Instant::now() < deadline {
            if frames >= MAX_FRAMES || bytes >= MAX_BYTES {
                truncated = true;
                break;
            }
            let p = match cap.next_packet() {
                Ok(p) => p,
                Err(pcap::Error::TimeoutExpired) => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                Err(e) => return Err(anyhow!("capture on {interface} failed: {e}")),
            };
            frames += 1;
            bytes += u64::from(p.header.caplen);
            let ts = Timestamp::from_parts(
                p.header.ts.tv_sec,
                u32::try_from(p.header.ts.tv_usec).unwrap_or(0) * 1000,
            );
            let frame = Frame::new(ts, link, p.data);
            let _ = decoder.decode(&frame, &mut |d| see(&mut engine, d));
        }
        decoder.flush(&mut |d| see(&mut engine, d));
        Ok(Outcome {
            analysis: engine.finish(),
            interface,
            seconds,
            frames,
            bytes,
            truncated,
            register_interval: interval,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_mac;

    #[test]
    fn macs_parse_strictly() {
        assert_eq!(
            parse_mac("3c:a6:2f:01:77:01"),
            Some([0x3c, 0xa6, 0x2f, 0x01, 0x77, 0x01])
        );
        assert_eq!(parse_mac("3c:a6:2f:01:77"), None);
        assert_eq!(parse_mac("3c:a6:2f:01:77:01:02"), None);
        assert_eq!(parse_mac("zz:a6:2f:01:77:01"), None);
    }
}
