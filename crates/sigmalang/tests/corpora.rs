//! Round trips of real text: every Canterbury file and a few megabytes of the shared corpora.

use sigmalang::codebook::{Codebook, KeyLearner};
use sigmalang::format::{FrameHeader, StreamHeader};
use sigmalang::frame::Method;
use sigmalang::glyph::GlyphType;
use sigmalang::qlfc::{self, QlfcParams};
use sigmalang::{decode_all, encode_all, DecoderOptions, EncoderOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

fn round_trip(data: &[u8], options: &EncoderOptions) -> usize {
    let stream = encode_all(data, options);
    let back = decode_all(&stream, DecoderOptions::default().threads(2)).unwrap();
    assert!(back == data, "round trip differs");
    stream.len()
}

#[test]
fn canterbury_files_round_trip() {
    let mut seen = 0;
    for dir in ["canterbury/cantrbry", "canterbury/large"] {
        let Ok(entries) = std::fs::read_dir(corpora().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let packed = round_trip(&data, &EncoderOptions::default().threads(2));
            assert!(
                packed <= data.len() + 256,
                "{} expanded to {packed}",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(
        seen >= 14,
        "expected the Canterbury corpus under {}",
        corpora().display()
    );
}

#[test]
fn corpus_slices_round_trip_and_compress() {
    for (name, min_ratio) in [("text-100m.txt", 3.3), ("mixed-100m.txt", 3.0)] {
        let data = std::fs::read(corpora().join(name)).unwrap();
        // Three megabytes from the middle, where no book starts cleanly.
        let slice = &data[data.len() / 2..data.len() / 2 + (3 << 20)];
        let packed = round_trip(
            slice,
            &EncoderOptions::default().frame_size(1 << 20).threads(2),
        );
        let ratio = slice.len() as f64 / packed as f64;
        assert!(ratio > min_ratio, "{name}: ratio {ratio:.3}");
    }
}

#[test]
fn large_frames_of_prose_are_coded_over_the_codebook() {
    // Over the codebook every codebook word a frame uses is a REFERENCE, however rare; without
    // it a word is one only if the frame has it often enough (at levels 1-6 the bank threshold,
    // at levels 7-9 twice). The frames are larger than the 1 MiB that are coded both ways.
    let data = std::fs::read(corpora().join("text-100m.txt")).unwrap();
    let references = |level, len, codebook| {
        let slice = &data[..len];
        let options = EncoderOptions::default()
            .level(level)
            .frame_size(len as u64)
            .threads(2)
            .codebook(codebook);
        let mut encoder = sigmalang::write::Encoder::with_options(Vec::new(), &options);
        encoder.write_all(slice).unwrap();
        let (stream, stats) = encoder.finish_with_stats().unwrap();
        assert_eq!(stats.frames, 1);
        let back = decode_all(&stream, DecoderOptions::default().threads(2)).unwrap();
        assert!(back == slice, "level {level}: round trip differs");
        stats.glyphs[GlyphType::Reference as usize]
    };
    for (level, len) in [(5, 9 << 20), (7, 3 << 19), (8, 3 << 19)] {
        let over_codebook = references(level, len, Some(Codebook::english()));
        let alone = references(level, len, None);
        assert!(
            over_codebook > alone + alone / 100,
            "level {level}: {over_codebook} references over the codebook, {alone} without"
        );
    }
}

#[test]
fn workers_taking_turns_make_the_one_thread_stream() {
    // Frames above `pipeline::FREE_FRAME_SIZE` (16 MiB) make two workers take turns through
    // their suffix sorts and inverse transforms; the bytes must not depend on it. Level 1
    // keeps the test quick: the gate does not depend on the stage.
    let data = std::fs::read(corpora().join("mixed-100m.txt")).unwrap();
    let slice = &data[..35 << 20];
    let options = EncoderOptions::default().level(1).frame_size(17 << 20);
    let one = encode_all(slice, &options.clone().threads(1));
    let two = encode_all(slice, &options.threads(2));
    assert!(one == two, "-T1 and -T2 streams differ");
    let back = decode_all(&two, DecoderOptions::default().threads(2)).unwrap();
    assert!(back == slice, "round trip differs");
}

#[test]
fn the_recurrence_coder_s_parts_make_the_same_stream_on_any_thread_count() {
    // 6 MB of each corpus is one frame at level 5, whose block (over 1 MiB) goes to the
    // recurrence coder in two parts: on a lent core at -T2 (also when a memory limit leaves one
    // worker for two cores), one after the other at -T1.
    for (file, offset) in [("text-100m.txt", 0), ("mixed-100m.txt", 50_000_000)] {
        let data = std::fs::read(corpora().join(file)).unwrap();
        let slice = &data[offset..offset + 6_000_000];
        let options = EncoderOptions::default()
            .level(5)
            .size_hint(slice.len() as u64);
        let one = encode_all(slice, &options.clone().threads(1));
        let two = encode_all(slice, &options.clone().threads(2));
        assert!(one == two, "{file}: -T1 and -T2 streams differ");
        let one_worker = options.threads(2).memory_limit(1 << 20);
        assert_eq!(one_worker.effective_threads(), 1);
        assert!(
            encode_all(slice, &one_worker) == two,
            "{file}: -T2 with one worker differs"
        );
        let (header, at) = StreamHeader::parse(&two).unwrap().unwrap();
        let (frame, len) = FrameHeader::parse(&two[at..], header.max_frame_size)
            .unwrap()
            .unwrap();
        assert_eq!(frame.method, Method::RecurrenceRevised, "{file}");
        assert!(
            two[at + len] & 8 != 0,
            "{file}: the block is coded in parts"
        );
        assert_eq!(frame.decoded_size, slice.len() as u64, "{file}: one frame");
        // The last: one worker (a frame of 6 MB needs 72 MiB) for two threads.
        let two_threads = DecoderOptions::default().threads(2);
        for options in [
            DecoderOptions::default().threads(1),
            two_threads.clone(),
            two_threads.memory_limit(100 << 20),
        ] {
            let back = decode_all(&two, options.clone()).unwrap();
            assert!(back == slice, "{file}: round trip differs with {options:?}");
        }
    }
}

#[test]
fn modelling_a_rank_s_low_bits_past_the_third_gains_nothing_on_text_and_fewer_lose() {
    // The second revision's default (three of a rank's low bits modelled, the rest coded at
    // 1/2) against the first's (all of them) and against fewer, on the BWT of real text.
    let data = std::fs::read(corpora().join("canterbury/cantrbry/alice29.txt")).unwrap();
    let (block, _) = sigmalang::bwt::forward(data);
    let size = |modelled_rank_bits: u8| {
        let params = QlfcParams {
            modelled_rank_bits,
            ..QlfcParams::default()
        };
        let code = qlfc::encode(&block, params, Vec::new());
        let mut back = Vec::new();
        assert!(qlfc::decode(&code, block.len(), params, &mut back));
        assert!(back == block, "{modelled_rank_bits}: round trip differs");
        code.len()
    };
    let (none, one, three, all) = (size(0), size(1), size(3), size(7));
    assert!(
        none > one && one > three && three <= all + all / 500,
        "{none} {one} {three} {all}"
    );
}

/// The built-in English codebook is what `scripts/train-english-codebook.sh` makes: every word
/// seen twice in the last 20,000,000 bytes of text-100m.txt (up to 65,536), id 1. Streams name it by
/// its hash, so the committed file must never drift from its recipe.
#[test]
fn the_english_codebook_is_reproducible() {
    use sigmalang::codebook::{Codebook, Trainer, DEFAULT_ENTRIES, ENGLISH_ID};
    let text = std::fs::read(corpora().join("text-100m.txt")).unwrap();
    let mut trainer = Trainer::new();
    for piece in text[text.len() - 20_000_000..].chunks(1 << 20) {
        trainer.feed(piece);
    }
    let trained = trainer.finish(DEFAULT_ENTRIES).with_id(ENGLISH_ID);
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("codebooks/english.sigmacb"))
            .unwrap();
    assert!(
        trained.to_bytes() == committed,
        "the training recipe changed"
    );
    assert_eq!(*Codebook::english(), trained);
}

/// The built-in codebook's keys are what `scripts/train-english-codebook.sh` makes from the
/// same text (`examples/make_codebook_keys.rs`): frames in payload mode 3 take its entries in
/// their order, so the committed file must never drift from its recipe either.
#[test]
fn the_english_codebook_keys_are_reproducible() {
    let text = std::fs::read(corpora().join("text-100m.txt")).unwrap();
    let english = Codebook::english();
    let mut learner = KeyLearner::new(&english);
    // In pieces, as `sigma train` reads its samples: a token cut between two is counted once.
    for piece in text[text.len() - 20_000_000..].chunks(1 << 20) {
        learner.feed(piece);
    }
    let keys = learner.finish();
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("codebooks/english.keys"))
            .unwrap();
    let bytes: Vec<u8> = keys.iter().flat_map(|key| key.to_le_bytes()).collect();
    assert!(bytes == committed, "the keys' recipe changed");
    assert_eq!(english.keys(), Some(&keys[..]));
}
