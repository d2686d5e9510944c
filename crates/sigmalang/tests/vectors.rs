//! The golden vectors in `tests/vectors/` (made by `examples/make_vectors.rs`, described in
//! `tests/vectors/README.md`): every `good-*.sigma` decodes to its `good-*.txt`, and every
//! `bad-*.sigma` fails with exactly the error in [`BAD`], which the README's table repeats.
//! The files of older versions, in `tests/vectors/v1/` to `tests/vectors/v14/`, are checked
//! the same way, with the changes in [`V1_BAD`] to [`V4_BAD`], [`V7_BAD`], [`V9_BAD`] and
//! [`V10_BAD`] (versions 5 to 7 fail alike; [`V9_BAD`] applies to versions 4 to 12, and
//! [`V10_BAD`] to versions 8 to 11; [`V9_BAD`] also to version 14; version 13's files fail as
//! the current ones do).

use sigmalang::format::{FOOTER_MAGIC, FRAME_MAGIC};
use sigmalang::frame::PayloadError;
use sigmalang::seekable::SeekableDecoder;
use sigmalang::{decode_all, DecoderOptions, Error};
use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// What `bad-trailing-garbage.sigma` has after its stream (see `make_vectors.rs`).
const GARBAGE: &[u8] = b"This is not a stream.\n";

