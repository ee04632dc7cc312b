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
//! Each copy is compared by a hash per field; the text of the fields is
//! only built when a rewrite is found, from a stored copy of the first message.
//! The first copy of a transaction is only stored: its hashes are computed
//! from the stored bytes when a second copy arrives, so the common case (a
//! message seen once) costs one copy of at most [`MAX_RAW`] bytes.
//!
//! DoS: a direct-mapped table of [`SLOTS`] entries, each holding at most
//! [`MAX_RAW`] bytes in a reused buffer (8 MiB in all); a collision overwrites.

use std::net::SocketAddr;

use ghostguard_packet::{Span, Timestamp};
use ghostguard_sip::sdp::{self, Sdp};
use ghostguard_sip::{HeaderName, Host, Message, Method, NameAddr, Via};

use crate::event::{Ctx, has_sdp};
use crate::window::KeyHasher;

const SLOTS: usize = 2048;
const WINDOW: Span = Span::from_secs(10);
const SNIP: usize = 47;

/// A short copy of a header value (enough to show an address and port).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snip {
    len: u8,
    bytes: [u8; SNIP],
}

impl Default for Snip {
    fn default() -> Self {
        Snip {
            len: 0,
            bytes: [0; SNIP],
        }
    }
}

impl std::fmt::Debug for Snip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Snip {
    fn of(b: &[u8]) -> Snip {
        let mut s = Snip::default();
        let n = b.len().min(SNIP);
        s.bytes[..n].copy_from_slice(&b[..n]);
        s.len = n as u8;
        s
    }

    fn of_display(v: impl std::fmt::Display) -> Snip {
        use std::io::Write;
        let mut s = Snip::default();
        let mut cur = std::io::Cursor::new(&mut s.bytes[..]);
        let _ = write!(cur, "{v}");
        s.len = cur.position() as u8;
        s
    }

    fn text(&self) -> String {
        crate::event::text(&self.bytes[..usize::from(self.len)])
    }
}

/// The fields an ALG rewrites.
const NAMES: [&str; 6] = [
    "Via",
    "Contact",
    "SDP c=",
    "SDP o=",
    "SDP m=",
    "Content-Length",
];

fn host_port(h: &Host<'_>, port: Option<u16>) -> Snip {
    match (h, port) {
        (Host::Domain(d), None) => Snip::of(d),
        (Host::Domain(d), Some(p)) => {
            Snip::of_display(format_args!("{}:{p}", String::from_utf8_lossy(d)))
        }
        (Host::Ipv4(a), None) => Snip::of_display(a),
        (Host::Ipv4(a), Some(p)) => Snip::of_display(format_args!("{a}:{p}")),
        (Host::Ipv6(a), None) => Snip::of_display(format_args!("[{a}]")),
        (Host::Ipv6(a), Some(p)) => Snip::of_display(format_args!("[{a}]:{p}")),
    }
}

/// The rewritable fields as text (only built when a rewrite was found).
fn fields(m: &Message<'_>) -> [Snip; 6] {
    let mut f = [Snip::default(); 6];
    if let Some(v) = m.via() {
        f[0] = host_port(&v.host, v.port);
    }
    if let Some(c) = m.contact() {
        f[1] = Snip::of(c.raw_uri);
    }
    if has_sdp(m) {
        let s = sdp::parse(m.body());
        if let Some(c) = &s.connection {
            f[2] = Snip::of(c.addr);
        }
        if let Some(o) = &s.origin {
            f[3] = Snip::of(o.addr);
        }
        if let Some(p) = s.media.first().and_then(|m| m.port) {
            f[4] = Snip::of_display(p);
        }
    }
    if let Some(l) = m.content_length() {
        f[5] = Snip::of_display(l);
    }
    f
}

/// What a copy is compared on: Via count, Max-Forwards and the field digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    vias: usize,
    max_forwards: Option<u32>,
    digest: [u64; 6],
}

impl Shape {
    /// Counts the Vias and hashes each rewritable field (no formatting).
    fn new(
        m: &Message<'_>,
        via: Option<&Via<'_>>,
        contact: Option<&NameAddr<'_>>,
        sdp: Option<&Sdp<'_>>,
        h: &KeyHasher,
    ) -> Shape {
        let via = via.map(|v| (&v.host, v.port));
        Shape {
            vias: m
                .headers_named(HeaderName::Via)
                .map(|h| h.values().count())
                .sum(),
            max_forwards: m.max_forwards(),
            digest: [
                h.hash(&via),
                h.hash(&contact.map(|c| c.raw_uri)),
                h.hash(&sdp.and_then(|s| s.connection.as_ref().map(|c| c.addr))),
                h.hash(&sdp.and_then(|s| s.origin.as_ref().map(|o| o.addr))),
                h.hash(&sdp.and_then(|s| s.media.first().and_then(|m| m.port))),
                h.hash(&m.content_length()),
            ],
        }
    }

