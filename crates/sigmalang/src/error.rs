//! The library's error type: every decoding failure names the frame and the byte offset.

use crate::format::HeaderError;
use crate::frame::PayloadError;
use std::io;

/// Everything that can go wrong while encoding or decoding a stream.
///
/// Offsets are byte positions in the compressed input where the offending structure starts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input does not start with a ΣLANG stream header.
    #[error("not a ΣLANG stream (no stream header at byte {offset})")]
    NotSigma {
        /// Where the header was expected.
        offset: u64,
    },
    /// The stream was written by a newer, incompatible format version.
    #[error("unsupported format version {version} at byte {offset}")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
        /// Offset of the stream header.
        offset: u64,
    },
    /// The stream header sets flags this decoder does not know.
    #[error("unsupported stream flags {flags:#04x} at byte {offset}")]
    ReservedFlags {
        /// The reserved bits that were set.
        flags: u8,
        /// Offset of the stream header.
        offset: u64,
    },
    /// The stream header is damaged.
    #[error("corrupt stream header at byte {offset}: {what}")]
    StreamHeader {
        /// What is wrong.
        what: &'static str,
        /// Offset of the stream header.
        offset: u64,
    },
    /// A frame header is damaged or out of place.
    #[error("frame {frame}: corrupt frame header at byte {offset}: {what}")]
    FrameHeader {
        /// Index of the frame (as counted by the reader).
        frame: u64,
        /// Offset of the frame header.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A frame's payload cannot be decoded.
    #[error("frame {frame}: corrupt data at byte {offset}: {source}")]
    Payload {
        /// Index of the frame.
        frame: u64,
        /// Offset of the frame header.
        offset: u64,
        /// What is wrong.
        source: PayloadError,
    },
    /// A frame's payload is damaged (its CRC32C does not match the header's).
    #[error("frame {frame}: payload checksum mismatch (frame at byte {offset})")]
    PayloadChecksum {
        /// Index of the frame.
        frame: u64,
        /// Offset of the frame header.
        offset: u64,
    },
    /// The stream was encoded with a trained codebook this decoder does not have.
    #[error("the stream at byte {offset} needs codebook {id:08x} (hash {hash:016x}), which this decoder does not have")]
    Codebook {
        /// Codebook id from the stream header.
        id: u32,
        /// Codebook hash from the stream header.
        hash: u64,
        /// Offset of the stream header.
        offset: u64,
    },
    /// A frame decoded, but not to the bytes that were encoded.
    #[error("frame {frame}: content checksum mismatch (frame at byte {offset})")]
    ContentChecksum {
        /// Index of the frame.
        frame: u64,
        /// Offset of the frame header.
        offset: u64,
    },
    /// The input ended before the stream's footer.
    #[error("truncated stream: input ends at byte {offset} {inside}")]
    Truncated {
        /// Where the input ended.
        offset: u64,
        /// What was being read.
        inside: &'static str,
    },
    /// The footer is damaged or disagrees with the frames.
    #[error("corrupt footer at byte {offset}: {what}")]
    Footer {
        /// Offset of the footer.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// Something other than a new stream follows the end of a stream.
    #[error("trailing garbage after the end of the stream at byte {offset}")]
    TrailingData {
        /// Where the garbage starts.
        offset: u64,
    },
    /// The stream needs more memory than allowed.
    #[error("the stream needs {needed} bytes of memory per thread, over the limit of {limit}; raise it with --memory (-M)")]
    MemoryLimit {
        /// Bytes one decoding thread needs.
        needed: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A worker thread died; this is a bug.
    #[error("internal error: a worker thread stopped unexpectedly")]
    WorkerLost,
}

impl Error {
    pub(crate) fn stream_header(e: HeaderError, offset: u64) -> Error {
        match e {
            HeaderError::BadMagic => Error::NotSigma { offset },
            HeaderError::UnsupportedVersion(version) => {
                Error::UnsupportedVersion { version, offset }
            }
            HeaderError::ReservedFlags(flags) => Error::ReservedFlags { flags, offset },
            HeaderError::Checksum => Error::StreamHeader {
                what: "checksum mismatch",
                offset,
            },
            HeaderError::Field(what) => Error::StreamHeader { what, offset },
        }
    }

    pub(crate) fn frame_header(e: HeaderError, frame: u64, offset: u64) -> Error {
        Error::FrameHeader {
            frame,
            offset,
            what: describe(e),
        }
    }

    pub(crate) fn footer(e: HeaderError, offset: u64) -> Error {
        Error::Footer {
            offset,
            what: describe(e),
        }
    }

    /// Whether the error means the input is damaged or not a stream (rather than an I/O failure).
    pub fn is_data_error(&self) -> bool {
        !matches!(self, Error::Io(_) | Error::WorkerLost)
    }

    /// Whether the input merely ran dry for now (`WouldBlock` from a non-blocking reader).
    pub(crate) fn is_would_block(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::Truncated { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            Error::MemoryLimit { .. } => io::Error::new(io::ErrorKind::OutOfMemory, e),
            Error::WorkerLost => io::Error::other(e),
            e => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

/// What is wrong with a frame header or the footer, in words.
fn describe(e: HeaderError) -> &'static str {
    match e {
        HeaderError::BadMagic => "bad magic",
        HeaderError::Checksum => "checksum mismatch",
        HeaderError::Field(what) => what,
        HeaderError::UnsupportedVersion(_) | HeaderError::ReservedFlags(_) => "unexpected field",
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
