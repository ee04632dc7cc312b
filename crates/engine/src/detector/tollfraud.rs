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
//! **Threads**: with `analyze --threads N` this detector runs in the engine
//! of the requester (a request's source, a response's destination), which
//! sees all of that requester's exchanges with every responder, so it
//! counts as with one thread.
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
use crate::event::{Ctx, text};
use crate::finding::{Args, Hit, Kind, push_arg};
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

    fn number<'a>(ctx: &Ctx<'a>) -> Option<&'a [u8]> {
        ctx.request_user().or_else(|| ctx.target_user())
    }
}

impl Detector for TollFraud {
    fn name(&self) -> &'static str {
        "toll-fraud"
    }

    fn keyed_by_requester(&self) -> bool {
        true
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        // A phone does not route calls onward, and a phone dialling out
        // through its own registrar is a customer making a call.
        if ctx.method != Some(Method::Invite)
            || ctx.src_trusted
            || ctx.dst_phone
            || ctx.src_registered_here
            || ctx.in_dialog()
        {
            return;
        }
        let Some(number) = Self::number(ctx) else {
            return;
        };
        if international(number).is_some() {
            let conf = if ctx.src_internal { 30 } else { 65 };
            out.push(Hit::new(
                ctx.src,
                Kind::TollFraud,
                conf,
                "international-invite",
            ));
        }
        // Prefix walking: a number of at least 9 digits, keyed by its last 7.
        if number.len() >= 9 && number.iter().all(u8::is_ascii_digit) {
            let (head, tail) = number.split_at(number.len() - 7);
            let key = (ctx.src, self.hasher.hash(tail));
            let st = self.walks.entry(&key);
            let n = st
                .prefixes
                .insert(ctx.ts, self.window, self.hasher.hash(head));
            if n >= self.prefixes as usize {
                out.push(Hit::new(ctx.src, Kind::TollFraud, 90, "prefix-walk").magnitude(n as u32));
            }
        }
    }

    fn describe(&self, hit: &Hit, ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        let number = Self::number(ctx).unwrap_or_default();
        push_arg(&mut args, "number", text(number));
        if hit.code == "prefix-walk" {
            push_arg(&mut args, "prefixes", hit.magnitude.to_string());
        } else if let Some((prefix, _)) = international(number) {
            push_arg(&mut args, "prefix", text(prefix));
        }
        args
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
