//! Alerts: what is sent, and the throttle that keeps a flood from becoming
//! an alert flood.
//!
//! Sans-IO: the daemon offers each alert with the current time and sends
//! what the throttle lets through (webhook JSON, syslog line). Alerts about
//! one source and kind are grouped: the first leaves at once, the rest of
//! its `group_window` is counted and leaves as one summary when the window
//! closes. Over everything, at most `max_per_hour` alerts leave per rolling
//! hour; what the cap holds back is counted into one summary too.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use serde::Serialize;

/// Syslog facility names (RFC 5424 §6.2.1) in code order.
pub const FACILITIES: &[&str] = &[
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// DoS: alert groups kept open at once; beyond it new keys go straight to
/// the hourly cap (a spoofed-source flood cannot grow this map).
pub const MAX_GROUPS: usize = 10_000;

/// One alert, as the webhook receives it (JSON) and syslog prints it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    pub site: String,
    /// `incident`, `ban`, `ghost-call` or `summary`.
    pub event: &'static str,
    pub source: Option<IpAddr>,
    /// Incident kind (`scanner`, `bruteforce`, …) where there is one.
    pub kind: Option<String>,
    pub confidence: Option<u8>,
    /// One line a person can read.
    pub summary: String,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Seconds the source is banned for, when this alert is about a ban.
    pub ban_secs: Option<u64>,
    /// What that ban covers: the source address (`/32`, `/128`) or, for an
    /// IPv6 prefix ban, its network (`2001:db8:1:2::/64`).
    pub ban_target: Option<ipnet::IpNet>,
    /// Alerts of the same group held back since the previous one.
    pub grouped: u64,
    pub evidence: serde_json::Value,
}

impl Alert {
    /// The syslog line (RFC 3164 style, as /dev/log expects).
    #[must_use]
    pub fn syslog_line(&self, facility: &str, pid: u32) -> String {
        let code = FACILITIES.iter().position(|f| *f == facility).unwrap_or(3);
        // warning (4) for attacks, notice (5) for summaries.
        let severity = if self.event == "summary" { 5 } else { 4 };
        let mut msg = format!(
            "<{}>ghostguard[{pid}]: site={} event={}",
            code * 8 + severity,
            self.site,
            self.event
        );
        if let Some(s) = self.source {
            msg.push_str(&format!(" source={s}"));
        }
        if let Some(k) = &self.kind {
            msg.push_str(&format!(" kind={k}"));
        }
        if let Some(b) = self.ban_secs {
            msg.push_str(&format!(" ban_secs={b}"));
        }
        if let Some(t) = self.ban_target {
            msg.push_str(&format!(" ban_target={t}"));
        }
        if self.grouped > 0 {
            msg.push_str(&format!(" grouped={}", self.grouped));
        }
        msg.push_str(" msg=\"");
        // Attacker-chosen text never carries control characters or quotes
        // into the log line.
        msg.extend(
            self.summary.chars().take(480).map(
                |c| {
                    if c.is_control() || c == '"' { '?' } else { c }
                },
            ),
        );
        msg.push('"');
        msg
    }
}

/// What the throttle says about one offered alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Send it now; `grouped` alerts of its group were held back before it.
    Send { grouped: u64 },
    /// Held back; it will be counted in a later summary.
    Held,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    opened_ms: i64,
    held: u64,
}

/// A group whose window closed with alerts held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub source: Option<IpAddr>,
    pub event: &'static str,
    pub held: u64,
}

#[derive(Debug)]
pub struct Throttle {
    window_ms: i64,
    max_per_hour: usize,
    groups: HashMap<(Option<IpAddr>, &'static str), Group>,
    sent: VecDeque<i64>,
    /// Held back by the hourly cap (not by a group).
    capped: u64,
}

impl Throttle {
    #[must_use]
    pub fn new(window: std::time::Duration, max_per_hour: u32) -> Throttle {
        Throttle {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            max_per_hour: max_per_hour.max(1) as usize,
            groups: HashMap::new(),
            sent: VecDeque::new(),
            capped: 0,
        }
    }

    fn cap_allows(&mut self, now_ms: i64) -> bool {
        while self.sent.front().is_some_and(|&t| now_ms - t >= 3_600_000) {
            self.sent.pop_front();
        }
        self.sent.len() < self.max_per_hour
    }

