//! The `Read` adapters: `read::Decoder` turns a ΣLANG stream back into plain bytes, and
//! `read::Encoder` hands out the stream of what it reads (the encoder of [`crate::write`],
//! driven from the reading side).
//!
//! The decoder reads frame headers and payloads in order (exactly as many bytes as the format
//! says, never more, so the reader is left right after the stream), decodes frames on the
//! worker pool, checks every frame's checksum, and at the footer checks the frame count, the
//! total size, the whole-content checksum and the seek index against what it decoded.
//! Concatenated streams decode to the concatenation of their contents.
//!
//! An inner reader may run dry for now by returning `WouldBlock` (a non-blocking source, or
//! the input [`write::Decoder`] pushes): the decoder keeps what it has read of the structure
//! it is in, returns `WouldBlock` from `read` (after handing out any frame already decoded),
//! and goes on from there when called again.

use crate::checksum::{content_hash, content_hasher, header_crc, ContentHasher};
use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::format::{self, FrameHeader, HeaderError, StreamHeader, FOOTER_MAGIC, TRAILER_LEN};
use crate::frame;
use crate::options::{decode_memory_per_thread, DecoderOptions, EncoderOptions};
use crate::pipeline::{Busy, IdleCores, MemoryGate, OrderedPool, Shares};
use crate::stats::{FrameStat, StreamStats};
use crate::varint;
use crate::write;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;
use std::time::Instant;

struct DecodeJob {
    header: FrameHeader,
    context_log: u8,
    codebook: Option<Arc<Codebook>>,
    payload: Vec<u8>,
    stream_offset: u64,
    frame_bytes: u64,
}

struct DecodedFrame {
    data: Vec<u8>,
    stat: FrameStat,
}

fn decode_job(shares: &Shares, job: DecodeJob) -> Result<DecodedFrame> {
    let started = Instant::now();
    let h = job.header;
    if header_crc(&job.payload) != h.payload_crc {
        return Err(Error::PayloadChecksum {
            frame: h.index,
            offset: job.stream_offset,
        });
    }
    let mut data = Vec::new();
    frame::decode_gated(
        h.method,
        &job.payload,
        h.decoded_size as usize,
        job.context_log,
        job.codebook.as_deref(),
        &mut data,
        shares,
    )
    .map_err(|source| Error::Payload {
        frame: h.index,
        offset: job.stream_offset,
        source,
    })?;
    if content_hash(&data) != h.content_hash {
        return Err(Error::ContentChecksum {
            frame: h.index,
            offset: job.stream_offset,
        });
    }
    let stat = FrameStat {
        decoded: h.decoded_size,
        encoded: job.frame_bytes,
        time: started.elapsed(),
    };
    Ok(DecodedFrame { data, stat })
}

/// Where the decoder is in its input.
enum Phase {
    /// Expecting a stream header (at the start, or after a footer).
    StreamStart,
    /// Inside a stream, reading frames.
    Frames,
    /// The footer magic was read; it is checked once every frame has been collected.
    Footer,
    /// Reading ahead hit an error; it is reported once the frames before it are delivered, so
    /// the first defect in stream order is the one reported, whatever the thread count.
    Failed,
    /// All streams ended.
    Done,
}

struct StreamState {
    header: StreamHeader,
    /// The codebook the header names.
    codebook: Option<Arc<Codebook>>,
    frames_submitted: u64,
    decoded_submitted: u64,
    content: ContentHasher,
    index_bytes: ContentHasher,
}

/// What reading a header, footer head or index entry came to: the structure, what is wrong
/// with it, or `None` if the input ended first.
type Parsed<T> = Option<std::result::Result<T, HeaderError>>;

/// A frame whose header has been read, and as much of its payload as has arrived.
struct PendingFrame {
    header: FrameHeader,
    /// Where the frame header starts in the input.
    offset: u64,
    header_len: usize,
    payload: Vec<u8>,
}

/// How far the footer has been read: its head, then `entries` seek-index entries, then the
/// trailer's bytes so far; with the CRC, length and index hash of what came before.
struct FooterProgress {
    head: format::FooterHead,
    crc: u32,
    len: u64,
    entries: u64,
    index: ContentHasher,
    trailer: Vec<u8>,
}

