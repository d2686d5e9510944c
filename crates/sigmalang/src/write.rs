//! The `Write` adapters: `write::Encoder` turns plain bytes into a ΣLANG stream, and
//! `write::Decoder` turns a stream written to it back into plain bytes.
//!
//! Bytes are gathered into frames; a full frame is cut at a line or word boundary near its end
//! (the rest is carried into the next frame, so no token is split needlessly) and handed to
//! the worker pool; encoded frames are written strictly in input order. Cut points depend only
//! on the content and the frame size, so the output is the same for every thread count and
//! every pattern of `write` calls.
//!
//! The decoder is [`crate::read::Decoder`] reading what has been written to it: whenever that
//! runs dry, everything decoded so far has gone to the writer, and the next `write` goes on
//! from there.

use crate::checksum::{content_hash, content_hasher, header_crc, ContentHasher};
use crate::codebook::Codebook;
use crate::error::Error;
use crate::format::{self, FooterHead, FrameHeader, IndexEntry, StreamHeader};
use crate::frame::{self, CodecParams};
use crate::options::{resolve_threads, DecoderOptions, EncoderOptions};
use crate::pipeline::{Busy, IdleCores, MemoryGate, OrderedPool, Shares};
use crate::read;
use crate::stats::{FrameStat, StreamStats};
use std::io::{self, BufRead, Read, Write};
use std::time::Instant;

struct FrameJob {
    index: u64,
    offset: u64,
    data: Vec<u8>,
}

struct EncodedFrame {
    bytes: Vec<u8>,
    decoded: u64,
    glyphs: [u64; 4],
    stat: FrameStat,
}

fn encode_job(
    params: &CodecParams,
    codebook: Option<&Codebook>,
    shares: &Shares,
    job: FrameJob,
) -> EncodedFrame {
    let started = Instant::now();
    let (decoded_size, hash) = (job.data.len() as u64, content_hash(&job.data));
    let encoded = frame::encode_gated(job.data, params, codebook, shares);
    let header = FrameHeader {
        method: encoded.method,
        index: job.index,
        offset: job.offset,
        decoded_size,
        payload_size: encoded.payload.len() as u64,
        content_hash: hash,
        payload_crc: header_crc(&encoded.payload),
    };
    let mut bytes = Vec::with_capacity(format::MAX_FRAME_HEADER_LEN + encoded.payload.len());
    header.write(&mut bytes);
    bytes.extend_from_slice(&encoded.payload);
    let stat = FrameStat {
        decoded: header.decoded_size,
        encoded: bytes.len() as u64,
        time: started.elapsed(),
    };
    EncodedFrame {
        bytes,
        decoded: header.decoded_size,
        glyphs: encoded.glyphs,
        stat,
    }
}

/// Where to end a full frame: after the last newline in its final stretch, else after the
/// last space there, else at the frame size; never before `earliest`.
fn cut_point(buf: &[u8], earliest: usize) -> usize {
    let n = buf.len();
    let window = (n / 8).min(64 << 10);
    let start = (n - window).max(earliest.min(n));
    let tail = &buf[start..];
    tail.iter()
        .rposition(|&b| b == b'\n')
        .or_else(|| tail.iter().rposition(|&b| b == b' '))
        .map_or(n, |p| start + p + 1)
}

/// The earliest cut of a full frame of `frame_size` bytes at content offset `offset` that leaves
/// an input of `size` bytes in as many frames as cutting every frame at its full size would
/// (⌈size / frame size⌉): a cut moves the rest of the frame into the frames after it, and
/// where these are full that would leave a sliver of a frame at the end (a 16 MiB file in
/// 8 MiB frames: 8,388,597 + 8,388,592 + 27 bytes). 0 when the size is unknown, or is already
/// known to be wrong because input goes on past it.
fn earliest_cut(size: Option<u64>, offset: u64, frame_size: usize) -> usize {
    let frame = frame_size as u64;
    let end = offset + frame;
    match size {
        Some(size) if size > end => {
            let rest = size - end;
            let room = rest.div_ceil(frame) * frame;
            (frame + rest - room) as usize
        }
        _ => 0,
    }
}

