//! Per-source accounting for the report and for verdicts.

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ghostguard_sip::Method;

use crate::finding::Evidence;
use crate::window::Table;

/// DoS: evidence entries kept per source; more distinct pieces are counted
/// in the strongest matching entry only.
const MAX_EVIDENCE: usize = 24;
const MAX_AGENTS: usize = 3;

#[derive(Debug, Default)]
pub(crate) struct SourceState {
    pub first: Timestamp,
    pub last: Timestamp,
    pub messages: u64,
    pub requests: u64,
    pub responses: u64,
    /// INVITE, REGISTER, OPTIONS, other requests.
    pub methods: [u64; 4],
    pub malformed: u64,
    pub internal: bool,
    pub mac: Option<[u8; 6]>,
    pub user_agents: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub max_confidence: u8,
    /// An incident was already emitted for this source.
    pub reported: bool,
}

impl SourceState {
    pub(crate) fn touch(&mut self, ts: Timestamp) {
        if self.messages == 0 || ts < self.first {
            self.first = ts;
        }
        if ts > self.last {
            self.last = ts;
        }
        self.messages += 1;
    }

    pub(crate) fn count_method(&mut self, m: Option<Method<'_>>) {
        match m {
            Some(Method::Invite) => self.methods[0] += 1,
            Some(Method::Register) => self.methods[1] += 1,
            Some(Method::Options) => self.methods[2] += 1,
            Some(_) => self.methods[3] += 1,
            None => {}
        }
    }

    pub(crate) fn add_agent(&mut self, ua: &[u8]) {
        if self.user_agents.len() < MAX_AGENTS
            && !self.user_agents.iter().any(|a| a.as_bytes() == ua)
        {
            self.user_agents.push(crate::event::text(ua));
        }
    }

    /// Merges a piece of evidence; returns true when the source's strongest
    /// confidence went up.
    pub(crate) fn add_evidence(&mut self, ev: Evidence) -> bool {
        let confidence = ev.confidence;
        let same = |e: &Evidence| {
            e.detector == ev.detector
                && e.code == ev.code
                && (ev.detector != "signature" || e.args.first() == ev.args.first())
        };
        if let Some(e) = self.evidence.iter_mut().find(|e| same(e)) {
            e.count += 1;
            e.last_seen = ev.last_seen.max(e.last_seen);
            let num = |e: &Evidence| e.args.first().and_then(|(_, v)| v.parse::<u64>().ok());
            if num(&ev) >= num(e) {
                e.args = ev.args;
            }
        } else if self.evidence.len() < MAX_EVIDENCE {
            self.evidence.push(ev);
        }
        if confidence > self.max_confidence {
            self.max_confidence = confidence;
            return true;
        }
        false
    }
}

pub(crate) type Sources = Table<IpAddr, SourceState>;
