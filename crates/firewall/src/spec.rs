//! What the operator asks the kernel to enforce: the input of
//! [`Ruleset::from_spec`](crate::Ruleset::from_spec).

use ipnet::IpNet;

/// Where ghostguard sits in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A router in front of the phones: the table hooks `forward`, which
    /// sees both directions of every forwarded SIP exchange (after DNAT,
    /// before SNAT/masquerade, so addresses are the phones' own).
    Gateway,
    /// The PBX or phone host itself: the table hooks `input` (SIP to this
    /// host) and `output` (its replies).
    Host,
}

/// What the table does with traffic it would stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Count only: nothing is dropped; the counters show what enforce would
    /// have dropped. Ban sets are still filled.
    Observe,
    /// Drop banned sources (and, with `trusted_only`, SIP to protected
    /// addresses from anyone not trusted or allowed).
    Enforce,
}

/// A copy of SIP packets to userspace over NFLOG (`log group N`).
///
/// The copy never holds a packet: when nobody listens on the group (the
/// daemon is down) the kernel discards the copies and traffic flows on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nflog {
    /// The NFLOG group the engine listens on.
    pub group: u16,
    /// Bytes copied per packet, from the network header on. The default
    /// (2048) covers any unfragmented packet on a 1500-byte link, so every
    /// UDP SIP message that follows RFC 3261 §18.1.1 arrives whole;
    /// a larger (reassembled) datagram arrives truncated.
    pub snaplen: u32,
    /// Packets the kernel gathers into one netlink message before waking
    /// the reader (nfnetlink_log flushes a partial batch after its flush
    /// timeout, 1 s by default): fewer wake-ups under load.
    pub queue_threshold: u16,
}

impl Nflog {
    /// Default bytes copied per packet.
    pub const DEFAULT_SNAPLEN: u32 = 2048;
    /// Default batch size per netlink message.
    pub const DEFAULT_QUEUE_THRESHOLD: u16 = 8;

    /// Group `group` with the default snaplen and queue threshold.
    #[must_use]
    pub fn new(group: u16) -> Self {
        Self {
            group,
            snaplen: Self::DEFAULT_SNAPLEN,
            queue_threshold: Self::DEFAULT_QUEUE_THRESHOLD,
        }
    }
}

/// How packets reach an inline (NFQUEUE) engine; see
/// [`detect_queue_support`](crate::detect_queue_support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueBackend {
    /// The nft `queue` statement inside our own table.
    Nft,
    /// The xtables `NFQUEUE` target in an iptables chain `GHOSTGUARD`
    /// (table `filter`, IPv4 and IPv6), jumped to from one rule in
    /// `FORWARD` (gateway) or `INPUT` (host).
    Iptables,
}

/// Inline inspection: SIP requests that survive the table wait in an
/// NFQUEUE for the engine's verdict. Always with `bypass`: when no program
/// listens on the queue the kernel accepts the packets, so a dead daemon
/// never cuts phones off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Queue {
    /// The NFQUEUE number.
    pub num: u16,
    /// Where the queue rule lives.
    pub backend: QueueBackend,
}

/// Everything the table enforces. Build with [`FirewallSpec::new`] and set
/// the fields; [`FirewallSpec::validate`] runs before any command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FirewallSpec {
    pub mode: Mode,
    pub policy: Policy,
    /// SIP ports, matched for UDP and TCP, as destination (requests) and
    /// source (responses). Default 5060 and 5061.
    pub sip_ports: Vec<u16>,
    /// The phones or networks the trusted-only policy protects. In host
    /// mode an empty list means the host itself (every packet the `input`
    /// chain sees).
    pub protected: Vec<IpNet>,
    /// SIP servers that may talk to protected phones (providers, the PBX).
    pub trusted: Vec<IpNet>,
    /// Sources that are never stopped by the trusted-only policy.
    pub allow: Vec<IpNet>,
    /// "Trusted servers only": drop (enforce) or count (observe) SIP to
    /// protected addresses from anyone not trusted or allowed. Default on
    /// in gateway mode; off in host mode, where a PBX takes registrations
    /// from anywhere.
    pub trusted_only: bool,
    /// Copy SIP packets to the engine over NFLOG.
    pub nflog: Option<Nflog>,
    /// Hold SIP requests for the engine's verdict over NFQUEUE.
    pub queue: Option<Queue>,
}

/// Most SIP ports one spec may name (each becomes a rule in the iptables
/// queue chain, and an element in each port set).
pub const MAX_SIP_PORTS: usize = 16;

impl FirewallSpec {
    /// A spec with the defaults for `mode`: ports 5060 and 5061, nothing
    /// protected, trusted or allowed, no NFLOG, no queue.
    #[must_use]
    pub fn new(mode: Mode, policy: Policy) -> Self {
        Self {
            mode,
            policy,
            sip_ports: vec![5060, 5061],
            protected: Vec::new(),
            trusted: Vec::new(),
            allow: Vec::new(),
            trusted_only: mode == Mode::Gateway,
            nflog: None,
            queue: None,
        }
    }

    /// The SIP ports, sorted, without duplicates.
    #[must_use]
    pub fn ports(&self) -> Vec<u16> {
        let mut ports = self.sip_ports.clone();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// Checks the spec before any rule is touched.
    ///
    /// # Errors
    /// The first problem found, naming it.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.sip_ports.is_empty() {
            return Err(SpecError::NoSipPorts);
        }
        if self.sip_ports.len() > MAX_SIP_PORTS {
            return Err(SpecError::TooManySipPorts {
                count: self.sip_ports.len(),
            });
        }
        if self.sip_ports.contains(&0) {
            return Err(SpecError::PortZero);
        }
        if self.mode == Mode::Gateway && self.trusted_only && self.protected.is_empty() {
            return Err(SpecError::NothingProtected);
        }
        if let Some(nflog) = self.nflog
            && nflog.snaplen == 0
        {
            return Err(SpecError::ZeroSnaplen);
        }
        Ok(())
    }
}

/// A spec that cannot be turned into a ruleset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    #[error("no SIP ports given: name at least one (usually 5060)")]
    NoSipPorts,
    #[error("{count} SIP ports given; at most {MAX_SIP_PORTS} are supported")]
    TooManySipPorts { count: usize },
    #[error("port 0 is not a SIP port")]
    PortZero,
    #[error(
        "gateway mode with trusted_only needs the protected phones or LAN \
         networks (protected = [...]); nothing to protect was given"
    )]
    NothingProtected,
    #[error("NFLOG snaplen 0 would copy nothing to the engine")]
    ZeroSnaplen,
}
