//! Bounded TCP reassembly (RFC 9293 sequence space), one entry per
//! direction of a connection.
//!
//! * A SYN sets the initial sequence number; without one, the first segment
//!   seen starts the stream (mid-stream pickup).
//! * In-order bytes go to the flow's [`Stream`] at once; segments ahead of a
//!   hole wait in a small sorted list; bytes already delivered
//!   (retransmissions, overlaps) are trimmed.
//! * A hole that is not filled within the gap timeout, or while the waiting
//!   list is at its bound, is skipped: counted in `tcp_gaps`, the unfinished
//!   message before it dropped, and the stream resynchronised.
//! * FIN (once everything before it arrived) and RST end a flow; so do the
//!   idle timeout (packet time) and, oldest first, the flow-count and memory
//!   bounds. An ended flow first delivers what it still can.

use crate::datagram::{Outer, Sink};
use crate::lru::LruMap;
use crate::stats::DecodeStats;
use crate::stream::{Ctx, Kind, Stream};
use crate::time::{Span, Timestamp};
use core::net::SocketAddr;

/// Segments further than this from the expected sequence number (either
/// way) are taken as a new stream position rather than as reordering.
const MAX_DISTANCE: u32 = 1 << 24;

#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpLimits {
    pub max_flows: usize,
    pub max_buffer: usize,
    pub max_total: usize,
    pub max_out_of_order: usize,
    pub idle_timeout: Span,
    pub gap_timeout: Span,
    /// HEP streams on any port (else only to or from port 9060).
    pub hep_any_port: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FlowKey {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

#[derive(Debug)]
struct Flow {
    next: u32,
    stream: Stream,
    /// Segments ahead of `next`, sorted by distance from it.
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    ooo_since: Timestamp,
    fin_at: Option<u32>,
    last_seen: Timestamp,
    outer: Outer,
}

#[derive(Debug)]
pub(crate) struct TcpTable {
    flows: LruMap<FlowKey, Flow>,
    limits: TcpLimits,
    /// Bytes held in all flows (stream buffers and waiting segments).
    bytes: usize,
}

impl TcpTable {
    pub(crate) fn new(limits: TcpLimits) -> Self {
        TcpTable {
            flows: LruMap::new(),
            limits,
            bytes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.flows.len()
    }

    pub(crate) fn segment(
        &mut self,
        key: FlowKey,
        seg: Segment<'_>,
        outer: Outer,
        stats: &mut DecodeStats,
        sink: Sink<'_>,
    ) {
        let slot = match self.flows.find(&key) {
            Some(slot) => slot,
            None => {
                // DoS: bare ACKs, FINs and RSTs of unknown flows create no state.
                if seg.rst || (seg.payload.is_empty() && !seg.syn) {
                    return;
                }
                while self.flows.len() >= self.limits.max_flows.max(1)
                    && self.evict_oldest(stats, sink)
                {
                    stats.tcp_flow_evictions += 1;
                }
                let hep = self.limits.hep_any_port
                    || key.src.port() == crate::hep::HEP_PORT
                    || key.dst.port() == crate::hep::HEP_PORT;
                self.flows.insert(key, Flow::new(&seg, outer, hep))
            }
        };
        let Some(flow) = self.flows.at_mut(slot) else {
            return;
        };
        stats.tcp_segments += 1;
        flow.last_seen = outer.ts;
        flow.outer = outer;
        let before = flow.footprint();
        let mut cx = Ctx::new(key, &outer, stats, sink, self.limits.max_buffer);
        let done = flow.on_segment(seg, &self.limits, &mut cx);
        self.bytes = (self.bytes + flow.footprint()).saturating_sub(before);
        if done {
            if let Some(mut flow) = self.remove(&key) {
                flow.finish(key, cx.stats, &mut *cx.sink);
            }
        }
        // DoS: total memory over all flows; least recently used flows go first.
        while self.bytes > self.limits.max_total && self.evict_oldest(cx.stats, &mut *cx.sink) {
            cx.stats.tcp_flow_evictions += 1;
        }
    }

    /// Ends flows idle for longer than the idle timeout.
    pub(crate) fn expire(&mut self, now: Timestamp, stats: &mut DecodeStats, sink: Sink<'_>) {
        while self
            .flows
            .oldest()
            .is_some_and(|(_, f)| now.since(f.last_seen) > self.limits.idle_timeout)
        {
            self.evict_oldest(stats, &mut *sink);
            stats.tcp_flow_timeouts += 1;
        }
    }

    /// Ends every flow, least recently used first, delivering what can
    /// still be delivered.
    pub(crate) fn flush(&mut self, stats: &mut DecodeStats, sink: Sink<'_>) {
        while self.evict_oldest(stats, &mut *sink) {}
    }

    fn evict_oldest(&mut self, stats: &mut DecodeStats, sink: Sink<'_>) -> bool {
        let Some((key, mut flow)) = self.flows.pop_oldest() else {
            return false;
        };
        self.bytes = self.bytes.saturating_sub(flow.footprint());
        flow.finish(key, stats, sink);
        true
    }

    fn remove(&mut self, key: &FlowKey) -> Option<Flow> {
        let flow = self.flows.remove(key)?;
        self.bytes = self.bytes.saturating_sub(flow.footprint());
        Some(flow)
    }
}

impl Flow {
    fn new(seg: &Segment<'_>, outer: Outer, hep: bool) -> Self {
        Flow {
            next: if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            },
            stream: Stream::new(seg.syn, hep),
            ooo: Vec::new(),
            ooo_bytes: 0,
            ooo_since: outer.ts,
            fin_at: None,
            last_seen: outer.ts,
            outer,
        }
    }

    fn footprint(&self) -> usize {
        self.stream.buf.len() + self.ooo_bytes
    }

    /// Handles one segment; returns true when the flow is over.
    fn on_segment(&mut self, seg: Segment<'_>, limits: &TcpLimits, cx: &mut Ctx<'_, '_>) -> bool {
        let now = cx.outer.ts;
        if seg.rst {
            return true;
        }
        let mut seq = seg.seq;
        if seg.syn {
            seq = seq.wrapping_add(1);
            if seq != self.next || self.stream.kind != Kind::Unknown {
                // A new connection on the same addresses.
                self.drop_all(cx.stats);
                self.stream = Stream::new(true, self.stream.hep_allowed);
                self.next = seq;
            }
        }
        let end = seq.wrapping_add(seg.payload.len() as u32);
        if self.stream.kind == Kind::NonSip {
            self.next = end;
            return seg.fin;
        }
        let mut data = seg.payload;
        if !data.is_empty() {
            let ahead = seq.wrapping_sub(self.next);
            let behind = self.next.wrapping_sub(seq);
            if ahead > MAX_DISTANCE && behind > MAX_DISTANCE {
                // Not a sequence number of this stream: start over there.
                cx.stats.tcp_gaps += 1;
                self.drop_all(cx.stats);
                self.stream.resync = true;
                self.stream.from_start = false;
                self.next = seq;
            } else if behind != 0 && behind <= MAX_DISTANCE {
                cx.stats.tcp_retransmits += 1;
                data = data.get(behind as usize..).unwrap_or(&[]);
                seq = self.next;
            }
            if data.is_empty() {
            } else if seq == self.next {
                self.deliver(data, cx);
                self.drain(cx);
            } else {
                self.hold(seq, data, limits, cx);
            }
        }
        if seg.fin {
            self.fin_at = Some(end);
        }
        if !self.ooo.is_empty() && now.since(self.ooo_since) > limits.gap_timeout {
            self.skip_gap(cx);
        }
        self.fin_at == Some(self.next)
    }

    fn deliver(&mut self, data: &[u8], cx: &mut Ctx<'_, '_>) {
        self.next = self.next.wrapping_add(data.len() as u32);
        self.stream.push(data, cx);
    }

    /// Delivers waiting segments that are now in order.
    fn drain(&mut self, cx: &mut Ctx<'_, '_>) {
        while let Some((seq, _)) = self.ooo.first() {
            let behind = self.next.wrapping_sub(*seq);
            if behind > MAX_DISTANCE && *seq != self.next {
                break; // still ahead
            }
            let (_, data) = self.ooo.remove(0);
            self.ooo_bytes -= data.len();
            match data.get(behind as usize..) {
                Some(rest) if !rest.is_empty() => self.deliver(rest, cx),
                _ => cx.stats.tcp_retransmits += 1,
            }
            self.ooo_since = cx.outer.ts;
        }
    }

    /// Keeps a segment that arrived ahead of a hole.
    fn hold(&mut self, seq: u32, data: &[u8], limits: &TcpLimits, cx: &mut Ctx<'_, '_>) {
        cx.stats.tcp_out_of_order += 1;
        if self.ooo.is_empty() {
            self.ooo_since = cx.outer.ts;
        }
        let dist = seq.wrapping_sub(self.next);
        let at = self
            .ooo
            .partition_point(|(s, _)| s.wrapping_sub(self.next) < dist);
        match self.ooo.get_mut(at) {
            Some((s, d)) if *s == seq => {
                if data.len() > d.len() {
                    self.ooo_bytes += data.len() - d.len();
                    *d = data.to_vec();
                } else {
                    cx.stats.tcp_retransmits += 1;
                }
            }
            _ => {
                self.ooo.insert(at, (seq, data.to_vec()));
                self.ooo_bytes += data.len();
            }
        }
        // DoS: waiting segments are bounded in count and bytes; at the bound
        // the hole is given up on.
        while !self.ooo.is_empty()
            && (self.ooo.len() > limits.max_out_of_order
                || self.ooo_bytes + self.stream.buf.len() > limits.max_buffer)
        {
            self.skip_gap(cx);
        }
    }

    /// Gives up on the hole before the first waiting segment.
    fn skip_gap(&mut self, cx: &mut Ctx<'_, '_>) {
        let Some((seq, _)) = self.ooo.first() else {
            return;
        };
        cx.stats.tcp_gaps += 1;
        self.next = *seq;
        self.stream.drop_buffer(cx.stats);
        self.stream.resync = true;
        self.stream.from_start = false;
        self.drain(cx);
    }

    /// Delivers what is left after skipping any holes, then drops the rest.
    fn finish(&mut self, key: FlowKey, stats: &mut DecodeStats, sink: Sink<'_>) {
        let outer = self.outer;
        let mut cx = Ctx::new(key, &outer, stats, sink, usize::MAX);
        while !self.ooo.is_empty() {
            self.skip_gap(&mut cx);
        }
        self.stream.drop_buffer(cx.stats);
    }

    fn drop_all(&mut self, stats: &mut DecodeStats) {
        self.stream.drop_buffer(stats);
        stats.tcp_bytes_dropped += self.ooo_bytes as u64;
        self.ooo.clear();
        self.ooo_bytes = 0;
    }
}
