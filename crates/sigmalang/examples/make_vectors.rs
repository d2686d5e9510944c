//! Regenerates the golden test vectors in `tests/vectors/` (like xz's `tests/files`):
//! `cargo run --release -p sigmalang --example make_vectors [-- DIR]`.
//!
//! `good-*.sigma` decode to the matching `good-*.txt`; every `bad-*.sigma` is a good stream with
//! one defect. It also writes `tests/vectors/README.md`, whose table gives each file's expected
//! result; `crates/sigmalang/tests/vectors.rs` checks the files against its own table and that
//! table against the README.
//!
//! The output depends only on the library version: the texts are fixed or come from a fixed
//! pseudo-random generator, and encoding is deterministic. A format change bumps `VERSION`;
//! the vectors of the old version are then kept (see "Versioning" in `docs/FORMAT.md`).

use sigmalang::checksum::header_crc;
use sigmalang::checksum::{content_hash, content_hasher};
use sigmalang::codebook::{Codebook, KeyLearner, Trainer};
use sigmalang::format::{self, FrameHeader, StreamHeader, FOOTER_MAGIC, TRAILER_LEN};
use sigmalang::format::{FooterHead, IndexEntry};
use sigmalang::frame::{self, BlockParts, CodecParams, Method, Stage};
use sigmalang::glyph::GlyphType;
use sigmalang::lzp::{LzpParams, LzpPolicy};
use sigmalang::qlfc::{self, QlfcParams};
use sigmalang::rank::RankParams;
use sigmalang::varint;
use sigmalang::{bwt, cm, transform};
use sigmalang::{decode_all, encode_all, DecoderOptions, EncoderOptions, Error};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Appended to a good stream to make `bad-trailing-garbage.sigma`.
const GARBAGE: &[u8] = b"This is not a stream.\n";

/// `lines` lines of a made-up server log: long runs repeat, with a counter and a pseudo-random
/// user in every line.
fn log_lines(lines: u64) -> Vec<u8> {
    let mut rng = Rng(0x5eed_1095);
    let users = ["alice", "bob", "carol", "dave"];
    let mut out = Vec::new();
    for i in 0..lines {
        let user = users[rng.below(users.len())];
        out.extend_from_slice(
            format!(
                "2026-11-28T12:{:02}:{:02}Z web-01 sshd[4242]: Accepted publickey for {user} \
                 from 192.0.2.17 port 22 ssh2: ED25519 SHA256:q8yNlBZ2fDdsQbu1VxPzb3Ag\n",
                i / 60,
                i % 60
            )
            .as_bytes(),
        );
    }
    out
}

/// A small xorshift generator, so that the vectors never depend on a crate's RNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }
}

/// About `len` bytes of text with a large made-up vocabulary (so that the Σ-bank needs
/// two-byte codes), capitalised and upper-case words, numbers, and one paragraph that recurs
/// (so that the word model's match model has something to find).
fn varied_text(len: usize, seed: u64) -> Vec<u8> {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ren", "su", "tha", "vo", "wen", "xi", "yor", "ze", "qua", "dri", "ost",
        "pel", "un",
    ];
    let mut rng = Rng(seed);
    let words: Vec<String> = (0..400)
        .map(|_| {
            (0..2 + rng.below(3))
                .map(|_| SYLLABLES[rng.below(16)])
                .collect()
        })
        .collect();
    let refrain = prose(300, seed + 1);
    let mut out = Vec::with_capacity(len + 400);
    while out.len() < len {
        match rng.below(40) {
            0 => out.extend_from_slice(&refrain),
            1 => out.extend_from_slice(format!("{} ", rng.below(100_000)).as_bytes()),
            2 => out.extend_from_slice(words[rng.below(400)].to_uppercase().as_bytes()),
            3 => out.extend_from_slice(b".\n"),
            4 => {
                let word = &words[rng.below(400)];
                out.push(word.as_bytes()[0].to_ascii_uppercase());
                out.extend_from_slice(&word.as_bytes()[1..]);
            }
            _ => out.extend_from_slice(words[rng.below(400).min(rng.below(400))].as_bytes()),
        }
        out.push(b' ');
    }
    out.truncate(len);
    out
}

/// About `len` bytes of plain English-like prose from a fixed vocabulary.
/// `text` with the spaces of each line turned into newlines wherever the next word would end
/// past `width` (greedy wrapping, as in the prose of the shared corpora).
fn wrap(text: &[u8], width: usize) -> Vec<u8> {
    let mut out = text.to_vec();
    let mut line_start = 0;
    for at in 0..out.len() {
        match out[at] {
            b'\n' => line_start = at + 1,
            b' ' => {
                let next = out[at + 1..].iter().position(|&b| b == b' ' || b == b'\n');
                let word_end = at + 1 + next.unwrap_or(out.len() - at - 1);
                if word_end - line_start > width {
                    out[at] = b'\n';
                    line_start = at + 1;
                }
            }
            _ => {}
        }
    }
    out
}

fn prose(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 40] = [
        "the", "of", "and", "a", "to", "in", "is", "was", "that", "it", "river", "stone", "light",
        "over", "under", "quietly", "morning", "village", "old", "bridge", "water", "carried",
        "through", "long", "winter", "children", "laughed", "when", "their", "boat", "drifted",
        "past", "mill", "keeper", "watched", "from", "window", "every", "day", "night",
    ];
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut sentence_start = true;
    while out.len() < len {
        // A skewed choice, so that some words are frequent and some rare.
        let i = rng.below(WORDS.len()).min(rng.below(WORDS.len()));
        let word = WORDS[i];
        if sentence_start {
            out.push(word.as_bytes()[0].to_ascii_uppercase());
            out.extend_from_slice(&word.as_bytes()[1..]);
        } else {
            out.extend_from_slice(word.as_bytes());
        }
        sentence_start = false;
        match rng.below(24) {
            0 => out.extend_from_slice(b", "),
            1 | 2 => {
                out.extend_from_slice(if rng.below(3) == 0 { b".\n" } else { b". " });
                sentence_start = true;
            }
            _ => out.push(b' '),
        }
    }
    out.truncate(len);
    out.push(b'\n');
    out
}

