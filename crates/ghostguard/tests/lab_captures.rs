//! `ghostguard analyze` against the real lab captures in `testdata/lab`.
//!
//! Every `<name>.truth.toml` there (written by the lab scenario from what it
//! did, see `testdata/lab/README.md`) is checked against the JSON report of
//! `<name>.pcap`, and a stable digest of each report is snapshotted. A new
//! capture with its truth file is picked up without touching this file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::{Value, json};

/// The keys of a truth file that the checks use; the others are ignored.
#[derive(Debug, Deserialize)]
struct Truth {
    malicious: Vec<String>,
    benign: Vec<String>,
    #[serde(default)]
    kinds: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    phones: Vec<String>,
    ghost_calls_min: usize,
    #[serde(default)]
    causes: Vec<String>,
    infected_mac: Option<String>,
    alg: Option<bool>,
}

/// One lab capture: its name, pcap and ground truth.
struct Capture {
    name: String,
    pcap: PathBuf,
    truth: Truth,
}

fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lab")
}

/// Every `*.truth.toml` in the lab directory with its pcap, sorted by name.
/// Panics when there are none, or when a truth file has no capture.
fn captures() -> Vec<Capture> {
    let dir = lab_dir();
    let mut out: Vec<Capture> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let file = path.file_name()?.to_str()?;
            let name = file.strip_suffix(".truth.toml")?.to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let truth: Truth = toml::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: invalid truth file: {e}", path.display()));
            let pcap = dir.join(format!("{name}.pcap"));
            assert!(
                pcap.is_file(),
                "{} has no {}",
                path.display(),
                pcap.display()
            );
            Some(Capture { name, pcap, truth })
        })
        .collect();
    assert!(
        !out.is_empty(),
        "no *.truth.toml found in {}",
        dir.display()
    );
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn ghostguard(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ghostguard"))
        .arg("analyze")
        .arg(file)
        .args(["--no-progress", "--color", "never"])
        .args(args)
        .output()
        .expect("cannot run ghostguard")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `analyze --format json`: the exit code and the parsed report.
fn analyze_json(file: &Path) -> (Option<i32>, Value, String) {
    analyze_json_threads(file, 1)
}

/// `analyze --format json --threads N`.
fn analyze_json_threads(file: &Path, threads: u32) -> (Option<i32>, Value, String) {
    let threads = threads.to_string();
    let out = ghostguard(&["--format", "json", "--threads", &threads], file);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: stdout is not JSON ({e}); stderr: {}",
            file.display(),
            stderr(&out)
        )
    });
    (out.status.code(), report, stderr(&out))
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn strings(v: &Value, key: &str) -> BTreeSet<String> {
    arr(v, key)
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn same_ip(a: &str, b: &str) -> bool {
    match (ip(a), ip(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

fn source<'a>(report: &'a Value, address: &str) -> Option<&'a Value> {
    arr(report, "sources")
        .iter()
        .find(|s| same_ip(str_of(s, "address"), address))
}

fn is_malicious(v: &Value) -> bool {
    v.get("malicious").and_then(Value::as_bool) == Some(true)
}

fn cause<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    arr(report, "causes")
        .iter()
        .find(|c| str_of(c, "cause") == name)
}

/// The `args` objects of a cause's evidence.
fn evidence_args(cause: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    arr(cause, "evidence")
        .iter()
        .filter_map(|e| e.get("args").and_then(Value::as_object))
}

/// Every way the report disagrees with the truth (empty when it agrees).
fn mismatches(truth: &Truth, code: Option<i32>, report: &Value) -> Vec<String> {
    let mut bad = Vec::new();

    let want_code = if truth.malicious.is_empty() && truth.ghost_calls_min == 0 {
        0
    } else {
        1
    };
    if code != Some(want_code) {
        bad.push(format!("exit code: expected {want_code}, got {code:?}"));
    }

    for a in &truth.malicious {
        match source(report, a) {
            None => bad.push(format!("malicious {a}: not among the sources")),
            Some(s) if !is_malicious(s) => {
                bad.push(format!("malicious {a}: reported with malicious: false"));
            }
            Some(_) => {}
        }
    }
    for a in &truth.benign {
        if source(report, a).is_some_and(is_malicious) {
            bad.push(format!("benign {a}: reported as malicious"));
        }
    }
    for s in arr(report, "sources").iter().filter(|s| is_malicious(s)) {
        let a = str_of(s, "address");
        if !truth.malicious.iter().any(|m| same_ip(m, a)) {
            bad.push(format!(
                "{a}: reported malicious (kinds {:?}) but the truth does not list it",
                strings(s, "kinds")
            ));
        }
    }

    for (a, want) in &truth.kinds {
        let got = source(report, a)
            .map(|s| strings(s, "kinds"))
            .unwrap_or_default();
        let missing: Vec<&String> = want.iter().filter(|k| !got.contains(*k)).collect();
        if !missing.is_empty() {
            bad.push(format!("{a}: kinds {got:?} lack {missing:?}"));
        }
    }

    let ghosts = arr(report, "ghost_calls");
    if ghosts.len() < truth.ghost_calls_min {
        bad.push(format!(
            "ghost calls: expected at least {}, got {}",
            truth.ghost_calls_min,
            ghosts.len()
        ));
    }
    for g in ghosts {
        let (src, phone) = (str_of(g, "source"), str_of(g, "phone"));
        if !truth.malicious.iter().any(|m| same_ip(m, src)) {
            bad.push(format!(
                "ghost call to {phone} from {src}, not a malicious source"
            ));
        }
        if !truth.phones.iter().any(|p| same_ip(p, phone)) {
            bad.push(format!(
                "ghost call from {src} to {phone}, not one of the phones {:?}",
                truth.phones
            ));
        }
    }

    let got_causes: BTreeSet<&str> = arr(report, "causes")
        .iter()
        .map(|c| str_of(c, "cause"))
        .collect();
    for c in &truth.causes {
        if !got_causes.contains(c.as_str()) {
            bad.push(format!("cause {c}: missing (got {got_causes:?})"));
        }
    }
    let rang = ghosts
        .iter()
        .any(|g| g.get("rang").and_then(Value::as_bool) == Some(true));
    for c in &got_causes {
        let allowed = truth.causes.iter().any(|t| t == c) || (*c == "open-phone" && rang);
        if !allowed {
            bad.push(format!(
                "cause {c}: reported but not in the truth {:?}",
                truth.causes
            ));
        }
    }

    if let Some(mac) = &truth.infected_mac {
        let by_mac = arr(report, "sources")
            .iter()
            .find(|s| str_of(s, "mac").eq_ignore_ascii_case(mac));
        match by_mac {
            None => bad.push(format!("infected MAC {mac}: no source has it")),
            Some(s) if !is_malicious(s) => bad.push(format!(
                "infected MAC {mac}: source {} is not malicious",
                str_of(s, "address")
            )),
            Some(_) => {}
        }
        let named = cause(report, "infected-host").is_some_and(|c| {
            evidence_args(c).any(|args| {
                args.values()
                    .any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(mac)))
            })
        });
        if !named {
            bad.push(format!(
                "infected MAC {mac}: no infected-host cause whose evidence names it"
            ));
        }
    }

    if truth.alg == Some(true) && !got_causes.contains("sip-alg") {
        bad.push("alg = true but no sip-alg cause".to_string());
    }
    if truth.causes.iter().any(|c| c == "sip-alg") {
        let fields: BTreeSet<String> = cause(report, "sip-alg")
            .into_iter()
            .flat_map(evidence_args)
            .filter_map(|args| args.get("fields").and_then(Value::as_str))
            .flat_map(|f| f.split(',').map(|s| s.trim().to_string()))
            .collect();
        for want in ["Via", "Contact"] {
            if !fields.contains(want) {
                bad.push(format!(
                    "sip-alg: rewritten fields {fields:?} do not name {want}"
                ));
            }
        }
    }
    bad
}

