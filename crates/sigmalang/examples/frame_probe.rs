//! Times each stage of the frame codec on a slice of a file:
//! `cargo run --release -p sigmalang --example frame_probe -- FILE [MiB] [offset MiB]`
//! (environment: `MINC` bank threshold, `RAW` skip the word transform, `DELTA` DELTA glyphs,
//! `NO_BREAKS` newlines as glyphs (no soft line breaks),
//! `RANK` the rank coder instead of the context-mixing model, `QLFC` the recurrence coder,
//! `CODEBOOK` over the built-in English codebook, `PARTS=K` also the size of the BWT coded in K
//! parts, `DUMP=FILE` writes the word-transformed block to FILE).
use sigmalang::codebook::Codebook;
use sigmalang::transform::{Prior, Shape, TierOrder};
use sigmalang::{bwt, cm, qlfc, rank, transform};
use std::time::Instant;

fn mbps(bytes: usize, t: Instant) -> String {
    format!("{:.1} MB/s", bytes as f64 / t.elapsed().as_secs_f64() / 1e6)
}

/// Times an entropy coder's `encode` of `bwt` and its `decode` (which says whether it
/// succeeded) on a slice of `n` input bytes, prints the code's size, checks the round trip and
/// returns the decoded BWT.
fn probe_coder(
    name: &str,
    n: usize,
    bwt: &[u8],
    encode: impl FnOnce() -> Vec<u8>,
    decode: impl FnOnce(&[u8], &mut Vec<u8>) -> bool,
) -> Vec<u8> {
    let t = Instant::now();
    let code = encode();
    println!(
        "{name:<5} encode {}   -> {} bytes, ratio {:.4}",
        mbps(n, t),
        code.len(),
        n as f64 / code.len() as f64
    );
    let t = Instant::now();
    let mut back = Vec::new();
    assert!(decode(&code, &mut back), "{name} decodes its own code");
    println!("{name:<5} decode {}", mbps(n, t));
    assert!(back == bwt, "{name} round trip");
    back
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).unwrap();
    let mib: usize = args.get(2).map_or(8, |s| s.parse().unwrap());
    let skip: usize = args.get(3).map_or(0, |s| s.parse().unwrap());
    let input = &data[(skip << 20).min(data.len())..data.len().min((skip + mib) << 20)];
    let n = input.len();
    let t = Instant::now();
    let minc: u32 = std::env::var("MINC").map_or(2, |s| s.parse().unwrap());
    let english = Codebook::english();
    let codebook = std::env::var_os("CODEBOOK").map(|_| &*english);
    let prior = codebook.map(|codebook| Prior {
        codebook,
        min_coverage: 0.0,
        by_keys: true,
    });
    let deltas = std::env::var_os("DELTA").is_some();
    // Soft line breaks as the BWT levels code them, unless NO_BREAKS is set.
    let breaks = match std::env::var_os("NO_BREAKS") {
        Some(_) => None,
        None => Some(sigmalang::frame::LINE_BREAK_MIN_END),
    };
    let shape = Shape {
        deltas,
        prior,
        line_breaks: breaks,
        split_min: transform::SPLIT_MIN,
        ..Shape::new(minc, TierOrder::ByPredecessor)
    };
    let mut tr = transform::encode(input, &shape, sigmalang::IN_ONE_PART).expect("text transforms");
    if std::env::var_os("RAW").is_some() {
        tr.block = input.to_vec();
    }
    println!(
        "transform  {n} -> {} ({:.1}%), bank {} / {} B   {}",
        tr.block.len(),
        100.0 * tr.block.len() as f64 / n as f64,
        tr.params.bank_entries,
        tr.params.bank_bytes,
        mbps(n, t)
    );
    // The transformed block, for other compressors to be measured on what the BWT stage sees.
    if let Some(path) = std::env::var_os("DUMP") {
        std::fs::write(path, &tr.block).expect("DUMP names a writable file");
    }
    let t = Instant::now();
    let (b, primary) = bwt::forward(tr.block.clone());
    println!("bwt        {}", mbps(n, t));
    let repeats = b.windows(2).filter(|w| w[0] == w[1]).count();
    println!(
        "           P(byte == previous) = {:.3}",
        repeats as f64 / b.len() as f64
    );
    if std::env::var_os("QLFC").is_some() {
        let params = qlfc::QlfcParams::default();
        probe_coder(
            "qlfc",
            n,
            &b,
            || qlfc::encode(&b, params, Vec::new()),
            |code, back| qlfc::decode(code, b.len(), params, back),
        );
        return;
    }
    if std::env::var_os("RANK").is_some() {
        let (revision, params) = (rank::Revision::Second, rank::RankParams::default());
        probe_coder(
            "rank",
            n,
            &b,
            || rank::encode(&b, revision, params, Vec::new()),
            |code, back| rank::decode(code, b.len(), revision, params, back, None),
        );
        return;
    }
    let revision = cm::Revision::Second;
    let params = cm::ModelParams::default();
    if let Some(parts) = std::env::var("PARTS")
        .ok()
        .map(|s| s.parse::<usize>().unwrap())
    {
        let len = b.len();
        let total: usize = (0..parts)
            .map(|i| {
                let part = &b[i * len / parts..(i + 1) * len / parts];
                cm::encode(part, revision, params, Vec::new()).len()
            })
            .sum();
        println!("cm in {parts} parts -> {total} bytes");
    }
    let back = probe_coder(
        "cm",
        n,
        &b,
        || cm::encode(&b, revision, params, Vec::new()),
        |code, back| cm::decode(code, b.len(), revision, params, back),
    );
    let t = Instant::now();
    let mut block = Vec::new();
    bwt::inverse(back, primary, &mut block).unwrap();
    println!("unbwt      {}", mbps(n, t));
    let t = Instant::now();
    if std::env::var_os("RAW").is_none() {
        let mut out = Vec::new();
        transform::decode(
            &tr.params,
            &block,
            n,
            codebook,
            &mut out,
            sigmalang::IN_ONE_PART,
        )
        .unwrap();
        println!("untransform {}", mbps(n, t));
        assert_eq!(out, input);
    }
}
