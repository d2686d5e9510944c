//! The word transform: turns a frame's tokens into the Σ-bank and a compact glyph byte stream,
//! and parses that stream back into glyphs.
//!
//! Words are case-folded (a flag carries the capitalisation), frequent words and every
//! non-ASCII word or symbol go into the frame's Σ-bank ranked by frequency (the most frequent
//! get one-byte codes, the rest two or three bytes; the encoder may sort each of those two
//! tiers alphabetically), and the single space before a word is implicit where the frame's
//! statistics say it usually is. The stream is what the Burrows–Wheeler stage sorts, so it is
//! designed for that: codes are bytes ≥ 0x80, flags are control bytes, everything else is the
//! text's own bytes. `docs/FORMAT.md` specifies the byte layout.

use crate::breaks::{BreakDecoder, BreakEncoder};
use crate::codebook::Codebook;
use crate::glyph::{Case, Glyph, GlyphType};
use crate::intern::Interner;
use crate::primitive::Primitive;
use crate::token::{is_ascii_letter, starts_with_letter, TokenKind, Tokenizer};
use crate::Part;
use std::sync::{Mutex, PoisonError};

pub use crate::codebook_layout::{SYMBOL_END, WORD_END};
/// Escape: the next byte is literal.
pub const ESC: u8 = 0x01;
/// The next word is capitalised.
pub const CAP: u8 = 0x02;
/// The next word is in upper case.
pub const UPPER: u8 = 0x03;
/// The next word inverts the implicit-space default.
pub const TOGGLE: u8 = 0x04;
/// DELTA: the banked word that followed the previous banked word last time.
pub const DELTA: u8 = 0x05;
/// Control bytes reserved for future glyph flags; literal occurrences are escaped.
pub(crate) const LAST_FLAG: u8 = 0x07;
/// First code byte; every byte from here to 0xFF is part of a Σ-bank code.
pub const FIRST_CODE: u8 = 0x80;
/// Byte that precedes the first token of a frame, for the implicit-space rule.
const FRAME_START: u8 = b'\n';
/// Most entries a bank can hold: 128 three-byte code prefixes × 128 × 128.
pub const MAX_BANK: usize = 128 * 128 * 128;

/// The terminator a Σ-bank entry is written with: its kind, decided by its first character.
pub(crate) fn entry_end(key: &[u8]) -> u8 {
    if starts_with_letter(key) {
        WORD_END
    } else {
        SYMBOL_END
    }
}

#[inline]
fn needs_escape(b: u8) -> bool {
    b >= FIRST_CODE || (ESC..=LAST_FLAG).contains(&b)
}

#[inline]
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A codebook the transform may start the Σ-bank with.
#[derive(Clone, Copy)]
pub struct Prior<'a> {
    /// The stream's codebook.
    pub codebook: &'a Codebook,
    /// The least share of the frame's word and symbol occurrences that must be codebook
    /// entries for the transform to use it.
    pub min_coverage: f64,
    /// Whether the codebook's entries take their codes in the order of its keys, if it has
    /// keys (payload mode 3), rather than in its own order.
    pub by_keys: bool,
}

/// The per-frame parameters of the transform, stored in the frame payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// For each byte value: whether a word after it is preceded by an implicit space.
    pub implied_space: [bool; 256],
    /// Number of one-byte codes.
    pub one_byte_codes: u8,
    /// Number of code prefixes that start a two-byte code.
    pub two_byte_prefixes: u8,
    /// Whether the Σ-bank starts with the stream's codebook's entries (payload modes 2 and 3).
    pub codebook: bool,
    /// Whether those entries are re-sorted within each code length by the codebook's keys
    /// ([`codebook_order`], payload mode 3) rather than taken in the codebook's order.
    pub codebook_by_keys: bool,
    /// Number of Σ-bank entries in the block's bank section (after the codebook's, if any).
    pub bank_entries: u64,
    /// Length of the bank section at the start of the block.
    pub bank_bytes: u64,
    /// The soft line breaks, if the stream codes newlines between words as implicit spaces
    /// (of the first part, if the stream is rendered in two).
    pub line_breaks: Option<LineBreaks>,
    /// Where the second part starts, if the glyph stream is rendered in two.
    pub split: Option<Split>,
}

/// The second of the two parts a glyph stream is rendered in (format version 15). Each part
/// renders as a frame starts: after an LF, at column 0, with soft line breaks and the
/// successor table afresh; so the two can be rendered side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Length of the first part's glyph stream.
    pub glyphs_before: u64,
    /// Length of the first part's text.
    pub text_before: u64,
    /// The second part's separators' code (empty without soft line breaks).
    pub breaks_code: Vec<u8>,
}

/// The soft line breaks of a frame (`crate::breaks`): which implicit spaces are newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineBreaks {
    /// The separator before a word is coded if the word ends at this column or later.
    pub min_end: u8,
    /// Whether the lines end in CR LF rather than LF.
    pub crlf: bool,
    /// The code of the separators.
    pub code: Vec<u8>,
}

/// A transformed frame: its parameters and the block (bank section, then glyph stream).
pub struct Transformed {
    /// Parameters the decoder needs.
    pub params: Params,
    /// The bytes handed to the Burrows–Wheeler stage.
    pub block: Vec<u8>,
    /// Glyphs in the stream, by [`GlyphType`] index.
    pub glyphs: [u64; 4],
}

/// `word` lowercased as far as a [`Case`] flag can restore it, and that flag. A word with
/// nothing to fold (most of them) is returned as it is; the others are folded into `scratch`.
pub(crate) fn fold<'a>(word: &'a [u8], scratch: &'a mut Vec<u8>) -> (&'a [u8], Case) {
    let uppers = word.iter().filter(|b| b.is_ascii_uppercase()).count();
    let case = if uppers == 1 && word[0].is_ascii_uppercase() {
        Case::Capitalized
    } else if uppers >= 2 && !word.iter().any(u8::is_ascii_lowercase) {
        Case::Upper
    } else {
        return (word, Case::AsIs);
    };
    // Either way every letter folds: a capitalized word's one capital is its first.
    scratch.clear();
    scratch.extend_from_slice(word);
    scratch.make_ascii_lowercase();
    (scratch, case)
}

/// Whether a bank key can be spelled out in the stream instead (ASCII letters only).
fn is_spellable(key: &[u8]) -> bool {
    key.iter().all(|&b| is_ascii_letter(b))
}

/// The id and case of every word and symbol of a frame, in order. The list is most of the
/// transform's memory beside the text, and two workers transform side by side, so it is kept
/// small without slowing the transform: ids go in order of first sight, which gives the
/// frequent words small ones, and an id below [`Occurrences::SHORT_IDS`] takes one `u16` (the
/// case in the top two bits, which never reach 3), a larger one three (an escape whose low
/// bits are the case, then the id's low and high halves). Varints of a byte took less still
/// but made the transform 10-25 % slower.
#[derive(Default)]
struct Occurrences(Vec<u16>);

impl Occurrences {
    /// Ids that fit beside the case in one `u16`.
    const SHORT_IDS: u32 = 1 << 14;
    /// Top bits of an escape (a case value no `Case` has).
    const ESCAPE: u16 = 3 << 14;

    fn push(&mut self, id: u32, case: Case) {
        let case = case as u16;
        match id < Self::SHORT_IDS {
            true => self.0.push(case << 14 | id as u16),
            false => {
                let escape = Self::ESCAPE | case;
                self.0
                    .extend_from_slice(&[escape, id as u16, (id >> 16) as u16]);
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (u32, Case)> + '_ {
        self.iter_from(0)
    }

    /// The occurrences from `unit` on (where one starts).
    fn iter_from(&self, unit: usize) -> impl Iterator<Item = (u32, Case)> + '_ {
        let case = |bits: u16| match bits & 3 {
            0 => Case::AsIs,
            1 => Case::Capitalized,
            _ => Case::Upper,
        };
        let mut units = self.0[unit..].iter().copied();
        std::iter::from_fn(move || {
            let unit = units.next()?;
            Some(match unit & Self::ESCAPE == Self::ESCAPE {
                false => (u32::from(unit) & (Self::SHORT_IDS - 1), case(unit >> 14)),
                true => {
                    let (low, high) = (units.next()?, units.next()?);
                    (u32::from(low) | u32::from(high) << 16, case(unit))
                }
            })
        })
    }
}

/// Byte before position `pos`, or the frame-start byte.
#[inline]
fn byte_before(input: &[u8], pos: usize) -> u8 {
    if pos == 0 {
        FRAME_START
    } else {
        input[pos - 1]
    }
}

/// Whether the word starting at `pos` is preceded by exactly one space (a one-byte space token).
#[inline]
fn after_single_space(input: &[u8], pos: usize) -> bool {
    pos >= 1 && input[pos - 1] == b' ' && (pos < 2 || !is_whitespace(input[pos - 2]))
}

/// Code length in bytes of each rank for a given split, and the total cost of a split.
fn split_cost(prefix: &[u64], n1: usize, n2: usize) -> Option<u64> {
    let m = prefix.len() - 1;
    let n3 = 128 - n1 - n2;
    let cap1 = n1.min(m);
    let cap2 = (n1 + 128 * n2).min(m);
    if n1 + 128 * n2 + 128 * 128 * n3 < m {
        return None;
    }
    Some(prefix[cap1] + 2 * (prefix[cap2] - prefix[cap1]) + 3 * (prefix[m] - prefix[cap2]))
}

/// Why [`encode`] gave up on a frame: the Σ-bank would overflow, or the block would not be
/// smaller than the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// Whether the attempt that gave up was over the prior codebook (which it takes only if
    /// the codebook covers enough of the frame), so that a caller knows which way is left to
    /// try.
    pub over_codebook: bool,
}

/// Texts shorter than this are rendered in one part ([`Shape::split_min`]'s default).
pub const SPLIT_MIN: usize = 1 << 20;

/// How far past the middle of a text its split may move to find a place to start a part.
const SPLIT_WINDOW: usize = 1 << 20;

/// Where a text of [`Shape::split_min`] bytes or more splits into the two parts its glyph
/// stream is rendered in (format version 15): the first place from its middle, within
/// [`SPLIT_WINDOW`] bytes, where the second part can start as a frame does: after an LF that
/// ends a whitespace glyph, so at column 0 with LF as the byte before. Such a whitespace run
/// is never a word's separator: it is followed by something other than a word, or it is
/// more than a line end alone.
fn split_point(input: &[u8]) -> Option<usize> {
    let from = (input.len() / 2).max(1);
    let to = input.len().min(from + SPLIT_WINDOW);
    (from..to).find(|&at| {
        if input[at - 1] != b'\n' || is_whitespace(input[at]) {
            return false;
        }
        let run = input[..at]
            .iter()
            .rev()
            .take(3)
            .take_while(|&&b| is_whitespace(b));
        let line_end_alone = match run.count() {
            1 => true,
            2 => input[at - 2] == b'\r',
            _ => false,
        };
        !(line_end_alone && starts_with_letter(&input[at..]))
    })
}

/// Pass 1 of the transform over a text: every distinct word (folded) and symbol with an id
/// (`keys[id]`) and its count, each occurrence's id and case in order (pass 2 then neither
/// folds nor hashes again), and the implicit space decided per preceding byte by vote.
struct Tally {
    keys: Vec<Box<[u8]>>,
    counts: Vec<u32>,
    occurrences: Occurrences,
    implied_space: [bool; 256],
    /// Whether more words follow a CR LF line end than a lone LF one.
    crlf: bool,
    /// Where in `occurrences` (in units) each part after the first starts.
    part_units: Vec<usize>,
}

