//! Damage recovery: decode every intact frame of a damaged stream and say exactly what was lost.
//!
//! The scanner looks for frame sync markers (the frame magic), accepts a frame only if its
//! header CRC, sizes and content checksum all hold, and places it by the content offset its
//! header records. The content between the end of the last good frame and the start of the
//! next one is reported lost, in offsets of the original content, so the output is the
//! original minus exactly the reported ranges. Memory stays bounded by one frame.

use crate::checksum::content_hash;
use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::format::{
    self, FrameHeader, StreamHeader, END_MAGIC, FOOTER_MAGIC, FRAME_MAGIC, MAX_FRAME_SIZE,
    STREAM_MAGIC, TRAILER_LEN,
};
use crate::options::DecoderOptions;
use crate::{frame, wordcm};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// A stretch of the original content that could not be recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRange {
    /// First lost byte (offset in the original content), when it can be known.
    pub start: Option<u64>,
    /// End of the lost stretch (exclusive), when it can be known.
    pub end: Option<u64>,
    /// Why, in a few words.
    pub reason: String,
}

/// What a recovery run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoverySummary {
    /// Frames decoded and written.
    pub frames_recovered: u64,
    /// Bytes written.
    pub bytes_recovered: u64,
    /// Damaged stretches, in content order.
    pub lost: Vec<LostRange>,
}

struct Scanner<R: Read> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    file_pos: u64,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    /// Makes at least `n` bytes available (fewer only at end of input); returns what is there.
    fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.buf.len() - self.start < n && !self.eof {
            if self.start > 0 && self.start >= self.buf.len() / 2 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            let old = self.buf.len();
            let want = (n - (old - self.start)).max(64 << 10);
            self.buf.resize(old + want, 0);
            let got = loop {
                match self.reader.read(&mut self.buf[old..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            };
            self.buf.truncate(old + got);
            self.eof = got == 0;
        }
        let end = self.buf.len().min(self.start + n);
        Ok(&self.buf[self.start..end])
    }

    fn advance(&mut self, n: usize) {
        self.start += n;
        self.file_pos += n as u64;
    }
}

/// Per-stream bookkeeping: where the stream starts in the content, where the next frame should.
struct Cursor {
    base: Option<u64>,
    expected: u64,
    max_frame: u64,
    context_log: u8,
    /// The codebook the stream header names, if the caller has it.
    codebook: Option<Arc<Codebook>>,
    /// The id the stream header names (0: none), for reporting frames that need it.
    codebook_id: u32,
    in_stream: bool,
}

impl Cursor {
    fn absolute(&self, offset: u64) -> Option<u64> {
        self.base.map(|b| b + offset)
    }
}

