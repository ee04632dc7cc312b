#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
use super::*;

fn arg<'a>(e: &'a CauseEvidence, k: &str) -> Option<&'a str> {
    e.args
        .iter()
        .find(|(n, _)| *n == k)
        .map(|(_, v)| v.as_str())
}

fn done(w: &[(u32, Wait)]) -> Binding {
    Binding::Done(w.to_vec())
}

const DEFAULT: RegisterInterval = RegisterInterval {
    seconds: 60,
    captured: false,
};

#[test]
fn a_binding_lost_before_the_interval_is_short_with_bounds() {
    let b = done(&[(20, Wait::Arrived), (45, Wait::Lost), (90, Wait::Lost)]);
    let Judgement::Short(e) = judge(&b, DEFAULT) else {
        panic!("not short");
    };
    assert_eq!(e.code, "binding-short");
    assert_eq!(arg(&e, "lower"), Some("20"));
    assert_eq!(arg(&e, "upper"), Some("45"));
    assert_eq!(arg(&e, "interval"), Some("60"));
    assert_eq!(arg(&e, "source"), Some("default"));
}

#[test]
fn nothing_arrived_means_shorter_than_the_first_wait() {
    let b = done(&[(2, Wait::Lost), (4, Wait::Lost)]);
    let Judgement::Short(e) = judge(&b, DEFAULT) else {
        panic!("not short");
    };
    assert_eq!(arg(&e, "lower"), Some("0"));
    assert_eq!(arg(&e, "upper"), Some("2"));
}

#[test]
fn all_arrived_past_the_interval_is_kept() {
    let b = done(&[
        (20, Wait::Arrived),
        (45, Wait::Arrived),
        (90, Wait::Arrived),
    ]);
    assert!(matches!(judge(&b, DEFAULT), Judgement::Kept(_)));
    // A captured interval longer than every wait leaves it open.
    let long = RegisterInterval::from_capture(Some(3600));
    let Judgement::Unclear(e) = judge(&b, long) else {
        panic!("not unclear");
    };
    assert_eq!(arg(&e, "source"), Some("captured"));
    assert_eq!(e.code, "binding-outlived-waits");
    assert_eq!(arg(&e, "upper"), None);
}

#[test]
fn an_interval_between_the_bounds_is_unclear() {
    let b = done(&[(20, Wait::Arrived), (45, Wait::Arrived), (90, Wait::Lost)]);
    assert!(matches!(judge(&b, DEFAULT), Judgement::Unclear(_)));
    // A lost shorter wait (a dropped datagram) does not undo a longer one.
    let b = done(&[(20, Wait::Lost), (45, Wait::Arrived), (90, Wait::Arrived)]);
    assert!(matches!(judge(&b, DEFAULT), Judgement::Kept(_)));
}

#[test]
fn failed_or_skipped_is_not_tested() {
    let b = done(&[(20, Wait::Failed("the reflector is busy".into()))]);
    let Judgement::NotTested(e) = judge(&b, DEFAULT) else {
        panic!("tested");
    };
    assert_eq!(arg(&e, "error"), Some("the reflector is busy"));
    let b = Binding::NotRun("not asked for (--nat-binding)".into());
    assert!(matches!(judge(&b, DEFAULT), Judgement::NotTested(_)));
}

#[test]
fn register_interval_from_contact_or_expires() {
    let reg = |extra: &str| {
        format!(
            "REGISTER sip:198.51.100.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1\r\n\
             From: <sip:100@198.51.100.10>;tag=1\r\nTo: <sip:100@198.51.100.10>\r\nCall-ID: r1\r\n\
             CSeq: 1 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    };
    let p = |s: &str| register_interval(&ghostguard_sip::parse(s.as_bytes()).unwrap());
    assert_eq!(
        p(&reg("Contact: <sip:100@192.0.2.5>\r\nExpires: 3600\r\n")),
        Some(3600)
    );
    assert_eq!(
        p(&reg(
            "Contact: <sip:100@192.0.2.5>;expires=120\r\nExpires: 3600\r\n"
        )),
        Some(120)
    );
    assert_eq!(p(&reg("Contact: <sip:100@192.0.2.5>;expires=0\r\n")), None);
    let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1\r\n\
              From: <sip:100@198.51.100.10>;tag=1\r\nTo: <sip:100@198.51.100.10>;tag=2\r\n\
              Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: <sip:100@192.0.2.5>;expires=300\r\n\
              Content-Length: 0\r\n\r\n";
    assert_eq!(p(ok), Some(300));
    let invite = reg("Expires: 60\r\n").replace("REGISTER", "INVITE");
    assert_eq!(p(&invite), None);
}
