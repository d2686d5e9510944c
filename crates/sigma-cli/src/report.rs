//! What `sigma` prints about a finished file: the `-v` summary line and the `--json` object.

use crate::args::Cli;
use crate::size::human;
use sigmalang::StreamStats;

/// Prints the per-file summary asked for by `-v` and/or `--json` (both on standard error).
pub fn summary(
    cli: &Cli,
    encoding: bool,
    testing: bool,
    name: &str,
    out_name: &str,
    stats: &StreamStats,
) {
    if cli.json {
        eprintln!("{}", json(encoding, name, out_name, stats));
    }
    if cli.verbose == 0 || cli.quiet > 0 {
        return;
    }
    let (plain, packed) = if encoding {
        (stats.bytes_in, stats.bytes_out)
    } else {
        (stats.bytes_out, stats.bytes_in)
    };
    let rss = stats
        .peak_rss
        .map_or_else(String::new, |r| format!(", peak RSS {}", human(r)));
    let verb = if testing {
        "OK"
    } else if encoding {
        "compressed"
    } else {
        "decompressed"
    };
    eprintln!(
        "{name}: {verb}: {} -> {} (ratio {:.3}), {:.1} MB/s, {}{rss}",
        human(if encoding { plain } else { packed }),
        human(if encoding { packed } else { plain }),
        stats.ratio(encoding),
        stats.throughput_mb_s(encoding),
        count(stats.frames, "frame"),
    );
}

/// Prints what a `--range` run did, as asked by `-v` and/or `--json` (both on standard error):
/// `a.sigma: OK: bytes 4096..5120 (1.0 KiB), 1 frame of 12 decoded`.
pub fn range_summary(
    cli: &Cli,
    testing: bool,
    name: &str,
    out_name: &str,
    summary: &crate::inspect::RangeSummary,
) {
    let end = summary.start + summary.written;
    if cli.json {
        eprintln!(
            "{{\"input\":\"{}\",\"output\":\"{}\",\"mode\":\"{}\",\"start\":{},\"end\":{},\
             \"frames\":{},\"frames_in_file\":{}}}",
            escape(name),
            escape(out_name),
            if testing {
                "test-range"
            } else {
                "decompress-range"
            },
            summary.start,
            end,
            summary.frames,
            summary
                .of_frames
                .map_or_else(|| "null".to_string(), |n| n.to_string()),
        );
    }
    if cli.verbose == 0 || cli.quiet > 0 {
        return;
    }
    let verb = if testing {
        "OK".to_string()
    } else {
        format!("decompressed to {out_name}")
    };
    let of = summary
        .of_frames
        .map_or_else(String::new, |n| format!(" of {n}"));
    eprintln!(
        "{name}: {verb}: bytes {}..{end} ({}), {}{of} decoded",
        summary.start,
        human(summary.written),
        count(summary.frames, "frame"),
    );
}

/// `n` and `noun`, plural unless `n` is 1: "1 frame", "3 frames".
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The statistics as one JSON object.
pub fn json(encoding: bool, name: &str, out_name: &str, stats: &StreamStats) -> String {
    let frames: Vec<String> = stats
        .frame_stats
        .iter()
        .map(|f| {
            format!(
                "{{\"decoded\":{},\"encoded\":{},\"seconds\":{:.6}}}",
                f.decoded,
                f.encoded,
                f.time.as_secs_f64()
            )
        })
        .collect();
    format!(
        "{{\"input\":\"{}\",\"output\":\"{}\",\"mode\":\"{}\",\"bytes_in\":{},\"bytes_out\":{},\"frames\":{},\
         \"glyphs\":{{\"primitive\":{},\"reference\":{},\"delta\":{},\"composite\":{}}},\"ratio\":{:.4},\
         \"mb_per_s\":{:.3},\"seconds\":{:.6},\"peak_rss\":{},\"frame_stats\":[{}]}}",
        escape(name),
        escape(out_name),
        if encoding { "compress" } else { "decompress" },
        stats.bytes_in,
        stats.bytes_out,
        stats.frames,
        stats.glyphs[0],
        stats.glyphs[1],
        stats.glyphs[2],
        stats.glyphs[3],
        stats.ratio(encoding),
        stats.throughput_mb_s(encoding),
        stats.elapsed.as_secs_f64(),
        stats.peak_rss.map_or_else(|| "null".to_string(), |r| r.to_string()),
        frames.join(","),
    )
}
