//! Codebooks: a prior Σ-bank that frames can code words against without spelling them first.
//!
//! A codebook is a list of case-folded words and symbols, most frequent first, learned from
//! sample text ([`Trainer`]), and optionally a key for each entry, the entry it most often
//! follows there ([`KeyLearner`]). A frame coded over a codebook (payload mode 2, or 3 in the
//! order of its keys) starts its Σ-bank with the codebook's entries, so a small file's common
//! words cost a code from the first occurrence. This module owns the codebook file format
//! (`docs/FORMAT.md` section 18), its validation, training, and the built-in English codebook
//! that the encoder uses by default.

use crate::checksum::{content_hash, content_hasher};
use crate::codebook_layout::{self as layout, entry_bytes, terminators, LayoutError};
use crate::token::{TokenKind, Tokenizer};
use crate::transform::{self, SYMBOL_END, WORD_END};
use crate::varint;
use rustc_hash::FxHashMap;
use std::borrow::{Borrow, Cow};
use std::cmp::Reverse;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

pub use crate::codebook_layout::{CODEBOOK_MAGIC, CODEBOOK_VERSION, CODEBOOK_VERSION_WITHOUT_KEYS};
/// Most entries a codebook may hold, so that a frame's own entries always fit beside them in
/// the Σ-bank ([`transform::MAX_BANK`]).
pub const MAX_ENTRIES: usize = 1 << 16;
/// Entries `sigma train` keeps unless asked otherwise: every word seen twice, up to the
/// maximum. More entries only help: against 16,384 of them, the 39,030 words seen twice in
/// 20 MB of prose make 2 KB of other prose 0.6 % smaller, 1 MB 1.3 %, and 16 MB at level 1
/// 1.2 % (the mixed corpus 0.8 %, 0.6 % and 0.9 %). Each costs about 8 bytes of file and 20
/// bytes of memory.
pub const DEFAULT_ENTRIES: usize = MAX_ENTRIES;
/// The key of a codebook entry that follows no entry in particular ([`KeyLearner`]).
pub const NO_KEY: u16 = u16::MAX;
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
// `codebook_layout`, and its keys, from `codebooks/english.keys` (the keys `KeyLearner`
// learns from the codebook's training text, which `scripts/train-english-codebook.sh`
// writes; like the codebook, they can never change, and they are not in its file).
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
    /// Each entry's key ([`KeyLearner`]), if the codebook has them.
    keys: Option<Cow<'static, [u16]>>,
    /// Whether the file and the hash hold the keys: those of every codebook with keys but the
    /// built-in one, whose keys came after its file and hash (format version 10) and are part
    /// of the format instead.
    keys_in_file: bool,
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
                    keys_in_file: false,
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
            keys_in_file: false,
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

    /// Reads a codebook file (version 1, or 2 with keys).
    pub fn from_bytes(bytes: &[u8]) -> Result<Codebook, CodebookError> {
        let parts = layout::split_file(bytes)?;
        if content_hash(parts.hashed) != parts.hash {
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
        if let Some(keys) = parts.keys {
            let keys = (keys.chunks_exact(2))
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            book.keys = Some(Cow::Owned(book.checked_keys(keys)?));
            book.keys_in_file = true;
        }
        Ok(book)
    }

    /// `keys` if they are keys of this codebook: one for each entry, each the rank of an entry
    /// or [`NO_KEY`].
    fn checked_keys(&self, keys: Vec<u16>) -> Result<Vec<u16>, CodebookError> {
        if keys.len() != self.len() {
            return Err(CodebookError::Entries(
                "the key count is not the entry count",
            ));
        }
        if (keys.iter()).any(|&key| key != NO_KEY && usize::from(key) >= self.len()) {
            return Err(CodebookError::Entries("a key is not the rank of an entry"));
        }
        Ok(keys)
    }

    /// The same entries with `keys` ([`KeyLearner::finish`]), which the file and the hash
    /// then hold too: a new codebook, under an id derived from its new hash (give it another
    /// with [`Codebook::with_id`] after). Fails with [`CodebookError::Entries`] unless there
    /// is one key for each entry, each the rank of an entry or [`NO_KEY`].
    pub fn with_keys(mut self, keys: Vec<u16>) -> Result<Codebook, CodebookError> {
        let keys = self.checked_keys(keys)?;
        let mut hasher = content_hasher();
        hasher.update(&self.section);
        hasher.update(&key_bytes(&keys));
        self.hash = hasher.digest();
        self.id = trained_id(self.hash);
        self.keys = Some(Cow::Owned(keys));
        self.keys_in_file = true;
        self.by_key = OnceLock::new();
        Ok(self)
    }

    /// The same entries under another id (not 0, which means "no codebook").
    pub fn with_id(mut self, id: u32) -> Codebook {
        assert_ne!(id, 0, "id 0 means no codebook");
        self.id = id;
        self
    }

    /// The codebook file's bytes: version 2 with its keys, version 1 without (and for the
    /// built-in codebook, whose keys are not in its file).
    pub fn to_bytes(&self) -> Vec<u8> {
        let keys = self.keys.as_deref().filter(|_| self.keys_in_file);
        let mut out = Vec::with_capacity(self.section.len() + 2 * self.len() + 32);
        out.extend_from_slice(&CODEBOOK_MAGIC);
        out.push(match keys {
            Some(_) => CODEBOOK_VERSION,
            None => CODEBOOK_VERSION_WITHOUT_KEYS,
        });
        out.extend_from_slice(&self.id.to_le_bytes());
        varint::put(&mut out, self.len() as u64);
        varint::put(&mut out, self.section.len() as u64);
        out.extend_from_slice(&self.section);
        if let Some(keys) = keys {
            out.extend_from_slice(&key_bytes(keys));
        }
        out.extend_from_slice(&self.hash.to_le_bytes());
        out
    }

    /// The id a stream header records.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The hash a stream header records: XXH64 of the entries, and of the keys after them if
    /// the file holds them.
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

    /// Each entry's key, if the codebook has them (see [`KeyLearner`]).
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

/// Keys as the file holds them: two little-endian bytes each.
fn key_bytes(keys: &[u16]) -> Vec<u8> {
    keys.iter().flat_map(|key| key.to_le_bytes()).collect()
}

/// Trained codebooks' ids come from their hash, avoiding 0 (none) and [`ENGLISH_ID`].
fn trained_id(hash: u64) -> u32 {
    ((hash >> 32) as u32).max(ENGLISH_ID + 1)
}

/// Counters fed text in pieces cut after a whitespace byte, so that a token split between two
/// calls is counted once: the text after the last whitespace byte waits for the next call.
trait CountsPieces {
    /// Longest run without whitespace kept back for the next call; longer runs are counted
    /// as they are (a token cut there only blurs the statistics).
    const MAX_PENDING: usize = 1 << 20;

    /// The text kept back.
    fn pending(&mut self) -> &mut Vec<u8>;

    /// Counts the tokens of a piece.
    fn count(&mut self, piece: &[u8]);

    fn feed_pieces(&mut self, text: &[u8]) {
        let pending = self.pending();
        pending.extend_from_slice(text);
        let cut = match pending.iter().rposition(u8::is_ascii_whitespace) {
            Some(at) => at + 1,
            None if pending.len() > Self::MAX_PENDING => pending.len(),
            None => return,
        };
        let mut pending = std::mem::take(self.pending());
        self.count(&pending[..cut]);
        pending.drain(..cut);
        *self.pending() = pending;
    }

    /// Counts what was kept back: the text ends there.
    fn end_pieces(&mut self) {
        let pending = std::mem::take(self.pending());
        self.count(&pending);
    }
}

/// Calls `visit` with the bank key of each word (case-folded) and symbol of `text`, in order.
fn for_each_key(text: &[u8], folded: &mut Vec<u8>, mut visit: impl FnMut(&[u8])) {
    for (kind, range) in Tokenizer::new(text) {
        match kind {
            TokenKind::Word => visit(transform::fold(&text[range], folded).0),
            TokenKind::Symbol => visit(&text[range]),
            _ => {}
        }
    }
}

/// Counts in bounded memory (lossy counting): past `max` distinct items, the rarer half is
/// forgotten, and an item seen later starts from the highest count forgotten so far.
struct LossyCounts<K> {
    counts: FxHashMap<K, u64>,
    max: usize,
    /// Items counted at most this often were forgotten at some point.
    floor: u64,
}

impl<K: Eq + Hash> LossyCounts<K> {
    fn new(max: usize) -> Self {
        LossyCounts {
            counts: FxHashMap::default(),
            max,
            floor: 0,
        }
    }

    /// Counts `item` once more (`owned` makes the map's own copy of a new one).
    fn add<Q: ?Sized + Eq + Hash>(&mut self, item: &Q, owned: impl FnOnce(&Q) -> K)
    where
        K: Borrow<Q>,
    {
        match self.counts.get_mut(item) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(owned(item), self.floor + 1);
            }
        }
        if self.counts.len() > self.max {
            self.forget_rarer_half();
        }
    }

    /// Forgets every item counted no more often than the median item. Each call halves the
    /// map at least, so the work is amortised over the new items it makes room for.
    fn forget_rarer_half(&mut self) {
        let mut values: Vec<u64> = self.counts.values().copied().collect();
        let middle = values.len() / 2;
        self.floor = self.floor.max(*values.select_nth_unstable(middle).1);
        let floor = self.floor;
        self.counts.retain(|_, n| *n > floor);
    }
}