/// The truth holds for the single-threaded run and the sharded one.
#[test]
fn lab_captures_match_truth() {
    let mut report = String::new();
    let caps = captures();
    for cap in &caps {
        for threads in [1, 2] {
            let (code, json, err) = analyze_json_threads(&cap.pcap, threads);
            let bad = mismatches(&cap.truth, code, &json);
            if bad.is_empty() {
                continue;
            }
            let _ = writeln!(
                report,
                "\n{} --threads {threads} ({} mismatches):",
                cap.name,
                bad.len()
            );
            for b in &bad {
                let _ = writeln!(report, "  - {b}");
            }
            if !err.trim().is_empty() {
                let _ = writeln!(report, "  stderr: {}", err.trim());
            }
        }
    }
    assert!(
        report.is_empty(),
        "ghostguard analyze disagrees with the lab truth ({} captures checked):{report}",
        caps.len()
    );
}

/// The checker itself finds each kind of disagreement (so a passing
/// `lab_captures_match_truth` means something).
#[test]
fn truth_checker_reports_every_mismatch() {
    let pcap = lab_dir().join("lan-infected-svmap.pcap");
    let (code, report, _) = analyze_json(&pcap);
    let wrong = Truth {
        malicious: vec!["192.168.77.20".into(), "203.0.113.99".into()],
        benign: vec!["192.168.77.30".into()],
        kinds: BTreeMap::from([("192.168.77.20".into(), vec!["bruteforce".into()])]),
        phones: vec!["192.168.77.99".into()],
        ghost_calls_min: 5,
        causes: vec!["sip-alg".into()],
        infected_mac: Some("00:00:5e:00:53:01".into()),
        alg: Some(true),
    };
    let bad = mismatches(&wrong, code, &report).join("\n");
    for want in [
        "malicious 192.168.77.20: reported with malicious: false",
        "malicious 203.0.113.99: not among the sources",
        "benign 192.168.77.30: reported as malicious",
        "192.168.77.30: reported malicious",
        "192.168.77.20: kinds",
        "ghost calls: expected at least 5, got 1",
        "not a malicious source",
        "not one of the phones",
        "cause sip-alg: missing",
        "cause infected-host: reported but not in the truth",
        "infected MAC 00:00:5e:00:53:01: no source has it",
        "no infected-host cause whose evidence names it",
        "alg = true but no sip-alg cause",
        "do not name Via",
    ] {
        assert!(
            bad.contains(want),
            "checker missed {want:?}; it said:\n{bad}"
        );
    }
    let clean = Truth {
        malicious: vec![],
        benign: vec![],
        kinds: BTreeMap::new(),
        phones: vec![],
        ghost_calls_min: 0,
        causes: vec![],
        infected_mac: None,
        alg: None,
    };
    let bad = mismatches(&clean, code, &report).join("\n");
    assert!(
        bad.contains("exit code: expected 0, got Some(1)"),
        "checker missed the exit code; it said:\n{bad}"
    );
    assert!(
        !bad.contains("cause open-phone"),
        "open-phone is allowed when a ghost call rang:\n{bad}"
    );
}

