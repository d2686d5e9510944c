//! Damaged and partial files from the command line: `sigma recover` (= `-d --recover`) keeps
//! every intact frame and names each lost range, `-t --recover` only names them, and
//! `--range` decodes (with `-d`) or tests (with `-t`) only the frames that hold a range.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// `sigma ARGS` in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    sigma_in(dir).args(args).output().unwrap()
}

/// One frame of a listing: where it is in the file and which bytes of the original it holds.
struct Frame {
    offset: usize,
    compressed: usize,
    content: std::ops::Range<usize>,
}

/// The frames of `name`, from `sigma -lv --json`.
fn frames_of(dir: &Path, name: &str) -> Vec<Frame> {
    let out = run(dir, &["-lv", "--json", name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    let field = |frame: &Value, key: &str| frame[key].as_u64().unwrap() as usize;
    listing["frame_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Frame {
            offset: field(f, "offset"),
            compressed: field(f, "compressed"),
            content: field(f, "content_offset")..field(f, "content_offset") + field(f, "decoded"),
        })
        .collect()
}

/// A 12 KB text in 1 KiB frames, written as `good.sigma` and, with one byte of frame 5's payload
/// flipped, as `bad.sigma`. Returns the text and frame 5.
fn damaged_file(dir: &Path) -> (Vec<u8>, Frame) {
    let data = prose(12_000, 41);
    let stream = compress(&data, &["--frame-size", "1KiB"]);
    write_file(dir, "good.sigma", &stream);
    let frame = frames_of(dir, "good.sigma").swap_remove(5);
    let mut bad = stream;
    bad[frame.offset + frame.compressed / 2] ^= 0x10;
    write_file(dir, "bad.sigma", &bad);
    (data, frame)
}

/// The one line recovery prints for frame `frame`, lost.
fn lost_line(program: &str, name: &str, frame: &Frame, index: usize) -> String {
    format!(
        "{program}: {name}: lost {}..{} (frame {index} at byte {} is damaged)\n",
        frame.content.start, frame.content.end, frame.offset
    )
}

#[test]
fn recover_keeps_every_intact_frame_and_names_the_lost_range() {
    let dir = tempdir();
    let (data, frame) = damaged_file(dir.path());
    let mut expected = data[..frame.content.start].to_vec();
    expected.extend_from_slice(&data[frame.content.end..]);
    for args in [
        &["recover", "bad.sigma", "-o", "out"][..],
        &["-d", "--recover", "bad.sigma", "-o", "out"],
    ] {
        let out = run(dir.path(), args);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: data was lost");
        assert_eq!(stderr_of(&out), lost_line("sigma", "bad.sigma", &frame, 5));
        assert_eq!(read_file(dir.path().join("out")), expected, "{args:?}");
        std::fs::remove_file(dir.path().join("out")).unwrap();
    }
    // An intact file recovers whole, silently, with status 0.
    let out = run(dir.path(), &["recover", "-c", "good.sigma"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    assert_eq!(out.stdout, data);
}

#[test]
fn test_with_recover_maps_the_damage_and_writes_nothing() {
    let dir = tempdir();
    let (_, frame) = damaged_file(dir.path());
    let out = run(dir.path(), &["-t", "--recover", "bad.sigma"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr_of(&out), lost_line("sigma", "bad.sigma", &frame, 5));
    assert!(out.stdout.is_empty());
    assert_eq!(listing(dir.path()), names(&["bad.sigma", "good.sigma"]));

    let out = run(dir.path(), &["-t", "--recover", "good.sigma"]);
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
}

#[test]
fn range_decodes_exactly_the_bytes_asked_for() {
    let dir = tempdir();
    let (data, _) = damaged_file(dir.path());
    let stream = read_file(dir.path().join("good.sigma"));
    for (start, len) in [(0, 1), (1000, 3000), (11_990, 10), (0, 12_000), (5_000, 0)] {
        let range = format!("{start}:{len}");
        let want = &data[start..start + len];
        let out = run(dir.path(), &["-dc", "--range", &range, "good.sigma"]);
        assert_quiet_success(&out);
        assert_eq!(out.stdout, want, "file, {range}");
        // Standard input cannot seek: the stream is decoded up to the range.
        assert_eq!(
            run_ok(&["-dc", "--range", &range], &stream),
            want,
            "stdin, {range}"
        );
    }
    // START: is everything from START.
    let out = run(dir.path(), &["-dc", "--range", "11000:", "good.sigma"]);
    assert_quiet_success(&out);
    assert_eq!(out.stdout, &data[11_000..]);
    assert_eq!(run_ok(&["-dc", "--range", "1KiB:"], &stream), &data[1024..]);
    // A range past the end gives what there is, as `tail -c +N | head -c L` would.
    let out = run(dir.path(), &["-dc", "--range", "11000:5000", "good.sigma"]);
    assert_quiet_success(&out);
    assert_eq!(out.stdout, &data[11_000..]);
}

#[test]
fn range_reads_only_the_frames_that_hold_it() {
    let dir = tempdir();
    let (data, frame) = damaged_file(dir.path());
    let before = format!("0:{}", frame.content.start);
    let after = format!("{}:100", frame.content.end);
    let across = format!("{}:2", frame.content.start - 1);
    for range in [&before, &after] {
        let out = run(dir.path(), &["-dc", "--range", range, "bad.sigma"]);
        assert_quiet_success(&out);
        let (start, len) = range.split_once(':').unwrap();
        let start: usize = start.parse().unwrap();
        assert_eq!(
            out.stdout,
            &data[start..start + len.parse::<usize>().unwrap()]
        );
        let out = run(dir.path(), &["-t", "--range", range, "bad.sigma"]);
        assert_quiet_success(&out);
        assert!(out.stdout.is_empty());
    }
    for args in [&["-dc"][..], &["-t"]] {
        let out = run(
            dir.path(),
            &[args, &["--range", &across, "bad.sigma"]].concat(),
        );
        let line = assert_one_line_error(&out, &["bad.sigma", "frame 5", "checksum"]);
        assert!(mentions_byte(&line, frame.offset), "{line}");
    }
    // Without --range, -t reads every frame.
    let out = run(dir.path(), &["-t", "bad.sigma"]);
    assert_one_line_error(&out, &["bad.sigma", "frame 5"]);
    assert_eq!(listing(dir.path()), names(&["bad.sigma", "good.sigma"]));
}

/// `-v` and `--json` say which bytes a `--range` run wrote and how many frames it decoded for
/// them: from a file only those that hold the range, from standard input every one up to it.
#[test]
fn a_range_run_reports_its_bytes_and_frames() {
    let dir = tempdir();
    let (_, frame) = damaged_file(dir.path());
    let frames = frames_of(dir.path(), "good.sigma").len();
    let start = frame.content.start - 10;
    let range = format!("{start}:20");
    let out = run(dir.path(), &["-tv", "--range", &range, "good.sigma"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr_of(&out),
        format!(
            "good.sigma: OK: bytes {start}..{} (20 B), 2 frames of {frames} decoded\n",
            start + 20
        )
    );
    let out = run(
        dir.path(),
        &["-dv", "--range", &range, "-o", "part", "good.sigma"],
    );
    assert_eq!(
        stderr_of(&out),
        format!(
            "good.sigma: decompressed to part: bytes {start}..{} (20 B), 2 frames of {frames} decoded\n",
            start + 20
        )
    );
    let out = sigma()
        .args(["-t", "--json", "--range", &range])
        .write_stdin(std::fs::read(dir.path().join("good.sigma")).unwrap())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(report["mode"], "test-range");
    assert_eq!(report["start"], start as u64);
    assert_eq!(report["end"], start as u64 + 20);
    assert_eq!(report["frames"], 6, "frames 0 to 5, read in sequence");
    assert_eq!(report["frames_in_file"], Value::Null);
}

/// Part of a file is never written under the file's own name, where it would pass for all of
/// it: `-d --range` needs `-c` or `-o`.
#[test]
fn a_range_is_written_only_where_asked() {
    let dir = tempdir();
    let (data, _) = damaged_file(dir.path());
    for args in [
        &["-d", "--range", "0:3", "good.sigma"][..],
        &["-df", "--range", "0:3", "good.sigma"],
    ] {
        let out = run(dir.path(), args);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr_of(&out).contains("give -c"), "{}", stderr_of(&out));
        assert_eq!(listing(dir.path()), names(&["bad.sigma", "good.sigma"]));
    }
    let out = run(
        dir.path(),
        &["-d", "--range", "10:20", "-o", "part", "good.sigma"],
    );
    assert_quiet_success(&out);
    assert_eq!(read_file(dir.path().join("part")), &data[10..30]);
    // Standard input decodes to standard output anyway.
    let stream = read_file(dir.path().join("good.sigma"));
    assert_eq!(run_ok(&["-d", "--range", "10:20"], &stream), &data[10..30]);
    assert_eq!(
        run_ok(&["-d", "--range", "10:20", "-"], &stream),
        &data[10..30]
    );
}

#[test]
fn range_and_recover_need_an_operation_that_decodes() {
    let dir = tempdir();
    damaged_file(dir.path());
    for args in [
        &["--range", "0:3", "good.sigma"][..],
        &["--recover", "good.sigma"],
        &["-d", "-z", "--range", "0:3", "good.sigma"],
        &["-t", "-z", "--recover", "good.sigma"],
        &["-l", "--range", "0:3", "good.sigma"],
    ] {
        let out = run(dir.path(), args);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr_of(&out);
        assert!(
            err.contains("needs -d (decompress) or -t (test)"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(listing(dir.path()), names(&["bad.sigma", "good.sigma"]));
    }
}
