//! Throws random and mutated input at the parser's fuzz entry points (the
//! corpus replay for every target is in `crates/capture/tests/fuzz_corpus.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ghostguard_sip::framer::{Framed, frame};
use ghostguard_sip::{
    MAX_HEADERS, MAX_MESSAGE_LEN, ParseError, fuzz_entry, fuzz_frame_entry, parse,
};
use proptest::prelude::*;

// The corpus files themselves are replayed by
// `crates/capture/tests/fuzz_corpus.rs`, which covers every fuzz target.

/// The framer's promises, checked on one buffer.
fn check_framer(buf: &[u8]) {
    match frame(buf) {
        Framed::Message(n) => {
            assert!(n > 0 && n <= buf.len());
            // Whatever frames also parses: same start-line test, same scanner.
            match parse(&buf[..n]) {
                Ok(_) | Err(ParseError::TooManyHeaders { .. }) => {}
                Err(e) => panic!("framed {n} bytes that do not parse: {e}"),
            }
        }
        Framed::KeepAlive(n) | Framed::Invalid(n) => assert!(n > 0 && n <= buf.len()),
        Framed::Incomplete => assert!(buf.len() < MAX_MESSAGE_LEN),
    }
}

/// What a successful parse promises about its spans.
fn check_message(buf: &[u8]) {
    let Ok(m) = parse(buf) else { return };
    let range = buf.as_ptr_range();
    let inside = |s: &[u8]| s.is_empty() || (range.contains(&s.as_ptr()) && s.len() <= buf.len());
    assert!(inside(m.body()));
    assert!(m.header_count() <= MAX_HEADERS);
    for h in m.headers() {
        assert!(inside(h.raw_name) && inside(h.raw_value));
        assert!(!h.raw_name.is_empty());
        assert!(m.header(h.name).is_some(), "{} not found by name", h.name);
    }
    let _ = m.defects();
}

const SEEDS: &[&[u8]] = &[
    include_bytes!("../../../testdata/sip/rfc4475-3.1.1.1-wsinv.sip"),
    include_bytes!("../../../testdata/sip/rfc4475-3.1.1.2-intmeth.sip"),
    include_bytes!("../../../testdata/sip/rfc4475-3.1.1.7-longreq.sip"),
    include_bytes!("../../../testdata/sip/rfc4475-3.1.1.11-mpart01.sip"),
    include_bytes!("../../../testdata/sip/rfc4475-3.3.8-multi01.sip"),
    include_bytes!("../../../testdata/sip/rfc5118-4.7-mult-ip-in-header.sip"),
];

/// An edit applied to a seed message.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop::sample::select(b"\r\n:;,<>\"\\@[]% \t\x00\xff=?/".to_vec());
    prop_oneof![
        (
            any::<usize>(),
            prop_oneof![interesting.clone(), any::<u8>()]
        )
            .prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), prop::collection::vec(interesting, 1..8))
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Replace(i, b) if !v.is_empty() => {
                let i = i % v.len();
                v[i] = *b;
            }
            Edit::Replace(..) => {}
            Edit::Insert(i, bytes) => {
                let i = at(*i, v.len());
                v.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let i = at(*i, v.len());
                let end = (i + n).min(v.len());
                v.drain(i..end);
            }
            Edit::Truncate(i) => {
                let i = at(*i, v.len());
                v.truncate(i);
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_entry(&data);
        fuzz_frame_entry(&data);
        check_framer(&data);
        check_message(&data);
    }

    #[test]
    fn mutated_messages_never_panic(
        seed in prop::sample::select(SEEDS.to_vec()),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let data = apply(seed, &edits);
        fuzz_entry(&data);
        fuzz_frame_entry(&data);
        check_framer(&data);
        check_message(&data);
    }

    #[test]
    fn concatenated_messages_frame_one_by_one(
        picks in prop::collection::vec(prop::sample::select(SEEDS.to_vec()), 1..5),
        keepalive in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        for p in &picks {
            stream.extend_from_slice(p);
            if keepalive {
                stream.extend_from_slice(b"\r\n\r\n");
            }
        }
        // Every seed's Content-Length matches its body, so framing the stream
        // yields the seeds back (RFC 3261 §18.3).
        let mut rest = &stream[..];
        let mut got = Vec::new();
        while !rest.is_empty() {
            match frame(rest) {
                Framed::Message(n) => { got.push(&rest[..n]); rest = &rest[n..]; }
                Framed::KeepAlive(n) => rest = &rest[n..],
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(got, picks);
    }
}
