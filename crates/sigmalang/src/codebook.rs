//! Codebooks: a prior Σ-bank that frames can code words against without spelling them first.
//!
//! A codebook is a list of case-folded words and symbols, most frequent first, learned from
//! sample text ([`Trainer`]). A frame coded over a codebook (payload mode 2) starts its Σ-bank
//! with the codebook's entries, so a small file's common words cost a code from the first
//! occurrence. This module owns the codebook file format (`docs/FORMAT.md` section 18), its
//! validation, training, and the built-in English codebook that the encoder uses by default.

use crate::checksum::content_hash;
use crate::codebook_layout::{self as layout, entry_bytes, terminators, LayoutError};
use crate::token::{TokenKind, Tokenizer};
use crate::transform::{self, SYMBOL_END, WORD_END};
use crate::varint;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

pub use crate::codebook_layout::{CODEBOOK_MAGIC, CODEBOOK_VERSION};
/// Most entries a codebook may hold, so that a frame's own entries always fit beside them in
/// the Σ-bank ([`transform::MAX_BANK`]).
pub const MAX_ENTRIES: usize = 1 << 16;
/// Entries `sigma train` keeps unless asked otherwise: every word seen twice, up to the
/// maximum. More entries only help: against 16,384 of them, the 39,030 words seen twice in
/// 20 MB of prose make 2 KB of other prose 0.6 % smaller, 1 MB 1.3 %, and 16 MB at level 1
/// 1.2 % (the mixed corpus 0.8 %, 0.6 % and 0.9 %). Each costs about 8 bytes of file and 20
/// bytes of memory.
pub const DEFAULT_ENTRIES: usize = MAX_ENTRIES;
/// Id of the built-in English codebook. Id 0 means "no codebook" in a stream header; trained
/// codebooks take their id from their hash (never 0 or 1) unless given one. A stream names a
/// codebook by id and hash together, so a trained codebook given id 1 is still not this one.
pub const ENGLISH_ID: u32 = 1;

/// The built-in English codebook: the 39,030 words and symbols seen at least twice in the last
/// 20 MB of the shared prose corpus, most frequent first, as
/// `scripts/train-english-codebook.sh` makes it. Streams record its id and hash, so this file
/// can never change; a better one would get a new id.
const ENGLISH: &[u8] = include_bytes!("../codebooks/english.sigmacb");

// `ENGLISH_ENDS`, `ENGLISH_SLOTS` and `ENGLISH_KEYS`: the built-in codebook's entry ends and
// rank table, as `build.rs` computes them from `ENGLISH` with the functions of
// `codebook_layout`, and its keys, from `codebooks/english.keys` (the keys
// `transform::codebook_keys` learns from the codebook's training text, which
// `scripts/train-english-codebook.sh` writes; like the codebook, they can never change).
include!(concat!(env!("OUT_DIR"), "/english_index.rs"));

/// Why bytes are not a usable codebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodebookError {
    /// The bytes do not start with [`CODEBOOK_MAGIC`].
    #[error("not a ΣLANG codebook (bad magic)")]
    NotCodebook,
    /// The codebook was written by a newer format.
    #[error("unsupported codebook version {0}")]
    UnsupportedVersion(u8),
    /// The file ends before its declared contents.
    #[error("codebook is truncated")]
    Truncated,
    /// The stored hash does not match the entries.
    #[error("codebook checksum mismatch")]
    Checksum,
    /// The entries are malformed: `what` says how.
    #[error("malformed codebook: {0}")]
    Entries(&'static str),
    /// Bytes follow the codebook.
    #[error("trailing bytes after the codebook")]
    TrailingData,
}

/// A validated codebook, ready for the encoder and the decoder.
pub struct Codebook {
    id: u32,
    hash: u64,
    /// Borrowed from the binary for the built-in codebook: copying its 330 KB cost every run
    /// of `sigma` 80 page faults.
    section: Cow<'static, [u8]>,
    /// Where each entry ends in `section` (at its end byte); the built-in codebook's are
    /// computed at build time.
    ends: Cow<'static, [u32]>,
    /// The rank table of the entries ([`layout::find`]): the built-in codebook's is computed
    /// at build time, which saved every `sigma -c` 0.9-1.1 ms; others build theirs when first
    /// needed, as only encoders look entries up.
    ranks: OnceLock<Cow<'static, [u32]>>,
    /// Each entry's key ([`transform::codebook_keys`]), if the codebook has them: only the
    /// built-in one does, learned from its training text.
    keys: Option<Cow<'static, [u16]>>,
    /// Its ranks sorted by key ([`transform::ranks_by_key`]), made when a frame first needs
    /// them.
    by_key: OnceLock<Vec<u32>>,
}

