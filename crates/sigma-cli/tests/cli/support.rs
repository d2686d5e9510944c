//! Helpers shared by the CLI tests: running `sigma`, generating inputs, checking outputs.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sigma");

/// Prefix of the temporary files `sigma` writes before renaming them over the target.
pub const PARTIAL_PREFIX: &str = ".sigma-partial-";

/// Safety net against a hung child process; a passing test never comes near it.
const HANG_LIMIT: Duration = Duration::from_secs(600);

/// Magic numbers of the container format (docs/FORMAT.md).
pub const STREAM_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'L'];
pub const FRAME_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'F'];
pub const FOOTER_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'E'];
pub const END_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'Z'];
/// Length of the fixed-size trailer that ends every stream.
pub const TRAILER_LEN: usize = 16;

/// `sigma` with no arguments yet.
pub fn sigma() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(BIN);
    cmd.timeout(HANG_LIMIT);
    cmd
}

/// `sigma` running in `dir`.
pub fn sigma_in(dir: &Path) -> assert_cmd::Command {
    let mut cmd = sigma();
    cmd.current_dir(dir);
    cmd
}

/// A fresh, empty working directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sigma-cli-test-")
        .tempdir()
        .expect("create a temporary directory")
}

/// The shared corpora, next to the repository.
pub fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

/// The classic Canterbury corpus files.
pub fn canterbury_dir() -> PathBuf {
    corpora_dir().join("canterbury/cantrbry")
}

/// The repository root.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// xorshift64* with a fixed seed: the same inputs on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "is",
    "was",
    "he",
    "for",
    "it",
    "with",
    "as",
    "his",
    "on",
    "be",
    "at",
    "by",
    "had",
    "not",
    "are",
    "but",
    "from",
    "or",
    "have",
    "an",
    "they",
    "which",
    "one",
    "you",
    "were",
    "her",
    "all",
    "she",
    "there",
    "would",
    "their",
    "we",
    "him",
    "been",
    "has",
    "when",
    "who",
    "will",
    "more",
    "no",
    "if",
    "out",
    "so",
    "said",
    "what",
    "up",
    "its",
    "about",
    "into",
    "than",
    "them",
    "can",
    "only",
    "other",
    "new",
    "some",
    "could",
    "time",
    "these",
    "two",
    "may",
    "then",
    "do",
    "first",
    "any",
    "my",
    "now",
    "such",
    "like",
    "our",
    "over",
    "man",
    "me",
    "even",
    "most",
    "made",
    "after",
    "also",
    "did",
    "many",
    "before",
    "must",
    "through",
    "back",
    "years",
    "where",
    "much",
    "your",
    "way",
    "well",
    "down",
    "should",
    "because",
    "each",
    "just",
    "those",
    "people",
    "how",
    "too",
    "little",
    "state",
    "good",
    "very",
    "make",
    "world",
    "still",
    "own",
    "see",
    "men",
    "work",
    "long",
    "get",
    "here",
    "between",
    "both",
    "life",
    "being",
    "under",
    "never",
    "day",
    "same",
    "another",
    "know",
    "while",
    "last",
    "might",
    "us",
    "great",
    "old",
    "year",
    "off",
    "come",
    "since",
    "against",
    "go",
    "came",
    "right",
    "used",
    "take",
    "three",
    "codec",
    "glyph",
    "frame",
    "stream",
    "Burrows",
    "Wheeler",
    "sigma",
    "entropy",
    "arithmetic",
    "context",
    "antidisestablishmentarianism",
    "supercalifragilistic",
    "x",
    "I",
    "O'Brien",
    "don't",
    "e.g.",
    "U.S.A.",
    "naïve",
    "café",
    "Zürich",
    "日本語",
    "Ωmega",
];

/// Pseudo-English prose of `n` bytes: words, capitals, punctuation, numbers, odd spacing.
pub fn prose(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n + 64);
    let mut sentence_start = true;
    while out.len() < n {
        let word = WORDS[rng.below(WORDS.len())];
        match rng.below(40) {
            0 => out.extend_from_slice(word.to_uppercase().as_bytes()),
            1 => out.extend_from_slice(format!("{}", rng.below(100_000)).as_bytes()),
            _ if sentence_start => {
                let mut chars = word.chars();
                if let Some(c) = chars.next() {
                    out.extend(c.to_uppercase().to_string().bytes());
                    out.extend_from_slice(chars.as_str().as_bytes());
                }
            }
            _ => out.extend_from_slice(word.as_bytes()),
        }
        sentence_start = false;
        match rng.below(30) {
            0..=2 => {
                out.extend_from_slice(b".");
                sentence_start = true;
            }
            3..=4 => out.extend_from_slice(b","),
            5 => out.extend_from_slice(b";"),
            6 => {
                out.extend_from_slice(b"?\n\n");
                sentence_start = true;
                continue;
            }
            _ => {}
        }
        match rng.below(25) {
            0 => out.push(b'\n'),
            1 => out.extend_from_slice(b"  "),
            2 => out.push(b'\t'),
            _ => out.push(b' '),
        }
    }
    out.truncate(n);
    out
}