impl Tally {
    /// Pass 1 over `input`, in two parts split at `split` (the second starting where a token
    /// starts whatever precedes it) if `parts.0` allows more than one; `parts.1` runs them
    /// (see [`crate::Part`]): each part is tallied alone and the parts merged in order, which
    /// gives what one pass gives: the same ids (in order of first occurrence), counts,
    /// occurrences and votes. Two threads tallied 48 MiB of prose in 0.26-0.28 s instead of
    /// 0.32-0.34 s, 48 MiB of the mixed corpus in 0.16 s instead of 0.26 s, merging included
    /// (the second part relearns the vocabulary the first one saw, and the two contend for
    /// memory). In one part, the tally still notes where the occurrences after `split` start.
    fn of(
        input: &[u8],
        split: Option<usize>,
        (parts, run_parts): (usize, impl FnOnce(usize, &Part<'_>)),
    ) -> Tally {
        match split {
            Some(at) if parts > 1 => Self::of_parts(input, &[0, at, input.len()], run_parts),
            _ => {
                let mut tally = PartTally::default();
                let mut part_units = Vec::new();
                let mut from = 0;
                for at in split.into_iter().chain([input.len()]) {
                    tally.count(input, from..at);
                    part_units.push(tally.occurrences.0.len());
                    from = at;
                }
                part_units.pop();
                tally.into_tally(part_units)
            }
        }
    }

    /// The tally of `input` from those of its parts between `cuts` (each where a token starts
    /// whatever precedes it), which `run_parts` runs.
    fn of_parts(input: &[u8], cuts: &[usize], run_parts: impl FnOnce(usize, &Part<'_>)) -> Tally {
        let tallies: Vec<_> = cuts.windows(2).map(|_| Mutex::new(None)).collect();
        run_parts(tallies.len(), &|i| {
            let mut tally = PartTally::default();
            tally.count(input, cuts[i]..cuts[i + 1]);
            *tallies[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(tally);
        });
        let mut parts = tallies.into_iter().map(|slot| {
            let slot = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
            slot.expect("every part was run")
        });
        let mut all = parts.next().expect("at least one part");
        let mut part_units = Vec::new();
        for part in parts {
            part_units.push(all.occurrences.0.len());
            all.append(part);
        }
        all.into_tally(part_units)
    }
}

/// The tally of one part of a text, or of several in order (see [`Tally::of`]).
struct PartTally {
    ids: Interner,
    counts: Vec<u32>,
    occurrences: Occurrences,
    votes: [[u32; 2]; 256],
    /// Words after a line end that is a lone LF, and after CR LF.
    after_line_end: [u32; 2],
}

impl Default for PartTally {
    fn default() -> Self {
        PartTally {
            ids: Interner::default(),
            counts: Vec::new(),
            occurrences: Occurrences::default(),
            votes: [[0; 2]; 256],
            after_line_end: [0; 2],
        }
    }
}

impl PartTally {
    /// Tallies the tokens of `input[range]`, which starts where a token does; the bytes
    /// before the range still decide a word's separator and vote.
    fn count(&mut self, input: &[u8], range: std::ops::Range<usize>) {
        let mut folded = Vec::new();
        let offset = range.start;
        for (kind, token) in Tokenizer::new(&input[range]) {
            let token = token.start + offset..token.end + offset;
            let (key, case): (&[u8], Case) = match kind {
                TokenKind::Word => {
                    let (key, case) = fold(&input[token.clone()], &mut folded);
                    let (at, spaced) = if after_single_space(input, token.start) {
                        (token.start - 1, 1)
                    } else {
                        (token.start, 0)
                    };
                    self.votes[byte_before(input, at) as usize][spaced] += 1;
                    if at >= 2 && input[at - 1] == b'\n' {
                        self.after_line_end[usize::from(input[at - 2] == b'\r')] += 1;
                    }
                    (key, case)
                }
                TokenKind::Symbol => (&input[token], Case::AsIs),
                _ => continue,
            };
            let id = self.add(key, 1);
            self.occurrences.push(id, case);
        }
    }

    /// Counts `count` occurrences of `key`, giving it the next id if it is new; returns its id.
    #[inline]
    fn add(&mut self, key: &[u8], count: u32) -> u32 {
        let id = self.ids.id(key);
        if id as usize == self.counts.len() {
            self.counts.push(0);
        }
        self.counts[id as usize] += count;
        id
    }

    /// Adds the tally of the part that follows this one: its keys new here take the next ids
    /// in their order, as one pass over both would have given them.
    fn append(&mut self, next: PartTally) {
        let ids: Vec<u32> = (next.ids.into_keys().iter())
            .zip(&next.counts)
            .map(|(key, &count)| self.add(key, count))
            .collect();
        for (id, case) in next.occurrences.iter() {
            self.occurrences.push(ids[id as usize], case);
        }
        for (votes, more) in self.votes.iter_mut().zip(next.votes) {
            votes[0] += more[0];
            votes[1] += more[1];
        }
        self.after_line_end[0] += next.after_line_end[0];
        self.after_line_end[1] += next.after_line_end[1];
    }

    /// The tally of the whole, the occurrences of each part after the first starting at
    /// `part_units`.
    fn into_tally(self, part_units: Vec<usize>) -> Tally {
        let mut implied_space = [false; 256];
        for (slot, [without, with]) in implied_space.iter_mut().zip(self.votes) {
            *slot = with > without;
        }
        Tally {
            keys: self.ids.into_keys(),
            counts: self.counts,
            occurrences: self.occurrences,
            implied_space,
            crlf: self.after_line_end[1] > self.after_line_end[0],
            part_units,
        }
    }
}

/// How the frame's own bank entries are ordered within each code length (the tiers of one-,
/// two- and three-byte codes); a decoder takes them in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierOrder {
    /// Two- and three-byte tiers alphabetically, so that the bank, which the word model codes
    /// first, shares its entries' prefixes; this costs that model's codes nothing.
    Alphabetical,
    /// By the rank of the word or symbol each entry most often follows, then by frequency:
    /// the BWT sorts a block by what follows each byte, so entries with the same usual
    /// predecessor, given codes side by side, bring together the contexts that predict the
    /// same bytes. Without a codebook, 24 MiB slices coded 1.2 % smaller than in order of
    /// frequency (prose) and 1.0-1.3 % (the mixed corpus), the whole corpora 0.44 % and
    /// 0.28 % at level 6 (0.48 % and 0.33 % at level 2), for a transform 13-23 % slower
    /// (ordering by the usual successor instead gained 0.3-0.8 % on the slices).
    ByPredecessor,
}

/// For each entry of the frame's bank (`bank`, in order), the bank rank of the word or symbol
/// its occurrences most often follow (ties to the lower rank), or `u32::MAX` if that is a
/// word outside the bank; `rank` maps ids to bank ranks (`u32::MAX` outside it).
///
/// Each entry's predecessors are gathered in one array (an entry's run as long as its count)
/// and counted a run at a time in one table: exact counts in a tenth of the memory of a hash
/// map of pairs (a million distinct pairs in 24 MiB of text), and faster.
fn usual_predecessors(occurrences: &Occurrences, rank: &[u32], bank: &[(u32, u32)]) -> Vec<u32> {
    let mut starts = Vec::with_capacity(bank.len());
    let mut total = 0usize;
    for &(_, count) in bank {
        starts.push(total);
        total += count as usize;
    }
    let mut ends = starts.clone();
    let mut before = vec![0u32; total];
    // Words outside the bank count as one predecessor, ranked last.
    let outside = bank.len() as u32;
    let mut previous = None;
    for (id, _) in occurrences.iter() {
        let this = rank[id as usize].min(outside);
        if let (Some(previous), true) = (previous, this < outside) {
            before[ends[this as usize]] = previous;
            ends[this as usize] += 1;
        }
        previous = Some(this);
    }
    let mut counts = vec![0u32; bank.len() + 1];
    (starts.iter().zip(&ends))
        .map(|(&start, &end)| {
            let run = &before[start..end];
            let mut best = (0, u32::MAX);
            for &predecessor in run {
                let count = &mut counts[predecessor as usize];
                *count += 1;
                if (*count, std::cmp::Reverse(predecessor)) > (best.0, std::cmp::Reverse(best.1)) {
                    best = (*count, predecessor);
                }
            }
            for &predecessor in run {
                counts[predecessor as usize] = 0;
            }
            if best.1 == outside {
                u32::MAX
            } else {
                best.1
            }
        })
        .collect()
}

/// The order of a codebook's entries in a frame coded over it with its `keys` (payload mode
/// 3), whose bank has `n1` one-byte codes and `n2` two-byte prefixes: for each bank rank
/// below the codebook's length, the codebook rank of the entry there. Within each code length
/// the entries are sorted, stably, by key.
pub fn codebook_order(keys: &[u16], n1: usize, n2: usize) -> Vec<u32> {
    order_in_tiers(&ranks_by_key(keys), n1, n2)
}

/// A codebook's ranks sorted, stably, by key: every frame's [`codebook_order`] is this list
/// dealt out among the frame's code lengths, so a codebook sorts it once
/// ([`Codebook::ranks_by_key`]) and a frame's order costs one pass instead of a sort (which
/// took a third of a millisecond a frame for the built-in codebook).
pub(crate) fn ranks_by_key(keys: &[u16]) -> Vec<u32> {
    let mut ranks: Vec<u32> = (0..keys.len() as u32).collect();
    ranks.sort_by_key(|&rank| keys[rank as usize]);
    ranks
}

/// [`codebook_order`] from the codebook's [`ranks_by_key`].
pub(crate) fn order_in_tiers(by_key: &[u32], n1: usize, n2: usize) -> Vec<u32> {
    let len = by_key.len();
    let (one_byte_end, two_byte_end) = (n1.min(len), (n1 + 128 * n2).min(len));
    let mut next = [0, one_byte_end, two_byte_end];
    let mut order = vec![0; len];
    for &rank in by_key {
        let tier =
            usize::from(rank as usize >= one_byte_end) + usize::from(rank as usize >= two_byte_end);
        order[next[tier]] = rank;
        next[tier] += 1;
    }
    order
}

/// How [`encode`] shapes a frame's Σ-bank and glyph stream.
#[derive(Clone, Copy)]
pub struct Shape<'a> {
    /// How often an ASCII word must occur in the frame to be banked.
    pub min_count: u32,
    /// Whether words their predecessor predicts become DELTA glyphs.
    pub deltas: bool,
    /// How the frame's entries are ordered within each code length.
    pub order: TierOrder,
    /// A codebook the Σ-bank starts with (in its order) if it covers enough of the frame; the
    /// frame's own entries follow, and only they are spelled in the block.
    pub prior: Option<Prior<'a>>,
    /// The column from which a newline between two words may become a soft line break
    /// (`None`: never).
    pub line_breaks: Option<u8>,
    /// Texts of at least this many bytes are rendered in two parts, side by side where a core
    /// is free (`usize::MAX`: never; nor with DELTA glyphs, whose successor table spans the
    /// frame).
    pub split_min: usize,
}

impl Shape<'_> {
    /// Banks words that occur `min_count` times, orders entries by `order`, and nothing else:
    /// no DELTA glyphs, codebook, soft line breaks or parts.
    pub fn new(min_count: u32, order: TierOrder) -> Self {
        Shape {
            min_count,
            deltas: false,
            order,
            prior: None,
            line_breaks: None,
            split_min: usize::MAX,
        }
    }
}

/// Applies the word transform to `input` as `shape` says, or gives up where it would not make
/// the block smaller. `parts` says in how many parts its passes may be cut, and runs them.
pub fn encode(
    input: &[u8],
    shape: &Shape<'_>,
    parts: (usize, impl Fn(usize, &Part<'_>)),
) -> Result<Transformed, Rejected> {
    let Shape {
        min_count,
        deltas,
        order,
        prior,
        line_breaks,
        split_min,
    } = *shape;
    let split = match !deltas && input.len() >= split_min {
        true => split_point(input),
        false => None,
    };
    let Tally {
        keys,
        counts,
        occurrences,
        implied_space,
        crlf,
        part_units,
    } = Tally::of(input, split, (parts.0, &parts.1));

    // Bank: the codebook's entries, then everything else that cannot be spelled, plus words
    // frequent enough; most frequent first.
    let mut prior_ranks: Vec<Option<u32>> = match prior {
        Some(p) => keys.iter().map(|key| p.codebook.rank(key)).collect(),
        None => Vec::new(),
    };
    let covers_enough = |p: &Prior<'_>| {
        let covered: u64 = (prior_ranks.iter().zip(&counts))
            .filter(|(rank, _)| rank.is_some())
            .map(|(_, &count)| u64::from(count))
            .sum();
        let total: u64 = counts.iter().map(|&count| u64::from(count)).sum();
        covered as f64 >= p.min_coverage * total as f64
    };
    let codebook = prior.filter(covers_enough).map(|p| p.codebook);
    let rejected = Rejected {
        over_codebook: codebook.is_some(),
    };
    if codebook.is_none() {
        prior_ranks.clear();
    }
    let prior_rank = |id: usize| prior_ranks.get(id).copied().flatten();
    let prior_len = codebook.map_or(0, Codebook::len);
    let mut bank: Vec<(u32, u32)> = counts
        .iter()
        .enumerate()
        .filter(|&(id, &count)| {
            (count >= min_count || !is_spellable(&keys[id])) && prior_rank(id).is_none()
        })
        .map(|(id, &count)| (id as u32, count))
        .collect();
    let key = |id: u32| &*keys[id as usize];
    bank.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| key(a.0).cmp(key(b.0))));
    if prior_len + bank.len() > MAX_BANK {
        let must = bank
            .iter()
            .filter(|&&(id, _)| !is_spellable(key(id)))
            .count();
        if prior_len + must > MAX_BANK {
            return Err(rejected);
        }
        // Drop the rarest spellable words until the rest fits.
        let mut spare = MAX_BANK - prior_len - must;
        bank.retain(|&(id, _)| {
            if !is_spellable(key(id)) {
                return true;
            }
            let keep = spare > 0;
            spare = spare.saturating_sub(1);
            keep
        });
    }
    // Occurrences by rank: the codebook's entries (those the frame uses), then the frame's.
    let mut rank_counts = vec![0u32; prior_len];
    for (&rank, &count) in prior_ranks.iter().zip(&counts) {
        if let Some(rank) = rank {
            rank_counts[rank as usize] = count;
        }
    }
    rank_counts.extend(bank.iter().map(|&(_, count)| count));
    let bank_len = rank_counts.len();
    let mut prefix = Vec::with_capacity(bank_len + 1);
    prefix.push(0u64);
    for &count in &rank_counts {
        prefix.push(prefix.last().unwrap() + u64::from(count));
    }
    // With at most 128 entries every word gets a one-byte code: the search below would find
    // exactly that split first.
    let mut best = if bank_len <= 128 {
        (0, bank_len, 0)
    } else {
        (u64::MAX, 0, 0)
    };
    for n1 in (0..=128).filter(|_| bank_len > 128) {
        for n2 in 0..=128 - n1 {
            if let Some(cost) = split_cost(&prefix, n1, n2) {
                if cost < best.0 {
                    best = (cost, n1, n2);
                }
            }
        }
    }
    let (_, n1, n2) = best;
    // Within each tier the order of the frame's own entries is free (each keeps its code
    // length).
    let two_byte_end = (n1 + 128 * n2).min(bank_len);
    let own =
        |from: usize, to: usize| from.max(prior_len) - prior_len..to.max(prior_len) - prior_len;
    match order {
        TierOrder::Alphabetical => {
            bank[own(n1, two_byte_end)].sort_unstable_by(|a, b| key(a.0).cmp(key(b.0)));
            bank[own(two_byte_end, bank_len)].sort_unstable_by(|a, b| key(a.0).cmp(key(b.0)));
        }
        // Over a codebook, whose entries take the short codes (in the order of its keys, if any),
        // the frame's own entries kept in order of frequency code within ±0.06 % of this order
        // (the corpora's slices of 32 KiB to 32 MiB at levels 1 and 6), and skip its pass.
        TierOrder::ByPredecessor if codebook.is_some() => {}
        TierOrder::ByPredecessor => {
            let mut rank = vec![u32::MAX; keys.len()];
            for (at, &(id, _)) in bank.iter().enumerate() {
                rank[id as usize] = at as u32;
            }
            let predecessors = usual_predecessors(&occurrences, &rank, &bank);
            let mut keyed: Vec<(u32, (u32, u32))> = predecessors.into_iter().zip(bank).collect();
            for tier in [
                own(0, n1),
                own(n1, two_byte_end),
                own(two_byte_end, bank_len),
            ] {
                // Stable: the entries that follow the same word stay in order of frequency.
                keyed[tier].sort_by_key(|&(predecessor, _)| predecessor);
            }
            bank = keyed.into_iter().map(|(_, entry)| entry).collect();
        }
    }

