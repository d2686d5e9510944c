//! Contract: a codebook trained on any text, with keys or without, round-trips any text exactly, and a decoder without it refuses the stream with `Error::Codebook`.
#![no_main]

#[path = "../contracts.rs"]
mod contracts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| contracts::trained_codebook(data));
