//! `sigma train FILE... -o CODEBOOK`: learns a codebook from sample files, like `zstd --train`,
//! and loads codebook files for `-D`. The samples are read twice: once for the entries, once
//! for their keys (standard input is kept in a temporary file in between).

use crate::output::AtomicFile;
use anyhow::{bail, Context, Result};
use clap::Parser;
use sigmalang::codebook::{Codebook, KeyLearner, Trainer, DEFAULT_ENTRIES, MAX_ENTRIES};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
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
    /// Learn no keys (the order that makes frames over the codebook about 1 % smaller): the
    /// samples are read once, and the file is a version 1 codebook, which older versions of
    /// sigma read too.
    #[arg(long = "no-keys")]
    no_keys: bool,
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
    // Standard input is kept for the second pass, which learns the keys.
    let mut stdin_copy = None;
    let keep_stdin = (!args.no_keys).then_some(&mut stdin_copy);
    let total = read_samples(&args.files, keep_stdin, |text| match text {
        Some(text) => trainer.feed(text),
        None => trainer.end_document(),
    })?;
    let mut book = trainer.finish(args.entries as usize);
    if !args.no_keys && !book.is_empty() {
        let mut learner = KeyLearner::new(&book);
        read_samples(&args.files, Some(&mut stdin_copy), |text| match text {
            Some(text) => learner.feed(text),
            None => learner.end_document(),
        })?;
        let keys = learner.finish();
        book = book.with_keys(keys).context("learning the keys")?;
    }
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
            "{}: {} entries{} from {total} bytes, {} bytes, id {:08x}, hash {:016x}",
            args.output.display(),
            book.len(),
            if book.keys().is_some() {
                " and keys"
            } else {
                ""
            },
            bytes.len(),
            book.id(),
            book.hash()
        );
    }
    Ok(())
}

/// Feeds every sample file to `feed` in turn (`None` after each file's last byte), and returns
/// how many bytes they hold. Standard input (`-`, read once however often it is named) is
/// copied to a temporary file in `stdin_copy`, if given, the first time, and read from there
/// after.
fn read_samples(
    files: &[PathBuf],
    mut stdin_copy: Option<&mut Option<File>>,
    mut feed: impl FnMut(Option<&[u8]>),
) -> Result<u64> {
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut stdin_read = false;
    for path in files {
        let is_stdin = path.as_os_str() == "-";
        if is_stdin && std::mem::replace(&mut stdin_read, true) {
            continue;
        }
        let (name, mut reader, mut copy): (String, Box<dyn Read>, Option<&mut File>) =
            match (is_stdin, stdin_copy.as_deref_mut()) {
                (true, Some(Some(copy))) => {
                    copy.rewind().context("(stdin) kept in a temporary file")?;
                    ("(stdin)".into(), Box::new(copy.try_clone()?), None)
                }
                (true, Some(slot)) => {
                    let copy = tempfile::tempfile().context("a temporary file for (stdin)")?;
                    let copy = slot.insert(copy);
                    ("(stdin)".into(), Box::new(io::stdin().lock()), Some(copy))
                }
                (true, None) => ("(stdin)".into(), Box::new(io::stdin().lock()), None),
                (false, _) => {
                    let name = path.display().to_string();
                    let file = File::open(path).with_context(|| name.clone())?;
                    (name, Box::new(file), None)
                }
            };
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| name.clone()),
            };
            if let Some(copy) = copy.as_mut() {
                copy.write_all(&buf[..n])
                    .context("(stdin) kept in a temporary file")?;
            }
            feed(Some(&buf[..n]));
            total += n as u64;
        }
        feed(None);
    }
    Ok(total)
}

/// Reads the codebook file at `path`.
pub fn load(path: &Path) -> Result<Arc<Codebook>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| name.clone())?;
    let book = Codebook::from_bytes(&bytes).with_context(|| name.clone())?;
    Ok(Arc::new(book))
}
