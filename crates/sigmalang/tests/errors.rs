//! Exact errors for damaged streams: every truncation point, every bit of the stream header,
//! every bit of every frame header, header fields with their CRC recomputed, foreign and
//! trailing data, and a flipped byte at every position of a small multi-frame stream.
//!
//! Expectations come from the stream's structure (parsed with `sigmalang::format`) and from
//! `docs/FORMAT.md`, never from decoding the damaged stream once and recording the result.
//!
//! `decode` and `error` below decode each stream twice: by `read::Decoder` (through
//! `decode_all`) and by `write::Decoder`, fed in pieces of 13 bytes; the two must give the
//! same bytes or the same error.

use sigmalang::checksum::header_crc;
use sigmalang::format::{
    self, FrameHeader, StreamHeader, FOOTER_MAGIC, MAX_FRAME_SIZE, OLDEST_VERSION, TRAILER_LEN,
    VERSION as FORMAT_VERSION,
};
use sigmalang::frame::{Method, PayloadError};
use sigmalang::options::decode_memory_per_thread;
use sigmalang::{
    decode_all, encode_all, into_error, varint, write, DecoderOptions, EncoderOptions, Error,
};
use std::io::Write;
use std::ops::Range;
use std::sync::OnceLock;

/// About 5 KB of prose with capitals, punctuation and line breaks.
fn text() -> Vec<u8> {
    const WORDS: [&str; 24] = [
        "the", "river", "and", "a", "stone", "bridge", "of", "light", "morning", "carried", "old",
        "village", "children", "watched", "water", "under", "quietly", "boat", "mill", "keeper",
        "every", "winter", "night", "through",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 33) as usize
    };
    let mut out = Vec::new();
    let mut capital = true;
    while out.len() < 5000 {
        let word = WORDS[next() % WORDS.len()].as_bytes();
        if capital {
            out.push(word[0].to_ascii_uppercase());
            out.extend_from_slice(&word[1..]);
        } else {
            out.extend_from_slice(word);
        }
        capital = false;
        match next() % 16 {
            0 => out.extend_from_slice(b", "),
            1 => {
                out.extend_from_slice(b".\n");
                capital = true;
            }
            2 => {
                out.extend_from_slice(b". ");
                capital = true;
            }
            _ => out.push(b' '),
        }
    }
    out.truncate(5000);
    out
}

/// One frame of the stream: where it is and what its header says.
#[derive(Debug, Clone, Copy)]
struct Frame {
    start: usize,
    header_len: usize,
    header: FrameHeader,
}

impl Frame {
    fn payload(&self) -> Range<usize> {
        let start = self.start + self.header_len;
        start..start + self.header.payload_size as usize
    }

    /// Offsets of the index, offset, decoded-size and payload-size varints.
    fn varints(&self, stream: &[u8]) -> [Range<usize>; 4] {
        let mut pos = self.start + 5;
        [(); 4].map(|()| {
            let (_, n) = varint::get(&stream[pos..]).unwrap();
            pos += n;
            pos - n..pos
        })
    }
}

/// The parts of a valid single stream, found with the format module's parsers.
#[derive(Debug)]
struct Layout {
    header: StreamHeader,
    header_len: usize,
    frames: Vec<Frame>,
    footer: usize,
    entries: usize,
    trailer: usize,
    len: usize,
}

fn layout(stream: &[u8]) -> Layout {
    let (header, header_len) = StreamHeader::parse(stream).unwrap().unwrap();
    let mut pos = header_len;
    let mut frames = Vec::new();
    while stream[pos..pos + 4] != FOOTER_MAGIC {
        let (h, n) = FrameHeader::parse(&stream[pos..], header.max_frame_size)
            .unwrap()
            .unwrap();
        frames.push(Frame {
            start: pos,
            header_len: n,
            header: h,
        });
        pos += n + h.payload_size as usize;
    }
    let footer = pos;
    let (head, n) = format::parse_footer_head(&stream[footer..])
        .unwrap()
        .unwrap();
    assert_eq!(head.frame_count, frames.len() as u64);
    let entries = footer + n;
    let mut pos = entries;
    for _ in 0..head.frame_count {
        pos += format::parse_index_entry(&stream[pos..])
            .unwrap()
            .unwrap()
            .1;
    }
    assert_eq!(pos + TRAILER_LEN, stream.len());
    Layout {
        header,
        header_len,
        frames,
        footer,
        entries,
        trailer: pos,
        len: stream.len(),
    }
}