impl std::fmt::Debug for Codebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codebook")
            .field("id", &self.id)
            .field("hash", &format_args!("{:016x}", self.hash))
            .field("entries", &self.len())
            .finish()
    }
}

/// Codebooks are the same when their ids and hashes are: that is all a stream records.
impl PartialEq for Codebook {
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.hash) == (other.id, other.hash)
    }
}

impl Eq for Codebook {}

impl Codebook {
    /// The built-in English codebook.
    pub fn english() -> Arc<Codebook> {
        static ENGLISH_BOOK: OnceLock<Arc<Codebook>> = OnceLock::new();
        ENGLISH_BOOK
            .get_or_init(|| {
                // A test checks its entries with `from_bytes` and its index against them, so
                // loading it only reads the file's fields (0.4-0.6 ms with the checks).
                let parts = layout::split_file(ENGLISH).expect("the built-in codebook is whole");
                assert_eq!(parts.id, ENGLISH_ID, "the built-in codebook keeps its id");
                Arc::new(Codebook {
                    id: parts.id,
                    hash: parts.hash,
                    section: Cow::Borrowed(parts.section),
                    ends: Cow::Borrowed(&ENGLISH_ENDS),
                    ranks: OnceLock::from(Cow::Borrowed(&ENGLISH_SLOTS[..])),
                    keys: Some(Cow::Borrowed(&ENGLISH_KEYS[..])),
                    by_key: OnceLock::new(),
                })
            })
            .clone()
    }

    /// Builds a codebook from its entries (a Σ-bank section: each entry's bytes, then
    /// [`WORD_END`] if it starts with a letter, else [`SYMBOL_END`]) and their `hash`. The id
    /// is derived from the hash unless given.
    fn from_section(
        section: Cow<'static, [u8]>,
        hash: u64,
        id: Option<u32>,
    ) -> Result<Codebook, CodebookError> {
        let unterminated = CodebookError::Entries("an entry is empty or unterminated");
        if section
            .last()
            .is_some_and(|&b| b != WORD_END && b != SYMBOL_END)
        {
            return Err(unterminated);
        }
        if u32::try_from(section.len()).is_err() {
            return Err(CodebookError::Entries("entries of over 4 GiB"));
        }
        let ends = terminators(&section);
        if ends.len() > MAX_ENTRIES {
            return Err(CodebookError::Entries("more than 65,536 entries"));
        }
        for rank in 0..ends.len() {
            let entry = entry_bytes(&section, &ends, rank);
            if entry.is_empty() {
                return Err(unterminated);
            }
            // The encoder decides an entry's kind by its first character; a codebook that said
            // otherwise would render the word differently from how it was coded.
            if section[ends[rank] as usize] != transform::entry_end(entry) {
                return Err(CodebookError::Entries("an entry's kind does not match it"));
            }
        }
        Ok(Codebook {
            id: id.unwrap_or_else(|| trained_id(hash)),
            hash,
            section,
            ends: Cow::Owned(ends),
            ranks: OnceLock::new(),
            keys: None,
            by_key: OnceLock::new(),
        })
    }

    /// Entry `rank`'s bytes.
    fn key(&self, rank: usize) -> &[u8] {
        entry_bytes(&self.section, &self.ends, rank)
    }

    /// The rank table of the entries, or [`CodebookError::Entries`] if two are the same.
    fn rank_slots(&self) -> Result<Vec<u32>, CodebookError> {
        layout::rank_slots(&self.section, &self.ends)
            .map_err(|_| CodebookError::Entries("an entry appears twice"))
    }

