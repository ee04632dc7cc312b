//! What detectors say: a [`Kind`] of abuse, with [`Evidence`].

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use serde::Serialize;

/// The kinds of abuse a source can be found doing. The JSON names are part
/// of the report contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// A known attack tool or its structural fingerprint.
    Scanner,
    /// Walking extensions to learn which exist (e.g. SIPVicious `svwar`).
    Enumeration,
    /// Guessing passwords (e.g. SIPVicious `svcrack`).
    Bruteforce,
    /// More requests than any legitimate peer sends.
    Flood,
    /// Probing many addresses or ports.
    Sweep,
    /// Dialling international or premium numbers from an untrusted source.
    TollFraud,
    /// An INVITE that reached a phone from an untrusted source.
    GhostCall,
    /// Messages that break the SIP grammar (evidence, not an attack alone).
    Malformed,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 8] = [
        Kind::Scanner,
        Kind::Enumeration,
        Kind::Bruteforce,
        Kind::Flood,
        Kind::Sweep,
        Kind::TollFraud,
        Kind::GhostCall,
        Kind::Malformed,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Scanner => "scanner",
            Kind::Enumeration => "enumeration",
            Kind::Bruteforce => "bruteforce",
            Kind::Flood => "flood",
            Kind::Sweep => "sweep",
            Kind::TollFraud => "toll-fraud",
            Kind::GhostCall => "ghost-call",
            Kind::Malformed => "malformed",
        }
    }
}

/// The facts a piece of evidence cites, by name.
pub type Args = Vec<(&'static str, String)>;

/// One piece of evidence against a source. `code` is a stable identifier
/// (the report translates it); `args` are the facts it cites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub detector: &'static str,
    pub kind: Kind,
    /// 0–100: how sure this piece alone makes us that the source is abusive.
    pub confidence: u8,
    pub code: &'static str,
    #[serde(serialize_with = "crate::analysis::ser_args")]
    pub args: Args,
    #[serde(serialize_with = "crate::analysis::ser_ts")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "crate::analysis::ser_ts")]
    pub last_seen: Timestamp,
    /// How many times this evidence was seen.
    pub count: u64,
    /// Tells pieces with one code apart (e.g. which signature rule).
    #[serde(skip)]
    pub key: u32,
    /// The size the args describe (distinct users, failures, ...).
    #[serde(skip)]
    pub magnitude: u32,
}

impl Evidence {
    #[must_use]
    pub fn new(
        detector: &'static str,
        kind: Kind,
        confidence: u8,
        code: &'static str,
        ts: Timestamp,
    ) -> Self {
        Evidence {
            detector,
            kind,
            confidence,
            code,
            args: Vec::new(),
            first_seen: ts,
            last_seen: ts,
            count: 1,
            key: 0,
            magnitude: 0,
        }
    }

    /// Adds a fact. Values are cut to 120 bytes (they come from attackers).
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        push_arg(&mut self.args, name, value);
        self
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Appends a fact, cut to 120 bytes.
pub fn push_arg(args: &mut Args, name: &'static str, value: impl Into<String>) {
    let mut v: String = value.into();
    if v.len() > 120 {
        let mut cut = 120;
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        v.truncate(cut);
        v.push('…');
    }
    args.push((name, v));
}

/// A detector's output: a hit against one network source address (never an
/// address from a SIP header). Cheap to make: the engine asks the detector
/// to describe it in words only when it is new for that source, or its
/// magnitude has doubled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub source: IpAddr,
    pub kind: Kind,
    pub confidence: u8,
    pub code: &'static str,
    pub key: u32,
    pub magnitude: u32,
}

impl Hit {
    pub(crate) fn new(source: IpAddr, kind: Kind, confidence: u8, code: &'static str) -> Hit {
        Hit {
            source,
            kind,
            confidence,
            code,
            key: 0,
            magnitude: 0,
        }
    }
    pub(crate) fn key(mut self, key: u32) -> Hit {
        self.key = key;
        self
    }
    pub(crate) fn magnitude(mut self, m: u32) -> Hit {
        self.magnitude = m;
        self
    }
}