/// The error a bad vector must produce, without the offsets (checked separately, by structure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    NotSigma,
    UnsupportedVersion(u8),
    ReservedFlags(u8),
    /// The English codebook's id, with a hash that is not its.
    UnknownCodebook,
    StreamHeader(&'static str),
    FrameHeader(u64, &'static str),
    Payload(u64, PayloadError),
    ContentChecksum(u64),
    PayloadChecksum(u64),
    Truncated(&'static str),
    Footer(&'static str),
    TrailingData,
}

impl Expect {
    fn variant(self) -> &'static str {
        match self {
            Expect::NotSigma => "NotSigma",
            Expect::UnsupportedVersion(_) => "UnsupportedVersion",
            Expect::ReservedFlags(_) => "ReservedFlags",
            Expect::StreamHeader(_) => "StreamHeader",
            Expect::FrameHeader(..) => "FrameHeader",
            Expect::Payload(..) => "Payload",
            Expect::ContentChecksum(_) => "ContentChecksum",
            Expect::PayloadChecksum(_) => "PayloadChecksum",
            Expect::Truncated(_) => "Truncated",
            Expect::Footer(_) => "Footer",
            Expect::TrailingData => "TrailingData",
            Expect::UnknownCodebook => "Codebook",
        }
    }

    /// The string field (`what` or `inside`), if the variant has one.
    fn text(self) -> Option<&'static str> {
        match self {
            Expect::StreamHeader(s)
            | Expect::FrameHeader(_, s)
            | Expect::Truncated(s)
            | Expect::Footer(s) => Some(s),
            _ => None,
        }
    }
}

use Expect::*;

/// Every bad vector and the error it must produce.
const BAD: &[(&str, Expect)] = &[
    ("bad-empty-file.sigma", NotSigma),
    ("bad-magic.sigma", NotSigma),
    ("bad-version-16.sigma", UnsupportedVersion(16)),
    ("bad-codebook-unknown.sigma", UnknownCodebook),
    (
        "bad-payload-no-codebook.sigma",
        Payload(0, PayloadError::NoCodebook),
    ),
    ("bad-reserved-flag.sigma", ReservedFlags(0x01)),
    (
        "bad-stream-header-crc.sigma",
        StreamHeader("checksum mismatch"),
    ),
    (
        "bad-max-frame-size-zero.sigma",
        StreamHeader("max frame size"),
    ),
    ("bad-frame-too-large.sigma", FrameHeader(0, "decoded size")),
    (
        "bad-frame-header-crc.sigma",
        FrameHeader(1, "checksum mismatch"),
    ),
    ("bad-frame-magic.sigma", FrameHeader(1, "bad magic")),
    ("bad-frame-method.sigma", FrameHeader(0, "method")),
    (
        "bad-frame-out-of-sequence.sigma",
        FrameHeader(1, "frame out of sequence"),
    ),
    ("bad-payload-checksum.sigma", PayloadChecksum(0)),
    ("bad-payload-mode.sigma", Payload(0, PayloadError::Header)),
    (
        "bad-context-model-size.sigma",
        Payload(0, PayloadError::ModelSize),
    ),
    (
        "bad-delta-unpredicted.sigma",
        Payload(0, PayloadError::Glyphs),
    ),
    ("bad-content-checksum-hash.sigma", ContentChecksum(2)),
    ("bad-content-checksum-stored.sigma", ContentChecksum(0)),
    (
        "bad-truncated-mid-frame.sigma",
        Truncated("in a frame payload"),
    ),
    (
        "bad-truncated-frame-boundary.sigma",
        Truncated("before the stream footer"),
    ),
    (
        "bad-truncated-seek-index.sigma",
        Truncated("in the seek index"),
    ),
    (
        "bad-truncated-trailer.sigma",
        Truncated("in the stream trailer"),
    ),
    ("bad-trailing-garbage.sigma", TrailingData),
    (
        "bad-lzp-match-without-context.sigma",
        Payload(0, PayloadError::Lzp),
    ),
    ("bad-parts-past-end.sigma", Payload(0, PayloadError::Header)),
    (
        "bad-footer-frame-count.sigma",
        Footer("frame count differs from the frames read"),
    ),
    (
        "bad-footer-total-size.sigma",
        Footer("total size differs from the frames read"),
    ),
    (
        "bad-seek-index.sigma",
        Footer("seek index differs from the frames read"),
    ),
    ("bad-footer-crc.sigma", Footer("checksum mismatch")),
    (
        "bad-whole-content-hash.sigma",
        Footer("whole-content checksum mismatch"),
    ),
    ("bad-footer-length.sigma", Footer("footer length mismatch")),
    ("bad-end-magic.sigma", Footer("bad end magic")),
];

/// Every good vector (its `.txt` has the same stem).
const GOOD: &[&str] = &[
    "good-empty.sigma",
    "good-short.sigma",
    "good-multi-frame.sigma",
    "good-stored-binary.sigma",
    "good-concatenated.sigma",
    "good-crlf-unicode-control.sigma",
    "good-glyph-untransformed.sigma",
    "good-large-bank.sigma",
    "good-delta-glyphs.sigma",
    "good-ignorable-flags.sigma",
    "good-context-model.sigma",
    "good-context-model-varied.sigma",
    "good-context-model-lean.sigma",
    "good-rank.sigma",
    "good-codebook.sigma",
    "good-codebook-keys.sigma",
    "good-trained-codebook.sigma",
    "good-lzp.sigma",
    "good-parts.sigma",
    "good-recurrence.sigma",
    "good-recurrence-parts.sigma",
    "good-line-breaks.sigma",
    "good-line-breaks-crlf.sigma",
    "good-line-breaks-lean.sigma",
    "good-pieces.sigma",
    "good-split.sigma",
];

/// Good files whose stream names a trained codebook, in the `.sigmacb` file of the same stem.
const OVER_TRAINED_CODEBOOK: &[&str] = &["good-trained-codebook.sigma"];

/// Files that version 15 added: the first glyph stream rendered in two parts.
const V15_ONLY: &[&str] = &["good-split.sigma"];

/// Files that version 14 added: the first block sorted in pieces.
const V14_ONLY: &[&str] = &["good-pieces.sigma"];

/// Files that version 13 added: the first soft line breaks.
const V13_ONLY: &[&str] = &[
    "good-line-breaks.sigma",
    "good-line-breaks-crlf.sigma",
    "good-line-breaks-lean.sigma",
];

/// Files that version 11 added: the first `Recurrence` frames.
const V11_ONLY: &[&str] = &["good-recurrence.sigma", "good-recurrence-parts.sigma"];

/// The version 8 to 11 files that fail differently from their current counterparts. Method 8
/// (in versions 8 to 10) in `bad-frame-method.sigma` is now `Recurrence`, and method 9 (in
/// version 11) `RecurrenceRevised`, whose parameters that frame's payload (a `GlyphRevised`
/// one) does not match. (Version 10's `bad-version-11.sigma` and version 11's
/// `bad-version-12.sigma` are not kept: the next version's header is laid out as theirs, so
/// they now decode.)
const V10_BAD: &[(&str, Expect)] = &[("bad-frame-method.sigma", Payload(0, PayloadError::Header))];

/// Files that version 10 added after its first release: mode 3 at level 1, and the first
/// trained codebook with keys (a version 2 codebook file).
const V10_ADDED: &[&str] = &["good-codebook-keys.sigma", "good-trained-codebook.sigma"];

/// The version 5 to 7 files that fail differently from their version 8 counterparts. Method
/// 7 in `bad-frame-method.sigma` is now `TextLean`, which a stream without context-model
/// tables may not use. (Version 7's `bad-version-8.sigma` is not kept: version 8's header is
/// version 7's, so it now decodes.)
const V7_BAD: &[(&str, Expect)] = &[(
    "bad-frame-method.sigma",
    Payload(0, PayloadError::ModelSize),
)];

/// The version 4 to 12 and 14 files that fail differently from their current counterparts: mode 7
/// in the `bad-payload-mode.sigma` of versions 4 to 9 (mode 3 with the LZP flag) is now a
/// frame over the stream's codebook in the order of its keys, and so, from version 13 on, is
/// mode 23 in those of versions 10 to 12 (mode 3 with the LZP flag and soft line breaks), and,
/// from version 15 on, mode 71 in version 14's (mode 3 with the LZP flag and a glyph stream in
/// two parts); those streams name no codebook (in versions 1 to 3 the frame's method takes no LZP flag, which
/// fails first). (Version 9's `bad-version-10.sigma` is not kept: version 10's header is
/// version 9's, so it now decodes.)
const V9_BAD: &[(&str, Expect)] = &[(
    "bad-payload-mode.sigma",
    Payload(0, PayloadError::NoCodebook),
)];

/// Files that version 9 added: the first blocks coded in parts.
const V9_ONLY: &[&str] = &["good-parts.sigma", "bad-parts-past-end.sigma"];

/// Files that version 8 added: the first `TextLean` frames.
const V8_ONLY: &[&str] = &["good-context-model-lean.sigma"];

/// Files that version 7 added: the first LZP-packed blocks.
const V7_ONLY: &[&str] = &["good-lzp.sigma", "bad-lzp-match-without-context.sigma"];

/// Files that version 6 added: the first streams that name a codebook.
const V6_ONLY: &[&str] = &[
    "good-codebook.sigma",
    "bad-codebook-unknown.sigma",
    "bad-payload-no-codebook.sigma",
];

/// The version 1 files that fail differently from their version 2 counterparts in [`BAD`] (the
/// others fail alike). `bad-version-2.sigma` was a version 1 header with its version byte
/// raised: read as version 2, the first byte of its max frame size is taken as the
/// context-model size. Method 2 in `bad-frame-method.sigma` is now `Context`, which a stream
/// without context-model tables may not use.
const V1_BAD: &[(&str, Expect)] = &[
    ("bad-version-2.sigma", StreamHeader("context model size")),
    (
        "bad-frame-method.sigma",
        Payload(0, PayloadError::ModelSize),
    ),
];

/// Files that version 1 did not have.
const V2_ONLY: &[&str] = &[
    "bad-context-model-size.sigma",
    "good-context-model.sigma",
    "good-context-model-varied.sigma",
    "good-rank.sigma",
];

/// The version 2 files that fail differently from their version 3 counterparts. Method 4 in
/// `bad-frame-method.sigma` is now `TextContext`, which a stream without context-model tables
/// may not use. (Version 2's `bad-version-3.sigma` is not kept: version 3's header is version
/// 2's, so it now decodes.)
const V2_BAD: &[(&str, Expect)] = &[(
    "bad-frame-method.sigma",
    Payload(0, PayloadError::ModelSize),
)];

/// The version 3 files that fail differently from their version 4 counterparts. Method 5 in
/// `bad-frame-method.sigma` is now `GlyphRevised`, whose payload header that frame's payload
/// does not match. (Version 3's `bad-version-4.sigma` is not kept: version 4's header is
/// version 3's, so it now decodes.)
const V3_BAD: &[(&str, Expect)] = &[("bad-frame-method.sigma", Payload(0, PayloadError::Header))];

/// The version 4 files that fail differently from their version 5 counterparts. Method 6 in
/// `bad-frame-method.sigma` is now `RankRevised`, whose payload header that frame's payload
/// does not match. (Version 4's `bad-version-5.sigma` is not kept: version 5's header is
/// version 4's, so it now decodes.)
const V4_BAD: &[(&str, Expect)] = &[("bad-frame-method.sigma", Payload(0, PayloadError::Header))];

/// The good and bad files of one format version, in its directory.
struct VectorSet {
    dir: PathBuf,
    good: Vec<&'static str>,
    bad: Vec<(&'static str, Expect)>,
}

fn sets() -> [VectorSet; 15] {
    // An older version's bad files: the current ones it had, with its own changes.
    let older = |had: &dyn Fn(&str) -> bool, changed: &[(&'static str, Expect)]| {
        BAD.iter()
            .copied()
            .filter(|(n, _)| had(n) && !changed.iter().any(|(c, _)| c == n))
            .chain(changed.iter().copied())
            .collect()
    };
    // Each version's bad-version file names the next version, whose header is laid out as its
    // own: such a file now decodes, so it is not kept. (Version 13's `bad-payload-mode.sigma`,
    // mode byte 0x27, still fails with `Header`: version 14 reads its bit 5 as a block sorted
    // in pieces, which is valid only in parts, and its bit 3, parts, is clear.)
    let in_v14 = |name: &str| name != "bad-version-16.sigma" && !V15_ONLY.contains(&name);
    let in_v13 = |name: &str| in_v14(name) && !V14_ONLY.contains(&name);
    let in_v12 = |name: &str| in_v13(name) && !V13_ONLY.contains(&name);
    let in_v11 = |name: &str| in_v12(name);
    let in_v10 = |name: &str| in_v11(name) && !V11_ONLY.contains(&name);
    let in_v9 = |name: &str| in_v10(name) && !V10_ADDED.contains(&name);
    let in_v8 = |name: &str| in_v9(name) && !V9_ONLY.contains(&name);
    let in_v7 = |name: &str| in_v8(name) && !V8_ONLY.contains(&name);
    let in_v6 = |name: &str| in_v7(name) && !V7_ONLY.contains(&name);
    let in_v5 = |name: &str| in_v6(name) && !V6_ONLY.contains(&name);
    let in_v4 = in_v5;
    let in_v3 = in_v4;
    let in_v2 = in_v3;
    let in_v1 = |name: &str| in_v2(name) && !V2_ONLY.contains(&name);
    [
        VectorSet {
            dir: dir(),
            good: GOOD.to_vec(),
            bad: BAD.to_vec(),
        },
        VectorSet {
            dir: dir().join("v14"),
            good: GOOD.iter().copied().filter(|n| in_v14(n)).collect(),
            bad: older(&in_v14, V9_BAD),
        },
        VectorSet {
            dir: dir().join("v13"),
            good: GOOD.iter().copied().filter(|n| in_v13(n)).collect(),
            bad: older(&in_v13, &[]),
        },
        VectorSet {
            dir: dir().join("v12"),
            good: GOOD.iter().copied().filter(|n| in_v12(n)).collect(),
            bad: older(&in_v12, V9_BAD),
        },
        VectorSet {
            dir: dir().join("v11"),
            good: GOOD.iter().copied().filter(|n| in_v11(n)).collect(),
            bad: older(&in_v11, &[V9_BAD, V10_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v10"),
            good: GOOD.iter().copied().filter(|n| in_v10(n)).collect(),
            bad: older(&in_v10, &[V9_BAD, V10_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v9"),
            good: GOOD.iter().copied().filter(|n| in_v9(n)).collect(),
            bad: older(&in_v9, &[V9_BAD, V10_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v8"),
            good: GOOD.iter().copied().filter(|n| in_v8(n)).collect(),
            bad: older(&in_v8, &[V9_BAD, V10_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v7"),
            good: GOOD.iter().copied().filter(|n| in_v7(n)).collect(),
            bad: older(&in_v7, &[V7_BAD, V9_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v6"),
            good: GOOD.iter().copied().filter(|n| in_v6(n)).collect(),
            bad: older(&in_v6, &[V7_BAD, V9_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v5"),
            good: GOOD.iter().copied().filter(|n| in_v5(n)).collect(),
            bad: older(&in_v5, &[V7_BAD, V9_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v4"),
            good: GOOD.iter().copied().filter(|n| in_v4(n)).collect(),
            bad: older(&in_v4, &[V4_BAD, V9_BAD].concat()),
        },
        VectorSet {
            dir: dir().join("v3"),
            good: GOOD.iter().copied().filter(|n| in_v3(n)).collect(),
            bad: older(&in_v3, V3_BAD),
        },
        VectorSet {
            dir: dir().join("v2"),
            good: GOOD.iter().copied().filter(|n| in_v2(n)).collect(),
            bad: older(&in_v2, V2_BAD),
        },
        VectorSet {
            dir: dir().join("v1"),
            good: GOOD.iter().copied().filter(|n| in_v1(n)).collect(),
            bad: older(&in_v1, V1_BAD),
        },
    ]
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Small vectors need little memory: refuse anything that asks for more than this.
fn options(threads: usize) -> DecoderOptions {
    DecoderOptions::default()
        .threads(threads)
        .memory_limit(64 << 20)
}

/// [`options`] for the good vector `name` in `dir`, with its trained codebook if it has one.
fn options_for(dir: &Path, name: &str, threads: usize) -> DecoderOptions {
    match OVER_TRAINED_CODEBOOK.contains(&name) {
        true => {
            let file = read(dir, &name.replace(".sigma", ".sigmacb"));
            let book = sigmalang::codebook::Codebook::from_bytes(&file)
                .unwrap_or_else(|e| panic!("{name}'s codebook: {e}"));
            options(threads).codebook(std::sync::Arc::new(book))
        }
        false => options(threads),
    }
}

/// Checks `err` against `expect`, and its offset against the vector's structure.
fn check(name: &str, data: &[u8], err: &Error, expect: Expect) -> Result<(), String> {
    let at = |offset: u64| data.get(offset as usize..).unwrap_or_default();
    let ok = match (err, expect) {
        (&Error::NotSigma { offset }, NotSigma) => offset == 0,
        (&Error::UnsupportedVersion { version, offset }, UnsupportedVersion(v)) => {
            version == v && offset == 0
        }
        (&Error::ReservedFlags { flags, offset }, ReservedFlags(f)) => flags == f && offset == 0,
        (&Error::StreamHeader { what, offset }, StreamHeader(w)) => what == w && offset == 0,
        // Frame errors name the frame header's offset, which starts with (a damaged) magic.
        (
            &Error::FrameHeader {
                frame,
                offset,
                what,
            },
            FrameHeader(k, w),
        ) => frame == k && what == w && at(offset).starts_with(&FRAME_MAGIC[..3]),
        (
            &Error::Payload {
                frame,
                offset,
                source,
            },
            Payload(k, s),
        ) => frame == k && source == s && at(offset).starts_with(&FRAME_MAGIC),
        (&Error::ContentChecksum { frame, offset }, ContentChecksum(k))
        | (&Error::PayloadChecksum { frame, offset }, PayloadChecksum(k)) => {
            frame == k && at(offset).starts_with(&FRAME_MAGIC)
        }
        (&Error::Truncated { offset, inside }, Truncated(i)) => {
            inside == i && offset == data.len() as u64
        }
        (&Error::Footer { offset, what }, Footer(w)) => {
            what == w && at(offset).starts_with(&FOOTER_MAGIC)
        }
        (&Error::TrailingData { offset }, TrailingData) => at(offset) == GARBAGE,
        (&Error::Codebook { id, hash, offset }, UnknownCodebook) => {
            let english = sigmalang::codebook::Codebook::english();
            id == english.id() && hash != english.hash() && offset == 0
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{name}: got {err:?}, expected {expect:?}"))
    }
}

#[test]
fn good_vectors_decode_to_their_text() {
    for set in sets() {
        for name in &set.good {
            let stream = read(&set.dir, name);
            let text = read(&set.dir, &name.replace(".sigma", ".txt"));
            for threads in [1, 3] {
                match decode_all(&stream, options_for(&set.dir, name, threads)) {
                    Ok(out) => assert!(out == text, "{name} (threads {threads}): wrong content"),
                    Err(e) => panic!("{name} (threads {threads}): {e:?}"),
                }
            }
            // The seekable reader finds each stream's header from its footer, whatever the
            // version's header length.
            if !text.is_empty() {
                let options = options_for(&set.dir, name, 1);
                let mut seekable = SeekableDecoder::new(Cursor::new(&stream), &options)
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                let mut out = Vec::new();
                seekable.read_to_end(&mut out).unwrap();
                assert!(out == text, "{name}: wrong content through SeekableDecoder");
            }
        }
    }
}

#[test]
fn bad_vectors_fail_with_exactly_their_error() {
    let mut failures = Vec::new();
    for set in sets() {
        for &(name, expect) in &set.bad {
            let data = read(&set.dir, name);
            let name = set.dir.join(name).display().to_string();
            for threads in [1, 3] {
                match decode_all(&data, options(threads)) {
                    Ok(out) => failures.push(format!("{name}: decoded {} bytes", out.len())),
                    Err(e) => {
                        if let Err(msg) = check(&name, &data, &e, expect) {
                            failures.push(format!("{msg} (threads {threads})"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_tables_cover_every_file_and_every_file_is_small() {
    for set in sets() {
        let mut on_disk = BTreeSet::new();
        for entry in std::fs::read_dir(&set.dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            // Subdirectories hold the vectors of older format versions.
            if name != "README.md" && !entry.file_type().unwrap().is_dir() {
                assert!(
                    entry.metadata().unwrap().len() < 20 << 10,
                    "{name} is large"
                );
                on_disk.insert(name);
            }
        }
        let mut listed: BTreeSet<String> = set.bad.iter().map(|(n, _)| n.to_string()).collect();
        for name in &set.good {
            listed.insert(name.to_string());
            listed.insert(name.replace(".sigma", ".txt"));
            if OVER_TRAINED_CODEBOOK.contains(name) {
                listed.insert(name.replace(".sigma", ".sigmacb"));
            }
        }
        assert_eq!(on_disk, listed, "{}", set.dir.display());
    }
}

/// The README's table rows: file name (in backticks) and the rest of the row.
fn readme_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            (file.ends_with(".sigma")).then(|| (file.to_string(), cells[2..].join("|")))
        })
        .collect()
}

#[test]
fn the_readme_table_matches_the_test_table() {
    let rows = readme_rows();
    let names: BTreeSet<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    let expected: BTreeSet<&str> = BAD
        .iter()
        .map(|(n, _)| *n)
        .chain(GOOD.iter().copied())
        .collect();
    assert_eq!(names, expected, "README rows vs. the test's tables");
    assert_eq!(names.len(), rows.len(), "a file is listed twice");
    for (name, rest) in &rows {
        match BAD.iter().find(|(n, _)| n == name) {
            Some((_, expect)) => {
                assert!(
                    rest.contains(&format!("`{}`", expect.variant())),
                    "README row for {name} does not name `{}`",
                    expect.variant()
                );
                if let Some(text) = expect.text() {
                    assert!(
                        rest.contains(&format!("\"{text}\"")),
                        "README row for {name} does not quote \"{text}\""
                    );
                }
            }
            None => assert!(
                rest.contains(&format!("`{}`", name.replace(".sigma", ".txt"))),
                "README row for {name} does not name its text"
            ),
        }
    }
}

/// The spec's byte-by-byte example of an empty stream is `good-empty.sigma`.
#[test]
fn the_spec_s_empty_stream_is_the_empty_vector() {
    let spec = std::fs::read_to_string(dir().join("../../docs/FORMAT.md")).unwrap();
    let example = spec
        .split("- **Empty input.**")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the spec has an empty-stream example");
    let bytes: Vec<u8> = example
        .lines()
        .filter_map(|row| row.trim().strip_prefix('|')?.split('|').nth(1))
        .filter_map(|cell| cell.trim().strip_prefix('`')?.strip_suffix('`'))
        .flat_map(|hex| hex.split(' ').map(|b| u8::from_str_radix(b, 16).unwrap()))
        .collect();
    assert_eq!(bytes, read(&dir(), "good-empty.sigma"));
}
