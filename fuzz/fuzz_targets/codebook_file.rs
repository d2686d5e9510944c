//! Contract: arbitrary bytes read as a codebook file fail with a `CodebookError` or write back to exactly those bytes, never panicking.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::codebook_file(data));
