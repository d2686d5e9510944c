//! ΣLANG: a streaming, lossless, glyph-based codec for text.
//!
//! Text is split into tokens, tokens become glyphs (spelled-out PRIMITIVEs, REFERENCEs into a
//! per-frame Σ-bank of frequent words, …), and the glyph stream is Burrows–Wheeler transformed
//! and entropy coded with a context-mixing model. Streams are sequences of independent,
//! checksummed frames closed by a footer with a seek index; `docs/FORMAT.md` specifies them.
//!
//! The adapters work like those of `flate2` and `zstd`: an encoder and a decoder on each side
//! of `std::io`, with [`encode_all`] and [`decode_all`] for whole buffers.
//!
//! ```
//! use std::io::{Read, Write};
//! let text = b"It was the best of times, it was the worst of times.".repeat(100);
//!
//! // Writing plain bytes, and reading the stream of what an inner reader holds.
//! let mut encoder = sigmalang::write::Encoder::new(Vec::new());
//! encoder.write_all(&text)?;
//! let stream = encoder.finish()?;
//! let mut pulled = Vec::new();
//! sigmalang::read::Encoder::new(&text[..]).read_to_end(&mut pulled)?;
//! assert_eq!(pulled, stream);
//!
//! // Reading plain bytes from a stream, and writing a stream that arrives in pieces.
//! let mut decoded = Vec::new();
//! sigmalang::read::Decoder::new(&stream[..]).read_to_end(&mut decoded)?;
//! let mut decoder = sigmalang::write::Decoder::new(Vec::new());
//! for piece in stream.chunks(100) {
//!     decoder.write_all(piece)?;
//! }
//! assert_eq!(decoder.finish()?, decoded);
//! assert_eq!(decoded, text);
//! # Ok::<(), std::io::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod breaks;
pub mod bwt;
pub mod checksum;
pub mod cm;
pub mod codebook;
mod codebook_layout;
pub mod error;
pub mod format;
pub mod frame;
pub mod glyph;
pub mod inspect;
mod intern;
pub mod lzp;
pub mod options;
pub mod pipeline;
pub mod primitive;
pub mod qlfc;
pub mod rangecoder;
pub mod rank;
pub mod read;
pub mod recover;
pub mod seekable;
pub mod stats;
#[cfg(test)]
mod test_support;
pub mod token;
pub mod transform;
mod tuning;
pub mod varint;
pub mod wordcm;
pub mod write;

pub use error::{Error, Result};
pub use options::{DecoderOptions, EncoderOptions};
pub use seekable::{SeekIndex, SeekableDecoder};
pub use stats::StreamStats;

/// One of a job's independent parts, run by its index: a pure stage (the inverse BWT, the
/// word transform's tally) takes one with the number of parts to cut its work in and a
/// function that runs them, one after another or side by side ([`frame::Resources::parts`]).
pub type Part<'a> = dyn Fn(usize) + Sync + 'a;

/// Runs every part on the caller's thread, in order: a stage's work in one part.
pub const IN_ONE_PART: (usize, fn(usize, &Part<'_>)) = (1, |count, part| {
    (0..count).for_each(part);
});

use std::io::{Read, Write};

/// Encodes `data` into a complete ΣLANG stream.
pub fn encode_all(data: &[u8], options: &EncoderOptions) -> Vec<u8> {
    let options = options.clone().size_hint(data.len() as u64);
    let mut encoder = write::Encoder::with_options(Vec::new(), &options);
    encoder
        .write_all(data)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Decodes a complete ΣLANG stream (or several concatenated).
pub fn decode_all(stream: &[u8], options: DecoderOptions) -> Result<Vec<u8>> {
    let mut decoder = read::Decoder::with_options(stream, options);
    let mut out = Vec::new();
    match decoder.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(into_error(e)),
    }
}

/// Recovers the typed error from an `io::Error` produced by this crate's adapters.
pub fn into_error(e: std::io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(err)) => *err,
            Some(Err(other)) => Error::Io(std::io::Error::new(kind, other)),
            None => unreachable!("checked that an inner error exists"),
        }
    } else {
        Error::Io(e)
    }
}
