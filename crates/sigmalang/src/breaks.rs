//! Soft line breaks: the newlines of wrapped paragraphs, coded beside the glyph stream.
//!
//! Prose wrapped at a fixed width breaks a line between two words wherever the next word would
//! not fit. In the glyph stream such a newline is a glyph of its own, and the word after it
//! loses the word before it as its context in the BWT's sort. The word transform can instead
//! code it as the implicit space before the word, plus one bit here: at every implicit space
//! that would end a line at column `min_end` or later, whether it is a newline. The bit is
//! predicted from that column (a word that would end past the text's width follows a newline)
//! and from the lengths of the last lines, so it costs a small fraction of a bit. On 32 MiB of
//! English prose this coded 3.9 % smaller at the BWT levels; `docs/FORMAT.md` (section 11.5)
//! specifies it.

use crate::cm::{adapt, mix, squash, stretch_table, train, INITIAL_WEIGHT};
use crate::rangecoder;
use wide::i16x8;

/// Columns the counters tell apart: words that end at column 255 or later share the last.
const COLUMNS: usize = 256;

/// Adaptation shift of the fast counters: a text's width can change from one document to the
/// next within a frame.
const RATE: u32 = 4;

/// Adaptation shift of the slow counters by column.
const SLOW_RATE: u32 = 6;

/// Mixer learning rate (`FORMAT.md` section 9.7), the recurrence coder's.
const MIXER_SHIFT: u8 = 12;

/// How far (−32 … 31 columns) past a recent line's length a word would end, for the counters
/// by width.
const PAST_WIDTH: usize = 64;

/// The length taken for the lines before the first soft line break.
const FIRST_WIDTH: usize = 72;

/// Predicts whether the separator before a word is a newline from the column the word would
/// end at, in four ways mixed: by that column, fast (and by whether the last newline was soft)
/// and slowly, and by how far past the longest of the last three soft-broken lines, and past
/// the last one, it is. Mixing them took the separators' code of 32 MiB of prose from 29,645
/// bytes (the fast counters alone) to 27,528, of the mixed corpus from 16,110 to 12,555.
/// Shared by the encoder and the decoder.
struct Model {
    by_column: [[u16; COLUMNS]; 2],
    by_column_slowly: [u16; COLUMNS],
    past_widest: [u16; PAST_WIDTH],
    past_last: [u16; PAST_WIDTH],
    /// Mixer weights, by whether the last newline was soft.
    weights: [i16x8; 2],
    stretch: &'static [i16; 4096],
    /// Whether the last newline was a soft line break.
    soft: bool,
    /// The lengths of the last three soft-broken lines, oldest first.
    widths: [usize; 3],
    /// The last prediction's counters (column, past the widest, past the last line), inputs
    /// and probability, which its update adapts and trains.
    at: (usize, usize, usize),
    inputs: i16x8,
    p: i32,
}

impl Model {
    fn new() -> Self {
        Model {
            by_column: [[1 << 12; COLUMNS]; 2],
            by_column_slowly: [1 << 12; COLUMNS],
            past_widest: [1 << 12; PAST_WIDTH],
            past_last: [1 << 12; PAST_WIDTH],
            weights: [i16x8::splat(INITIAL_WEIGHT); 2],
            stretch: stretch_table(),
            soft: false,
            widths: [FIRST_WIDTH; 3],
            at: (0, 0, 0),
            inputs: i16x8::splat(0),
            p: 0,
        }
    }

    /// P(newline) × 65536 for a word that ends at column `end`.
    #[inline]
    fn predict(&mut self, end: usize) -> u32 {
        let past = |width: usize| (end as isize - width as isize + 32).clamp(0, 63) as usize;
        let widest = self.widths.iter().copied().max().unwrap_or(FIRST_WIDTH);
        self.at = (end.min(COLUMNS - 1), past(widest), past(self.widths[2]));
        let (column, widest, last) = self.at;
        let st = |p: u16| self.stretch[usize::from(p >> 4)];
        let inputs = i16x8::from([
            st(self.by_column[usize::from(self.soft)][column]),
            st(self.by_column_slowly[column]),
            st(self.past_widest[widest]),
            st(self.past_last[last]),
            256,
            0,
            0,
            0,
        ]);
        // Mixed as built, not read back from `self.inputs`: the vector written there lane by
        // lane and loaded whole waited for the stores to drain.
        self.inputs = inputs;
        self.p = squash(mix(self.weights[usize::from(self.soft)], inputs));
        (self.p.clamp(1, 4095) as u32) << 4
    }

