//! `sigma demo [FILE]`: round-trips a text through the codec in memory and shows what happened:
//! sizes, ratio, speed, the glyph mix, and the first glyphs in Σ-notation.

use crate::report::count;
use anyhow::{bail, Context, Result};
use sigmalang::inspect::glyphs_of_text;
use sigmalang::{read::Decoder, write::Encoder, DecoderOptions, EncoderOptions};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::time::Instant;

/// Real prose shipped with the binary, used when no file is given: this project's own docs.
const SAMPLE: &str = concat!(
    include_str!("../../../README.md"),
    "\n",
    include_str!("../../../docs/FORMAT.md")
);

pub fn run(args: &[OsString]) -> Result<()> {
    let (name, text) = match args {
        [] => (
            "built-in sample (README.md + docs/FORMAT.md)".to_string(),
            SAMPLE.as_bytes().to_vec(),
        ),
        [path] => {
            let name = path.to_string_lossy().into_owned();
            (name.clone(), std::fs::read(path).with_context(|| name)?)
        }
        _ => bail!("usage: sigma demo [FILE]"),
    };
    let options = EncoderOptions::default()
        .threads(0)
        .size_hint(text.len() as u64);
    let started = Instant::now();
    let mut encoder = Encoder::with_options(Vec::new(), &options);
    encoder.write_all(&text)?;
    let (stream, stats) = encoder.finish_with_stats()?;
    let encode_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut decoder =
        Decoder::with_options(stream.as_slice(), DecoderOptions::default().threads(0));
    let mut back = Vec::with_capacity(text.len());
    decoder
        .read_to_end(&mut back)
        .context("decoding the demo stream")?;
    let decode_secs = started.elapsed().as_secs_f64();
    if back != text {
        bail!("round trip mismatch: this is a bug");
    }

    let mb = text.len() as f64 / 1e6;
    println!("ΣLANG demo: {name}");
    println!("  input       {:>12} bytes", text.len());
    println!(
        "  compressed  {:>12} bytes   ratio {:.3}   ({:.3} bits/byte)",
        stream.len(),
        text.len() as f64 / stream.len().max(1) as f64,
        8.0 * stream.len() as f64 / text.len().max(1) as f64
    );
    println!(
        "  encode      {:>9.1} MB/s   decode {:.1} MB/s   ({} of up to {} bytes, {})",
        mb / encode_secs,
        mb / decode_secs,
        count(stats.frames, "frame"),
        options.effective_frame_size(),
        count(options.effective_threads() as u64, "thread")
    );
    println!(
        "  glyphs      PRIMITIVE {}  REFERENCE {}  DELTA {}  COMPOSITE {}",
        stats.glyphs[0], stats.glyphs[1], stats.glyphs[2], stats.glyphs[3]
    );
    println!("  round trip  exact ({} bytes compared)", back.len());
    println!("  first glyphs:");
    let head = &text[..text.len().min(4096)];
    let mut shown = 0;
    glyphs_of_text(head, &Default::default(), None, &mut |line, _| {
        if shown < 16 {
            println!("    {line}");
        }
        shown += 1;
    });
    Ok(())
}
