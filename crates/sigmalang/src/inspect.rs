//! The glyph view: what a frame's text looks like as glyphs, for `sigma inspect` and the demo.

use crate::codebook::Codebook;
use crate::frame::{self, CodecParams, Method, PayloadError};
use crate::glyph::{Case, Glyph, GlyphType};
use crate::token::Tokenizer;
use crate::transform::{Bank, GlyphReader, Params, Prior, Renderer};

/// One glyph with the exact text it stands for.
#[derive(Debug, Clone, PartialEq)]
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
    /// Bits the entropy coder spent on the glyph's bytes, when known (decoded frames).
    pub bits: Option<f32>,
}

impl GlyphLine {
    fn new(glyph: &Glyph<'_>, text: &[u8]) -> Self {
        GlyphLine {
            kind: glyph.kind,
            primitive: glyph.primitive,
            bank_index: glyph.bank_index,
            case: glyph.case,
            text: text.to_vec(),
            bits: None,
        }
    }

    fn spelled(kind: crate::token::TokenKind, text: &[u8]) -> Self {
        GlyphLine {
            kind: GlyphType::Primitive,
            primitive: kind.primitive(),
            bank_index: None,
            case: Case::AsIs,
            text: text.to_vec(),
            bits: None,
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

/// Sum of `costs[range]`, if costs are known.
fn cost_of(costs: Option<&[f32]>, range: std::ops::Range<usize>) -> Option<f32> {
    costs.map(|c| c.get(range).map_or(0.0, |r| r.iter().sum()))
}

/// Walks the glyphs of a transformed block, handing each one with its rendered text (and, with
/// `costs` per block byte, the bits it cost) to `visit`. Returns the bits of the bank section.
fn visit_transformed(
    params: &Params,
    block: &[u8],
    costs: Option<&[f32]>,
    max_len: usize,
    codebook: Option<&Codebook>,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) -> Result<Option<f32>, PayloadError> {
    let (bank, stream) = Bank::of_block(params, block, codebook)?;
    let bank_bytes = block.len() - stream.len();
    let mut text = Vec::new();
    let mut total = 0;
    // Where the current part's glyphs start in the block.
    let mut base = bank_bytes;
    for part in params.stream_parts(stream, max_len)? {
        let mut renderer = Renderer::new(params, part.breaks_code);
        let mut reader = GlyphReader::new(&bank, part.glyphs, params);
        let mut start = 0;
        while let Some(glyph) = reader.next() {
            let glyph = glyph?;
            text.clear();
            renderer.render(&glyph, &mut text);
            total += text.len();
            if total > max_len {
                return Err(PayloadError::Size);
            }
            let end = reader.position();
            let line = GlyphLine {
                bits: cost_of(costs, base + start..base + end),
                ..GlyphLine::new(&glyph, &text)
            };
            start = end;
            visit(line, &bank);
        }
        base += part.glyphs.len();
    }
    Ok(cost_of(costs, 0..bank_bytes))
}

fn visit_tokens(text: &[u8], costs: Option<&[f32]>, visit: &mut dyn FnMut(GlyphLine, &Bank<'_>)) {
    let empty = Bank::parse(&[], 0, None).expect("an empty bank is valid");
    for (kind, range) in Tokenizer::new(text) {
        let bits = cost_of(costs, range.clone());
        visit(
            GlyphLine {
                bits,
                ..GlyphLine::spelled(kind, &text[range])
            },
            &empty,
        );
    }
}

/// The glyphs `text` becomes when transformed as one frame, over `codebook` if given (what
/// `sigma inspect -` shows).
pub fn glyphs_of_text(
    text: &[u8],
    params: &CodecParams,
    codebook: Option<&Codebook>,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) {
    let prior = codebook.map(|codebook| Prior {
        codebook,
        min_coverage: 0.0,
        by_keys: true,
    });
    match params.transform(text, prior, &crate::frame::Alone) {
        Ok(t) => {
            visit_transformed(&t.params, &t.block, None, text.len(), codebook, visit)
                .expect("the encoder's own block parses");
        }
        Err(_) => visit_tokens(text, None, visit),
    }
}

/// The glyphs of an encoded frame's payload, each with the bits the entropy coder spent on it.
/// Returns the bits spent on the frame's Σ-bank section, if it has one.
pub fn glyphs_of_payload(
    method: Method,
    payload: &[u8],
    decoded_size: usize,
    context_log: u8,
    codebook: Option<&Codebook>,
    visit: &mut dyn FnMut(GlyphLine, &Bank<'_>),
) -> Result<Option<f32>, PayloadError> {
    if method != Method::Stored {
        let mut costs = Vec::new();
        let coded = frame::CodedPayload {
            method,
            payload,
            decoded_size,
            context_log,
            codebook,
        };
        let (block, transform) =
            coded.decode_block(Some(&mut costs), &frame::Alone, |block, transform| {
                Ok((block, transform))
            })?;
        if let Some(params) = transform {
            return visit_transformed(&params, &block, Some(&costs), decoded_size, codebook, visit);
        }
        visit_tokens(&block, Some(&costs), visit);
        return Ok(None);
    }
    let mut text = Vec::new();
    frame::decode(method, payload, decoded_size, context_log, None, &mut text)?;
    // A stored frame spends exactly 8 bits per byte.
    let costs = vec![8.0; text.len()];
    visit_tokens(&text, Some(&costs), visit);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_bits_add_up_to_the_payload() {
        let text =
            "It was the best of times, it was the worst of times, it was the age of wisdom.\n"
                .repeat(50);
        let frame = frame::encode(text.as_bytes().to_vec(), &CodecParams::default(), None);
        assert_eq!(frame.method, Method::GlyphRevised);
        let (mut glyph_bits, mut rendered) = (0.0f32, Vec::new());
        let bank_bits = glyphs_of_payload(
            frame.method,
            &frame.payload,
            text.len(),
            0,
            None,
            &mut |line, _| {
                glyph_bits += line.bits.expect("decoded glyphs carry their cost");
                rendered.extend_from_slice(&line.text);
            },
        )
        .unwrap()
        .expect("a transformed frame has a bank section");
        assert_eq!(rendered, text.as_bytes());
        let coded_bits = 8.0 * frame.payload.len() as f32;
        let counted = glyph_bits + bank_bits;
        // The payload also holds its header and the coder's final bytes.
        assert!(
            counted <= coded_bits && counted > coded_bits - 8.0 * 80.0,
            "{counted} of {coded_bits}"
        );
    }
}
