//! Errors: one line on standard error naming the input, exit status 1, never a panic, and no
//! output file (nor temporary file) left behind.

use crate::support::*;
use std::fs;

/// A stream of several frames (1 KiB frames) of prose.
fn multi_frame() -> (Vec<u8>, Vec<u8>) {
    let data = prose(12_000, 21);
    let stream = compress(&data, &["--frame-size", "1KiB"]);
    (data, stream)
}

/// Decodes `stream` as `name` in file mode, with -dc and with -t: each must fail with one line
/// naming the file, leaving only the input in the directory. Returns the -d error line.
fn assert_rejected(stream: &[u8], name: &str) -> String {
    let dir = tempdir();
    write_file(dir.path(), name, stream);
    let out = sigma_in(dir.path()).args(["-d", name]).output().unwrap();
    let line = assert_one_line_error(&out, &[name]);
    assert!(out.stdout.is_empty(), "file mode wrote to stdout");
    assert_eq!(
        listing(dir.path()),
        names(&[name]),
        "output or temporary file left after: {line}"
    );
    let out = sigma_in(dir.path()).args(["-t", name]).output().unwrap();
    assert_one_line_error(&out, &[name]);
    assert!(out.stdout.is_empty(), "-t wrote to stdout");
    let out = sigma_in(dir.path()).args(["-dc", name]).output().unwrap();
    assert_one_line_error(&out, &[name]);
    // From standard input the input is named too.
    let out = sigma_in(dir.path())
        .args(["-d"])
        .write_stdin(stream.to_vec())
        .output()
        .unwrap();
    assert_one_line_error(&out, &["stdin"]);
    assert_eq!(listing(dir.path()), names(&[name]));
    line
}

#[test]
fn foreign_data_is_reported_at_byte_zero() {
    let text = prose(5_000, 22);
    let line = assert_rejected(&text, "text.sigma");
    assert!(mentions_byte(&line, 0), "no byte offset 0 in: {line}");
    let line = assert_rejected(&Rng::new(23).bytes(5_000), "random.sigma");
    assert!(mentions_byte(&line, 0), "no byte offset 0 in: {line}");
    // A gzip header is not a ΣLANG header either.
    let line = assert_rejected(&[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 3, 0], "gz.sigma");
    assert!(mentions_byte(&line, 0), "no byte offset 0 in: {line}");
    let line = assert_rejected(b"x", "one.sigma");
    assert!(mentions_byte(&line, 0), "no byte offset 0 in: {line}");
}

#[test]
fn truncated_streams_are_rejected_at_every_kind_of_cut() {
    let (_, stream) = multi_frame();
    let footer = footer_start(&stream);
    let frames = frame_starts(&stream);
    assert!(
        frames.len() >= 5,
        "expected several frames, found {}",
        frames.len()
    );
    let mut cuts = vec![
        1,
        3,
        4,
        5,
        8,
        12,
        20,
        frames[0],
        frames[0] + 1,
        frames[0] + 10,
    ];
    cuts.extend(&frames[1..]);
    cuts.extend([stream.len() / 2, footer - 1, footer, footer + 1, footer + 4]);
    cuts.extend([
        stream.len() - TRAILER_LEN,
        stream.len() - 4,
        stream.len() - 1,
    ]);
    cuts.sort_unstable();
    cuts.dedup();
    for cut in cuts {
        let line = assert_rejected(&stream[..cut], "cut.sigma");
        assert!(line.contains("cut.sigma"), "cut {cut}: {line}");
    }
}

#[test]
fn truncation_exactly_at_the_footer_is_reported_as_truncation() {
    let (_, stream) = multi_frame();
    let footer = footer_start(&stream);
    let line = assert_rejected(&stream[..footer], "cut.sigma");
    assert!(line.contains("truncated"), "{line}");
    assert!(
        mentions_byte(&line, footer),
        "offset {footer} not named: {line}"
    );
    // Same for a stream with no content: header then footer.
    let empty = compress(b"", &[]);
    let footer = footer_start(&empty);
    let line = assert_rejected(&empty[..footer], "empty-cut.sigma");
    assert!(line.contains("truncated"), "{line}");
}