    /// Learns the separator just predicted: a newline (`newline` 1) ends a line of `length`
    /// bytes.
    #[inline]
    fn update(&mut self, newline: u32, length: usize) {
        let (column, widest, last) = self.at;
        let weights = &mut self.weights[usize::from(self.soft)];
        train(
            weights,
            self.inputs,
            ((newline as i32) << 12) - self.p,
            MIXER_SHIFT,
        );
        adapt(
            &mut self.by_column[usize::from(self.soft)][column],
            newline,
            RATE,
        );
        adapt(&mut self.by_column_slowly[column], newline, SLOW_RATE);
        adapt(&mut self.past_widest[widest], newline, RATE);
        adapt(&mut self.past_last[last], newline, RATE);
        if newline == 1 {
            self.soft = true;
            self.widths = [self.widths[1], self.widths[2], length];
        }
    }
}

/// Codes the separator at every implicit space that would end a line at column `min_end` or
/// later.
pub struct BreakEncoder {
    min_end: u8,
    model: Model,
    coder: rangecoder::Encoder,
}

impl BreakEncoder {
    /// Codes separators of words that end at `min_end` or later.
    pub fn new(min_end: u8) -> Self {
        BreakEncoder {
            min_end,
            model: Model::new(),
            coder: rangecoder::Encoder::new(Vec::new()),
        }
    }

    /// Whether a word that ends at column `end` has its separator coded here (else it is a
    /// space).
    #[inline]
    pub fn codes(&self, end: usize) -> bool {
        end >= usize::from(self.min_end)
    }

    /// Codes the separator before a word of `len` bytes that ends at column `end` ≥ `min_end`
    /// on the line (counting the separator): a newline or a space.
    #[inline]
    pub fn code(&mut self, end: usize, len: usize, newline: bool) {
        debug_assert!(self.codes(end));
        let p1 = self.model.predict(end);
        self.coder.encode(u32::from(newline), p1);
        self.model.update(u32::from(newline), end - 1 - len);
    }

    /// Records a newline that is a glyph of its own.
    #[inline]
    pub fn hard_newline(&mut self) {
        self.model.soft = false;
    }

    /// The column from which separators are coded, and the code.
    pub fn finish(self) -> (u8, Vec<u8>) {
        (self.min_end, self.coder.finish())
    }
}

/// Decodes what [`BreakEncoder`] coded.
pub struct BreakDecoder<'a> {
    min_end: u8,
    model: Model,
    coder: rangecoder::Decoder<'a>,
}

impl<'a> BreakDecoder<'a> {
    /// Decodes `code`, which codes the separators of words that end at `min_end` or later.
    pub fn new(min_end: u8, code: &'a [u8]) -> Self {
        BreakDecoder {
            min_end,
            model: Model::new(),
            coder: rangecoder::Decoder::new(code),
        }
    }

    /// Whether the separator before a word of `len` bytes that ends at column `end` (counted
    /// with the separator), where the implicit-space rule puts one, is a newline (else a
    /// space).
    #[inline]
    pub fn newline(&mut self, end: usize, len: usize) -> bool {
        if end < usize::from(self.min_end) {
            return false;
        }
        let p1 = self.model.predict(end);
        let newline = self.coder.decode(p1);
        self.model.update(newline, end - 1 - len);
        newline == 1
    }

    /// Records a newline that is a glyph of its own.
    #[inline]
    pub fn hard_newline(&mut self) {
        self.model.soft = false;
    }

    /// Whether decoding read past the end of the code (which a code [`BreakEncoder`] wrote
    /// never does).
    pub fn overran(&self) -> bool {
        self.coder.overrun() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_round_trip_and_predictable_ones_cost_little() {
        // Lines wrapped at 70: a word ending past 70 follows a newline.
        let words: Vec<usize> = crate::test_support::noise(20_000, 3)
            .into_iter()
            .map(|b| 1 + usize::from(b % 9))
            .collect();
        let mut encoder = BreakEncoder::new(40);
        let mut column = 0;
        let mut coded = Vec::new();
        for &len in &words {
            let end = column + 1 + len;
            let newline = end > 70;
            if encoder.codes(end) {
                encoder.code(end, len, newline);
            }
            coded.push((end, len, newline));
            column = if newline { len } else { end };
        }
        let (min_end, code) = encoder.finish();
        assert!(code.len() < words.len() / 100, "{} bytes", code.len());
        let mut decoder = BreakDecoder::new(min_end, &code);
        for (end, len, newline) in coded {
            assert_eq!(decoder.newline(end, len), newline);
        }
        assert!(!decoder.overran());
    }

    #[test]
    fn words_ending_before_the_first_coded_column_follow_a_space() {
        let (min_end, code) = BreakEncoder::new(40).finish();
        let mut decoder = BreakDecoder::new(min_end, &code);
        for end in 1..40 {
            assert!(!decoder.newline(end, 0));
        }
        assert!(!decoder.overran());
        assert!(BreakDecoder::new(min_end, &code[..3]).overran());
    }
}