    // Over a codebook with keys, its entries come in key order where the prior asks for it:
    // 1.0 % smaller on prose at the default level (24 MiB slices), 0.7 % with the word model
    // (level 7).
    let in_key_order = codebook.filter(|_| prior.is_some_and(|prior| prior.by_keys));
    let by_keys = match in_key_order.and_then(Codebook::ranks_by_key) {
        Some(by_key) => {
            let order = order_in_tiers(by_key, n1, n2);
            let mut rank_at = vec![0u32; order.len()];
            for (rank, &entry) in order.iter().enumerate() {
                rank_at[entry as usize] = rank as u32;
            }
            for rank in prior_ranks.iter_mut().flatten() {
                *rank = rank_at[*rank as usize];
            }
            true
        }
        None => false,
    };

    let mut bank_section = Vec::new();
    let mut rank_of = prior_ranks;
    rank_of.resize(keys.len(), None);
    for (rank, &(id, _)) in (prior_len..).zip(&bank) {
        let key = key(id);
        bank_section.extend_from_slice(key);
        bank_section.push(entry_end(key));
        rank_of[id as usize] = Some(rank as u32);
    }
    let bank_bytes = bank_section.len();
    let pass = GlyphPass {
        input,
        keys: &keys,
        occurrences: &occurrences,
        rank_of: &rank_of,
        implied_space: &implied_space,
        deltas_bank: if deltas { bank_len } else { 0 },
        n1,
        n2,
        crlf,
        split: split.zip(part_units.first().copied()),
    };
    // Soft line breaks are kept only where they cost at most [`BREAK_BITS`] each: a frame whose
    // newlines the column does not predict (a few sentence ends, say) codes better with them
    // as glyphs, so it is emitted again without.
    let emitted = match pass.emit(&bank_section, line_breaks, &parts) {
        Some(emitted) if emitted.breaks.is_none() || emitted.breaks_pay() => Some(emitted),
        Some(_) => pass.emit(&bank_section, None, &parts),
        None => None,
    };
    let Emitted {
        block,
        glyphs,
        breaks,
        split,
        ..
    } = emitted.ok_or(rejected)?;
    Ok(Transformed {
        params: Params {
            implied_space,
            one_byte_codes: n1 as u8,
            two_byte_prefixes: n2 as u8,
            codebook: codebook.is_some(),
            codebook_by_keys: by_keys,
            bank_entries: bank.len() as u64,
            bank_bytes: bank_bytes as u64,
            line_breaks: breaks,
            split,
        },
        block,
        glyphs,
    })
}

/// What a soft line break stands for: CR LF or LF.
fn line_end(crlf: bool) -> &'static [u8] {
    match crlf {
        true => b"\r\n",
        false => b"\n",
    }
}

/// What pass 2 of the transform needs from pass 1 and the bank.
struct GlyphPass<'a> {
    input: &'a [u8],
    keys: &'a [Box<[u8]>],
    occurrences: &'a Occurrences,
    rank_of: &'a [Option<u32>],
    implied_space: &'a [bool; 256],
    /// Bank entries DELTA glyphs may predict (0: no DELTA glyphs).
    deltas_bank: usize,
    n1: usize,
    n2: usize,
    /// Whether soft line breaks are CR LF rather than LF.
    crlf: bool,
    /// Where the second of two parts starts: in the text, and in `occurrences` (in units).
    split: Option<(usize, usize)>,
}

/// The block, and the soft line breaks, if any newline became one; for a text in two parts,
/// where the second starts.
struct Emitted {
    block: Vec<u8>,
    glyphs: [u64; 4],
    breaks: Option<LineBreaks>,
    split: Option<Split>,
    soft_breaks: usize,
}

/// What emitting one part of the text gave besides its glyph stream.
struct PartEmitted {
    glyphs: [u64; 4],
    /// The separators' code, if soft line breaks were asked for.
    breaks: Option<Vec<u8>>,
    soft_breaks: usize,
}

/// Most the separators' code may take per soft line break, in bits, for a frame to keep them.
/// On the first 32 MiB of each corpus at level 4 (two 16 MiB frames each), prose's take 0.6
/// bits a newline and its frames code 3.9 % smaller, the mixed corpus's about 2 bits and
/// 0.33 %; above 2 bits the mixed corpus would lose that.
/// A frame of made-up prose whose only newlines end some sentences (`good-multi-frame.txt` in
/// frames of 1 KiB) took more than 4 bits each and coded 1.7 % larger with them.
const BREAK_BITS: usize = 4;

impl Emitted {
    /// Whether the soft line breaks cost little enough to keep.
    fn breaks_pay(&self) -> bool {
        let second = self
            .split
            .as_ref()
            .map_or(0, |split| split.breaks_code.len());
        (self.breaks.as_ref())
            .is_some_and(|b| (b.code.len() + second) * 8 <= self.soft_breaks * BREAK_BITS)
    }
}