/// Text with a vocabulary of a few hundred words, each with an accented letter (non-ASCII words
/// are always banked), so that the Σ-bank outgrows the one-byte codes and needs two-byte ones.
fn large_vocabulary(len: usize, seed: u64) -> Vec<u8> {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "de", "gar", "pen", "tol", "bri", "can",
        "dus", "fel",
    ];
    const ACCENTED: [&str; 8] = ["é", "ö", "ñ", "å", "ü", "ø", "ç", "í"];
    let mut rng = Rng(seed);
    let words: Vec<String> = (0..400)
        .map(|_| {
            let mut w = String::new();
            w.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
            w.push_str(ACCENTED[rng.below(ACCENTED.len())]);
            w.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
            w
        })
        .collect();
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        // Skewed towards the first words, but every word has a fair chance.
        let i = rng.below(words.len()).min(rng.below(words.len()));
        out.extend_from_slice(words[i].as_bytes());
        out.push(if rng.below(14) == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

/// A text that exercises escapes, case flags, the Σ-bank's non-ASCII entries and raw bytes.
fn awkward_text() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..6 {
        out.extend_from_slice(
            "The café serves crème brûlée — “naïve” customers say it’s THE BEST in Zürich.\r\n"
                .as_bytes(),
        );
        out.extend_from_slice(
            "Ünïcödé wörds: Ελληνικά, русский, 日本語, emoji 🙂 and € 12.50\r\n".as_bytes(),
        );
        out.extend_from_slice(
            b"Controls:\x00\x01\x02\x03\x04\x05\x06\x07\x08\x1b[0m\x7f and bytes \xff\xfe\xc3(\r\n",
        );
        out.extend_from_slice(
            b"\tIndented\tby tabs;  two  spaces,\x0bvertical tab,\x0cform feed.\r\n",
        );
        out.extend_from_slice(
            format!(
                "McDonald and NASA and I met at {}:{:02} -- ok?\n",
                9 + i,
                7 * i
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"no newline at the end");
    out
}

/// Pseudo-random bytes: nothing compresses them, so the frame is stored.
fn binary(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    (0..len).map(|_| (rng.next() >> 40) as u8).collect()
}

/// Where the parts of a valid stream are (the first one, if several are concatenated).
struct Layout {
    header_len: usize,
    /// Start offset, header length and header of each frame.
    frames: Vec<(usize, usize, FrameHeader)>,
    footer: usize,
    /// Start of the seek index entries.
    entries: usize,
    /// Where the stream ends.
    end: usize,
}

fn layout(stream: &[u8]) -> Layout {
    let (header, header_len) = StreamHeader::parse(stream).unwrap().unwrap();
    let mut pos = header_len;
    let mut frames = Vec::new();
    while stream[pos..pos + 4] != FOOTER_MAGIC {
        let (h, n) = FrameHeader::parse(&stream[pos..], header.max_frame_size)
            .unwrap()
            .unwrap();
        frames.push((pos, n, h));
        pos += n + h.payload_size as usize;
    }
    let (_, n) = format::parse_footer_head(&stream[pos..]).unwrap().unwrap();
    let mut end = pos + n;
    for _ in &frames {
        end += format::parse_index_entry(&stream[end..])
            .unwrap()
            .unwrap()
            .1;
    }
    Layout {
        header_len,
        frames,
        footer: pos,
        entries: pos + n,
        end: end + TRAILER_LEN,
    }
}

fn fix_stream_header_crc(s: &mut [u8], header_len: usize) {
    let crc = header_crc(&s[..header_len - 4]);
    s[header_len - 4..header_len].copy_from_slice(&crc.to_le_bytes());
}

fn fix_frame_crc(s: &mut [u8], start: usize, len: usize) {
    let crc = header_crc(&s[start..start + len - 4]);
    s[start + len - 4..start + len].copy_from_slice(&crc.to_le_bytes());
}

/// Recomputes the payload CRC of the frame whose header is `len` bytes at `start` (and then the
/// header CRC), so that a deliberately changed payload reaches the payload decoder.
fn fix_payload_crc(s: &mut [u8], start: usize, len: usize, payload_size: u64) {
    let payload = start + len..start + len + payload_size as usize;
    let crc = header_crc(&s[payload]);
    s[start + len - 8..start + len - 4].copy_from_slice(&crc.to_le_bytes());
    fix_frame_crc(s, start, len);
}

fn fix_footer_crc(s: &mut [u8], footer: usize) {
    let end = s.len();
    let crc = header_crc(&s[footer..end - 8]);
    s[end - 8..end - 4].copy_from_slice(&crc.to_le_bytes());
}

/// Where a version 2 or 3 stream header's max frame size starts: after magic, version, flags and
/// context-model size.
const MAX_FRAME_SIZE_AT: usize = 7;

/// Replaces the varint at `pos` by `value`, which must encode to the same length.
fn patch_varint(s: &mut [u8], pos: usize, value: u64) {
    let (_, old) = varint::get(&s[pos..]).unwrap();
    let mut new = Vec::new();
    varint::put(&mut new, value);
    assert_eq!(new.len(), old, "the patched varint keeps its length");
    s[pos..pos + old].copy_from_slice(&new);
}

/// A complete stream around frames that were encoded by hand: `(method, payload, content)`.
fn assemble(frames: &[(Method, Vec<u8>, Vec<u8>)], max_frame_size: u64) -> Vec<u8> {
    let mut out = Vec::new();
    StreamHeader {
        flags: 0,
        max_frame_size,
        context_log: 0,
        codebook_id: 0,
        codebook_hash: 0,
    }
    .write(&mut out);
    let mut entries = Vec::new();
    let mut offset = 0;
    let mut whole = content_hasher();
    for (index, (method, payload, content)) in frames.iter().enumerate() {
        let start = out.len();
        FrameHeader {
            method: *method,
            index: index as u64,
            offset,
            decoded_size: content.len() as u64,
            payload_size: payload.len() as u64,
            content_hash: content_hash(content),
            payload_crc: header_crc(payload),
        }
        .write(&mut out);
        out.extend_from_slice(payload);
        entries.push(IndexEntry {
            frame_bytes: (out.len() - start) as u64,
            decoded_size: content.len() as u64,
        });
        offset += content.len() as u64;
        whole.update(content);
    }
    let head = FooterHead {
        frame_count: frames.len() as u64,
        total_size: offset,
        content_hash: whole.digest(),
    };
    format::write_footer(&head, &entries, &mut out);
    out
}

/// A mode-1 glyph payload for a hand-made transformed block (no implicit spaces).
fn transformed_payload(n1: u8, bank: &[&[u8]], glyphs: &[u8]) -> Vec<u8> {
    let mut block = Vec::new();
    for entry in bank {
        block.extend_from_slice(entry);
        block.push(transform::WORD_END);
    }
    let bank_bytes = block.len() as u64;
    block.extend_from_slice(glyphs);
    let mut out = vec![1];
    let revision = cm::Revision::Second;
    cm::ModelParams::default().write(revision, &mut out);
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&[n1, 0]);
    varint::put(&mut out, bank.len() as u64);
    varint::put(&mut out, bank_bytes);
    varint::put(&mut out, block.len() as u64);
    // One segment: the sampling rate 2^16 covers the block.
    let (bwt, rows) = bwt::forward_sampled(block, 1 << 16);
    out.push(16);
    varint::put(&mut out, u64::from(rows[0]));
    cm::encode(&bwt, revision, cm::ModelParams::default(), out)
}

/// A mode 4 payload (`GlyphRevised`, untransformed, LZP-packed) for a hand-made packed block
/// that claims to unpack to `unpacked_len` bytes.
fn lzp_payload(packed: &[u8], params: LzpParams, unpacked_len: usize) -> Vec<u8> {
    let mut out = vec![4];
    let revision = cm::Revision::Second;
    cm::ModelParams::default().write(revision, &mut out);
    varint::put(&mut out, packed.len() as u64);
    params.write(&mut out);
    varint::put(&mut out, unpacked_len as u64);
    let (bwt, rows) = bwt::forward_sampled(packed.to_vec(), 1 << 16);
    out.push(16);
    varint::put(&mut out, u64::from(rows[0]));
    cm::encode(&bwt, revision, cm::ModelParams::default(), out)
}

/// A mode 8 payload (`GlyphRevised`, untransformed, in two parts) for `block`, whose first
/// part claims one byte more code than there is after the part lengths.
fn parts_past_end_payload(block: &[u8]) -> Vec<u8> {
    let mut out = vec![8];
    let revision = cm::Revision::Second;
    cm::ModelParams::default().write(revision, &mut out);
    varint::put(&mut out, block.len() as u64);
    let (bwt, rows) = bwt::forward_sampled(block.to_vec(), 1 << 16);
    out.push(16);
    varint::put(&mut out, u64::from(rows[0]));
    let half = bwt.len() / 2;
    let codes = [&bwt[..half], &bwt[half..]]
        .map(|part| cm::encode(part, revision, cm::ModelParams::default(), Vec::new()));
    out.push(2);
    varint::put(&mut out, (codes[0].len() + codes[1].len() + 1) as u64);
    out.extend_from_slice(&codes[0]);
    out.extend_from_slice(&codes[1]);
    out
}

/// The block length of a `RecurrenceRevised` payload in mode 1 or 41 (transformed, without LZP
/// or soft line breaks), and the number of pieces its block was sorted in (mode 41; else 1).
fn recurrence_block(payload: &[u8]) -> (u64, u64) {
    let mode = payload[0];
    assert!(mode == 1 || mode == 41, "mode {mode}");
    // Mode, recurrence parameters, implicit-space table, n1, n2, bank entries and bank bytes.
    let mut pos = 1 + QlfcParams::len(qlfc::Revision::Second) + 32 + 2;
    for _ in 0..2 {
        pos += varint::get(&payload[pos..]).unwrap().1;
    }
    let (block_len, n) = varint::get(&payload[pos..]).unwrap();
    let pieces = match mode {
        41 => varint::get(&payload[pos + n..]).unwrap().0,
        _ => 1,
    };
    (block_len, pieces)
}

/// How each frame of a (possibly concatenated) stream is coded, e.g. `Glyph/1 ×5`.
fn summary(mut stream: &[u8]) -> String {
    let mut kinds: Vec<String> = Vec::new();
    let mut streams = 0;
    while !stream.is_empty() {
        let l = layout(stream);
        for &(start, len, h) in &l.frames {
            kinds.push(match h.method {
                Method::Stored => "Stored".to_string(),
                Method::GlyphRevised if stream[start + len] == 1 && l.frames.len() == 1 => {
                    // mode byte, model parameters, 32-byte implicit-space table, n1, n2, entries
                    let p = &stream[start + len + 1 + cm::ModelParams::LEN + 32..];
                    let (entries, _) = varint::get(&p[2..]).unwrap();
                    format!("Glyph/1 (n1 {}, n2 {}, {entries} bank entries)", p[0], p[1])
                }
                Method::GlyphRevised => format!("Glyph/{}", stream[start + len]),
                Method::Glyph => format!("GlyphFirst/{}", stream[start + len]),
                Method::Context => format!("Context/{}", stream[start + len]),
                Method::TextContext => format!("TextContext/{}", stream[start + len]),
                Method::TextLean => format!("TextLean/{}", stream[start + len]),
                Method::Rank => format!("RankFirst/{}", stream[start + len]),
                Method::RankRevised => format!("Rank/{}", stream[start + len]),
                Method::Recurrence => format!("RecurrenceFirst/{}", stream[start + len]),
                Method::RecurrenceRevised => format!("Recurrence/{}", stream[start + len]),
            });
        }
        stream = &stream[l.end..];
        streams += 1;
    }
    let mut runs: Vec<(String, usize)> = Vec::new();
    for k in kinds {
        match runs.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => runs.push((k, 1)),
        }
    }
    let frames: Vec<String> = runs
        .into_iter()
        .map(|(k, n)| if n == 1 { k } else { format!("{k} ×{n}") })
        .collect();
    let frames = if frames.is_empty() {
        "no frames".to_string()
    } else {
        frames.join(", ")
    };
    if streams > 1 {
        format!("{streams} streams; {frames}")
    } else {
        frames
    }
}