#[test]
fn trailing_garbage_is_rejected() {
    let (_, stream) = multi_frame();
    for tail in [
        &b"garbage\n"[..],
        b"\0",
        b"\0\0\0\0\0\0\0\0",
        &STREAM_MAGIC[..3],
        &FRAME_MAGIC,
    ] {
        let line = assert_rejected(&[&stream[..], tail].concat(), "tail.sigma");
        assert!(
            line.contains("garbage") || line.contains("truncated") || line.contains("byte"),
            "{line}"
        );
    }
    let line = assert_rejected(&[&stream[..], b"garbage"].concat(), "tail.sigma");
    assert!(
        mentions_byte(&line, stream.len()),
        "offset {} not named: {line}",
        stream.len()
    );
}

#[test]
fn flipped_bytes_are_rejected() {
    let (_, stream) = multi_frame();
    let footer = footer_start(&stream);
    let frames = frame_starts(&stream);
    let positions = [
        stream.len() / 2,
        5,                 // stream header flags
        frames[1] + 6,     // a frame header field
        footer + 5,        // the footer
        stream.len() - 10, // the trailer
        stream.len() - 1,  // the end magic
    ];
    for pos in positions {
        for bit in [0x01u8, 0x80] {
            let mut bad = stream.clone();
            bad[pos] ^= bit;
            let line = assert_rejected(&bad, "flip.sigma");
            assert!(line.contains("byte"), "flip at {pos}: no offset in {line}");
        }
    }
}

#[test]
fn flipped_payload_bytes_are_rejected_or_harmless() {
    // Not every payload bit matters (e.g. implied-space flags of byte values a frame never
    // uses), but the content checksums guarantee that an accepted stream decodes exactly.
    let (data, stream) = multi_frame();
    let frames = frame_starts(&stream);
    let dir = tempdir();
    for pos in (frames[1]..frames[2]).step_by(7) {
        let mut bad = stream.clone();
        bad[pos] ^= 0xFF;
        write_file(dir.path(), "p.sigma", &bad);
        let out = sigma_in(dir.path())
            .args(["-d", "p.sigma"])
            .output()
            .unwrap();
        match out.status.code() {
            Some(0) => {
                assert_quiet_success(&out);
                assert!(
                    read_file(dir.path().join("p")) == data,
                    "flip at {pos}: wrong output"
                );
                std::fs::remove_file(dir.path().join("p")).unwrap();
            }
            _ => {
                assert_one_line_error(&out, &["p.sigma"]);
                assert_eq!(listing(dir.path()), names(&["p.sigma"]), "flip at {pos}");
            }
        }
    }
}

