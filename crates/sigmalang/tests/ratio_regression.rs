//! Ratio regression guard: compressed sizes of fixed corpus slices at several levels must not
//! grow by more than 0.5 % over the committed `ratio_results.csv`.
//!
//! After a change that makes output smaller (or a deliberate trade), regenerate the file with
//! `SIGMA_UPDATE_RATIOS=1 cargo test --release -p sigmalang --test ratio_regression`.

use sigmalang::{encode_all, EncoderOptions};
use std::path::{Path, PathBuf};

const TOLERANCE: f64 = 1.005;

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

fn results_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ratio_results.csv")
}

/// The levels measured on most slices: the fast one, the recurrence coder's strongest, the
/// default, the lean word model and the strongest.
const LEVELS: &[u8] = &[1, 5, 6, 7, 9];

/// (name, file, offset, length, levels) of each measured slice. The 8 MiB slices are cut into
/// 4 MiB frames at level 1 (one frame at levels 5 and 6); the 32 MiB ones are two frames at
/// level 4 (the fastest level that beats PPMd, bsc and bzip3 on the 100 MB corpora) and one
/// at levels 5 and 6; the 32 KB and 4 KB ones are small files, where the built-in codebook
/// matters most (their prose comes from before the part of text-100m.txt it was trained on;
/// frames of 4 KB take it in its own order at levels 6 to 9, those of 32 KB in the order of
/// its keys).
const SLICES: [(&str, &str, usize, usize, &[u8]); 10] = [
    ("text-4k", "text-100m.txt", 60_000_000, 4_000, LEVELS),
    ("text-32k", "text-100m.txt", 60_000_000, 32_000, LEVELS),
    ("mixed-32k", "mixed-100m.txt", 60_000_000, 32_000, LEVELS),
    ("text-8m", "text-100m.txt", 0, 8 << 20, LEVELS),
    ("mixed-8m", "mixed-100m.txt", 40 << 20, 8 << 20, LEVELS),
    ("text-32m", "text-100m.txt", 0, 32 << 20, &[4, 5, 6]),
    (
        "mixed-32m",
        "mixed-100m.txt",
        40 << 20,
        32 << 20,
        &[4, 5, 6],
    ),
    (
        "alice29",
        "canterbury/cantrbry/alice29.txt",
        0,
        usize::MAX,
        LEVELS,
    ),
    (
        "kennedy",
        "canterbury/cantrbry/kennedy.xls",
        0,
        usize::MAX,
        LEVELS,
    ),
    ("bible", "canterbury/large/bible.txt", 0, usize::MAX, LEVELS),
];

/// Slices coded without a codebook (`--no-codebook`, or text the English one does not cover),
/// where the frame's own bank takes every code, at the levels of the BWT stage.
const WITHOUT_CODEBOOK: [(&str, &str, usize, usize, &[u8]); 2] = [
    ("text-8m-no-codebook", "text-100m.txt", 0, 8 << 20, &[1, 6]),
    (
        "bible-no-codebook",
        "canterbury/large/bible.txt",
        0,
        usize::MAX,
        &[1, 6],
    ),
];

#[test]
fn compressed_sizes_do_not_grow() {
    let mut rows = Vec::new();
    let with = SLICES.map(|slice| (slice, true));
    let without = WITHOUT_CODEBOOK.map(|slice| (slice, false));
    for ((name, file, offset, len, levels), codebook) in with.into_iter().chain(without) {
        let data = std::fs::read(corpora().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let slice = &data[offset.min(data.len())..offset.saturating_add(len).min(data.len())];
        for &level in levels {
            let mut options = EncoderOptions::default().level(level).threads(2);
            if !codebook {
                options = options.codebook(None);
            }
            rows.push((
                format!("{name},{level}"),
                slice.len(),
                encode_all(slice, &options).len(),
            ));
        }
    }
    if std::env::var_os("SIGMA_UPDATE_RATIOS").is_some() {
        let mut csv = String::from("slice,level,input_bytes,compressed_bytes\n");
        for (key, input, packed) in &rows {
            csv += &format!("{key},{input},{packed}\n");
        }
        std::fs::write(results_file(), csv).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(results_file()).expect("tests/ratio_results.csv");
    let mut failures = Vec::new();
    for (key, input, packed) in &rows {
        let line = committed
            .lines()
            .find(|l| l.starts_with(&format!("{key},")))
            .unwrap_or_else(|| panic!("{key} missing from ratio_results.csv"));
        let fields: Vec<&str> = line.split(',').collect();
        let (want_input, want): (usize, usize) =
            (fields[2].parse().unwrap(), fields[3].parse().unwrap());
        assert_eq!(*input, want_input, "{key}: the slice changed size");
        if *packed as f64 > want as f64 * TOLERANCE {
            failures.push(format!(
                "{key}: {packed} bytes, was {want} (+{:.2} %)",
                100.0 * (*packed as f64 / want as f64 - 1.0)
            ));
        } else if *packed < want {
            eprintln!("{key}: {packed} bytes, smaller than the recorded {want}: consider updating the file");
        }
    }
    assert!(
        failures.is_empty(),
        "compressed sizes grew:\n{}",
        failures.join("\n")
    );
}
