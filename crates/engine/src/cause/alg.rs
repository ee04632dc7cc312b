//! SIP ALG evidence: the same SIP message seen on both sides of a router
//! with its addresses rewritten.
//!
//! A capture taken on the router (`tcpdump -i any`) or on both sides holds
//! each message twice: before and after NAT. Plain NAT changes only the IP
//! and UDP headers. An ALG (the kernel's `nf_nat_sip`, or a consumer router's
//! "SIP ALG") also rewrites the top Via, Contact, the SDP `c=`/`o=` addresses
//! and `m=` ports, and with them Content-Length. A proxy forwarding the
//! message adds a Via and lowers Max-Forwards, so copies that differ there
//! are a different hop, not an ALG.
//!
//! DoS: a direct-mapped table of [`SLOTS`] entries; a collision overwrites.

use ghostguard_packet::{Span, Timestamp};
use ghostguard_sip::{Message, Method, sdp};

use crate::event::{Ctx, has_sdp, text};
use crate::window::KeyHasher;

const SLOTS: usize = 8192;
const WINDOW: Span = Span::from_secs(10);

/// The fields an ALG rewrites, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    via: String,
    contact: String,
    sdp_c: String,
    sdp_o: String,
    sdp_m: String,
    content_length: String,
}

impl Fields {
    const NAMES: [&'static str; 6] = [
        "Via",
        "Contact",
        "SDP c=",
        "SDP o=",
        "SDP m=",
        "Content-Length",
    ];

    fn get(&self) -> [&str; 6] {
        [
            &self.via,
            &self.contact,
            &self.sdp_c,
            &self.sdp_o,
            &self.sdp_m,
            &self.content_length,
        ]
    }

    fn of(m: &Message<'_>) -> Fields {
        let mut f = Fields::default();
        if let Some(v) = m.via() {
            f.via = match v.port {
                Some(p) => format!("{}:{p}", host_text(&v.host)),
                None => host_text(&v.host),
            };
        }
        if let Some(c) = m.contact() {
            f.contact = text(c.raw_uri);
        }
        if has_sdp(m) {
            let s = sdp::parse(m.body());
            f.sdp_c = s.connection.map(|c| text(c.addr)).unwrap_or_default();
            f.sdp_o = s.origin.map(|o| text(o.addr)).unwrap_or_default();
            f.sdp_m = s
                .media
                .first()
                .and_then(|md| md.port)
                .map(|p| p.to_string())
                .unwrap_or_default();
        }
        f.content_length = m
            .content_length()
            .map(|l| l.to_string())
            .unwrap_or_default();
        f
    }
}

fn host_text(h: &ghostguard_sip::Host<'_>) -> String {
    match h {
        ghostguard_sip::Host::Domain(d) => text(d),
        ghostguard_sip::Host::Ipv4(a) => a.to_string(),
        ghostguard_sip::Host::Ipv6(a) => format!("[{a}]"),
    }
}

#[derive(Debug, Clone, Default)]
struct Slot {
    key: u64,
    ts: Timestamp,
    hop: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    vias: usize,
    max_forwards: Option<u32>,
    fields: Fields,
}

/// One rewrite seen: which fields, and a before/after sample.
#[derive(Debug, Clone)]
pub(crate) struct Rewrite {
    pub fields: Vec<&'static str>,
    pub before: String,
    pub after: String,
    pub ts: Timestamp,
}

#[derive(Debug)]
pub(crate) struct AlgWatch {
    slots: Vec<Slot>,
    hasher: KeyHasher,
    /// Copies compared that crossed NAT unchanged (plain NAT, no ALG).
    pub(crate) unchanged: u64,
    /// Copies with rewritten SIP.
    pub(crate) rewritten: u64,
    pub(crate) samples: Vec<Rewrite>,
    pub(crate) fields_seen: Vec<&'static str>,
}

impl AlgWatch {
    pub(crate) fn new() -> Self {
        AlgWatch {
            slots: vec![Slot::default(); SLOTS],
            hasher: KeyHasher::default(),
            unchanged: 0,
            rewritten: 0,
            samples: Vec::new(),
            fields_seen: Vec::new(),
        }
    }

    pub(crate) fn observe(&mut self, ctx: &Ctx<'_>) {
        let m = ctx.m;
        let Some(cseq) = ctx.cseq.as_ref() else {
            return;
        };
        if !matches!(cseq.method, Method::Invite | Method::Register) {
            return;
        }
        if m.contact().is_none() && !ctx.sdp {
            return;
        }
        let (Some(cid), Some(branch)) = (m.call_id(), m.via().and_then(|v| v.branch())) else {
            return;
        };
        let key = self.hasher.hash(&(cid, cseq.seq, ctx.status, branch));
        let hop = Some((ctx.d.src, ctx.d.dst));
        let idx = (key as usize) % SLOTS;
        let slot = &mut self.slots[idx];
        let vias = m.vias().count();
        let max_forwards = m.max_forwards();
        if slot.key != key || ctx.ts.since(slot.ts) > WINDOW {
            *slot = Slot {
                key,
                ts: ctx.ts,
                hop,
                vias,
                max_forwards,
                fields: Fields::of(m),
            };
            return;
        }
        if slot.hop == hop || slot.vias != vias || slot.max_forwards != max_forwards {
            return; // a retransmission, or a proxy hop
        }
        let now = Fields::of(m);
        let changed: Vec<&'static str> = Fields::NAMES
            .iter()
            .zip(slot.fields.get().iter().zip(now.get().iter()))
            .filter(|(_, (a, b))| a != b)
            .map(|(n, _)| *n)
            .collect();
        slot.hop = hop;
        if changed.is_empty() {
            self.unchanged += 1;
            return;
        }
        self.rewritten += 1;
        for f in &changed {
            if !self.fields_seen.contains(f) {
                self.fields_seen.push(f);
            }
        }
        if self.samples.len() < 5 {
            let pick = |fs: &Fields| {
                let v = fs.get();
                changed
                    .iter()
                    .filter_map(|n| {
                        Fields::NAMES
                            .iter()
                            .position(|x| x == n)
                            .map(|i| format!("{n} {}", v[i]))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            self.samples.push(Rewrite {
                fields: changed.clone(),
                before: pick(&slot.fields),
                after: pick(&now),
                ts: ctx.ts,
            });
        }
        slot.fields = now;
    }
}
