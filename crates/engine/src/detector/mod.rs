//! Detectors: one file each, behind one small trait.
//!
//! A detector sees every SIP message (with its addresses, headers parsed
//! once in [`Ctx`]) and pushes [`Hit`]s against the network source address.
//! It keeps its own state in bounded [`Table`](crate::window::Table)s and
//! reads time only from the message. Hits cost no allocation; the engine
//! calls [`Detector::describe`] only when a hit is new evidence for its
//! source or has doubled in magnitude, so a flood costs counters, not strings.

use std::sync::Arc;

use crate::config::Thresholds;
use crate::event::Ctx;
use crate::finding::{Args, Hit};
use crate::rules::Rules;

mod bruteforce;
mod enumeration;
mod flood;
mod signature;

pub use signature::strongest as inline_signature;
mod structure;
mod sweep;
mod tollfraud;

pub(crate) trait Detector: std::fmt::Debug + Send {
    /// Stable name, used in evidence and docs (`docs/detectors/<name>.md`).
    fn name(&self) -> &'static str;
    /// Looks at one message; pushes hits to `out`.
    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>);
    /// The facts behind a hit this detector made for the message in `ctx`.
    fn describe(&self, hit: &Hit, ctx: &Ctx<'_>) -> Args;
    /// Keeps state per requester (the source of requests, the destination
    /// of responses) across all responders: a sharded analysis runs it in
    /// the engine that sees all of one requester's exchanges
    /// ([`crate::Role::Requester`]).
    fn keyed_by_requester(&self) -> bool {
        false
    }
}

/// Every detector, configured.
pub(crate) fn all(
    t: &Thresholds,
    rules: &Arc<Rules>,
    max_sources: usize,
) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(signature::Signatures::new(Arc::clone(rules))),
        Box::new(structure::Structure::new(rules.structure.clone())),
        Box::new(enumeration::Enumeration::new(t, max_sources)),
        Box::new(bruteforce::Bruteforce::new(t, max_sources)),
        Box::new(flood::Flood::new(t, max_sources)),
        Box::new(sweep::Sweep::new(t, max_sources)),
        Box::new(tollfraud::TollFraud::new(t, max_sources)),
    ]
}

/// Seconds of a window, for evidence.
pub(crate) fn secs(s: ghostguard_packet::Span) -> String {
    (s.as_nanos() / 1_000_000_000).to_string()
}