/// Decodes a ΣLANG stream read from `R`.
pub struct Decoder<R: BufRead> {
    reader: R,
    options: DecoderOptions,
    pool: Option<OrderedPool<(DecodeJob, Busy), Result<DecodedFrame>>>,
    /// Threads and gate budget of the pool.
    pool_shape: (usize, u64),
    /// The pool's idle cores, lent to the last frames of each stream.
    cores: IdleCores,
    phase: Phase,
    stream: Option<StreamState>,
    streams: u64,
    out: Vec<u8>,
    out_pos: usize,
    pos: u64,
    footer_offset: u64,
    /// The bytes read so far of the header, footer head or index entry being read.
    partial: Vec<u8>,
    pending_frame: Option<PendingFrame>,
    footer: Option<FooterProgress>,
    deferred: Option<Error>,
    failed: bool,
    stats: StreamStats,
    started: Option<Instant>,
}

impl<R: BufRead> Decoder<R> {
    /// A decoder with default options (one thread, 4 GiB memory limit).
    pub fn new(reader: R) -> Self {
        Self::with_options(reader, DecoderOptions::default())
    }

    /// A decoder with the given options.
    pub fn with_options(reader: R, options: DecoderOptions) -> Self {
        Decoder {
            reader,
            options,
            pool: None,
            pool_shape: (0, 0),
            cores: IdleCores::new(1, 1),
            phase: Phase::StreamStart,
            stream: None,
            streams: 0,
            out: Vec::new(),
            out_pos: 0,
            pos: 0,
            footer_offset: 0,
            partial: Vec::new(),
            pending_frame: None,
            footer: None,
            deferred: None,
            failed: false,
            stats: StreamStats::default(),
            started: None,
        }
    }

