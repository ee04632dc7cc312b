#![allow(clippy::unwrap_used)]

use ghostguard_engine::cause::Remedy;

use super::*;
use crate::alg::compare;
use crate::binding::Wait;

const SENT: &[u8] = b"OPTIONS sip:a@198.51.100.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:40000;branch=z9hG4bK-1\r\nContact: <sip:d@192.0.2.50:40000>\r\nContent-Length: 0\r\n\r\n";

fn compared(t: Transport, port: u16, received: &[u8], observed_port: u16) -> AlgTest {
    AlgTest {
        transport: t,
        port,
        outcome: AlgOutcome::Compared {
            comparison: compare(SENT, received),
            local: "192.0.2.50:40000".parse().unwrap(),
            observed: Some(SocketAddr::new(
                "198.51.100.1".parse().unwrap(),
                observed_port,
            )),
        },
    }
}

fn findings() -> Findings {
    Findings {
        reflector: "198.51.100.10:5060".into(),
        alg: vec![
            compared(Transport::Udp, 5060, SENT, 40000),
            compared(Transport::Udp, 5062, SENT, 40000),
            AlgTest {
                transport: Transport::Tcp,
                port: 5060,
                outcome: AlgOutcome::Failed("timed out".into()),
            },
        ],
        exposure: Exposure::Done {
            target: "198.51.100.1:5060".parse().unwrap(),
            outcome: ProbeOutcome::Silent,
        },
        capture: Capture::Ran {
            interface: "eth0".into(),
            seconds: 10,
            sip_messages: 4,
        },
        local: Vec::new(),
        ghost_calls: 0,
        gateway: Some(Gateway {
            address: "192.0.2.1".into(),
            mac: Some("3c:a6:2f:01:77:01".into()),
            vendor: Some("AVM".into()),
        }),
        binding: Binding::NotRun(String::new()),
        register_interval: None,
    }
}

fn verdict(cs: &[Cause], k: CauseKind) -> Verdict {
    cs.iter().find(|c| c.cause == k).unwrap().verdict
}

#[test]
fn clean_network_gives_not_found_or_not_tested_for_every_cause() {
    let cs = causes(&findings());
    assert_eq!(cs.len(), CauseKind::ALL.len());
    for k in [
        CauseKind::SipAlg,
        CauseKind::PortForward,
        CauseKind::InfectedHost,
        CauseKind::Loop,
        CauseKind::HardwareNat,
    ] {
        assert_eq!(verdict(&cs, k), Verdict::NotFound, "{k:?}");
    }
    let open = cs.iter().find(|c| c.cause == CauseKind::OpenPhone).unwrap();
    assert_eq!(open.verdict, Verdict::NotTested);
    assert_eq!(open.reason.as_ref().unwrap().code, "no-stranger-invite");
    let old = cs.iter().find(|c| c.cause == CauseKind::OldRouter).unwrap();
    assert_eq!(old.reason.as_ref().unwrap().code, "router-age-unknown");
    assert!(cs.iter().all(|c| c.remedies.is_empty()));
    // The failed TCP test is still named in the sip-alg evidence.
    let alg = cs.iter().find(|c| c.cause == CauseKind::SipAlg).unwrap();
    assert!(alg.evidence.iter().any(|e| e.code == "alg-no-answer"));
}

#[test]
fn alg_rewrite_names_fields_and_port_rewrite_is_a_hint() {
    let mut f = findings();
    let got = String::from_utf8_lossy(SENT).replace("192.0.2.50", "198.51.100.1");
    f.alg[0] = compared(Transport::Udp, 5060, got.as_bytes(), 1024);
    let cs = causes(&f);
    assert_eq!(cs[0].cause, CauseKind::SipAlg, "found causes come first");
    assert_eq!(cs[0].verdict, Verdict::Found);
    let e = &cs[0].evidence[0];
    assert_eq!(e.code, "alg-rewritten");
    assert!(
        e.args.contains(&("fields", "Via, Contact".to_string())),
        "{e:?}"
    );
    assert_eq!(cs[0].remedies[0], Remedy::DisableSipAlg);
    let nat = cs
        .iter()
        .find(|c| c.cause == CauseKind::HardwareNat)
        .unwrap();
    assert_eq!((nat.verdict, nat.confidence), (Verdict::Found, 50));
}

