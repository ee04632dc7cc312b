//! The JSON contract: the model's fields all present, remedies worded,
//! steps ordered, meta added.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use ghostguard_engine::Analysis;
use ghostguard_report::{Format, Lang};
use serde_json::Value;

fn json(a: &Analysis, lang: Lang) -> Value {
    serde_json::from_str(&show(a, Format::Json, lang)).unwrap()
}

#[test]
fn snapshots() {
    insta::assert_snapshot!(
        "nothing_found_json",
        show(&nothing_found(), Format::Json, Lang::En)
    );
    insta::assert_snapshot!(
        "svmap_port_forward_json",
        show(&svmap_port_forward(), Format::Json, Lang::En)
    );
    insta::assert_snapshot!(
        "infected_host_json",
        show(&infected_host(), Format::Json, Lang::En)
    );
    insta::assert_snapshot!(
        "alg_rewrite_json",
        show(&alg_rewrite(), Format::Json, Lang::En)
    );
}

#[test]
fn contract_fields_are_present() {
    let v = json(&svmap_port_forward(), Lang::En);
    for k in [
        "sources",
        "ghost_calls",
        "causes",
        "summary",
        "timeline",
        "phones",
        "trusted",
        "ghostguard",
        "inputs",
        "decode",
        "steps",
    ] {
        assert!(v.get(k).is_some(), "top-level {k} missing");
    }
    for k in [
        "address",
        "malicious",
        "kinds",
        "internal",
        "mac",
        "vendor",
        "evidence",
        "first_seen",
        "last_seen",
        "messages",
    ] {
        assert!(v["sources"][0].get(k).is_some(), "sources[].{k} missing");
    }
    for k in ["phone", "source", "caller", "time", "answered"] {
        assert!(
            v["ghost_calls"][0].get(k).is_some(),
            "ghost_calls[].{k} missing"
        );
    }
    for k in ["cause", "confidence", "evidence", "remedies"] {
        assert!(v["causes"][0].get(k).is_some(), "causes[].{k} missing");
    }
    assert_eq!(v["ghostguard"]["version"], "0.1.0");
    assert_eq!(v["inputs"][0]["path"], "office.pcapng");
    assert_eq!(v["decode"]["sip"], 1180);
    assert_eq!(
        v["sources"][0]["evidence"][0]["args"]["target"],
        "203.0.113.7:5060"
    );
    assert_eq!(v["ghost_calls"][0]["time"], "2026-11-20T14:02:00.000Z");
}

#[test]
fn remedies_carry_id_and_text() {
    let v = json(&svmap_port_forward(), Lang::En);
    assert_eq!(v["causes"][0]["cause"], "port-forward");
    let r = &v["causes"][0]["remedies"][0];
    assert_eq!(r["id"], "remove-port-forward");
    assert!(
        r["text"]
            .as_str()
            .unwrap()
            .contains("port forward, DMZ host and UPnP mapping that points to 192.168.1.20:5060")
    );
    let steps = v["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "remove-port-forward",
            "firewall-provider-only",
            "phone-trusted-servers-only",
            "change-sip-port"
        ]
    );
    assert_eq!(
        steps[2]["causes"],
        serde_json::json!(["port-forward", "open-phone"])
    );
    let nl = json(&alg_rewrite(), Lang::Nl);
    assert_eq!(nl["causes"][0]["remedies"][0]["id"], "disable-sip-alg");
    assert!(
        nl["causes"][0]["remedies"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Zet SIP ALG uit")
    );
    assert_eq!(nl["ghostguard"]["lang"], "nl");
}

/// Every key the model serialises is in the report, at the same place.
fn contains_all(model: &Value, report: &Value, path: &str) {
    match (model, report) {
        (Value::Object(m), Value::Object(r)) => {
            for (k, mv) in m {
                let rv = r.get(k).unwrap_or_else(|| panic!("{path}.{k} dropped"));
                contains_all(mv, rv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(m), Value::Array(r)) => {
            assert_eq!(m.len(), r.len(), "{path} length");
            for (i, (mv, rv)) in m.iter().zip(r).enumerate() {
                contains_all(mv, rv, &format!("{path}[{i}]"));
            }
        }
        // Remedy ids became {id, text}.
        (Value::String(id), Value::Object(r)) if path.contains(".remedies[") => {
            assert_eq!(r["id"], *id)
        }
        (m, r) => assert_eq!(m, r, "{path}"),
    }
}

#[test]
fn nothing_of_the_model_is_dropped() {
    for a in [
        nothing_found(),
        svmap_port_forward(),
        infected_host(),
        alg_rewrite(),
        hostile(),
    ] {
        let model = serde_json::to_value(&a).unwrap();
        contains_all(&model, &json(&a, Lang::Nl), "");
    }
}

#[test]
fn hostile_strings_round_trip() {
    let a = hostile();
    let v = json(&a, Lang::En);
    assert_eq!(v["ghost_calls"][0]["display"], "<script>alert(1)</script>");
    assert_eq!(
        v["ghost_calls"][0]["caller"],
        "\u{1b}[2J\u{1b}]0;pwned\u{7}100"
    );
    let raw = show(&a, Format::Json, Lang::En);
    assert!(
        !raw.contains('\u{1b}'),
        "control characters are escaped in JSON"
    );
}

#[test]
fn abuse_without_a_cause_still_gets_a_step() {
    let mut a = svmap_port_forward();
    a.causes.clear();
    a.ghost_calls.clear();
    let v = json(&a, Lang::En);
    assert_eq!(v["steps"][0]["id"], "firewall-provider-only");
    assert_eq!(v["steps"][0]["causes"], serde_json::json!([]));
    assert_eq!(v["steps"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        json(&nothing_found(), Lang::En)["steps"],
        serde_json::json!([])
    );
}
