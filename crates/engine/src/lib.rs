//! The ghostguard detection engine: SIP observations in, findings, incidents
//! and requested actions out.
//!
//! It is sans-IO and clock-free. Time comes only from the packets handed to
//! [`Engine::handle`]; windows are tumbling windows on packet time (a timer
//! API for ban expiry comes with the live guard). It
//! does not read files, capture packets, talk to nftables or a database, or
//! print reports: those are adapters in other crates. `analyze` (files) and
//! `guard` (live) share every line of it.
//!
//! Shape (after quinn-proto):
//! ```text
//! handle(obs) -> poll_action() until None
//! finish() -> Analysis   (the report model)
//! ```
#![forbid(unsafe_code)]

pub mod analysis;
pub mod cause;
pub mod config;
mod detector;
mod engine;
mod event;
pub mod finding;
mod ghost;
mod merge;
pub mod net;
pub mod rules;
mod sources;
mod trust;
mod window;

pub use analysis::Analysis;
pub use config::{ConfigError, EngineConfig};
pub use detector::inline_signature;
pub use engine::{Action, CallEvent, Engine, Observation, Role};
pub use finding::{Evidence, Kind};
pub use rules::{Rules, RulesError};
pub use trust::TrustReason;
