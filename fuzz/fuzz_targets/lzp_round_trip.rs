//! Contract: any block, packed by LZP with any minimum match and sample rate, unpacks to exactly itself.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::lzp_round_trip(data));