    /// Reads a codebook file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Codebook, CodebookError> {
        let parts = layout::split_file(bytes)?;
        if content_hash(parts.section) != parts.hash {
            return Err(CodebookError::Checksum);
        }
        if parts.id == 0 {
            return Err(CodebookError::Entries("id 0 means no codebook"));
        }
        let section = Cow::Owned(parts.section.to_vec());
        let mut book = Codebook::from_section(section, parts.hash, Some(parts.id))?;
        if book.len() as u64 != parts.entries {
            return Err(CodebookError::Entries("the entry count is wrong"));
        }
        book.ranks = OnceLock::from(Cow::Owned(book.rank_slots()?));
        Ok(book)
    }

    /// The same entries under another id (not 0, which means "no codebook").
    pub fn with_id(mut self, id: u32) -> Codebook {
        assert_ne!(id, 0, "id 0 means no codebook");
        self.id = id;
        self
    }

    /// The codebook file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.section.len() + 32);
        out.extend_from_slice(&CODEBOOK_MAGIC);
        out.push(CODEBOOK_VERSION);
        out.extend_from_slice(&self.id.to_le_bytes());
        varint::put(&mut out, self.len() as u64);
        varint::put(&mut out, self.section.len() as u64);
        out.extend_from_slice(&self.section);
        out.extend_from_slice(&self.hash.to_le_bytes());
        out
    }

    /// The id a stream header records.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The hash a stream header records: XXH64 of the entries.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the codebook has no entries.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Each entry's key, if the codebook has them (see [`transform::codebook_keys`]).
    pub fn keys(&self) -> Option<&[u16]> {
        self.keys.as_deref()
    }

    /// Its ranks sorted, stably, by key, if it has keys: what each frame's order of its entries
    /// is dealt from ([`transform::codebook_order`]).
    pub(crate) fn ranks_by_key(&self) -> Option<&[u32]> {
        let keys = self.keys()?;
        Some(self.by_key.get_or_init(|| transform::ranks_by_key(keys)))
    }

    /// Entry `rank`'s bytes and whether it is a word.
    pub fn entry(&self, rank: usize) -> (&[u8], bool) {
        let end = self.ends[rank] as usize;
        (self.key(rank), self.section[end] == WORD_END)
    }

    /// The rank of the entry spelled `key`, if there is one.
    pub fn rank(&self, key: &[u8]) -> Option<u32> {
        // Codebooks read from bytes have their table checked already; the built-in one and
        // trained ones have distinct entries.
        let slots = self.ranks.get_or_init(|| {
            Cow::Owned(
                self.rank_slots()
                    .expect("a codebook's entries are distinct"),
            )
        });
        layout::find(slots, key, |rank| self.key(rank)).ok()
    }
}

impl From<LayoutError> for CodebookError {
    fn from(error: LayoutError) -> CodebookError {
        match error {
            LayoutError::NotCodebook => CodebookError::NotCodebook,
            LayoutError::UnsupportedVersion(version) => CodebookError::UnsupportedVersion(version),
            LayoutError::Truncated => CodebookError::Truncated,
            LayoutError::TrailingData => CodebookError::TrailingData,
        }
    }
}

/// Trained codebooks' ids come from their hash, avoiding 0 (none) and [`ENGLISH_ID`].
fn trained_id(hash: u64) -> u32 {
    ((hash >> 32) as u32).max(ENGLISH_ID + 1)
}

/// Learns a codebook from sample text: counts every case-folded word and every symbol, then
/// keeps the most frequent.
///
/// Memory is bounded whatever the input: when more than [`Trainer::MAX_TRACKED`] distinct
/// keys are counted, the rarer half is forgotten (lossy counting: a key seen later starts
/// from the highest count forgotten so far), which only drops keys too rare to make the
/// codebook unless the input has millions of distinct words of similar frequency.
pub struct Trainer {
    counts: FxHashMap<Box<[u8]>, u64>,
    /// Most distinct keys counted at once ([`Trainer::MAX_TRACKED`] but in tests).
    max_tracked: usize,
    /// Text after the last whitespace byte fed so far: a token it ends may go on.
    pending: Vec<u8>,
    /// Keys counted at most this often were forgotten at some point.
    floor: u64,
    folded: Vec<u8>,
}

impl Trainer {
    /// Most distinct keys counted at once.
    pub const MAX_TRACKED: usize = 1 << 21;
    /// Longest run without whitespace kept back for the next call; longer runs are counted
    /// as they are (a token cut there only blurs the statistics).
    const MAX_PENDING: usize = 1 << 20;

    /// A trainer that has seen nothing.
    pub fn new() -> Trainer {
        Trainer::with_limit(Self::MAX_TRACKED)
    }

    fn with_limit(max_tracked: usize) -> Trainer {
        Trainer {
            counts: FxHashMap::default(),
            max_tracked,
            pending: Vec::new(),
            floor: 0,
            folded: Vec::new(),
        }
    }

