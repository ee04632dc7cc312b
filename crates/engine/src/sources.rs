//! Per-source accounting for the report and for verdicts.

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ghostguard_sip::Method;

use crate::finding::{Args, Evidence, Hit};
use crate::window::Table;

/// DoS: evidence entries kept per source; more distinct pieces are counted
/// in the strongest matching entry only.
pub(crate) const MAX_EVIDENCE: usize = 24;
pub(crate) const MAX_AGENTS: usize = 3;

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
    /// The confidence of the last incident emitted: a stronger piece of
    /// evidence later emits another (a source spared at 80 that then shows
    /// a named tool at 95 is judged again).
    pub reported_confidence: u8,
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

    /// Records a hit: counts it on the matching evidence, or adds new
    /// evidence described by `describe` (called only when the hit is new
    /// or has doubled in magnitude). Returns true when the source's
    /// strongest confidence went up.
    pub(crate) fn add_hit(
        &mut self,
        detector: &'static str,
        hit: &Hit,
        ts: Timestamp,
        describe: impl FnOnce() -> Args,
    ) -> bool {
        let full = self.evidence.len() >= MAX_EVIDENCE;
        let found = self
            .evidence
            .iter_mut()
            .find(|e| e.detector == detector && e.code == hit.code && e.key == hit.key);
        match found {
            Some(e) => {
                e.count += 1;
                e.last_seen = e.last_seen.max(ts);
                if hit.magnitude > e.magnitude && hit.magnitude >= e.magnitude.saturating_mul(2) {
                    e.args = describe();
                    e.magnitude = hit.magnitude;
                }
            }
            None if !full => {
                let mut e = Evidence::new(detector, hit.kind, hit.confidence, hit.code, ts);
                e.key = hit.key;
                e.magnitude = hit.magnitude;
                e.args = describe();
                self.evidence.push(e);
            }
            None => {}
        }
        if hit.confidence > self.max_confidence {
            self.max_confidence = hit.confidence;
            return true;
        }
        false
    }
}

pub(crate) type Sources = Table<IpAddr, SourceState>;
