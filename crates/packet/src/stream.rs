//! One direction of a TCP connection as a byte stream of SIP messages or HEP
//! records: classifies the stream, frames it, and resynchronises after gaps
//! and framing errors.
//!
//! Bytes arrive here in order (see `tcp.rs`). The framer runs straight on the
//! segment when nothing is buffered, so a segment holding whole messages is
//! never copied; only an unfinished tail is kept in `buf`.

use core::net::SocketAddr;

use memchr::{memchr, memmem, memrchr};

use crate::datagram::{Outer, Sink, Transport};
use crate::hep;
use crate::sip::framer::{Framed, frame};
use crate::sip::looks_like_sip;
use crate::stats::DecodeStats;

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Not decided yet: waiting for the first line.
    Unknown,
    Sip,
    Hep,
    /// Ignored from now on.
    NonSip,
}

/// A first line longer than this without a newline is not SIP.
const MAX_FIRST_LINE: usize = 512;

/// DoS: bytes of a stream picked up mid-way that are scanned for a SIP start
/// line before the flow is declared non-SIP.
pub(crate) const MIDSTREAM_PROBE: usize = 4096;

#[derive(Debug)]
pub(crate) struct Stream {
    pub kind: Kind,
    /// Discard bytes until a SIP start line (or `HEP3`) is found.
    pub resync: bool,
    /// The stream began with a SYN we saw: its first bytes decide the kind.
    pub from_start: bool,
    /// Bytes left to scan before a mid-stream pickup is given up as non-SIP.
    pub probe_budget: usize,
    /// The next byte may start a message (false right after bytes were cut
    /// at an arbitrary point: then only a line after a newline can).
    pub at_boundary: bool,
    /// In-order bytes not framed yet.
    pub buf: Vec<u8>,
    /// HEP may be unwrapped on this flow (port 9060, or configured).
    pub hep_allowed: bool,
}

/// Everything a stream needs to emit a message.
pub(crate) struct Ctx<'c, 's> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub outer: &'c Outer,
    pub stats: &'c mut DecodeStats,
    pub sink: Sink<'s>,
    pub max_buffer: usize,
}

impl<'c, 's> Ctx<'c, 's> {
    pub(crate) fn new(
        key: crate::tcp::FlowKey,
        outer: &'c Outer,
        stats: &'c mut DecodeStats,
        sink: Sink<'s>,
        max_buffer: usize,
    ) -> Self {
        Ctx {
            src: key.src,
            dst: key.dst,
            outer,
            stats,
            sink,
            max_buffer,
        }
    }
}

impl Stream {
    pub(crate) fn new(from_start: bool, hep_allowed: bool) -> Self {
        Stream {
            kind: Kind::Unknown,
            resync: false,
            from_start,
            probe_budget: MIDSTREAM_PROBE,
            at_boundary: true,
            buf: Vec::new(),
            hep_allowed,
        }
    }

    /// Takes the next in-order bytes of the stream.
    pub(crate) fn push(&mut self, mut data: &[u8], cx: &mut Ctx<'_, '_>) {
        if self.kind == Kind::NonSip {
            return;
        }
        if self.buf.is_empty() {
            // Fast path: frame in place, keep only an unfinished tail.
            let used = self.consume(data, cx);
            data = &data[used..];
            if self.kind == Kind::NonSip {
                return;
            }
            if data.len() <= cx.max_buffer {
                self.buf.extend_from_slice(data);
                return;
            }
        }
        while !data.is_empty() {
            let space = cx.max_buffer.saturating_sub(self.buf.len());
            if space == 0 {
                // DoS: the per-flow buffer is full and the framer still wants
                // more: drop what is buffered and look for the next message.
                self.drop_buffer(cx.stats);
                self.resync = true;
                self.at_boundary = false;
                continue;
            }
            let take = space.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            let buf = core::mem::take(&mut self.buf);
            let used = self.consume(&buf, cx);
            self.buf = buf;
            self.buf.drain(..used);
            if self.kind == Kind::NonSip {
                self.buf = Vec::new();
                return;
            }
        }
    }

    /// Forgets buffered bytes (a gap or the flow's end) and counts them.
    pub(crate) fn drop_buffer(&mut self, stats: &mut DecodeStats) {
        stats.tcp_bytes_dropped += self.buf.len() as u64;
        self.buf.clear();
    }

    /// Frames as many messages as `bytes` holds; returns how many bytes were
    /// used up (the rest must be kept for later).
    fn consume(&mut self, bytes: &[u8], cx: &mut Ctx<'_, '_>) -> usize {
        let mut off = 0;
        while off < bytes.len() && self.kind != Kind::NonSip {
            let rest = &bytes[off..];
            if self.resync || self.kind == Kind::Unknown {
                match self.find_start(rest, cx.stats) {
                    Some(skip) => {
                        // Every place find_start moves to is a line start.
                        self.at_boundary = true;
                        off += skip;
                    }
                    None => return off,
                }
                continue;
            }
            let step = match self.kind {
                Kind::Sip => self.sip_step(rest, cx),
                _ => self.hep_step(rest, cx),
            };
            match step {
                Some(n) => off += n,
                None => return off,
            }
        }
        bytes.len()
    }

