//! Crash safety (SQLite): a child process records incidents and prints an
//! ack after each `record_incident` returned `Ok`; the parent `kill -9`s it
//! at an arbitrary point and checks that every acked row is in the file
//! when it is opened again. Three rounds on one file, so reopening after a
//! crash (WAL recovery) is exercised too.
//!
//! The child is this test binary again, running the `#[ignore]`d
//! `child_writer` test with `GHOSTGUARD_CRASH_URL` set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghostguard_store::{IncidentQuery, NewIncident, Store, StoreOptions};

const URL_VAR: &str = "GHOSTGUARD_CRASH_URL";
const ROUND_VAR: &str = "GHOSTGUARD_CRASH_ROUND";
const T0: i64 = 1_700_000_000_000;
/// Bound: the child stops by itself after this many writes or seconds.
const MAX_WRITES: u32 = 100_000;
const MAX_SECS: u64 = 60;

fn new_incident(round: u32, i: u32) -> NewIncident {
    NewIncident {
        site: "crash".into(),
        source: format!("192.0.2.{}", i % 250 + 1).parse().unwrap(),
        kind: "scanner".into(),
        detector: "signature".into(),
        code: format!("r{round}-{i}"),
        confidence: 90,
        evidence: format!(r#"{{"i":{i}}}"#),
        first_seen: T0 + i64::from(i),
        last_seen: T0 + i64::from(i),
        count: 1,
        internal: false,
        mac: None,
        vendor: None,
    }
}

/// The child: writes until killed, printing `ACK <i> <id>` after each commit.
#[tokio::test]
#[ignore = "run by sqlite_acked_writes_survive_kill_9 as a child process"]
async fn child_writer() {
    let url = std::env::var(URL_VAR).expect("the child needs GHOSTGUARD_CRASH_URL");
    let round: u32 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let start = Instant::now();
    for i in 0..MAX_WRITES {
        let r = store
            .record_incident(&new_incident(round, i))
            .await
            .unwrap();
        println!("ACK {i} {}", r.id);
        if start.elapsed() > Duration::from_secs(MAX_SECS) {
            break;
        }
    }
}

#[tokio::test]
async fn sqlite_acked_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let exe = std::env::current_exe().unwrap();
    let mut expected = Vec::new();
    for (round, kill_after) in [(0u32, 40usize), (1, 173), (2, 411)] {
        let mut child = Command::new(&exe)
            .args([
                "child_writer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(URL_VAR, &url)
            .env(ROUND_VAR, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acks = Vec::new();
        let mut killed = false;
        while let Some(Ok(line)) = lines.next() {
            if let Some(rest) = line.strip_prefix("ACK ") {
                let (i, id) = rest.split_once(' ').unwrap();
                acks.push((i.parse::<u32>().unwrap(), id.parse::<i64>().unwrap()));
            }
            if !killed && acks.len() >= kill_after {
                child.kill().unwrap(); // SIGKILL
                killed = true;
            }
        }
        let status = child.wait().unwrap();
        assert!(killed, "child ended before {kill_after} acks: {status:?}");
        eprintln!(
            "round {round}: {} acks in {:?} before SIGKILL",
            acks.len(),
            started.elapsed()
        );
        // Reading went on to EOF: acks still in the pipe count too.
        assert!(acks.len() >= kill_after);
        expected.extend(acks.into_iter().map(|(i, id)| (round, i, id)));

        let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
        for &(r, i, id) in &expected {
            let got = store
                .incident(id)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("acked row r{r}-{i} (id {id}) lost after kill -9"));
            assert_eq!(got.code, format!("r{r}-{i}"));
        }
        // The child writes one row at a time, so what survives a kill is a
        // prefix of each round's writes: rows 0..n with no gap and no
        // duplicate, n at least the acked count. (How many commits were in
        // flight unacked when the kill landed depends on scheduling.)
        let mut by_round: Vec<Vec<u32>> = vec![Vec::new(); round as usize + 1];
        let mut offset = 0;
        loop {
            let page = store
                .incidents(&IncidentQuery {
                    limit: 1_000,
                    offset,
                    ..IncidentQuery::default()
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            offset += page.len() as u64;
            for inc in page {
                let (r, i) = inc.code[1..].split_once('-').unwrap();
                by_round[r.parse::<usize>().unwrap()].push(i.parse().unwrap());
            }
        }
        for (r, rows) in by_round.iter_mut().enumerate() {
            rows.sort_unstable();
            let acked = expected
                .iter()
                .filter(|(er, _, _)| *er as usize == r)
                .count();
            assert!(
                rows.iter().copied().eq(0..rows.len() as u32),
                "round {r}: stored rows are not a prefix of the writes: {rows:?}"
            );
            assert!(
                rows.len() >= acked,
                "round {r}: {} rows, {acked} acked",
                rows.len()
            );
        }
        store.close().await;
    }
}