    /// Statistics so far.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// Bytes of input consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The underlying reader, mutably. Reading from it takes input away from the decoder.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Returns the underlying reader, positioned after what has been decoded.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Reads one byte at a time, after those kept in `self.partial`, until `parse` recognises
    /// a complete structure; returns it (`None` at end of input) with the bytes read for it. If
    /// the reader fails or runs dry for now (`WouldBlock`), `self.partial` keeps what was read,
    /// so that a later call goes on from there.
    fn read_partial<T>(
        &mut self,
        parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, HeaderError>,
    ) -> Result<(Parsed<T>, Vec<u8>)> {
        let parsed = loop {
            match parse(&self.partial) {
                Ok(Some((value, _))) => break Some(Ok(value)),
                Ok(None) => {}
                Err(e) => break Some(Err(e)),
            }
            let byte = match self.reader.fill_buf() {
                Ok([]) => break None,
                Ok(buf) => buf[0],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            self.reader.consume(1);
            self.pos += 1;
            self.partial.push(byte);
        };
        Ok((parsed, std::mem::take(&mut self.partial)))
    }

    fn at_eof(&mut self) -> Result<bool> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.is_empty()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn start_stream(&mut self) -> Result<()> {
        let offset = self.pos - self.partial.len() as u64;
        if self.streams > 0 && self.partial.is_empty() && self.at_eof()? {
            self.phase = Phase::Done;
            return Ok(());
        }
        let (parsed, acc) = self.read_partial(StreamHeader::parse)?;
        let header = match parsed {
            Some(Ok(header)) => header,
            Some(Err(HeaderError::BadMagic)) if self.streams > 0 => {
                return Err(Error::TrailingData { offset })
            }
            Some(Err(e)) => return Err(Error::stream_header(e, offset)),
            None if acc.is_empty() || self.streams == 0 && acc.len() < 4 => {
                return Err(if self.streams == 0 && acc.is_empty() {
                    Error::NotSigma { offset }
                } else if self.streams > 0 {
                    Error::TrailingData { offset }
                } else {
                    Error::Truncated {
                        offset: self.pos,
                        inside: "in the stream header",
                    }
                })
            }
            None => {
                return Err(Error::Truncated {
                    offset: self.pos,
                    inside: "in the stream header",
                })
            }
        };
        let codebook =
            self.options
                .find_codebook(header.codebook_id, header.codebook_hash, offset)?;
        let per_thread = decode_memory_per_thread(header.max_frame_size, header.context_log);
        if per_thread > self.options.memory_limit {
            return Err(Error::MemoryLimit {
                needed: per_thread,
                limit: self.options.memory_limit,
            });
        }
        let wanted = crate::options::resolve_threads(self.options.threads);
        // Streams without word-model frames are BWT-stage streams.
        let bwt_stage = header.context_log == 0;
        let threads = crate::options::workers(wanted, header.max_frame_size, bwt_stage)
            .min((self.options.memory_limit / per_thread).max(1) as usize);
        let budget = MemoryGate::budget(threads, header.max_frame_size);
        if self.pool.is_none() || self.pool_shape != (threads, budget) {
            // One frame per worker in flight, as in the encoder: more would not be faster
            // (reading a payload takes far less time than decoding it) and would hold more
            // decoded frames at the peak.
            let shares = Shares {
                gate: MemoryGate::new(budget),
                cores: IdleCores::new(wanted, threads),
            };
            self.cores = shares.cores.clone();
            self.pool = Some(OrderedPool::new(threads, threads, move |job| {
                let (job, _core): (DecodeJob, Busy) = job;
                decode_job(&shares, job)
            }));
            self.pool_shape = (threads, budget);
        }
        self.stream = Some(StreamState {
            header,
            codebook,
            frames_submitted: 0,
            decoded_submitted: 0,
            content: content_hasher(),
            index_bytes: content_hasher(),
        });
        self.streams += 1;
        self.phase = Phase::Frames;
        self.cores.lend(false);
        Ok(())
    }

    /// Reads the next frame header into `pending_frame`, unless one is there, or the footer
    /// magic (then the phase becomes `Footer` and idle cores may help the frames in flight).
    fn read_frame_header(&mut self) -> Result<()> {
        if self.pending_frame.is_some() {
            return Ok(());
        }
        let offset = self.pos - self.partial.len() as u64;
        let stream = self.stream.as_ref().expect("inside a stream");
        let (frame, decoded) = (stream.frames_submitted, stream.decoded_submitted);
        let max_frame = stream.header.max_frame_size;
        let (parsed, acc) = self.read_partial(|buf| {
            if buf.len() >= 4 && buf[..4] == FOOTER_MAGIC {
                return Ok(Some((None, 4)));
            }
            Ok(FrameHeader::parse(buf, max_frame)?.map(|(h, n)| (Some(h), n)))
        })?;
        let header = match parsed {
            Some(Ok(Some(header))) => header,
            Some(Ok(None)) => {
                self.cores.lend(true);
                self.footer_offset = offset;
                self.phase = Phase::Footer;
                return Ok(());
            }
            Some(Err(e)) => return Err(Error::frame_header(e, frame, offset)),
            None => {
                return Err(Error::Truncated {
                    offset: self.pos,
                    inside: "before the stream footer",
                })
            }
        };
        if header.index != frame || header.offset != decoded {
            return Err(Error::FrameHeader {
                frame,
                offset,
                what: "frame out of sequence",
            });
        }
        self.pending_frame = Some(PendingFrame {
            header,
            offset,
            header_len: acc.len(),
            payload: Vec::new(),
        });
        Ok(())
    }

    /// Reads the next frame (or the footer magic) and submits the frame for decoding.
    fn read_frame(&mut self) -> Result<()> {
        self.read_frame_header()?;
        if !matches!(self.phase, Phase::Frames) {
            return Ok(());
        }
        let pending = self
            .pending_frame
            .as_mut()
            .expect("a frame header was read");
        // The payload grows as it arrives, never to what the header merely claims.
        let size = pending.header.payload_size;
        read_up_to(&mut self.reader, &mut self.pos, &mut pending.payload, size)?;
        if pending.payload.len() as u64 != size {
            return Err(Error::Truncated {
                offset: self.pos,
                inside: "in a frame payload",
            });
        }
        let PendingFrame {
            header,
            offset,
            header_len,
            payload,
        } = self.pending_frame.take().expect("a frame header was read");
        let frame_bytes = header_len as u64 + header.payload_size;
        let stream = self.stream.as_mut().expect("inside a stream");
        stream.frames_submitted += 1;
        stream.decoded_submitted += header.decoded_size;
        let mut entry = Vec::with_capacity(20);
        varint::put(&mut entry, frame_bytes);
        varint::put(&mut entry, header.decoded_size);
        stream.index_bytes.update(&entry);
        let size = header.decoded_size;
        let job = DecodeJob {
            header,
            context_log: stream.header.context_log,
            codebook: stream.codebook.clone(),
            payload,
            stream_offset: offset,
            frame_bytes,
        };
        self.pool
            .as_mut()
            .expect("pool exists inside a stream")
            .submit((job, self.cores.occupy()), size);
        Ok(())
    }

    /// Reads and checks the footer (its magic was already consumed) against the frames read.
    fn read_footer(&mut self) -> Result<()> {
        let offset = self.footer_offset;
        let bad = |what| Error::Footer { offset, what };
        if self.footer.is_none() {
            if self.partial.is_empty() {
                self.partial.extend_from_slice(&FOOTER_MAGIC);
            }
            let (parsed, acc) = self.read_partial(format::parse_footer_head)?;
            let head = match parsed {
                Some(Ok(head)) => head,
                Some(Err(e)) => return Err(Error::footer(e, offset)),
                None => {
                    return Err(Error::Truncated {
                        offset: self.pos,
                        inside: "in the stream footer",
                    })
                }
            };
            let stream = self.stream.as_ref().expect("inside a stream");
            if head.frame_count != stream.frames_submitted {
                return Err(bad("frame count differs from the frames read"));
            }
            if head.total_size != stream.decoded_submitted {
                return Err(bad("total size differs from the frames read"));
            }
            self.footer = Some(FooterProgress {
                head,
                crc: crc32c::crc32c(&acc),
                len: acc.len() as u64,
                entries: 0,
                index: content_hasher(),
                trailer: Vec::with_capacity(TRAILER_LEN),
            });
        }
        while self
            .footer
            .as_ref()
            .is_some_and(|footer| footer.entries < footer.head.frame_count)
        {
            let (parsed, entry) = self.read_partial(format::parse_index_entry)?;
            match parsed {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Error::footer(e, offset)),
                None => {
                    return Err(Error::Truncated {
                        offset: self.pos,
                        inside: "in the seek index",
                    })
                }
            }
            let footer = self.footer.as_mut().expect("the footer head was read");
            footer.crc = crc32c::crc32c_append(footer.crc, &entry);
            footer.len += entry.len() as u64;
            footer.index.update(&entry);
            footer.entries += 1;
        }
        let footer = self.footer.as_mut().expect("the footer head was read");
        read_up_to(
            &mut self.reader,
            &mut self.pos,
            &mut footer.trailer,
            TRAILER_LEN as u64,
        )?;
        let Ok(trailer) = <[u8; TRAILER_LEN]>::try_from(footer.trailer.as_slice()) else {
            return Err(Error::Truncated {
                offset: self.pos,
                inside: "in the stream trailer",
            });
        };
        let crc = crc32c::crc32c_append(footer.crc, &trailer[..8]);
        let len = footer.len + TRAILER_LEN as u64;
        let trailer = format::parse_trailer(&trailer).map_err(|_| bad("bad end magic"))?;
        if trailer.footer_crc != crc {
            return Err(bad("checksum mismatch"));
        }
        if trailer.footer_len != len {
            return Err(bad("footer length mismatch"));
        }
        let stream = self.stream.as_ref().expect("inside a stream");
        if footer.index.digest() != stream.index_bytes.digest() {
            return Err(bad("seek index differs from the frames read"));
        }
        if footer.head.content_hash != stream.content.digest() {
            return Err(bad("whole-content checksum mismatch"));
        }
        self.footer = None;
        self.stream = None;
        self.phase = Phase::StreamStart;
        Ok(())
    }