/// Encodes everything written to it into a ΣLANG stream on `W`.
///
/// Call [`Encoder::finish`] when done: it writes the last frame and the footer, without which
/// the stream is truncated. [`Encoder::auto_finish`] does that on drop instead.
pub struct Encoder<W: Write> {
    writer: Option<W>,
    frame_size: usize,
    /// The input's size, if known: frames are then cut so that none is a sliver.
    size_hint: Option<u64>,
    /// The options, for sizing frames once an input of unknown size has ended.
    options: EncoderOptions,
    /// The pool's idle cores, lent to the last frames.
    cores: IdleCores,
    buffer: Vec<u8>,
    pool: OrderedPool<(FrameJob, Busy), EncodedFrame>,
    next_index: u64,
    next_offset: u64,
    hasher: ContentHasher,
    index: Vec<IndexEntry>,
    header_written: bool,
    context_log: u8,
    /// The codebook's id and hash for the stream header; (0, 0) for none.
    codebook: (u32, u64),
    poisoned: bool,
    stats: StreamStats,
    started: Option<Instant>,
}

impl<W: Write> Encoder<W> {
    /// An encoder with default options (level 5, one thread).
    pub fn new(writer: W) -> Self {
        Self::with_options(writer, &EncoderOptions::default())
    }

    /// An encoder with the given options.
    pub fn with_options(writer: W, options: &EncoderOptions) -> Self {
        let threads = options.effective_threads();
        let params = options.codec_params();
        let shares = Shares {
            gate: MemoryGate::new(MemoryGate::budget(threads, options.effective_frame_size())),
            cores: IdleCores::new(resolve_threads(options.threads), threads),
        };
        let cores = shares.cores.clone();
        let codebook = options.codebook.clone();
        let codebook_fields = codebook.as_ref().map_or((0, 0), |b| (b.id(), b.hash()));
        Encoder {
            writer: Some(writer),
            frame_size: options.effective_frame_size() as usize,
            size_hint: options.size_hint,
            options: options.clone(),
            cores,
            buffer: Vec::new(),
            // One frame per worker in flight: reading the next frame takes far less time than
            // coding one, and a frame more per worker would cost 48 MiB at the default level.
            pool: OrderedPool::new(threads, threads, move |job| {
                let (job, _core): (FrameJob, Busy) = job;
                encode_job(&params, codebook.as_deref(), &shares, job)
            }),
            next_index: 0,
            next_offset: 0,
            hasher: content_hasher(),
            index: Vec::new(),
            header_written: false,
            context_log: options.context_log(),
            codebook: codebook_fields,
            poisoned: false,
            stats: StreamStats::default(),
            started: None,
        }
    }

    /// The frame size in use.
    pub fn frame_size(&self) -> usize {
        self.frame_size
    }