/// The parts of a report that depend only on the capture and the detection
/// logic: no times, no evidence lists, no per-source message counts.
fn digest(report: &Value) -> Value {
    let sorted = |v: &Value, key: &str| strings(v, key).into_iter().collect::<Vec<_>>();
    let mut sources: Vec<Value> = arr(report, "sources")
        .iter()
        .map(|s| {
            json!({
                "address": s["address"],
                "malicious": s["malicious"],
                "kinds": sorted(s, "kinds"),
                "internal": s["internal"],
                "trusted": s["trusted"],
                "mac": s["mac"],
                "vendor": s["vendor"],
                "tools": sorted(s, "tools"),
            })
        })
        .collect();
    sources.sort_by_key(|s| ip(str_of(s, "address")));

    // Identical calls (a flood of the same INVITE) collapse into one entry.
    let mut calls: BTreeMap<String, (Value, u64)> = BTreeMap::new();
    for g in arr(report, "ghost_calls") {
        let key = json!({
            "phone": g["phone"],
            "source": g["source"],
            "caller": g["caller"],
            "display": g["display"],
            "rang": g["rang"],
            "answered": g["answered"],
        });
        calls.entry(key.to_string()).or_insert((key, 0)).1 += 1;
    }
    let ghost_calls: Vec<Value> = calls
        .into_values()
        .map(|(mut k, n)| {
            k["count"] = n.into();
            k
        })
        .collect();

    let mut causes: Vec<Value> = arr(report, "causes")
        .iter()
        .map(|c| json!({ "cause": c["cause"], "confidence": c["confidence"] }))
        .collect();
    causes.sort_by(|a, b| str_of(a, "cause").cmp(str_of(b, "cause")));

    let mut phones: Vec<Value> = arr(report, "phones")
        .iter()
        .map(|p| json!({ "address": p["address"], "registrar": p["registrar"] }))
        .collect();
    phones.sort_by_key(|p| ip(str_of(p, "address")));

    let summary = &report["summary"];
    json!({
        "summary": {
            "messages": summary["messages"],
            "ghost_calls": summary["ghost_calls"],
            "malicious_sources": summary["malicious_sources"],
        },
        "sources": sources,
        "phones": phones,
        "ghost_calls": ghost_calls,
        "causes": causes,
    })
}