    /// Makes decoded bytes available in `self.out`; returns `false` at the end of all streams.
    fn refill(&mut self) -> Result<bool> {
        loop {
            let mut starved = None;
            match self.phase {
                Phase::StreamStart => {
                    self.start_stream()?;
                    continue;
                }
                Phase::Done => return Ok(false),
                Phase::Frames => {
                    // With the pool full, only the next header is read: if it is the footer,
                    // the frames in flight are the stream's last, and idle cores may help them.
                    while matches!(self.phase, Phase::Frames) && starved.is_none() {
                        let room = self.pool.as_ref().is_some_and(|p| p.has_room());
                        if !room && self.pending_frame.is_some() {
                            break;
                        }
                        let read = match room {
                            true => self.read_frame(),
                            false => self.read_frame_header(),
                        };
                        match read {
                            Ok(()) => {}
                            // The frames in flight can still be handed out meanwhile.
                            Err(e) if e.is_would_block() => starved = Some(e),
                            Err(e) => {
                                self.deferred = Some(e);
                                self.phase = Phase::Failed;
                            }
                        }
                    }
                }
                Phase::Footer | Phase::Failed => {}
            }
            let pool = self.pool.as_mut().expect("pool exists inside a stream");
            match pool.collect_next() {
                Some(result) => {
                    let frame = result.map_err(|_| Error::WorkerLost)??;
                    let stream = self.stream.as_mut().expect("inside a stream");
                    stream.content.update(&frame.data);
                    self.stats.frames += 1;
                    self.stats.bytes_out += frame.data.len() as u64;
                    self.stats.frame_stats.push(frame.stat);
                    self.out = frame.data;
                    self.out_pos = 0;
                    return Ok(true);
                }
                None if matches!(self.phase, Phase::Footer) => self.read_footer()?,
                None if matches!(self.phase, Phase::Failed) => {
                    return Err(self
                        .deferred
                        .take()
                        .expect("a failed phase holds its error"));
                }
                None => {
                    if let Some(e) = starved {
                        return Err(e);
                    }
                }
            }
        }
    }
}

