//! What is still held in TCP reassembly when the capture ends is analysed
//! too: a message behind a gap that never filled must not vanish.

use std::io::Write;

use ghostguard_capture::write::PcapWriter;
use ghostguard_packet::{LinkType, Timestamp, synth};

fn invite(call: &str) -> Vec<u8> {
    format!(
        "INVITE sip:100@192.168.77.20 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.66:5060;branch=z9hG4bK-{call}\r\nFrom: \"sipvicious\"<sip:100@1.1.1.1>;tag=x{call}\r\nTo: <sip:100@192.168.77.20>\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn messages_behind_a_tcp_gap_are_analysed_at_end_of_input() {
    let a = "203.0.113.66:40000".parse().unwrap();
    let c = "192.168.77.20:5060".parse().unwrap();
    let (m1, lost, m3) = (invite("111111"), invite("222222"), invite("333333"));
    let seq2 = 1 + m1.len() as u32;
    let seq3 = seq2 + lost.len() as u32;
    let frames = [
        synth::tcp(a, c, 0, synth::SYN, b""),
        synth::tcp(a, c, 1, synth::ACK, &m1),
        // The second message is never captured; the third waits behind the gap.
        synth::tcp(a, c, seq3, synth::ACK, &m3),
    ];
    let dir = std::env::temp_dir().join(format!("gg-eoi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gap.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::Raw).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write(Timestamp::from_parts(1_763_800_000 + i as i64, 0), f)
            .unwrap();
    }
    w.into_inner().flush().unwrap();
    for threads in ["1", "2"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ghostguard"))
            .args(["analyze", "--format", "json", "--threads", threads])
            .arg(&path)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["summary"]["messages"], 2,
            "--threads {threads}: {json:#}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
