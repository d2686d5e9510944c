//! `sigma`: the ΣLANG command-line tool, with the conventions of gzip, xz and zstd.

mod args;
mod demo;
mod inspect;
mod output;
mod progress;
mod report;
mod size;
mod train;
mod walk;

use anyhow::{anyhow, bail, Context, Result};
use args::Cli;
use clap::Parser;
use output::{AtomicFile, Sink};
use progress::Progress;
use sigmalang::codebook::Codebook;
use sigmalang::{read::Decoder, write::Encoder, DecoderOptions, EncoderOptions, StreamStats};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

/// Message of an error that has already been printed.
pub const SILENT: &str = "(reported above)";

/// Exit statuses.
const OK: u8 = 0;
const ERROR: u8 = 1;
const WARNING: u8 = 2;

/// An outcome that is not an error but must change the exit status (data lost by --recover).
#[derive(Debug)]
struct Warned;

impl std::fmt::Display for Warned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(SILENT)
    }
}

impl std::error::Error for Warned {}

fn main() -> ExitCode {
    pin_allocator_threshold();
    output::install_interrupt_cleanup();
    let argv: Vec<OsString> = std::env::args_os().collect();
    let status = std::panic::catch_unwind(|| dispatch(argv)).unwrap_or_else(|_| {
        say("internal error (a bug: please report it with the input that caused it)");
        ERROR
    });
    ExitCode::from(status)
}

/// Frame buffers are megabytes each and are freed on worker threads. glibc's malloc raises its
/// mmap threshold as such blocks are freed, after which freed buffers stay in per-thread arenas
/// and peak RSS varies by tens of MiB between identical runs. Pinning the threshold at 1 MiB
/// keeps every large buffer an mmap that is returned to the OS when freed, so memory follows
/// what is actually in use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_allocator_threshold() {
    // SAFETY: mallopt only sets a malloc tuning parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_allocator_threshold() {}

/// The name the tool goes by in its messages: `sigma`, or the alias it was invoked as.
static PROGRAM: OnceLock<&'static str> = OnceLock::new();

/// Prints one line of diagnostics, the program's name first, as xz and gzip do.
pub fn say(message: impl std::fmt::Display) {
    eprintln!("{}: {message}", PROGRAM.get().copied().unwrap_or("sigma"));
}

/// The name and flags of a name the binary may be invoked by, as `unxz` and `xzcat` stand for
/// `xz -d` and `xz -dc` (a link or copy of `sigma` under that name); `None` for `sigma`.
fn alias(argv0: &OsStr) -> Option<(&'static str, &'static str)> {
    match Path::new(argv0).file_stem()?.to_str()? {
        "unsigma" => Some(("unsigma", "-d")),
        "sigmacat" => Some(("sigmacat", "-dc")),
        _ => None,
    }
}

fn dispatch(argv: Vec<OsString>) -> u8 {
    if let Some((name, flags)) = argv.first().and_then(|argv0| alias(argv0)) {
        PROGRAM.get_or_init(|| name);
        // No subcommands under these names: `unsigma demo` means a file named `demo`.
        let argv = argv[..1]
            .iter()
            .cloned()
            .chain([flags.into()])
            .chain(argv[1..].iter().cloned());
        return parse_and_run(argv.collect());
    }
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("demo") => return report_result(demo::run(&argv[2..])),
        Some("inspect") => return report_result(inspect::run(&argv[2..])),
        Some("train") => return report_result(train::run(&argv[2..])),
        _ => {}
    }
    let argv = match argv.get(1).and_then(|a| a.to_str()) {
        Some("recover") => [OsString::from("sigma"), "-d".into(), "--recover".into()]
            .into_iter()
            .chain(argv[2..].iter().cloned())
            .collect(),
        _ => argv,
    };
    parse_and_run(argv)
}

fn parse_and_run(argv: Vec<OsString>) -> u8 {
    let parsed = Cli::try_parse_from(args::rewrite_levels(argv));
    let cli = match parsed.and_then(|cli| cli.validate().map(|()| cli)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ERROR } else { OK };
        }
    };
    run(&cli)
}

/// Prints an error the way the tool always does: one line, the program's name first. A broken
/// pipe is not an error: the reader went away, so we stop quietly.
fn report_error(e: &anyhow::Error) -> u8 {
    if is_broken_pipe(e) {
        return OK;
    }
    if e.downcast_ref::<Warned>().is_some() {
        return WARNING;
    }
    if e.to_string() != SILENT {
        say(format_args!("{e:#}"));
    }
    ERROR
}