#[test]
fn decoding_a_name_without_suffix_suggests_o_or_c() {
    let dir = tempdir();
    let data = prose(3_000, 24);
    let stream = compress(&data, &[]);
    write_file(dir.path(), "packed.bin", &stream);
    let out = sigma_in(dir.path())
        .args(["-d", "packed.bin"])
        .output()
        .unwrap();
    let line = assert_one_line_error(&out, &["packed.bin", "-o", "-c"]);
    assert!(line.contains(".sigma"), "{line}");
    assert_eq!(listing(dir.path()), names(&["packed.bin"]));
    // A file named just ".sigma" has no name to strip the suffix from.
    write_file(dir.path(), ".sigma", &stream);
    let out = sigma_in(dir.path())
        .args(["-d", ".sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &[".sigma"]);
    assert_eq!(listing(dir.path()), names(&[".sigma", "packed.bin"]));
    // What the message suggests works.
    let out = sigma_in(dir.path())
        .args(["-dc", "packed.bin"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, data);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "-o", "plain", "packed.bin"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("plain")), data);
}

#[test]
fn compressing_a_sigma_file_again_is_ignored() {
    let dir = tempdir();
    let data = prose(3_000, 25);
    write_file(dir.path(), "a.sigma", &compress(&data, &[]));
    write_file(dir.path(), "b", &data);
    let out = sigma_in(dir.path())
        .args(["a.sigma", "b"])
        .output()
        .unwrap();
    let line = assert_one_line_error(&out, &["a.sigma"]);
    assert!(line.contains("suffix"), "{line}");
    assert_eq!(listing(dir.path()), names(&["a.sigma", "b", "b.sigma"]));
    // -c still compresses it, as gzip and zstd do.
    let out = sigma_in(dir.path())
        .args(["-c", "a.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(decompress(&decompress(&out.stdout)), data);
}

#[test]
fn a_directory_argument_is_an_error() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("d")).unwrap();
    fs::create_dir(dir.path().join("e.sigma")).unwrap();
    for args in [
        &["d"][..],
        &["-c", "d"],
        &["-d", "e.sigma"],
        &["-dc", "e.sigma"],
        &["-t", "e.sigma"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        let name = args[args.len() - 1];
        assert_one_line_error(&out, &[name]);
        assert_eq!(listing(dir.path()), names(&["d", "e.sigma"]), "{args:?}");
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let dir = tempdir();
    for args in [
        &["nothing"][..],
        &["-c", "nothing"],
        &["-d", "nothing.sigma"],
        &["-t", "nothing.sigma"],
    ] {
        let out = sigma_in(dir.path()).args(args).output().unwrap();
        assert_one_line_error(&out, &[args[args.len() - 1]]);
        assert!(out.stdout.is_empty());
        assert!(listing(dir.path()).is_empty(), "{args:?}");
    }
}

#[test]
fn output_over_a_directory_fails_cleanly() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("out")).unwrap();
    write_file(dir.path(), "a", b"some text");
    let out = sigma_in(dir.path())
        .args(["-o", "out", "a"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["out"]);
    let out = sigma_in(dir.path())
        .args(["-f", "-o", "out", "a"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["out"]);
    assert_eq!(listing(dir.path()), names(&["a", "out"]));
    assert!(listing(&dir.path().join("out")).is_empty());
}

#[test]
fn one_failing_file_does_not_stop_the_others() {
    let dir = tempdir();
    let a = prose(4_000, 26);
    let b = prose(4_000, 27);
    write_file(dir.path(), "a", &a);
    write_file(dir.path(), "b", &b);
    let out = sigma_in(dir.path())
        .args(["a", "missing", "b"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["missing"]);
    assert_eq!(
        listing(dir.path()),
        names(&["a", "a.sigma", "b", "b.sigma"])
    );

    // Decompression: a good file, a damaged one, another good one.
    fs::remove_file(dir.path().join("a")).unwrap();
    fs::remove_file(dir.path().join("b")).unwrap();
    let mut bad = read_file(dir.path().join("a.sigma"));
    let mid = bad.len() / 2;
    bad[mid] ^= 0x04;
    write_file(dir.path(), "bad.sigma", &bad);
    let out = sigma_in(dir.path())
        .args(["-d", "a.sigma", "bad.sigma", "b.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.sigma"]);
    assert_eq!(read_file(dir.path().join("a")), a);
    assert_eq!(read_file(dir.path().join("b")), b);
    assert_eq!(
        listing(dir.path()),
        names(&["a", "a.sigma", "b", "b.sigma", "bad.sigma"])
    );

    // Testing: the bad file fails, the others are still checked (a second bad file is reported).
    let out = sigma_in(dir.path())
        .args(["-t", "a.sigma", "bad.sigma", "b.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.sigma"]);
    let out = sigma_in(dir.path())
        .args(["-t", "bad.sigma", "a.sigma", "missing.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("bad.sigma") && err.contains("missing.sigma"),
        "{err}"
    );

    // To standard output: the good files' content still comes out, in order.
    let out = sigma_in(dir.path())
        .args(["-dc", "a.sigma", "missing.sigma", "b.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["missing.sigma"]);
    assert_eq!(out.stdout, [a, b].concat());
}

#[test]
fn usage_errors_exit_with_status_one() {
    for args in [
        &["--no-such-option"][..],
        &["-T"],
        &["-T", "x"],
        &["--range", "0:3"],
        &["--recover"],
        &["-c", "-o", "x"],
    ] {
        let out = sigma().args(args).write_stdin(Vec::new()).output().unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr_of(&out));
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // --help and --version succeed on stdout.
    for flag in ["--help", "-h", "--version", "-V"] {
        let out = sigma().arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(!out.stdout.is_empty(), "{flag}");
    }
}
