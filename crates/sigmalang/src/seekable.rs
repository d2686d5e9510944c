//! Random access: the seek index read from the end of a stream, and `SeekableDecoder`, which
//! reads any byte range of the original by decoding only the frames that overlap it.
//!
//! The index is located through the trailer at the very end of the file, checked against its
//! CRC, and every frame read through it is checked against its index entry, so a damaged index
//! is an error rather than wrong bytes. Concatenated streams are indexed one after another.

use crate::checksum::content_hash;
use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::format::{self, FrameHeader, IndexEntry, StreamHeader, TRAILER_LEN};
use crate::frame;
use crate::options::{decode_memory_per_thread, resolve_threads, DecoderOptions};
use crate::pipeline::IdleCores;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

/// Where one frame is, in the file and in the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLocation {
    /// Index of the stream the frame belongs to (0 for the first of concatenated streams).
    pub stream: usize,
    /// Index of the frame within its stream.
    pub index: u64,
    /// Byte offset of the frame header in the file.
    pub file_offset: u64,
    /// Bytes of the frame in the file (header and payload).
    pub frame_bytes: u64,
    /// Offset of the frame's first byte in the whole decoded content.
    pub content_offset: u64,
    /// Decoded bytes.
    pub decoded_size: u64,
}

/// What the index says about one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Offset of the stream header in the file.
    pub file_offset: u64,
    /// Total bytes of the stream in the file.
    pub stream_bytes: u64,
    /// The stream header.
    pub header: StreamHeader,
    /// Bytes of the stream header (it depends on the version and one varint).
    pub header_len: usize,
    /// The stream's format version.
    pub version: u8,
    /// Frames in the stream.
    pub frame_count: u64,
    /// Decoded size of the stream.
    pub total_size: u64,
    /// XXH64 of the stream's content, from the footer.
    pub content_hash: u64,
    /// Offset of the stream's first byte in the whole decoded content.
    pub content_offset: u64,
}

/// The seek index of a file: its streams and all their frames, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeekIndex {
    /// Streams in file order.
    pub streams: Vec<StreamInfo>,
    /// Frames in file order, with content offsets running across streams.
    pub frames: Vec<FrameLocation>,
}

/// Reads `buf.len()` bytes at `offset`; `inside` names what was being read if the file ends.
fn read_exact_at<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    buf: &mut [u8],
    inside: &'static str,
) -> Result<()> {
    r.seek(SeekFrom::Start(offset))?;
    r.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Truncated {
            offset: offset + buf.len() as u64,
            inside,
        },
        _ => Error::Io(e),
    })
}

impl SeekIndex {
    /// Decoded size of the whole content.
    pub fn total_size(&self) -> u64 {
        self.frames
            .last()
            .map_or(0, |f| f.content_offset + f.decoded_size)
    }

    /// Reads the index of every stream in `r`, walking back from the end of the file.
    pub fn read<R: Read + Seek>(r: &mut R) -> Result<SeekIndex> {
        let file_len = r.seek(SeekFrom::End(0))?;
        let mut end = file_len;
        let mut streams: Vec<(StreamInfo, Vec<IndexEntry>)> = Vec::new();
        loop {
            let (info, entries) = Self::read_stream_ending_at(r, end)?;
            end = info.file_offset;
            streams.push((info, entries));
            if end == 0 {
                break;
            }
        }
        streams.reverse();
        let mut index = SeekIndex::default();
        let mut content_offset = 0;
        for (stream_no, (mut info, entries)) in streams.into_iter().enumerate() {
            info.content_offset = content_offset;
            let mut at = info.file_offset + info.header_len as u64;
            for (i, e) in entries.iter().enumerate() {
                index.frames.push(FrameLocation {
                    stream: stream_no,
                    index: i as u64,
                    file_offset: at,
                    frame_bytes: e.frame_bytes,
                    content_offset,
                    decoded_size: e.decoded_size,
                });
                at += e.frame_bytes;
                content_offset += e.decoded_size;
            }
            index.streams.push(info);
        }
        Ok(index)
    }

