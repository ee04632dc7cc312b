//! Tokens off the command line: `--token-file` for `diagnose` and
//! `reflector`, on loopback only (the reflector listens on 127.0.0.1, its
//! probe is off).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{BIN, Running as Reflector, free_port};

fn gg(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn token_file_errors_name_the_file_and_conflict_with_token() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.token");
    std::fs::write(&empty, "\n").unwrap();
    let missing = dir.path().join("missing.token");
    let (empty_s, missing_s) = (empty.to_str().unwrap(), missing.to_str().unwrap());

    let both = gg(&[
        "diagnose",
        "--reflector",
        "127.0.0.1",
        "--token",
        "x",
        "--token-file",
        empty_s,
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );

    for (file, says) in [(missing_s, "cannot read token file"), (empty_s, "is empty")] {
        let d = gg(&["diagnose", "--reflector", "127.0.0.1", "--token-file", file]);
        assert!(!d.status.success());
        assert!(
            stderr(&d).contains(says) && stderr(&d).contains(file),
            "diagnose: {}",
            stderr(&d)
        );
        let r = gg(&["reflector", "--check", "--token-file", file]);
        assert!(!r.status.success());
        assert!(
            stderr(&r).contains(says) && stderr(&r).contains(file),
            "reflector: {}",
            stderr(&r)
        );
    }
}

#[test]
fn diagnose_and_reflector_share_a_token_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let good = path("good.token", "lab-token-4711\n");
    let wrong = path("wrong.token", "not-the-token\n");
    let (main, alt) = (free_port(), free_port());
    let cfg = path(
        "reflector.toml",
        &format!(
            "[listen]\naddresses = [\"127.0.0.1\"]\nports = [{main}, {alt}]\n\
             [limits]\nrequests_per_second = 100.0\nburst = 100\n\
             [probe]\nenabled = false\n"
        ),
    );
    assert!(
        gg(&[
            "reflector",
            "--config",
            &cfg,
            "--check",
            "--token-file",
            &good
        ])
        .status
        .success()
    );
    let log = dir.path().join("reflector.log");
    let mut child = Reflector(
        Command::new(BIN)
            .args(["reflector", "--config", &cfg, "--token-file", &good])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let ready = format!("listening on tcp 127.0.0.1:{alt}");
    let start = Instant::now();
    let mut text = String::new();
    while !text.contains(&ready) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "reflector did not start: {text}"
        );
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "reflector exited: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
        text.clear();
        std::fs::File::open(&log)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
    }
    let diagnose = |token_file: &str| {
        let reflector = format!("127.0.0.1:{main}");
        let out = gg(&[
            "diagnose",
            "--reflector",
            &reflector,
            "--alt-port",
            &alt.to_string(),
            "--capture-seconds",
            "0",
            "--no-probe",
            "--timeout-ms",
            "1500",
            "--format",
            "json",
            "--token-file",
            token_file,
        ]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let accepted = diagnose(&good);
    assert!(
        accepted.contains("\"alg-unchanged\"") && !accepted.contains("wants a token"),
        "the reflector echoed with the token from the file:\n{accepted}"
    );
    let refused = diagnose(&wrong);
    assert!(
        refused.contains("wants a token") && !refused.contains("\"alg-unchanged\""),
        "a wrong token is refused:\n{refused}"
    );
}
