//! Merging engines that each saw part of the traffic (`analyze --threads`).
//!
//! The traffic is split by the *responder* address, so every exchange the
//! engine correlates (a request and its answers, the two copies of a message
//! on both sides of a NAT router, loop copies) lands in one engine. What is
//! kept per source (counters, evidence), the trust model, the calls, the
//! cause watchers' findings and the timeline are combined here before
//! [`Engine::finish`]. The detectors' windows are not merged: those that
//! keep state per requester get all of a requester's exchanges in the
//! engine the requester maps to ([`crate::Role`]); the others are
//! stateless.
//!
//! Merging is meant for the end of a run. An engine can go on handling
//! traffic after a merge, but answers to the calls it took over are no longer
//! matched to them.

use ghostguard_packet::Timestamp;

use crate::cause::alg::AlgWatch;
use crate::cause::exposure::Inbound;
use crate::cause::loops::LoopWatch;
use crate::engine::{Engine, MAX_ACTIVITY_SECS, MAX_PENDING_ACTIONS};
use crate::finding::Evidence;
use crate::ghost::{Calls, MAX_CALLS};
use crate::sources::{MAX_EVIDENCE, SourceState, keep_agent};
use crate::trust::{MAX_INFERRED, MAX_PHONES, Trust};
use crate::window::Table;

/// Rewrite samples kept, as in the ALG watcher.
const MAX_ALG_SAMPLES: usize = 5;