/// Learns a codebook from sample text: counts every case-folded word and every symbol, then
/// keeps the most frequent.
///
/// Memory is bounded whatever the input: when more than [`Trainer::MAX_TRACKED`] distinct
/// keys are counted, the rarer half is forgotten (lossy counting: a key seen later starts
/// from the highest count forgotten so far), which only drops keys too rare to make the
/// codebook unless the input has millions of distinct words of similar frequency.
pub struct Trainer {
    /// At most [`Trainer::MAX_TRACKED`] keys (fewer in tests).
    counts: LossyCounts<Box<[u8]>>,
    pending: Vec<u8>,
    folded: Vec<u8>,
}

impl Trainer {
    /// Most distinct keys counted at once.
    pub const MAX_TRACKED: usize = 1 << 21;

    /// A trainer that has seen nothing.
    pub fn new() -> Trainer {
        Trainer::with_limit(Self::MAX_TRACKED)
    }

    fn with_limit(max_tracked: usize) -> Trainer {
        Trainer {
            counts: LossyCounts::new(max_tracked),
            pending: Vec::new(),
            folded: Vec::new(),
        }
    }

    /// Counts the tokens of `text`, which continues the text fed before (call
    /// [`Trainer::end_document`] between unrelated files).
    pub fn feed(&mut self, text: &[u8]) {
        self.feed_pieces(text);
    }