    fn sip_step(&mut self, rest: &[u8], cx: &mut Ctx<'_, '_>) -> Option<usize> {
        match frame(rest) {
            Framed::Message(n) if n > 0 && n <= rest.len() => {
                cx.outer.emit(
                    cx.src,
                    cx.dst,
                    Transport::Tcp,
                    &rest[..n],
                    cx.stats,
                    &mut *cx.sink,
                );
                Some(n)
            }
            Framed::KeepAlive(n) if n > 0 && n <= rest.len() => Some(n),
            Framed::Incomplete => None,
            Framed::Invalid(n) => Some(self.framing_error(n, rest.len(), cx.stats)),
            _ => Some(self.framing_error(1, rest.len(), cx.stats)),
        }
    }

    fn hep_step(&mut self, rest: &[u8], cx: &mut Ctx<'_, '_>) -> Option<usize> {
        match hep::v3_record_len(rest) {
            Ok(None) => None,
            Ok(Some(n)) if n > rest.len() => None,
            Ok(Some(n)) => {
                // A broken record is counted by decode_hep; framing goes on.
                let _ = cx.outer.decode_hep(&rest[..n], cx.stats, &mut *cx.sink);
                Some(n)
            }
            Err(_) => Some(self.framing_error(1, rest.len(), cx.stats)),
        }
    }

    fn framing_error(&mut self, n: usize, len: usize, stats: &mut DecodeStats) -> usize {
        let n = n.clamp(1, len);
        stats.tcp_framing_errors += 1;
        stats.tcp_bytes_dropped += n as u64;
        self.resync = true;
        n
    }

    /// Looks for where messages start in `rest`. Returns the bytes to skip
    /// (after which `kind` is set and `resync` cleared), or `None` to wait
    /// for more bytes.
    fn find_start(&mut self, rest: &[u8], stats: &mut DecodeStats) -> Option<usize> {
        let crlf = rest
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if crlf > 0 {
            return Some(crlf); // keep-alives before the first message
        }
        let was = self.kind;
        if self.at_boundary {
            if self.hep_allowed && rest.starts_with(b"HEP3") && was != Kind::Sip {
                return Some(self.started(Kind::Hep));
            }
            if self.hep_allowed && rest.len() < 4 && b"HEP3".starts_with(rest) && was != Kind::Sip {
                return None;
            }
            if was != Kind::Hep && looks_like_sip(rest) {
                return Some(self.started(Kind::Sip));
            }
        }
        let line_open = memchr(b'\n', rest).is_none();
        if line_open && rest.len() < MAX_FIRST_LINE {
            return None;
        }
        if self.from_start && was == Kind::Unknown {
            // A connection we saw open and whose first line is not SIP.
            self.kind = Kind::NonSip;
            stats.tcp_non_sip_flows += 1;
            return Some(rest.len());
        }
        if let Some(at) = scan_for_start(rest, was) {
            stats.tcp_bytes_dropped += at as u64;
            return Some(at);
        }
        // Keep an unfinished last line: a start line may be split.
        let keep_from = memrchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let keep_from = if rest.len() - keep_from >= MAX_FIRST_LINE {
            rest.len()
        } else {
            keep_from
        };
        if keep_from == 0 {
            return None;
        }
        stats.tcp_bytes_dropped += keep_from as u64;
        if was == Kind::Unknown {
            self.probe_budget = self.probe_budget.saturating_sub(keep_from);
            if self.probe_budget == 0 {
                self.kind = Kind::NonSip;
                stats.tcp_non_sip_flows += 1;
                return Some(rest.len());
            }
        }
        Some(keep_from)
    }

    fn started(&mut self, kind: Kind) -> usize {
        self.kind = kind;
        self.resync = false;
        0
    }
}

/// Offset of the first line in `rest` (not at 0) that starts a SIP message
/// (or a `HEP3` record in a HEP stream).
fn scan_for_start(rest: &[u8], kind: Kind) -> Option<usize> {
    if kind == Kind::Hep {
        return memmem::find(rest.get(1..)?, b"HEP3").map(|i| i + 1);
    }
    for hit in memmem::find_iter(rest, b"SIP/2.0") {
        let line = memrchr(b'\n', &rest[..hit]).map(|i| i + 1)?;
        if looks_like_sip(&rest[line..]) {
            return Some(line);
        }
    }
    None
}