impl GlyphPass<'_> {
    /// The block: `bank_section`, then the glyph stream, coding newlines between words that
    /// end at column `line_breaks` or later as soft line breaks; `None` if the block grows as
    /// long as the input. A text split in two is emitted in two parts that `parts` runs, side
    /// by side if it has a core for the second.
    fn emit(
        &self,
        bank_section: &[u8],
        line_breaks: Option<u8>,
        (parts, run_parts): &(usize, impl Fn(usize, &Part<'_>)),
    ) -> Option<Emitted> {
        let len = self.input.len();
        let mut block = Vec::with_capacity(len / 2);
        block.extend_from_slice(bank_section);
        let Some((at, units)) = self.split else {
            let whole = self.emit_part(0..len, 0, &mut block, line_breaks, len)?;
            return Some(self.emitted(block, whole, None, line_breaks));
        };
        let (first, second, second_start) = if *parts == 1 {
            let first = self.emit_part(0..at, 0, &mut block, line_breaks, len);
            let second_start = block.len();
            let second = first
                .as_ref()
                .and_then(|_| self.emit_part(at..len, units, &mut block, line_breaks, len));
            (first, second, second_start)
        } else {
            // The second part goes to a block of its own, appended once both are done; alone
            // it may grow only so long that the whole could still be shorter than the text.
            let blocks = [
                Mutex::new(block),
                Mutex::new(Vec::with_capacity((len - at) / 2)),
            ];
            let emitted: [Mutex<Option<PartEmitted>>; 2] = Default::default();
            run_parts(2, &|i| {
                let mut block = blocks[i].lock().unwrap_or_else(PoisonError::into_inner);
                let part = match i {
                    0 => self.emit_part(0..at, 0, &mut block, line_breaks, len),
                    _ => {
                        let limit = len - bank_section.len();
                        self.emit_part(at..len, units, &mut block, line_breaks, limit)
                    }
                };
                *emitted[i].lock().unwrap_or_else(PoisonError::into_inner) = part;
            });
            let [first, second] =
                emitted.map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner));
            let [first_block, second_block] =
                blocks.map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner));
            block = first_block;
            let second_start = block.len();
            block.extend_from_slice(&second_block);
            (first, second, second_start)
        };
        let (first, second) = (first?, second?);
        if block.len() >= len {
            return None;
        }
        let second = (second, (second_start - bank_section.len(), at));
        Some(self.emitted(block, first, Some(second), line_breaks))
    }

    /// The whole of what `emit` gave: the block, the first part (or the whole text) and the
    /// second part, with where it starts in the glyph stream and in the text.
    fn emitted(
        &self,
        block: Vec<u8>,
        first: PartEmitted,
        second: Option<(PartEmitted, (usize, usize))>,
        line_breaks: Option<u8>,
    ) -> Emitted {
        let mut glyphs = first.glyphs;
        let mut soft_breaks = first.soft_breaks;
        if let Some((part, _)) = &second {
            glyphs
                .iter_mut()
                .zip(part.glyphs)
                .for_each(|(all, more)| *all += more);
            soft_breaks += part.soft_breaks;
        }
        // A frame without a soft break codes as well without the separators' code.
        let min_end = line_breaks.filter(|_| soft_breaks > 0);
        let breaks = min_end.zip(first.breaks).map(|(min_end, code)| LineBreaks {
            min_end,
            crlf: self.crlf,
            code,
        });
        let split = second.map(|(part, (glyphs_before, text_before))| Split {
            glyphs_before: glyphs_before as u64,
            text_before: text_before as u64,
            breaks_code: min_end.and(part.breaks).unwrap_or_default(),
        });
        Emitted {
            block,
            glyphs,
            breaks,
            split,
            soft_breaks,
        }
    }

    /// Appends the glyphs of `input[range]` to `block`, the words' ids and cases read from
    /// `units` on in the occurrences; `None` once `block` is `limit` bytes long. The part
    /// starts as a frame does: as if after an LF, with soft line breaks coded afresh.
    fn emit_part(
        &self,
        range: std::ops::Range<usize>,
        units: usize,
        block: &mut Vec<u8>,
        line_breaks: Option<u8>,
        limit: usize,
    ) -> Option<PartEmitted> {
        let GlyphPass {
            input,
            keys,
            occurrences,
            rank_of,
            implied_space,
            deltas_bank,
            n1,
            n2,
            crlf,
            split: _,
        } = *self;
        let line_end = line_end(crlf);
        let mut glyphs = [0u64; 4];
        let mut context = Successors::new(deltas_bank);
        let offset = range.start;
        let mut tokens = Tokenizer::new(&input[range.clone()])
            .map(|(kind, token)| (kind, token.start + offset..token.end + offset))
            .peekable();
        let mut occurrences = occurrences.iter_from(units);
        let mut next_word = || {
            let (id, case) = occurrences.next().expect("pass 1 saw the same words");
            (&*keys[id as usize], case, rank_of[id as usize])
        };
        let mut breaks = line_breaks.map(BreakEncoder::new);
        let mut soft_breaks = 0usize;
        // Where the line of the current token starts: a column is counted from there.
        let mut line_start = range.start;
        while let Some((kind, range)) = tokens.next() {
            // A word glyph to push after the match: its folded text, case, rank and toggle.
            let word_glyph = match kind {
                TokenKind::Space
                    if (input[range.clone()] == *b" "
                        || breaks.is_some() && input[range.clone()] == *line_end)
                        && matches!(tokens.peek(), Some((TokenKind::Word, _))) =>
                {
                    let (_, word) = tokens.next().expect("peeked");
                    let (folded, case, rank) = next_word();
                    // Two spelled-out words with nothing between them would read back as one.
                    let would_merge = rank.is_none()
                        && case == Case::AsIs
                        && block.last().is_some_and(|&b| is_ascii_letter(b));
                    let implied =
                        implied_space[byte_before(input, range.start) as usize] && !would_merge;
                    // The column the word ends at, counting its separator.
                    let end = range.start - line_start + 1 + word.len();
                    let coded = implied && breaks.as_ref().is_some_and(|b| b.codes(end));
                    let newline = input[range.start] != b' ';
                    if newline {
                        line_start = range.end;
                    }
                    let toggle = if newline && !coded {
                        // A newline the separators cannot carry is a glyph, as without them.
                        if let Some(breaks) = &mut breaks {
                            breaks.hard_newline();
                        }
                        glyphs[GlyphType::Primitive as usize] += 1;
                        block.extend_from_slice(line_end);
                        implied_space[b'\n' as usize]
                    } else {
                        if let Some(breaks) = breaks.as_mut().filter(|_| coded) {
                            breaks.code(end, word.len(), newline);
                            soft_breaks += usize::from(newline);
                        }
                        if !implied {
                            block.push(b' ');
                        }
                        !implied && implied_space[b' ' as usize]
                    };
                    Some((folded, case, rank, toggle))
                }
                TokenKind::Word => {
                    let (folded, case, rank) = next_word();
                    let toggle = implied_space[byte_before(input, range.start) as usize];
                    Some((folded, case, rank, toggle))
                }
                TokenKind::Space => {
                    glyphs[GlyphType::Primitive as usize] += 1;
                    if let Some(at) = input[range.clone()].iter().rposition(|&b| b == b'\n') {
                        line_start = range.start + at + 1;
                        if let Some(breaks) = &mut breaks {
                            breaks.hard_newline();
                        }
                    }
                    block.extend_from_slice(&input[range]);
                    None
                }
                TokenKind::Symbol => {
                    context.other();
                    glyphs[GlyphType::Reference as usize] += 1;
                    let (_, _, rank) = next_word();
                    push_code(block, rank.expect("every symbol is banked"), n1, n2);
                    None
                }
                _ => {
                    context.other();
                    glyphs[GlyphType::Primitive as usize] += 1;
                    for &b in &input[range] {
                        if needs_escape(b) {
                            block.push(ESC);
                        }
                        block.push(b);
                    }
                    None
                }
            };
            if let Some((folded, case, rank, toggle)) = word_glyph {
                push_word(
                    block,
                    &mut glyphs,
                    &mut context,
                    folded,
                    case,
                    rank,
                    toggle,
                    n1,
                    n2,
                );
            }
            if block.len() >= limit {
                return None;
            }
        }
        Some(PartEmitted {
            glyphs,
            breaks: breaks.map(|breaks| breaks.finish().1),
            soft_breaks,
        })
    }
}

/// Emits a word glyph: its flags, then its code or its spelling.
#[allow(clippy::too_many_arguments)]
#[inline]
fn push_word(
    block: &mut Vec<u8>,
    glyphs: &mut [u64; 4],
    context: &mut Successors,
    folded: &[u8],
    case: Case,
    rank: Option<u32>,
    toggle: bool,
    n1: usize,
    n2: usize,
) {
    if toggle {
        block.push(TOGGLE);
    }
    match case {
        Case::AsIs => {}
        Case::Capitalized => block.push(CAP),
        Case::Upper => block.push(UPPER),
    }
    match rank {
        Some(rank) if context.predicted() == Some(rank) => {
            glyphs[GlyphType::Delta as usize] += 1;
            block.push(DELTA);
            context.word(rank);
        }
        Some(rank) => {
            glyphs[GlyphType::Reference as usize] += 1;
            push_code(block, rank, n1, n2);
            context.word(rank);
        }
        None => {
            glyphs[GlyphType::Primitive as usize] += 1;
            block.extend_from_slice(folded);
            context.other();
        }
    }
}

#[inline]
fn push_code(out: &mut Vec<u8>, rank: u32, n1: usize, n2: usize) {
    let rank = rank as usize;
    if rank < n1 {
        out.push(FIRST_CODE + rank as u8);
    } else if rank < n1 + 128 * n2 {
        let q = rank - n1;
        out.extend_from_slice(&[
            FIRST_CODE + (n1 + q / 128) as u8,
            FIRST_CODE + (q % 128) as u8,
        ]);
    } else {
        let q = rank - n1 - 128 * n2;
        out.extend_from_slice(&[
            FIRST_CODE + (n1 + n2 + q / 16384) as u8,
            FIRST_CODE + (q / 128 % 128) as u8,
            FIRST_CODE + (q % 128) as u8,
        ]);
    }
}

/// What is wrong with a transformed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformError {
    /// The bank section does not hold the declared number of non-empty entries.
    BadBank,
    /// A code names a bank entry that does not exist, or is cut short.
    BadCode,
    /// A flag is not followed by a word, or a reserved control byte appears.
    BadFlag,
    /// The stream decodes to more bytes than the frame declares.
    TooLong,
    /// The bank starts with a codebook the stream has not named.
    NoCodebook,
    /// The bank takes its codebook's entries in key order, but the codebook has no keys.
    NoKeys,
    /// The soft line breaks' code ends before the last separator it codes.
    BreaksTruncated,
    /// The split of the glyph stream in two parts lies past its end or past the frame's
    /// text, or the first part's text is not as long as the split says.
    BadSplit,
}

/// The Σ-bank of a frame, as parsed from its block.
pub struct Bank<'a> {
    /// The codebook whose entries come first, if any (not copied: it may be large, and a
    /// frame small).
    codebook: Option<&'a Codebook>,
    /// The codebook rank of each of its entries in the bank, if they come in key order
    /// ([`codebook_order`]) rather than the codebook's.
    codebook_order: Option<Vec<u32>>,
    /// The bank section's entries.
    entries: Vec<&'a [u8]>,
    words: Vec<bool>,
}