fn report_result(r: Result<()>) -> u8 {
    match r {
        Ok(()) => OK,
        Err(e) => report_error(&e),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Compress,
    Decompress,
    Test,
}

fn run(cli: &Cli) -> u8 {
    let mut status = OK;
    let files = if cli.recursive {
        let compressed = cli.list || cli.test || cli.decompress;
        let (files, unreadable) = walk::expand(&cli.files, |path| {
            has_suffix(path, &cli.suffix) == compressed
        });
        for walk::Unreadable { path, error } in unreadable {
            say(format_args!("{}: {error}", path.display()));
            status = ERROR;
        }
        if files.is_empty() && !cli.files.is_empty() {
            // Directories with nothing to do: not a reason to read standard input.
            return status;
        }
        files
    } else {
        cli.files.clone()
    };
    if cli.list {
        return status.max(report_result(inspect::list(
            &files,
            cli.verbose > 0,
            cli.json,
        )));
    }
    let mode = if cli.test {
        Mode::Test
    } else if cli.decompress {
        Mode::Decompress
    } else {
        Mode::Compress
    };
    let inputs: Vec<Option<PathBuf>> = if files.is_empty() {
        vec![None]
    } else {
        files
            .iter()
            .map(|f| (f.as_os_str() != "-").then(|| f.clone()))
            .collect()
    };
    if cli.output.is_some() && inputs.len() > 1 {
        say("-o needs exactly one input file");
        return ERROR;
    }
    let codebook = match cli.codebook.as_deref().map(train::load).transpose() {
        Ok(codebook) => codebook,
        Err(e) => return report_error(&e),
    };
    for input in &inputs {
        if let Err(e) = process(cli, codebook.as_ref(), mode, input.as_deref()) {
            if is_broken_pipe(&e) {
                return status;
            }
            status = status.max(report_error(&e));
        }
    }
    status
}

fn display(input: Option<&Path>) -> String {
    input.map_or_else(|| "(stdin)".to_string(), |p| p.display().to_string())
}

/// Whether the file name of `path` ends with `suffix` (`.sigma` unless `-S` says otherwise).
fn has_suffix(path: &Path, suffix: &str) -> bool {
    path.file_name()
        .is_some_and(|name| name.as_encoded_bytes().ends_with(suffix.as_bytes()))
}

/// `name` without `suffix`, if it ends with it and is longer.
#[cfg(unix)]
fn strip_suffix(name: &OsStr, suffix: &str) -> Option<OsString> {
    use std::os::unix::ffi::OsStrExt;
    let stem = name.as_bytes().strip_suffix(suffix.as_bytes())?;
    (!stem.is_empty()).then(|| OsStr::from_bytes(stem).to_owned())
}

#[cfg(not(unix))]
fn strip_suffix(name: &OsStr, suffix: &str) -> Option<OsString> {
    let stem = name.to_str()?.strip_suffix(suffix)?;
    (!stem.is_empty()).then(|| OsString::from(stem))
}

/// The output path a file gets when no `-o`/`-c` is given.
fn derived_output(mode: Mode, input: &Path, suffix: &str) -> Result<PathBuf> {
    let name = input.display();
    match mode {
        Mode::Compress => {
            if has_suffix(input, suffix) {
                bail!("{name}: already has {suffix} suffix -- ignored");
            }
            let mut out = input.as_os_str().to_owned();
            out.push(suffix);
            Ok(out.into())
        }
        Mode::Decompress => match input.file_name().and_then(|n| strip_suffix(n, suffix)) {
            Some(stem) => Ok(input.with_file_name(stem)),
            None => bail!("{name}: unknown suffix -- ignored (expected {suffix}; name the output with -o or use -c)"),
        },
        Mode::Test => unreachable!("testing writes no output"),
    }
}

/// Compresses, decompresses or tests one input; `codebook` is the one `-D` names, loaded once
/// for all inputs.
fn process(
    cli: &Cli,
    codebook: Option<&Arc<Codebook>>,
    mode: Mode,
    input: Option<&Path>,
) -> Result<()> {
    let name = display(input);
    let mut source = None;
    let (reader, size): (Box<dyn Read>, Option<u64>) = match input {
        None => {
            if mode != Mode::Compress && io::stdin().is_terminal() && !cli.force {
                bail!("compressed data not read from a terminal. Use -f to force.");
            }
            (Box::new(io::stdin().lock()), None)
        }
        Some(path) => {
            let to_derived_file = mode != Mode::Test && cli.output.is_none() && !cli.stdout;
            if to_derived_file && !cli.force {
                // Like gzip, xz and zstd: only regular files are turned into files, unless forced.
                let link = std::fs::symlink_metadata(path).with_context(|| name.clone())?;
                if link.file_type().is_symlink() {
                    bail!("{name}: is a symbolic link -- ignored (use -f to follow it)");
                }
                if !link.is_file() && !link.is_dir() {
                    bail!("{name}: not a regular file -- ignored (use -f or -c)");
                }
            }
            let file = File::open(path).with_context(|| name.clone())?;
            let meta = file.metadata().with_context(|| name.clone())?;
            if meta.is_dir() {
                bail!("{name}: is a directory -- ignored (use -r to process the files in it)");
            }
            source = Some(meta.clone());
            (Box::new(file), meta.is_file().then_some(meta.len()))
        }
    };

    let target: Option<PathBuf> = match (mode, &cli.output) {
        (Mode::Test, _) => None,
        (_, Some(out)) if out.as_os_str() == "-" => None,
        (_, Some(out)) => Some(out.clone()),
        _ if cli.stdout || input.is_none() => None,
        _ => Some(derived_output(
            mode,
            input.expect("file input"),
            &cli.suffix,
        )?),
    };
    if let Some(target) = &target {
        if target.exists() && !cli.force {
            bail!("{}: already exists; not overwritten", target.display());
        }
        if let (Some(src), Ok(dst)) = (
            input.and_then(|p| p.canonicalize().ok()),
            target.canonicalize(),
        ) {
            if src == dst {
                bail!("{name}: input and output are the same file");
            }
        }
    }
    if mode == Mode::Compress && target.is_none() && io::stdout().is_terminal() && !cli.force {
        bail!("compressed data not written to a terminal. Use -f to force.");
    }

    let mut sink = match (&target, mode) {
        (_, Mode::Test) => Sink::Null,
        (Some(path), _) => Sink::File(AtomicFile::create(path)?),
        (None, _) => Sink::Stdout(io::stdout().lock()),
    };
    let out_name = match (&target, mode) {
        (_, Mode::Test) => "(none)".to_string(),
        (Some(p), _) => p.display().to_string(),
        (None, _) => "(stdout)".to_string(),
    };
    if cli.recover {
        let options = decoder_options(cli, codebook);
        let summary = sigmalang::recover::recover(reader, &mut sink, &options, |lost| {
            let known = |x: Option<u64>| x.map_or_else(|| "?".to_string(), |v| v.to_string());
            say(format_args!(
                "{name}: lost {}..{} ({})",
                known(lost.start),
                known(lost.end),
                lost.reason
            ));
        })
        .map_err(|e| anyhow!("{name}: {e}"))?;
        finish_sink(sink, cli.force, source.as_ref(), &out_name)?;
        if cli.verbose > 0 && cli.quiet == 0 {
            eprintln!(
                "{name}: recovered {}, {}; {}",
                report::count(summary.frames_recovered, "frame"),
                report::count(summary.bytes_recovered, "byte"),
                report::count(summary.lost.len() as u64, "damaged range")
            );
        }
        return if summary.lost.is_empty() {
            Ok(())
        } else {
            Err(Warned.into())
        };
    }
    if let Some((start, len)) = cli.range {
        let summary = match input {
            Some(path) if size.is_some() => {
                drop(reader);
                let file = File::open(path).with_context(|| name.clone())?;
                let options = decoder_options(cli, codebook);
                inspect::range_seekable(file, &name, start, len, &options, &mut sink)?
            }
            _ => {
                let mut decoder = Decoder::with_options(
                    BufReader::with_capacity(1 << 20, reader),
                    decoder_options(cli, codebook),
                );
                let skipped = io::copy(&mut (&mut decoder).take(start), &mut io::sink())
                    .map_err(|e| describe_read_error(e, &name))?;
                let written = if skipped == start {
                    let mut taken = (&mut decoder).take(len);
                    pump(&mut taken, &mut sink, &name, &out_name, |_, _, _| {})?
                } else {
                    0
                };
                inspect::RangeSummary {
                    start,
                    written,
                    frames: decoder.stats().frames,
                    of_frames: None,
                }
            }
        };
        finish_sink(sink, cli.force, source.as_ref(), &out_name)?;
        report::range_summary(cli, mode == Mode::Test, &name, &out_name, &summary);
        return Ok(());
    }
    let stats = match mode {
        Mode::Compress => compress(cli, codebook, reader, size, &mut sink, &name, &out_name)?,
        Mode::Decompress | Mode::Test => {
            decompress(cli, codebook, reader, size, &mut sink, &name, &out_name)?
        }
    };
    finish_sink(sink, cli.force, source.as_ref(), &out_name)?;
    if cli.rm && target.is_some() {
        if let Some(path) = input {
            std::fs::remove_file(path).with_context(|| format!("{name}: cannot remove"))?;
        }
    }
    report::summary(
        cli,
        mode == Mode::Compress,
        mode == Mode::Test,
        &name,
        &out_name,
        &stats,
    );
    Ok(())
}

/// Completes the output: renames a finished file into place (with the permissions and times
/// of `source`, the input's metadata), or flushes standard output.
fn finish_sink(
    sink: Sink,
    overwrite: bool,
    source: Option<&std::fs::Metadata>,
    out_name: &str,
) -> Result<()> {
    match sink {
        Sink::File(file) => file.commit(overwrite, source),
        Sink::Stdout(mut out) => out.flush().with_context(|| out_name.to_string()),
        Sink::Null => Ok(()),
    }
}

fn threads(cli: &Cli) -> usize {
    cli.threads.unwrap_or(0)
}

/// Copies `reader` into `writer`, naming the side that failed; `tick` is called after every
/// chunk with the bytes copied so far.
fn pump<R: Read, W: Write>(
    reader: &mut R,
    writer: &mut W,
    in_name: &str,
    out_name: &str,
    mut tick: impl FnMut(&R, &W, u64),
) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(describe_read_error(e, in_name)),
        };
        writer
            .write_all(&buf[..n])
            .with_context(|| out_name.to_string())?;
        total += n as u64;
        tick(reader, writer, total);
    }
}