impl Engine {
    /// Folds `other` (an engine with the same config and rules that saw
    /// other traffic) into this one. Bounds stay as documented for a single
    /// engine. See the module docs for what is and is not combined.
    pub fn merge(&mut self, other: Engine) {
        let other_first = other.first;
        let Engine {
            trust,
            calls,
            alg,
            loops,
            exposure,
            sources,
            actions,
            stats,
            last,
            activity,
            activity_base,
            ..
        } = other;
        self.sources.absorb(sources, merge_source);
        merge_trust(&mut self.trust, trust);
        merge_calls(&mut self.calls, calls, &self.trust);
        merge_alg(&mut self.alg, alg);
        merge_loops(&mut self.loops, loops);
        self.exposure
            .by_source
            .absorb(exposure.by_source, merge_inbound);
        for a in actions {
            if self.actions.len() >= MAX_PENDING_ACTIONS {
                self.actions.pop_front();
                self.stats.actions_dropped += 1;
            }
            self.actions.push_back(a);
        }
        self.stats.messages += stats.messages;
        self.stats.unparseable += stats.unparseable;
        self.stats.with_defects += stats.with_defects;
        self.stats.actions_dropped += stats.actions_dropped;
        self.first = match (self.first, other_first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.merge_activity(activity_base, &activity);
        self.last = self.last.max(last);
    }

    /// Starts the timeline at `ts` (the first packet of the whole input)
    /// unless a message came first. Engines that share the traffic of one
    /// input and start at the same time count seconds alike, so their
    /// timelines merge exactly.
    pub fn start_timeline(&mut self, ts: Timestamp) {
        if self.activity_base.is_none() {
            self.activity_base = Some(ts);
        }
    }

    /// Both timelines count requests per second since their own origin;
    /// re-align them to the earlier origin before adding. Each is
    /// shifted by whole seconds, so a request can move to the next second.
    fn merge_activity(&mut self, their_base: Option<Timestamp>, theirs: &[u32]) {
        let Some(tb) = their_base else { return };
        let Some(mb) = self.activity_base else {
            self.activity_base = Some(tb);
            self.activity = theirs.to_vec();
            return;
        };
        let start = mb.min(tb);
        let shift = |f: Timestamp| (f.since(start).as_nanos() / 1_000_000_000) as usize;
        let mut merged = Vec::new();
        add_shifted(&mut merged, &self.activity, shift(mb));
        add_shifted(&mut merged, theirs, shift(tb));
        self.activity = merged;
        self.activity_base = Some(start);
    }
}

fn add_shifted(into: &mut Vec<u32>, from: &[u32], shift: usize) {
    for (i, &n) in from.iter().enumerate() {
        let sec = (i + shift).min(MAX_ACTIVITY_SECS);
        if into.len() <= sec {
            into.resize(sec + 1, 0);
        }
        into[sec] = into[sec].saturating_add(n);
    }
}

fn merge_source(a: &mut SourceState, b: SourceState) {
    a.first = a.first.min(b.first);
    a.last = a.last.max(b.last);
    a.messages += b.messages;
    a.requests += b.requests;
    a.responses += b.responses;
    for (m, n) in a.methods.iter_mut().zip(b.methods) {
        *m += n;
    }
    a.malformed += b.malformed;
    a.internal |= b.internal;
    a.mac = a.mac.or(b.mac);
    for ua in b.user_agents {
        keep_agent(&mut a.user_agents, ua);
    }
    for e in b.evidence {
        merge_evidence(&mut a.evidence, e);
    }
    a.max_confidence = a.max_confidence.max(b.max_confidence);
    for (x, y) in a.reported_kinds.iter_mut().zip(b.reported_kinds) {
        *x = (*x).max(y);
    }
}

fn merge_evidence(list: &mut Vec<Evidence>, e: Evidence) {
    let full = list.len() >= MAX_EVIDENCE;
    let same = list
        .iter_mut()
        .find(|x| x.detector == e.detector && x.code == e.code && x.key == e.key);
    match same {
        Some(x) => {
            x.count += e.count;
            // One engine keeps the facts of the first hit until the
            // magnitude grows: the larger, else the earlier.
            if e.magnitude > x.magnitude
                || (e.magnitude == x.magnitude && e.first_seen < x.first_seen)
            {
                x.args = e.args;
                x.magnitude = e.magnitude;
            }
            x.first_seen = x.first_seen.min(e.first_seen);
            x.last_seen = x.last_seen.max(e.last_seen);
            x.confidence = x.confidence.max(e.confidence);
        }
        None if !full => list.push(e),
        None => {}
    }
}

fn merge_trust(a: &mut Trust, b: Trust) {
    for (ip, why) in b.inferred {
        if a.inferred.len() >= MAX_INFERRED {
            break;
        }
        a.infer_server(ip, why);
    }
    for (ip, p) in b.phones {
        let full = a.phones.len() >= MAX_PHONES;
        match a.phones.get_mut(&ip) {
            Some(q) => {
                q.registrar = q.registrar.or(p.registrar);
                q.answered_invite |= p.answered_invite;
                q.configured |= p.configured;
            }
            None if !full => {
                a.phones.insert(ip, p);
            }
            None => {}
        }
    }
}

/// Both lists, in time order, the earliest [`MAX_CALLS`] kept. Calls from
/// sources the merged trust model trusts are dropped first, as one engine
/// would not have kept them (an engine that did not see the registration
/// keeps the provider's calls to the phone). The index of calls awaiting
/// answers is reset (it pointed into the old lists).
fn merge_calls(a: &mut Calls, b: Calls, trust: &Trust) {
    a.list.extend(b.list);
    a.list.retain(|c| !trust.is_trusted(c.source));
    a.list.sort_by_key(|c| c.time);
    a.dropped += b.dropped;
    if a.list.len() > MAX_CALLS {
        a.dropped += (a.list.len() - MAX_CALLS) as u64;
        a.list.truncate(MAX_CALLS);
    }
    a.index = Table::new(MAX_CALLS);
}

fn merge_alg(a: &mut AlgWatch, b: AlgWatch) {
    a.unchanged += b.unchanged;
    a.rewritten += b.rewritten;
    for f in b.fields_seen {
        if !a.fields_seen.contains(&f) {
            a.fields_seen.push(f);
        }
    }
    a.samples.extend(b.samples);
    a.samples.sort_by_key(|s| s.ts);
    a.samples.truncate(MAX_ALG_SAMPLES);
}

fn merge_loops(a: &mut LoopWatch, b: LoopWatch) {
    a.looping += b.looping;
    if b.worst.copies > a.worst.copies {
        a.worst = b.worst;
    }
}

fn merge_inbound(a: &mut Inbound, b: Inbound) {
    if a.requests == 0 || (b.requests > 0 && b.first < a.first) {
        a.first = b.first;
        a.dst = b.dst.or(a.dst);
    }
    a.requests += b.requests;
    a.dnat_from = a.dnat_from.or(b.dnat_from);
}