impl<'a> Bank<'a> {
    /// Parses the bank section (`entries` entries, each followed by [`WORD_END`] or
    /// [`SYMBOL_END`]); the bank starts with the `codebook`'s entries if one is given.
    pub fn parse(
        section: &'a [u8],
        entries: u64,
        codebook: Option<&'a Codebook>,
    ) -> Result<Self, TransformError> {
        // Every entry takes at least two bytes, so a count beyond that is a lie, not an allocation.
        if entries > section.len() as u64 / 2 {
            return Err(TransformError::BadBank);
        }
        let mut list = Vec::with_capacity(entries as usize);
        let mut words = Vec::with_capacity(entries as usize);
        let mut rest = section;
        while !rest.is_empty() {
            let end = rest
                .iter()
                .position(|&b| b == WORD_END || b == SYMBOL_END)
                .ok_or(TransformError::BadBank)?;
            if end == 0 {
                return Err(TransformError::BadBank);
            }
            list.push(&rest[..end]);
            words.push(rest[end] == WORD_END);
            rest = &rest[end + 1..];
        }
        if list.len() as u64 != entries {
            return Err(TransformError::BadBank);
        }
        Ok(Bank {
            codebook,
            codebook_order: None,
            entries: list,
            words,
        })
    }

    /// Splits a transformed block into its Σ-bank (over `codebook` if `params` say so) and
    /// its glyph stream.
    pub fn of_block(
        params: &Params,
        block: &'a [u8],
        codebook: Option<&'a Codebook>,
    ) -> Result<(Self, &'a [u8]), TransformError> {
        let bank_bytes = usize::try_from(params.bank_bytes).map_err(|_| TransformError::BadBank)?;
        if bank_bytes > block.len() {
            return Err(TransformError::BadBank);
        }
        let (section, stream) = block.split_at(bank_bytes);
        let prior = match (params.codebook, codebook) {
            (false, _) => None,
            (true, Some(book)) => Some(book),
            (true, None) => return Err(TransformError::NoCodebook),
        };
        let mut bank = Bank::parse(section, params.bank_entries, prior)?;
        if params.codebook_by_keys {
            let by_key = prior
                .and_then(Codebook::ranks_by_key)
                .ok_or(TransformError::NoKeys)?;
            let (n1, n2) = (params.one_byte_codes, params.two_byte_prefixes);
            bank.codebook_order = Some(order_in_tiers(by_key, n1.into(), n2.into()));
        }
        Ok((bank, stream))
    }

    /// Number of entries, the codebook's included.
    pub fn len(&self) -> usize {
        self.prior_len() + self.entries.len()
    }

    /// Whether the bank has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prior_len(&self) -> usize {
        self.codebook.map_or(0, Codebook::len)
    }

    /// Entry `rank`'s text and whether it is a word (rather than a symbol).
    #[inline(always)]
    pub fn entry(&self, rank: usize) -> Option<(&'a [u8], bool)> {
        match (self.codebook, rank.checked_sub(self.prior_len())) {
            (Some(book), None) => Some(book.entry(match &self.codebook_order {
                Some(order) => order[rank] as usize,
                None => rank,
            })),
            (_, own) => {
                let own = own.unwrap_or(rank);
                Some((*self.entries.get(own)?, self.words[own]))
            }
        }
    }
}

/// Iterator over the glyphs of a transformed stream.
pub struct GlyphReader<'a, 'b> {
    bank: &'b Bank<'a>,
    stream: &'a [u8],
    pos: usize,
    n1: usize,
    n2: usize,
    context: Successors,
}

/// What DELTA glyphs predict: for each banked word, the banked word that last followed it
/// (with only whitespace between). Encoder and decoder update it identically. An encoder
/// without DELTA glyphs keeps an empty table, which never predicts.
struct Successors {
    next: Vec<u32>,
    previous: Option<u32>,
}

impl Successors {
    fn new(bank_len: usize) -> Self {
        Successors {
            next: vec![0; bank_len],
            previous: None,
        }
    }

    /// The word DELTA stands for now.
    #[inline]
    fn predicted(&self) -> Option<u32> {
        let p = self.previous?;
        self.next.get(p as usize)?.checked_sub(1)
    }

    /// Records a banked word.
    #[inline]
    fn word(&mut self, rank: u32) {
        if let Some(slot) = self.previous.and_then(|p| self.next.get_mut(p as usize)) {
            *slot = rank + 1;
        }
        self.previous = Some(rank);
    }

    /// Records anything else that is not whitespace.
    #[inline]
    fn other(&mut self) {
        self.previous = None;
    }
}

impl<'a, 'b> GlyphReader<'a, 'b> {
    /// Reads glyphs from `stream` whose codes refer to `bank`.
    pub fn new(bank: &'b Bank<'a>, stream: &'a [u8], params: &Params) -> Self {
        GlyphReader {
            bank,
            stream,
            pos: 0,
            n1: params.one_byte_codes as usize,
            n2: params.two_byte_prefixes as usize,
            context: Successors::new(bank.len()),
        }
    }

    /// Offset in the stream of the next glyph to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn code_byte(&self, at: usize) -> Result<usize, TransformError> {
        match self.stream.get(at) {
            Some(&b) if b >= FIRST_CODE => Ok(usize::from(b - FIRST_CODE)),
            _ => Err(TransformError::BadCode),
        }
    }

    fn run(&self, start: usize, pred: impl Fn(u8) -> bool) -> usize {
        let mut end = start + 1;
        while end < self.stream.len() && pred(self.stream[end]) {
            end += 1;
        }
        end
    }

    #[inline(always)]
    fn read(&mut self) -> Result<Option<Glyph<'a>>, TransformError> {
        let mut case = Case::AsIs;
        let mut toggled = false;
        let mut flagged = false;
        loop {
            let Some(&b) = self.stream.get(self.pos) else {
                return if flagged {
                    Err(TransformError::BadFlag)
                } else {
                    Ok(None)
                };
            };
            let start = self.pos;
            let primitive = |p: Primitive, end: usize| Glyph {
                kind: GlyphType::Primitive,
                primitive: p,
                bank_index: None,
                case,
                is_word: false,
                space_toggled: toggled,
                text: &self.stream[start..end],
            };
            let glyph = match b {
                TOGGLE => {
                    toggled = true;
                    flagged = true;
                    self.pos += 1;
                    continue;
                }
                CAP | UPPER => {
                    case = if b == CAP {
                        Case::Capitalized
                    } else {
                        Case::Upper
                    };
                    flagged = true;
                    self.pos += 1;
                    continue;
                }
                ESC => {
                    if start + 1 >= self.stream.len() {
                        return Err(TransformError::BadFlag);
                    }
                    self.pos = start + 2;
                    Glyph {
                        text: &self.stream[start + 1..start + 2],
                        ..primitive(Primitive::BUFFER, start)
                    }
                }
                DELTA => {
                    let rank = self.context.predicted().ok_or(TransformError::BadCode)?;
                    let (text, _) = self
                        .bank
                        .entry(rank as usize)
                        .ok_or(TransformError::BadCode)?;
                    self.pos = start + 1;
                    Glyph {
                        kind: GlyphType::Delta,
                        primitive: Primitive::STRING,
                        bank_index: Some(rank),
                        is_word: true,
                        text,
                        ..primitive(Primitive::STRING, start)
                    }
                }
                0x06..=LAST_FLAG => return Err(TransformError::BadFlag),
                FIRST_CODE.. => {
                    let lead = usize::from(b - FIRST_CODE);
                    let (rank, len) = if lead < self.n1 {
                        (lead, 1)
                    } else if lead < self.n1 + self.n2 {
                        (
                            self.n1 + (lead - self.n1) * 128 + self.code_byte(start + 1)?,
                            2,
                        )
                    } else {
                        let q = (lead - self.n1 - self.n2) * 16384
                            + self.code_byte(start + 1)? * 128
                            + self.code_byte(start + 2)?;
                        (self.n1 + 128 * self.n2 + q, 3)
                    };
                    let (text, is_word) = self.bank.entry(rank).ok_or(TransformError::BadCode)?;
                    self.pos = start + len;
                    Glyph {
                        kind: GlyphType::Reference,
                        primitive: if is_word {
                            Primitive::STRING
                        } else {
                            Primitive::LITERAL
                        },
                        bank_index: Some(rank as u32),
                        is_word,
                        text,
                        ..primitive(Primitive::STRING, start)
                    }
                }
                _ if is_ascii_letter(b) => {
                    self.pos = self.run(start, is_ascii_letter);
                    Glyph {
                        is_word: true,
                        ..primitive(Primitive::STRING, self.pos)
                    }
                }
                b'0'..=b'9' => {
                    self.pos = self.run(start, |c| c.is_ascii_digit());
                    primitive(Primitive::NUMBER, self.pos)
                }
                _ if is_whitespace(b) => {
                    self.pos = self.run(start, is_whitespace);
                    primitive(Primitive::BOUNDARY, self.pos)
                }
                0x21..=0x7e => {
                    self.pos += 1;
                    primitive(Primitive::OPERATOR, self.pos)
                }
                _ => {
                    self.pos += 1;
                    primitive(Primitive::BUFFER, self.pos)
                }
            };
            if flagged && !glyph.is_word {
                return Err(TransformError::BadFlag);
            }
            match (glyph.is_word, glyph.bank_index) {
                (true, Some(rank)) => self.context.word(rank),
                _ if glyph.primitive == Primitive::BOUNDARY => {}
                _ => self.context.other(),
            }
            return Ok(Some(glyph));
        }
    }
}

impl<'a> Iterator for GlyphReader<'a, '_> {
    type Item = Result<Glyph<'a>, TransformError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        self.read().transpose()
    }
}

/// Renders glyphs to text, applying the implicit-space rule and the soft line breaks.
pub struct Renderer<'p> {
    implied_space: &'p [bool; 256],
    last: u8,
    breaks: Option<BreakDecoder<'p>>,
    /// What a soft line break puts before a word: LF or CR LF.
    line_end: &'static [u8],
    /// Bytes rendered since the last newline (kept only with soft line breaks).
    column: usize,
}

impl<'p> Renderer<'p> {
    /// A renderer at the start of a frame, or of a part of its glyph stream whose separators
    /// are coded in `breaks_code` (see [`Params::stream_parts`]).
    pub fn new(params: &'p Params, breaks_code: &'p [u8]) -> Self {
        Renderer {
            implied_space: &params.implied_space,
            last: FRAME_START,
            breaks: (params.line_breaks.as_ref())
                .map(|breaks| BreakDecoder::new(breaks.min_end, breaks_code)),
            line_end: line_end(params.line_breaks.as_ref().is_some_and(|b| b.crlf)),
            column: 0,
        }
    }

    /// Appends `glyph`'s text to `out`.
    #[inline]
    pub fn render(&mut self, glyph: &Glyph<'_>, out: &mut Vec<u8>) {
        let space =
            glyph.is_word && (self.implied_space[self.last as usize] != glyph.space_toggled);
        let start = out.len();
        match &mut self.breaks {
            None => glyph.render(space.then_some(b" "), out),
            Some(breaks) => {
                let end = self.column + 1 + glyph.text.len();
                let separator = match space && breaks.newline(end, glyph.text.len()) {
                    true => self.line_end,
                    false => b" ",
                };
                glyph.render(space.then_some(separator), out);
                // The column counts from the last LF, the separator's or the glyph's own.
                let text = &out[start + usize::from(space) * separator.len()..];
                self.column = match text.iter().rposition(|&b| b == b'\n') {
                    Some(at) => {
                        breaks.hard_newline();
                        text.len() - at - 1
                    }
                    None if separator != b" " => text.len(),
                    None => self.column + out.len() - start,
                };
            }
        }
        if let Some(&b) = out.last() {
            self.last = b;
        }
    }