    /// Reads the footer of the stream that ends at `end`, and finds that stream's header.
    fn read_stream_ending_at<R: Read + Seek>(
        r: &mut R,
        end: u64,
    ) -> Result<(StreamInfo, Vec<IndexEntry>)> {
        let bad = |offset, what| Error::Footer { offset, what };
        if end < TRAILER_LEN as u64 {
            return Err(Error::Truncated {
                offset: end,
                inside: "before the stream trailer",
            });
        }
        let mut trailer = [0u8; TRAILER_LEN];
        read_exact_at(
            r,
            end - TRAILER_LEN as u64,
            &mut trailer,
            "in the stream trailer",
        )?;
        let trailer = format::parse_trailer(&trailer).map_err(|_| Error::Truncated {
            offset: end,
            inside: "(no stream trailer at the end)",
        })?;
        if trailer.footer_len > end || trailer.footer_len < TRAILER_LEN as u64 + 4 {
            return Err(bad(end - TRAILER_LEN as u64, "footer length out of range"));
        }
        let footer_start = end - trailer.footer_len;
        r.seek(SeekFrom::Start(footer_start))?;
        let mut footer = BufReader::new(r.by_ref().take(trailer.footer_len - 8));
        let mut bytes = Vec::new();
        let head = read_parsed(&mut footer, &mut bytes, format::parse_footer_head)
            .map_err(|e| Error::footer(e, footer_start))?;
        let mut crc = crc32c::crc32c(&bytes);
        let mut entries = Vec::new();
        for _ in 0..head.frame_count {
            bytes.clear();
            let entry = read_parsed(&mut footer, &mut bytes, format::parse_index_entry)
                .map_err(|e| Error::footer(e, footer_start))?;
            crc = crc32c::crc32c_append(crc, &bytes);
            if entry.frame_bytes == 0 || entry.decoded_size == 0 {
                return Err(bad(footer_start, "empty frame in the seek index"));
            }
            entries.push(entry);
        }
        let mut len_bytes = [0u8; 8];
        footer
            .read_exact(&mut len_bytes)
            .map_err(|_| bad(footer_start, "footer length mismatch"))?;
        crc = crc32c::crc32c_append(crc, &len_bytes);
        if crc != trailer.footer_crc {
            return Err(bad(footer_start, "checksum mismatch"));
        }
        if footer.read(&mut [0u8; 1])? != 0 {
            return Err(bad(footer_start, "footer length mismatch"));
        }
        if entries.iter().map(|e| e.decoded_size).sum::<u64>() != head.total_size {
            return Err(bad(
                footer_start,
                "seek index sizes do not add up to the total size",
            ));
        }
        let frames_bytes: u64 = entries.iter().map(|e| e.frame_bytes).sum();
        let header_end = footer_start
            .checked_sub(frames_bytes)
            .ok_or(bad(footer_start, "seek index larger than the file"))?;
        // The stream header's length depends on one varint: try each possible length.
        for len in MIN_HEADER_LEN..=MIN_HEADER_LEN + 10 {
            let Some(start) = header_end.checked_sub(len as u64) else {
                break;
            };
            let mut buf = vec![0u8; len];
            read_exact_at(r, start, &mut buf, "in the stream header")?;
            if let Ok(Some((header, used))) = StreamHeader::parse(&buf) {
                if used == len {
                    let info = StreamInfo {
                        file_offset: start,
                        stream_bytes: end - start,
                        header,
                        header_len: used,
                        version: buf[4],
                        frame_count: head.frame_count,
                        total_size: head.total_size,
                        content_hash: head.content_hash,
                        content_offset: 0,
                    };
                    return Ok((info, entries));
                }
            }
        }
        Err(bad(
            footer_start,
            "seek index does not lead back to a stream header",
        ))
    }

    /// The frame holding content byte `offset`, if any.
    pub fn frame_at(&self, offset: u64) -> Option<usize> {
        let i = self
            .frames
            .partition_point(|f| f.content_offset + f.decoded_size <= offset);
        (i < self.frames.len()).then_some(i)
    }
}

/// Shortest stream header (version 1): magic, version, flags, a one-byte varint, codebook id
/// and hash, CRC. Version 2 adds one byte.
const MIN_HEADER_LEN: usize = 4 + 1 + 1 + 1 + 4 + 8 + 4;

fn read_parsed<T>(
    r: &mut impl Read,
    acc: &mut Vec<u8>,
    parse: impl Fn(&[u8]) -> std::result::Result<Option<(T, usize)>, format::HeaderError>,
) -> std::result::Result<T, format::HeaderError> {
    let mut byte = [0u8; 1];
    loop {
        if let Some((value, _)) = parse(acc)? {
            return Ok(value);
        }
        match r.read(&mut byte) {
            Ok(1) => acc.push(byte[0]),
            _ => return Err(format::HeaderError::Field("footer ends early")),
        }
    }
}

