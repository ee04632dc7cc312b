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
    pub args: Vec<(&'static str, String)>,
    #[serde(serialize_with = "crate::analysis::ser_ts")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "crate::analysis::ser_ts")]
    pub last_seen: Timestamp,
    /// How many times this evidence was seen.
    pub count: u64,
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
        }
    }

    /// Adds a fact. Values are cut to 120 bytes (they come from attackers).
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        let mut v: String = value.into();
        if v.len() > 120 {
            let mut cut = 120;
            while !v.is_char_boundary(cut) {
                cut -= 1;
            }
            v.truncate(cut);
            v.push('…');
        }
        self.args.push((name, v));
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

/// A detector's output: evidence against one network source address.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The network source address. Never an address from a SIP header.
    pub source: IpAddr,
    pub evidence: Evidence,
}
