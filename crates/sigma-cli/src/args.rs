//! Command-line syntax: the options `sigma` shares with gzip, xz and zstd.

use crate::size::parse_size;
use clap::{ArgAction, Parser};
use std::ffi::OsString;
use std::path::PathBuf;

/// Compress or decompress files with ΣLANG, a lossless glyph-based codec for text.
#[derive(Parser, Debug)]
#[command(
    name = "sigma",
    version,
    args_override_self = true,
    after_help = "With no FILE, or when FILE is -, read standard input and write standard output.\n\
                  Compressing FILE writes FILE.sigma and keeps FILE; -d turns FILE.sigma back into FILE.\n\
                  With -r, a directory FILE means every file under it.\n\
                  Levels: -1 (fastest) .. -9 (smallest), default -5; --fast = -1, --best = -9.\n\
                  Other commands: sigma demo [FILE], sigma inspect FILE, sigma recover FILE (= sigma -d --recover),\n\
                  sigma train FILE... -o CODEBOOK (learn a codebook for -D).\n\
                  Exit status: 0 success, 1 error, 2 warning (e.g. data lost by --recover)."
)]
pub struct Cli {
    // The operation flags override each other, the last one given winning, as in xz and zstd
    // (`sigmacat -t`, which is `sigma -dc -t`, then tests).
    /// Compress (the default).
    #[arg(short = 'z', long = "compress", overrides_with_all = ["decompress", "test", "list"])]
    pub compress: bool,
    /// Decompress.
    #[arg(
        short = 'd',
        long = "decompress",
        visible_alias = "uncompress",
        overrides_with_all = ["compress", "test", "list"]
    )]
    pub decompress: bool,
    /// Test the integrity of compressed files; write nothing.
    #[arg(short = 't', long = "test", overrides_with_all = ["compress", "decompress", "list"])]
    pub test: bool,
    /// List the frames, sizes and ratio of compressed files (with -v: one row per frame).
    #[arg(short = 'l', long = "list", overrides_with_all = ["compress", "decompress", "test"])]
    pub list: bool,
    /// Decompress only bytes START..START+LENGTH of the original (e.g. 1000:20, 4MiB:1KiB;
    /// 4MiB: to the end) to standard output (-c) or -o FILE; with -t, test only the frames
    /// that hold them.
    #[arg(long = "range", value_name = "START:LENGTH", value_parser = parse_range)]
    pub range: Option<(u64, u64)>,
    /// Decode every intact frame of a damaged file, report each lost byte range on standard
    /// error (`lost START..END` in offsets of the original), exit with status 2 if any was lost;
    /// with -t, only report them.
    #[arg(long = "recover", conflicts_with = "range")]
    pub recover: bool,
    /// Write to standard output, keep input files.
    #[arg(short = 'c', long = "stdout", visible_alias = "to-stdout")]
    pub stdout: bool,
    /// Write the output to FILE (one input only).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "stdout"
    )]
    pub output: Option<PathBuf>,
    /// Overwrite existing output files; read or write compressed data on a terminal.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Keep input files (the default; accepted for compatibility).
    #[arg(short = 'k', long = "keep")]
    pub keep: bool,
    /// Remove each input file once its output is complete.
    #[arg(long = "rm")]
    pub rm: bool,
    /// Suffix of compressed files: added when compressing, stripped when decompressing.
    #[arg(short = 'S', long = "suffix", value_name = "SUF", default_value = ".sigma", value_parser = parse_suffix)]
    pub suffix: String,
    /// Process the files under each directory FILE, and under its subdirectories (when
    /// compressing: those without the suffix; otherwise: those with it).
    #[arg(short = 'r', long = "recursive")]
    pub recursive: bool,
    /// Print less (repeat for silence).
    #[arg(short = 'q', long = "quiet", action = ArgAction::Count)]
    pub quiet: u8,
    /// Print a summary line per file.
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
    /// Compression level 1..9 (also -1 .. -9).
    #[arg(long = "level", value_name = "N", value_parser = clap::value_parser!(u8).range(1..=9))]
    pub level: Option<u8>,
    /// Worker threads, 0 = one per core (the default).
    #[arg(short = 'T', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
    /// Frame size, e.g. 1MiB (default: from the level and the input size).
    #[arg(long = "frame-size", value_name = "SIZE", value_parser = parse_size)]
    pub frame_size: Option<u64>,
    /// Memory limit, e.g. 512MiB: fewer frames are coded at once to stay under it, and the
    /// cores left over code parts of theirs.
    #[arg(short = 'M', long = "memory", value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,
    /// Code small frames over this codebook (made by `sigma train`) instead of the built-in
    /// English one; decompressing needs the same codebook.
    #[arg(
        short = 'D',
        long = "codebook",
        value_name = "CODEBOOK",
        conflicts_with = "no_codebook"
    )]
    pub codebook: Option<PathBuf>,
    /// Compress without a codebook (not even the built-in English one).
    #[arg(long = "no-codebook")]
    pub no_codebook: bool,
    /// Print statistics as one JSON object per file on standard error.
    #[arg(long = "json")]
    pub json: bool,
    /// Never show a progress bar.
    #[arg(long = "no-progress")]
    pub no_progress: bool,
    /// Files to process.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// A suffix is part of a file name: neither empty nor holding a path separator.
