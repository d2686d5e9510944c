//! Contract: bytes written to write::Decoder in pieces of any size give what read::Decoder gives for them: the same bytes or the same error.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::decode_pushed(data));
