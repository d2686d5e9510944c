//! The glyph: ΣLANG's intermediate representation of text, and its Σ-notation.
//!
//! A frame's text becomes a stream of glyphs. A PRIMITIVE spells a token out (a word seen
//! too rarely to be banked, a number, whitespace, punctuation, raw bytes); a REFERENCE names
//! a Σ-bank entry by its code; a DELTA stands for the token that context predicts; a
//! COMPOSITE stands for a multi-token phrase. Glyphs are what `sigma inspect` shows.

use crate::primitive::Primitive;
use std::fmt;

/// The 2-bit glyph type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GlyphType {
    /// A token spelled out.
    Primitive = 0,
    /// A pointer into the Σ-bank.
    Reference = 1,
    /// A token predicted by context.
    Delta = 2,
    /// A multi-token phrase.
    Composite = 3,
}

impl GlyphType {
    /// All four types, in id order.
    pub const ALL: [GlyphType; 4] = [
        GlyphType::Primitive,
        GlyphType::Reference,
        GlyphType::Delta,
        GlyphType::Composite,
    ];

    /// Upper-case name, as printed in Σ-notation.
    pub fn name(self) -> &'static str {
        match self {
            GlyphType::Primitive => "PRIMITIVE",
            GlyphType::Reference => "REFERENCE",
            GlyphType::Delta => "DELTA",
            GlyphType::Composite => "COMPOSITE",
        }
    }
}

/// How the letters of a word glyph are cased relative to its stored (folded) form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// As stored.
    AsIs,
    /// First letter upper-cased.
    Capitalized,
    /// Every ASCII letter upper-cased.
    Upper,
}

/// One glyph, borrowing its text from the frame's Σ-bank or transformed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyph<'a> {
    /// The glyph type.
    pub kind: GlyphType,
    /// The Σ-primitive class of the token it stands for.
    pub primitive: Primitive,
    /// The Σ-bank index, for REFERENCE and DELTA glyphs.
    pub bank_index: Option<u32>,
    /// Case applied to `text` when it is rendered.
    pub case: Case,
    /// Whether the glyph is a word (the implicit-space rule applies to it).
    pub is_word: bool,
    /// Whether the frame's implicit-space default is inverted for this word.
    pub space_toggled: bool,
    /// The stored form of the token.
    pub text: &'a [u8],
}

impl Glyph<'_> {
    /// Appends the token to `out`, preceded by `separator` if there is one (an implicit space,
    /// or the newline a soft line break puts there).
    #[inline(always)]
    pub fn render(&self, separator: Option<&[u8]>, out: &mut Vec<u8>) {
        if let Some(separator) = separator {
            out.extend_from_slice(separator);
        }
        let start = out.len();
        out.extend_from_slice(self.text);
        match self.case {
            Case::AsIs => {}
            Case::Capitalized => out[start] = out[start].to_ascii_uppercase(),
            Case::Upper => out[start..].make_ascii_uppercase(),
        }
    }
}

impl fmt::Display for Glyph<'_> {
    /// Σ-notation, e.g. `REFERENCE Σ120 STRING #12 cap "the"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.primitive)?;
        if let Some(index) = self.bank_index {
            write!(f, " #{index}")?;
        }
        match self.case {
            Case::AsIs => {}
            Case::Capitalized => f.write_str(" cap")?,
            Case::Upper => f.write_str(" upper")?,
        }
        if self.space_toggled {
            f.write_str(" space~")?;
        }
        write!(f, " {:?}", String::from_utf8_lossy(self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_case_and_space() {
        let g = Glyph {
            kind: GlyphType::Reference,
            primitive: Primitive::STRING,
            bank_index: Some(3),
            case: Case::Capitalized,
            is_word: true,
            space_toggled: false,
            text: b"the",
        };
        let mut out = b"x".to_vec();
        g.render(Some(b" "), &mut out);
        assert_eq!(out, b"x The");
        assert_eq!(g.to_string(), "REFERENCE Σ120 STRING #3 cap \"the\"");
        let upper = Glyph {
            case: Case::Upper,
            ..g
        };
        let mut out = Vec::new();
        upper.render(None, &mut out);
        assert_eq!(out, b"THE");
    }
}
