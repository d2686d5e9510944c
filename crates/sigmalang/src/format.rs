//! The container format, byte for byte: stream header, frame headers, footer with seek index.
//!
//! Pure functions over byte slices; `docs/FORMAT.md` is the specification they implement.
//! Parsers return `Ok(None)` when the slice is too short to tell, so callers can feed them
//! bytes as they arrive without ever over-reading.

use crate::checksum::header_crc;
use crate::frame::{max_decoded_size, Method};
use crate::varint::{self, VarintError};
use crate::wordcm;

/// First bytes of a stream: 0xFE (never valid in UTF-8), then "Σ" in UTF-8, then 'L'.
pub const STREAM_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'L'];
/// First bytes of a frame; the sync marker a recovery scan looks for.
pub const FRAME_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'F'];
/// First bytes of the footer.
pub const FOOTER_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'E'];
/// Last bytes of a stream.
pub const END_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'Z'];
/// The format version this library writes. Version 2 added the `Context` frame method and
/// the stream header's context-model table size; version 3 added the `TextContext` method;
/// version 4 added the `GlyphRevised` method; version 5 the `RankRevised` method; version 6
/// codebooks (stream headers that name one, payload mode 2); version 7 LZP-packed blocks in
/// `GlyphRevised` and `RankRevised` payloads; version 8 the `TextLean` method; version 9
/// `GlyphRevised` blocks coded in parts; version 10 payload mode 3 (the codebook's entries in
/// the order of its keys); version 11 the `Recurrence` method; version 12 the
/// `RecurrenceRevised` method; version 13 soft line breaks (payload mode flag 16); version
/// 14 blocks sorted in pieces (payload mode flag 32); version 15 glyph streams rendered in two
/// parts (payload mode flag 64). This library still reads versions 1 to 14.
pub const VERSION: u8 = 15;
/// The oldest format version this library reads.
pub const OLDEST_VERSION: u8 = 1;
/// Stream flag bits a decoder must find clear; the other four bits are ignorable.
pub const RESERVED_FLAGS: u8 = 0x0F;
/// Size of the trailer at the very end of a stream: footer length, footer CRC, end magic.
pub const TRAILER_LEN: usize = 16;
/// Longest possible frame header.
pub const MAX_FRAME_HEADER_LEN: usize = 4 + 1 + 4 * varint::MAX_VARINT_LEN + 8 + 4 + 4;
/// Largest frame the format allows (the BWT stage indexes blocks with 32-bit integers).
pub const MAX_FRAME_SIZE: u64 = 1 << 30;

/// What is wrong with a header, before context (frame index, offset) is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The magic number is not the expected one.
    BadMagic,
    /// The version is not one this library reads.
    UnsupportedVersion(u8),
    /// A must-be-zero flag bit is set.
    ReservedFlags(u8),
    /// The header's CRC does not match.
    Checksum,
    /// A field is malformed or out of range; the string names it.
    Field(&'static str),
}

fn field(buf: &[u8], pos: &mut usize, name: &'static str) -> Result<Option<u64>, HeaderError> {
    match varint::get(&buf[*pos..]) {
        Ok((v, n)) => {
            *pos += n;
            Ok(Some(v))
        }
        Err(VarintError::Truncated) => Ok(None),
        Err(VarintError::Invalid) => Err(HeaderError::Field(name)),
    }
}

fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let bytes = buf.get(*pos..*pos + N)?;
    *pos += N;
    Some(bytes.try_into().expect("slice of length N"))
}

fn check_magic(buf: &[u8], magic: &[u8; 4]) -> Result<bool, HeaderError> {
    let n = buf.len().min(4);
    if buf[..n] != magic[..n] {
        return Err(HeaderError::BadMagic);
    }
    Ok(n == 4)
}

macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

/// The stream header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamHeader {
    /// Ignorable flag bits (the reserved ones are always zero here).
    pub flags: u8,
    /// Largest decoded size of any frame in the stream.
    pub max_frame_size: u64,
    /// Largest context-model table any `Context` frame uses, as a power of two of groups
    /// (0: the stream has no `Context` frames). Decoders budget memory by it.
    pub context_log: u8,
    /// Id of the codebook the stream was encoded with (0: none).
    pub codebook_id: u32,
    /// Hash of that codebook (0: none).
    pub codebook_hash: u64,
}