#[test]
fn probe_answer_is_a_port_forward_and_failures_are_not_tested() {
    let mut f = findings();
    f.exposure = Exposure::Done {
        target: "198.51.100.1:5060".parse().unwrap(),
        outcome: ProbeOutcome::Answered {
            status: 200,
            agent: "baresip".into(),
        },
    };
    let cs = causes(&f);
    assert_eq!(verdict(&cs, CauseKind::PortForward), Verdict::Found);

    f.exposure = Exposure::NotRun("connection refused".into());
    f.capture = Capture::Failed("permission denied".into());
    f.alg
        .iter_mut()
        .for_each(|t| t.outcome = AlgOutcome::Failed("timed out".into()));
    f.gateway = None;
    let cs = causes(&f);
    assert!(
        cs.iter().all(|c| c.verdict == Verdict::NotTested),
        "{cs:#?}"
    );
    assert!(cs.iter().all(|c| c.reason.is_some()));
}

#[test]
fn capture_findings_are_the_engines_causes() {
    let mut f = findings();
    let infected = Cause::found(
        CauseKind::InfectedHost,
        90,
        vec![CauseEvidence::new("internal-attacker").arg("mac", "00:14:22:4c:9a:31")],
    );
    f.local = vec![infected.clone()];
    let cs = causes(&f);
    let got = cs
        .iter()
        .find(|c| c.cause == CauseKind::InfectedHost)
        .unwrap();
    assert_eq!(got.verdict, Verdict::Found);
    assert_eq!(got.evidence, infected.evidence);
    assert_eq!(got.remedies, infected.remedies);
}

fn hardware_nat_of(f: &Findings) -> Cause {
    causes(f)
        .into_iter()
        .find(|c| c.cause == CauseKind::HardwareNat)
        .unwrap()
}

#[test]
fn binding_not_asked_for_is_named_as_not_measured() {
    let nat = hardware_nat_of(&findings());
    assert_eq!(nat.verdict, Verdict::NotFound);
    assert_eq!(nat.reason.unwrap().code, "binding-not-tested");
}

#[test]
fn a_short_binding_is_hardware_nat_with_its_bounds_and_remedy() {
    let mut f = findings();
    f.binding = Binding::Done(vec![(2, Wait::Arrived), (8, Wait::Lost)]);
    f.register_interval = Some(30);
    let nat = hardware_nat_of(&f);
    assert_eq!((nat.verdict, nat.confidence), (Verdict::Found, 80));
    let e = &nat.evidence[0];
    assert_eq!(e.code, "binding-short");
    assert!(e.args.contains(&("upper", "8".to_string())), "{e:?}");
    assert!(e.args.contains(&("source", "captured".to_string())));
    assert_eq!(nat.remedies[0], Remedy::ShortenRegisterInterval);
    assert!(nat.remedies.contains(&Remedy::DisableHardwareNat));
    // The port evidence stays with it.
    assert!(nat.evidence.iter().any(|e| e.code == "source-port-kept"));
}

#[test]
fn a_binding_outliving_the_interval_is_not_found() {
    let mut f = findings();
    f.binding = Binding::Done(vec![(20, Wait::Arrived), (90, Wait::Arrived)]);
    let nat = hardware_nat_of(&f);
    assert_eq!(nat.verdict, Verdict::NotFound);
    assert!(nat.reason.is_none());
    assert!(nat.evidence.iter().any(|e| e.code == "binding-kept"));
    // Measured even when no UDP echo came back.
    f.alg.clear();
    assert_eq!(hardware_nat_of(&f).verdict, Verdict::NotFound);
    f.binding = Binding::Done(vec![(20, Wait::Lost)]);
    assert_eq!(hardware_nat_of(&f).verdict, Verdict::Found);
}

#[test]
fn a_failed_binding_test_says_why() {
    let mut f = findings();
    f.binding = Binding::NotRun("skipped (--no-nat-wait)".into());
    let nat = hardware_nat_of(&f);
    let r = nat.reason.unwrap();
    assert_eq!(r.code, "binding-not-run");
    assert!(
        r.args
            .contains(&("error", "skipped (--no-nat-wait)".to_string()))
    );
}
