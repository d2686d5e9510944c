//! The contracts the fuzz targets check, shared with the replay test
//! (`crates/sigmalang/tests/fuzz_replay.rs`) so that every saved crash input is re-checked by
//! `cargo test` without cargo-fuzz.

#![allow(dead_code)]

use sigmalang::codebook::{Codebook, KeyLearner, Trainer};
use sigmalang::frame::{self, max_decoded_size, Method};
use sigmalang::recover::{recover, LostRange};
use sigmalang::{
    decode_all, encode_all, into_error, write, DecoderOptions, EncoderOptions, SeekIndex,
};
use std::io::{Cursor, Write};

/// Memory the decoder may use on fuzz input (bounds what a hostile header can make it allocate).
const FUZZ_MEMORY: u64 = 64 << 20;

/// Largest context-model table a fuzzed payload may ask for (its tables then take a few MiB).
const PAYLOAD_CONTEXT_LOG: u8 = 12;

/// Any payload under any method, its checksums taken as good, decodes to exactly the size its
/// frame declares or fails with a `PayloadError`: never a panic. The first byte picks the
/// method and whether the stream names the English codebook, the next two the declared size
/// (within the expansion bound, as a frame header's is).
pub fn decode_payload(data: &[u8]) {
    let [selector, lo, hi, payload @ ..] = data else {
        return;
    };
    let method = Method::from_byte(selector % 0x80 % 10).expect("methods 0 to 9 exist");
    let english = Codebook::english();
    let codebook = (selector & 0x80 != 0).then_some(&*english);
    let declared = usize::from(u16::from_le_bytes([*lo, *hi])).max(1);
    if declared as u64 > max_decoded_size(payload.len() as u64) {
        return;
    }
    let mut out = Vec::new();
    if frame::decode(
        method,
        payload,
        declared,
        PAYLOAD_CONTEXT_LOG,
        codebook,
        &mut out,
    )
    .is_ok()
    {
        assert!(out.len() == declared, "a payload decoded to another size");
    }
}

/// Arbitrary bytes into every decoding entry point: never a panic, never unbounded memory.
pub fn decode_arbitrary(data: &[u8]) {
    let _ = decode_all(data, DecoderOptions::default().memory_limit(FUZZ_MEMORY));
    let _ = SeekIndex::read(&mut Cursor::new(data));
}