/// The fields of a data error, for the README.
fn details(err: &Error) -> String {
    match err {
        Error::NotSigma { offset } => format!("offset {offset}"),
        Error::UnsupportedVersion { version, offset } => {
            format!("version {version}, offset {offset}")
        }
        Error::ReservedFlags { flags, offset } => format!("flags {flags:#04x}, offset {offset}"),
        Error::StreamHeader { what, offset } => format!("\"{what}\", offset {offset}"),
        Error::FrameHeader {
            frame,
            offset,
            what,
        } => format!("frame {frame}, \"{what}\", offset {offset}"),
        Error::Payload {
            frame,
            offset,
            source,
        } => format!("frame {frame}, `PayloadError::{source:?}`, offset {offset}"),
        Error::ContentChecksum { frame, offset } | Error::PayloadChecksum { frame, offset } => {
            format!("frame {frame}, offset {offset}")
        }
        Error::Truncated { offset, inside } => format!("\"{inside}\", offset {offset}"),
        Error::Footer { offset, what } => format!("\"{what}\", offset {offset}"),
        Error::TrailingData { offset } => format!("offset {offset}"),
        Error::Codebook { id, hash, offset } => {
            format!("id {id:08x}, hash {hash:016x}, offset {offset}")
        }
        other => panic!("not a data error: {other:?}"),
    }
}

struct Writer {
    dir: PathBuf,
    rows: Vec<String>,
}

impl Writer {
    fn write(&self, name: &str, bytes: &[u8]) {
        assert!(bytes.len() < 20 << 10, "{name} is {} bytes", bytes.len());
        std::fs::write(self.dir.join(name), bytes).unwrap();
    }

    fn good(&mut self, name: &str, stream: &[u8], text: &[u8], how: &str) {
        self.good_over(name, stream, text, None, how);
    }

