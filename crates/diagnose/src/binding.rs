//! The NAT binding test, client side: what came back, how long the phones
//! wait between REGISTERs, and what that means.
//!
//! A phone behind NAT is reachable for calls only while the router keeps
//! the binding its last REGISTER opened. When the binding expires before
//! the next REGISTER (RFC 3261 §10.2.4 refresh, RFC 5626 §3.5 keep-alives),
//! calls go missing or arrive through whatever else the router lets in.
//! `diagnose` asks the reflector for one datagram back after each of a few
//! waits, on its own socket per wait (an arriving callback refreshes the
//! binding it used, so waits must not share one), and sends nothing in
//! between. The longest wait that arrived is a lower bound on the binding's
//! life; the shortest that did not, above it, an upper bound.

use ghostguard_engine::cause::CauseEvidence;
use ghostguard_sip::{Message, Method};

/// The REGISTER interval assumed when the capture shows none: the common
/// default of phones and providers.
pub const DEFAULT_REGISTER_INTERVAL: u32 = 60;

/// What one wait gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// The callback arrived.
    Arrived,
    /// It was scheduled and did not arrive.
    Lost,
    /// It could not be scheduled; the text says why.
    Failed(String),
}

/// The binding test as run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// Not run; the text says why (not asked for, or skipped).
    NotRun(String),
    /// Seconds waited, and what each wait gave.
    Done(Vec<(u32, Wait)>),
}

/// How long the phones wait between REGISTERs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterInterval {
    pub seconds: u32,
    /// True when taken from the capture, false for the default.
    pub captured: bool,
}

impl RegisterInterval {
    /// The shortest interval the capture showed, else the default.
    #[must_use]
    pub fn from_capture(seen: Option<u32>) -> Self {
        match seen {
            Some(s) => RegisterInterval {
                seconds: s,
                captured: true,
            },
            None => RegisterInterval {
                seconds: DEFAULT_REGISTER_INTERVAL,
                captured: false,
            },
        }
    }
}

/// The registration interval one message states: a REGISTER's (or its 2xx
/// answer's) Contact `expires` parameter, else its Expires header
/// (RFC 3261 §10.2.1.1, §10.3 step 8). `None` for other messages and for
/// removals (0).
#[must_use]
pub fn register_interval(m: &Message<'_>) -> Option<u32> {
    let is_register = match (m.method(), m.status()) {
        (Some(Method::Register), _) => true,
        (None, Some(s)) => {
            (200..300).contains(&s.0) && m.cseq().is_some_and(|c| c.method == Method::Register)
        }
        _ => false,
    };
    if !is_register {
        return None;
    }
    let from_contact = m
        .contact()
        .and_then(|c| c.param(b"expires"))
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    from_contact.or_else(|| m.expires()).filter(|&s| s > 0)
}

/// What the waits show about the binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// It expired before the phones re-register.
    Short(CauseEvidence),
    /// It outlived the interval.
    Kept(CauseEvidence),
    /// The interval lies between the bounds, or above every wait.
    Unclear(CauseEvidence),
    /// No usable result.
    NotTested(CauseEvidence),
}

fn interval_args(e: CauseEvidence, i: RegisterInterval) -> CauseEvidence {
    e.arg("interval", i.seconds)
        .arg("source", if i.captured { "captured" } else { "default" })
}

/// Judges the waits against the REGISTER interval.
#[must_use]
pub fn judge(b: &Binding, interval: RegisterInterval) -> Judgement {
    let waits = match b {
        Binding::NotRun(why) => {
            return Judgement::NotTested(CauseEvidence::new("binding-not-run").arg("error", why));
        }
        Binding::Done(w) => w,
    };
    let arrived = waits
        .iter()
        .filter(|(_, w)| *w == Wait::Arrived)
        .map(|(s, _)| *s)
        .max();
    let lower = arrived.unwrap_or(0);
    let upper = waits
        .iter()
        .filter(|(s, w)| *w == Wait::Lost && *s > lower)
        .map(|(s, _)| *s)
        .min();
    let Some(_) = arrived.or(upper) else {
        let why = waits
            .iter()
            .find_map(|(_, w)| match w {
                Wait::Failed(e) => Some(e.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "no wait ran".into());
        return Judgement::NotTested(CauseEvidence::new("binding-not-run").arg("error", why));
    };
    let e = |code| {
        let mut e = CauseEvidence::new(code).arg("lower", lower);
        if let Some(u) = upper {
            e = e.arg("upper", u);
        }
        interval_args(e, interval)
    };
    match upper {
        Some(u) if u <= interval.seconds => Judgement::Short(e("binding-short")),
        _ if lower >= interval.seconds => Judgement::Kept(e("binding-kept")),
        None => Judgement::Unclear(e("binding-outlived-waits")),
        Some(_) => Judgement::Unclear(e("binding-unclear")),
    }
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
