//! The HTML report: self-contained, escaped, with the timeline chart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ghostguard_report::{Format, Lang};

#[test]
fn network_strings_are_escaped() {
    let h = show(&hostile(), Format::Html, Lang::En);
    assert!(!h.contains("<script"), "a script tag got through");
    assert!(!h.contains("<img"), "an img tag got through");
    assert!(!h.contains("</li><script>"));
    assert!(
        h.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "caller ID not shown escaped"
    );
    assert!(h.contains("&#60;img src=x onerror=alert(2)&#62;"));
    // Quotes from a User-Agent cannot close an attribute.
    assert!(!h.contains("\"quoted\"") && !h.contains("'single'"));
    assert!(
        h.contains("&#34;quoted&#34; &#39;single&#39;"),
        "quotes not escaped"
    );
    // Control and bidi characters are not passed to the browser either.
    assert!(!h.contains('\u{1b}') && !h.contains('\u{7}') && !h.contains('\u{202e}'));
    assert!(h.contains("pwned"));
}

#[test]
fn page_is_self_contained() {
    for a in [
        nothing_found(),
        svmap_port_forward(),
        infected_host(),
        hostile(),
    ] {
        let h = show(&a, Format::Html, Lang::Nl);
        for bad in [
            "<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import", "url(",
            "xlink:",
        ] {
            assert!(!h.contains(bad), "found {bad:?}");
        }
        // A URL may appear only as text (here: the hostile User-Agent),
        // never as something the browser would fetch.
        for (i, _) in h.match_indices("http") {
            let before = &h[i.saturating_sub(8)..i];
            assert!(
                !before.contains('=') && !before.contains('"') && !before.contains('('),
                "{before}http"
            );
        }
    }
    let clean = show(&svmap_port_forward(), Format::Html, Lang::En);
    assert!(!clean.contains("http://") && !clean.contains("https://"));
    assert!(!clean.contains(" src=") && !clean.contains(" href=") && !clean.contains("<a "));
}

#[test]
fn phone_friendly_and_language_tagged() {
    let h = show(&infected_host(), Format::Html, Lang::Nl);
    assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"nl\">"));
    assert!(h.contains("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
    assert!(h.contains("<h2>Wat te doen</h2>"));
    assert!(h.contains("Zoek 192.168.1.66 (MAC b8:27:eb:12:34:56, Raspberry Pi Foundation) op"));
    let en = show(&infected_host(), Format::Html, Lang::En);
    assert!(en.contains("<html lang=\"en\">") && en.contains("<h2>What to do</h2>"));
}

#[test]
fn timeline_chart_draws_requests_sources_and_calls() {
    let a = svmap_port_forward();
    let h = show(&a, Format::Html, Lang::En);
    let svg = &h[h.find("<svg").unwrap()..h.find("</svg>").unwrap()];
    let bars = a.timeline.requests.iter().filter(|n| **n > 0).count();
    assert_eq!(svg.matches("class=\"hist\"").count(), bars);
    assert_eq!(
        svg.matches("class=\"src\"").count(),
        2,
        "one bar per malicious source"
    );
    assert!(svg.contains(">192.0.2.66</text>") && svg.contains(">192.0.2.44</text>"));
    assert_eq!(
        svg.matches("class=\"call\"").count(),
        3,
        "one marker per ghost call"
    );
    let title = "<title>ghost call 14:02:00 192.0.2.66 → 192.168.1.20: &#34;sipvicious&#34; &#60;100&#62;</title>";
    assert!(svg.contains(title), "{svg}");
    // Attacks at 14:02 and 14:05 of a 10-minute capture on a 120..790 axis.
    assert!(svg.contains("<line class=\"call\" x1=\"254.0\""), "{svg}");
    assert!(svg.contains("<rect class=\"src\" x=\"455.0\""), "{svg}");
    let none = show(&alg_rewrite(), Format::Html, Lang::En);
    let svg = &none[none.find("<svg").unwrap()..];
    assert_eq!(svg.matches("class=\"src\"").count(), 0);
    assert_eq!(svg.matches("class=\"call\"").count(), 0);
}

#[test]
fn an_empty_capture_renders_in_every_format() {
    let engine = ghostguard_engine::Engine::new(
        ghostguard_engine::EngineConfig::default(),
        ghostguard_engine::Rules::default_rules().unwrap(),
    )
    .unwrap();
    let a = engine.finish();
    for lang in [Lang::En, Lang::Nl] {
        let h = show(&a, Format::Html, lang);
        assert!(!h.contains("<svg"), "no chart without a time axis");
        assert!(h.trim_end().ends_with("</html>"));
        let t = show(&a, Format::Text, lang);
        assert!(
            t.contains("Nothing found") || t.contains("Niets gevonden"),
            "{t}"
        );
        let j: serde_json::Value = serde_json::from_str(&show(&a, Format::Json, lang)).unwrap();
        assert_eq!(j["steps"], serde_json::json!([]));
        assert!(j["summary"]["first_seen"].is_null());
    }
}