    /// A good vector whose stream names `codebook`, a trained one, written beside it as
    /// `good-NAME.sigmacb`; without one, the stream names the built-in codebook or none.
    fn good_over(
        &mut self,
        name: &str,
        stream: &[u8],
        text: &[u8],
        codebook: Option<Arc<Codebook>>,
        how: &str,
    ) {
        let options = match &codebook {
            Some(book) => DecoderOptions::default().codebook(book.clone()),
            None => DecoderOptions::default(),
        };
        let decoded = decode_all(stream, options);
        assert!(decoded.unwrap() == text, "good-{name}.sigma round-trips");
        self.write(&format!("good-{name}.sigma"), stream);
        self.write(&format!("good-{name}.txt"), text);
        if let Some(book) = codebook {
            self.write(&format!("good-{name}.sigmacb"), &book.to_bytes());
        }
        self.rows.push(format!(
            "| `good-{name}.sigma` | decodes to `good-{name}.txt` | {} bytes from {} bytes; {} | {how} |",
            text.len(),
            stream.len(),
            summary(stream)
        ));
    }

    /// Writes a bad vector after checking that it fails with `variant` (and `what`, if given).
    fn bad(&mut self, name: &str, stream: &[u8], variant: &str, what: Option<&str>, how: &str) {
        let err = match decode_all(stream, DecoderOptions::default()) {
            Ok(_) => panic!("bad-{name}.sigma decodes"),
            Err(err) => err,
        };
        let debug = format!("{err:?}");
        assert!(
            debug.starts_with(&format!("{variant} ")),
            "bad-{name}.sigma: {debug}, expected {variant}"
        );
        if let Some(what) = what {
            assert!(
                debug.contains(&format!("\"{what}\"")),
                "bad-{name}.sigma: {debug}"
            );
        }
        self.write(&format!("bad-{name}.sigma"), stream);
        self.rows.push(format!(
            "| `bad-{name}.sigma` | `{variant}` | {} | {how} |",
            details(&err)
        ));
    }

    fn readme(&self, multi: &[u8]) {
        let l = layout(multi);
        let text = README
            .replace("{HEADER}", &l.header_len.to_string())
            .replace("{FRAMES}", &l.frames.len().to_string())
            .replace("{FOOTER}", &(multi.len() - l.footer).to_string())
            .replace("{LEN}", &multi.len().to_string())
            .replace("{ROWS}", &self.rows.join("\n"));
        std::fs::write(self.dir.join("README.md"), text).unwrap();
    }
}

const README: &str = "# ΣLANG test vectors

Golden files for the stream format of `docs/FORMAT.md`, in the spirit of xz's `tests/files`:
`good-*.sigma` must decode to the `good-*.txt` with the same stem, and every `bad-*.sigma` must
be rejected with the error given below. All are version 15 streams (or damaged ones); `v1/` to
`v14/` hold the files of versions 1 to 14, which decoders still read.

- Regenerate (files and this README): `cargo run --release -p sigmalang --example make_vectors`
  (optionally `-- DIR`). The output is deterministic: fixed texts, a fixed pseudo-random
  generator, one thread.
- Check: `cargo test --release -p sigmalang --test vectors` decodes every file with
  `sigmalang::decode_all` and compares the result with its own table of expected errors, in
  `crates/sigmalang/tests/vectors.rs`; it also checks that this README names the same files,
  variants and strings.
- Versioning: a format change bumps `VERSION` and regenerates these files; the files of the old
  version are kept in a subdirectory named after it (`v1/`, …), so that decoders are checked
  against every version they read, and against the old streams they must refuse with
  `UnsupportedVersion`.

Unless stated otherwise, a bad file is `good-multi-frame.sigma` ({LEN} bytes: a {HEADER}-byte
stream header, {FRAMES} glyph-coded frames and a {FOOTER}-byte footer) with one defect. \"CRC
recomputed\" means the defect was made with the covering CRC32C fixed up, so that the check
behind the CRC is exercised. The second column is the `sigmalang::Error` variant; the third
gives its fields (`what` or `inside` in quotes; offsets are byte positions in the file). In the
third column of good files, `Glyph/0` is a glyph-coded frame without the word transform,
`Glyph/1` one with it, `Glyph/2` one with it over the stream's codebook, and `/3` one over the
codebook with its entries in the order of its keys (payload modes, section 8.2 of the spec; 4
added for an LZP-packed block, as in `Glyph/5`, 8 for a block coded in parts, as in `Glyph/9`,
16 for soft line breaks, as in `Glyph/17`, 32 more for a block in parts sorted in pieces, as
in `Recurrence/41`, and 64 for a glyph stream rendered in two parts, as in `Glyph/81`). Only the `codebook` files name a codebook (the built-in English one, or the
`.sigmacb` file of the same stem, which decoding needs); the others are encoded with
`EncoderOptions::codebook(None)`.

| File | Expected result | Details | How it was made |
|---|---|---|---|
{ROWS}
";

