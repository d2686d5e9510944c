//! `sigma inspect`: the glyph view of a `.sigma` file (or of plain text on standard input), and
//! `sigma -l`: the frame listing.

use crate::args::parse_range;
use crate::report::escape;
use crate::size::human;
use anyhow::{bail, Context, Result};
use clap::Parser;
use sigmalang::codebook::Codebook;
use sigmalang::format::FrameHeader;
use sigmalang::frame::CODEBOOK_TRIAL_SIZE;
use sigmalang::glyph::GlyphType;
use sigmalang::inspect::{glyphs_of_payload, glyphs_of_text, GlyphLine};
use sigmalang::primitive::Tier;
use sigmalang::{DecoderOptions, SeekIndex, SeekableDecoder};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Show the glyph stream of a ΣLANG file, or of plain text read from standard input (`-`).
#[derive(Parser, Debug)]
#[command(name = "sigma inspect")]
struct InspectArgs {
    /// A .sigma file, or - for plain text on standard input.
    file: PathBuf,
    /// Only glyphs covering bytes START..START+LENGTH of the original.
    #[arg(long, value_name = "START:LENGTH", value_parser = parse_range)]
    range: Option<(u64, u64)>,
    /// Only frame N (default: frame 0 unless --range is given).
    #[arg(long, value_name = "N")]
    frame: Option<usize>,
    /// Print counts and bytes per glyph type and tier, and the most used Σ-bank entries.
    #[arg(long)]
    stats: bool,
    /// Print glyphs on one line each as `TYPE ΣID NAME #bank "text"` (the default) or compactly.
    #[arg(long)]
    compact: bool,
    /// The codebook the file was compressed with (`sigma -D`), or for text on standard input
    /// the one to transform it over (default: the built-in English one).
    #[arg(short = 'D', long = "codebook", value_name = "CODEBOOK")]
    codebook: Option<PathBuf>,
}

#[derive(Default)]
struct Tally {
    count: [u64; 4],
    bytes: [u64; 4],
    bits: [f64; 4],
    tiers: [u64; 3],
    tier_bits: [f64; 3],
    costed: bool,
    bank_use: HashMap<(u32, Vec<u8>), u64>,
}

impl Tally {
    fn add(&mut self, g: &GlyphLine) {
        self.count[g.kind as usize] += 1;
        self.bytes[g.kind as usize] += g.text.len() as u64;
        let tier = match g.primitive.tier() {
            Tier::Existential => 0,
            Tier::Domain => 1,
            Tier::Learned => 2,
        };
        self.tiers[tier] += 1;
        if let Some(bits) = g.bits {
            self.bits[g.kind as usize] += f64::from(bits);
            self.tier_bits[tier] += f64::from(bits);
            self.costed = true;
        }
        if let Some(i) = g.bank_index {
            let word = g.text.trim_ascii_start().to_ascii_lowercase();
            *self.bank_use.entry((i, word)).or_default() += 1;
        }
    }

    /// Prints the tally; `bank_bits` is what the frames' Σ-bank sections cost.
    fn print(&self, out: &mut impl Write, bank_bits: f64) -> std::io::Result<()> {
        let total: u64 = self.count.iter().sum();
        writeln!(out, "glyphs: {total}")?;
        for t in GlyphType::ALL {
            let i = t as usize;
            write!(
                out,
                "  {:<9} {:>10} glyphs  {:>12} bytes of text",
                t.name(),
                self.count[i],
                self.bytes[i]
            )?;
            if self.costed {
                let per_byte = if self.bytes[i] == 0 {
                    0.0
                } else {
                    self.bits[i] / self.bytes[i] as f64
                };
                write!(
                    out,
                    "  {:>12.0} bits ({per_byte:.3} bits/byte)",
                    self.bits[i]
                )?;
            }
            writeln!(out)?;
        }
        write!(
            out,
            "tiers: existential {}  domain {}  learned {}",
            self.tiers[0], self.tiers[1], self.tiers[2]
        )?;
        if self.costed {
            write!(
                out,
                "  (bits: {:.0} / {:.0} / {:.0})",
                self.tier_bits[0], self.tier_bits[1], self.tier_bits[2]
            )?;
        }
        writeln!(out)?;
        if self.costed {
            let glyph_bits: f64 = self.bits.iter().sum();
            writeln!(
                out,
                "Σ-bank sections: {bank_bits:.0} bits; total {:.0} bits",
                glyph_bits + bank_bits
            )?;
        }
        let mut top: Vec<_> = self.bank_use.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(out, "top Σ-bank entries:")?;
        for ((index, word), uses) in top.into_iter().take(20) {
            writeln!(
                out,
                "  #{index:<6} {uses:>9}  {:?}",
                String::from_utf8_lossy(word)
            )?;
        }
        Ok(())
    }
}