fn parse_suffix(text: &str) -> Result<String, String> {
    if text.is_empty() || text.contains(std::path::is_separator) {
        return Err(format!(
            "invalid suffix '{text}': it must be a non-empty part of a file name"
        ));
    }
    Ok(text.to_string())
}

impl Cli {
    /// Refuses `--range` and `--recover` unless the operation decodes (not clap's `requires`:
    /// that counts a flag that a later operation flag overrode, so `-d -z --range` compressed),
    /// and `-d --range FILE` without `-c` or `-o`: part of a file written under the file's own
    /// name would pass for all of it.
    pub fn validate(&self) -> Result<(), clap::Error> {
        let missing = |message: String| {
            <Cli as clap::CommandFactory>::command()
                .error(clap::error::ErrorKind::MissingRequiredArgument, message)
        };
        let decoding = self.decompress || self.test;
        for (given, flag) in [
            (self.range.is_some(), "--range"),
            (self.recover, "--recover"),
        ] {
            if given && !decoding {
                return Err(missing(format!(
                    "{flag} needs -d (decompress) or -t (test)"
                )));
            }
        }
        let to_derived_names = !self.stdout
            && self.output.is_none()
            && self.files.iter().any(|f| f.as_os_str() != "-");
        if self.range.is_some() && self.decompress && to_derived_names {
            return Err(missing(
                "-d --range writes part of the original: give -c (standard output) or -o FILE"
                    .to_string(),
            ));
        }
        Ok(())
    }
}

/// Parses `START:LENGTH` (sizes may carry suffixes), or `START:` for everything from `START`.
pub fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (start, len) = text
        .split_once(':')
        .ok_or_else(|| format!("invalid range '{text}': expected START:LENGTH or START:"))?;
    let len = if len.is_empty() {
        u64::MAX
    } else {
        parse_size(len)?
    };
    Ok((parse_size(start)?, len))
}

/// Rewrites zstd-style level flags (`-9`, `-9c`, `--fast`, `--best`) into `--level=N`, which
/// clap understands; everything after `--` is left alone.
pub fn rewrite_levels(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut literal = false;
    for arg in args {
        let Some(text) = arg.to_str().filter(|_| !literal) else {
            out.push(arg);
            continue;
        };
        match text {
            "--" => {
                literal = true;
                out.push(arg);
            }
            "--fast" => out.push("--level=1".into()),
            "--best" => out.push("--level=9".into()),
            _ if is_flag_cluster_with_digits(text) => {
                let flags: String = text[1..].chars().filter(|c| !c.is_ascii_digit()).collect();
                let digits: String = text[1..].chars().filter(char::is_ascii_digit).collect();
                if !flags.is_empty() {
                    out.push(format!("-{flags}").into());
                }
                out.push(format!("--level={digits}").into());
            }
            _ => out.push(arg),
        }
    }
    out
}

/// `-9`, `-dc9`: a short-flag cluster of value-less flags with one run of digits in it.
fn is_flag_cluster_with_digits(text: &str) -> bool {
    let Some(body) = text.strip_prefix('-') else {
        return false;
    };
    if body.is_empty() || body.starts_with('-') || !body.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let digit_runs = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .count();
    digit_runs == 1
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || "zdtcfkqvlr".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_with_sizes_and_an_open_end() {
        assert_eq!(parse_range("1000:20"), Ok((1000, 20)));
        assert_eq!(parse_range("4MiB:1KiB"), Ok((4 << 20, 1024)));
        assert_eq!(parse_range("4MiB:"), Ok((4 << 20, u64::MAX)));
        assert_eq!(parse_range("0:"), Ok((0, u64::MAX)));
        for bad in ["", "12", ":5", "x:5", "5:x"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }

    fn rewrite(args: &[&str]) -> Vec<String> {
        rewrite_levels(args.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn level_flags_become_level_options() {
        assert_eq!(rewrite(&["sigma", "-9", "f"]), ["sigma", "--level=9", "f"]);
        assert_eq!(rewrite(&["sigma", "-c3"]), ["sigma", "-c", "--level=3"]);
        assert_eq!(
            rewrite(&["sigma", "--fast", "--best"]),
            ["sigma", "--level=1", "--level=9"]
        );
        assert_eq!(
            rewrite(&["sigma", "-T4", "-M", "64M"]),
            ["sigma", "-T4", "-M", "64M"]
        );
        assert_eq!(rewrite(&["sigma", "--", "-5"]), ["sigma", "--", "-5"]);
        let cli = Cli::try_parse_from(rewrite(&["sigma", "-3", "-dc", "-7", "x"])).unwrap();
        assert_eq!(cli.level, Some(7));
        assert!(cli.decompress && cli.stdout);
        assert!(Cli::try_parse_from(rewrite(&["sigma", "-19"])).is_err());
        let cli = Cli::try_parse_from(rewrite(&["sigma", "-r9", "d"])).unwrap();
        assert_eq!(cli.level, Some(9));
        assert!(cli.recursive);
    }
}
