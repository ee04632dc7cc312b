//! Detectors: one file each, behind one small trait.
//!
//! A detector sees every SIP message (with its addresses) and emits
//! [`Finding`]s against the network source address. It keeps its own state
//! in bounded [`Table`](crate::window::Table)s and reads time only from the
//! message.

use std::sync::Arc;

use crate::config::Thresholds;
use crate::event::Ctx;
use crate::finding::Finding;
use crate::rules::Rules;

mod bruteforce;
mod enumeration;
mod flood;
mod signature;
mod structure;
mod sweep;
mod tollfraud;

pub(crate) trait Detector: std::fmt::Debug + Send {
    /// Stable name, used in evidence and docs (`docs/detectors/<name>.md`).
    fn name(&self) -> &'static str;
    /// Looks at one message; pushes findings to `out`.
    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Finding>);
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
