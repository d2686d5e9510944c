//! Soft line breaks: the newlines of wrapped paragraphs, coded beside the glyph stream.
//!
//! Prose wrapped at a fixed width breaks a line between two words wherever the next word would
//! not fit. In the glyph stream such a newline is a glyph of its own, and the word after it
//! loses the word before it as its context in the BWT's sort. The word transform can instead
//! code it as the implicit space before the word, plus one bit here: at every implicit space
//! that would end a line at column `min_end` or later, whether it is a newline. The bit is
//! predicted from that column alone (a word that would end past the text's width follows a
//! newline), so it costs a small fraction of a bit. On 32 MiB of English prose this coded
//! 3.9-4.4 % smaller at the BWT levels; `docs/FORMAT.md` (section 11.5) specifies it.

use crate::cm::adapt;
use crate::rangecoder;

/// Contexts: the column the word would end at, to 255.
const CONTEXTS: usize = 256;

/// Adaptation shift of the counters: fast, as a text's width can change from one document
/// to the next within a frame.
const RATE: u32 = 4;

/// Probability of a newline by the column a word would end at, shared by the encoder and the
/// decoder.
struct Model {
    newline: [[u16; CONTEXTS]; 2],
    /// Whether the last newline was a soft line break.
    soft: bool,
}

impl Model {
    fn new() -> Self {
        Model {
            newline: [[1 << 12; CONTEXTS]; 2],
            soft: false,
        }
    }

    #[inline]
    fn slot(&mut self, end: usize) -> &mut u16 {
        &mut self.newline[usize::from(self.soft)][end.min(CONTEXTS - 1)]
    }

    #[inline]
    fn update(&mut self, end: usize, newline: u32) {
        adapt(self.slot(end), newline, RATE);
        if newline == 1 {
            self.soft = true;
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

    /// Codes the separator before a word that ends at column `end` ≥ `min_end` on the line:
    /// a newline or a space.
    #[inline]
    pub fn code(&mut self, end: usize, newline: bool) {
        debug_assert!(self.codes(end));
        let p1 = *self.model.slot(end);
        self.coder.encode(u32::from(newline), u32::from(p1));
        self.model.update(end, u32::from(newline));
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

    /// Whether the separator before a word that ends at column `end` (counted with the
    /// separator), where the implicit-space rule puts one, is a newline (else a space).
    #[inline]
    pub fn newline(&mut self, end: usize) -> bool {
        if end < usize::from(self.min_end) {
            return false;
        }
        let p1 = *self.model.slot(end);
        let newline = self.coder.decode(u32::from(p1));
        self.model.update(end, newline);
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
                encoder.code(end, newline);
            }
            coded.push((end, newline));
            column = if newline { len } else { end };
        }
        let (min_end, code) = encoder.finish();
        assert!(code.len() < words.len() / 100, "{} bytes", code.len());
        let mut decoder = BreakDecoder::new(min_end, &code);
        for (end, newline) in coded {
            assert_eq!(decoder.newline(end), newline);
        }
        assert!(!decoder.overran());
    }

    #[test]
    fn words_ending_before_the_first_coded_column_follow_a_space() {
        let (min_end, code) = BreakEncoder::new(40).finish();
        let mut decoder = BreakDecoder::new(min_end, &code);
        for end in 0..40 {
            assert!(!decoder.newline(end));
        }
        assert!(!decoder.overran());
        assert!(BreakDecoder::new(min_end, &code[..3]).overran());
    }
}
