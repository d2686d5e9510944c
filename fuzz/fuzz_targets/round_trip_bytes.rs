//! Contract: any byte string, encoded with any frame size, level and thread count, decodes to exactly itself.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::round_trip_bytes(data));