fn main() {
    let dir = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if (name.starts_with("good-") || name.starts_with("bad-"))
            && (name.ends_with(".sigma") || name.ends_with(".txt") || name.ends_with(".sigmacb"))
        {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let mut w = Writer {
        dir,
        rows: Vec::new(),
    };
    // Most vectors test the container and the coders, so they name no codebook.
    let one = EncoderOptions::default().threads(1).codebook(None);
    let small_frames = one.clone().frame_size(1024);

    // Good streams.
    let empty = encode_all(b"", &one);
    w.good(
        "empty",
        &empty,
        b"",
        "empty input: stream header and footer only",
    );

    let short_text = b"The river carried the old stone bridge's light; the river carried the \
morning, and the morning carried the river.\n"
        .to_vec();
    let short = encode_all(&short_text, &one);
    w.good("short", &short, &short_text, "one line of text");

    let multi_text = prose(4800, 1);
    let multi = encode_all(&multi_text, &small_frames);
    w.good(
        "multi-frame",
        &multi,
        &multi_text,
        "prose, `EncoderOptions::frame_size(1024)`",
    );

    let binary_text = binary(300, 7);
    let stored = encode_all(&binary_text, &one);
    w.good(
        "stored-binary",
        &stored,
        &binary_text,
        "pseudo-random bytes, which nothing compresses",
    );

    let second_text = prose(700, 2);
    let mut concatenated = short.clone();
    concatenated.extend_from_slice(&encode_all(&second_text, &one));
    let mut concatenated_text = short_text.clone();
    concatenated_text.extend_from_slice(&second_text);
    w.good(
        "concatenated",
        &concatenated,
        &concatenated_text,
        "`good-short.sigma` followed by a second complete stream",
    );

    let awkward = awkward_text();
    let awkward_stream = encode_all(&awkward, &one);
    w.good(
        "crlf-unicode-control",
        &awkward_stream,
        &awkward,
        "CRLF lines, tabs, VT, FF, accented and non-Latin words, symbols, an emoji, control \
bytes 0x00–0x08, ESC, DEL, invalid UTF-8, upper-case and mixed-case words, no final newline",
    );

    let digits: Vec<u8> = (0..3000u32)
        .flat_map(|i| format!("{:04},", i * 7 % 1000).into_bytes())
        .take(3000)
        .collect();
    let untransformed = encode_all(&digits, &one);
    w.good(
        "glyph-untransformed",
        &untransformed,
        &digits,
        "digits and commas: no words, so no word transform",
    );

    let vocabulary = large_vocabulary(12000, 3);
    let large_bank = encode_all(&vocabulary, &one);
    w.good(
        "large-bank",
        &large_bank,
        &vocabulary,
        "a vocabulary of accented words (always banked): one- and two-byte Σ-bank codes",
    );

    // DELTA glyphs: the library's encoder does not emit them by default, but decoders must
    // read them, so this frame is encoded with them turned on and put in a stream by hand.
    let phrases = "of the house, of the garden; of the sea and of the sky. ".repeat(24);
    let params = CodecParams {
        delta_glyphs: true,
        ..CodecParams::default()
    };
    let encoded = frame::encode(phrases.as_bytes().to_vec(), &params, None);
    assert_eq!(encoded.method, Method::GlyphRevised);
    assert!(
        encoded.glyphs[GlyphType::Delta as usize] > 0,
        "DELTA glyphs used"
    );
    let delta = assemble(
        &[(
            Method::GlyphRevised,
            encoded.payload,
            phrases.clone().into_bytes(),
        )],
        phrases.len() as u64,
    );
    w.good(
        "delta-glyphs",
        &delta,
        phrases.as_bytes(),
        &format!(
            "repeated phrases, encoded with `CodecParams::delta_glyphs` on: {} DELTA glyphs",
            encoded.glyphs[GlyphType::Delta as usize]
        ),
    );

    let context_text = prose(3000, 7);
    let context = encode_all(&context_text, &one.clone().level(9));
    w.good(
        "context-model",
        &context,
        &context_text,
        "prose at level 9: `TextContext` frames (word-aware context model, no BWT)",
    );

    let varied = varied_text(19_000, 3);
    let varied_context = encode_all(&varied, &one.clone().level(9));
    w.good(
        "context-model-varied",
        &varied_context,
        &varied,
        "made-up words (two-byte codes), numbers, upper case and a recurring paragraph at level \
         9: `TextContext` frames with larger tables and the match model at work",
    );

    let lean = encode_all(&varied, &one.clone().level(7).frame_size(16 << 10));
    w.good(
        "context-model-lean",
        &lean,
        &varied,
        "the same text at level 7 in 16 KiB frames: `TextLean` frames (the word model's third \
         revision: eight contexts, a match model that reads its table once)",
    );

    let rank = encode_all(&varied, &one.clone().level(1).frame_size(16 << 10));
    w.good(
        "rank",
        &rank,
        &varied,
        "the same text at level 1 in 16 KiB frames: `RankRevised` frames (BWT, move-to-front ranks)",
    );

    let mut flagged = short.clone();
    let l = layout(&flagged);
    flagged[5] = 0xF0;
    fix_stream_header_crc(&mut flagged, l.header_len);
    w.good(
        "ignorable-flags",
        &flagged,
        &short_text,
        "`good-short.sigma` with flags 0xF0 (the four ignorable bits), header CRC recomputed",
    );

    // LZP: blocks this small are never packed by the library's encoder, so the frames are
    // encoded with a policy that packs any block, and put in a stream by hand.
    let log = log_lines(60);
    let lzp = Some(LzpPolicy {
        min_len: 16,
        sample_log: 1,
        min_block: 0,
        trial_saving_256ths: 0,
    });
    let bwt_params = CodecParams {
        lzp,
        ..CodecParams::default()
    };
    let rank_params = CodecParams {
        stage: Stage::Rank(RankParams::default()),
        lzp,
        ..CodecParams::default()
    };
    let half = log.len() / 2;
    let halves = [log[..half].to_vec(), log[half..].to_vec()];
    let frames: Vec<_> = [(&halves[0], &bwt_params), (&halves[1], &rank_params)]
        .into_iter()
        .map(|(text, params)| {
            let encoded = frame::encode(text.clone(), params, None);
            assert_eq!(
                encoded.payload[0] & 15,
                5,
                "a transformed, LZP-packed block"
            );
            (encoded.method, encoded.payload, text.clone())
        })
        .collect();
    let lzp_stream = assemble(&frames, half as u64 + 1);
    w.good(
        "lzp",
        &lzp_stream,
        &log,
        "log lines in two frames, `GlyphRevised` then `RankRevised`, each block packed by LZP \
         (encoded with `CodecParams::lzp` asking for matches of 16 bytes in any block, every second \
         position sampled)",
    );

    // The recurrence coder: the library's encoder gives it blocks of 1 MiB or more (smaller
    // ones go to the context-mixing model); this frame is coded with a policy that gives it any
    // block, and put in a stream by hand.
    let recurrence_params = CodecParams {
        stage: Stage::Recurrence(QlfcParams::default()),
        recurrence_min_block: 0,
        ..CodecParams::default()
    };
    let encoded = frame::encode(varied.clone(), &recurrence_params, None);
    assert_eq!(encoded.method, Method::RecurrenceRevised);
    let recurrence = assemble(
        &[(Method::RecurrenceRevised, encoded.payload, varied.clone())],
        varied.len() as u64,
    );
    w.good(
        "recurrence",
        &recurrence,
        &varied,
        "the text of `good-rank.sigma` in one `RecurrenceRevised` frame: BWT, then runs coded by \
         when their byte comes back (encoded with `CodecParams::recurrence_min_block` 0, which gives the recurrence \
         coder any block)",
    );

    // Blocks in parts: the library's encoder codes blocks of 1 MiB or more in two parts; these
    // frames are coded in three with a policy that splits any block, and put in a stream by
    // hand.
    let parts_params = CodecParams {
        parts: BlockParts {
            count: 3,
            min_block: 0,
        },
        ..CodecParams::default()
    };
    let encoded = frame::encode(varied.clone(), &parts_params, None);
    assert_eq!(
        encoded.payload[0] & 15,
        9,
        "a transformed block coded in parts"
    );
    let parts = assemble(
        &[(Method::GlyphRevised, encoded.payload, varied.clone())],
        varied.len() as u64,
    );
    w.good(
        "parts",
        &parts,
        &varied,
        "the text of `good-rank.sigma` in one `GlyphRevised` frame whose block is coded in three \
         parts, each with a model and a coder of its own (encoded with `CodecParams::parts` \
         asking for three parts of any block)",
    );
    let recurrence_parts_params = CodecParams {
        parts: parts_params.parts,
        ..recurrence_params
    };
    let encoded = frame::encode(varied.clone(), &recurrence_parts_params, None);
    assert_eq!(
        encoded.payload[0] & 15,
        9,
        "a transformed block coded in parts"
    );
    let recurrence_parts = assemble(
        &[(Method::RecurrenceRevised, encoded.payload, varied.clone())],
        varied.len() as u64,
    );
    w.good(
        "recurrence-parts",
        &recurrence_parts,
        &varied,
        "the same text in one `RecurrenceRevised` frame whose block is coded in three parts (encoded \
         with `CodecParams::parts` asking for three parts of any block)",
    );

    // A block sorted in pieces: the library's encoder sorts a block of more than 24 MiB
    // (`frame::MAX_SORTED_BLOCK`) in pieces; this frame's block is sorted in three with a
    // policy that splits any block, and put in a stream by hand.
    let whole = frame::encode(varied.clone(), &recurrence_params, None);
    assert_eq!(whole.payload[0], 1, "a transformed block sorted whole");
    let (block_len, _) = recurrence_block(&whole.payload);
    let max_sorted_block = (block_len as usize).div_ceil(3);
    let pieces_params = CodecParams {
        max_sorted_block,
        ..recurrence_params
    };
    let encoded = frame::encode(varied.clone(), &pieces_params, None);
    assert_eq!(encoded.method, Method::RecurrenceRevised);
    assert_eq!(
        encoded.payload[0], 41,
        "a transformed block in parts, sorted in pieces"
    );
    assert_eq!(recurrence_block(&encoded.payload), (block_len, 3));
    let pieces = assemble(
        &[(Method::RecurrenceRevised, encoded.payload, varied.clone())],
        varied.len() as u64,
    );
    w.good(
        "pieces",
        &pieces,
        &varied,
        &format!(
            "the same text in one `RecurrenceRevised` frame whose block of {block_len} bytes is \
             sorted in three pieces, each the BWT of its own third of the block with segment rows \
             of its own, coded as the block's three parts (encoded with \
             `CodecParams::max_sorted_block` {max_sorted_block}, a third of the block)"
        ),
    );

    // Soft line breaks: prose wrapped at 72 columns, whose newlines between words the
    // transform codes as separators beside the glyph stream (16 added to the payload mode).
    let wrapped = wrap(&prose(6000, 5), 72);
    let line_breaks = encode_all(&wrapped, &one);
    assert!(
        layout(&line_breaks)
            .frames
            .iter()
            .all(|f| line_breaks[f.0 + f.1] & 16 != 0),
        "every frame codes soft line breaks"
    );
    w.good(
        "line-breaks",
        &line_breaks,
        &wrapped,
        "prose wrapped at 72 columns at the default level: the newlines between words that end \
         at column 48 or later are separators coded beside the glyph stream (payload mode 17)",
    );
    let lean_breaks = encode_all(&wrapped, &one.clone().level(7).frame_size(16 << 10));
    w.good(
        "line-breaks-lean",
        &lean_breaks,
        &wrapped,
        "the same prose at level 7: a `TextLean` frame with soft line breaks (payload mode 17)",
    );
    let crlf_wrapped: Vec<u8> = wrapped
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    let crlf_breaks = encode_all(&crlf_wrapped, &one);
    w.good(
        "line-breaks-crlf",
        &crlf_breaks,
        &crlf_wrapped,
        "the same prose with CR LF line ends, which its soft line breaks stand for (payload \
         mode 17, line end 1)",
    );

    // A glyph stream rendered in two parts: the library's encoder splits a text of 1 MiB or
    // more (`transform::SPLIT_MIN`); this frame, two paragraphs of wrapped prose, is split with
    // a policy that splits any text, and put in a stream by hand.
    let mut paragraphs = wrapped.clone();
    paragraphs.push(b'\n');
    paragraphs.extend_from_slice(&wrap(&prose(6000, 6), 72));
    let split_params = CodecParams {
        split_min: 0,
        ..CodecParams::default()
    };
    let encoded = frame::encode(paragraphs.clone(), &split_params, None);
    assert_eq!(encoded.method, Method::GlyphRevised);
    assert_eq!(
        encoded.payload[0], 81,
        "a transformed block with soft line breaks, rendered in two parts"
    );
    let split = assemble(
        &[(Method::GlyphRevised, encoded.payload, paragraphs.clone())],
        paragraphs.len() as u64,
    );
    w.good(
        "split",
        &split,
        &paragraphs,
        "two paragraphs of prose wrapped at 72 columns in one frame whose glyph stream is rendered \
         in two parts, split after the blank line, each part with soft line breaks of its own \
         (payload mode 81; encoded with `CodecParams::split_min` 0, which splits any text)",
    );

    // Ordinary English over the built-in codebook, so the decoder needs the codebook: at the
    // default level the frame is too small to gain from the keys' order (mode 2), at level 1
    // it is coded in that order (mode 3).
    let letter = b"Dear Margaret,\n\nThank you for your letter, which arrived on Tuesday \
morning while we were still clearing the garden after the storm. The old apple tree by the \
wall came down at last, and we spent most of the week cutting it into pieces small enough to \
carry. Your father says the wood will keep us warm for two winters, although I think he is \
being hopeful about the size of the pile.\n\nThe children are well. Thomas has started \
school in the village and comes home every afternoon with a new question that none of us can \
answer; yesterday it was why the moon is sometimes visible during the day. Anna is learning \
to read and insists on reading the labels of everything in the kitchen aloud, which makes \
cooking a slow business.\n\nWe would be very glad if you could visit us in the spring. \
There is room enough now that the spare bedroom has been painted, and the roads should be \
better by then. Write soon and tell us what you think.\n\nWith love from all of us,\nHelen\n"
        .to_vec();
    let english = EncoderOptions::default().threads(1);
    // Every frame's payload starts with its mode (soft line breaks aside).
    let modes = |stream: &[u8]| {
        let l = layout(stream);
        (l.frames.iter())
            .map(|&(start, len, _)| stream[start + len] & 15)
            .collect::<Vec<u8>>()
    };
    let codebook = encode_all(&letter, &english);
    let cb = layout(&codebook);
    assert_eq!(
        modes(&codebook),
        [2],
        "coded over the codebook in its own order"
    );
    w.good(
        "codebook",
        &codebook,
        &letter,
        "an English letter, encoded with the default codebook, the built-in English one (id 1): \
         the stream header names it, and the frame is coded over it (payload mode 2: a frame \
         this small takes its entries in their own order)",
    );
    let keyed = encode_all(&letter, &english.clone().level(1));
    assert_eq!(
        modes(&keyed),
        [3],
        "coded over the codebook in the order of its keys"
    );
    w.good(
        "codebook-keys",
        &keyed,
        &letter,
        "the same letter at level 1, whose rank coder takes the built-in codebook's entries in \
         the order of its keys at any size (payload mode 3)",
    );

    // A trained codebook with keys, which the decoder reads from its file (version 2).
    let sample = prose(6000, 11);
    let mut trainer = Trainer::new();
    trainer.feed(&sample);
    let plain = trainer.finish(64);
    let mut learner = KeyLearner::new(&plain);
    learner.feed(&sample);
    let keys = learner.finish();
    let trained = Arc::new(plain.with_keys(keys).unwrap());
    let text = prose(1500, 12);
    let over_trained = encode_all(&text, &one.clone().level(1).codebook(Some(trained.clone())));
    assert_eq!(
        modes(&over_trained),
        [3],
        "coded over the trained codebook by keys"
    );
    w.good_over(
        "trained-codebook",
        &over_trained,
        &text,
        Some(trained),
        "pseudo-random prose at level 1 over a codebook trained, with its keys, on other prose \
         of the same words (`good-trained-codebook.sigmacb`, a version 2 codebook file, which \
         the decoder needs): the stream header names it, and the frame is coded over it in the \
         order of its keys (payload mode 3)",
    );

    // Bad streams, each a good one with one defect.
    let mut s = context.clone();
    let cl = layout(&s);
    s[6] = 0;
    fix_stream_header_crc(&mut s, cl.header_len);
    w.bad(
        "context-model-size",
        &s,
        "Payload",
        None,
        "`good-context-model.sigma` with the stream header's context-model size set to 0 (no \
         context-model frames), header CRC recomputed",
    );

    // The codebook fields end four bytes before the header does (then its CRC).
    let hash_at = cb.header_len - 12;
    let mut s = codebook.clone();
    s[hash_at] ^= 0x01;
    fix_stream_header_crc(&mut s, cb.header_len);
    w.bad(
        "codebook-unknown",
        &s,
        "Codebook",
        None,
        "`good-codebook.sigma` with one bit of the codebook hash flipped (a codebook this \
         decoder does not have), header CRC recomputed",
    );

    let mut s = codebook.clone();
    s[hash_at - 4..hash_at + 8].fill(0);
    fix_stream_header_crc(&mut s, cb.header_len);
    w.bad(
        "payload-no-codebook",
        &s,
        "Payload",
        None,
        "`good-codebook.sigma` with the codebook id and hash set to 0 (no codebook), header CRC \
         recomputed: frame 0 is coded over a codebook the stream does not name",
    );

    let l = layout(&multi);
    let frame = |i: usize| l.frames[i];
    w.bad("empty-file", b"", "NotSigma", None, "zero bytes");

    let mut s = multi.clone();
    s[0] = b'P';
    w.bad(
        "magic",
        &s,
        "NotSigma",
        None,
        "first byte 0xFE replaced by `P`",
    );

    let mut s = multi.clone();
    let next = format::VERSION + 1;
    s[4] = next;
    fix_stream_header_crc(&mut s, l.header_len);
    w.bad(
        &format!("version-{next}"),
        &s,
        "UnsupportedVersion",
        None,
        &format!("version byte {next}, header CRC recomputed"),
    );

    let mut s = multi.clone();
    s[5] = 0x01;
    fix_stream_header_crc(&mut s, l.header_len);
    w.bad(
        "reserved-flag",
        &s,
        "ReservedFlags",
        None,
        "flags 0x01 (a must-be-zero bit), header CRC recomputed",
    );

    let mut s = multi.clone();
    s[l.header_len - 5] ^= 0x40; // last byte of the codebook hash
    w.bad(
        "stream-header-crc",
        &s,
        "StreamHeader",
        Some("checksum mismatch"),
        "one bit of the codebook hash flipped",
    );

    let mut s = multi.clone();
    // Max frame size 1024 = 80 08 becomes 00 and the header is one byte shorter.
    s[MAX_FRAME_SIZE_AT] = 0;
    s.remove(MAX_FRAME_SIZE_AT + 1);
    fix_stream_header_crc(&mut s, l.header_len - 1);
    w.bad(
        "max-frame-size-zero",
        &s,
        "StreamHeader",
        Some("max frame size"),
        "max frame size 0 (the header is one byte shorter), header CRC recomputed",
    );

    let mut s = multi.clone();
    let first = frame(0).2.decoded_size;
    patch_varint(&mut s, MAX_FRAME_SIZE_AT, first - 1);
    fix_stream_header_crc(&mut s, l.header_len);
    w.bad(
        "frame-too-large",
        &s,
        "FrameHeader",
        Some("decoded size"),
        &format!(
            "max frame size {}, one below frame 0's decoded size, header CRC recomputed",
            first - 1
        ),
    );

    let (start, hlen, _) = frame(1);
    let mut s = multi.clone();
    s[start + hlen - 6] ^= 0x01; // in the content hash
    w.bad(
        "frame-header-crc",
        &s,
        "FrameHeader",
        Some("checksum mismatch"),
        "one bit of frame 1's content hash flipped",
    );

    let mut s = multi.clone();
    s[start + 3] = b'G';
    w.bad(
        "frame-magic",
        &s,
        "FrameHeader",
        Some("bad magic"),
        "frame 1's magic `FE CE A3 46` changed to `FE CE A3 47`",
    );

    let (start0, hlen0, _) = frame(0);
    let mut s = multi.clone();
    s[start0 + 4] = 10;
    fix_frame_crc(&mut s, start0, hlen0);
    w.bad(
        "frame-method",
        &s,
        "FrameHeader",
        Some("method"),
        "frame 0's method byte 10, frame CRC recomputed",
    );

    let (s1, h1, f1) = frame(1);
    let (s2, h2, f2) = frame(2);
    let (e1, e2) = (
        s1 + h1 + f1.payload_size as usize,
        s2 + h2 + f2.payload_size as usize,
    );
    let mut s = multi[..s1].to_vec();
    s.extend_from_slice(&multi[s2..e2]);
    s.extend_from_slice(&multi[e1..s2]);
    s.extend_from_slice(&multi[e2..]);
    w.bad(
        "frame-out-of-sequence",
        &s,
        "FrameHeader",
        Some("frame out of sequence"),
        "frames 1 and 2 swapped",
    );

    let mut s = multi.clone();
    s[start0 + hlen0 + 40] ^= 0x08; // a payload byte, payload CRC left as it was
    w.bad(
        "payload-checksum",
        &s,
        "PayloadChecksum",
        None,
        "one bit of frame 0's payload flipped",
    );

    let mut s = multi.clone();
    s[start0 + hlen0] = 0x83; // the glyph payload's mode byte: bit 7 means nothing
    fix_payload_crc(&mut s, start0, hlen0, frame(0).2.payload_size);
    w.bad(
        "payload-mode",
        &s,
        "Payload",
        None,
        "frame 0's glyph payload mode byte set to 0x83 (bit 7 means nothing), payload CRC recomputed",
    );

    let mut s = multi.clone();
    let (start2, hlen2, _) = frame(2);
    s[start2 + hlen2 - 12] ^= 0x80; // content hash, with the header CRC recomputed
    fix_frame_crc(&mut s, start2, hlen2);
    w.bad(
        "content-checksum-hash",
        &s,
        "ContentChecksum",
        None,
        "one bit of frame 2's content hash flipped, frame CRC recomputed",
    );

    let mut s = stored.clone();
    let ls = layout(&stored);
    let (start, hlen, _) = ls.frames[0];
    s[start + hlen + 100] ^= 0x10; // a bit of the stored bytes
    fix_payload_crc(&mut s, start, hlen, ls.frames[0].2.payload_size);
    w.bad(
        "content-checksum-stored",
        &s,
        "ContentChecksum",
        None,
        "`good-stored-binary.sigma` with one bit of the stored bytes flipped (same size), payload CRC recomputed",
    );

    let (start, hlen, h) = frame(2);
    w.bad(
        "truncated-mid-frame",
        &multi[..start + hlen + h.payload_size as usize / 2],
        "Truncated",
        Some("in a frame payload"),
        "cut in the middle of frame 2's payload",
    );
    w.bad(
        "truncated-frame-boundary",
        &multi[..l.footer],
        "Truncated",
        Some("before the stream footer"),
        "cut after the last frame: the footer is missing",
    );
    w.bad(
        "truncated-seek-index",
        &multi[..l.entries + 1],
        "Truncated",
        Some("in the seek index"),
        "cut one byte into the seek index",
    );
    w.bad(
        "truncated-trailer",
        &multi[..multi.len() - TRAILER_LEN / 2],
        "Truncated",
        Some("in the stream trailer"),
        "the last 8 bytes (footer CRC and end magic) cut off",
    );

    let mut s = multi.clone();
    s.extend_from_slice(GARBAGE);
    w.bad(
        "trailing-garbage",
        &s,
        "TrailingData",
        None,
        "`This is not a stream.\\n` appended",
    );

    let count_at = l.footer + 4;
    let total_at = count_at + varint::len(l.frames.len() as u64);
    let mut s = multi.clone();
    patch_varint(&mut s, count_at, l.frames.len() as u64 - 1);
    fix_footer_crc(&mut s, l.footer);
    w.bad(
        "footer-frame-count",
        &s,
        "Footer",
        Some("frame count differs from the frames read"),
        "footer frame count one less, footer CRC recomputed",
    );

    let mut s = multi.clone();
    patch_varint(&mut s, total_at, multi_text.len() as u64 + 1);
    fix_footer_crc(&mut s, l.footer);
    w.bad(
        "footer-total-size",
        &s,
        "Footer",
        Some("total size differs from the frames read"),
        "footer total size one more, footer CRC recomputed",
    );

    let mut s = multi.clone();
    let entry = l.entries + varint::len(l.frames[0].1 as u64 + l.frames[0].2.payload_size);
    let decoded0 = l.frames[0].2.decoded_size;
    patch_varint(&mut s, entry, decoded0 - 1);
    fix_footer_crc(&mut s, l.footer);
    w.bad(
        "seek-index",
        &s,
        "Footer",
        Some("seek index differs from the frames read"),
        "seek-index entry 0's decoded size one less, footer CRC recomputed",
    );

    let mut s = multi.clone();
    let hash_at = total_at + varint::len(multi_text.len() as u64);
    s[hash_at] ^= 0x01;
    w.bad(
        "footer-crc",
        &s,
        "Footer",
        Some("checksum mismatch"),
        "one bit of the footer's content hash flipped",
    );

    let mut s = multi.clone();
    s[hash_at] ^= 0x01;
    fix_footer_crc(&mut s, l.footer);
    w.bad(
        "whole-content-hash",
        &s,
        "Footer",
        Some("whole-content checksum mismatch"),
        "one bit of the footer's content hash flipped, footer CRC recomputed",
    );

    let mut s = multi.clone();
    let len_at = s.len() - TRAILER_LEN;
    s[len_at] += 1;
    fix_footer_crc(&mut s, l.footer);
    w.bad(
        "footer-length",
        &s,
        "Footer",
        Some("footer length mismatch"),
        "trailer's footer length one more, footer CRC recomputed",
    );

    let mut s = multi.clone();
    let end = s.len();
    s[end - 1] = b'X';
    w.bad(
        "end-magic",
        &s,
        "Footer",
        Some("bad end magic"),
        "last byte `Z` of the end magic replaced by `X`",
    );

    // A DELTA byte with no word before it predicts nothing.
    let payload = transformed_payload(1, &[b"sea"], b"\x05 and sea");
    let claimed = vec![b'x'; payload.len() + 10];
    w.bad(
        "delta-unpredicted",
        &assemble(&[(Method::GlyphRevised, payload, claimed)], 1024),
        "Payload",
        None,
        "a hand-made transformed frame whose glyph stream starts with a DELTA byte",
    );

    // A block in two parts whose first part claims more code than the payload holds.
    let content = b"abcdefghijklmnopqrstuvwxyz\n".repeat(8);
    w.bad(
        "parts-past-end",
        &assemble(
            &[(
                Method::GlyphRevised,
                parts_past_end_payload(&content),
                content,
            )],
            1024,
        ),
        "Payload",
        None,
        "a hand-made frame whose block is coded in two parts, the first of which claims a byte \
         more code than the payload has after the part lengths",
    );

    // An LZP match at the start of a block, where no context has been seen yet.
    let content = b"abcdefghijklmnopqrstuvwxyz\n".repeat(8);
    let params = LzpParams {
        escape: b'#',
        min_len: 8,
        hash_log: 10,
        sample_log: 0,
    };
    // As if the match stood for `content[2..10]`, the shortest match.
    let packed = [&b"ab#\x01"[..], &content[10..]].concat();
    w.bad(
        "lzp-match-without-context",
        &assemble(
            &[(
                Method::GlyphRevised,
                lzp_payload(&packed, params, content.len()),
                content,
            )],
            1024,
        ),
        "Payload",
        None,
        "a hand-made mode 4 frame (untransformed, LZP-packed) whose packed block has a match at \
         position 2, before any context: its third and fourth bytes are the escape and a length",
    );

    w.readme(&multi);
    println!("{} vectors and README.md written", w.rows.len());
}
