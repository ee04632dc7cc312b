//! Inline verdicts (NFQUEUE): a SIP request waits in the kernel until the
//! guard says accept or drop, so even the first packet of a known attack
//! tool is dropped, before the engine has seen enough to ban its source.
//!
//! The verdict is judged on the packet alone, by the signature rules (the
//! engine still gets its copy through NFLOG and bans as usual), through the
//! same policy that spares trusted servers, the allowlist, the protected
//! phones and LAN hosts. Anything that does not decode as SIP is accepted:
//! inline mode must never cut off traffic it does not understand.

use std::net::IpAddr;

use ghostguard_engine::net::is_private;
use ghostguard_engine::{Rules, inline_signature};
use ghostguard_packet::{Decoder, Frame, Limits, LinkType, Timestamp};
use ipnet::IpNet;

use crate::config::GuardConfig;
use crate::policy::{BanPolicy, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineVerdict {
    Accept,
    /// Drop: `source` sent a request matching rule `rule` (`tool`).
    Drop {
        source: IpAddr,
        rule: String,
        tool: String,
    },
}

#[derive(Debug)]
pub struct InlineJudge {
    rules: Rules,
    policy: BanPolicy,
    lan: Vec<IpNet>,
    decoder: Decoder,
}

impl InlineJudge {
    #[must_use]
    pub fn new(cfg: &GuardConfig, rules: Rules, trusted: Vec<IpNet>) -> InlineJudge {
        let mut lan = cfg.network.lan.clone();
        lan.extend(cfg.network.protected.iter().copied());
        InlineJudge {
            rules,
            policy: BanPolicy::new(cfg, trusted),
            lan,
            decoder: Decoder::new(Limits::default()),
        }
    }

    pub fn set_trusted(&mut self, nets: Vec<IpNet>) {
        self.policy.set_trusted(nets);
    }

    /// The verdict on one queued IP packet.
    pub fn judge(&mut self, ts: Timestamp, packet: &[u8]) -> InlineVerdict {
        let mut verdict = InlineVerdict::Accept;
        let (rules, policy, lan) = (&self.rules, &self.policy, &self.lan);
        let _ = self
            .decoder
            .decode(&Frame::new(ts, LinkType::Raw, packet), &mut |d| {
                if verdict != InlineVerdict::Accept {
                    return;
                }
                let Ok(m) = ghostguard_sip::parse(d.payload) else {
                    return;
                };
                let Some(sig) = inline_signature(rules, d, &m) else {
                    return;
                };
                let src = d.src.ip();
                let internal = is_private(src) || lan.iter().any(|n| n.contains(&src));
                if let Verdict::Ban { .. } = policy.decide(src, internal, sig.confidence, 0) {
                    verdict = InlineVerdict::Drop {
                        source: src,
                        rule: sig.id.clone(),
                        tool: sig.tool.clone(),
                    };
                }
            });
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ghostguard_packet::synth;

    fn judge() -> InlineJudge {
        let cfg = GuardConfig::parse(
            "policy = \"enforce\"\n[network]\nprotected = [\"192.168.1.0/24\"]\n[trusted]\nservers = [\"203.0.113.10\"]\n",
        )
        .unwrap();
        InlineJudge::new(
            &cfg,
            Rules::default_rules().unwrap(),
            vec!["203.0.113.10/32".parse().unwrap()],
        )
    }

    fn options(src: &str, ua: &str, to_tag: bool) -> Vec<u8> {
        let msg = format!(
            "OPTIONS sip:100@192.168.1.20 SIP/2.0\r\nVia: SIP/2.0/UDP {src};branch=z9hG4bK1\r\n\
             From: <sip:100@{src}>;tag=1\r\nTo: <sip:100@192.168.1.20>{}\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\
             User-Agent: {ua}\r\nContent-Length: 0\r\n\r\n",
            if to_tag { ";tag=x" } else { "" }
        );
        synth::udp(
            src.parse().unwrap(),
            "192.168.1.20:5060".parse().unwrap(),
            msg.as_bytes(),
        )
    }

    #[test]
    fn the_first_packet_of_a_known_tool_is_dropped() {
        let mut j = judge();
        let v = j.judge(
            Timestamp::ZERO,
            &options("198.51.100.7:5060", "friendly-scanner", false),
        );
        assert!(
            matches!(v, InlineVerdict::Drop { ref tool, .. } if tool.to_lowercase().contains("sipvicious")),
            "{v:?}"
        );
    }

    #[test]
    fn legitimate_trusted_in_dialog_and_garbage_pass() {
        let mut j = judge();
        let t = Timestamp::ZERO;
        assert_eq!(
            j.judge(t, &options("198.51.100.7:5060", "Yealink SIP-T46S", false)),
            InlineVerdict::Accept
        );
        assert_eq!(
            j.judge(t, &options("203.0.113.10:5060", "friendly-scanner", false)),
            InlineVerdict::Accept
        );
        assert_eq!(
            j.judge(t, &options("198.51.100.7:5060", "friendly-scanner", true)),
            InlineVerdict::Accept
        );
        assert_eq!(
            j.judge(t, &options("192.168.1.66:5060", "friendly-scanner", false)),
            InlineVerdict::Accept
        );
        assert_eq!(j.judge(t, b"\x45garbage"), InlineVerdict::Accept);
        assert_eq!(j.judge(t, &[]), InlineVerdict::Accept);
    }
}
