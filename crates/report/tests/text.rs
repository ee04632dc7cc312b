//! The terminal report: snapshots of whole reports, and the facts a
//! helpdesk reader relies on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_report::{Format, Lang, render_to_string};

#[test]
fn snapshots_en() {
    insta::assert_snapshot!(
        "nothing_found_en",
        show(&nothing_found(), Format::Text, Lang::En)
    );
    insta::assert_snapshot!(
        "svmap_port_forward_en",
        show(&svmap_port_forward(), Format::Text, Lang::En)
    );
    insta::assert_snapshot!(
        "infected_host_en",
        show(&infected_host(), Format::Text, Lang::En)
    );
    insta::assert_snapshot!(
        "alg_rewrite_en",
        show(&alg_rewrite(), Format::Text, Lang::En)
    );
}

#[test]
fn snapshots_nl() {
    insta::assert_snapshot!(
        "svmap_port_forward_nl",
        show(&svmap_port_forward(), Format::Text, Lang::Nl)
    );
    insta::assert_snapshot!(
        "infected_host_nl",
        show(&infected_host(), Format::Text, Lang::Nl)
    );
    insta::assert_snapshot!(
        "alg_rewrite_nl",
        show(&alg_rewrite(), Format::Text, Lang::Nl)
    );
}

fn line_after<'a>(text: &'a str, heading: &str) -> &'a str {
    let rest = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{text}"))..];
    rest.lines().nth(2).unwrap_or_default()
}

#[test]
fn verdict_comes_first_and_counts() {
    let t = show(&svmap_port_forward(), Format::Text, Lang::En);
    let verdict = t
        .lines()
        .find(|l| l.starts_with("Ghost calls found"))
        .unwrap();
    assert_eq!(
        verdict,
        "Ghost calls found: 3 calls to 1 phone from 1 source."
    );
    assert!(t.find(verdict) < t.find("Ghost calls per phone"));
    let t = show(&nothing_found(), Format::Text, Lang::En);
    assert!(
        t.contains("Nothing found: no ghost calls and no abusive sources."),
        "{t}"
    );
    assert!(
        t.contains("Other sources: 2 (1 trusted server, 1 phone, 0 without findings)."),
        "{t}"
    );
    assert!(
        t.contains("Trusted server 198.51.100.10/32: configured"),
        "{t}"
    );
}

#[test]
fn step_one_names_the_infected_host() {
    let t = show(&infected_host(), Format::Text, Lang::En);
    let step1 = line_after(&t, "What to do");
    assert!(
        step1.starts_with("1. Find 192.168.1.66 (MAC b8:27:eb:12:34:56, Raspberry Pi Foundation)"),
        "{step1}"
    );
    let t = show(&infected_host(), Format::Text, Lang::Nl);
    let step1 = line_after(&t, "Wat te doen");
    assert!(
        step1.starts_with(
            "1. Zoek 192.168.1.66 (MAC b8:27:eb:12:34:56, Raspberry Pi Foundation) op"
        ),
        "{step1}"
    );
}

#[test]
fn dutch_speaks_helpdesk_dutch() {
    let t = show(&alg_rewrite(), Format::Text, Lang::Nl);
    assert!(
        t.contains("1. Zet SIP ALG uit in de router of firewall"),
        "{t}"
    );
    assert!(t.contains("Zet ook hardware NAT"), "{t}");
    let t = show(&svmap_port_forward(), Format::Text, Lang::Nl);
    assert!(
        t.contains("Spookgesprekken gevonden: 3 gesprekken naar 1 toestel vanaf 1 bron."),
        "{t}"
    );
    assert!(t.contains("port forwarding"), "{t}");
    assert!(t.contains("\"Allow direct IP call\" uit"), "{t}");
    assert!(
        !t.contains("Ghost calls") && !t.contains("What to do"),
        "English left in:\n{t}"
    );
}

#[test]
fn remedies_merge_in_cause_order_without_repeats() {
    let t = show(&svmap_port_forward(), Format::Text, Lang::En);
    let steps = &t[t.find("What to do").unwrap()..];
    // Numbered items, their wrapped lines joined back.
    let mut numbered: Vec<String> = Vec::new();
    for l in steps.lines().skip(2).take_while(|l| !l.is_empty()) {
        match numbered.last_mut() {
            Some(last) if l.starts_with(' ') => last.push_str(&format!(" {}", l.trim())),
            _ => numbered.push(l.to_string()),
        }
    }
    // Port forward (4 remedies) then open phone (3, all already listed).
    assert_eq!(numbered.len(), 4, "{steps}");
    assert!(
        numbered[0].contains("remove every port forward")
            && numbered[0].contains("192.168.1.20:5060")
    );
    assert!(numbered[1].contains("firewall to let SIP in only"));
    assert!(
        numbered[2].contains("Allow direct IP call") && numbered[2].contains("phone 192.168.1.20")
    );
    assert!(numbered[3].contains("5040"));
}

#[test]
fn network_strings_cannot_drive_the_terminal() {
    let a = hostile();
    for color in [false, true] {
        let t = render_to_string(&a, &meta(), Format::Text, Lang::En, color).unwrap();
        assert!(
            !t.contains("\u{1b}[2J") && !t.contains("\u{1b}]0;") && !t.contains('\u{7}'),
            "{t:?}"
        );
        assert!(!t.contains("\u{1b}[31mred") && !t.contains('\u{202e}'));
        assert!(t.contains("pwned") && t.contains("<script>alert(1)</script>"));
        // Without colour there is no escape character at all.
        assert_eq!(t.contains('\u{1b}'), color);
    }
}

/// A flood of ghost calls is summarised in the terminal; JSON keeps every call.
#[test]
fn long_call_lists_are_cut_in_the_terminal_only() {
    let mut a = svmap_port_forward();
    let template = a.ghost_calls[0].clone();
    a.ghost_calls = (0..40)
        .map(|i| ghostguard_engine::analysis::GhostCall {
            time: ts(1_000 + i),
            ..template.clone()
        })
        .collect();
    let text = show(&a, Format::Text, Lang::En);
    assert!(text.contains("… and 25 more"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&show(&a, Format::Json, Lang::En)).unwrap();
    assert_eq!(json["ghost_calls"].as_array().unwrap().len(), 40);
    let nl = show(&a, Format::Text, Lang::Nl);
    assert!(nl.contains("… en nog 25"), "{nl}");
}