    /// Offers an alert for (`source`, `event`) at `now_ms`.
    pub fn offer(&mut self, source: Option<IpAddr>, event: &'static str, now_ms: i64) -> Offer {
        let key = (source, event);
        if let Some(g) = self.groups.get_mut(&key)
            && now_ms - g.opened_ms < self.window_ms
        {
            g.held += 1;
            return Offer::Held;
        }
        if !self.cap_allows(now_ms) {
            self.capped += 1;
            return Offer::Held;
        }
        let grouped = self.groups.remove(&key).map_or(0, |g| g.held);
        if self.groups.len() < MAX_GROUPS {
            self.groups.insert(
                key,
                Group {
                    opened_ms: now_ms,
                    held: 0,
                },
            );
        }
        self.sent.push_back(now_ms);
        Offer::Send { grouped }
    }

    /// Groups whose window has closed with alerts held back, plus one entry
    /// (source `None`, event `capped`) for what the hourly cap held back,
    /// as far as the cap lets summaries out now. Closed groups are dropped.
    pub fn due(&mut self, now_ms: i64) -> Vec<Held> {
        let window = self.window_ms;
        let mut out = Vec::new();
        let mut closed: Vec<(Option<IpAddr>, &'static str)> = self
            .groups
            .iter()
            .filter(|(_, g)| now_ms - g.opened_ms >= window)
            .map(|(k, _)| *k)
            .collect();
        closed.sort();
        for key in closed {
            let held = self.groups.get(&key).map_or(0, |g| g.held);
            if held > 0 {
                if !self.cap_allows(now_ms) {
                    break; // stays open; retried on the next call
                }
                self.sent.push_back(now_ms);
                out.push(Held {
                    source: key.0,
                    event: key.1,
                    held,
                });
            }
            self.groups.remove(&key);
        }
        if self.capped > 0 && self.cap_allows(now_ms) {
            self.sent.push_back(now_ms);
            out.push(Held {
                source: None,
                event: "capped",
                held: std::mem::take(&mut self.capped),
            });
        }
        out
    }

    /// Open groups (for status and tests).
    #[must_use]
    pub fn open_groups(&self) -> usize {
        self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_flood_from_one_source_makes_one_alert_and_one_summary() {
        let mut t = Throttle::new(Duration::from_secs(300), 60);
        assert_eq!(
            t.offer(ip("198.51.100.7"), "incident", 0),
            Offer::Send { grouped: 0 }
        );
        for i in 1..10_000 {
            assert_eq!(t.offer(ip("198.51.100.7"), "incident", i), Offer::Held);
        }
        assert!(t.due(299_999).is_empty());
        let due = t.due(300_000);
        assert_eq!(
            due,
            vec![Held {
                source: ip("198.51.100.7"),
                event: "incident",
                held: 9_999
            }]
        );
        assert_eq!(t.open_groups(), 0);
        // A new window sends again at once.
        assert_eq!(
            t.offer(ip("198.51.100.7"), "incident", 300_001),
            Offer::Send { grouped: 0 }
        );
    }

    #[test]
    fn many_sources_hit_the_hourly_cap_and_are_summarised() {
        let mut t = Throttle::new(Duration::from_secs(60), 10);
        let mut sent = 0;
        for i in 0..5_000u32 {
            let src = Some(IpAddr::from([198, 51, 100, (i % 250) as u8 + 1]));
            let src = if i < 250 {
                src
            } else {
                Some(IpAddr::from(std::net::Ipv4Addr::from(0xCB00_7100 + i)))
            };
            if let Offer::Send { .. } = t.offer(src, "incident", i64::from(i)) {
                sent += 1;
            }
        }
        assert_eq!(sent, 10);
        assert!(t.open_groups() <= MAX_GROUPS);
        // An hour later the cap has room for the summaries again.
        let due = t.due(3_600_000 + 10);
        let capped: u64 = due
            .iter()
            .filter(|h| h.event == "capped")
            .map(|h| h.held)
            .sum();
        assert_eq!(capped, 4_990);
    }

    #[test]
    fn syslog_line_is_one_clean_line() {
        let a = Alert {
            site: "office".into(),
            event: "incident",
            source: ip("198.51.100.7"),
            kind: Some("scanner".into()),
            confidence: Some(95),
            summary: "User-Agent \"friendly-scanner\"\r\nInjected: yes".into(),
            time_ms: 0,
            ban_secs: Some(3600),
            ban_target: Some("198.51.100.7/32".parse().unwrap()),
            grouped: 2,
            evidence: serde_json::Value::Null,
        };
        let line = a.syslog_line("local3", 42);
        assert!(
            line.starts_with("<156>ghostguard[42]: site=office event=incident source=198.51.100.7")
        );
        assert!(line.contains("ban_secs=3600 ban_target=198.51.100.7/32 grouped=2"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["ban_target"], "198.51.100.7/32");
        assert!(!line.contains('\n') && !line.contains('\r'));
        assert!(line.ends_with("msg=\"User-Agent ?friendly-scanner???Injected: yes\""));
    }
}
