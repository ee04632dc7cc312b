//! `Engine::merge`: engines that each saw the traffic of some responders
//! (and the per-requester part of their requesters' traffic, `Role`), merged,
//! reach the same verdicts as one engine that saw it all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use ghostguard_engine::{Analysis, Role};

/// One engine that sees everything, and two that each see the traffic of
/// their responders (the phone's in the second, all others in the first),
/// as `analyze --threads` splits it.
struct Split {
    all: Lab,
    shards: [Lab; 2],
}

impl Split {
    fn new() -> Split {
        Split {
            all: Lab::plain(),
            shards: [Lab::plain(), Lab::plain()],
        }
    }

    fn send(&mut self, src: &str, dst: &str, msg: &str) {
        let shard = |addr: &str| usize::from(addr.starts_with("192.168.77.20:"));
        self.all.send(src, dst, msg);
        let (responder, requester) = if msg.starts_with("SIP/2.0 ") {
            (shard(src), shard(dst))
        } else {
            (shard(dst), shard(src))
        };
        if responder == requester {
            self.shards[responder].send(src, dst, msg);
        } else {
            for (i, role) in [(responder, Role::Exchange), (requester, Role::Requester)] {
                self.shards[i].role = role;
                self.shards[i].send(src, dst, msg);
                self.shards[i].role = Role::Whole;
            }
        }
    }

    fn wait_ms(&mut self, ms: i64) {
        self.all.wait_ms(ms);
        for s in &mut self.shards {
            s.wait_ms(ms);
        }
    }

    fn set_ttl(&mut self, ttl: u8) {
        self.all.ttl = ttl;
        for s in &mut self.shards {
            s.ttl = ttl;
        }
    }

    /// Each engine's registration of the phone goes through `register_ok`,
    /// which talks to the provider only: all of it is the first shard's.
    fn register(&mut self) {
        register_ok(&mut self.all, PHONE, PROVIDER, "31201234567", "reg-a1");
        register_ok(
            &mut self.shards[0],
            PHONE,
            PROVIDER,
            "31201234567",
            "reg-a1",
        );
        self.shards[1].now = self.shards[0].now;
    }

    fn finish(self) -> (Analysis, Analysis) {
        let [mut first, second] = self.shards;
        first.engine.merge(second.engine);
        (self.all.finish(), first.finish())
    }
}

fn each<T>(items: &[T], line: impl Fn(&T) -> String) -> Vec<String> {
    items.iter().map(line).collect()
}

/// What the verdicts are: malicious sources with their kinds, trusted
/// servers, phones, ghost calls and causes.
fn verdicts(a: &Analysis) -> String {
    let sources: Vec<String> = a
        .sources
        .iter()
        .map(|s| {
            format!(
                "{} malicious={} kinds={:?} trusted={:?} internal={} messages={} requests={}",
                s.address, s.malicious, s.kinds, s.trusted, s.internal, s.messages, s.requests
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let calls = each(&a.ghost_calls, |g| {
        format!(
            "{} -> {} rang={} answered={}",
            g.source, g.phone, g.rang, g.answered
        )
    });
    let causes = each(&a.causes, |c| format!("{:?} {}", c.cause, c.confidence));
    let phones = each(&a.phones, |p| format!("{} {:?}", p.address, p.registrar));
    let trusted = each(&a.trusted, |t| format!("{} {:?}", t.address, t.reason));
    format!(
        "sources:\n{}\nghost calls: {calls:?}\ncauses: {causes:?}\nphones: {phones:?}\n\
         trusted: {trusted:?}\nmessages={} requests in timeline={}",
        sources.join("\n"),
        a.summary.messages,
        a.timeline.requests.iter().sum::<u64>(),
    )
}

#[test]
fn merged_halves_reach_the_same_verdicts() {
    let mut lab = Split::new();
    lab.register();
    lab.wait_ms(5_000);

    // A provider call to the phone: not a ghost call, though the shard that
    // sees it has not seen the phone register.
    let inv = provider_invite();
    lab.send(PROVIDER, PHONE, &inv);
    lab.send(PHONE, PROVIDER, &response(200, "OK", &inv, Some("ph"), ""));
    lab.wait_ms(1_000);

    // svmap through a port forward: a ghost call that rings.
    let inv = svmap_invite();
    lab.send(SCANNER, PHONE, &inv);
    lab.wait_ms(50);
    lab.send(
        PHONE,
        SCANNER,
        &response(180, "Ringing", &inv, Some("ph1"), ""),
    );

    // The same REGISTER on both sides of a router with an ALG.
    lab.send(
        "192.168.77.21:5060",
        PROVIDER,
        &alg_register("192.168.77.21", 5060),
    );
    lab.wait_ms(1);
    lab.send(
        "198.51.100.1:1024",
        PROVIDER,
        &alg_register("198.51.100.1", 1024),
    );
    lab.wait_ms(2_500);

    // A routing loop toward the phone.
    let opt = loop_options();
    for i in 0..30u8 {
        lab.set_ttl(64 - 2 * i);
        lab.send("198.51.100.10:5060", PHONE, &opt);
        lab.wait_ms(1);
    }
    lab.set_ttl(64);
    lab.wait_ms(3_000);

    // A LAN computer sweeping its neighbours (the phone among them): each
    // shard sees enough of it to reach the sweep threshold.
    for host in 1..=40u8 {
        let r = sweep_options(host);
        let dst = if host == 20 {
            PHONE.to_string()
        } else {
            format!("192.168.77.{host}:5060")
        };
        lab.send("192.168.77.30:5060", &dst, &r);
        lab.wait_ms(10);
    }

    // An outside scanner that reaches exactly the sweep threshold (10
    // destinations), one of them the phone: the responders' engines each
    // see too few, the requester's engine sees all ten.
    for host in (1..=9u8).chain([20]) {
        let r = request(
            "OPTIONS",
            &format!("sip:100@192.168.77.{host}"),
            "<sip:100@1.1.1.1>;tag=abc",
            "<sip:100@1.1.1.1>",
            &format!("sw{host}"),
            1,
            "",
            "",
        );
        lab.send("203.0.113.77:5060", &format!("192.168.77.{host}:5060"), &r);
        lab.wait_ms(10);
    }

    let (all, merged) = lab.finish();
    let sweeper = all
        .sources
        .iter()
        .find(|s| s.address.to_string() == "203.0.113.77")
        .unwrap();
    assert!(
        sweeper.kinds.contains(&ghostguard_engine::Kind::Sweep),
        "{sweeper:?}"
    );
    assert!(all.abuse_found(), "the scenario finds abuse");
    assert_eq!(all.ghost_calls.len(), 1, "{:?}", all.ghost_calls);
    assert!(all.causes.len() >= 4, "{:?}", all.causes);
    assert_eq!(verdicts(&all), verdicts(&merged));
    assert_eq!(all.summary.messages, merged.summary.messages);
    assert_eq!(all.summary.first_seen, merged.summary.first_seen);
    assert_eq!(all.summary.last_seen, merged.summary.last_seen);
}