    /// Checks, once every glyph is rendered, that the soft line breaks' code held every
    /// separator read from it.
    pub fn finish(&self) -> Result<(), TransformError> {
        match &self.breaks {
            Some(breaks) if breaks.overran() => Err(TransformError::BreaksTruncated),
            _ => Ok(()),
        }
    }
}

/// One of the parts a frame's glyph stream is rendered in, each from the frame's start state.
pub struct StreamPart<'a> {
    /// Its glyph stream.
    pub glyphs: &'a [u8],
    /// The code of its soft line breaks (empty without them).
    pub breaks_code: &'a [u8],
    /// The length of its text, where the payload gives it (the first of two parts).
    pub text_len: Option<usize>,
}

impl Params {
    /// The parts `stream`, the glyph stream of a frame of at most `max_len` bytes, is
    /// rendered in: one, or two where [`Params::split`] says.
    pub fn stream_parts<'a>(
        &'a self,
        stream: &'a [u8],
        max_len: usize,
    ) -> Result<Vec<StreamPart<'a>>, TransformError> {
        let breaks_code = self.line_breaks.as_ref().map_or(&[][..], |b| &b.code);
        let Some(split) = &self.split else {
            return Ok(vec![StreamPart {
                glyphs: stream,
                breaks_code,
                text_len: None,
            }]);
        };
        let at = |offset: u64, len: usize| {
            usize::try_from(offset)
                .ok()
                .filter(|&offset| offset <= len)
                .ok_or(TransformError::BadSplit)
        };
        let (first, second) = stream.split_at(at(split.glyphs_before, stream.len())?);
        Ok(vec![
            StreamPart {
                glyphs: first,
                breaks_code,
                text_len: Some(at(split.text_before, max_len)?),
            },
            StreamPart {
                glyphs: second,
                breaks_code: &split.breaks_code,
                text_len: None,
            },
        ])
    }
}

impl StreamPart<'_> {
    /// Appends the part's text to `out`: at most `max_len` bytes, and exactly its length if
    /// the payload gives it.
    pub fn render(
        &self,
        bank: &Bank<'_>,
        params: &Params,
        max_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        let (start, limit) = (out.len(), self.text_len.unwrap_or(max_len).min(max_len));
        let too_long = match self.text_len {
            Some(_) => TransformError::BadSplit,
            None => TransformError::TooLong,
        };
        let mut renderer = Renderer::new(params, self.breaks_code);
        for glyph in GlyphReader::new(bank, self.glyphs, params) {
            renderer.render(&glyph?, out);
            if out.len() - start > limit {
                return Err(too_long);
            }
        }
        renderer.finish()?;
        match self.text_len {
            Some(len) if out.len() - start != len => Err(TransformError::BadSplit),
            _ => Ok(()),
        }
    }
}

