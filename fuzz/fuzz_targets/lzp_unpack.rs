//! Contract: any bytes unpacked as an LZP block, with any parameters and declared length, come to exactly that length or fail with `BadLzp`, never panicking and never writing past it.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::lzp_unpack(data));