    /// Statistics so far.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        self.writer.as_ref().expect("writer present until finish")
    }

    /// The underlying writer, mutably. Writing to it directly corrupts the stream; it is for
    /// taking away what the encoder has written so far (as [`crate::read::Encoder`] does with
    /// a `Vec<u8>`).
    pub fn get_mut(&mut self) -> &mut W {
        self.writer.as_mut().expect("writer present until finish")
    }

    fn writer(&mut self) -> &mut W {
        self.get_mut()
    }

    fn write_stream_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            let mut bytes = Vec::new();
            StreamHeader {
                flags: 0,
                max_frame_size: self.frame_size as u64,
                context_log: self.context_log,
                codebook_id: self.codebook.0,
                codebook_hash: self.codebook.1,
            }
            .write(&mut bytes);
            self.writer().write_all(&bytes)?;
            self.stats.bytes_out += bytes.len() as u64;
            self.header_written = true;
        }
        Ok(())
    }

    fn write_next_frame(&mut self) -> io::Result<bool> {
        let Some(result) = self.pool.collect_next() else {
            return Ok(false);
        };
        let frame = result.map_err(|_| Error::WorkerLost)?;
        self.write_stream_header()?;
        self.writer().write_all(&frame.bytes)?;
        self.index.push(IndexEntry {
            frame_bytes: frame.bytes.len() as u64,
            decoded_size: frame.decoded,
        });
        self.stats.bytes_out += frame.bytes.len() as u64;
        self.stats.frames += 1;
        for (total, n) in self.stats.glyphs.iter_mut().zip(frame.glyphs) {
            *total += n;
        }
        self.stats.frame_stats.push(frame.stat);
        Ok(true)
    }

    /// Hands a frame to the workers, then waits for room for the next one before taking more
    /// input: a frame read ahead while every worker is busy would only wait, holding memory
    /// (a frame, 48 MiB at the default level; the encoder's peak on 100 MB of prose in 24 MiB
    /// frames fell from 138 to 115 MiB), and reading it when a worker comes free takes a
    /// hundredth of its coding time.
    fn submit(&mut self, data: Vec<u8>, last: bool) -> io::Result<()> {
        self.hasher.update(&data);
        let job = FrameJob {
            index: self.next_index,
            offset: self.next_offset,
            data,
        };
        self.next_index += 1;
        self.next_offset += job.data.len() as u64;
        let size = job.data.len() as u64;
        let core = self.cores.occupy();
        if last {
            // No frame will follow: a worker left without one may take parts of this frame
            // and of those in flight, from now on rather than once the oldest is written (and
            // before a small job that runs inline at once).
            self.cores.lend(true);
        }
        self.pool.submit((job, core), size);
        while !self.pool.has_room() {
            self.write_next_frame()?;
        }
        Ok(())
    }

    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> io::Result<T>) -> io::Result<T> {
        if self.poisoned {
            return Err(io::Error::other("ΣLANG encoder used after an error"));
        }
        let result = f(self);
        self.poisoned = result.is_err();
        result
    }

    /// Where to cut `full`, a full frame that more input follows.
    fn cut(&self, full: &[u8]) -> usize {
        let earliest = earliest_cut(self.size_hint, self.next_offset, self.frame_size);
        cut_point(full, earliest)
    }

    /// An input of unknown size that ends within its first frame is all in the buffer, so its
    /// size is known after all: it is cut into the frames a size hint would have given it (a
    /// pipe of 20 MB then fills both workers, as the file does, and its stream is the file's
    /// byte for byte).
    fn size_whole_input(&mut self) -> io::Result<()> {
        if self.next_index > 0 || self.size_hint.is_some() || self.buffer.is_empty() {
            return Ok(());
        }
        let size = self.buffer.len() as u64;
        self.size_hint = Some(size);
        self.frame_size = self.options.clone().size_hint(size).effective_frame_size() as usize;
        let mut rest = std::mem::take(&mut self.buffer);
        while rest.len() > self.frame_size {
            let tail = rest.split_off(self.cut(&rest[..self.frame_size]));
            self.submit(rest, false)?;
            rest = tail;
        }
        self.buffer = rest;
        Ok(())
    }

    fn finish_inner(&mut self) -> io::Result<()> {
        self.size_whole_input()?;
        if !self.buffer.is_empty() {
            let last = std::mem::take(&mut self.buffer);
            self.submit(last, true)?;
        }
        // Without a last frame to submit, the frames in flight are the last.
        self.cores.lend(true);
        while self.write_next_frame()? {}
        self.write_stream_header()?;
        let head = FooterHead {
            frame_count: self.index.len() as u64,
            total_size: self.next_offset,
            content_hash: self.hasher.digest(),
        };
        let mut footer = Vec::new();
        format::write_footer(&head, &self.index, &mut footer);
        self.writer().write_all(&footer)?;
        self.writer().flush()?;
        self.stats.bytes_out += footer.len() as u64;
        self.stats.elapsed = self.started.map(|s| s.elapsed()).unwrap_or_default();
        self.stats.peak_rss = crate::stats::peak_rss();
        Ok(())
    }

    /// Writes the last frame and the footer, and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.guard(Self::finish_inner)?;
        Ok(self.writer.take().expect("writer present until finish"))
    }

    /// Like [`Encoder::finish`], also returning the run's statistics.
    pub fn finish_with_stats(mut self) -> io::Result<(W, StreamStats)> {
        self.guard(Self::finish_inner)?;
        let stats = std::mem::take(&mut self.stats);
        Ok((
            self.writer.take().expect("writer present until finish"),
            stats,
        ))
    }

    /// Wraps the encoder so that it finishes when dropped (errors are then ignored).
    pub fn auto_finish(self) -> AutoFinishEncoder<W> {
        AutoFinishEncoder {
            encoder: Some(self),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.guard(|this| {
            if data.is_empty() {
                return Ok(0);
            }
            this.started.get_or_insert_with(Instant::now);
            // A full frame is cut only when more input follows it: an input that ends exactly
            // where a frame does (a file no larger than the frame size, say) then stays whole
            // instead of leaving a sliver after the frame's last newline.
            if this.buffer.len() == this.frame_size {
                let cut = this.cut(&this.buffer);
                let mut carry = Vec::with_capacity(this.frame_size);
                carry.extend_from_slice(&this.buffer[cut..]);
                this.buffer.truncate(cut);
                let full = std::mem::replace(&mut this.buffer, carry);
                this.submit(full, false)?;
            }
            let take = data.len().min(this.frame_size - this.buffer.len());
            if this.buffer.capacity() < this.buffer.len() + take {
                let want = (this.buffer.len() + take)
                    .max(2 * this.buffer.capacity())
                    .min(this.frame_size);
                this.buffer.reserve_exact(want - this.buffer.len());
            }
            this.buffer.extend_from_slice(&data[..take]);
            this.stats.bytes_in += take as u64;
            Ok(take)
        })
    }

    /// Ends the current frame early, writes every frame so far and flushes the writer, so that
    /// everything written before is decodable from what reached the writer (except the footer).
    fn flush(&mut self) -> io::Result<()> {
        self.guard(|this| {
            if !this.buffer.is_empty() {
                let frame = std::mem::take(&mut this.buffer);
                this.submit(frame, false)?;
            }
            while this.write_next_frame()? {}
            this.writer().flush()
        })
    }
}

