//! Contract: arbitrary bytes fed to the decoder and the seek-index reader never panic, never hang, and never allocate more than the decoder's memory limit.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::decode_arbitrary(data));
