//! Contract: a valid stream with bytes changed either fails to decode or decodes to the exact original: never different bytes with success.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::decode_mutated(data));
