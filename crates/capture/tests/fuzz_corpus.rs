//! Replays the cargo-fuzz corpus of `read_capture` on stable (CI has no nightly
//! and no libFuzzer), plus deterministic truncations and byte flips of every
//! corpus file: the same entry point must never panic.

use std::path::Path;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/read_capture");
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

fn run(name: &str, data: &[u8]) {
    if std::panic::catch_unwind(|| ghostguard_capture::fuzz_read(data)).is_err() {
        panic!("{name}: panicked on {} bytes", data.len());
    }
}

#[test]
fn corpus_replays() {
    let files = corpus();
    assert!(files.len() >= 5, "corpus has only {} files", files.len());
    for (name, data) in &files {
        run(name, data);
    }
}

#[test]
fn corpus_mutations_never_panic() {
    for (name, data) in corpus() {
        // Cut at a spread of offsets, and flip one byte at a spread of offsets.
        let n = data.len();
        for k in 1..24 {
            let cut = n * k / 24;
            run(&format!("{name} cut at {cut}"), &data[..cut]);
            let mut flipped = data.clone();
            let at = (n * k / 24).min(n.saturating_sub(1));
            if let Some(b) = flipped.get_mut(at) {
                *b ^= 0x5a ^ (k as u8);
            }
            run(&format!("{name} flip at {at}"), &flipped);
        }
    }
}