/// Recovers what can be recovered from `input` into `output`; `on_lost` hears about each loss
/// as soon as it is known. Frames coded over a codebook that `options` lack are lost.
pub fn recover<R: Read, W: Write>(
    input: R,
    mut output: W,
    options: &DecoderOptions,
    mut on_lost: impl FnMut(&LostRange),
) -> Result<RecoverySummary> {
    let mut scan = Scanner {
        reader: input,
        buf: Vec::new(),
        start: 0,
        file_pos: 0,
        eof: false,
    };
    let mut summary = RecoverySummary::default();
    let mut cur = Cursor {
        base: Some(0),
        expected: 0,
        max_frame: MAX_FRAME_SIZE,
        context_log: wordcm::MAX_TABLE_LOG,
        codebook: None,
        codebook_id: 0,
        in_stream: false,
    };
    let mut lose =
        |summary: &mut RecoverySummary, start: Option<u64>, end: Option<u64>, reason: String| {
            let range = LostRange { start, end, reason };
            on_lost(&range);
            summary.lost.push(range);
        };
    let mut payload_out = Vec::new();
    let mut seen_structure = false;
    loop {
        let window = scan.fill(4)?;
        if window.len() < 4 {
            break;
        }
        let magic: [u8; 4] = window[..4].try_into().expect("four bytes");
        let at = scan.file_pos;
        if magic == STREAM_MAGIC {
            let head = scan.fill(32)?;
            if let Ok(Some((header, used))) = StreamHeader::parse(head) {
                if cur.in_stream {
                    // The previous stream's footer is gone: its end cannot be known.
                    let start = cur.absolute(cur.expected);
                    lose(
                        &mut summary,
                        start,
                        None,
                        format!("stream at byte {at} starts before the previous one ended"),
                    );
                    cur.base = None;
                }
                cur.max_frame = header.max_frame_size;
                cur.context_log = header.context_log;
                cur.codebook = options
                    .find_codebook(header.codebook_id, header.codebook_hash, at)
                    .ok()
                    .flatten();
                cur.codebook_id = header.codebook_id;
                cur.expected = 0;
                cur.in_stream = true;
                seen_structure = true;
                scan.advance(used);
                continue;
            }
        } else if magic == FRAME_MAGIC {
            let head = scan.fill(format::MAX_FRAME_HEADER_LEN)?;
            if let Ok(Some((header, used))) = FrameHeader::parse(head, cur.max_frame) {
                cur.in_stream = true;
                seen_structure = true;
                if header.offset < cur.expected {
                    scan.advance(1); // a stale or duplicated frame: ignore it
                    continue;
                }
                let start = cur.absolute(header.offset);
                if header.offset > cur.expected {
                    lose(
                        &mut summary,
                        cur.absolute(cur.expected),
                        start,
                        format!("damage before frame {} at byte {at}", header.index),
                    );
                }
                let total = used + header.payload_size as usize;
                let frame = scan.fill(total)?;
                let end = cur.absolute(header.offset + header.decoded_size);
                if frame.len() < total {
                    let available = frame.len();
                    lose(
                        &mut summary,
                        start,
                        end,
                        format!("frame {} at byte {at} is cut short", header.index),
                    );
                    cur.expected = header.offset + header.decoded_size;
                    scan.advance(available);
                    continue;
                }
                let payload = &frame[used..total];
                let mut decode_over = |codebook: Option<&Codebook>| {
                    payload_out.clear();
                    frame::decode(
                        header.method,
                        payload,
                        header.decoded_size as usize,
                        cur.context_log,
                        codebook,
                        &mut payload_out,
                    )
                    .map(|()| content_hash(&payload_out) == header.content_hash)
                };
                let mut decoded = if crate::checksum::header_crc(payload) == header.payload_crc {
                    decode_over(cur.codebook.as_deref())
                } else {
                    Ok(false)
                };
                if decoded == Err(frame::PayloadError::NoCodebook) && cur.codebook.is_none() {
                    // No accepted stream header names a codebook the caller has (the header
                    // may be the damaged part): try each, and let the content hash tell.
                    for book in options.known_codebooks() {
                        if decode_over(Some(&book)) == Ok(true) {
                            decoded = Ok(true);
                            break;
                        }
                    }
                }
                if decoded == Err(frame::PayloadError::NoCodebook) {
                    let needs = match cur.codebook_id {
                        0 => "a codebook this reader does not have".to_string(),
                        id => format!("codebook {id:08x}"),
                    };
                    lose(
                        &mut summary,
                        start,
                        end,
                        format!("frame {} at byte {at} needs {needs}", header.index),
                    );
                    scan.advance(total);
                } else if decoded == Ok(true) {
                    output.write_all(&payload_out)?;
                    summary.frames_recovered += 1;
                    summary.bytes_recovered += payload_out.len() as u64;
                    scan.advance(total);
                } else {
                    lose(
                        &mut summary,
                        start,
                        end,
                        format!("frame {} at byte {at} is damaged", header.index),
                    );
                    scan.advance(used);
                }
                cur.expected = header.offset + header.decoded_size;
                continue;
            }
        } else if magic == FOOTER_MAGIC {
            if let Some((total_size, used)) = parse_footer(&mut scan)? {
                seen_structure = true;
                if total_size > cur.expected {
                    lose(
                        &mut summary,
                        cur.absolute(cur.expected),
                        cur.absolute(total_size),
                        format!("damage before the footer at byte {at}"),
                    );
                }
                cur.base = cur.base.map(|b| b + total_size);
                cur.expected = 0;
                cur.in_stream = false;
                scan.advance(used);
                continue;
            }
        }
        // Not a valid structure here: look for the next candidate marker.
        let window = scan.fill(64 << 10)?;
        let skip = window[1..]
            .iter()
            .position(|&b| b == 0xFE)
            .map_or(window.len(), |p| p + 1);
        scan.advance(skip);
    }
    if cur.in_stream {
        lose(
            &mut summary,
            cur.absolute(cur.expected),
            None,
            "the stream's end (footer) is missing".to_string(),
        );
    } else if !seen_structure && scan.file_pos > 0 {
        lose(
            &mut summary,
            Some(0),
            None,
            "no intact stream header, frame or footer found".to_string(),
        );
    }
    output.flush()?;
    Ok(summary)
}

/// Validates a complete footer at the scanner's position; returns its total size and length.
fn parse_footer<R: Read>(scan: &mut Scanner<R>) -> Result<Option<(u64, usize)>> {
    let at = scan.file_pos;
    let mut len = 0;
    loop {
        let bytes = scan.fill(len + 64)?;
        let Ok(Some((head, mut pos))) = format::parse_footer_head(bytes) else {
            if bytes.len() < len + 64 {
                return Ok(None);
            }
            len += 64;
            if len > 64 {
                return Ok(None);
            }
            continue;
        };
        let mut entries_ok = true;
        for _ in 0..head.frame_count {
            let bytes = scan.fill(pos + 20)?;
            match format::parse_index_entry(&bytes[pos..]) {
                Ok(Some((_, n))) => pos += n,
                _ => {
                    entries_ok = false;
                    break;
                }
            }
            if pos > (64 << 20) {
                entries_ok = false;
                break;
            }
        }
        if !entries_ok {
            return Ok(None);
        }
        let bytes = scan.fill(pos + TRAILER_LEN)?;
        if bytes.len() < pos + TRAILER_LEN || bytes[pos + 12..pos + 16] != END_MAGIC {
            return Ok(None);
        }
        let trailer = format::parse_trailer(
            bytes[pos..pos + TRAILER_LEN]
                .try_into()
                .expect("trailer length"),
        )
        .map_err(|e| Error::footer(e, at))?;
        let crc = crate::checksum::header_crc(&bytes[..pos + 8]);
        if crc != trailer.footer_crc || trailer.footer_len != (pos + TRAILER_LEN) as u64 {
            return Ok(None);
        }
        return Ok(Some((head.total_size, pos + TRAILER_LEN)));
    }
}