    /// Ends a document: its last token is complete.
    pub fn end_document(&mut self) {
        self.end_pieces();
    }

    /// The codebook of the `entries` most frequent keys seen at least twice (most frequent
    /// first, ties in byte order), with its id derived from its hash. It has no keys: learn
    /// them with a [`KeyLearner`].
    pub fn finish(mut self, entries: usize) -> Codebook {
        self.end_document();
        let mut keys: Vec<(Box<[u8]>, u64)> = (self.counts.counts.into_iter())
            .filter(|&(_, n)| n >= 2)
            .collect();
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

impl CountsPieces for Trainer {
    fn pending(&mut self) -> &mut Vec<u8> {
        &mut self.pending
    }

    fn count(&mut self, piece: &[u8]) {
        let counts = &mut self.counts;
        for_each_key(piece, &mut self.folded, |key| {
            counts.add(key, |key| key.into())
        });
    }
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer::new()
    }
}

/// Learns a codebook's keys from sample text (`docs/FORMAT.md` section 18.4): for each entry,
/// the rank of the entry its occurrences most often follow (ties to the lower rank), or
/// [`NO_KEY`] if none does, or if it most often follows a word outside the codebook. A frame
/// over a codebook with keys takes its entries in key order (payload mode 3), so that entries
/// that usually follow the same word get neighbouring codes, which the BWT gains from: with
/// the built-in codebook's keys, 24 MiB of prose codes 1.0 % smaller at the default level.
///
/// It counts each pair of an entry and the word or symbol before it, in memory bounded as
/// [`Trainer`]'s is: past [`KeyLearner::MAX_PAIRS`] distinct pairs, the rarer half is forgotten.
pub struct KeyLearner<'a> {
    codebook: &'a Codebook,
    /// Counts by pair: the rank before (the codebook's length for a word outside it) in the
    /// high 32 bits, the entry's rank in the low 32; at most [`KeyLearner::MAX_PAIRS`] pairs
    /// (fewer in tests).
    pairs: LossyCounts<u64>,
    /// The rank of the last word or symbol of the document so far, as in `pairs`.
    previous: Option<u32>,
    pending: Vec<u8>,
    folded: Vec<u8>,
}

