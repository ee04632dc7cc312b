//! Link/IP/UDP/TCP decoding, defragmentation, reassembly and HEP over many frames.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ghostguard_packet::fuzz_decode(data));