/// Inverts [`encode`]: appends the frame's text to `out`, failing if it would exceed `max_len`
/// bytes. A glyph stream in two parts is rendered side by side if `parts` allows two.
///
/// `codebook` is the stream's; it must be given if `params` say the bank starts with it.
/// Given the block itself rather than a reference, it frees it before the second part's text
/// joins the first: the decoder's peak was that moment, with the whole text, the second
/// part's own buffer and the glyph stream resident at once (decoding `text-100m.txt` at the
/// default level peaked at 107 MiB there, the inverse BWT at 95).
pub fn decode(
    params: &Params,
    block: impl AsRef<[u8]>,
    max_len: usize,
    codebook: Option<&Codebook>,
    out: &mut Vec<u8>,
    parts: (usize, impl FnOnce(usize, &Part<'_>)),
) -> Result<(), TransformError> {
    let tail = render_stream(params, block.as_ref(), max_len, codebook, out, parts)?;
    drop(block);
    out.extend_from_slice(&tail);
    Ok(())
}

/// Renders the glyph stream of `block` as [`decode`] does; the text of a second part rendered
/// side by side with the first is returned, not appended (empty otherwise).
fn render_stream(
    params: &Params,
    block: &[u8],
    max_len: usize,
    codebook: Option<&Codebook>,
    out: &mut Vec<u8>,
    (parts, run_parts): (usize, impl FnOnce(usize, &Part<'_>)),
) -> Result<Vec<u8>, TransformError> {
    let (bank, stream) = Bank::of_block(params, block, codebook)?;
    let stream_parts = params.stream_parts(stream, max_len)?;
    // The decoded size is known (and bounded by the payload's size), so the output is
    // allocated once: growing it by doubling would hold the old and the new buffer at once.
    out.reserve(max_len);
    let start = out.len();
    let [first, second] = match &stream_parts[..] {
        [first, second] if parts > 1 => [first, second],
        _ => {
            for part in &stream_parts {
                let rest = max_len - (out.len() - start);
                part.render(&bank, params, rest, out)?;
            }
            return Ok(Vec::new());
        }
    };
    // The second part's text goes to a buffer of its own, appended once both are rendered.
    let text_before = first
        .text_len
        .expect("the first of two parts has its length");
    let tail_len = max_len - text_before;
    let (out, tail) = (Mutex::new(out), Mutex::new(Vec::with_capacity(tail_len)));
    let rendered = [Mutex::new(Ok(())), Mutex::new(Ok(()))];
    run_parts(2, &|i| {
        let result = match i {
            0 => first.render(
                &bank,
                params,
                text_before,
                &mut out.lock().unwrap_or_else(PoisonError::into_inner),
            ),
            _ => second.render(
                &bank,
                params,
                tail_len,
                &mut tail.lock().unwrap_or_else(PoisonError::into_inner),
            ),
        };
        *rendered[i].lock().unwrap_or_else(PoisonError::into_inner) = result;
    });
    for result in rendered {
        result
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)?;
    }
    Ok(tail.into_inner().unwrap_or_else(PoisonError::into_inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::NO_KEY;
    use crate::IN_ONE_PART;

    /// A tally's fields, to compare.
    fn tally_fields(t: Tally) -> impl PartialEq + std::fmt::Debug {
        (t.keys, t.counts, t.occurrences.0, t.implied_space, t.crlf)
    }

    #[test]
    fn a_tally_in_parts_is_the_tally_of_the_whole() {
        let mut texts = vec![
            crate::test_support::wrapped_prose(3000, 60, 3, 1),
            b"Word word WORD\r\nword  x\ty \n\nZ \xc3\xa9t\xc3\xa9 9 a".repeat(40),
        ];
        // Many new words in the later parts: ids past one unit of the occurrence list.
        let made_up: Vec<u8> = (0..20_000u32)
            .flat_map(|i| made_up_word(i).into_bytes().into_iter().chain([b' ']))
            .collect();
        assert!(
            Tally::of(&made_up, None, IN_ONE_PART).keys.len() > Occurrences::SHORT_IDS as usize
        );
        texts.push(made_up);
        for text in texts {
            let whole = tally_fields(Tally::of(&text, None, IN_ONE_PART));
            let starts: Vec<usize> = (1..text.len())
                .filter(|&i| is_whitespace(text[i - 1]) && is_ascii_letter(text[i]))
                .collect();
            for parts in [2, 3, 7] {
                let mut cuts = vec![0];
                cuts.extend((1..parts).map(|k| starts[starts.len() * k / parts]));
                cuts.push(text.len());
                let in_parts = Tally::of_parts(&text, &cuts, crate::test_support::side_by_side);
                assert_eq!(tally_fields(in_parts), whole, "{parts} parts");
            }
        }
    }

    /// `text` with CR LF line ends.
    fn with_crlf(text: &[u8]) -> Vec<u8> {
        String::from_utf8_lossy(text)
            .replace('\n', "\r\n")
            .into_bytes()
    }

    /// `count` paragraphs of `words` words of wrapped prose each, a blank line between them.
    fn paragraphs(count: u64, words: usize) -> Vec<u8> {
        let paragraph = |seed| crate::test_support::wrapped_prose(words, 70, 3, seed);
        (0..count).map(paragraph).collect::<Vec<_>>().join(&b'\n')
    }

    #[test]
    fn a_text_splits_after_a_line_that_ends_in_a_glyph_or_nowhere() {
        let prose = paragraphs(300, 2000);
        let crlf = with_crlf(&prose);
        for text in [&prose, &crlf] {
            let at = split_point(text).expect("wrapped prose has paragraphs");
            assert!((text.len() / 2..text.len() / 2 + SPLIT_WINDOW).contains(&at));
            assert_eq!(text[at - 1], b'\n');
            assert!(Tokenizer::new(text).any(|(_, token)| token.start == at));
            // Not a word's separator: more than a line end alone before it.
            let run = text[..at].iter().rev().take_while(|&&b| is_whitespace(b));
            assert!(run.count() >= 2 + usize::from(text[at - 2] == b'\r'));
        }
        // A line end alone before a word may be a soft line break: no split there.
        let lines = b"word\n".repeat(SPLIT_MIN);
        assert_eq!(split_point(&lines), None);
        let crlf_lines = b"word\r\n".repeat(SPLIT_MIN);
        assert_eq!(split_point(&crlf_lines), None);
        // Before something other than a word, it may not.
        let numbers = b"12 word\n".repeat(SPLIT_MIN);
        let at = split_point(&numbers).expect("a line that starts with a number");
        assert_eq!(&numbers[at - 1..at + 1], b"\n1");
        let code = b"{\n}\n".repeat(SPLIT_MIN);
        assert!(matches!(code[split_point(&code).unwrap()], b'{' | b'}'));
        assert_eq!(
            split_point(b"no newline at all ".repeat(SPLIT_MIN).as_slice()),
            None
        );
    }

    #[test]
    fn a_tally_split_in_one_part_notes_where_the_second_starts() {
        let text = paragraphs(150, 2000);
        let at = split_point(&text).expect("a split");
        let one = Tally::of(&text, Some(at), IN_ONE_PART);
        let two = Tally::of(&text, Some(at), (2, crate::test_support::side_by_side));
        assert_eq!(one.part_units, two.part_units);
        let before = Tally::of(&text[..at], None, IN_ONE_PART);
        assert_eq!(one.part_units, vec![before.occurrences.0.len()]);
        assert_eq!(tally_fields(one), tally_fields(two));
    }

    /// `text` transformed with bank threshold 2, no codebook and no soft line breaks.
    fn without_codebook(text: &[u8], deltas: bool, order: TierOrder) -> Transformed {
        encode(
            text,
            &Shape {
                deltas,
                ..Shape::new(2, order)
            },
            IN_ONE_PART,
        )
        .unwrap()
    }

    /// `text` transformed with bank threshold 2, no codebook, soft line breaks from column 40.
    fn with_soft_breaks(text: &[u8]) -> Transformed {
        let shape = Shape {
            line_breaks: Some(40),
            ..Shape::new(2, TierOrder::ByPredecessor)
        };
        encode(text, &shape, IN_ONE_PART).unwrap()
    }

    #[test]
    fn occurrences_keep_every_id_and_case() {
        let cases = [Case::AsIs, Case::Capitalized, Case::Upper];
        let ids = [0, 1, (1 << 14) - 1, 1 << 14, 65_535, 65_536, (1 << 30) - 1];
        let listed: Vec<(u32, Case)> = (ids.iter())
            .flat_map(|&id| cases.iter().map(move |&case| (id, case)))
            .collect();
        let mut occurrences = Occurrences::default();
        for &(id, case) in &listed {
            occurrences.push(id, case);
        }
        assert_eq!(occurrences.iter().collect::<Vec<_>>(), listed);
        // One unit for each small id, three for each large one.
        assert_eq!(occurrences.0.len(), 3 * (3 + 3 * 4));
    }

    fn round_trip(text: &[u8]) -> Option<usize> {
        let t = encode(text, &Shape::new(2, TierOrder::ByPredecessor), IN_ONE_PART).ok()?;
        let d = encode(
            text,
            &Shape {
                deltas: true,
                ..Shape::new(2, TierOrder::Alphabetical)
            },
            IN_ONE_PART,
        )
        .ok()?;
        let mut back = Vec::new();
        decode(
            &d.params,
            &d.block,
            text.len(),
            None,
            &mut back,
            IN_ONE_PART,
        )
        .unwrap();
        assert_eq!(back, text, "with DELTA glyphs and sorted tiers");
        let mut out = Vec::new();
        decode(&t.params, &t.block, text.len(), None, &mut out, IN_ONE_PART).unwrap();
        assert_eq!(out, text, "{:?}", String::from_utf8_lossy(text));
        Some(t.block.len())
    }

    #[test]
    fn round_trips_prose_and_shrinks_it() {
        let text = "The cat sat on the mat. THE CAT, the Cat!\n  The  end of the cat tale; the cat naïve naïve — “ok” don’t.\r\n".repeat(20);
        let len = round_trip(text.as_bytes()).expect("prose shrinks");
        assert!(len < text.len() * 6 / 10, "{len} vs {}", text.len());
    }

    #[test]
    fn round_trips_awkward_inputs() {
        let cases: Vec<Vec<u8>> = vec![
            b" the the the the the the the the the the the the the the the".to_vec(),
            b"x".repeat(100),
            b"\x01\x02\x03\x04\x05\x80\xff the the the the the the the the".to_vec(),
            "ÀB ÀB ÀB ÀB ÀB ÀB I I I I McDonald McDonald McDonald McDonald".into(),
            b"word\n word\n\nword  word\tword word word word word word".to_vec(),
        ];
        for case in cases {
            round_trip(&case);
        }
    }

    #[test]
    fn a_text_in_two_parts_codes_alike_and_decodes_alone_and_side_by_side() {
        let prose = paragraphs(60, 300);
        let crlf = with_crlf(&prose);
        let mixed =
            b"\x01\x80 The the THE\n\n12 x\n{\n\tcode();\n}\n\xc3\xa9t\xc3\xa9 \xe2\x80\x94\n"
                .repeat(300);
        for text in [prose, crlf, mixed] {
            for line_breaks in [None, Some(40)] {
                let shape = Shape {
                    line_breaks,
                    split_min: 0,
                    ..Shape::new(2, TierOrder::ByPredecessor)
                };
                let one = encode(&text, &shape, IN_ONE_PART).unwrap();
                let two = encode(&text, &shape, (2, crate::test_support::side_by_side)).unwrap();
                assert_eq!(
                    (&one.params, &one.block, one.glyphs),
                    (&two.params, &two.block, two.glyphs)
                );
                let split = one.params.split.as_ref().expect("a split");
                assert_eq!(
                    split.breaks_code.is_empty(),
                    one.params.line_breaks.is_none()
                );
                let (_, stream) = Bank::of_block(&one.params, &one.block, None).unwrap();
                let parts = one.params.stream_parts(stream, text.len()).unwrap();
                assert_eq!(parts[0].text_len, Some(split_point(&text).unwrap()));
                let mut alone = Vec::new();
                decode(
                    &one.params,
                    &one.block,
                    text.len(),
                    None,
                    &mut alone,
                    IN_ONE_PART,
                )
                .unwrap();
                assert!(alone == text);
                let mut beside = b"before".to_vec();
                let parts = (2, crate::test_support::side_by_side);
                decode(
                    &one.params,
                    &one.block,
                    text.len(),
                    None,
                    &mut beside,
                    parts,
                )
                .unwrap();
                assert!(beside[6..] == text);
            }
        }
    }

    #[test]
    fn a_split_that_does_not_fit_its_stream_is_refused_alone_and_side_by_side() {
        let text = paragraphs(20, 300);
        let shape = Shape {
            line_breaks: Some(40),
            split_min: 0,
            ..Shape::new(2, TierOrder::ByPredecessor)
        };
        let t = encode(&text, &shape, IN_ONE_PART).unwrap();
        let split = t.params.split.clone().unwrap();
        let stream_len = t.block.len() as u64 - t.params.bank_bytes;
        let wrong = [
            (stream_len + 1, split.text_before),
            (split.glyphs_before, text.len() as u64 + 1),
            (split.glyphs_before, split.text_before + 1),
            (split.glyphs_before, split.text_before - 1),
            (split.glyphs_before - 1, split.text_before),
        ];
        for (glyphs_before, text_before) in wrong {
            let params = Params {
                split: Some(Split {
                    glyphs_before,
                    text_before,
                    ..split.clone()
                }),
                ..t.params.clone()
            };
            let mut out = Vec::new();
            let alone = decode(&params, &t.block, text.len(), None, &mut out, IN_ONE_PART);
            let parts = (2, crate::test_support::side_by_side);
            let beside = decode(&params, &t.block, text.len(), None, &mut out, parts);
            assert_eq!(alone, beside, "{glyphs_before} {text_before}");
            assert!(alone.is_err(), "{glyphs_before} {text_before}");
        }
    }

    #[test]
    fn round_trips_more_distinct_words_than_one_unit_of_the_occurrence_list_holds() {
        // 40,000 made-up words (ids up to about 2.4 times SHORT_IDS) in all three cases, each
        // four times, a pass over all of them at a time, so that every sighting of the late
        // ids is escaped in the list.
        let word = |i: u32| {
            let letters: String = (0..7)
                .map(|k| char::from(b'a' + (i / 26u32.pow(k) % 26) as u8))
                .collect();
            match i % 3 {
                0 => letters,
                1 => letters[..1].to_uppercase() + &letters[1..],
                _ => letters.to_uppercase(),
            }
        };
        let mut text = String::new();
        for _ in 0..4 {
            for i in 0..40_000 {
                text.push_str(&word(i));
                text.push_str(if i % 12 == 11 { ".\n" } else { " " });
            }
        }
        let t = encode(
            text.as_bytes(),
            &Shape::new(2, TierOrder::ByPredecessor),
            IN_ONE_PART,
        )
        .expect("repeated words shrink");
        assert!(t.params.bank_entries > u64::from(Occurrences::SHORT_IDS));
        round_trip(text.as_bytes()).expect("repeated words shrink");
    }

    #[test]
    fn predicted_words_become_delta_glyphs() {
        let text = "of the house, of the garden; of the sea and of the sky ".repeat(30);
        let t = without_codebook(text.as_bytes(), true, TierOrder::ByPredecessor);
        assert!(t.glyphs[GlyphType::Delta as usize] > 60, "{:?}", t.glyphs);
        let plain = without_codebook(text.as_bytes(), false, TierOrder::ByPredecessor);
        assert_eq!(plain.glyphs[GlyphType::Delta as usize], 0);
    }

    #[test]
    fn frequent_words_get_short_codes() {
        // (Alphabetical order leaves the one-byte tier in order of frequency.)
        let text = "alpha beta alpha gamma alpha beta delta ".repeat(50);
        let t = without_codebook(text.as_bytes(), false, TierOrder::Alphabetical);
        let bank = Bank::parse(
            &t.block[..t.params.bank_bytes as usize],
            t.params.bank_entries,
            None,
        )
        .unwrap();
        assert_eq!(bank.entry(0), Some((&b"alpha"[..], true)));
        assert!(t.params.one_byte_codes >= 4);
    }

    #[test]
    fn sorted_tiers_keep_code_lengths_and_sort_the_longer_codes() {
        // 600 made-up words, word i occurring 2 + i % 5 times: a bank with one- and two-byte
        // codes.
        let mut text = String::new();
        for i in 0..600u32 {
            for _ in 0..2 + i % 5 {
                text.push_str(&made_up_word(i));
                text.push(' ');
            }
        }
        let by_predecessor = without_codebook(text.as_bytes(), false, TierOrder::ByPredecessor);
        let sorted = without_codebook(text.as_bytes(), false, TierOrder::Alphabetical);
        let n1 = usize::from(sorted.params.one_byte_codes);
        assert_eq!(by_predecessor.params, sorted.params);
        assert_eq!(by_predecessor.block.len(), sorted.block.len());
        let (a, b) = (bank_of(&by_predecessor), bank_of(&sorted));
        assert!(a.len() > n1 + 128 && a[n1..].windows(2).any(|w| w[0] > w[1]));
        let tier = |bank: &[Vec<u8>], range: std::ops::Range<usize>| {
            let mut entries = bank[range].to_vec();
            entries.sort();
            entries
        };
        assert_eq!(tier(&a, 0..n1), tier(&b, 0..n1));
        assert_eq!(tier(&a, n1..a.len()), tier(&b, n1..b.len()));
        assert!(b[n1..].windows(2).all(|w| w[0] < w[1]));
        for t in [by_predecessor, sorted] {
            assert_eq!(decoded(&t, text.len()), text.as_bytes());
        }
    }

    #[test]
    fn entries_that_follow_the_same_word_get_codes_side_by_side() {
        // 400 made-up words, the even ones always after "the", the odd ones after "to", word i
        // occurring 2 + i % 7 times: in order of frequency the two kinds alternate.
        let count = |i: u32| 2 + i % 7;
        let mut text = String::new();
        for round in 0..9 {
            for i in (0..400u32).filter(|&i| round < count(i)) {
                let before = if i % 2 == 0 { "the" } else { "to" };
                text.push_str(&format!("{before} {} ", made_up_word(i)));
            }
        }
        let t = without_codebook(text.as_bytes(), false, TierOrder::ByPredecessor);
        let frequency = without_codebook(text.as_bytes(), false, TierOrder::Alphabetical);
        assert_eq!(t.block.len(), frequency.block.len());
        let bank = bank_of(&t);
        let word_index = |entry: &[u8]| (0..400u32).find(|&i| made_up_word(i).as_bytes() == entry);
        let n1 = usize::from(t.params.one_byte_codes);
        assert!(n1 > 2 && bank.len() > n1 + 128, "{n1} {}", bank.len());
        for tier in [&bank[..n1], &bank[n1..]] {
            let words: Vec<u32> = tier.iter().filter_map(|entry| word_index(entry)).collect();
            assert!(words.len() + 2 >= tier.len());
            // One run of each kind, each in order of frequency.
            let kinds = words.windows(2).filter(|w| w[0] % 2 != w[1] % 2).count();
            assert_eq!(kinds, 1, "{words:?}");
            for run in words.chunk_by(|a, b| a % 2 == b % 2) {
                assert!(
                    run.windows(2).all(|w| count(w[0]) >= count(w[1])),
                    "{run:?}"
                );
            }
        }
        assert_eq!(decoded(&t, text.len()), text.as_bytes());
    }

    #[test]
    fn codebook_order_sorts_each_code_length_by_key_and_keeps_ties_in_order() {
        let keys = [5, 1, 5, 0, NO_KEY, 2, 1, 1, 0, NO_KEY, 3];
        // One-byte codes for ranks 0-2, two-byte for 3-130 (here 3-10).
        assert_eq!(
            codebook_order(&keys, 3, 1),
            [1, 0, 2, 3, 8, 6, 7, 5, 10, 4, 9]
        );
        // No one-byte codes; ranks 0-127 two-byte: one tier.
        assert_eq!(
            codebook_order(&keys, 0, 1),
            [3, 8, 1, 6, 7, 5, 10, 0, 2, 4, 9]
        );
        // Three tiers, the last from rank 2 + 128 * 0 = 2.
        assert_eq!(
            codebook_order(&keys, 2, 0),
            [1, 0, 3, 8, 6, 7, 5, 10, 2, 4, 9]
        );
    }

    #[test]
    fn over_a_codebook_with_keys_its_entries_come_in_their_order() {
        let english = Codebook::english();
        // The same entries without keys, as read from a file.
        let keyless = Codebook::from_bytes(&english.to_bytes()).unwrap();
        assert_eq!(keyless, *english);
        assert_eq!(keyless.keys(), None);
        let text = "The river ran past the old mill, and the miller watched the river from \
                    the window of the house by the bridge. "
            .repeat(20);
        for order in [TierOrder::ByPredecessor, TierOrder::Alphabetical] {
            let over = |book| {
                encode(
                    text.as_bytes(),
                    &Shape {
                        prior: prior(book, 0.0),
                        ..Shape::new(2, order)
                    },
                    IN_ONE_PART,
                )
                .unwrap()
            };
            let (by_keys, in_its_order) = (over(&english), over(&keyless));
            assert!(by_keys.params.codebook_by_keys && !in_its_order.params.codebook_by_keys);
            assert_ne!(by_keys.block, in_its_order.block);
            for (t, book) in [(&by_keys, &*english), (&in_its_order, &keyless)] {
                let mut back = Vec::new();
                decode(
                    &t.params,
                    &t.block,
                    text.len(),
                    Some(book),
                    &mut back,
                    IN_ONE_PART,
                )
                .unwrap();
                assert_eq!(back, text.as_bytes());
            }
            // A codebook without keys cannot be taken in their order.
            assert_eq!(
                decode(
                    &by_keys.params,
                    &by_keys.block,
                    text.len(),
                    Some(&keyless),
                    &mut Vec::new(),
                    IN_ONE_PART
                ),
                Err(TransformError::NoKeys)
            );
        }
    }

    fn made_up_word(i: u32) -> String {
        format!("{:x}", i * 2_654_435_761 % 99_991)
            .chars()
            .map(|c| (b'g' + c.to_digit(16).unwrap() as u8) as char)
            .collect()
    }

    fn bank_of(t: &Transformed) -> Vec<Vec<u8>> {
        let bank = Bank::parse(
            &t.block[..t.params.bank_bytes as usize],
            t.params.bank_entries,
            None,
        )
        .unwrap();
        (0..bank.len())
            .map(|r| bank.entry(r).unwrap().0.to_vec())
            .collect()
    }

    fn newlines(block: &[u8]) -> usize {
        block.iter().filter(|&&b| b == b'\n').count()
    }

    fn decoded(t: &Transformed, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        decode(&t.params, &t.block, len, None, &mut out, IN_ONE_PART).unwrap();
        out
    }

    #[test]
    fn the_newlines_of_wrapped_prose_become_soft_line_breaks() {
        let text = crate::test_support::wrapped_prose(20_000, 72, 0, 7);
        let order = TierOrder::ByPredecessor;
        let soft = with_soft_breaks(&text);
        let hard = without_codebook(&text, false, order);
        let breaks = soft
            .params
            .line_breaks
            .as_ref()
            .expect("soft line breaks kept");
        assert_eq!(breaks.min_end, 40);
        // Every line but the last ends where the next word would pass column 72: no newline
        // is left in the glyph stream but the final one, and the code is a fraction of a bit
        // a line.
        let lines = newlines(&text);
        assert_eq!(newlines(&soft.block), 1);
        assert_eq!(newlines(&hard.block), lines);
        assert!(
            breaks.code.len() * 8 < lines / 4,
            "{} bytes",
            breaks.code.len()
        );
        assert_eq!(soft.block.len(), hard.block.len() - (lines - 1));
        assert_eq!(decoded(&soft, text.len()), text);
        assert_eq!(hard.params.line_breaks, None);
    }

    #[test]
    fn crlf_lines_take_crlf_soft_line_breaks_and_lone_lfs_stay_glyphs() {
        let lf = crate::test_support::wrapped_prose(20_000, 72, 0, 7);
        let mut text = Vec::new();
        for &b in &lf {
            if b == b'\n' {
                text.push(b'\r');
            }
            text.push(b);
        }
        // A few lone LFs between words, which the frame's CR LF breaks cannot stand for.
        text.extend_from_slice(
            b"one two three four five six seven eight nine ten eleven\ntwelve\n",
        );
        let soft = with_soft_breaks(&text);
        let breaks = soft
            .params
            .line_breaks
            .as_ref()
            .expect("soft line breaks kept");
        assert!(breaks.crlf);
        // Every CR LF before a word became a separator (the wrapped text's last line is long
        // enough for the one after it too): only the two lone LFs are left.
        assert_eq!(newlines(&soft.block), 2);
        assert_eq!(decoded(&soft, text.len()), text);
        let lf_soft = with_soft_breaks(&lf);
        assert!(!lf_soft.params.line_breaks.unwrap().crlf);
    }

    #[test]
    fn a_newline_before_a_word_that_ends_short_of_the_break_column_stays_a_glyph() {
        let mut text = b"A short line\nand then".to_vec();
        text.extend_from_slice(&crate::test_support::wrapped_prose(5000, 72, 0, 8));
        let soft = with_soft_breaks(&text);
        assert!(soft.params.line_breaks.is_some());
        assert_eq!(newlines(&soft.block), 2);
        assert_eq!(decoded(&soft, text.len()), text);
    }

    #[test]
    fn wrapped_text_with_awkward_tokens_round_trips_at_any_break_column() {
        const AWKWARD: [&[u8]; 8] = [
            b"\r\n",
            b"\n\n",
            b"\tx",
            b"\n",
            b"NAIVE na\xc3\xafve",
            b"zz\nqq",
            b"Word\nword",
            b"\x01\n",
        ];
        let mut kept = 0;
        for seed in 0..6u64 {
            let prose = crate::test_support::wrapped_prose(3000, 30 + 12 * seed as usize, 0, seed);
            let picks = crate::test_support::noise(prose.len(), seed + 100);
            let mut text = Vec::new();
            for (&b, &pick) in prose.iter().zip(&picks) {
                text.push(b);
                if b == b'\n' && pick % 5 == 0 {
                    text.extend_from_slice(AWKWARD[usize::from(pick / 5) % AWKWARD.len()]);
                }
            }
            for min_end in [0, 20, 40, 255] {
                let t = encode(
                    &text,
                    &Shape {
                        line_breaks: Some(min_end),
                        ..Shape::new(2, TierOrder::ByPredecessor)
                    },
                    IN_ONE_PART,
                )
                .unwrap();
                assert_eq!(
                    decoded(&t, text.len()),
                    text,
                    "seed {seed}, column {min_end}"
                );
                kept += usize::from(t.params.line_breaks.is_some());
            }
        }
        assert!(kept >= 12, "{kept} of 24 kept their soft line breaks");
    }

    #[test]
    fn newlines_the_column_does_not_predict_stay_glyphs() {
        // Lines broken after one word in 40, wherever it ends: more than four bits a newline.
        let text = crate::test_support::wrapped_prose(20_000, 0, 40, 9);
        let order = TierOrder::ByPredecessor;
        let soft = with_soft_breaks(&text);
        let hard = without_codebook(&text, false, order);
        assert_eq!(soft.params, hard.params);
        assert_eq!(soft.block, hard.block);
    }

    #[test]
    fn rejects_corrupt_streams() {
        let params = Params {
            implied_space: [false; 256],
            one_byte_codes: 1,
            two_byte_prefixes: 1,
            codebook: false,
            codebook_by_keys: false,
            bank_entries: 1,
            bank_bytes: 2,
            line_breaks: None,
            split: None,
        };
        let mut out = Vec::new();
        assert_eq!(
            decode(&params, b"a\0\x82", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::BadCode)
        );
        assert_eq!(
            decode(&params, b"a\0\x81", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::BadCode)
        );
        assert_eq!(
            decode(&params, b"a\0\x02,", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::BadFlag)
        );
        assert_eq!(
            decode(&params, b"a\0\x06", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::BadFlag)
        );
        assert_eq!(
            decode(&params, b"a\0\x80\x80\x80", 2, None, &mut out, IN_ONE_PART),
            Err(TransformError::TooLong)
        );
        let two_entries = Params {
            bank_bytes: 4,
            ..params.clone()
        };
        assert_eq!(
            decode(&two_entries, b"a\0b\0", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::BadBank)
        );
        let over_codebook = Params {
            codebook: true,
            ..params
        };
        assert_eq!(
            decode(&over_codebook, b"a\0\x80", 100, None, &mut out, IN_ONE_PART),
            Err(TransformError::NoCodebook)
        );
    }

    fn prior(codebook: &Codebook, min_coverage: f64) -> Option<Prior<'_>> {
        Some(Prior {
            codebook,
            min_coverage,
            by_keys: true,
        })
    }

    #[test]
    fn over_a_codebook_only_the_frames_own_entries_are_spelled() {
        let english = Codebook::english();
        let text = "The river ran past the old mill, and the miller's zyzzyva zyzzyva zyzzyva \
                    watched the river from the window. "
            .repeat(3);
        for (deltas, sorted) in [
            (false, TierOrder::ByPredecessor),
            (true, TierOrder::Alphabetical),
        ] {
            let t = encode(
                text.as_bytes(),
                &Shape {
                    deltas,
                    prior: prior(&english, 0.0),
                    ..Shape::new(2, sorted)
                },
                IN_ONE_PART,
            )
            .unwrap();
            assert!(t.params.codebook);
            let (bank, _) = Bank::of_block(&t.params, &t.block, Some(&english)).unwrap();
            assert_eq!(bank.len(), english.len() + 1);
            assert_eq!(bank.entry(english.len()), Some((&b"zyzzyva"[..], true)));
            assert_eq!(bank.entry(0), Some((&b"the"[..], true)));
            assert_eq!(bank.entry(english.len() + 1), None);
            assert_eq!(&t.block[..t.params.bank_bytes as usize], b"zyzzyva\0");
            let mut back = Vec::new();
            decode(
                &t.params,
                &t.block,
                text.len(),
                Some(&english),
                &mut back,
                IN_ONE_PART,
            )
            .unwrap();
            assert_eq!(back, text.as_bytes());
            let without = without_codebook(text.as_bytes(), deltas, sorted);
            assert!(t.block.len() < without.block.len());
        }
    }

    #[test]
    fn a_codebook_that_covers_too_little_is_not_used() {
        let english = Codebook::english();
        // 4 of the 8 words are English.
        let text = "the xq of zv and wj to kk ".repeat(4);
        let covered = |min| {
            let t = encode(
                text.as_bytes(),
                &Shape {
                    prior: prior(&english, min),
                    ..Shape::new(2, TierOrder::ByPredecessor)
                },
                IN_ONE_PART,
            )
            .unwrap();
            t.params.codebook
        };
        assert!(covered(0.5));
        assert!(!covered(0.51));
    }
}