/// Reads one frame through the index and decodes it, checking the frame against its entry.
/// `codebook` is the one its stream header names; the parts of its block are decoded on the
/// idle ones of `cores`.
pub fn decode_frame_at<R: Read + Seek>(
    r: &mut R,
    index: &SeekIndex,
    frame_no: usize,
    codebook: Option<&Codebook>,
    cores: &IdleCores,
    out: &mut Vec<u8>,
) -> Result<()> {
    let loc = index.frames[frame_no];
    let stream = &index.streams[loc.stream];
    let mismatch = |what| Error::FrameHeader {
        frame: loc.index,
        offset: loc.file_offset,
        what,
    };
    let mut head = vec![0u8; (format::MAX_FRAME_HEADER_LEN as u64).min(loc.frame_bytes) as usize];
    read_exact_at(r, loc.file_offset, &mut head, "in a frame header")?;
    let (header, used) = FrameHeader::parse(&head, stream.header.max_frame_size)
        .map_err(|e| Error::frame_header(e, loc.index, loc.file_offset))?
        .ok_or_else(|| mismatch("frame shorter than its header"))?;
    let stream_offset = loc.content_offset - stream.content_offset;
    if header.index != loc.index
        || header.decoded_size != loc.decoded_size
        || used as u64 + header.payload_size != loc.frame_bytes
        || header.offset != stream_offset
    {
        return Err(mismatch("frame disagrees with the seek index"));
    }
    let mut payload = vec![0u8; header.payload_size as usize];
    read_exact_at(
        r,
        loc.file_offset + used as u64,
        &mut payload,
        "in a frame payload",
    )?;
    if crate::checksum::header_crc(&payload) != header.payload_crc {
        return Err(Error::PayloadChecksum {
            frame: loc.index,
            offset: loc.file_offset,
        });
    }
    let start = out.len();
    let _core = cores.occupy();
    frame::decode_gated(
        header.method,
        &payload,
        header.decoded_size as usize,
        stream.header.context_log,
        codebook,
        out,
        cores,
    )
    .map_err(|source| Error::Payload {
        frame: loc.index,
        offset: loc.file_offset,
        source,
    })?;
    if content_hash(&out[start..]) != header.content_hash {
        out.truncate(start);
        return Err(Error::ContentChecksum {
            frame: loc.index,
            offset: loc.file_offset,
        });
    }
    Ok(())
}

/// A decoder that can seek: `Read + Seek` over the original content of a `.sigma` file.
pub struct SeekableDecoder<R: Read + Seek> {
    inner: R,
    index: SeekIndex,
    /// The codebook each stream's header names.
    codebooks: Vec<Option<Arc<Codebook>>>,
    pos: u64,
    cached: Option<(usize, Vec<u8>)>,
    /// The threads a frame's parts may use (`DecoderOptions::threads`).
    cores: IdleCores,
}

impl<R: Read + Seek> SeekableDecoder<R> {
    /// Opens a seekable stream, reading its index; `options.memory_limit` bounds the frame size.
    pub fn new(mut inner: R, options: &DecoderOptions) -> Result<Self> {
        let index = SeekIndex::read(&mut inner)?;
        let mut codebooks = Vec::with_capacity(index.streams.len());
        for s in &index.streams {
            let (id, hash) = (s.header.codebook_id, s.header.codebook_hash);
            codebooks.push(options.find_codebook(id, hash, s.file_offset)?);
            let needed = decode_memory_per_thread(s.header.max_frame_size, s.header.context_log);
            if needed > options.memory_limit {
                return Err(Error::MemoryLimit {
                    needed,
                    limit: options.memory_limit,
                });
            }
        }
        Ok(SeekableDecoder {
            inner,
            index,
            codebooks,
            pos: 0,
            cached: None,
            // Frames are decoded one at a time, on this thread: every other core may take
            // their parts.
            cores: IdleCores::new(resolve_threads(options.threads), 1),
        })
    }

    /// The index.
    pub fn index(&self) -> &SeekIndex {
        &self.index
    }

    /// Decoded size of the whole content.
    pub fn content_len(&self) -> u64 {
        self.index.total_size()
    }
}

impl<R: Read + Seek> Read for SeekableDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(frame_no) = self.index.frame_at(self.pos) else {
            return Ok(0);
        };
        if self.cached.as_ref().is_none_or(|(n, _)| *n != frame_no) {
            let mut data = self.cached.take().map(|(_, d)| d).unwrap_or_default();
            data.clear();
            let codebook = self.codebooks[self.index.frames[frame_no].stream].as_deref();
            let (index, cores) = (&self.index, &self.cores);
            decode_frame_at(&mut self.inner, index, frame_no, codebook, cores, &mut data)?;
            self.cached = Some((frame_no, data));
        }
        let (_, data) = self.cached.as_ref().expect("just decoded");
        let loc = self.index.frames[frame_no];
        let start = (self.pos - loc.content_offset) as usize;
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekableDecoder<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.content_len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}