impl StreamHeader {
    /// Appends the header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&STREAM_MAGIC);
        out.push(VERSION);
        out.push(self.flags & !RESERVED_FLAGS);
        out.push(self.context_log);
        varint::put(out, self.max_frame_size);
        out.extend_from_slice(&self.codebook_id.to_le_bytes());
        out.extend_from_slice(&self.codebook_hash.to_le_bytes());
        let crc = header_crc(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Parses a header at the start of `buf`: `Ok(None)` if `buf` is too short to tell.
    pub fn parse(buf: &[u8]) -> Result<Option<(StreamHeader, usize)>, HeaderError> {
        if !check_magic(buf, &STREAM_MAGIC)? {
            return Ok(None);
        }
        let mut pos = 4;
        let [version, flags] = need!(fixed::<2>(buf, &mut pos));
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let context_log = match version {
            1 => 0,
            _ => need!(fixed::<1>(buf, &mut pos))[0],
        };
        let max_frame_size = need!(field(buf, &mut pos, "max frame size")?);
        let codebook_id = u32::from_le_bytes(need!(fixed(buf, &mut pos)));
        let codebook_hash = u64::from_le_bytes(need!(fixed(buf, &mut pos)));
        let crc = u32::from_le_bytes(need!(fixed(buf, &mut pos)));
        if crc != header_crc(&buf[..pos - 4]) {
            return Err(HeaderError::Checksum);
        }
        if flags & RESERVED_FLAGS != 0 {
            return Err(HeaderError::ReservedFlags(flags & RESERVED_FLAGS));
        }
        if max_frame_size == 0 || max_frame_size > MAX_FRAME_SIZE {
            return Err(HeaderError::Field("max frame size"));
        }
        if context_log != 0
            && !(wordcm::MIN_TABLE_LOG..=wordcm::MAX_TABLE_LOG).contains(&context_log)
        {
            return Err(HeaderError::Field("context model size"));
        }
        Ok(Some((
            StreamHeader {
                flags,
                max_frame_size,
                context_log,
                codebook_id,
                codebook_hash,
            },
            pos,
        )))
    }
}

/// A frame header; the payload follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// How the payload is coded.
    pub method: Method,
    /// The frame's position in its stream, from 0.
    pub index: u64,
    /// Offset of the frame's first decoded byte within the stream's content.
    pub offset: u64,
    /// Decoded size in bytes (at least 1).
    pub decoded_size: u64,
    /// Payload size in bytes (at most `decoded_size`).
    pub payload_size: u64,
    /// XXH64 of the decoded bytes.
    pub content_hash: u64,
    /// CRC32C of the payload bytes, so that damage to them is caught even where it would not
    /// change the decoded bytes.
    pub payload_crc: u32,
}

impl FrameHeader {
    /// Appends the header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&FRAME_MAGIC);
        out.push(self.method as u8);
        varint::put(out, self.index);
        varint::put(out, self.offset);
        varint::put(out, self.decoded_size);
        varint::put(out, self.payload_size);
        out.extend_from_slice(&self.content_hash.to_le_bytes());
        out.extend_from_slice(&self.payload_crc.to_le_bytes());
        let crc = header_crc(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Parses a frame header at the start of `buf`, checking it against the stream's limits.
    pub fn parse(
        buf: &[u8],
        max_frame_size: u64,
    ) -> Result<Option<(FrameHeader, usize)>, HeaderError> {
        if !check_magic(buf, &FRAME_MAGIC)? {
            return Ok(None);
        }
        let mut pos = 4;
        let [method] = need!(fixed::<1>(buf, &mut pos));
        let index = need!(field(buf, &mut pos, "frame index")?);
        let offset = need!(field(buf, &mut pos, "frame offset")?);
        let decoded_size = need!(field(buf, &mut pos, "decoded size")?);
        let payload_size = need!(field(buf, &mut pos, "payload size")?);
        let content_hash = u64::from_le_bytes(need!(fixed(buf, &mut pos)));
        let payload_crc = u32::from_le_bytes(need!(fixed(buf, &mut pos)));
        let crc = u32::from_le_bytes(need!(fixed(buf, &mut pos)));
        if crc != header_crc(&buf[..pos - 4]) {
            return Err(HeaderError::Checksum);
        }
        let method = Method::from_byte(method).ok_or(HeaderError::Field("method"))?;
        if decoded_size == 0 || decoded_size > max_frame_size {
            return Err(HeaderError::Field("decoded size"));
        }
        let plausible = match method {
            Method::Stored => payload_size == decoded_size,
            // Every other method codes the content.
            _ => payload_size < decoded_size && decoded_size <= max_decoded_size(payload_size),
        };
        if !plausible {
            return Err(HeaderError::Field("payload size"));
        }
        Ok(Some((
            FrameHeader {
                method,
                index,
                offset,
                decoded_size,
                payload_size,
                content_hash,
                payload_crc,
            },
            pos,
        )))
    }
}

/// One seek-index entry: where a frame is and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexEntry {
    /// Bytes of the frame in the stream, header included.
    pub frame_bytes: u64,
    /// Decoded bytes of the frame.
    pub decoded_size: u64,
}