#[test]
fn lab_capture_snapshots() {
    let mut failed = Vec::new();
    for cap in captures() {
        // The sharded engine must write the very same report (README:
        // byte-identical), not just reach the same verdicts.
        let (_, sharded, _) = analyze_json_threads(&cap.pcap, 2);
        let (_, json, _) = analyze_json(&cap.pcap);
        let digest = digest(&json);
        if sharded != json {
            eprintln!(
                "{}: --threads 2 differs from --threads 1:\n{:#}\nvs\n{json:#}",
                cap.name, sharded
            );
            failed.push(format!("{} (--threads 2)", cap.name));
        }
        let name = cap.name.clone();
        // Check every capture before failing, so one run shows all diffs.
        if catch_unwind(AssertUnwindSafe(|| {
            insta::assert_json_snapshot!(name, digest);
        }))
        .is_err()
        {
            failed.push(cap.name);
        }
    }
    assert!(failed.is_empty(), "snapshots differ for: {failed:?}");
}

/// A capture with ghost calls, used for the output-format tests.
fn ghost_capture() -> PathBuf {
    lab_dir().join("portforward-svmap.pcap")
}

const PHONE: &str = "192.168.77.20";

#[test]
fn english_and_dutch_text_reports() {
    let en = ghostguard(&[], &ghost_capture());
    assert_eq!(en.status.code(), Some(1), "stderr: {}", stderr(&en));
    let text = stdout(&en);
    for want in ["Ghost calls found", "Ghost calls per phone", PHONE] {
        assert!(text.contains(want), "English text lacks {want:?}:\n{text}");
    }

    // The phrases of verdict-ghost and heading-ghost-calls in
    // crates/report/locales/nl/report.ftl.
    let nl = ghostguard(&["--lang", "nl"], &ghost_capture());
    assert_eq!(nl.status.code(), Some(1), "stderr: {}", stderr(&nl));
    let text = stdout(&nl);
    for want in [
        "Spookgesprekken gevonden",
        "Spookgesprekken per toestel",
        PHONE,
    ] {
        assert!(text.contains(want), "Dutch text lacks {want:?}:\n{text}");
    }
    assert!(
        !text.contains("Ghost calls"),
        "Dutch text has English headings:\n{text}"
    );
}

