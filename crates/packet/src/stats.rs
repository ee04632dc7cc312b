//! Counters of what the decoder saw. Plain numbers, only ever incremented.

/// What [`crate::Decoder`] has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeStats {
    /// Frames given to `decode`.
    pub frames: u64,
    /// Frames whose IP header decoded.
    pub decoded_ip: u64,
    /// Frames with a non-IP network layer (ARP, LLDP, ...).
    pub non_ip: u64,
    /// Frames rejected as truncated.
    pub truncated: u64,
    /// Frames rejected as malformed.
    pub malformed: u64,
    /// Frames of a link type this crate does not decode.
    pub unsupported_link: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    /// UDP datagrams (after reassembly).
    pub udp: u64,
    /// TCP segments seen (after reassembly).
    pub tcp: u64,
    /// IP protocols other than UDP and TCP (ICMP, ESP, ...).
    pub other_transport: u64,
    /// IP fragments received.
    pub fragments: u64,
    /// Datagrams completed by reassembly.
    pub reassembled: u64,
    /// Fragment sets dropped at the count or byte bound.
    pub fragment_evictions: u64,
    /// Fragment sets dropped at the timeout.
    pub fragment_timeouts: u64,
    /// TCP segments that carried payload or SYN/FIN/RST for a tracked flow.
    pub tcp_segments: u64,
    /// Segments that arrived ahead of a missing one.
    pub tcp_out_of_order: u64,
    /// Segments (or parts) that repeated bytes already delivered.
    pub tcp_retransmits: u64,
    /// Missing stream parts given up on.
    pub tcp_gaps: u64,
    /// Flows dropped at the flow-count or memory bound.
    pub tcp_flow_evictions: u64,
    /// Flows dropped at the idle timeout.
    pub tcp_flow_timeouts: u64,
    /// Stream bytes dropped (buffer bound, gaps, resynchronisation).
    pub tcp_bytes_dropped: u64,
    /// Framing errors in SIP or HEP streams.
    pub tcp_framing_errors: u64,
    /// Flows recognised as not carrying SIP or HEP.
    pub tcp_non_sip_flows: u64,
    /// HEP packets unwrapped.
    pub hep: u64,
    /// HEP packets that failed to decode.
    pub hep_errors: u64,
    /// Payloads that were neither SIP nor HEP.
    pub non_sip: u64,
    /// Payloads handed to the sink.
    pub sip_payloads: u64,
}

impl DecodeStats {
    /// Every counter with its name, for reports and metrics.
    #[must_use]
    pub fn counters(&self) -> [(&'static str, u64); 28] {
        [
            ("frames", self.frames),
            ("decoded_ip", self.decoded_ip),
            ("non_ip", self.non_ip),
            ("truncated", self.truncated),
            ("malformed", self.malformed),
            ("unsupported_link", self.unsupported_link),
            ("ipv4", self.ipv4),
            ("ipv6", self.ipv6),
            ("udp", self.udp),
            ("tcp", self.tcp),
            ("other_transport", self.other_transport),
            ("fragments", self.fragments),
            ("reassembled", self.reassembled),
            ("fragment_evictions", self.fragment_evictions),
            ("fragment_timeouts", self.fragment_timeouts),
            ("tcp_segments", self.tcp_segments),
            ("tcp_out_of_order", self.tcp_out_of_order),
            ("tcp_retransmits", self.tcp_retransmits),
            ("tcp_gaps", self.tcp_gaps),
            ("tcp_flow_evictions", self.tcp_flow_evictions),
            ("tcp_flow_timeouts", self.tcp_flow_timeouts),
            ("tcp_bytes_dropped", self.tcp_bytes_dropped),
            ("tcp_framing_errors", self.tcp_framing_errors),
            ("tcp_non_sip_flows", self.tcp_non_sip_flows),
            ("hep", self.hep),
            ("hep_errors", self.hep_errors),
            ("non_sip", self.non_sip),
            ("sip_payloads", self.sip_payloads),
        ]
    }
}
