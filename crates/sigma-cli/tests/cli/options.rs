//! Options: -t, -v, -q, --json, levels, threads, frame sizes, and the terminal refusals.

use crate::support::*;
use serde_json::Value;
use std::process::{Command, Stdio};

#[test]
fn test_mode_checks_integrity_and_writes_nothing() {
    let dir = tempdir();
    let data = prose(20_000, 41);
    let stream = compress(&data, &["--frame-size", "4KiB"]);
    write_file(dir.path(), "good.sigma", &stream);
    write_file(dir.path(), "also-good", &stream);
    for args in [
        &["-t", "good.sigma"][..],
        &["--test", "good.sigma"],
        &["-t", "good.sigma", "also-good"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        assert_quiet_success(&out);
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
        assert_eq!(
            listing(dir.path()),
            names(&["also-good", "good.sigma"]),
            "{args:?}"
        );
    }
    // From standard input.
    let out = sigma_in(dir.path())
        .arg("-t")
        .write_stdin(stream.clone())
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
    // -t with -c still writes nothing.
    let out = sigma_in(dir.path())
        .args(["-tc", "good.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
    // A bad file: status 1, one line, still nothing written.
    let mut bad = stream.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x08;
    write_file(dir.path(), "bad.sigma", &bad);
    let out = sigma_in(dir.path())
        .args(["-t", "bad.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.sigma"]);
    assert!(out.stdout.is_empty());
    assert_eq!(
        listing(dir.path()),
        names(&["also-good", "bad.sigma", "good.sigma"])
    );
    write_file(dir.path(), "plain.sigma", &data);
    let out = sigma_in(dir.path())
        .args(["-t", "plain.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["plain.sigma"]);
    let out = sigma_in(dir.path())
        .args(["-t", "good.sigma", "bad.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.sigma"]);
}

#[test]
fn verbose_prints_one_summary_line_per_file() {
    let dir = tempdir();
    let data = prose(20_000, 42);
    write_file(dir.path(), "a.txt", &data);
    write_file(dir.path(), "b.txt", &data);
    let out = sigma_in(dir.path())
        .args(["-v", "a.txt", "b.txt"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr_of(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("a.txt") && lines[1].contains("b.txt"),
        "{err}"
    );
    // A 20 kB file is one frame, and the line says so in English.
    assert!(
        lines[0].contains(" 1 frame") && !lines[0].contains("1 frames"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // With -c the summary stays off standard output.
    let out = sigma_in(dir.path())
        .args(["--verbose", "-c", "a.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr_of(&out).lines().count(), 1);
    assert_eq!(decompress(&out.stdout), data);

    for args in [
        &["-v", "-d", "-f", "a.txt.sigma"][..],
        &["-v", "-t", "a.txt.sigma"],
        &["-v", "-dc", "a.txt.sigma"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("a.txt.sigma"), "{args:?}: {err}");
    }
    // -v from standard input names it.
    let out = sigma()
        .arg("-v")
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr_of(&out).lines().count(), 1);
    assert!(stderr_of(&out).contains("stdin"), "{}", stderr_of(&out));
}

#[test]
fn quiet_prints_nothing_on_success() {
    let dir = tempdir();
    let data = prose(10_000, 43);
    write_file(dir.path(), "a", &data);
    for args in [
        &["-q", "a"][..],
        &["-qq", "-f", "a"],
        &["-q", "-v", "-f", "a"],
        &["-v", "-q", "-t", "a.sigma"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        assert_quiet_success(&out);
    }
    let out = sigma_in(dir.path())
        .args(["--quiet", "-dc", "a.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, data);
    // Errors still fail with status 1.
    let out = sigma_in(dir.path())
        .args(["-q", "missing"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
}

fn json_lines(stderr: &[u8]) -> Vec<Value> {
    let text = String::from_utf8(stderr.to_vec()).expect("stderr is UTF-8");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn number(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no integer {key:?} in {v}"))
}

fn check_stats(v: &Value) {
    assert!(v.is_object(), "{v}");
    for key in ["bytes_in", "bytes_out", "frames", "glyphs"] {
        assert!(v.get(key).is_some(), "no {key:?} in {v}");
    }
    let glyphs = &v["glyphs"];
    assert!(
        glyphs.is_object() || glyphs.is_u64(),
        "glyphs is neither an object nor a count: {v}"
    );
}

#[test]
fn json_reports_statistics_on_stderr() {
    let dir = tempdir();
    let data = prose(40_000, 44);
    write_file(dir.path(), "a.txt", &data);

    let out = sigma_in(dir.path())
        .args(["--json", "-c", "--frame-size", "8KiB", "a.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stream = out.stdout.clone();
    assert_eq!(decompress(&stream), data, "JSON leaked into the stream");
    let objs = json_lines(&out.stderr);
    assert_eq!(objs.len(), 1);
    let v = &objs[0];
    check_stats(v);
    assert_eq!(number(v, "bytes_in"), data.len() as u64);
    assert_eq!(number(v, "bytes_out"), stream.len() as u64);
    assert!(number(v, "frames") >= 5, "{v}");
    if let Some(glyphs) = v["glyphs"].as_object() {
        let total: u64 = glyphs.values().filter_map(Value::as_u64).sum();
        assert!(total > 0, "no glyphs counted for text: {v}");
    }

    // Decompression and testing.
    write_file(dir.path(), "s.sigma", &stream);
    for args in [
        &["--json", "-d", "s.sigma"][..],
        &["--json", "-t", "s.sigma"],
        &["--json", "-dc", "s.sigma"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        let objs = json_lines(&out.stderr);
        assert_eq!(objs.len(), 1, "{args:?}");
        check_stats(&objs[0]);
        assert_eq!(
            number(&objs[0], "bytes_in"),
            stream.len() as u64,
            "{args:?}"
        );
        assert_eq!(number(&objs[0], "bytes_out"), data.len() as u64, "{args:?}");
        assert_eq!(number(&objs[0], "frames"), number(v, "frames"), "{args:?}");
    }

    // One object per file, and --json together with -v keeps every JSON line parseable.
    write_file(dir.path(), "b.txt", &data[..1000]);
    let out = sigma_in(dir.path())
        .args(["--json", "a.txt", "b.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let objs = json_lines(&out.stderr);
    assert_eq!(objs.len(), 2);
    objs.iter().for_each(check_stats);
    let out = sigma_in(dir.path())
        .args(["--json", "-v", "-t", "s.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = stderr_of(&out);
    let parsed: Vec<Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(parsed.len(), 1, "{err}");
}

#[test]
fn json_escapes_awkward_file_names() {
    let dir = tempdir();
    let name = "we\"ird\\ na\tme ünï ☃";
    write_file(dir.path(), name, b"text with an awkward name");
    let out = sigma_in(dir.path())
        .args(["--json", name])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let objs = json_lines(&out.stderr);
    assert_eq!(objs.len(), 1);
    check_stats(&objs[0]);
    let values: Vec<&str> = objs[0]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        values.contains(&name),
        "the file name does not survive JSON: {}",
        objs[0]
    );
}

#[test]
fn levels_and_their_spellings() {
    let data = prose(60_000, 45);
    let default = compress(&data, &[]);
    let mut by_level = Vec::new();
    for level in 1..=9 {
        let flag = format!("-{level}");
        let stream = compress(&data, &[&flag]);
        assert_eq!(decompress(&stream), data, "{flag}");
        assert_eq!(
            compress(&data, &["--level", &level.to_string()]),
            stream,
            "--level {level}"
        );
        by_level.push(stream);
    }
    assert_eq!(compress(&data, &["--fast"]), by_level[0], "--fast is -1");
    assert_eq!(compress(&data, &["--best"]), by_level[8], "--best is -9");
    assert_eq!(by_level[4], default, "the default level is -5");
    // Digits bundled with other flags, in any order; the last level wins.
    assert_eq!(run_ok(&["-9c"], &data), by_level[8]);
    assert_eq!(run_ok(&["-c3"], &data), by_level[2]);
    assert_eq!(run_ok(&["-3", "-c", "-7"], &data), by_level[6]);
    // -dc bundled, with and without a level.
    assert_eq!(run_ok(&["-dc"], &default), data);
    assert_eq!(run_ok(&["-cd"], &default), data);
    assert_eq!(run_ok(&["-dc9"], &default), data);
    // Out of range.
    for bad in [
        &["-19"][..],
        &["-0"],
        &["-10"],
        &["--level", "0"],
        &["--level", "10"],
        &["-c", "-19"],
    ] {
        let out = sigma()
            .args(bad)
            .write_stdin(data.clone())
            .output()
            .unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{bad:?} accepted");
        assert!(!out.stderr.is_empty(), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?} wrote output");
    }
}

#[test]
fn thread_count_does_not_change_the_output() {
    let dir = tempdir();
    let data = prose(400_000, 46);
    write_file(dir.path(), "a", &data);
    for extra in [&["--frame-size", "64KiB"][..], &[]] {
        let mut streams = Vec::new();
        for t in [
            &["-T", "1"][..],
            &["-T", "2"],
            &["-T", "0"],
            &["-T1"],
            &["--threads=3"],
        ] {
            let out = sigma_in(dir.path())
                .arg("-c")
                .args(extra)
                .args(t)
                .arg("a")
                .output()
                .unwrap();
            assert_quiet_success(&out);
            streams.push((t, out.stdout));
        }
        for (t, s) in &streams[1..] {
            assert!(s == &streams[0].1, "{t:?} {extra:?} differs from -T 1");
        }
        // Through a pipe (no size hint) too.
        let piped: Vec<Vec<u8>> = ["1", "2", "0"]
            .iter()
            .map(|t| compress(&data, &[extra, &["-T", t]].concat()))
            .collect();
        assert!(
            piped[0] == piped[1] && piped[1] == piped[2],
            "{extra:?}: -T changes piped output"
        );
        for t in ["1", "2", "0"] {
            assert_eq!(run_ok(&["-dc", "-T", t], &streams[0].1), data);
        }
    }
}

#[test]
fn frame_size_option() {
    let data = prose(300_000, 47);
    let stream = compress(&data, &["--frame-size", "64KiB"]);
    assert_eq!(decompress(&stream), data);
    let frames = frame_starts(&stream).len();
    assert!(frames >= 5, "64 KiB frames of 300 kB gave {frames} frames");
    for spelling in ["64K", "64k", "64KB", "65536", "64Ki"] {
        assert_eq!(
            compress(&data, &["--frame-size", spelling]),
            stream,
            "--frame-size {spelling}"
        );
    }
    assert_eq!(compress(&data, &["--frame-size=64KiB"]), stream);
    let dir = tempdir();
    write_file(dir.path(), "a", &data);
    for bad in ["32LB", "MiB", "", "-1", "1.5M", "99999999999999999999"] {
        let out = sigma_in(dir.path())
            .args(["--frame-size", bad, "a"])
            .output()
            .unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "--frame-size {bad:?} accepted");
        assert!(!out.stderr.is_empty());
        assert_eq!(
            listing(dir.path()),
            names(&["a"]),
            "--frame-size {bad:?} wrote a file"
        );
    }
    // Tiny and huge sizes are clamped to what the format allows, never an error or a panic.
    let small = &data[..20_000];
    for size in ["1", "1KiB", "64MiB"] {
        let s = compress(small, &["--frame-size", size]);
        assert_eq!(decompress(&s), small, "--frame-size {size}");
    }
    // From a pipe the size is unknown until the input ends, but one that ends within its first
    // frame is framed as a file of its size is: a 1 GiB frame size (2 GiB is clamped to it)
    // then records the input's size, and the stream decodes within the default memory limit.
    for size in ["1GiB", "2GiB"] {
        let s = compress(small, &["--frame-size", size]);
        assert_eq!(run_ok(&["-dc"], &s), small, "--frame-size {size}");
    }
    // A stream whose frames need more memory than the limit is refused, naming the option.
    let out = sigma()
        .args(["-dc", "-M", "1MiB"])
        .write_stdin(compress(small, &[]))
        .output()
        .unwrap();
    let line = assert_one_line_error(&out, &["stdin"]);
    assert!(line.contains("--memory") || line.contains("-M"), "{line}");
}

#[test]
fn large_frame_size_on_a_small_file_decodes_with_default_memory() {
    let dir = tempdir();
    let data = prose(20_000, 49);
    write_file(dir.path(), "small.txt", &data);
    for size in ["128MiB", "1GiB"] {
        assert_quiet_success(
            &sigma_in(dir.path())
                .args(["-f", "--frame-size", size, "small.txt"])
                .output()
                .unwrap(),
        );
        let out = sigma_in(dir.path())
            .args(["-dc", "small.txt.sigma"])
            .output()
            .unwrap();
        assert_quiet_success(&out);
        assert!(out.stdout == data, "--frame-size {size}");
    }
}

#[test]
fn memory_option_is_accepted() {
    let data = prose(100_000, 48);
    let stream = compress(&data, &["-M", "64MiB", "--frame-size", "16KiB"]);
    assert_eq!(
        stream,
        compress(&data, &["--frame-size", "16KiB"]),
        "-M changed the output"
    );
    assert_eq!(run_ok(&["-dc", "--memory", "64MiB"], &stream), data);
    let out = sigma()
        .args(["-M", "lots", "-c"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
}

/// Whether util-linux `script` is here to give a command a terminal.
fn have_script() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `cmd` (a shell command line) with a pseudo-terminal as stdin, stdout and stderr.
fn on_terminal(dir: &std::path::Path, cmd: &str) -> (Option<i32>, String) {
    let out = Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn compressed_data_is_not_written_to_or_read_from_a_terminal() {
    if !have_script() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempdir();
    write_file(dir.path(), "a", b"hello terminal\n");
    let bin = format!("'{BIN}'");
    let (code, text) = on_terminal(dir.path(), &format!("{bin} -c a"));
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("compressed data not written to a terminal"),
        "{text}"
    );
    let (code, text) = on_terminal(dir.path(), &bin);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not written to a terminal"), "{text}");
    let (code, text) = on_terminal(dir.path(), &format!("{bin} -d"));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not read from a terminal"), "{text}");
    assert_eq!(listing(dir.path()), names(&["a"]));
    // -f allows it; decompressed text may go to a terminal; file mode is unaffected.
    let (code, text) = on_terminal(dir.path(), &format!("{bin} -f -c a > /dev/null"));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = on_terminal(dir.path(), &format!("{bin} a"));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = on_terminal(dir.path(), &format!("{bin} -dc a.sigma"));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("hello terminal"), "{text}");
    let (code, text) = on_terminal(dir.path(), &format!("{bin} -f -c a | {bin} -dc"));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("hello terminal"), "{text}");
}

#[test]
fn list_reports_frames_sizes_and_the_stream_version() {
    let dir = tempdir();
    let data = prose(40_000, 45);
    write_file(dir.path(), "a.txt", &data);
    let out = sigma_in(dir.path())
        .args(["-q", "--frame-size", "8KiB", "a.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let old = vectors.join("v1/good-multi-frame.sigma");
    let out = sigma_in(dir.path())
        .args(["-lv", "--json", "a.txt.sigma"])
        .arg(&old)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let objs = json_lines(&out.stdout);
    assert_eq!(objs.len(), 2, "{}", String::from_utf8_lossy(&out.stdout));
    let (new, v1) = (&objs[0], &objs[1]);
    assert_eq!(number(new, "decoded"), data.len() as u64);
    assert_eq!(number(new, "streams"), 1);
    assert_eq!(
        number(new, "version"),
        u64::from(sigmalang::format::VERSION)
    );
    let frames = new["frame_list"].as_array().expect("frame list");
    assert_eq!(frames.len() as u64, number(new, "frames"));
    assert!(frames.len() >= 5, "{new}");
    let listed: u64 = frames.iter().map(|f| number(f, "decoded")).sum();
    assert_eq!(listed, data.len() as u64);
    assert_eq!(number(v1, "version"), 1, "{v1}");
}