/// Appends to `buf` from `reader` until `buf` holds `len` bytes or the input ends, counting
/// what it reads in `pos`. If the reader fails or runs dry for now (`WouldBlock`), `buf` keeps
/// what was read, so that a later call goes on from there.
fn read_up_to(reader: &mut impl Read, pos: &mut u64, buf: &mut Vec<u8>, len: u64) -> Result<()> {
    let before = buf.len();
    let read = Read::take(reader, len - before as u64).read_to_end(buf);
    *pos += (buf.len() - before) as u64;
    read?;
    Ok(())
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The decoded bytes of the current frame, without a copy: for reading lines of decoded text,
/// or passing frames on as they are (`write::Decoder` does).
impl<R: BufRead> BufRead for Decoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.failed {
            return Err(io::Error::other("ΣLANG decoder used after an error"));
        }
        self.started.get_or_insert_with(Instant::now);
        while self.out_pos == self.out.len() {
            // The frame handed out is all consumed: freed now, not once the next one is in, so
            // that it is never resident beside the next frame's decoding (at -T1 that runs
            // inline in `refill`).
            self.out = Vec::new();
            self.out_pos = 0;
            match self.refill() {
                Ok(true) => {}
                Ok(false) => {
                    self.stats.bytes_in = self.pos;
                    self.stats.elapsed = self.started.map(|s| s.elapsed()).unwrap_or_default();
                    self.stats.peak_rss = crate::stats::peak_rss();
                    return Ok(&[]);
                }
                Err(e) if e.is_would_block() => return Err(e.into()),
                Err(e) => {
                    self.failed = true;
                    self.pool = None;
                    return Err(e.into());
                }
            }
        }
        self.stats.bytes_in = self.pos;
        Ok(&self.out[self.out_pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.out_pos = (self.out_pos + amount).min(self.out.len());
    }
}

/// Reading from it yields the ΣLANG stream of everything read from the inner reader, like
/// `flate2`'s and `zstd`'s `read::Encoder`: for handing a compressed stream to code that reads
/// (an upload, a copy). Frames, threads and output are those of [`write::Encoder`] with the
/// same options; the stream ends when the inner reader does.
pub struct Encoder<R: Read> {
    reader: R,
    /// `None` once the inner reader has ended and the footer is written (or failed to be).
    encoder: Option<write::Encoder<Vec<u8>>>,
    /// Finishing the stream failed: every later read fails too, so that a stream without its
    /// footer never looks complete.
    failed: bool,
    /// Stream bytes not yet handed out, from `pos` on.
    pending: Vec<u8>,
    pos: usize,
    chunk: Vec<u8>,
}

impl<R: Read> Encoder<R> {
    /// How much is read from the inner reader at a time.
    const CHUNK: usize = 1 << 16;

    /// An encoder with default options.
    pub fn new(reader: R) -> Self {
        Self::with_options(reader, &EncoderOptions::default())
    }

    /// An encoder with the given options.
    pub fn with_options(reader: R, options: &EncoderOptions) -> Self {
        Encoder {
            reader,
            encoder: Some(write::Encoder::with_options(Vec::new(), options)),
            failed: false,
            pending: Vec::new(),
            pos: 0,
            chunk: vec![0; Self::CHUNK],
        }
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The inner reader (what was read from it is already in the stream, or in the frame
    /// being gathered).
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: Read> Read for Encoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pos);
                buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            let Some(encoder) = self.encoder.as_mut() else {
                return if self.failed {
                    Err(io::Error::other("ΣLANG encoder used after an error"))
                } else {
                    Ok(0)
                };
            };
            // Take what the encoder has written; it goes on writing into the spent buffer.
            self.pending.clear();
            self.pos = 0;
            std::mem::swap(&mut self.pending, encoder.get_mut());
            if !self.pending.is_empty() {
                continue;
            }
            match self.reader.read(&mut self.chunk) {
                Ok(0) => match self.encoder.take().expect("checked above").finish() {
                    Ok(stream) => self.pending = stream,
                    Err(e) => {
                        self.failed = true;
                        return Err(e);
                    }
                },
                Ok(n) => encoder.write_all(&self.chunk[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
