//! `sigma train FILE... -o CODEBOOK`: learns a codebook from sample files, like `zstd --train`,
//! and loads codebook files for `-D`.

use crate::output::AtomicFile;
use anyhow::{bail, Context, Result};
use clap::Parser;
use sigmalang::codebook::{Codebook, Trainer, DEFAULT_ENTRIES, MAX_ENTRIES};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Learn a codebook (the most frequent words of sample text) for `sigma -D CODEBOOK`.
#[derive(Parser, Debug)]
#[command(name = "sigma train")]
struct TrainArgs {
    /// Sample files (- for standard input).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Where to write the codebook.
    #[arg(short = 'o', long = "output", value_name = "CODEBOOK", required = true)]
    output: PathBuf,
    /// How many words to keep at most (default and limit 65536; only words seen twice count).
    #[arg(long = "entries", value_name = "N", default_value_t = DEFAULT_ENTRIES as u32,
          value_parser = clap::value_parser!(u32).range(1..=MAX_ENTRIES as i64))]
    entries: u32,
    /// The id streams record (default: from the codebook's hash; the built-in English codebook
    /// is id 1).
    #[arg(long = "id", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    id: Option<u32>,
    /// Overwrite an existing codebook file.
    #[arg(short = 'f', long = "force")]
    force: bool,
    /// Print nothing.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,
}

pub fn run(args: &[OsString]) -> Result<()> {
    let args = match TrainArgs::try_parse_from(
        std::iter::once(OsString::from("sigma train")).chain(args.iter().cloned()),
    ) {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            e.print()?;
            return Ok(());
        }
        Err(e) => bail!("{}", e.to_string().trim_end()),
    };
    if args.output.exists() && !args.force {
        bail!("{}: already exists; not overwritten", args.output.display());
    }
    let mut trainer = Trainer::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for path in &args.files {
        let (name, mut reader): (String, Box<dyn Read>) = if path.as_os_str() == "-" {
            ("(stdin)".into(), Box::new(io::stdin().lock()))
        } else {
            let name = path.display().to_string();
            let file = File::open(path).with_context(|| name.clone())?;
            (name, Box::new(file))
        };
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| name.clone()),
            };
            trainer.feed(&buf[..n]);
            total += n as u64;
        }
        trainer.end_document();
    }
    let mut book = trainer.finish(args.entries as usize);
    if let Some(id) = args.id {
        book = book.with_id(id);
    }
    if book.is_empty() {
        bail!("no word occurs twice in the samples: nothing to learn");
    }
    let bytes = book.to_bytes();
    let mut out = AtomicFile::create(&args.output)?;
    out.file()
        .write_all(&bytes)
        .with_context(|| args.output.display().to_string())?;
    out.commit(args.force, None)?;
    if !args.quiet {
        eprintln!(
            "{}: {} entries from {total} bytes, {} bytes, id {:08x}, hash {:016x}",
            args.output.display(),
            book.len(),
            bytes.len(),
            book.id(),
            book.hash()
        );
    }
    Ok(())
}

/// Reads the codebook file at `path`.
pub fn load(path: &Path) -> Result<Arc<Codebook>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| name.clone())?;
    let book = Codebook::from_bytes(&bytes).with_context(|| name.clone())?;
    Ok(Arc::new(book))
}
