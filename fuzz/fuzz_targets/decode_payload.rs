//! Contract: any payload under any method, its checksums taken as good, decodes to exactly its declared size or fails with a `PayloadError`, never panicking.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::decode_payload(data));
