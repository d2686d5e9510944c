//! The lossless tokenizer: splits any byte string into words, numbers, whitespace runs,
//! punctuation, non-letter Unicode symbols and raw bytes. Concatenating the tokens gives the
//! input back, byte for byte, whatever the input is.

use crate::primitive::Primitive;

/// What a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A maximal run of letters: ASCII letters and UTF-8 encoded alphabetic characters.
    Word,
    /// A maximal run of ASCII digits.
    Number,
    /// A maximal run of ASCII whitespace (space, tab, CR, LF, VT, FF).
    Space,
    /// One printable ASCII character that is neither a letter, a digit nor whitespace.
    Punct,
    /// One valid UTF-8 encoded character above U+007F that is not alphabetic.
    Symbol,
    /// One byte that is an ASCII control character or not part of valid UTF-8.
    Raw,
}

impl TokenKind {
    /// The Σ-primitive class a token of this kind is spelled with.
    pub fn primitive(self) -> Primitive {
        match self {
            TokenKind::Word => Primitive::STRING,
            TokenKind::Number => Primitive::NUMBER,
            TokenKind::Space => Primitive::BOUNDARY,
            TokenKind::Punct => Primitive::OPERATOR,
            TokenKind::Symbol => Primitive::LITERAL,
            TokenKind::Raw => Primitive::BUFFER,
        }
    }
}

/// Class of an ASCII byte; bytes ≥ 0x80 are `High` and need UTF-8 decoding.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    Letter,
    Digit,
    Space,
    Punct,
    Control,
    High,
}

const fn ascii_class(b: u8) -> ByteClass {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => ByteClass::Letter,
        b'0'..=b'9' => ByteClass::Digit,
        b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => ByteClass::Space,
        0x21..=0x7e => ByteClass::Punct,
        0x80..=0xff => ByteClass::High,
        _ => ByteClass::Control,
    }
}

const CLASS: [ByteClass; 256] = {
    let mut table = [ByteClass::Control; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = ascii_class(i as u8);
        i += 1;
    }
    table
};

/// Decodes the UTF-8 character at the start of `bytes`, if it is a valid multi-byte one.
pub fn utf8_char(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
    s.chars().next().map(|c| (c, len))
}

/// Whether `bytes` starts with a letter: an ASCII letter or an alphabetic UTF-8 character.
pub fn starts_with_letter(bytes: &[u8]) -> bool {
    letter_len(bytes).is_some()
}

/// Length of the letter at the start of `bytes`, if it starts with one.
fn letter_len(bytes: &[u8]) -> Option<usize> {
    match CLASS[*bytes.first()? as usize] {
        ByteClass::Letter => Some(1),
        ByteClass::High => match utf8_char(bytes) {
            Some((c, len)) if c.is_alphabetic() => Some(len),
            _ => None,
        },
        _ => None,
    }
}

/// Iterator over the tokens of a byte string, as `(kind, byte range)` pairs.
pub struct Tokenizer<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Tokenizer<'a> {
    /// Tokenizes `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Tokenizer { input, pos: 0 }
    }

    #[inline]
    fn run_while(&self, mut end: usize, class: ByteClass) -> usize {
        while end < self.input.len() && CLASS[self.input[end] as usize] == class {
            end += 1;
        }
        end
    }

    /// The end of the run of ASCII letters from `end`, found eight bytes at a time: most
    /// words fit in one word of eight, so the loop's exit is predictable where a byte loop's
    /// was mispredicted once a word.
    #[inline]
    fn ascii_letters_end(&self, mut end: usize) -> usize {
        const ONES: u64 = u64::from_ne_bytes([1; 8]);
        const HIGHS: u64 = ONES << 7;
        while let Some(chunk) = self.input.get(end..end + 8) {
            let bytes = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            // Per byte, without carries: the low seven bits folded to lower case, then
            // compared with 'a' and 'z' by adding to and subtracting from 0x80-based values.
            let folded = (bytes & !HIGHS) | (ONES * 0x20);
            let from_a = folded + ONES * (0x80 - u64::from(b'a'));
            let to_z = ONES * (0x80 + u64::from(b'z')) - folded;
            let letters = from_a & to_z & !bytes & HIGHS;
            if letters != HIGHS {
                return end + ((!letters & HIGHS).trailing_zeros() / 8) as usize;
            }
            end += 8;
        }
        self.run_while(end, ByteClass::Letter)
    }

    fn word_end(&self, mut end: usize) -> usize {
        loop {
            // Most words are ASCII: only a byte ≥ 0x80 needs UTF-8 decoding.
            end = self.ascii_letters_end(end);
            match letter_len(&self.input[end..]) {
                Some(len) => end += len,
                None => return end,
            }
        }
    }

    /// The token at `start`, which begins with a byte of `class`: any class, but `next` only
    /// asks for the rare ones (digits, control bytes, non-ASCII).
    #[cold]
    fn token_of_class(&self, start: usize, class: ByteClass) -> (TokenKind, usize) {
        match class {
            ByteClass::Letter => (TokenKind::Word, self.word_end(start)),
            ByteClass::Digit => (
                TokenKind::Number,
                self.run_while(start + 1, ByteClass::Digit),
            ),
            ByteClass::Space => (
                TokenKind::Space,
                self.run_while(start + 1, ByteClass::Space),
            ),
            ByteClass::Punct => (TokenKind::Punct, start + 1),
            ByteClass::Control => (TokenKind::Raw, start + 1),
            ByteClass::High => match utf8_char(&self.input[start..]) {
                Some((c, _)) if c.is_alphabetic() => (TokenKind::Word, self.word_end(start)),
                Some((_, len)) => (TokenKind::Symbol, start + len),
                None => (TokenKind::Raw, start + 1),
            },
        }
    }
}

