//! The sans-IO core of `ghostguard diagnose` and `ghostguard reflector`.
//!
//! A LAN machine sends SIP test messages to a reflector on the internet; the
//! reflector answers with exactly the bytes it received (masked, see
//! [`wire`]) and, on request, sends one SIP OPTIONS back to the requester's
//! own public address to see whether anything there answers. Comparing what
//! was sent with what came back shows a SIP ALG ([`alg`]); the probe shows
//! exposure (a port forward, a UPnP opening, an open phone). [`verdict`]
//! turns those tests and the engine's findings from a short live capture
//! into one verdict per cause, in the engine's shared cause model
//! ([`ghostguard_engine::cause::Cause`]).
//!
//! What it is not: it opens no socket, reads no clock and captures nothing.
//! The binary does the I/O; time is passed in.
//!
//! ```text
//! diagnose:  wire::echo_request -> (network, maybe an ALG) -> reflector
//!            reflector: Reflector::handle -> Decision (reply | probe | drop)
//!            wire::parse_reply -> alg::compare(sent, received) -> verdict::causes
//! ```
#![forbid(unsafe_code)]

pub mod alg;
pub mod binding;
pub mod callback;
pub mod config;
pub mod rate;
pub mod reflector;
pub mod request;
pub mod verdict;
pub mod wire;

pub use alg::{Change, ChangeKind, Comparison, compare};
pub use config::{ConfigError, ReflectorConfig};
pub use reflector::{Decision, DropReason, ProbePlan, Reflector};
pub use wire::{ProbeOutcome, Reply, ReplyCode, Test, Transport, WireError};