/// An [`Encoder`] that finishes the stream when dropped.
pub struct AutoFinishEncoder<W: Write> {
    encoder: Option<Encoder<W>>,
}

impl<W: Write> Write for AutoFinishEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.encoder
            .as_mut()
            .expect("present until drop")
            .write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.as_mut().expect("present until drop").flush()
    }
}

impl<W: Write> Drop for AutoFinishEncoder<W> {
    fn drop(&mut self) {
        if let Some(encoder) = self.encoder.take() {
            // Errors cannot be reported from a destructor; finish() exists for callers who care.
            let _ = encoder.finish();
        }
    }
}

/// Decodes a ΣLANG stream (or several concatenated) written to it, writing the plain bytes to
/// `W`, like `flate2`'s and `zstd`'s `write::Decoder`: for decoding what arrives in pieces (a
/// download, a socket) without a thread that reads. Frames are checked as in
/// [`read::Decoder`], with the same errors, and each is written out as soon as it is decoded.
///
/// A `write` takes at most 1 MiB (`write_all` goes on with the rest), so the input it holds
/// stays small; decoded frames are held as in [`read::Decoder`]. Only [`Decoder::finish`] can
/// tell that the input ended early; dropping the decoder does not check it.
pub struct Decoder<W: Write> {
    decoder: read::Decoder<Pushed>,
    writer: W,
    failed: bool,
}

/// Most bytes a [`Decoder`] takes from one `write`.
const PUSH_LIMIT: usize = 1 << 20;

/// The input written to a [`Decoder`] that its reader has not taken yet. Reading from it runs
/// dry (`WouldBlock`) until more is written, and ends once the decoder finishes.
struct Pushed {
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Pushed {
    fn push(&mut self, data: &[u8]) {
        // The reader keeps partial structures itself and runs dry only once it has taken
        // everything, so this starts from empty unless decoding stopped at an error.
        self.buf.drain(..self.pos);
        self.pos = 0;
        self.buf.extend_from_slice(data);
    }
}

impl Read for Pushed {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Pushed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() && !self.ended {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

impl<W: Write> Decoder<W> {
    /// A decoder with default options (one thread, 4 GiB memory limit), writing to `writer`.
    pub fn new(writer: W) -> Self {
        Self::with_options(writer, DecoderOptions::default())
    }

    /// A decoder with the given options, writing to `writer`.
    pub fn with_options(writer: W, options: DecoderOptions) -> Self {
        let input = Pushed {
            buf: Vec::new(),
            pos: 0,
            ended: false,
        };
        Decoder {
            decoder: read::Decoder::with_options(input, options),
            writer,
            failed: false,
        }
    }