struct Fixture {
    text: Vec<u8>,
    stream: Vec<u8>,
    layout: Layout,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let text = text();
        // No codebook: the header's codebook fields are then zero, which the tests below
        // patch to name one.
        let options = EncoderOptions::default().frame_size(1024).codebook(None);
        let stream = encode_all(&text, &options);
        let layout = layout(&stream);
        // What the tests below rely on.
        assert!(layout.frames.len() >= 4, "{layout:?}");
        assert_eq!(layout.header.max_frame_size, 1024);
        assert_eq!(
            layout.header_len, 25,
            "max frame size 1024 is a two-byte varint"
        );
        assert!(layout
            .frames
            .iter()
            .all(|f| f.header.method == Method::GlyphRevised));
        Fixture {
            text,
            stream,
            layout,
        }
    })
}

fn decode(stream: &[u8]) -> Result<Vec<u8>, Error> {
    let read = decode_all(stream, DecoderOptions::default());
    let pushed = decode_pushed(stream, 13, DecoderOptions::default());
    match (&read, &pushed) {
        (Ok(a), Ok(b)) => assert!(a == b, "write::Decoder decoded other bytes"),
        (Err(a), Err(b)) => assert!(same(a, b), "read::Decoder: {a:?}, write::Decoder: {b:?}"),
        _ => panic!("read::Decoder: {read:?}, write::Decoder: {pushed:?}"),
    }
    read
}

/// Decodes `stream` by writing it to a `write::Decoder`, `piece` bytes at a time.
fn decode_pushed(stream: &[u8], piece: usize, options: DecoderOptions) -> Result<Vec<u8>, Error> {
    let mut decoder = write::Decoder::with_options(Vec::new(), options);
    for chunk in stream.chunks(piece) {
        decoder.write_all(chunk).map_err(into_error)?;
    }
    decoder.finish().map_err(into_error)
}

/// The error, or a panic naming `context` if the stream decodes.
fn error(stream: &[u8], context: impl std::fmt::Display) -> Error {
    match decode(stream) {
        Ok(out) => panic!("{context}: decoded {} bytes instead of failing", out.len()),
        Err(e) => e,
    }
}

/// `Error` has no `PartialEq` (it holds an `io::Error`); compare the data errors by value.
fn same(a: &Error, b: &Error) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[track_caller]
fn assert_error(stream: &[u8], expected: Error, context: impl std::fmt::Display) {
    let got = error(stream, &context);
    assert!(
        same(&got, &expected),
        "{context}: got {got:?}, expected {expected:?}"
    );
}

fn fix_stream_header_crc(s: &mut [u8], header_len: usize) {
    let crc = header_crc(&s[..header_len - 4]);
    s[header_len - 4..header_len].copy_from_slice(&crc.to_le_bytes());
}

fn fix_footer_crc(s: &mut [u8], footer: usize) {
    let end = s.len();
    let crc = header_crc(&s[footer..end - 8]);
    s[end - 8..end - 4].copy_from_slice(&crc.to_le_bytes());
}

/// The stream with frame `k`'s header replaced by `edit(header)`, written with a correct CRC.
fn with_frame_header(k: usize, edit: impl FnOnce(&mut FrameHeader)) -> Vec<u8> {
    let f = fixture();
    let frame = f.layout.frames[k];
    let mut header = frame.header;
    edit(&mut header);
    let mut s = f.stream[..frame.start].to_vec();
    header.write(&mut s);
    s.extend_from_slice(&f.stream[frame.start + frame.header_len..]);
    s
}

fn frame_header_error(k: usize, what: &'static str) -> Error {
    Error::FrameHeader {
        frame: k as u64,
        offset: fixture().layout.frames[k].start as u64,
        what,
    }
}

#[test]
fn the_fixture_round_trips() {
    let f = fixture();
    assert_eq!(decode(&f.stream).unwrap(), f.text);
}

