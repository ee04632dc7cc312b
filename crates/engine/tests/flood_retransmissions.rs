//! Retransmissions are not a flood (RFC 3261 §17.1.1.2): fifty phones
//! behind one NAT retransmitting REGISTERs during a registrar outage stay
//! clean; one transaction sent thousands of times is still a flood.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Lab, request, source};
use ghostguard_engine::Kind;

const NAT: &str = "198.51.100.1";
const REGISTRAR: &str = "203.0.113.10:5060";

fn register(phone: u32, cseq: u32) -> String {
    request(
        "REGISTER",
        "sip:provider.example",
        &format!("<sip:{}@provider.example>;tag=r{phone}", 3000 + phone),
        &format!("<sip:{}@provider.example>", 3000 + phone),
        &format!("reg-{phone}"),
        cseq,
        &format!(
            "Contact: <sip:{}@{NAT}:{}>;expires=300",
            3000 + phone,
            10_000 + phone
        ),
        "",
    )
}

#[test]
fn fifty_phones_retransmitting_through_an_outage_are_no_flood() {
    let mut lab = Lab::plain();
    // 50 phones, one REGISTER each, retransmitted on the RFC timer
    // (0, 0.5, 1.5, 3.5, 7.5 s, ...): 11 copies each within 32 s; 550
    // requests from one address in 32 s, over 200 in 10 s.
    let times_ms = [
        0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ];
    let mut last = 0;
    for t in times_ms {
        lab.wait_ms(t - last);
        last = t;
        for phone in 0..50 {
            lab.send(
                &format!("{NAT}:{}", 10_000 + phone),
                REGISTRAR,
                &register(phone, 1),
            );
        }
    }
    let a = lab.finish();
    let s = source(&a, NAT);
    assert!(!s.kinds.contains(&Kind::Flood), "{s:?}");
    assert!(!s.malicious, "{s:?}");
}

#[test]
fn one_transaction_sent_a_thousand_times_is_a_flood() {
    let mut lab = Lab::plain();
    for _ in 0..1000 {
        lab.send("203.0.113.66:5060", REGISTRAR, &register(1, 1));
        lab.wait_ms(5);
    }
    let a = lab.finish();
    let s = source(&a, "203.0.113.66");
    assert!(s.kinds.contains(&Kind::Flood), "{s:?}");
}