/// Writes `data` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

pub fn read_file(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The names in `dir`, sorted, hidden files included.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Sorted list built from string literals, to compare with [`listing`].
pub fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// No temporary output was left behind in `dir`.
pub fn assert_no_partial(dir: &Path) {
    let left: Vec<String> = listing(dir)
        .into_iter()
        .filter(|n| n.starts_with(PARTIAL_PREFIX))
        .collect();
    assert!(
        left.is_empty(),
        "leftover temporary files in {}: {left:?}",
        dir.display()
    );
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that no panic message or internal error reached standard error.
pub fn assert_no_panic(out: &Output) {
    let err = stderr_of(out);
    assert_ne!(
        out.status.code(),
        Some(101),
        "exit status 101 (panic); stderr: {err}"
    );
    assert!(!err.contains("panicked"), "panic message on stderr: {err}");
    assert!(
        !err.contains("internal error"),
        "internal error on stderr: {err}"
    );
    assert!(
        !err.contains("RUST_BACKTRACE"),
        "panic hint on stderr: {err}"
    );
}

/// Asserts the tool's error convention: exit status 1 (never 101 or a signal), exactly one line
/// on standard error, starting with `sigma: ` and naming each of `mentions`. Returns the line.
pub fn assert_one_line_error(out: &Output, mentions: &[&str]) -> String {
    assert_one_line_error_from("sigma", out, mentions)
}

/// [`assert_one_line_error`] for the binary invoked under the name `program`.
pub fn assert_one_line_error_from(program: &str, out: &Output, mentions: &[&str]) -> String {
    assert_no_panic(out);
    let err = stderr_of(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit status 1; stderr: {err}"
    );
    assert!(
        err.ends_with('\n'),
        "stderr does not end with a newline: {err:?}"
    );
    assert_eq!(
        err.matches('\n').count(),
        1,
        "stderr is not exactly one line: {err:?}"
    );
    assert!(
        err.starts_with(&format!("{program}: ")),
        "error does not start with '{program}: ': {err:?}"
    );
    for m in mentions {
        assert!(err.contains(m), "error does not mention {m:?}: {err:?}");
    }
    err.trim_end().to_string()
}

/// Asserts success with nothing on standard error.
pub fn assert_quiet_success(out: &Output) {
    assert_no_panic(out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected success; stderr: {}",
        stderr_of(out)
    );
    assert!(
        out.stderr.is_empty(),
        "unexpected stderr: {}",
        stderr_of(out)
    );
}

/// `sigma ARGS < data`, asserting success; returns standard output.
pub fn run_ok(args: &[&str], data: &[u8]) -> Vec<u8> {
    let out = sigma()
        .args(args)
        .write_stdin(data.to_vec())
        .output()
        .expect("run sigma");
    assert_quiet_success(&out);
    out.stdout
}

/// `sigma -c ARGS < data`.
pub fn compress(data: &[u8], args: &[&str]) -> Vec<u8> {
    let mut all = vec!["-c"];
    all.extend_from_slice(args);
    run_ok(&all, data)
}

/// `sigma -dc < stream`.
pub fn decompress(stream: &[u8]) -> Vec<u8> {
    run_ok(&["-dc"], stream)
}

/// Where the footer starts, from the trailer's footer length.
pub fn footer_start(stream: &[u8]) -> usize {
    assert!(
        stream.len() >= TRAILER_LEN && stream.ends_with(&END_MAGIC),
        "no trailer"
    );
    let t = stream.len() - TRAILER_LEN;
    let footer_len = u64::from_le_bytes(stream[t..t + 8].try_into().unwrap()) as usize;
    let start = stream.len() - footer_len;
    assert_eq!(
        stream[start..start + 4],
        FOOTER_MAGIC,
        "footer length in the trailer"
    );
    start
}

/// Offsets of every frame sync marker (possibly with false positives inside payloads).
pub fn frame_starts(stream: &[u8]) -> Vec<usize> {
    stream
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == FRAME_MAGIC)
        .map(|(i, _)| i)
        .collect()
}

/// Whether `text` mentions "byte N" for exactly this `n` (not a longer number).
pub fn mentions_byte(text: &str, n: usize) -> bool {
    let needle = format!("byte {n}");
    text.match_indices(&needle)
        .any(|(i, _)| !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Sets a file's Unix permission bits.
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A file's Unix permission bits.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}