/// The fixed part of the footer, before the index entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FooterHead {
    /// Number of frames in the stream.
    pub frame_count: u64,
    /// Total decoded size of the stream.
    pub total_size: u64,
    /// XXH64 of the stream's whole decoded content.
    pub content_hash: u64,
}

/// Writes a complete footer (head, index entries, trailer) to `out`.
pub fn write_footer(head: &FooterHead, entries: &[IndexEntry], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&FOOTER_MAGIC);
    varint::put(out, head.frame_count);
    varint::put(out, head.total_size);
    out.extend_from_slice(&head.content_hash.to_le_bytes());
    for e in entries {
        varint::put(out, e.frame_bytes);
        varint::put(out, e.decoded_size);
    }
    let footer_len = (out.len() - start + TRAILER_LEN) as u64;
    out.extend_from_slice(&footer_len.to_le_bytes());
    let crc = header_crc(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&END_MAGIC);
}

/// Parses the footer head at the start of `buf` (magic included).
pub fn parse_footer_head(buf: &[u8]) -> Result<Option<(FooterHead, usize)>, HeaderError> {
    if !check_magic(buf, &FOOTER_MAGIC)? {
        return Ok(None);
    }
    let mut pos = 4;
    let frame_count = need!(field(buf, &mut pos, "frame count")?);
    let total_size = need!(field(buf, &mut pos, "total size")?);
    let content_hash = u64::from_le_bytes(need!(fixed(buf, &mut pos)));
    Ok(Some((
        FooterHead {
            frame_count,
            total_size,
            content_hash,
        },
        pos,
    )))
}

/// Parses one index entry at the start of `buf`.
pub fn parse_index_entry(buf: &[u8]) -> Result<Option<(IndexEntry, usize)>, HeaderError> {
    let mut pos = 0;
    let frame_bytes = need!(field(buf, &mut pos, "index frame size")?);
    let decoded_size = need!(field(buf, &mut pos, "index decoded size")?);
    Ok(Some((
        IndexEntry {
            frame_bytes,
            decoded_size,
        },
        pos,
    )))
}

/// The trailer: the last [`TRAILER_LEN`] bytes of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// Length of the whole footer, magic to end magic.
    pub footer_len: u64,
    /// CRC32C of every footer byte before the CRC.
    pub footer_crc: u32,
}

