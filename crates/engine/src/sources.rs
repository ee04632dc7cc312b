//! Per-source accounting for the report and for verdicts.

use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ghostguard_sip::Method;

use crate::finding::{Args, Evidence, Hit, Kind};
use crate::window::Table;

/// DoS: evidence entries kept per source; more distinct pieces are counted
/// in the strongest matching entry only.
pub(crate) const MAX_EVIDENCE: usize = 24;
/// DoS: User-Agent and Server values kept per source: the first ones seen
/// (by packet time, so a sharded analysis keeps the same ones).
pub(crate) const MAX_AGENTS: usize = 3;

/// A User-Agent (or Server) value a source sent, as report text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Agent {
    /// When it was first seen.
    pub first: Timestamp,
    pub text: String,
}

/// Keeps the [`MAX_AGENTS`] agents first seen, each with the earliest time
/// it was seen: a bounded "smallest k" that merges exactly (the smallest k
/// of two sets' union are among the smallest k of each).
pub(crate) fn keep_agent(list: &mut Vec<Agent>, agent: Agent) {
    if let Some(a) = list.iter_mut().find(|a| a.text == agent.text) {
        a.first = a.first.min(agent.first);
        return;
    }
    if list.len() < MAX_AGENTS {
        list.push(agent);
    } else if let Some(last) = list.iter_mut().max()
        && agent < *last
    {
        *last = agent;
    }
}

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
    pub user_agents: Vec<Agent>,
    pub evidence: Vec<Evidence>,
    pub max_confidence: u8,
    /// The confidence of the strongest incident emitted per kind of abuse
    /// (indexed by [`crate::Kind`] as `usize`): a source already reported
    /// that shows another kind (a scanner that goes on to guess passwords)
    /// or a stronger sign of one (the guess that succeeded, or a source
    /// spared at 80 that then shows a named tool at 95) emits another.
    pub reported_kinds: [u8; Kind::ALL.len()],
}

impl SourceState {
    /// An incident was already emitted for this source (every incident's
    /// confidence is at least the malicious threshold, 1 or more).
    pub(crate) fn reported(&self) -> bool {
        self.reported_kinds.iter().any(|&c| c > 0)
    }

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

    pub(crate) fn add_agent(&mut self, ua: &[u8], ts: Timestamp) {
        // The report keeps the first TEXT_MAX bytes; equal bytes read the
        // same (a kept text has no bytes the report would replace).
        let cut = &ua[..ua.len().min(crate::event::TEXT_MAX)];
        if let Some(a) = self
            .user_agents
            .iter_mut()
            .find(|a| a.text.as_bytes() == cut)
        {
            a.first = a.first.min(ts);
            return;
        }
        if self.user_agents.len() >= MAX_AGENTS && self.user_agents.iter().all(|a| ts > a.first) {
            return;
        }
        let text = if cut.iter().all(|b| (0x20..0x7f).contains(b)) {
            String::from_utf8_lossy(cut).into_owned()
        } else {
            crate::event::text(ua)
        };
        keep_agent(&mut self.user_agents, Agent { first: ts, text });
    }

    /// Records a hit: counts it on the matching evidence, or adds new
    /// evidence described by `describe` (called only when the hit is new
    /// or has doubled in magnitude), and raises the source's strongest
    /// confidence.
    pub(crate) fn add_hit(
        &mut self,
        detector: &'static str,
        hit: &Hit,
        ts: Timestamp,
        describe: impl FnOnce() -> Args,
    ) {
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
        self.max_confidence = self.max_confidence.max(hit.confidence);
    }
}

pub(crate) type Sources = Table<IpAddr, SourceState>;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_parts(1_763_800_000 + s, 0)
    }

    /// The agents kept are the first seen by packet time, however the
    /// sightings are split between engines and in whatever order they come.
    #[test]
    fn agents_kept_are_the_first_seen_and_merge_exactly() {
        let seen: [(&[u8], i64); 7] = [
            (b"sipvicious", 5),
            (b"friendly-scanner", 3),
            (b"PolycomVVX", 9),
            (b"friendly-scanner", 1),
            (b"pplsip", 4),
            (b"Z 5.6", 2),
            (b"PolycomVVX", 0),
        ];
        let mut one = SourceState::default();
        for (ua, t) in seen {
            one.add_agent(ua, at(t));
        }
        let (mut a, mut b) = (SourceState::default(), SourceState::default());
        for (i, (ua, t)) in seen.into_iter().enumerate() {
            if i % 2 == 0 { &mut a } else { &mut b }.add_agent(ua, at(t));
        }
        for x in b.user_agents {
            keep_agent(&mut a.user_agents, x);
        }
        let names = |s: &mut Vec<Agent>| {
            s.sort();
            s.iter().map(|a| a.text.clone()).collect::<Vec<_>>()
        };
        let want = ["PolycomVVX", "friendly-scanner", "Z 5.6"];
        assert_eq!(names(&mut one.user_agents), want);
        assert_eq!(names(&mut a.user_agents), want);
    }

    /// Agents seen at the same packet time are kept by their text, not by
    /// the order they came in (a sharded analysis sees another order).
    #[test]
    fn ties_in_time_keep_the_same_agents_in_any_order() {
        let names = |order: &[&[u8]]| {
            let mut st = SourceState::default();
            for ua in order {
                st.add_agent(ua, at(7));
            }
            st.user_agents.sort();
            st.user_agents
                .iter()
                .map(|a| a.text.clone())
                .collect::<Vec<_>>()
        };
        let want = ["A", "B", "C"];
        assert_eq!(names(&[b"C", b"B", b"D", b"A"]), want);
        assert_eq!(names(&[b"A", b"D", b"C", b"B"]), want);
    }

    /// A value longer than the report keeps, or with bytes the report
    /// replaces, is still one agent however often it is seen.
    #[test]
    fn a_long_or_odd_agent_is_kept_once() {
        let long = [b'x'; 200];
        let mut st = SourceState::default();
        for t in 0..5 {
            st.add_agent(&long, at(t));
            st.add_agent(b"bad\x1b[0m", at(t));
        }
        assert_eq!(st.user_agents.len(), 2, "{:?}", st.user_agents);
    }
}