/// Bytes written to `write::Decoder`, in pieces of 1 to 256 bytes as the first byte picks,
/// decode to what `read::Decoder` gives for them: the same bytes, or the same error.
pub fn decode_pushed(data: &[u8]) {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let options = DecoderOptions::default().memory_limit(FUZZ_MEMORY);
    let read = decode_all(stream, options.clone());
    let mut decoder = write::Decoder::with_options(Vec::new(), options);
    let pushed = stream
        .chunks(usize::from(selector) + 1)
        .try_for_each(|piece| decoder.write_all(piece))
        .and_then(|()| decoder.finish())
        .map_err(into_error);
    match (read, pushed) {
        (Ok(a), Ok(b)) => assert!(a == b, "write::Decoder decoded other bytes"),
        (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (a, b) => panic!("read::Decoder: {a:?}, write::Decoder: {b:?}"),
    }
}

fn options_from(selector: u8) -> EncoderOptions {
    let options = EncoderOptions::default()
        .frame_size(1024 << (selector % 6))
        .threads(1 + usize::from(selector >> 7))
        .level(1 + selector % 9);
    // Without a codebook the frame's own bank takes every code (and is ordered differently).
    match selector & 0x40 {
        0 => options,
        _ => options.codebook(None),
    }
}

/// Any bytes survive encode → decode exactly. The first byte picks frame size, threads, level
/// and whether to use the codebook.
pub fn round_trip_bytes(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let stream = encode_all(body, &options_from(selector));
    let back = decode_all(&stream, DecoderOptions::default()).expect("a fresh stream decodes");
    assert!(back == body, "round trip changed the data");
}

/// Builds text-like input (words in all cases, spaces, punctuation, Unicode, control bytes) from
/// fuzz bytes, so the word transform's paths are exercised far more than by random bytes.
pub fn text_from(data: &[u8]) -> Vec<u8> {
    const PIECES: [&str; 32] = [
        "the", "The", "THE", "of", "and", "a", "I", "naïve", "Zoë", "ÉTÉ", "McDonald", "x", " ",
        " ", "  ", "\n", "\r\n", "\t", ",", ".", "—", "“", "”", "’", "42", "1999", "\u{0}",
        "\u{1}", "\u{4}", "\u{7f}", "日本", "q",
    ];
    let mut out = Vec::new();
    for &b in data {
        match b >> 5 {
            0..=5 => out.extend_from_slice(PIECES[(b & 31) as usize].as_bytes()),
            6 => out.push(b'a' + (b & 15)),
            _ => out.push(b.wrapping_mul(37)),
        }
    }
    out
}

/// Text-like input survives encode → decode exactly.
pub fn round_trip_text(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let text = text_from(body);
    let stream = encode_all(&text, &options_from(selector));
    let back = decode_all(&stream, DecoderOptions::default()).expect("a fresh stream decodes");
    assert!(back == text, "round trip changed the text");
}

/// Splits fuzz input into content and a list of (position, xor) mutations.
fn content_and_mutations(data: &[u8]) -> (Vec<u8>, Vec<(usize, u8)>) {
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let (mutations, content) = data.split_at(split);
    let mutations = mutations
        .chunks_exact(3)
        .map(|m| (usize::from(u16::from_le_bytes([m[0], m[1]])), m[2] | 1))
        .collect();
    (text_from(content), mutations)
}

/// A valid stream with bytes changed decodes to the exact original or fails: never different
/// bytes with success.
pub fn decode_mutated(data: &[u8]) {
    let (text, mutations) = content_and_mutations(data);
    let mut stream = encode_all(&text, &EncoderOptions::default().frame_size(1024));
    for &(pos, xor) in &mutations {
        let len = stream.len();
        stream[pos % len] ^= xor;
    }
    if let Ok(back) = decode_all(&stream, DecoderOptions::default().memory_limit(FUZZ_MEMORY)) {
        assert!(
            back == text,
            "a damaged stream decoded to different bytes without an error"
        );
    }
}

/// The original with the reported ranges cut out.
pub fn original_minus(original: &[u8], lost: &[LostRange]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0usize;
    for r in lost {
        // An unknown start can only follow an unknown end, so it changes nothing here.
        let start = r.start.map_or(at, |s| s as usize).min(original.len());
        out.extend_from_slice(&original[at.min(start)..start]);
        at = r.end.map_or(original.len(), |e| e as usize);
    }
    out.extend_from_slice(&original[at.min(original.len())..]);
    out
}

/// The recovery scanner never panics on arbitrary bytes, and on a damaged valid stream returns
/// the original minus exactly the ranges it reports lost.
pub fn recover_scanner(data: &[u8]) {
    let options = DecoderOptions::default();
    let _ = recover(data, std::io::sink(), &options, |_| {});
    let (text, mutations) = content_and_mutations(data);
    let mut stream = encode_all(&text, &EncoderOptions::default().frame_size(1024));
    for &(pos, xor) in &mutations {
        let len = stream.len();
        stream[pos % len] ^= xor;
    }
    let mut out = Vec::new();
    let summary =
        recover(&stream[..], &mut out, &options, |_| {}).expect("writing to a Vec cannot fail");
    assert!(
        out == original_minus(&text, &summary.lost),
        "recovered bytes differ from the original minus the lost ranges"
    );
}

/// Arbitrary bytes read as a codebook file either fail with a `CodebookError` or give a
/// codebook that writes back to exactly those bytes: never a panic.
pub fn codebook_file(data: &[u8]) {
    if let Ok(book) = Codebook::from_bytes(data) {
        assert!(
            book.to_bytes() == data,
            "a codebook file did not write back the same"
        );
    }
}

/// A codebook trained on any text, with keys learned from it or without, codes any text
/// losslessly, and only a decoder that has it can decode the stream. The first byte splits the
/// input into sample and content; its low bit says whether to learn keys, the next one whether
/// to code at level 1 (where frames of any size take the keys) or the default level.
pub fn trained_codebook(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (sample, content) = rest.split_at(usize::from(split).min(rest.len()));
    let sample = text_from(sample);
    let mut trainer = Trainer::new();
    trainer.feed(&sample);
    let mut book = trainer.finish(64);
    if book.is_empty() {
        return;
    }
    if split & 1 == 1 {
        let mut learner = KeyLearner::new(&book);
        learner.feed(&sample);
        let keys = learner.finish();
        book = book
            .with_keys(keys)
            .expect("learned keys fit their codebook");
    }
    let book = std::sync::Arc::new(book);
    let text = text_from(content);
    let options = EncoderOptions::default()
        .level(if split & 2 == 2 { 1 } else { 6 })
        .frame_size(1024)
        .codebook(Some(book.clone()));
    let stream = encode_all(&text, &options);
    let with = DecoderOptions::default().codebook(book);
    let back = decode_all(&stream, with).expect("a fresh stream decodes with its codebook");
    assert!(
        back == text,
        "round trip over a trained codebook changed the text"
    );
    assert!(
        matches!(
            decode_all(&stream, DecoderOptions::default()),
            Err(sigmalang::Error::Codebook { .. })
        ),
        "a decoder without the codebook did not refuse the stream"
    );
}

/// The LZP parameters and declared length a fuzz input starts with: escape, minimum match,
/// sample rate and a 16-bit length.
fn lzp_params_from(head: [u8; 4]) -> (sigmalang::lzp::LzpParams, usize) {
    let [escape, min_len, sample, len] = head;
    let params = sigmalang::lzp::LzpParams {
        escape,
        min_len: min_len.max(sigmalang::lzp::LzpParams::MIN_MATCH),
        hash_log: 10,
        sample_log: sample % (sigmalang::lzp::LzpParams::MAX_SAMPLE_LOG + 1),
    };
    (params, usize::from(len) * 64)
}

/// Any bytes unpacked as an LZP block come to exactly the declared length or fail with
/// `BadLzp`: never a panic, never more output than declared.
pub fn lzp_unpack(data: &[u8]) {
    let [a, b, c, d, packed @ ..] = data else {
        return;
    };
    let (params, len) = lzp_params_from([*a, *b, *c, *d]);
    let mut out = Vec::new();
    let result = sigmalang::lzp::decode(packed, params, len, &mut out, None);
    assert!(out.len() <= len, "unpacking wrote past the declared length");
    if result.is_ok() {
        assert!(out.len() == len, "unpacking ended short but succeeded");
    }
}

/// Any block, packed with any minimum match and sample rate, unpacks to itself. The first
/// byte picks the minimum match, the second the sample rate.
pub fn lzp_round_trip(data: &[u8]) {
    let [min_len, sample, block @ ..] = data else {
        return;
    };
    let policy = sigmalang::lzp::LzpPolicy {
        min_len: *min_len,
        sample_log: *sample,
        min_block: 0,
        trial_saving_256ths: 0,
    };
    let Some((params, packed)) = sigmalang::lzp::encode(block, policy) else {
        return;
    };
    let mut out = Vec::new();
    sigmalang::lzp::decode(&packed, params, block.len(), &mut out, None)
        .expect("a packed block unpacks");
    assert!(out == block, "LZP round trip changed the block");
}
