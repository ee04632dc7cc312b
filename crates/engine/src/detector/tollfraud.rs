//! Toll-fraud dialling.
//!
//! **Attack**: once a scanner finds a phone or PBX that accepts calls, a
//! dialler (sipcli, iWar, VaxSIP/PortSIP SDK bots) sends INVITEs to
//! international or premium numbers, walking outside-line prefixes (`9`,
//! `0`, `00`, `011`, `+`, `900`…) for the same number until one connects.
//!
//! **Signals**: an INVITE from an untrusted source whose dialled number
//! (Request-URI user, else To user; digits, `+`, `*`, `#`) is international:
//! starts with `+`, `00`, `011`, or one outside-line digit followed by `00`
//! or `011`, with at least 8 digits. Prefix walking: the same trailing 7
//! digits dialled with several different prefixes.
//!
//! **Defaults**: an international INVITE from an untrusted external source
//! is 65 (malicious: nobody outside calls *through* a phone); from inside,
//! 30. Three distinct prefixes for one number within 600 s is 90.
//!
//! **False positives**: a provider trunk delivering a call with a
//! `+`-formatted Request-URI (trust the trunk; trusted sources are never
//! judged).
//!
//! **References**: threat notes; CFCA fraud loss surveys on PBX hacking.

use std::net::IpAddr;

use ghostguard_packet::Span;
use ghostguard_sip::Method;

use crate::config::Thresholds;
use crate::detector::Detector;
use crate::event::{Ctx, request_user, target_user};
use crate::finding::{Evidence, Finding, Kind};
use crate::window::{Distinct, KeyHasher, Table};

/// The dialled number split into an international prefix and the rest.
pub(crate) fn international(number: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = number;
    let digits = n.iter().filter(|c| c.is_ascii_digit()).count();
    if digits < 8
        || !n
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'*' | b'#'))
    {
        return None;
    }
    let prefix_len = if n.starts_with(b"+") {
        1
    } else if n.starts_with(b"011") {
        3
    } else if n.starts_with(b"00") {
        2
    } else if n.len() > 4 && n[1..].starts_with(b"011") {
        4
    } else if n.len() > 3 && n[1..].starts_with(b"00") {
        3
    } else {
        return None;
    };
    Some(n.split_at(prefix_len))
}

#[derive(Debug, Default)]
struct State {
    prefixes: Distinct,
}

#[derive(Debug)]
pub(crate) struct TollFraud {
    prefixes: u32,
    window: Span,
    /// Per (source, trailing 7 digits): distinct prefixes dialled.
    walks: Table<(IpAddr, u64), State>,
    hasher: KeyHasher,
}

impl TollFraud {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        TollFraud {
            prefixes: t.tollfraud_prefixes,
            window: Span::from_secs(t.tollfraud_window_secs.into()),
            walks: Table::new(cap),
            hasher: KeyHasher::default(),
        }
    }
}

impl Detector for TollFraud {
    fn name(&self) -> &'static str {
        "toll-fraud"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        if ctx.method != Some(Method::Invite) || ctx.src_trusted {
            return;
        }
        let Some(number) = request_user(ctx.m).or_else(|| target_user(ctx.m)) else {
            return;
        };
        let number: &[u8] = &number;
        let shown = String::from_utf8_lossy(number).into_owned();
        if let Some((prefix, _)) = international(number) {
            let conf = if ctx.src_internal { 30 } else { 65 };
            let ev = Evidence::new(
                "toll-fraud",
                Kind::TollFraud,
                conf,
                "international-invite",
                ctx.ts,
            )
            .arg("number", shown.clone())
            .arg("prefix", String::from_utf8_lossy(prefix).into_owned());
            out.push(Finding {
                source: ctx.src,
                evidence: ev,
            });
        }
        // Prefix walking: any number of at least 9 characters, keyed by its last 7.
        if number.len() >= 9 && number.iter().all(u8::is_ascii_digit) {
            let (head, tail) = number.split_at(number.len() - 7);
            let key = (ctx.src, self.hasher.hash(tail));
            let st = self.walks.entry(&key);
            let n = st
                .prefixes
                .insert(ctx.ts, self.window, self.hasher.hash(head));
            if n >= self.prefixes as usize {
                let ev = Evidence::new("toll-fraud", Kind::TollFraud, 90, "prefix-walk", ctx.ts)
                    .arg("number", shown)
                    .arg("prefixes", n.to_string());
                out.push(Finding {
                    source: ctx.src,
                    evidence: ev,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::international;

    #[test]
    fn international_prefixes() {
        let p = |n: &str| {
            international(n.as_bytes()).map(|(p, _)| String::from_utf8_lossy(p).into_owned())
        };
        assert_eq!(p("+442071234567").as_deref(), Some("+"));
        assert_eq!(p("00442071234567").as_deref(), Some("00"));
        assert_eq!(p("011442071234567").as_deref(), Some("011"));
        assert_eq!(p("900442071234567").as_deref(), Some("900"));
        assert_eq!(p("9011442071234567").as_deref(), Some("9011"));
        assert_eq!(p("0201234567"), None); // national
        assert_eq!(p("1000"), None);
        assert_eq!(p("00abc12345678"), None);
    }
}
