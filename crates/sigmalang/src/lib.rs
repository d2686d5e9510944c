//! ΣLANG: a streaming, lossless, glyph-based codec for text.
//!
//! Text is split into tokens, tokens become glyphs (spelled-out PRIMITIVEs, REFERENCEs into a
//! per-frame Σ-bank of frequent words, …), and the glyph stream is Burrows–Wheeler transformed
//! and entropy coded with a context-mixing model. Streams are sequences of independent,
//! checksummed frames closed by a footer with a seek index; `docs/FORMAT.md` specifies them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bwt;
pub mod checksum;
pub mod cm;
pub mod frame;
pub mod glyph;
pub mod primitive;
pub mod rangecoder;
pub mod token;
pub mod transform;
pub mod varint;
