//! pcap/pcapng/gzip reading, then decoding and SIP parsing of every frame.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ghostguard_capture::fuzz_read(data));