    /// The shape of the message in `ctx` (its parses are shared).
    fn of(ctx: &Ctx<'_>, h: &KeyHasher) -> Shape {
        Shape::new(ctx.m, ctx.via(), ctx.contact(), ctx.sdp(), h)
    }

    /// The shape of a stored copy: the same bytes parse to the same fields.
    fn of_raw(raw: &[u8], h: &KeyHasher) -> Option<Shape> {
        let m = ghostguard_sip::parse(raw).ok()?;
        let sdp = has_sdp(&m).then(|| sdp::parse(m.body()));
        Some(Shape::new(
            &m,
            m.via().as_ref(),
            m.contact().as_ref(),
            sdp.as_ref(),
            h,
        ))
    }
}

/// DoS: a stored copy is at most this long (longer messages keep only
/// their digest and show no "before" text).
const MAX_RAW: usize = 4096;

#[derive(Debug, Clone, Default)]
struct Slot {
    key: u64,
    ts: Timestamp,
    hop: Option<(SocketAddr, SocketAddr)>,
    /// The stored copy's shape; `None` until a second copy needs it (it is
    /// then computed from `raw`: most transactions are seen only once).
    shape: Option<Shape>,
    /// The first copy's bytes (the buffer is reused), to show what changed.
    raw: Vec<u8>,
}

impl Slot {
    /// Keeps this copy: its bytes when short enough, else its shape now.
    fn store(&mut self, ctx: &Ctx<'_>, hasher: &KeyHasher, shape: Option<Shape>) {
        self.raw.clear();
        if ctx.m.raw().len() <= MAX_RAW {
            self.raw.extend_from_slice(ctx.m.raw());
            self.shape = shape;
        } else {
            self.shape = Some(shape.unwrap_or_else(|| Shape::of(ctx, hasher)));
        }
    }
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
        let Some(cseq) = ctx.cseq.as_ref() else {
            return;
        };
        // A request whose start line names another method than its CSeq
        // is malformed, and a sharded analysis routes it by its start line
        // (`Engine::concerns_alg`): leave it out, with any thread count.
        if !matches!(cseq.method, Method::Invite | Method::Register)
            || ctx.method.is_some_and(|m| m != cseq.method)
        {
            return;
        }
        // Only messages with something an ALG rewrites. Presence is enough
        // here (the fields are parsed when a second copy is compared), so a
        // de-registration's `Contact: *` counts too: its Via is rewritten.
        if ctx.m.header_value(HeaderName::Contact).is_none() && !has_sdp(ctx.m) {
            return;
        }
        let (Some(cid), Some(branch)) = (ctx.call_id, ctx.branch()) else {
            return;
        };
        let key = self.hasher.hash(&(cid, cseq.seq, ctx.status, branch));
        let hop = Some((ctx.d.src, ctx.d.dst));
        let slot = &mut self.slots[(key as usize) % SLOTS];
        if slot.key != key || ctx.ts.since(slot.ts) > WINDOW {
            slot.key = key;
            slot.ts = ctx.ts;
            slot.hop = hop;
            slot.store(ctx, &self.hasher, None);
            return;
        }
        if slot.hop == hop {
            return; // a retransmission
        }
        let theirs = match slot.shape {
            Some(s) => s,
            None => {
                let Some(s) = Shape::of_raw(&slot.raw, &self.hasher) else {
                    return;
                };
                slot.shape = Some(s);
                s
            }
        };
        let mine = Shape::of(ctx, &self.hasher);
        if theirs.vias != mine.vias || theirs.max_forwards != mine.max_forwards {
            return; // a proxy hop
        }
        let digest = mine.digest;
        let changed: Vec<usize> = (0..NAMES.len())
            .filter(|&i| theirs.digest[i] != digest[i])
            .collect();
        slot.hop = hop;
        if changed.is_empty() {
            self.unchanged += 1;
            return;
        }
        self.rewritten += 1;
        for &i in &changed {
            if !self.fields_seen.contains(&NAMES[i]) {
                self.fields_seen.push(NAMES[i]);
            }
        }
        if self.samples.len() < 5 {
            let show = |fs: &[Snip; 6]| {
                changed
                    .iter()
                    .map(|&i| format!("{} {}", NAMES[i], fs[i].text()))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let before = ghostguard_sip::parse(&slot.raw)
                .map(|m| show(&fields(&m)))
                .unwrap_or_default();
            self.samples.push(Rewrite {
                fields: changed.iter().map(|&i| NAMES[i]).collect(),
                before,
                after: show(&fields(ctx.m)),
                ts: ctx.ts,
            });
        }
        slot.store(ctx, &self.hasher, Some(mine));
    }
}
