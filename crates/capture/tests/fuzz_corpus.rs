//! Replays the cargo-fuzz corpus of every fuzz target on stable (CI has no
//! nightly and no libFuzzer), plus deterministic cuts and byte flips of every
//! corpus file. Each target's entry point is the library function its
//! `fuzz/fuzz_targets/*.rs` one-liner calls; none may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// A fuzz target: its name, its entry point, the least number of corpus files.
type Target = (&'static str, fn(&[u8]), usize);

const TARGETS: [Target; 4] = [
    ("parse_message", ghostguard_sip::fuzz_entry, 100),
    ("frame_stream", ghostguard_sip::fuzz_frame_entry, 1),
    ("decode_frames", ghostguard_packet::fuzz_decode, 5),
    ("read_capture", ghostguard_capture::fuzz_read, 5),
];

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn run(entry: fn(&[u8]), what: &str, data: &[u8]) {
    assert!(
        std::panic::catch_unwind(|| entry(data)).is_ok(),
        "{what}: panicked on {} bytes",
        data.len()
    );
}

#[test]
fn every_corpus_replays() {
    for (target, entry, least) in TARGETS {
        let files = corpus(target);
        assert!(
            files.len() >= least,
            "{target}: corpus has only {} files",
            files.len()
        );
        for (name, data) in &files {
            run(entry, &format!("{target}/{name}"), data);
        }
    }
}

#[test]
fn corpus_cuts_and_flips_never_panic() {
    for (target, entry, _) in TARGETS {
        for (name, data) in corpus(target) {
            let n = data.len();
            for k in 1..24 {
                let cut = n * k / 24;
                run(
                    entry,
                    &format!("{target}/{name} cut at {cut}"),
                    &data[..cut],
                );
                let mut flipped = data.clone();
                let at = cut.min(n.saturating_sub(1));
                if let Some(b) = flipped.get_mut(at) {
                    *b ^= 0x5a ^ (k as u8);
                }
                run(entry, &format!("{target}/{name} flip at {at}"), &flipped);
            }
        }
    }
}