    /// Statistics so far.
    pub fn stats(&self) -> &StreamStats {
        self.decoder.stats()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.writer
    }

    /// The underlying writer, mutably. Writing to it mixes bytes into the decoded output.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.writer
    }

    /// Ends the input: decodes and writes what is left, checks that the last stream is
    /// complete, flushes the writer and returns it.
    pub fn finish(mut self) -> io::Result<W> {
        self.guard(|this| {
            this.decoder.get_mut().ended = true;
            this.drain()?;
            this.writer.flush()
        })?;
        Ok(self.writer)
    }

    /// Writes out everything the input written so far decodes to, straight from the decoded
    /// frames.
    fn drain(&mut self) -> io::Result<()> {
        loop {
            let decoded = match self.decoder.fill_buf() {
                Ok([]) => return Ok(()),
                Ok(decoded) => decoded,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            };
            self.writer.write_all(decoded)?;
            let n = decoded.len();
            self.decoder.consume(n);
        }
    }

    /// Runs `f`; after an error (from the input or the writer), every later call fails too,
    /// since the output may already be missing bytes.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> io::Result<T>) -> io::Result<T> {
        if self.failed {
            return Err(io::Error::other("ΣLANG decoder used after an error"));
        }
        let result = f(self);
        self.failed = result.is_err();
        result
    }
}

impl<W: Write> Write for Decoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.guard(|this| {
            if data.is_empty() {
                return Ok(0);
            }
            // A large write is taken in parts, so that the copy held for the reader stays
            // small whatever the caller's buffer.
            let take = data.len().min(PUSH_LIMIT);
            this.decoder.get_mut().push(&data[..take]);
            this.drain()?;
            Ok(take)
        })
    }

    /// Flushes the writer; everything the input so far decodes to was written already.
    fn flush(&mut self) -> io::Result<()> {
        self.guard(|this| this.writer.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_takes_a_large_write_in_parts() {
        // Incompressible, so that the stream is as long as the data.
        let mut state = 1u32;
        let data: Vec<u8> = (0..3 * PUSH_LIMIT)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        let stream = crate::encode_all(&data, &EncoderOptions::default().level(1));
        let mut decoder = Decoder::new(Vec::new());
        assert_eq!(decoder.write(&stream).unwrap(), PUSH_LIMIT);
        assert!(decoder.decoder.get_ref().buf.len() <= PUSH_LIMIT);
        decoder.write_all(&stream[PUSH_LIMIT..]).unwrap();
        assert_eq!(decoder.finish().unwrap(), data);
    }

    #[test]
    fn cut_prefers_line_then_word_boundaries() {
        let mut buf = vec![b'x'; 1000];
        assert_eq!(cut_point(&buf, 0), 1000);
        buf[950] = b' ';
        assert_eq!(cut_point(&buf, 0), 951);
        buf[900] = b'\n';
        assert_eq!(cut_point(&buf, 0), 901);
        buf[100] = b'\n';
        assert_eq!(cut_point(&buf, 0), 901);
        // Not before `earliest`: the space after it, then no boundary at all.
        assert_eq!(cut_point(&buf, 901), 951);
        assert_eq!(cut_point(&buf, 952), 1000);
        assert_eq!(cut_point(&buf, 5000), 1000);
    }

    #[test]
    fn cuts_never_add_a_frame_to_an_input_of_known_size() {
        // Two full frames: the first may not give the second anything to carry.
        assert_eq!(earliest_cut(Some(2000), 0, 1000), 1000);
        // 16 bytes to spare in a third frame: a cut may move up to 984 bytes into it.
        assert_eq!(earliest_cut(Some(2016), 0, 1000), 16);
        assert_eq!(earliest_cut(Some(2016), 950, 1000), 66);
        // Unknown size, or a size the input has already passed: the usual rule.
        assert_eq!(earliest_cut(None, 0, 1000), 0);
        assert_eq!(earliest_cut(Some(1000), 0, 1000), 0);
        assert_eq!(earliest_cut(Some(500), 3000, 1000), 0);
    }
}
