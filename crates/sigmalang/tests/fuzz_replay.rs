//! Replays every saved fuzz input (crashes copied to `fuzz/regressions/<target>/`, any fresh
//! `fuzz/artifacts/<target>/*`, and the seeds in `fuzz/seeds/<target>/`)
//! through the same contract as its fuzz target, so `cargo test` keeps them fixed without
//! needing cargo-fuzz.

#[path = "../../../fuzz/contracts.rs"]
mod contracts;

use std::path::Path;

fn replay(target: &str, contract: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut count = 0;
    for dir in ["regressions", "artifacts", "seeds"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            contract(&data);
            count += 1;
        }
    }
    assert!(count > 0, "no saved inputs for {target}");
}

#[test]
fn decode_arbitrary() {
    replay("decode_arbitrary", contracts::decode_arbitrary);
}

#[test]
fn decode_pushed() {
    replay("decode_pushed", contracts::decode_pushed);
}

#[test]
fn round_trip_bytes() {
    replay("round_trip_bytes", contracts::round_trip_bytes);
}

#[test]
fn round_trip_text() {
    replay("round_trip_text", contracts::round_trip_text);
}

#[test]
fn decode_mutated() {
    replay("decode_mutated", contracts::decode_mutated);
}

#[test]
fn decode_payload() {
    replay("decode_payload", contracts::decode_payload);
}

#[test]
fn recover_scanner() {
    replay("recover_scanner", contracts::recover_scanner);
}

#[test]
fn codebook_file() {
    replay("codebook_file", contracts::codebook_file);
}

#[test]
fn trained_codebook() {
    replay("trained_codebook", contracts::trained_codebook);
}

#[test]
fn lzp_unpack() {
    replay("lzp_unpack", contracts::lzp_unpack);
}

#[test]
fn lzp_round_trip() {
    replay("lzp_round_trip", contracts::lzp_round_trip);
}