/// What an attack achieved comes first in "what to do": the guessed
/// password (naming the account) before the firewall step; toll-fraud
/// dialling gets its own step.
#[test]
fn a_guessed_password_and_toll_fraud_come_first_in_the_plan() {
    let (_, json, err) = analyze_json(&lab_dir().join("svcrack-registrar.pcap"));
    let ids: Vec<&str> = arr(&json, "steps")
        .iter()
        .map(|s| str_of(s, "id"))
        .collect();
    assert_eq!(
        ids,
        ["change-guessed-password", "firewall-provider-only"],
        "{err}"
    );
    let first = str_of(&arr(&json, "steps")[0], "text");
    assert!(first.contains("2002"), "the account is named: {first}");

    let hep = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/capture/hep3.pcap");
    let (_, json, err) = analyze_json(&hep);
    let ids: Vec<&str> = arr(&json, "steps")
        .iter()
        .map(|s| str_of(s, "id"))
        .collect();
    assert_eq!(ids.first(), Some(&"check-toll-fraud"), "{ids:?} {err}");
}

#[test]
fn html_report_is_a_full_document() {
    let out = ghostguard(&["--format", "html"], &ghost_capture());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let html = stdout(&out);
    let start = html.trim_start().to_ascii_lowercase();
    assert!(start.starts_with("<!doctype html>"), "no doctype:\n{html}");
    for want in ["<html", "<head>", "<title>", "<body>", "</body>", PHONE] {
        assert!(html.contains(want), "HTML lacks {want:?}");
    }
    assert!(html.trim_end().ends_with("</html>"), "HTML is not closed");
}

/// Offsets of the records of a classic pcap file (after the 24-byte header).
fn pcap_records(data: &[u8]) -> Vec<usize> {
    let little = match data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("not a classic pcap file"),
    };
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= data.len() {
        let b: [u8; 4] = data[at + 8..at + 12].try_into().unwrap();
        let caplen = if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        };
        out.push(at);
        at += 16 + caplen as usize;
    }
    out
}

#[test]
fn truncated_capture_reports_offset_and_what_was_read() {
    let _ = check_truncated_capture(1);
}

/// The sharded engine: reading stops at the cut, the workers finish what
/// they got, and the report and exit code are the same.
#[test]
fn truncated_capture_with_threads() {
    assert_eq!(check_truncated_capture(2), check_truncated_capture(1));
}

/// Checks the report of a capture cut mid-record; returns its message count.
fn check_truncated_capture(threads: u32) -> u64 {
    let data = std::fs::read(lab_dir().join("portforward-svwar.pcap")).unwrap();
    let records = pcap_records(&data);
    // Cut in the middle of a record halfway through the file.
    let index = records.len() / 2;
    let (cut_record, next) = (records[index], records[index + 1]);
    let cut = cut_record + 16 + (next - cut_record - 16) / 2;
    assert!(cut > cut_record + 16 && cut < next);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lab-truncated-{threads}.pcap"));
    std::fs::write(&path, &data[..cut]).unwrap();

    let (code, json, err) = analyze_json_threads(&path, threads);
    assert_eq!(code, Some(2), "stderr: {err}");
    assert!(
        err.contains(&format!("lab-truncated-{threads}.pcap"))
            && err.contains(&format!("byte {cut_record}")),
        "stderr should name the file and byte offset {cut_record} of the cut record: {err}"
    );
    let input = &arr(&json, "inputs")[0];
    assert!(
        input["error"].is_string(),
        "inputs[0].error is not set: {input}"
    );
    assert_eq!(
        input["frames"],
        json!(index),
        "the report should cover the {index} whole frames before the cut"
    );
    let messages = json["summary"]["messages"].as_u64().unwrap_or(0);
    assert!(messages > 0, "no SIP messages reported before the cut");
    messages
}

/// `analyze` on a file it cannot read: exit 2 and a stderr line that says
/// which file and why.
fn assert_unreadable(path: &Path, why: &str) {
    let out = ghostguard(&[], path);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        err.contains(name.as_ref()) && err.contains(why),
        "stderr should name {name} and say {why:?}: {err}"
    );
}

#[test]
fn missing_file_exits_2_with_a_message() {
    assert_unreadable(&lab_dir().join("no-such-capture.pcap"), "No such file");
}

#[test]
fn non_capture_file_exits_2_with_a_message() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    assert_unreadable(&path, "unknown capture format");
}