impl Iterator for Tokenizer<'_> {
    type Item = (TokenKind, std::ops::Range<usize>);

    // Inlined into the transform's two passes, whose loops otherwise stall on reading back a
    // token returned through memory.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let first = *self.input.get(start)?;
        let class = CLASS[first as usize];
        // The three common classes are tested in order of frequency first: the branch
        // predictor missed the match's jump table more often than these tests.
        let (kind, end) = if class == ByteClass::Letter {
            (TokenKind::Word, self.word_end(start))
        } else if class == ByteClass::Space {
            (
                TokenKind::Space,
                self.run_while(start + 1, ByteClass::Space),
            )
        } else if class == ByteClass::Punct {
            (TokenKind::Punct, start + 1)
        } else {
            self.token_of_class(start, class)
        };
        self.pos = end;
        Some((kind, start..end))
    }
}

/// Whether `b` is an ASCII letter (the only bytes a spelled-out word glyph contains).
#[inline]
pub fn is_ascii_letter(b: u8) -> bool {
    CLASS[b as usize] == ByteClass::Letter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(TokenKind, &str)> {
        Tokenizer::new(input.as_bytes())
            .map(|(k, r)| (k, &input[r]))
            .collect()
    }

    #[test]
    fn splits_prose() {
        use TokenKind::*;
        assert_eq!(
            kinds("The café—costs 12€, ok?\r\n"),
            vec![
                (Word, "The"),
                (Space, " "),
                (Word, "café"),
                (Symbol, "—"),
                (Word, "costs"),
                (Space, " "),
                (Number, "12"),
                (Symbol, "€"),
                (Punct, ","),
                (Space, " "),
                (Word, "ok"),
                (Punct, "?"),
                (Space, "\r\n"),
            ]
        );
    }

    #[test]
    fn letter_runs_found_eight_at_a_time_end_where_a_byte_loop_ends() {
        for byte in 0..=255u8 {
            for at in 0..20 {
                let mut input = *b"abcdefghijklmnopqrstuvwxyz";
                input[at] = byte;
                for start in [0, 3, 9] {
                    let tokenizer = Tokenizer::new(&input);
                    assert_eq!(
                        tokenizer.ascii_letters_end(start),
                        tokenizer.run_while(start, ByteClass::Letter),
                        "byte {byte:#x} at {at}, run from {start}"
                    );
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_becomes_raw_bytes() {
        let input = b"a\xff\xc3b\x00";
        let tokens: Vec<_> = Tokenizer::new(input).collect();
        assert_eq!(
            tokens,
            vec![
                (TokenKind::Word, 0..1),
                (TokenKind::Raw, 1..2),
                (TokenKind::Raw, 2..3),
                (TokenKind::Word, 3..4),
                (TokenKind::Raw, 4..5),
            ]
        );
    }

    #[test]
    fn tokens_cover_the_input_exactly() {
        let input = "x\u{10FFFF}\u{1F600}ÿ日本語 a\tb".as_bytes();
        let mut next = 0;
        for (_, range) in Tokenizer::new(input) {
            assert_eq!(range.start, next);
            assert!(range.end > range.start);
            next = range.end;
        }
        assert_eq!(next, input.len());
    }
}
