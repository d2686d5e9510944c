//! Round trips through the streaming adapters: any bytes, any split of writes and reads,
//! any thread count, and the corpora.

use proptest::prelude::*;
use sigmalang::frame::{self, CodecParams, Resources};
use sigmalang::{decode_all, encode_all, read, write, DecoderOptions, EncoderOptions};
use std::io::{BufRead, Read, Write};

/// Encodes as [`encode_all`] does (the size known up front), writing `piece` bytes at a time.
fn encode_in_pieces(data: &[u8], piece: usize, options: &EncoderOptions) -> Vec<u8> {
    let options = options.clone().size_hint(data.len() as u64);
    let mut encoder = write::Encoder::with_options(Vec::new(), &options);
    for chunk in data.chunks(piece.max(1)) {
        encoder.write_all(chunk).unwrap();
    }
    encoder.finish().unwrap()
}

/// A reader that hands out at most `limit` bytes per call, to exercise every split.
struct Trickle<'a> {
    data: &'a [u8],
    limit: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.limit).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn decode_in_pieces(stream: &[u8], piece: usize, threads: usize) -> Vec<u8> {
    let reader = std::io::BufReader::with_capacity(
        piece.max(1),
        Trickle {
            data: stream,
            limit: piece.max(1),
        },
    );
    let mut decoder =
        read::Decoder::with_options(reader, DecoderOptions::default().threads(threads));
    let mut out = Vec::new();
    let mut buf = vec![0u8; piece.max(1)];
    loop {
        let n = decoder.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn text_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => prop::sample::select(vec!["the", "The", "THE", "of", "and", "naïve", "Zoë", "x", "IBM", "McDonald"]).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(vec![" ", " ", "  ", "\n", "\r\n", "\t", ", ", ". ", "—", "“", "’"]).prop_map(|s| s.as_bytes().to_vec()),
        1 => "[a-zA-Z]{1,12}".prop_map(String::into_bytes),
        1 => "[0-9]{1,6}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 1..4),
        1 => Just(b"\x00\x01\x02\x03\x04\x05\x06\x07\x80\xff".to_vec()),
        1 => "\\PC{1,4}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(token, 0..400).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn arbitrary_bytes_round_trip(data in prop::collection::vec(any::<u8>(), 0..3000), frame in 1024u64..4096) {
        let options = EncoderOptions::default().frame_size(frame);
        let stream = encode_all(&data, &options);
        prop_assert_eq!(decode_all(&stream, DecoderOptions::default()).unwrap(), data);
    }

    #[test]
    fn text_like_round_trips(data in text_like(), frame in 1024u64..8192) {
        let options = EncoderOptions::default().frame_size(frame);
        let stream = encode_all(&data, &options);
        prop_assert_eq!(decode_all(&stream, DecoderOptions::default()).unwrap(), data);
    }

    #[test]
    fn output_is_independent_of_write_splits_and_threads(data in text_like(), piece in 1usize..700, threads in 1usize..4) {
        let options = EncoderOptions::default().frame_size(1024);
        let reference = encode_all(&data, &options);
        let split = encode_in_pieces(&data, piece, &options.clone().threads(threads));
        prop_assert_eq!(&split, &reference);
        prop_assert_eq!(decode_in_pieces(&reference, piece, threads), data);
    }
}