/// Parses a trailer from exactly [`TRAILER_LEN`] bytes.
pub fn parse_trailer(buf: &[u8; TRAILER_LEN]) -> Result<Trailer, HeaderError> {
    if buf[12..] != END_MAGIC {
        return Err(HeaderError::BadMagic);
    }
    let footer_len = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
    let footer_crc = u32::from_le_bytes(buf[8..12].try_into().expect("4 bytes"));
    Ok(Trailer {
        footer_len,
        footer_crc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> StreamHeader {
        StreamHeader {
            flags: 0,
            max_frame_size: 1 << 20,
            context_log: 20,
            codebook_id: 0,
            codebook_hash: 0,
        }
    }

    #[test]
    fn stream_header_round_trips_and_needs_every_byte() {
        let mut buf = Vec::new();
        header().write(&mut buf);
        assert_eq!(StreamHeader::parse(&buf), Ok(Some((header(), buf.len()))));
        for cut in 0..buf.len() {
            assert_eq!(StreamHeader::parse(&buf[..cut]), Ok(None), "cut {cut}");
        }
    }

    #[test]
    fn stream_header_errors_are_exact() {
        let mut buf = Vec::new();
        header().write(&mut buf);
        let mut bad = buf.clone();
        bad[0] = b'x';
        assert_eq!(StreamHeader::parse(&bad), Err(HeaderError::BadMagic));
        let mut bad = buf.clone();
        bad[4] = VERSION + 1;
        assert_eq!(
            StreamHeader::parse(&bad),
            Err(HeaderError::UnsupportedVersion(VERSION + 1))
        );
        let with_crc = |at: usize, value: u8| {
            let mut bad = buf[..buf.len() - 4].to_vec();
            bad[at] = value;
            let crc = header_crc(&bad);
            bad.extend_from_slice(&crc.to_le_bytes());
            StreamHeader::parse(&bad)
        };
        for log in [1, wordcm::MIN_TABLE_LOG - 1, wordcm::MAX_TABLE_LOG + 1] {
            assert_eq!(
                with_crc(6, log),
                Err(HeaderError::Field("context model size"))
            );
        }
        assert!(with_crc(6, 0).unwrap().is_some());
        let mut bad = buf.clone();
        bad[10] ^= 1;
        assert_eq!(StreamHeader::parse(&bad), Err(HeaderError::Checksum));
        // A reserved flag with a valid CRC is reported as such; an ignorable one is accepted.
        let mut flagged = Vec::new();
        StreamHeader {
            flags: 0x10,
            ..header()
        }
        .write(&mut flagged);
        assert!(StreamHeader::parse(&flagged).unwrap().is_some());
        let mut reserved = flagged[..flagged.len() - 4].to_vec();
        reserved[5] = 0x01;
        let crc = header_crc(&reserved);
        reserved.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(
            StreamHeader::parse(&reserved),
            Err(HeaderError::ReservedFlags(1))
        );
    }

    #[test]
    fn frame_header_round_trips_and_checks_sizes() {
        let h = FrameHeader {
            method: Method::Glyph,
            index: 7,
            offset: 1 << 40,
            decoded_size: 1000,
            payload_size: 300,
            content_hash: 0x0123_4567_89ab_cdef,
            payload_crc: 0x89ab_cdef,
        };
        let mut buf = Vec::new();
        h.write(&mut buf);
        assert!(buf.len() <= MAX_FRAME_HEADER_LEN);
        assert_eq!(FrameHeader::parse(&buf, 1 << 20), Ok(Some((h, buf.len()))));
        assert_eq!(
            FrameHeader::parse(&buf, 999),
            Err(HeaderError::Field("decoded size"))
        );
        let mut buf = Vec::new();
        FrameHeader {
            payload_size: 1000,
            ..h
        }
        .write(&mut buf);
        assert_eq!(
            FrameHeader::parse(&buf, 1 << 20),
            Err(HeaderError::Field("payload size"))
        );
    }

    #[test]
    fn footer_round_trips() {
        let head = FooterHead {
            frame_count: 2,
            total_size: 30,
            content_hash: 99,
        };
        let entries = [
            IndexEntry {
                frame_bytes: 40,
                decoded_size: 10,
            },
            IndexEntry {
                frame_bytes: 50,
                decoded_size: 20,
            },
        ];
        let mut buf = Vec::new();
        write_footer(&head, &entries, &mut buf);
        let (parsed, mut pos) = parse_footer_head(&buf).unwrap().unwrap();
        assert_eq!(parsed, head);
        for e in entries {
            let (got, n) = parse_index_entry(&buf[pos..]).unwrap().unwrap();
            assert_eq!(got, e);
            pos += n;
        }
        let trailer = parse_trailer(buf[buf.len() - TRAILER_LEN..].try_into().unwrap()).unwrap();
        assert_eq!(trailer.footer_len as usize, buf.len());
        assert_eq!(trailer.footer_crc, header_crc(&buf[..buf.len() - 8]));
        assert_eq!(pos, buf.len() - TRAILER_LEN);
    }
}