/// What a stream cut after `cut` bytes must report: where the input ended and what was being
/// read, derived from the layout.
fn truncation_error(l: &Layout, cut: usize) -> Error {
    if cut == 0 {
        return Error::NotSigma { offset: 0 };
    }
    let inside = if cut < l.header_len {
        "in the stream header"
    } else if let Some(frame) = l
        .frames
        .iter()
        .find(|f| (f.start..f.payload().end).contains(&cut))
    {
        if cut < frame.payload().start {
            "before the stream footer"
        } else {
            "in a frame payload"
        }
    } else if cut < l.footer + FOOTER_MAGIC.len() {
        // At the footer, or inside its magic: the reader cannot tell a frame from the footer yet.
        "before the stream footer"
    } else if cut < l.entries {
        "in the stream footer"
    } else if cut < l.trailer {
        "in the seek index"
    } else {
        "in the stream trailer"
    };
    Error::Truncated {
        offset: cut as u64,
        inside,
    }
}

#[test]
fn truncation_at_every_offset_fails_exactly() {
    let f = fixture();
    let l = &f.layout;
    for cut in 0..l.len {
        assert_error(
            &f.stream[..cut],
            truncation_error(l, cut),
            format_args!("cut at {cut}"),
        );
    }
}

#[test]
fn truncation_regions_are_all_exercised() {
    // Guards the test above against a layout where some region is empty.
    let f = fixture();
    let mut seen = std::collections::BTreeSet::new();
    for cut in 0..f.layout.len {
        if let Error::Truncated { inside, .. } = truncation_error(&f.layout, cut) {
            seen.insert(inside);
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
}

/// The stream header of the fixture, field by field (max frame size 1024 = `80 08`).
const MAGIC: Range<usize> = 0..4;
const VERSION: usize = 4;
const FLAGS: usize = 5;
const CONTEXT_LOG: usize = 6;
const MAX_FRAME: Range<usize> = 7..9;
const CODEBOOK_ID: Range<usize> = 9..13;
const CODEBOOK_HASH: Range<usize> = 13..21;
const HEADER_CRC: Range<usize> = 21..25;

#[test]
fn every_stream_header_bit_flip_gives_the_expected_error() {
    let f = fixture();
    let header_error = |what| Error::StreamHeader { what, offset: 0 };
    for byte in 0..f.layout.header_len {
        for bit in 0..8 {
            let mut s = f.stream.clone();
            s[byte] ^= 1 << bit;
            let expected = if MAGIC.contains(&byte) {
                Error::NotSigma { offset: 0 }
            } else if byte == VERSION && (OLDEST_VERSION..FORMAT_VERSION).contains(&s[byte]) {
                // An older version that this library reads: the header is parsed as one of that
                // version, whose CRC then fails (version 1's layout also has no context-model
                // byte, which shifts the other fields, but the CRC still covers them).
                header_error("checksum mismatch")
            } else if byte == VERSION {
                // The version is checked before the CRC, so that a newer format is named as such.
                Error::UnsupportedVersion {
                    version: s[byte],
                    offset: 0,
                }
            } else if byte == MAX_FRAME.end - 1 && (bit == 7 || s[byte] == 0) {
                // 80 88 00 (the varint runs into the codebook id's first byte) and 80 00 end in
                // a redundant zero group, which no CRC makes acceptable.
                header_error("max frame size")
            } else {
                assert!([
                    FLAGS..FLAGS + 1,
                    CONTEXT_LOG..CONTEXT_LOG + 1,
                    MAX_FRAME,
                    CODEBOOK_ID,
                    CODEBOOK_HASH,
                    HEADER_CRC
                ]
                .iter()
                .any(|r| r.contains(&byte)));
                header_error("checksum mismatch")
            };
            assert_error(&s, expected, format_args!("byte {byte} bit {bit}"));
        }
    }
}

#[test]
fn stream_header_fields_with_a_correct_crc() {
    let f = fixture();
    let patched = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut s = f.stream.clone();
        edit(&mut s);
        let header_len = f.layout.header_len + s.len() - f.stream.len();
        fix_stream_header_crc(&mut s, header_len);
        s
    };
    // Must-be-zero flag bits are refused; the four ignorable ones are ignored.
    for bit in 0..8 {
        let s = patched(&|s| s[FLAGS] = 1 << bit);
        if bit < 4 {
            assert_error(
                &s,
                Error::ReservedFlags {
                    flags: 1 << bit,
                    offset: 0,
                },
                format_args!("flag bit {bit}"),
            );
        } else {
            assert_eq!(decode(&s).unwrap(), f.text, "flag bit {bit}");
        }
    }
    let s = patched(&|s| s[FLAGS] = 0xFF);
    assert_error(
        &s,
        Error::ReservedFlags {
            flags: 0x0F,
            offset: 0,
        },
        "all flags",
    );
    for version in [0, format::VERSION + 1, 0xFF] {
        assert_error(
            &patched(&|s| s[VERSION] = version),
            Error::UnsupportedVersion { version, offset: 0 },
            format_args!("version {version}"),
        );
    }
    // The max frame size: 0 and above 2^30 are invalid; 2^30 is valid but needs 8 GiB + 16 MiB.
    let with_max_frame = |value: u64| {
        patched(&|s| {
            let mut v = Vec::new();
            varint::put(&mut v, value);
            s.splice(MAX_FRAME, v);
        })
    };
    for value in [0, MAX_FRAME_SIZE + 1, u64::MAX] {
        assert_error(
            &with_max_frame(value),
            Error::StreamHeader {
                what: "max frame size",
                offset: 0,
            },
            format_args!("max frame size {value}"),
        );
    }
    assert_error(
        &with_max_frame(MAX_FRAME_SIZE),
        Error::MemoryLimit {
            needed: decode_memory_per_thread(MAX_FRAME_SIZE, 0),
            limit: DecoderOptions::default().memory_limit,
        },
        "max frame size 2^30",
    );
    // A non-minimal varint is refused even with a correct CRC: 80 88 00 = 1024 in three bytes.
    let s = patched(&|s| {
        s.splice(MAX_FRAME, [0x80, 0x88, 0x00]);
    });
    assert_error(
        &s,
        Error::StreamHeader {
            what: "max frame size",
            offset: 0,
        },
        "non-minimal max frame size",
    );
    // A max frame size below a frame's decoded size is that frame's error.
    let first = f.layout.frames[0].header.decoded_size;
    let s = with_max_frame(first - 1);
    let offset = f.layout.frames[0].start as u64 + s.len() as u64 - f.stream.len() as u64;
    assert_error(
        &s,
        Error::FrameHeader {
            frame: 0,
            offset,
            what: "decoded size",
        },
        "max frame size below frame 0",
    );
    let largest = f
        .layout
        .frames
        .iter()
        .map(|fr| fr.header.decoded_size)
        .max();
    let largest = largest.unwrap();
    assert_eq!(decode(&with_max_frame(largest)).unwrap(), f.text);
    let k = f
        .layout
        .frames
        .iter()
        .position(|fr| fr.header.decoded_size == largest);
    let k = k.unwrap();
    let s = with_max_frame(largest - 1);
    let offset = f.layout.frames[k].start as u64 + s.len() as u64 - f.stream.len() as u64;
    assert_error(
        &s,
        Error::FrameHeader {
            frame: k as u64,
            offset,
            what: "decoded size",
        },
        "max frame size below the largest frame",
    );
    // A stream that needs a codebook this decoder does not have is refused, naming it.
    let s = patched(&|s| {
        s[CODEBOOK_ID].copy_from_slice(&7u32.to_le_bytes());
        s[CODEBOOK_HASH].copy_from_slice(&0x0123_4567_89AB_CDEFu64.to_le_bytes());
    });
    assert_error(
        &s,
        Error::Codebook {
            id: 7,
            hash: 0x0123_4567_89AB_CDEF,
            offset: 0,
        },
        "unknown codebook",
    );
    // Naming a codebook the decoder has is fine, whether or not a frame is coded over it.
    let english = sigmalang::codebook::Codebook::english();
    let s = patched(&|s| {
        s[CODEBOOK_ID].copy_from_slice(&english.id().to_le_bytes());
        s[CODEBOOK_HASH].copy_from_slice(&english.hash().to_le_bytes());
    });
    assert_eq!(decode_all(&s, DecoderOptions::default()).unwrap(), text());
    // The id alone does not identify a codebook: the hash must match too.
    let s = patched(&|s| {
        s[CODEBOOK_ID].copy_from_slice(&english.id().to_le_bytes());
        s[CODEBOOK_HASH].copy_from_slice(&(english.hash() ^ 1).to_le_bytes());
    });
    assert_error(
        &s,
        Error::Codebook {
            id: english.id(),
            hash: english.hash() ^ 1,
            offset: 0,
        },
        "the English codebook's id with another hash",
    );
}

#[test]
fn wrong_magic_is_not_sigma() {
    let f = fixture();
    for magic in [
        *b"\xFE\xCE\xA3F",
        *b"\xFE\xCE\xA3E",
        *b"\xFE\xCE\xA3Z",
        *b"\xFD7zX",
        *b"PK\x03\x04",
        *b"The ",
    ] {
        let mut s = f.stream.clone();
        s[MAGIC].copy_from_slice(&magic);
        assert_error(
            &s,
            Error::NotSigma { offset: 0 },
            format_args!("{magic:x?}"),
        );
    }
    assert_error(b"", Error::NotSigma { offset: 0 }, "empty input");
    assert_error(b"x", Error::NotSigma { offset: 0 }, "one byte");
}

#[test]
fn the_next_version_is_unsupported_whatever_follows() {
    let f = fixture();
    let next = FORMAT_VERSION + 1;
    let mut s = f.stream.clone();
    s[VERSION] = next;
    assert_error(
        &s,
        Error::UnsupportedVersion {
            version: next,
            offset: 0,
        },
        "next version, stale CRC",
    );
    // A later version's header may have any layout: only magic and version are read.
    let mut s = b"\xFE\xCE\xA3L".to_vec();
    s.push(next);
    s.extend_from_slice(&[0xFF; 3]);
    assert_error(
        &s,
        Error::UnsupportedVersion {
            version: next,
            offset: 0,
        },
        "next version, short",
    );
}

#[test]
fn trailing_garbage_is_reported_at_the_end_of_the_stream() {
    let f = fixture();
    let len = f.stream.len() as u64;
    for garbage in [
        &b"x"[..],
        b"\0\0\0\0",
        b"garbage after the stream\n",
        b"\xFE\xCE\xA3F",
    ] {
        let mut s = f.stream.clone();
        s.extend_from_slice(garbage);
        assert_error(
            &s,
            Error::TrailingData { offset: len },
            format_args!("{garbage:x?}"),
        );
    }
    // After two concatenated streams, the offset is where the second one ends.
    let mut s = f.stream.clone();
    s.extend_from_slice(&f.stream);
    assert_eq!(decode(&s).unwrap(), [&f.text[..], &f.text].concat());
    s.push(b'!');
    assert_error(&s, Error::TrailingData { offset: 2 * len }, "two streams");
    // The beginning of a stream magic is the start of a truncated stream, not garbage.
    let mut s = f.stream.clone();
    s.extend_from_slice(b"\xFE\xCE");
    assert_error(
        &s,
        Error::Truncated {
            offset: len + 2,
            inside: "in the stream header",
        },
        "partial magic",
    );
}

/// The fields of a frame header: magic, method, four varints, content hash, payload CRC, CRC.
fn frame_fields(stream: &[u8], frame: &Frame) -> Vec<(&'static str, Range<usize>)> {
    let [index, offset, decoded, payload] = frame.varints(stream);
    let hash = payload.end..payload.end + 8;
    let payload_crc = hash.end..hash.end + 4;
    let crc = payload_crc.end..payload_crc.end + 4;
    assert_eq!(crc.end, frame.start + frame.header_len);
    vec![
        ("magic", frame.start..frame.start + 4),
        ("method", frame.start + 4..frame.start + 5),
        ("frame index", index),
        ("frame offset", offset),
        ("decoded size", decoded),
        ("payload size", payload),
        ("content hash", hash),
        ("payload crc", payload_crc),
        ("crc", crc),
    ]
}

#[test]
fn every_frame_header_bit_flip_is_a_frame_header_error() {
    let f = fixture();
    for (k, frame) in f.layout.frames.iter().enumerate() {
        for (field, range) in frame_fields(&f.stream, frame) {
            let is_varint =
                field.ends_with("index") || field.ends_with("offset") || field.ends_with("size");
            for byte in range.clone() {
                for bit in 0..8 {
                    let mut s = f.stream.clone();
                    s[byte] ^= 1 << bit;
                    let context = format!("frame {k} {field} byte {byte} bit {bit}");
                    if is_varint && bit == 7 {
                        // A continuation bit changes where the following fields are read from:
                        // the CRC or a malformed varint is found first, depending on the bytes.
                        match error(&s, &context) {
                            Error::FrameHeader {
                                frame,
                                offset,
                                what,
                            } if frame == k as u64 && offset == frame_start(k) => assert!(
                                [
                                    "checksum mismatch",
                                    "frame index",
                                    "frame offset",
                                    "decoded size",
                                    "payload size"
                                ]
                                .contains(&what),
                                "{context}: {what}"
                            ),
                            other => panic!("{context}: {other:?}"),
                        }
                    } else {
                        let last = byte == range.end - 1;
                        let what = if field == "magic" {
                            "bad magic"
                        } else if is_varint && last && range.len() > 1 && s[byte] == 0 {
                            // A multi-byte varint now ends in a redundant zero group.
                            field
                        } else {
                            "checksum mismatch"
                        };
                        assert_error(&s, frame_header_error(k, what), context);
                    }
                }
            }
        }
    }
}

fn frame_start(k: usize) -> u64 {
    fixture().layout.frames[k].start as u64
}

#[test]
fn frame_header_fields_with_a_correct_crc() {
    let f = fixture();
    let frames = f.layout.frames.len();
    for k in 0..frames {
        let h = f.layout.frames[k].header;
        let cases: [(&str, Vec<u8>, &str); 9] = [
            ("method 10", with_frame_header(k, |_| {}), "method"),
            (
                "stored",
                with_frame_header(k, |h| h.method = Method::Stored),
                "payload size",
            ),
            (
                "index + 1",
                with_frame_header(k, |h| h.index += 1),
                "frame out of sequence",
            ),
            (
                "index - 1",
                with_frame_header(k, |h| h.index = h.index.wrapping_sub(1)),
                "frame out of sequence",
            ),
            (
                "offset + 1",
                with_frame_header(k, |h| h.offset += 1),
                "frame out of sequence",
            ),
            (
                "decoded size 0",
                with_frame_header(k, |h| h.decoded_size = 0),
                "decoded size",
            ),
            (
                "decoded size over the max",
                with_frame_header(k, |h| h.decoded_size = 1025),
                "decoded size",
            ),
            (
                "payload size = decoded size",
                with_frame_header(k, |h| h.payload_size = h.decoded_size),
                "payload size",
            ),
            (
                "payload size over decoded size",
                with_frame_header(k, |h| h.payload_size = h.decoded_size + 1),
                "payload size",
            ),
        ];
        for (name, mut s, what) in cases {
            if name == "method 10" {
                // `Method` has no value 10: patch the byte and recompute the CRC by hand.
                let frame = f.layout.frames[k];
                s[frame.start + 4] = 10;
                let end = frame.start + frame.header_len;
                let crc = header_crc(&s[frame.start..end - 4]);
                s[end - 4..end].copy_from_slice(&crc.to_le_bytes());
            }
            assert_error(
                &s,
                frame_header_error(k, what),
                format_args!("frame {k}: {name}"),
            );
        }
        // Every frame's content is checked against its own hash.
        assert_error(
            &with_frame_header(k, |h| h.content_hash ^= 1 << 63),
            Error::ContentChecksum {
                frame: k as u64,
                offset: frame_start(k),
            },
            format_args!("frame {k}: content hash"),
        );
        assert!(h.decoded_size > 1);
    }
    // A wrong decoded size is found by decoding; on the last frame no later frame is read
    // ahead, so the payload error is the one reported.
    let last = frames - 1;
    for delta in [-1i64, 1] {
        assert_error(
            &with_frame_header(last, |h| {
                h.decoded_size = h.decoded_size.checked_add_signed(delta).unwrap()
            }),
            Error::Payload {
                frame: last as u64,
                offset: frame_start(last),
                source: PayloadError::Size,
            },
            format_args!("last frame: decoded size {delta:+}"),
        );
    }
}

#[test]
fn footer_fields_with_a_correct_crc() {
    let f = fixture();
    let l = &f.layout;
    let expect = |what| Error::Footer {
        offset: l.footer as u64,
        what,
    };
    let count_at = l.footer + 4;
    let total_at = count_at + varint::len(l.frames.len() as u64);
    let hash_at = total_at + varint::len(f.text.len() as u64);
    assert_eq!(hash_at + 8, l.entries);
    let patched = |at: usize, xor: u8, fix: bool| {
        let mut s = f.stream.clone();
        s[at] ^= xor;
        if fix {
            fix_footer_crc(&mut s, l.footer);
        }
        s
    };
    // Count and total size are checked as soon as they are read, before the CRC.
    for fix in [false, true] {
        assert_error(
            &patched(count_at, 1, fix),
            expect("frame count differs from the frames read"),
            "frame count",
        );
        assert_error(
            &patched(total_at, 1, fix),
            expect("total size differs from the frames read"),
            "total size",
        );
    }
    assert_error(
        &patched(hash_at, 1, false),
        expect("checksum mismatch"),
        "hash, stale CRC",
    );
    assert_error(
        &patched(hash_at, 1, true),
        expect("whole-content checksum mismatch"),
        "hash",
    );
    assert_error(
        &patched(l.entries, 1, false),
        expect("checksum mismatch"),
        "index entry, stale CRC",
    );
    assert_error(
        &patched(l.entries, 1, true),
        expect("seek index differs from the frames read"),
        "index entry",
    );
    assert_error(
        &patched(l.trailer, 1, false),
        expect("checksum mismatch"),
        "footer length, stale CRC",
    );
    assert_error(
        &patched(l.trailer, 1, true),
        expect("footer length mismatch"),
        "footer length",
    );
    for at in l.trailer + 8..l.trailer + 12 {
        assert_error(
            &patched(at, 0x20, false),
            expect("checksum mismatch"),
            "CRC",
        );
    }
    for at in l.trailer + 12..l.len {
        assert_error(
            &patched(at, 0x20, false),
            expect("bad end magic"),
            "end magic",
        );
    }
    // A redundant zero group in an index entry is malformed, whatever the CRC says.
    let mut s = f.stream[..l.entries].to_vec();
    let (_, n) = varint::get(&f.stream[l.entries..]).unwrap();
    let first = &f.stream[l.entries..l.entries + n];
    s.extend_from_slice(&first[..n - 1]);
    s.extend_from_slice(&[first[n - 1] | 0x80, 0x00]);
    s.extend_from_slice(&f.stream[l.entries + n..]);
    let footer_len = (s.len() - l.footer) as u64;
    let end = s.len();
    s[end - TRAILER_LEN..end - 8].copy_from_slice(&footer_len.to_le_bytes());
    fix_footer_crc(&mut s, l.footer);
    assert_error(&s, expect("index frame size"), "non-minimal index entry");
}

/// Positions where a changed byte can leave the decoded content unchanged, so that no check
/// can notice: the implicit-space table of a transformed frame (entries for bytes that never
/// precede a word are not used) and the last four bytes of each arithmetic code (the final
/// interval may hold other values).
fn unprotected(f: &Fixture) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for frame in &f.layout.frames {
        let payload = frame.payload();
        if f.stream[payload.start] == 1 {
            out.push(payload.start + 1..payload.start + 33);
        }
        out.push(payload.end - 4..payload.end);
    }
    out
}

