//! Contract: any text-like input (words in every case, implicit spaces, Unicode, control bytes) decodes to exactly itself.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::round_trip_text(data));
