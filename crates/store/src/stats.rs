//! The shape of a heartbeat's `stats` JSON: what a guard counts and the
//! dashboard's `/metrics` exports per site. The guard writes it with
//! [`GuardStats::to_json`]; readers use [`GuardStats::parse`], which takes
//! missing fields as zero and ignores unknown ones, so guards and
//! dashboards of different versions can share one store.

use serde::{Deserialize, Serialize};

/// Counters since the guard started (Prometheus counters: they only grow
/// until a restart).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardStats {
    /// SIP messages seen, by request method (or `response`) and verdict.
    pub messages: Vec<MessageCount>,
    pub engine: EngineStats,
}

/// Messages of one method that got one verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageCount {
    /// `INVITE`, `REGISTER`, …, or `response`.
    pub method: String,
    /// `ok` (nothing against the source), `suspect`, `malicious`,
    /// `trusted`, `banned` (dropped by a ban).
    pub verdict: String,
    pub count: u64,
}

/// The engine's and the capture's health.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineStats {
    /// Packets read from the kernel or the HEP listeners.
    pub packets: u64,
    /// Packets dropped because the engine's backlog was full.
    pub backlog_dropped: u64,
    /// Packets that did not decode as SIP.
    pub decode_errors: u64,
    /// Sources the detectors hold state for now (a gauge).
    pub sources_tracked: u64,
    /// Per-source state evicted at the bound.
    pub sources_evicted: u64,
    /// Store writes that failed.
    pub store_errors: u64,
    /// Firewall batches that failed.
    pub firewall_errors: u64,
}

impl GuardStats {
    /// Reads a heartbeat's stats; anything unreadable counts as empty.
    /// The guard daemon's flat counters (`packets`, `batches_dropped`,
    /// `malformed_input`, `store_errors`, `ban_errors` at the top level)
    /// fill [`EngineStats`] when it has no `engine` object.
    #[must_use]
    pub fn parse(json: &str) -> GuardStats {
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        let mut s: GuardStats = serde_json::from_value(v.clone()).unwrap_or_default();
        if v.get("engine").is_none() {
            let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            s.engine = EngineStats {
                packets: n("packets"),
                backlog_dropped: n("batches_dropped"),
                decode_errors: n("malformed_input"),
                sources_tracked: n("sources_tracked"),
                sources_evicted: n("sources_evicted"),
                store_errors: n("store_errors"),
                firewall_errors: n("ban_errors"),
            };
        }
        s
    }

    /// The JSON text for [`crate::Heartbeat::stats`].
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_other_versions() {
        let s = GuardStats {
            messages: vec![MessageCount {
                method: "INVITE".into(),
                verdict: "malicious".into(),
                count: 7,
            }],
            engine: EngineStats {
                packets: 9,
                ..EngineStats::default()
            },
        };
        assert_eq!(GuardStats::parse(&s.to_json()), s);
        let newer = GuardStats::parse(r#"{"engine":{"packets":3,"future":1},"extra":[]}"#);
        assert_eq!(newer.engine.packets, 3);
        assert!(newer.messages.is_empty());
        assert_eq!(GuardStats::parse("not json"), GuardStats::default());
        let flat = GuardStats::parse(
            r#"{"packets":10,"malformed_input":2,"ban_errors":1,"mode":"gateway"}"#,
        );
        assert_eq!(
            (
                flat.engine.packets,
                flat.engine.decode_errors,
                flat.engine.firewall_errors
            ),
            (10, 2, 1)
        );
    }
}