#[test]
fn a_flipped_byte_outside_the_unprotected_payload_bytes_always_fails() {
    let f = fixture();
    let unprotected = unprotected(f);
    for pos in 0..f.stream.len() {
        if unprotected.iter().any(|r| r.contains(&pos)) {
            continue;
        }
        let mut s = f.stream.clone();
        s[pos] ^= 0xFF;
        error(&s, format_args!("byte {pos} flipped"));
    }
}

#[test]
fn every_flipped_byte_fails() {
    let f = fixture();
    let mut undetected = Vec::new();
    for pos in 0..f.stream.len() {
        let mut s = f.stream.clone();
        s[pos] ^= 0xFF;
        if decode(&s).is_ok() {
            undetected.push(pos);
        }
    }
    assert!(
        undetected.is_empty(),
        "{} of {} flipped bytes went undetected: {undetected:?}",
        undetected.len(),
        f.stream.len()
    );
}

#[test]
fn the_first_defect_in_stream_order_is_reported_for_every_thread_count() {
    let f = fixture();
    let mut s = f.stream.clone();
    let first = f.layout.frames[0].payload();
    s[first.start + first.len() / 2] ^= 0x01;
    let later = f.layout.frames[3].start + 10;
    s[later] ^= 0x01;
    let errors: Vec<String> = (1..=4)
        .flat_map(|threads| {
            let options = DecoderOptions::default().threads(threads);
            let read = decode_all(&s, options.clone()).unwrap_err();
            let pushed = decode_pushed(&s, 13, options).unwrap_err();
            [format!("{read:?}"), format!("{pushed:?}")]
        })
        .collect();
    for (i, e) in errors.iter().enumerate() {
        assert!(
            e.contains("frame: 0,"),
            "threads {}, {}: {e} (all: {errors:?})",
            i / 2 + 1,
            ["read::Decoder", "write::Decoder"][i % 2]
        );
    }
}
