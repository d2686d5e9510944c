//! Contract: the recovery scanner never panics, and on a damaged stream returns the original minus exactly the ranges it reports lost.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::recover_scanner(data));