impl<'a> KeyLearner<'a> {
    /// Most distinct pairs counted at once: 20 MB of prose has about a million.
    pub const MAX_PAIRS: usize = 1 << 22;

    /// A learner of `codebook`'s keys that has seen nothing.
    pub fn new(codebook: &'a Codebook) -> KeyLearner<'a> {
        KeyLearner::with_limit(codebook, Self::MAX_PAIRS)
    }

    fn with_limit(codebook: &'a Codebook, max_pairs: usize) -> KeyLearner<'a> {
        KeyLearner {
            codebook,
            pairs: LossyCounts::new(max_pairs),
            previous: None,
            pending: Vec::new(),
            folded: Vec::new(),
        }
    }

    /// Counts the pairs of `text`, which continues the text fed before (call
    /// [`KeyLearner::end_document`] between unrelated files).
    pub fn feed(&mut self, text: &[u8]) {
        self.feed_pieces(text);
    }

    /// Ends a document: its last token is complete, and the next document's first word
    /// follows nothing.
    pub fn end_document(&mut self) {
        self.end_pieces();
        self.previous = None;
    }

    /// The keys learned, one for each entry of the codebook ([`Codebook::with_keys`]).
    pub fn finish(mut self) -> Vec<u16> {
        self.end_document();
        let outside = self.codebook.len() as u32;
        let mut best = vec![(0, outside); self.codebook.len()];
        for (&pair, &count) in &self.pairs.counts {
            let (before, entry) = ((pair >> 32) as u32, pair as u32 as usize);
            let (best_count, best_before) = best[entry];
            if (count, Reverse(before)) > (best_count, Reverse(best_before)) {
                best[entry] = (count, before);
            }
        }
        (best.into_iter())
            .map(|(_, before)| match before < outside {
                // The last rank of a full codebook is NO_KEY too.
                true => u16::try_from(before).unwrap_or(NO_KEY),
                false => NO_KEY,
            })
            .collect()
    }
}

impl CountsPieces for KeyLearner<'_> {
    fn pending(&mut self) -> &mut Vec<u8> {
        &mut self.pending
    }

    fn count(&mut self, piece: &[u8]) {
        let KeyLearner {
            codebook,
            pairs,
            previous,
            folded,
            ..
        } = self;
        let outside = codebook.len() as u32;
        for_each_key(piece, folded, |key| {
            let rank = codebook.rank(key).unwrap_or(outside);
            if let (Some(before), true) = (*previous, rank < outside) {
                pairs.add(&(u64::from(before) << 32 | u64::from(rank)), |&pair| pair);
            }
            *previous = Some(rank);
        });
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
        assert!(trainer.counts.counts.len() <= 64);
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
        assert_eq!(with(&|b| b[4] = 3), UnsupportedVersion(3));
        assert_eq!(with(&|b| b.truncate(b.len() - 1)), Truncated);
        assert_eq!(with(&|b| b.push(0)), TrailingData);
        assert_eq!(with(&|b| b[11] ^= 0x20), Checksum); // a byte of the entries
        assert_eq!(
            with(&|b| b[5..9].fill(0)),
            Entries("id 0 means no codebook")
        );
        assert_eq!(with(&|b| b[9] = 3), Entries("the entry count is wrong"));
    }

    fn keys_of(book: &Codebook, documents: &[&[u8]]) -> Vec<u16> {
        let mut learner = KeyLearner::new(book);
        for document in documents {
            learner.feed(document);
            learner.end_document();
        }
        learner.finish()
    }

    #[test]
    fn an_entrys_key_is_the_entry_it_most_often_follows() {
        let text = b"the cat saw the dog stop a cat saw a dog stop the cat ran stop zzz ran stop \
zzz ran stop a dog ran stop saw saw saw stop the";
        let book = trained(text);
        let rank = |word: &[u8]| book.rank(word).unwrap();
        let entries: Vec<&[u8]> = (0..book.len()).map(|r| book.entry(r).0).collect();
        assert_eq!(
            entries,
            [
                &b"stop"[..],
                b"saw",
                b"ran",
                b"the",
                b"a",
                b"cat",
                b"dog",
                b"zzz"
            ]
        );
        let keys = keys_of(&book, &[text]);
        let key = |word: &[u8]| keys[rank(word) as usize];
        // "cat": after "the" twice, after "a" once.
        assert_eq!(key(b"cat"), rank(b"the") as u16);
        // "saw": after "cat" twice and after itself twice: the lower rank, its own.
        assert_eq!(key(b"saw"), rank(b"saw") as u16);
        // "ran": after "zzz" twice, after "cat" and "dog" once each.
        assert_eq!(key(b"ran"), rank(b"zzz") as u16);
        // "the" begins the text, follows nothing there, then "saw" once and "stop" twice.
        assert_eq!(key(b"the"), rank(b"stop") as u16);
        assert_eq!(key(b"stop"), rank(b"ran") as u16);
        assert_eq!(key(b"dog"), rank(b"a") as u16);
        // A document's first word follows nothing.
        let split = keys_of(&book, &[b"the cat", b"the dog stop the"]);
        assert_eq!(split[rank(b"the") as usize], rank(b"stop") as u16);
        assert_eq!(split[rank(b"zzz") as usize], NO_KEY);
        // Most often after a word outside the codebook: no key.
        let outside = keys_of(&book, &[b"xyzzy cat xyzzy cat the cat"]);
        assert_eq!(outside[rank(b"cat") as usize], NO_KEY);
        // Fed in any pieces, the same keys.
        let mut learner = KeyLearner::new(&book);
        for piece in text.chunks(5) {
            learner.feed(piece);
        }
        assert_eq!(learner.finish(), keys);
    }

    #[test]
    fn a_bounded_key_learner_keeps_the_frequent_pairs() {
        let mut text = String::new();
        for i in 0..400u32 {
            text.push_str(&format!("the common w{i} usual w{i} usual "));
        }
        let book = trained(text.as_bytes());
        let rank = |word: &[u8]| book.rank(word).unwrap() as usize;
        let mut learner = KeyLearner::with_limit(&book, 16);
        learner.feed(text.as_bytes());
        assert!(learner.pairs.counts.len() <= 16);
        let keys = learner.finish();
        assert_eq!(keys[rank(b"common")], rank(b"the") as u16);
        assert_eq!(keys[rank(b"the")], rank(b"usual") as u16);
    }

    #[test]
    fn keys_are_in_the_file_and_its_hash() {
        let book = trained(b"one two two three three three two three");
        let keys = keys_of(&book, &[b"one two two three three three two three"]);
        // "three" after itself and "two" twice each, "two" after "one" (not an entry), itself
        // and "three": ties to the lower rank.
        assert_eq!(keys, [0, 0]);
        let keyed = trained(b"one two two three three three two three")
            .with_keys(keys.clone())
            .unwrap();
        assert_eq!(keyed.keys(), Some(&keys[..]));
        assert_ne!(keyed.hash(), book.hash());
        assert_eq!(keyed.id(), trained_id(keyed.hash()));
        let bytes = keyed.to_bytes();
        assert_eq!(bytes[4], CODEBOOK_VERSION);
        assert_eq!(book.to_bytes()[4], CODEBOOK_VERSION_WITHOUT_KEYS);
        assert_eq!(bytes.len(), book.to_bytes().len() + 2 * keys.len());
        let read = Codebook::from_bytes(&bytes).unwrap();
        assert_eq!(read, keyed);
        assert_eq!(read.keys(), Some(&keys[..]));
        assert_eq!(read.to_bytes(), bytes);

        let keys_at = bytes.len() - 8 - 2 * keys.len();
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = bytes.clone();
            f(&mut b);
            Codebook::from_bytes(&b).unwrap_err()
        };
        // The hash made right again after a change.
        let rehash = |b: &mut Vec<u8>| {
            let end = b.len() - 8;
            let hash = content_hash(&b[keys_at - book.section.len()..end]);
            b[end..].copy_from_slice(&hash.to_le_bytes());
        };
        use CodebookError::*;
        assert_eq!(with(&|b| b[keys_at] ^= 1), Checksum);
        assert_eq!(with(&|b| b.truncate(keys_at + 1)), Truncated);
        assert_eq!(
            with(&|b| {
                b[keys_at] = 2;
                rehash(b);
            }),
            Entries("a key is not the rank of an entry")
        );
        // NO_KEY is a key of any codebook.
        let mut no_key = bytes.clone();
        no_key[keys_at..keys_at + 2].fill(0xff);
        rehash(&mut no_key);
        assert_eq!(
            Codebook::from_bytes(&no_key).unwrap().keys(),
            Some(&[NO_KEY, 0][..])
        );
        assert_eq!(
            trained(b"a a b b").with_keys(vec![0]).unwrap_err(),
            Entries("the key count is not the entry count")
        );
        assert_eq!(
            trained(b"a a b b").with_keys(vec![0, 2]).unwrap_err(),
            Entries("a key is not the rank of an entry")
        );
    }

