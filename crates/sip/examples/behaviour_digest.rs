//! A digest of everything the parser's public API says about a large input
//! set: the pcap's UDP payloads, the fuzz corpus, the RFC 4475/5118 vectors
//! and deterministic random mutations of them. Two builds whose digests
//! match behave the same on all of it, so a speed change can be checked for
//! "no change in behaviour" by running this before and after it.
//!
//! `cargo run --release -p ghostguard-sip --example behaviour_digest [pcap] [messages] [mutations]`
//! from the workspace root (it reads `fuzz/corpus` and `testdata/sip`).
#![allow(clippy::expect_used)] // a tool may abort

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hasher};

use ghostguard_sip::{HeaderName, Params, framer, looks_like_sip, parse, sdp};

#[path = "support/pcap.rs"]
mod pcap;

/// Writes what every accessor returns for `data` (Debug forms).
fn describe(data: &[u8], out: &mut String) -> std::fmt::Result {
    write!(out, "{}|{:?}|", looks_like_sip(data), framer::frame(data))?;
    let m = match parse(data) {
        Ok(m) => m,
        Err(e) => return write!(out, "E{e:?}"),
    };
    write!(out, "{:?}{:?}{:?}", m.start(), m.body(), m.content_length())?;
    let ruri = m.request_uri();
    write!(out, "{ruri:?}")?;
    if let Some(u) = ruri {
        write!(out, "{:?}{:?}", u.user_unescaped(), u.param(b"transport"))?;
        write!(out, "{:?}{:?}", u.param(b"lr"), u.scheme_bytes())?;
    }
    for h in m.headers() {
        write!(out, "{h:?}{:?}", h.values().collect::<Vec<_>>())?;
    }
    for n in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::ContentLength,
        HeaderName::Other(b"x-a"),
        HeaderName::Other(b"VIA"),
    ] {
        write!(out, "{:?}{:?}", m.header(n), m.header_value(n))?;
        write!(out, "{}", m.headers_named(n).count())?;
    }
    write!(out, "{:?}{:?}", m.call_id(), m.cseq())?;
    write!(out, "{:?}{:?}", m.user_agent(), m.server())?;
    for na in [m.from(), m.to(), m.contact()] {
        write!(out, "{na:?}")?;
        if let Some(na) = na {
            write!(out, "{:?}{:?}", na.tag(), na.param(b"expires"))?;
            write!(out, "{:?}", na.uri.user_unescaped())?;
            write!(out, "{:?}", Params::new(na.params).collect::<Vec<_>>())?;
            write!(out, "{}", na.params_well_formed())?;
        }
    }
    for v in m.vias() {
        write!(out, "{v:?}{:?}{:?}", v.branch(), v.received())?;
        write!(out, "{:?}{:?}", v.received_addr(), v.rport())?;
        write!(out, "{:?}{}", v.host.ip(), v.params_well_formed())?;
    }
    write!(out, "{:?}{}", m.via(), m.has_credentials())?;
    write!(out, "{:?}{:?}", m.max_forwards(), m.expires())?;
    write!(out, "{:?}{}", m.defects(), m.structural_defects())?;
    let sdp = sdp::parse(m.body());
    write!(out, "{sdp:?}{:?}", sdp.connection.and_then(|c| c.ip()))?;
    for md in &sdp.media {
        write!(out, "{:?}", md.connection.and_then(|c| c.ip()))?;
    }
    Ok(())
}

/// xorshift64: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes that matter to the parser, so mutations hit its branches.
const SPECIAL: &[u8] = b" \t\r\n:;,<>\"@[]?=\\%/.0123456789sipSIPabc\x00\xff+-";

fn mutate(rng: &mut Rng, mut v: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        match rng.below(6) {
            0 => v[at] = SPECIAL[rng.below(SPECIAL.len())],
            1 => v.insert(at, SPECIAL[rng.below(SPECIAL.len())]),
            2 => {
                v.remove(at);
            }
            3 => v.truncate(at),
            4 => v[at] = rng.next() as u8,
            _ => {
                let end = (at + rng.below(8)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
        }
    }
    v
}

fn files_under(dir: &str, out: &mut Vec<Vec<u8>>) {
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&p)
                .expect("read a directory")
                .map(|e| e.expect("a directory entry").path())
                .collect();
            entries.sort();
            stack.extend(entries);
        } else {
            out.push(std::fs::read(&p).expect("read a file"));
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/bench-1m.pcap".into());
    let max: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mutations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let mut inputs = pcap::payloads(&path, max);
    files_under("fuzz/corpus", &mut inputs);
    files_under("testdata/sip", &mut inputs);
    let seeds = inputs.len();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..mutations {
        let seed = inputs[rng.below(seeds)].clone();
        inputs.push(mutate(&mut rng, seed));
    }
    let mut digest = DefaultHasher::new();
    let mut text = String::new();
    for input in &inputs {
        text.clear();
        describe(input, &mut text).expect("write to a String");
        digest.write(text.as_bytes());
    }
    println!(
        "{} inputs ({seeds} seeds), digest {:016x}",
        inputs.len(),
        digest.finish()
    );
}
