//! The stream framer over arbitrary bytes; asserts it always makes progress.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ghostguard_sip::fuzz_frame_entry(data));