fn show_progress(cli: &Cli) -> bool {
    cli.quiet == 0 && !cli.no_progress
}

/// Turns a read error into one line naming the file; codec errors keep their frame and offset.
fn describe_read_error(e: io::Error, name: &str) -> anyhow::Error {
    match sigmalang::into_error(e) {
        sigmalang::Error::Io(io) => anyhow!(io).context(name.to_string()),
        codec @ sigmalang::Error::Codebook { .. } => {
            anyhow!("{name}: {codec} (give it with -D CODEBOOK)")
        }
        codec => anyhow!("{name}: {codec}"),
    }
}

fn decoder_options(cli: &Cli, codebook: Option<&Arc<Codebook>>) -> DecoderOptions {
    let mut options = DecoderOptions::default().threads(threads(cli));
    if let Some(memory) = cli.memory {
        options = options.memory_limit(memory);
    }
    if let Some(book) = codebook {
        options = options.codebook(book.clone());
    }
    options
}

fn compress(
    cli: &Cli,
    codebook: Option<&Arc<Codebook>>,
    reader: Box<dyn Read>,
    size: Option<u64>,
    sink: &mut Sink,
    name: &str,
    out_name: &str,
) -> Result<StreamStats> {
    let mut options = EncoderOptions::default()
        .level(cli.level.unwrap_or(sigmalang::options::DEFAULT_LEVEL))
        .threads(threads(cli));
    if let Some(size) = size {
        options = options.size_hint(size);
    }
    if let Some(frame) = cli.frame_size {
        options = options.frame_size(frame);
    }
    if let Some(memory) = cli.memory {
        options = options.memory_limit(memory);
    }
    if let Some(book) = codebook {
        options = options.codebook(Some(book.clone()));
    } else if cli.no_codebook {
        options = options.codebook(None);
    }
    let mut progress = Progress::new(show_progress(cli), name, size);
    let mut encoder = Encoder::with_options(&mut *sink, &options);
    let mut reader = reader;
    pump(
        &mut reader,
        &mut encoder,
        name,
        out_name,
        |_, enc, total| progress.update(total, enc.stats().bytes_out, true),
    )?;
    progress.finish();
    let (_, stats) = encoder
        .finish_with_stats()
        .with_context(|| out_name.to_string())?;
    Ok(stats)
}

fn decompress(
    cli: &Cli,
    codebook: Option<&Arc<Codebook>>,
    reader: Box<dyn Read>,
    size: Option<u64>,
    sink: &mut Sink,
    name: &str,
    out_name: &str,
) -> Result<StreamStats> {
    let options = decoder_options(cli, codebook);
    let mut progress = Progress::new(show_progress(cli), name, size);
    let mut decoder = Decoder::with_options(BufReader::with_capacity(1 << 20, reader), options);
    pump(&mut decoder, sink, name, out_name, |dec, _, total| {
        progress.update(dec.position(), total, false)
    })?;
    progress.finish();
    Ok(decoder.stats().clone())
}