/// Reads all of `reader`, `piece` bytes at a time at most.
fn read_in_pieces(mut reader: impl Read, piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0; piece];
    loop {
        match reader.read(&mut buf).unwrap() {
            0 => return out,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn read_encoder_yields_the_write_encoders_stream(data in text_like(), piece in 1usize..700, threads in 1usize..3) {
        let options = EncoderOptions::default().frame_size(1024).threads(threads);
        let mut writer = write::Encoder::with_options(Vec::new(), &options);
        writer.write_all(&data).unwrap();
        let expected = writer.finish().unwrap();
        let stream = read_in_pieces(read::Encoder::with_options(Trickle { data: &data, limit: piece }, &options), piece);
        prop_assert_eq!(&stream, &expected);
        prop_assert_eq!(decode_all(&stream, DecoderOptions::default()).unwrap(), data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn read_decoder_hands_out_lines_across_frames(data in text_like(), frame in 1024u64..4096, threads in 1usize..3) {
        let stream = encode_all(&data, &EncoderOptions::default().frame_size(frame));
        let mut decoder =
            read::Decoder::with_options(&stream[..], DecoderOptions::default().threads(threads));
        let mut out = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = decoder.read_until(b'\n', &mut line).unwrap();
            if n == 0 {
                break;
            }
            // Every line is whole, a frame's end notwithstanding; only the last may lack its
            // newline.
            prop_assert!(line.ends_with(b"\n") || out.len() + n == data.len());
            out.extend_from_slice(&line);
        }
        prop_assert_eq!(out, data);
        prop_assert!(decoder.fill_buf().unwrap().is_empty());
    }
}

/// Decodes `stream` by writing it to a `write::Decoder`, `piece` bytes at a time, and checks
/// that every byte reached the writer before `finish`.
fn decode_by_writing(stream: &[u8], piece: usize, threads: usize) -> Vec<u8> {
    let options = DecoderOptions::default().threads(threads);
    let mut decoder = write::Decoder::with_options(Vec::new(), options);
    for chunk in stream.chunks(piece) {
        decoder.write_all(chunk).unwrap();
    }
    let before_finish = decoder.get_ref().len();
    let out = decoder.finish().unwrap();
    assert_eq!(before_finish, out.len(), "finish wrote decoded bytes");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn write_decoder_decodes_any_split_on_any_thread_count(data in text_like(), piece in 1usize..700, threads in 1usize..3, streams in 1usize..3) {
        let options = EncoderOptions::default().frame_size(1024);
        let stream = encode_all(&data, &options).repeat(streams);
        prop_assert_eq!(decode_by_writing(&stream, piece, threads), data.repeat(streams));
    }
}

#[test]
fn write_decoder_passes_each_frame_on_once_it_is_complete() {
    let text = "Every frame reaches the writer as soon as its payload has. ".repeat(200);
    let options = EncoderOptions::default().frame_size(1024);
    let stream = encode_all(text.as_bytes(), &options);
    let index = sigmalang::SeekIndex::read(&mut std::io::Cursor::new(&stream)).unwrap();
    assert!(index.frames.len() >= 4);
    for threads in [1, 2] {
        let options = DecoderOptions::default().threads(threads);
        let mut decoder = write::Decoder::with_options(Vec::new(), options);
        let mut written = 0;
        for frame in &index.frames {
            let end = (frame.file_offset + frame.frame_bytes) as usize;
            decoder.write_all(&stream[written..end]).unwrap();
            written = end;
            assert_eq!(
                decoder.get_ref().len() as u64,
                frame.content_offset + frame.decoded_size,
                "{threads} threads, frame {}",
                frame.index
            );
        }
        decoder.write_all(&stream[written..]).unwrap();
        assert_eq!(decoder.finish().unwrap(), text.as_bytes());
    }
}

#[test]
fn write_decoder_refuses_a_stream_cut_short_at_finish() {
    let stream = encode_all(b"cut short", &EncoderOptions::default());
    let mut decoder = write::Decoder::new(Vec::new());
    decoder.write_all(&stream[..stream.len() - 1]).unwrap();
    let error = sigmalang::into_error(decoder.finish().unwrap_err());
    assert!(
        matches!(
            error,
            sigmalang::Error::Truncated {
                inside: "in the stream trailer",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn read_encoder_passes_on_the_inner_readers_error() {
    struct FailsAfter<'a>(&'a [u8]);
    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "gone",
                ));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let text = "some text that is cut off ".repeat(100);
    let mut encoder = read::Encoder::new(FailsAfter(text.as_bytes()));
    let mut out = Vec::new();
    let error = encoder.read_to_end(&mut out).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
    // Whatever came out before the error is not a complete stream.
    assert!(decode_all(&out, DecoderOptions::default()).is_err());
}

#[test]
fn every_split_size_of_a_small_text() {
    let text =
        "One word, then another: the words that straddle a boundary must survive.\r\n".repeat(40);
    let options = EncoderOptions::default().frame_size(1024);
    let reference = encode_all(text.as_bytes(), &options);
    for piece in 1..=text.len().min(1100) {
        assert_eq!(
            encode_in_pieces(text.as_bytes(), piece, &options),
            reference,
            "write split {piece}"
        );
    }
    for piece in 1..=reference.len() {
        assert_eq!(
            decode_in_pieces(&reference, piece, 1),
            text.as_bytes(),
            "read split {piece}"
        );
    }
}

#[test]
fn empty_input_is_a_valid_stream() {
    let stream = encode_all(b"", &EncoderOptions::default());
    assert_eq!(decode_all(&stream, DecoderOptions::default()).unwrap(), b"");
}

#[test]
fn concatenated_streams_decode_to_concatenated_content() {
    let a = encode_all(b"first stream ", &EncoderOptions::default());
    let b = encode_all(b"", &EncoderOptions::default());
    let c = encode_all(
        "second stream, ünïcode".as_bytes(),
        &EncoderOptions::default(),
    );
    let joined = [a, b, c].concat();
    assert_eq!(
        decode_all(&joined, DecoderOptions::default()).unwrap(),
        "first stream second stream, ünïcode".as_bytes()
    );
}

#[test]
fn a_long_single_token_round_trips() {
    let token: Vec<u8> = b"abcdefghij"
        .iter()
        .cycle()
        .take(2 << 20)
        .copied()
        .collect();
    let stream = encode_all(&token, &EncoderOptions::default().frame_size(1 << 20));
    assert_eq!(
        decode_all(&stream, DecoderOptions::default().threads(2)).unwrap(),
        token
    );
}

#[test]
fn auto_finish_writes_the_footer() {
    let mut out = Vec::new();
    {
        let mut encoder = write::Encoder::new(&mut out).auto_finish();
        encoder.write_all(b"finished on drop").unwrap();
    }
    assert_eq!(
        decode_all(&out, DecoderOptions::default()).unwrap(),
        b"finished on drop"
    );
}

#[test]
fn flush_makes_everything_so_far_decodable() {
    let mut encoder = write::Encoder::new(Vec::new());
    encoder.write_all(b"before the flush ").unwrap();
    encoder.flush().unwrap();
    let flushed = encoder.get_ref().clone();
    encoder.write_all(b"and after").unwrap();
    let stream = encoder.finish().unwrap();
    assert!(stream.starts_with(&flushed));
    assert_eq!(
        decode_all(&stream, DecoderOptions::default()).unwrap(),
        b"before the flush and after"
    );
}

#[test]
fn stats_count_bytes_frames_and_glyphs() {
    let text = "the cat and the hat and the bat ".repeat(2000);
    let options = EncoderOptions::default().frame_size(16 << 10);
    let mut encoder = write::Encoder::with_options(Vec::new(), &options);
    encoder.write_all(text.as_bytes()).unwrap();
    let (stream, stats) = encoder.finish_with_stats().unwrap();
    assert_eq!(stats.bytes_in, text.len() as u64);
    assert_eq!(stats.bytes_out, stream.len() as u64);
    assert_eq!(stats.frames, stats.frame_stats.len() as u64);
    assert!(stats.frames >= 4);
    assert!(stats.glyphs[1] > stats.glyphs[0]);
    assert!(stats.ratio(true) > 10.0);
}

#[test]
fn an_input_ending_where_a_frame_ends_is_not_cut() {
    let frames = |text: &[u8]| {
        let options = EncoderOptions::default().frame_size(1024);
        let mut encoder = write::Encoder::with_options(Vec::new(), &options);
        for piece in text.chunks(100) {
            encoder.write_all(piece).unwrap();
        }
        let (stream, stats) = encoder.finish_with_stats().unwrap();
        assert_eq!(
            decode_all(&stream, DecoderOptions::default()).unwrap(),
            text
        );
        stats.frames
    };
    let text = "a line of text\n".repeat(200).into_bytes();
    assert_eq!(frames(&text[..1024]), 1);
    // One byte more and the full frame is cut after its last newline.
    assert_eq!(frames(&text[..1025]), 2);
}

#[test]
fn an_input_of_known_size_is_not_left_a_sliver_frame() {
    let text = "a line of text\n".repeat(200).into_bytes();
    let frames = |size_hint: Option<u64>| {
        let mut options = EncoderOptions::default().frame_size(1024);
        if let Some(size) = size_hint {
            options = options.size_hint(size);
        }
        let mut encoder = write::Encoder::with_options(Vec::new(), &options);
        for piece in text[..2048].chunks(100) {
            encoder.write_all(piece).unwrap();
        }
        let (stream, stats) = encoder.finish_with_stats().unwrap();
        assert_eq!(
            decode_all(&stream, DecoderOptions::default()).unwrap(),
            &text[..2048]
        );
        stats
            .frame_stats
            .iter()
            .map(|f| f.decoded)
            .collect::<Vec<_>>()
    };
    // Not knowing the size, the encoder cuts the first frame after its last newline, so the
    // second fills up and leaves a sliver.
    assert_eq!(frames(None), [1020, 1020, 8]);
    assert_eq!(frames(Some(2048)), [1024, 1024]);
    // A wrong size changes nothing but where cuts go.
    assert_eq!(frames(Some(1500)), [1020, 1020, 8]);
    assert_eq!(frames(Some(4096)).iter().sum::<u64>(), 2048);
}

#[test]
fn an_input_that_ends_within_its_first_frame_is_cut_as_if_its_size_were_known() {
    let line = "Of the making of books there is no end; and much study is a weariness.\n";
    let text = line.repeat((5 << 20) / line.len()).into_bytes();
    let encode = |data: &[u8], options: &EncoderOptions| {
        let mut encoder = write::Encoder::with_options(Vec::new(), options);
        for chunk in data.chunks(65_536) {
            encoder.write_all(chunk).unwrap();
        }
        encoder.finish_with_stats().unwrap()
    };
    // Level 1's frames are 4 MiB: 3 MiB of known size is cut in halves, 1,000 bytes stay one
    // frame whose size the stream header records; an explicit frame size is capped alike.
    let level1 = EncoderOptions::default().level(1).threads(2);
    for (len, options, frames) in [
        (3 << 20, level1.clone(), 2),
        (1000, level1.clone(), 1),
        (1000, level1.clone().frame_size(4 << 20), 1),
    ] {
        let data = &text[..len];
        let (unknown, stats) = encode(data, &options);
        let (sized, _) = encode(data, &options.clone().size_hint(len as u64));
        assert_eq!(stats.frames, frames, "{len} bytes");
        assert!(unknown == sized, "{len} bytes: the streams differ");
        assert_eq!(
            decode_all(&unknown, DecoderOptions::default()).unwrap(),
            data
        );
    }
    // Input that goes on past the first frame keeps the level's frames (5 MiB of known size
    // would be cut in halves).
    let (_, stats) = encode(&text, &level1);
    let first = stats.frame_stats[0].decoded;
    assert!(
        (4 << 20) - first < line.len() as u64,
        "first frame {first} bytes"
    );
}

/// A frame's resources as a pool with an idle core lends them: every part side by side.
struct SideBySide;

impl Resources for SideBySide {
    fn pass<T>(&self, _bytes: u64, phase: impl FnOnce() -> T) -> T {
        phase()
    }

    fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
        std::thread::scope(|scope| {
            let part = &part;
            let others: Vec<_> = (1..count).map(|i| scope.spawn(move || part(i))).collect();
            let mut done = vec![part(0)];
            done.extend(others.into_iter().map(|other| other.join().unwrap()));
            done
        })
    }

    fn lends_cores(&self) -> bool {
        true
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn glyph_streams_in_two_parts_round_trip_alone_and_side_by_side(paragraphs in prop::collection::vec((4..16usize, text_like()), 1..6), breaks in prop::bool::ANY) {
        // Every text split in two wherever it can be (format version 15), with and without
        // soft line breaks, coded and decoded on one thread and on two. Each paragraph starts
        // with words repeated often enough for the word transform to pay, and blank lines
        // between paragraphs give most texts a place to split.
        let sentence = "The river carried the light of the old bridge over the water and the stones.\n";
        let data = paragraphs
            .into_iter()
            .map(|(repeats, text)| [sentence.repeat(repeats).into_bytes(), text].concat())
            .collect::<Vec<_>>()
            .join(&b"\n\n"[..]);
        let params = CodecParams {
            split_min: 0,
            line_breaks: breaks.then_some(frame::LINE_BREAK_MIN_END),
            ..CodecParams::default()
        };
        let alone = frame::encode(data.clone(), &params, None);
        let beside = frame::encode_gated(data.clone(), &params, None, &SideBySide);
        prop_assert_eq!(&alone.payload, &beside.payload);
        prop_assert_eq!(alone.method, beside.method);
        for decoded in [
            {
                let mut out = Vec::new();
                frame::decode(alone.method, &alone.payload, data.len(), 0, None, &mut out).map(|_| out)
            },
            {
                let mut out = Vec::new();
                frame::decode_gated(alone.method, &alone.payload, data.len(), 0, None, &mut out, &SideBySide).map(|_| out)
            },
        ] {
            prop_assert_eq!(decoded.as_ref(), Ok(&data));
        }
    }
}