    #[test]
    fn files_of_both_versions_keep_their_bytes() {
        let text = b"to be or not to be";
        let book = trained(text).with_id(7);
        let keys = keys_of(&book, &[text]);
        let plain = Codebook::from_bytes(&book.to_bytes()).unwrap();
        let keyed = plain.with_keys(keys).unwrap().with_id(7);
        // Version 1: magic, version, id 7, 2 entries in 6 bytes ("be", "to"), XXH64 of them.
        let version_1 = [
            0xfe, 0xce, 0xa3, 0x44, 0x01, 0x07, 0x00, 0x00, 0x00, 0x02, 0x06, b'b', b'e', 0x00,
            b't', b'o', 0x00, 0xf2, 0x22, 0xb4, 0x75, 0x2b, 0x6a, 0x49, 0x1b,
        ];
        // Version 2: the same, then the keys ("be" after "to", "to" after nothing but a word
        // outside the codebook), and XXH64 of the entries and keys.
        let version_2 = [
            0xfe, 0xce, 0xa3, 0x44, 0x02, 0x07, 0x00, 0x00, 0x00, 0x02, 0x06, b'b', b'e', 0x00,
            b't', b'o', 0x00, 0x01, 0x00, 0xff, 0xff, 0x37, 0xf9, 0x39, 0x83, 0x29, 0x9b, 0xa8,
            0x00,
        ];
        assert_eq!(book.to_bytes(), version_1);
        assert_eq!(keyed.to_bytes(), version_2);
        for bytes in [&version_1[..], &version_2[..]] {
            assert_eq!(Codebook::from_bytes(bytes).unwrap().to_bytes(), bytes);
        }
        assert_eq!(keyed.keys(), Some(&[1, NO_KEY][..]));
    }

    #[test]
    fn entries_must_be_what_the_encoder_would_write() {
        let file = |section: &[u8]| {
            let mut out = CODEBOOK_MAGIC.to_vec();
            out.push(CODEBOOK_VERSION_WITHOUT_KEYS);
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
