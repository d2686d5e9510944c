//! Streams on pipes: concatenation, empty input, and a reader that goes away.

use crate::support::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

#[test]
fn concatenated_streams_decode_to_concatenated_content() {
    let a = prose(30_000, 31);
    let b = Rng::new(32).bytes(5_000);
    let c = prose(10_000, 33);
    let sa = compress(&a, &[]);
    let sb = compress(&b, &["-1"]);
    let sc = compress(&c, &["--frame-size", "1KiB"]);
    let empty = compress(b"", &[]);
    let joined = [&sa[..], &sb, &empty, &sc, &empty].concat();
    assert_eq!(decompress(&joined), [&a[..], &b, &c].concat());
    assert_eq!(decompress(&[&empty[..], &empty].concat()), b"");
    let out = sigma()
        .arg("-t")
        .write_stdin(joined.clone())
        .output()
        .unwrap();
    assert_quiet_success(&out);
    // The same in file mode.
    let dir = tempdir();
    write_file(dir.path(), "all.sigma", &joined);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "all.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("all")), [&a[..], &b, &c].concat());
    // A damaged second stream is still an error, after the first one's content.
    let mut bad = [&sa[..], &sc].concat();
    let pos = sa.len() + sc.len() / 2;
    bad[pos] ^= 0x20;
    let out = sigma().arg("-dc").write_stdin(bad).output().unwrap();
    assert_one_line_error(&out, &["stdin"]);
    let truncated = [&sa[..], &sc[..sc.len() - 1]].concat();
    let out = sigma().arg("-dc").write_stdin(truncated).output().unwrap();
    assert_one_line_error(&out, &["stdin"]);
}

#[test]
fn empty_input_is_a_valid_stream_both_ways() {
    let stream = compress(b"", &[]);
    assert!(stream.starts_with(&STREAM_MAGIC) && stream.ends_with(&END_MAGIC));
    assert_eq!(decompress(&stream), b"");
    assert_quiet_success(
        &sigma()
            .arg("-t")
            .write_stdin(stream.clone())
            .output()
            .unwrap(),
    );
    // File mode: an empty file compresses, tests and decompresses to an empty file.
    let dir = tempdir();
    write_file(dir.path(), "empty", b"");
    assert_quiet_success(&sigma_in(dir.path()).arg("empty").output().unwrap());
    // (The header may differ from the piped one: a known size sets the frame size.)
    assert_eq!(decompress(&read_file(dir.path().join("empty.sigma"))), b"");
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-t", "empty.sigma"])
            .output()
            .unwrap(),
    );
    std::fs::remove_file(dir.path().join("empty")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "empty.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("empty")), b"");
    assert_eq!(listing(dir.path()), names(&["empty", "empty.sigma"]));
    // Every level and frame size gives a valid empty stream.
    for args in [
        &["-1"][..],
        &["-9"],
        &["--frame-size", "1KiB"],
        &["-T", "1"],
    ] {
        assert_eq!(decompress(&compress(b"", args)), b"", "{args:?}");
    }
}

/// Spawns `sigma ARGS` with stdout and stderr piped, reads a few bytes of stdout, closes it and
/// returns the exit status and standard error.
fn read_a_little_then_hang_up(
    args: &[&str],
    stdin: Option<Vec<u8>>,
) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sigma");
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The writer may see a broken pipe itself once sigma stops: ignore that.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let mut stdout = child.stdout.take().expect("stdout pipe");
    let mut first = [0u8; 16];
    stdout
        .read_exact(&mut first)
        .expect("sigma wrote some output");
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr pipe")
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    if let Some(feeder) = feeder {
        feeder.join().unwrap();
    }
    (status, err)
}

fn assert_quiet_exit(status: std::process::ExitStatus, err: &str, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        err.is_empty(),
        "{what}: stderr after the reader went away: {err}"
    );
    assert_ne!(status.code(), Some(101), "{what}: panicked");
    // Killed by SIGPIPE is quiet too (gzip's behaviour); any other signal is not.
    if let Some(signal) = status.signal() {
        assert_eq!(signal, 13, "{what}: killed by signal {signal}");
    }
}

#[test]
fn broken_pipe_is_quiet() {
    let dir = tempdir();
    // Far more than a pipe buffer holds.
    let data = prose(800_000, 34);
    let small = prose(100_000, 35);
    write_file(dir.path(), "big", &data);
    write_file(dir.path(), "small", &small);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-1", "big", "small"])
            .output()
            .unwrap(),
    );
    let big = dir.path().join("big.sigma");
    let big = big.to_str().unwrap();
    let (status, err) = read_a_little_then_hang_up(&["-dc", big], None);
    assert_quiet_exit(status, &err, "sigma -dc big.sigma");
    let (status, err) = read_a_little_then_hang_up(&["-T", "1", "-dc", big], None);
    assert_quiet_exit(status, &err, "sigma -T 1 -dc big.sigma");
    // Several files: the reader leaving is not an error about the other files.
    let small = dir.path().join("small.sigma");
    let (status, err) = read_a_little_then_hang_up(&["-dc", big, small.to_str().unwrap()], None);
    assert_quiet_exit(status, &err, "sigma -dc big.sigma small.sigma");
    // Decoding from a pipe, and compressing.
    let (status, err) = read_a_little_then_hang_up(&["-dc"], Some(read_file(big)));
    assert_quiet_exit(status, &err, "sigma -dc < big.sigma");
    let big_plain = dir.path().join("big");
    let (status, err) =
        read_a_little_then_hang_up(&["-1", "-c", big_plain.to_str().unwrap()], None);
    assert_quiet_exit(status, &err, "sigma -c big");
}
