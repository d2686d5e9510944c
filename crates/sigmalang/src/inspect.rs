//! The glyph view: what a frame's text looks like as glyphs, for `sigma inspect` and the demo.

use crate::frame::{self, CodecParams, Method, PayloadError};
use crate::glyph::{Case, Glyph, GlyphType};
use crate::token::Tokenizer;
use crate::transform::{self, Bank, GlyphReader, Params, Renderer};

/// One glyph with the exact text it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlyphLine {
    /// The glyph type.
    pub kind: GlyphType,
    /// Its Σ-primitive.
    pub primitive: crate::primitive::Primitive,
    /// Σ-bank index, for references.
    pub bank_index: Option<u32>,
    /// Case flag applied to the stored form.
    pub case: Case,
    /// The bytes the glyph renders to (with its implicit space, if any).
    pub text: Vec<u8>,
}

impl GlyphLine {
    fn new(glyph: &Glyph<'_>, text: &[u8]) -> Self {
        GlyphLine {
            kind: glyph.kind,
            primitive: glyph.primitive,
            bank_index: glyph.bank_index,
            case: glyph.case,
            text: text.to_vec(),
        }
    }

    fn spelled(kind: crate::token::TokenKind, text: &[u8]) -> Self {
        GlyphLine {
            kind: GlyphType::Primitive,
            primitive: kind.primitive(),
            bank_index: None,
            case: Case::AsIs,
            text: text.to_vec(),
        }
    }
}

impl std::fmt::Display for GlyphLine {
    /// Σ-notation: `REFERENCE Σ120 STRING #3 cap " The"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<9} {}", self.kind.name(), self.primitive)?;
        if let Some(i) = self.bank_index {
            write!(f, " #{i}")?;
        }
        match self.case {
            Case::AsIs => {}
            Case::Capitalized => f.write_str(" cap")?,
            Case::Upper => f.write_str(" upper")?,
        }
        write!(f, " {:?}", String::from_utf8_lossy(&self.text))
    }
}

/// Walks the glyphs of a transformed block, handing each one with its rendered text to `visit`.
fn visit_transformed(
    params: &Params,
    block: &[u8],
    max_len: usize,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) -> Result<(), PayloadError> {
    let bank_bytes = usize::try_from(params.bank_bytes).map_err(|_| PayloadError::Bank)?;
    if bank_bytes > block.len() {
        return Err(PayloadError::Bank);
    }
    let (section, stream) = block.split_at(bank_bytes);
    let bank = Bank::parse(section, params.bank_entries)?;
    let mut renderer = Renderer::new(params);
    let mut text = Vec::new();
    let mut total = 0;
    for glyph in GlyphReader::new(&bank, stream, params) {
        let glyph = glyph?;
        text.clear();
        renderer.render(&glyph, &mut text);
        total += text.len();
        if total > max_len {
            return Err(PayloadError::Size);
        }
        visit(GlyphLine::new(&glyph, &text), &bank);
    }
    Ok(())
}

fn visit_tokens(text: &[u8], visit: &mut dyn FnMut(GlyphLine, &Bank<'_>)) {
    let empty = Bank::parse(&[], 0).expect("an empty bank is valid");
    for (kind, range) in Tokenizer::new(text) {
        visit(GlyphLine::spelled(kind, &text[range]), &empty);
    }
}

/// The glyphs `text` becomes when encoded as one frame (what `sigma inspect -` shows).
pub fn glyphs_of_text(
    text: &[u8],
    params: &CodecParams,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) {
    match transform::encode(text, params.bank_threshold(text.len()), params.delta_glyphs) {
        Some(t) => visit_transformed(&t.params, &t.block, text.len(), visit)
            .expect("the encoder's own block parses"),
        None => visit_tokens(text, visit),
    }
}

/// The glyphs of an encoded frame's payload.
pub fn glyphs_of_payload(
    method: Method,
    payload: &[u8],
    decoded_size: usize,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) -> Result<(), PayloadError> {
    if method == Method::Glyph {
        let mut block = Vec::new();
        if let Some(params) = frame::decode_block(payload, decoded_size, &mut block)? {
            return visit_transformed(&params, &block, decoded_size, visit);
        }
        visit_tokens(&block, visit);
        return Ok(());
    }
    let mut text = Vec::new();
    frame::decode(method, payload, decoded_size, &mut text)?;
    visit_tokens(&text, visit);
    Ok(())
}
