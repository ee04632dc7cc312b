//! Every detector has a page in `docs/detectors/`, and the page carries the
//! detector's own `//!` block (attack, signals, defaults, false positives,
//! references), so code and docs cannot drift apart.
//!
//! Regenerate the pages after editing a detector's doc block:
//! `GHOSTGUARD_BLESS=1 cargo test -p ghostguard-engine --test detector_docs`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

const DETECTORS: &[(&str, &str, &str)] = &[
    (
        "signature",
        "src/detector/signature.rs",
        "Signatures (rules file)",
    ),
    (
        "structure",
        "src/detector/structure.rs",
        "Structural fingerprints",
    ),
    (
        "enumeration",
        "src/detector/enumeration.rs",
        "Extension enumeration",
    ),
    (
        "bruteforce",
        "src/detector/bruteforce.rs",
        "Password guessing",
    ),
    ("flood", "src/detector/flood.rs", "Request floods"),
    ("sweep", "src/detector/sweep.rs", "Address and port sweeps"),
    (
        "toll-fraud",
        "src/detector/tollfraud.rs",
        "Toll-fraud dialling",
    ),
    ("ghost-call", "src/ghost.rs", "Ghost calls"),
    (
        "exposure",
        "src/cause/exposure.rs",
        "Exposure (port forward)",
    ),
    ("sip-alg", "src/cause/alg.rs", "SIP ALG rewriting"),
    ("loop", "src/cause/loops.rs", "Looping traffic"),
    ("trust", "src/trust.rs", "Trusted servers and phones"),
];

fn doc_block(src: &str) -> String {
    src.lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            l.trim_start_matches("//!")
                .strip_prefix(' ')
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn page(name: &str, title: &str, file: &str, doc: &str) -> String {
    format!(
        "# {title} (`{name}`)\n\n<!-- generated from crates/engine/{file}; edit the source and run\n     GHOSTGUARD_BLESS=1 cargo test -p ghostguard-engine --test detector_docs -->\n\n{doc}\n\nThresholds are set in the engine config (`[thresholds]`, see\n`docs/configuration.md`); evidence appears in the report under the\ndetector name `{name}`.\n"
    )
}

#[test]
fn every_running_detector_is_listed() {
    let engine = ghostguard_engine::Engine::new(
        Default::default(),
        ghostguard_engine::Rules::default_rules().unwrap(),
    )
    .unwrap();
    for name in engine.detector_names() {
        assert!(
            DETECTORS.iter().any(|(n, _, _)| *n == name),
            "detector `{name}` has no docs page entry"
        );
    }
}

#[test]
fn every_detector_has_a_current_page() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let docs = root.join("../../docs/detectors");
    let bless = std::env::var_os("GHOSTGUARD_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, file, title) in DETECTORS {
        let src = std::fs::read_to_string(root.join(file)).unwrap();
        let doc = doc_block(&src);
        assert!(doc.len() > 200, "{file} has no real //! block");
        let want = page(name, title, file, &doc);
        let path = docs.join(format!("{name}.md"));
        if bless {
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing detector pages (regenerate with GHOSTGUARD_BLESS=1): {stale:?}"
    );
}
