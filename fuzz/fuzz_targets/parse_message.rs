//! `ghostguard_sip::parse` plus every typed accessor and the SDP reader.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ghostguard_sip::fuzz_entry(data));
