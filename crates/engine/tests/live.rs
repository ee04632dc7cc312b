//! Live use (`guard`): calls are handed out as actions, trusted servers
//! change at run time, and a forgotten source is reported again.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Lab, PROVIDER, SCANNER, provider_invite, svmap_invite, svmap_rings};
use ghostguard_engine::{Action, EngineConfig};

fn drain(lab: &mut Lab) -> Vec<Action> {
    std::iter::from_fn(|| lab.engine.poll_action()).collect()
}

fn live_lab() -> Lab {
    let mut lab = Lab::new(EngineConfig {
        trusted: vec!["198.51.100.10/32".parse().unwrap()],
        ..Default::default()
    });
    lab.engine.set_live();
    lab
}

#[test]
fn a_scanner_call_to_a_phone_is_an_action_and_a_provider_call_is_not() {
    let mut lab = live_lab();
    svmap_rings(&mut lab, 20);
    let actions = drain(&mut lab);
    let calls: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Call(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "{actions:?}");
    assert_eq!(calls[0].source.to_string(), "203.0.113.66");
    assert_eq!(calls[0].phone.to_string(), "192.168.77.20");
    assert_eq!(calls[0].caller, "100");
    assert!(actions.iter().any(|a| matches!(a, Action::Incident { .. })));

    lab.send(PROVIDER, common::PHONE, &provider_invite());
    assert!(
        !drain(&mut lab).iter().any(|a| matches!(a, Action::Call(_))),
        "a call from the trusted provider is not a ghost call"
    );
}

#[test]
fn analyze_mode_hands_out_no_calls() {
    let mut lab = Lab::plain();
    svmap_rings(&mut lab, 20);
    assert!(!drain(&mut lab).iter().any(|a| matches!(a, Action::Call(_))));
}

#[test]
fn trust_changes_at_run_time() {
    let mut lab = live_lab();
    // The provider moved: its old address is no longer trusted.
    lab.engine
        .set_trusted(vec!["198.51.100.99/32".parse().unwrap()]);
    lab.send(PROVIDER, common::PHONE, &provider_invite());
    assert!(drain(&mut lab).iter().any(|a| matches!(a, Action::Call(_))));
}

#[test]
fn a_forgotten_source_is_reported_again() {
    let mut lab = live_lab();
    lab.send(SCANNER, common::PHONE, &svmap_invite());
    let incidents = |a: &[Action]| {
        a.iter()
            .filter(|a| matches!(a, Action::Incident { .. }))
            .count()
    };
    assert_eq!(incidents(&drain(&mut lab)), 1);
    lab.wait_ms(1000);
    lab.send(
        SCANNER,
        common::PHONE,
        &svmap_invite().replace("CSeq: 1", "CSeq: 2"),
    );
    assert_eq!(incidents(&drain(&mut lab)), 0, "reported once only");
    lab.engine
        .forget(SCANNER.split(':').next().unwrap().parse().unwrap());
    lab.wait_ms(1000);
    lab.send(
        SCANNER,
        common::PHONE,
        &svmap_invite().replace("CSeq: 1", "CSeq: 3"),
    );
    assert_eq!(
        incidents(&drain(&mut lab)),
        1,
        "reported again after forget"
    );
}

/// A source already reported for its tool's signature goes on to guess a
/// password: nothing stops it under observe or monitor, so its password
/// guessing and the guessed password are incidents too, each once.
#[test]
fn new_abuse_by_a_reported_source_is_reported_once_each() {
    use common::{request, response};
    let mut lab = live_lab();
    let guess = |i: u32| {
        request(
            "REGISTER",
            "sip:provider.example",
            "\"2002\" <sip:2002@provider.example>;tag=3206210844",
            "\"2002\" <sip:2002@provider.example>",
            "crack1",
            i + 1,
            &format!(
                "User-Agent: friendly-scanner\nAuthorization: Digest username=\"2002\", realm=\"provider\", nonce=\"n{i}\", uri=\"sip:provider.example\", response=\"{i:032x}\""
            ),
            "",
        )
    };
    let codes = |a: &[Action]| -> Vec<String> {
        a.iter()
            .filter_map(|a| match a {
                Action::Incident { evidence, .. } => {
                    Some(format!("{}:{}", evidence.detector, evidence.code))
                }
                _ => None,
            })
            .collect()
    };
    let mut seen = Vec::new();
    for i in 0..8u32 {
        let r = guess(i);
        lab.send(SCANNER, PROVIDER, &r);
        lab.wait_ms(100);
        lab.send(
            PROVIDER,
            SCANNER,
            &response(403, "Forbidden", &r, Some("z"), ""),
        );
        lab.wait_ms(100);
        seen.extend(codes(&drain(&mut lab)));
    }
    let r = guess(8);
    lab.send(SCANNER, PROVIDER, &r);
    lab.wait_ms(100);
    lab.send(PROVIDER, SCANNER, &response(200, "OK", &r, Some("z"), ""));
    seen.extend(codes(&drain(&mut lab)));
    assert_eq!(
        seen,
        [
            "signature:signature",
            "bruteforce:auth-failures",
            "bruteforce:password-guessed"
        ],
        "one incident per kind of abuse, in order"
    );
}