pub fn run(args: &[OsString]) -> Result<()> {
    let args = InspectArgs::try_parse_from(
        std::iter::once(OsString::from("sigma inspect")).chain(args.iter().cloned()),
    )
    .map_err(|e| {
        let _ = e.print();
        anyhow::anyhow!("invalid arguments")
    })?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut tally = Tally::default();
    let mut bank_bits = 0.0f64;
    let (lo, hi) = args
        .range
        .map_or((0, u64::MAX), |(s, l)| (s, s.saturating_add(l)));
    let mut show = |offset: u64, line: &GlyphLine, out: &mut dyn Write| -> std::io::Result<()> {
        let end = offset + line.text.len() as u64;
        if end <= lo || offset >= hi && !(line.text.is_empty() && offset == lo) {
            return Ok(());
        }
        tally.add(line);
        if args.stats {
            return Ok(());
        }
        if args.compact {
            write!(out, "[{}{}]", &line.kind.name()[..1], line.primitive.0)
        } else {
            let bits = line
                .bits
                .map_or_else(String::new, |b| format!("{b:>7.2}b  "));
            writeln!(out, "{offset:>10}  {bits}{line}")
        }
    };

    if args.file.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text).context("(stdin)")?;
        let mut offset = 0u64;
        let mut result = Ok(());
        // The encoder tries the codebook on frames up to CODEBOOK_TRIAL_SIZE.
        let book = match &args.codebook {
            Some(path) => crate::train::load(path)?,
            None => Codebook::english(),
        };
        let codebook = (text.len() <= CODEBOOK_TRIAL_SIZE).then_some(&*book);
        glyphs_of_text(&text, &Default::default(), codebook, &mut |line, _| {
            if result.is_ok() {
                result = show(offset, &line, &mut out);
            }
            offset += line.text.len() as u64;
        });
        result?;
    } else {
        let name = args.file.display().to_string();
        let mut file = File::open(&args.file).with_context(|| name.clone())?;
        let index = SeekIndex::read(&mut file).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let mut options = DecoderOptions::default();
        if let Some(path) = &args.codebook {
            options = options.codebook(crate::train::load(path)?);
        }
        let codebooks = index
            .streams
            .iter()
            .map(|s| {
                let (id, hash) = (s.header.codebook_id, s.header.codebook_hash);
                options
                    .find_codebook(id, hash, s.file_offset)
                    .map_err(|e| anyhow::anyhow!("{name}: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let frames: Vec<usize> = match (args.frame, args.range) {
            (Some(n), _) if n >= index.frames.len() => {
                bail!("{name}: no frame {n} (the file has {})", index.frames.len())
            }
            (Some(n), _) => vec![n],
            (None, Some(_)) => (0..index.frames.len())
                .filter(|&i| {
                    let f = index.frames[i];
                    f.content_offset < hi && f.content_offset + f.decoded_size > lo
                })
                .collect(),
            (None, None) if index.frames.is_empty() => vec![],
            (None, None) => vec![0],
        };
        for n in frames {
            let loc = index.frames[n];
            let stream_header = index.streams[loc.stream].header;
            let max_frame = stream_header.max_frame_size;
            let mut bytes = vec![0u8; loc.frame_bytes as usize];
            file.seek(SeekFrom::Start(loc.file_offset))?;
            file.read_exact(&mut bytes).with_context(|| name.clone())?;
            let (header, used) = FrameHeader::parse(&bytes, max_frame)
                .ok()
                .flatten()
                .with_context(|| format!("{name}: frame {n}: corrupt frame header"))?;
            if !args.stats {
                let payload = &bytes[used..];
                let packed = if sigmalang::frame::lzp_packed(header.method, payload) {
                    ", LZP-packed"
                } else {
                    ""
                };
                let parts = if sigmalang::frame::sorted_in_pieces(header.method, payload) {
                    ", block in parts sorted apart"
                } else if sigmalang::frame::coded_in_parts(header.method, payload) {
                    ", block in parts"
                } else {
                    ""
                };
                let breaks = if sigmalang::frame::soft_line_breaks(header.method, payload) {
                    ", soft line breaks"
                } else {
                    ""
                };
                let split = if sigmalang::frame::rendered_in_two_parts(header.method, payload) {
                    ", rendered in two parts"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "# frame {n}: {} -> {} bytes, method {:?}{packed}{parts}{breaks}{split}, content offset {}",
                    loc.decoded_size, loc.frame_bytes, header.method, loc.content_offset
                )?;
            }
            let mut offset = loc.content_offset;
            let mut result = Ok(());
            let section_bits = glyphs_of_payload(
                header.method,
                &bytes[used..],
                header.decoded_size as usize,
                stream_header.context_log,
                codebooks[loc.stream].as_deref(),
                &mut |line, _| {
                    if result.is_ok() {
                        result = show(offset, &line, &mut out);
                    }
                    offset += line.text.len() as u64;
                },
            )
            .map_err(|e| anyhow::anyhow!("{name}: frame {n}: {e}"))?;
            result?;
            bank_bits += f64::from(section_bits.unwrap_or(0.0));
        }
    }
    if args.compact && !args.stats {
        writeln!(out)?;
    }
    if args.stats {
        tally.print(&mut out, bank_bits)?;
    }
    Ok(())
}

/// `sigma -l`: a table of what each file holds, read from headers and the index only.
pub fn list(files: &[PathBuf], verbose: bool, json: bool) -> Result<()> {
    if files.is_empty() {
        bail!("-l needs file names (it reads the index at the end of each file)");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !json {
        writeln!(
            out,
            "{:>8} {:>8} {:>12} {:>14} {:>7} {:>6} {:>9} {:>7}  Filename",
            "Streams",
            "Frames",
            "Compressed",
            "Uncompressed",
            "Ratio",
            "Check",
            "Codebook",
            "Version"
        )?;
    }
    let mut failed = None;
    // Streams, frames, compressed and decoded bytes of the files listed.
    let mut totals = (0, 0, 0, 0);
    let mut listed = 0;
    for path in files {
        let name = path.display().to_string();
        let result = (|| -> Result<(usize, usize, u64, u64)> {
            let mut file = File::open(path).with_context(|| name.clone())?;
            let compressed = file.metadata()?.len();
            let index = SeekIndex::read(&mut file).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let decoded = index.total_size();
            let ratio = if compressed == 0 {
                0.0
            } else {
                decoded as f64 / compressed as f64
            };
            // The oldest version among the streams: what a reader must support.
            let version = index.streams.iter().map(|s| s.version).min().unwrap_or(0);
            let codebook = match index.streams.first().map(|s| s.header.codebook_id) {
                Some(id) if id != 0 => format!("{id:08x}"),
                _ => "none".to_string(),
            };
            if json {
                let frames: Vec<String> = index
                    .frames
                    .iter()
                    .map(|f| format!("{{\"stream\":{},\"index\":{},\"offset\":{},\"compressed\":{},\"content_offset\":{},\"decoded\":{}}}", f.stream, f.index, f.file_offset, f.frame_bytes, f.content_offset, f.decoded_size))
                    .collect();
                writeln!(out, "{{\"file\":\"{}\",\"streams\":{},\"frames\":{},\"compressed\":{compressed},\"decoded\":{decoded},\"ratio\":{ratio:.4},\"check\":\"XXH64\",\"codebook\":\"{codebook}\",\"version\":{},\"frame_list\":[{}]}}", escape(&name), index.streams.len(), index.frames.len(), version, if verbose { frames.join(",") } else { String::new() })?;
                return Ok((index.streams.len(), index.frames.len(), compressed, decoded));
            }
            writeln!(
                out,
                "{:>8} {:>8} {:>12} {:>14} {:>7.3} {:>6} {:>9} {:>7}  {name}",
                index.streams.len(),
                index.frames.len(),
                human(compressed),
                human(decoded),
                ratio,
                "XXH64",
                codebook,
                version
            )?;
            if verbose {
                writeln!(
                    out,
                    "    {:>6} {:>6} {:>14} {:>12} {:>14} {:>12} {:>7}",
                    "stream",
                    "frame",
                    "file offset",
                    "compressed",
                    "content offset",
                    "decoded",
                    "ratio"
                )?;
                for f in &index.frames {
                    writeln!(
                        out,
                        "    {:>6} {:>6} {:>14} {:>12} {:>14} {:>12} {:>7.3}",
                        f.stream,
                        f.index,
                        f.file_offset,
                        f.frame_bytes,
                        f.content_offset,
                        f.decoded_size,
                        f.decoded_size as f64 / f.frame_bytes as f64
                    )?;
                }
            }
            Ok((index.streams.len(), index.frames.len(), compressed, decoded))
        })();
        match result {
            Ok((streams, frames, compressed, decoded)) => {
                listed += 1;
                totals.0 += streams;
                totals.1 += frames;
                totals.2 += compressed;
                totals.3 += decoded;
            }
            Err(e) => {
                crate::say(format_args!("{e:#}"));
                failed = Some(e);
            }
        }
    }
    if !json && listed > 1 {
        // Like xz -l and zstd -l: one more row for all the files together.
        let (streams, frames, compressed, decoded) = totals;
        writeln!(
            out,
            "{:>8} {:>8} {:>12} {:>14} {:>7.3} {:>6} {:>9} {:>7}  {listed} files",
            streams,
            frames,
            human(compressed),
            human(decoded),
            decoded as f64 / compressed.max(1) as f64,
            "",
            "",
            ""
        )?;
    }
    match failed {
        Some(_) => Err(anyhow::anyhow!(crate::SILENT)),
        None => Ok(()),
    }
}

/// Writes content bytes `start..start+len` of a seekable `.sigma` file to `out`, decoding only
/// the frames that hold them.
pub fn range_seekable(
    file: File,
    name: &str,
    start: u64,
    len: u64,
    options: &DecoderOptions,
    out: &mut impl Write,
) -> Result<RangeSummary> {
    let mut dec =
        SeekableDecoder::new(file, options).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    dec.seek(SeekFrom::Start(start))?;
    let mut taken = dec.take(len);
    let written = std::io::copy(&mut taken, out).map_err(|e| match sigmalang::into_error(e) {
        sigmalang::Error::Io(io) => anyhow::Error::new(io),
        codec => anyhow::anyhow!("{name}: {codec}"),
    })?;
    let dec = taken.into_inner();
    let index = dec.index();
    let frames = match (index.frame_at(start), written) {
        (Some(first), 1..) => index
            .frame_at(start + written - 1)
            .map_or(0, |last| last - first + 1),
        _ => 0,
    };
    Ok(RangeSummary {
        start,
        written,
        frames: frames as u64,
        of_frames: Some(index.frames.len() as u64),
    })
}

/// What a `--range` run wrote and how many frames it decoded for it, for `-v` and `--json`.
pub struct RangeSummary {
    /// First content byte of the range.
    pub start: u64,
    /// Bytes of content written (fewer than asked where the content ends first).
    pub written: u64,
    /// Frames decoded: those that hold the range, or, from a stream read in sequence, every
    /// frame up to its end.
    pub frames: u64,
    /// Frames in the file, where the seek index told.
    pub of_frames: Option<u64>,
}