    /// Counts the tokens of `text`, which continues the text fed before (call
    /// [`Trainer::end_document`] between unrelated files).
    pub fn feed(&mut self, text: &[u8]) {
        self.pending.extend_from_slice(text);
        let cut = match self.pending.iter().rposition(u8::is_ascii_whitespace) {
            Some(at) => at + 1,
            None if self.pending.len() > Self::MAX_PENDING => self.pending.len(),
            None => return,
        };
        let pending = std::mem::take(&mut self.pending);
        self.count(&pending[..cut]);
        self.pending = pending;
        self.pending.drain(..cut);
    }

    /// Ends a document: its last token is complete.
    pub fn end_document(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.count(&pending);
    }

    fn count(&mut self, text: &[u8]) {
        for (kind, range) in Tokenizer::new(text) {
            let key: &[u8] = match kind {
                TokenKind::Word => transform::fold(&text[range], &mut self.folded).0,
                TokenKind::Symbol => &text[range],
                _ => continue,
            };
            match self.counts.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    self.counts.insert(key.into(), self.floor + 1);
                }
            }
            if self.counts.len() > self.max_tracked {
                self.forget_rarer_half();
            }
        }
    }

    /// Forgets every key counted no more often than the median key. Each call halves the map
    /// at least, so the work is amortised over the `MAX_TRACKED / 2` new keys it makes room for.
    fn forget_rarer_half(&mut self) {
        let mut counts: Vec<u64> = self.counts.values().copied().collect();
        let middle = counts.len() / 2;
        let median = *counts.select_nth_unstable(middle).1;
        self.floor = self.floor.max(median);
        let floor = self.floor;
        self.counts.retain(|_, n| *n > floor);
    }

    /// The codebook of the `entries` most frequent keys seen at least twice (most frequent
    /// first, ties in byte order), with its id derived from its hash.
    pub fn finish(mut self, entries: usize) -> Codebook {
        self.end_document();
        let mut keys: Vec<(Box<[u8]>, u64)> =
            self.counts.into_iter().filter(|&(_, n)| n >= 2).collect();
        keys.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        keys.truncate(entries.min(MAX_ENTRIES));
        let mut section = Vec::new();
        for (key, _) in keys {
            section.extend_from_slice(&key);
            section.push(transform::entry_end(&key));
        }
        let hash = content_hash(&section);
        Codebook::from_section(Cow::Owned(section), hash, None).expect("trained entries are valid")
    }
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_trainer_forgets_rare_words_and_keeps_frequent_ones() {
        let mut trainer = Trainer::with_limit(64);
        let mut text = String::new();
        for i in 0..2000u32 {
            // "common" and "usual" recur throughout; every other word is new.
            let new: String = i
                .to_string()
                .bytes()
                .map(|d| char::from(b'a' + d - b'0'))
                .collect();
            text.push_str(&format!("common w{new} usual "));
        }
        trainer.feed(text.as_bytes());
        assert!(trainer.counts.len() <= 64);
        let book = trainer.finish(2);
        assert_eq!(book.entry(0).0, b"common");
        assert_eq!(book.entry(1).0, b"usual");
    }

    fn trained(text: &[u8]) -> Codebook {
        let mut trainer = Trainer::new();
        trainer.feed(text);
        trainer.finish(DEFAULT_ENTRIES)
    }

    #[test]
    fn training_keeps_repeated_words_most_frequent_first() {
        let book = trained(b"The cat saw the dog. The dog saw a cat; the end \xc2\xa9 \xc2\xa9");
        let entries: Vec<_> = (0..book.len()).map(|r| book.entry(r)).collect();
        assert_eq!(
            entries,
            [
                (&b"the"[..], true),
                (b"cat", true),
                (b"dog", true),
                (b"saw", true),
                ("©".as_bytes(), false),
            ]
        );
        assert_eq!(book.rank(b"dog"), Some(2));
        assert_eq!(book.rank(b"end"), None);
        assert!(book.id() > ENGLISH_ID);
    }

    #[test]
    fn a_token_split_between_calls_is_counted_once() {
        let mut whole = Trainer::new();
        whole.feed(b"alphabet alphabet soup soup");
        let mut split = Trainer::new();
        for piece in [&b"alpha"[..], b"bet alph", b"abet so", b"up soup"] {
            split.feed(piece);
        }
        assert_eq!(whole.finish(10).to_bytes(), split.finish(10).to_bytes());
    }

    #[test]
    fn files_round_trip_and_damage_is_refused_exactly() {
        let book = trained(b"one two two three three three");
        let bytes = book.to_bytes();
        assert_eq!(Codebook::from_bytes(&bytes).unwrap(), book);
        assert_eq!(Codebook::from_bytes(&bytes).unwrap().to_bytes(), bytes);

        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = bytes.clone();
            f(&mut b);
            Codebook::from_bytes(&b).unwrap_err()
        };
        use CodebookError::*;
        assert_eq!(with(&|b| b[0] = b'P'), NotCodebook);
        assert_eq!(with(&|b| b.truncate(3)), Truncated);
        assert_eq!(with(&|b| b[4] = 2), UnsupportedVersion(2));
        assert_eq!(with(&|b| b.truncate(b.len() - 1)), Truncated);
        assert_eq!(with(&|b| b.push(0)), TrailingData);
        assert_eq!(with(&|b| b[11] ^= 0x20), Checksum); // a byte of the entries
        assert_eq!(
            with(&|b| b[5..9].fill(0)),
            Entries("id 0 means no codebook")
        );
        assert_eq!(with(&|b| b[9] = 3), Entries("the entry count is wrong"));
    }

    #[test]
    fn entries_must_be_what_the_encoder_would_write() {
        let file = |section: &[u8]| {
            let mut out = CODEBOOK_MAGIC.to_vec();
            out.push(CODEBOOK_VERSION);
            out.extend_from_slice(&9u32.to_le_bytes());
            varint::put(&mut out, terminators(section).len() as u64);
            varint::put(&mut out, section.len() as u64);
            out.extend_from_slice(section);
            out.extend_from_slice(&content_hash(section).to_le_bytes());
            Codebook::from_bytes(&out)
        };
        assert_eq!(
            file(b"word\0sym\x01").unwrap_err(),
            CodebookError::Entries("an entry's kind does not match it")
        );
        assert_eq!(
            file(b"a\0b\0a\0").unwrap_err(),
            CodebookError::Entries("an entry appears twice")
        );
        assert_eq!(
            file(b"a\0\0").unwrap_err(),
            CodebookError::Entries("an entry is empty or unterminated")
        );
        assert_eq!(
            file(b"a\0b").unwrap_err(),
            CodebookError::Entries("an entry is empty or unterminated")
        );
        assert_eq!(file(b"a\0b\0").unwrap().id(), 9);
        let entries = |n: usize| -> Vec<u8> {
            (0..n)
                .flat_map(|i| format!("w{i}\0").into_bytes())
                .collect()
        };
        assert_eq!(file(&entries(MAX_ENTRIES)).unwrap().len(), MAX_ENTRIES);
        assert_eq!(
            file(&entries(MAX_ENTRIES + 1)).unwrap_err(),
            CodebookError::Entries("more than 65,536 entries")
        );
    }

    #[test]
    fn the_english_codebook_loads() {
        let book = Codebook::english();
        assert_eq!(book.id(), ENGLISH_ID);
        assert_eq!(book.len(), 39_030);
        assert_eq!(book.entry(0), (&b"the"[..], true));
        // `english` checks nothing when it loads, and the build script only that the entries
        // are distinct: this checks the hash, the entries' kinds and their count.
        assert!(Codebook::from_bytes(ENGLISH).is_ok());
        for rank in [0, 1, 1000, 39_029] {
            let (key, _) = book.entry(rank);
            assert_eq!(book.rank(key), Some(rank as u32));
        }
        assert_eq!(book.rank(b"zzzxq"), None);
        // Its entries and their index stay in the binary; one read from a file is a copy,
        // indexed at run time, the same as the build script's index.
        assert!(matches!(book.section, Cow::Borrowed(_)));
        assert!(matches!(book.ends, Cow::Borrowed(_)));
        assert!(matches!(book.ranks.get(), Some(Cow::Borrowed(_))));
        let from_file = Codebook::from_bytes(&book.to_bytes()).unwrap();
        assert!(matches!(from_file.section, Cow::Owned(_)));
        assert_eq!(from_file, *book);
        assert_eq!(from_file.section, book.section);
        assert_eq!(from_file.ends, book.ends);
        assert_eq!(from_file.ranks.get(), book.ranks.get());
    }
}
