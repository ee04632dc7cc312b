//! The live side of ghostguard (`ghostguard guard`): its configuration, the
//! ban policy, the alert throttle, the NFLOG and HEP sources and the daemon
//! that wires them to the engine, the firewall and the store.
//!
//! What this crate is not: the detectors (`ghostguard-engine`), the kernel
//! rules (`ghostguard-firewall`) or the database (`ghostguard-store`).

pub mod alert;
mod banned;
pub mod config;
pub mod inline;
pub mod inspector;
pub mod nflog;
pub mod notify;
pub mod policy;
pub mod sources;
pub mod trusted;

pub use config::{ConfigError, GuardConfig, Mode, Policy};
