//! File mode: suffixes, -c, stdin/stdout, -o, -k, --rm, -r, permissions, refusal to overwrite.

use crate::support::*;
use std::fs;

fn sample() -> Vec<u8> {
    prose(20_000, 1)
}

#[test]
fn compress_writes_suffixed_file_and_keeps_input() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    let out = sigma_in(dir.path()).arg("a.txt").output().unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty(), "file mode wrote to stdout");
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
    assert_eq!(read_file(dir.path().join("a.txt")), data, "input changed");
    let stream = read_file(dir.path().join("a.txt.sigma"));
    assert!(stream.starts_with(&STREAM_MAGIC));
    assert_eq!(decompress(&stream), data);
}

#[test]
fn decompress_strips_suffix_and_restores_bytes() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    assert_quiet_success(&sigma_in(dir.path()).arg("a.txt").output().unwrap());
    fs::remove_file(dir.path().join("a.txt")).unwrap();
    let out = sigma_in(dir.path())
        .args(["-d", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    // --decompress and --uncompress are the long spellings.
    for flag in ["--decompress", "--uncompress"] {
        fs::remove_file(dir.path().join("a.txt")).unwrap();
        assert_quiet_success(
            &sigma_in(dir.path())
                .args([flag, "a.txt.sigma"])
                .output()
                .unwrap(),
        );
        assert_eq!(read_file(dir.path().join("a.txt")), data, "{flag}");
    }
}

#[test]
fn paths_with_directories_and_several_dots() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("sub")).unwrap();
    let data = sample();
    write_file(dir.path(), "sub/x.tar", &data);
    assert_quiet_success(&sigma_in(dir.path()).arg("sub/x.tar").output().unwrap());
    assert_eq!(
        listing(&dir.path().join("sub")),
        names(&["x.tar", "x.tar.sigma"])
    );
    fs::remove_file(dir.path().join("sub/x.tar")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "sub/x.tar.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("sub/x.tar")), data);
    assert_eq!(listing(dir.path()), names(&["sub"]));
    // Absolute paths work the same way.
    let abs = dir.path().join("sub/x.tar");
    fs::remove_file(dir.path().join("sub/x.tar.sigma")).unwrap();
    assert_quiet_success(&sigma().arg(&abs).output().unwrap());
    fs::remove_file(&abs).unwrap();
    assert_quiet_success(
        &sigma()
            .arg("-d")
            .arg(abs.with_extension("tar.sigma"))
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(&abs), data);
}

#[test]
fn stdout_flag_writes_no_file() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    for flag in ["-c", "--stdout", "--to-stdout"] {
        let out = sigma_in(dir.path()).args([flag, "a.txt"]).output().unwrap();
        assert_quiet_success(&out);
        assert_eq!(
            listing(dir.path()),
            names(&["a.txt"]),
            "{flag} created a file"
        );
        assert_eq!(decompress(&out.stdout), data);
    }
    let stream = compress(&data, &[]);
    write_file(dir.path(), "s.sigma", &stream);
    let out = sigma_in(dir.path())
        .args(["-d", "-c", "s.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, data);
    assert_eq!(listing(dir.path()), names(&["a.txt", "s.sigma"]));
}

#[test]
fn no_file_or_dash_means_stdin_to_stdout() {
    let dir = tempdir();
    let data = sample();
    let plain = sigma_in(dir.path())
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert_quiet_success(&plain);
    let dash = sigma_in(dir.path())
        .arg("-")
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert_quiet_success(&dash);
    assert_eq!(plain.stdout, dash.stdout, "'-' and no argument differ");
    for args in [&["-d"][..], &["-d", "-"], &["-dc"], &["-dc", "-"]] {
        let out = sigma_in(dir.path())
            .args(args)
            .write_stdin(plain.stdout.clone())
            .output()
            .unwrap();
        assert_quiet_success(&out);
        assert_eq!(out.stdout, data, "{args:?}");
    }
    assert!(listing(dir.path()).is_empty(), "stdin mode created files");
}

#[test]
fn output_option_names_the_output() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-o", "packed.bin", "a.txt"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(dir.path()), names(&["a.txt", "packed.bin"]));
    // -o works for decompression from a file without the .sigma suffix.
    let out = sigma_in(dir.path())
        .args(["-d", "--output", "back.txt", "packed.bin"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(read_file(dir.path().join("back.txt")), data);
    // -o with standard input.
    let out = sigma_in(dir.path())
        .args(["-o", "stdin.sigma"])
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(decompress(&read_file(dir.path().join("stdin.sigma"))), data);
    let out = sigma_in(dir.path())
        .args(["-d", "-o", "stdin.txt", "-"])
        .write_stdin(read_file(dir.path().join("stdin.sigma")))
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(read_file(dir.path().join("stdin.txt")), data);
    // -o - is standard output.
    let out = sigma_in(dir.path())
        .args(["-o", "-", "a.txt"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(decompress(&out.stdout), data);
    assert_eq!(
        listing(dir.path()),
        names(&[
            "a.txt",
            "back.txt",
            "packed.bin",
            "stdin.sigma",
            "stdin.txt"
        ])
    );
}

#[test]
fn output_option_refuses_several_inputs() {
    let dir = tempdir();
    write_file(dir.path(), "a", b"one");
    write_file(dir.path(), "b", b"two");
    let out = sigma_in(dir.path())
        .args(["-o", "x", "a", "b"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["-o"]);
    assert_eq!(listing(dir.path()), names(&["a", "b"]));
}

#[test]
fn keep_flag_is_accepted() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    assert_quiet_success(&sigma_in(dir.path()).args(["-k", "a.txt"]).output().unwrap());
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
    fs::rename(dir.path().join("a.txt"), dir.path().join("orig")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "--keep", "a.txt.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        listing(dir.path()),
        names(&["a.txt", "a.txt.sigma", "orig"])
    );
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    // -k bundled with other flags.
    let out = sigma_in(dir.path())
        .args(["-kdc", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, data);
}

#[test]
fn rm_removes_the_source_after_success() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["--rm", "a.txt"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(dir.path()), names(&["a.txt.sigma"]));
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "--rm", "a.txt.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(dir.path()), names(&["a.txt"]));
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    // With -c, -o - or -t there is no output file, so nothing is removed.
    let out = sigma_in(dir.path())
        .args(["--rm", "-c", "a.txt"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(listing(dir.path()), names(&["a.txt"]));
    write_file(dir.path(), "s.sigma", &out.stdout);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["--rm", "-t", "s.sigma"])
            .output()
            .unwrap(),
    );
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["--rm", "-dc", "s.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(dir.path()), names(&["a.txt", "s.sigma"]));
}

#[test]
fn rm_keeps_the_source_when_anything_fails() {
    let dir = tempdir();
    let data = sample();
    let stream = compress(&data, &[]);
    // A damaged stream: the source stays and no output appears.
    let mut bad = stream.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    write_file(dir.path(), "bad.txt.sigma", &bad);
    let out = sigma_in(dir.path())
        .args(["-d", "--rm", "bad.txt.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.txt.sigma"]);
    assert_eq!(listing(dir.path()), names(&["bad.txt.sigma"]));
    // The output exists and -f is not given: refused, the source stays.
    write_file(dir.path(), "a.txt", &data);
    write_file(dir.path(), "a.txt.sigma", b"precious");
    let out = sigma_in(dir.path())
        .args(["--rm", "a.txt"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.txt.sigma"]);
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    assert_eq!(read_file(dir.path().join("a.txt.sigma")), b"precious");
    // A truncated stream: the source stays.
    write_file(dir.path(), "t.sigma", &stream[..stream.len() - 1]);
    let out = sigma_in(dir.path())
        .args(["-d", "--rm", "t.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["t.sigma"]);
    assert_eq!(
        read_file(dir.path().join("t.sigma")),
        &stream[..stream.len() - 1]
    );
    assert_eq!(
        listing(dir.path()),
        names(&["a.txt", "a.txt.sigma", "bad.txt.sigma", "t.sigma"])
    );
}

#[test]
fn outputs_get_the_inputs_permissions() {
    let dir = tempdir();
    let data = sample();
    for (i, mode) in [0o600u32, 0o640, 0o644, 0o755, 0o444]
        .into_iter()
        .enumerate()
    {
        let name = format!("f{i}");
        let path = write_file(dir.path(), &name, &data);
        chmod(&path, mode);
        assert_quiet_success(&sigma_in(dir.path()).arg(&name).output().unwrap());
        let packed = dir.path().join(format!("{name}.sigma"));
        assert_eq!(
            mode_of(&packed),
            mode,
            "compressed output of a {mode:o} file"
        );
        fs::rename(&path, dir.path().join(format!("{name}.orig"))).unwrap();
        assert_quiet_success(
            &sigma_in(dir.path())
                .args(["-d", &format!("{name}.sigma")])
                .output()
                .unwrap(),
        );
        assert_eq!(
            mode_of(&path),
            mode,
            "decompressed output of a {mode:o} file"
        );
        assert_eq!(read_file(&path), data);
        // -o keeps the input's permissions too.
        let named = format!("{name}.named");
        assert_quiet_success(
            &sigma_in(dir.path())
                .args(["-o", &named, &name])
                .output()
                .unwrap(),
        );
        assert_eq!(
            mode_of(&dir.path().join(&named)),
            mode,
            "-o output of a {mode:o} file"
        );
    }
}

#[test]
fn outputs_get_the_inputs_times() {
    use std::time::{Duration, SystemTime};
    let dir = tempdir();
    let data = sample();
    let path = write_file(dir.path(), "a", &data);
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_934_245);
    let accessed = modified + Duration::from_secs(3600);
    let set = fs::FileTimes::new()
        .set_modified(modified)
        .set_accessed(accessed);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_times(set)
        .unwrap();
    let times = |name: &str| {
        let meta = fs::metadata(dir.path().join(name)).unwrap();
        (meta.modified().unwrap(), meta.accessed().unwrap())
    };

    assert_quiet_success(&sigma_in(dir.path()).arg("a").output().unwrap());
    assert_eq!(times("a.sigma"), (modified, accessed), "compressed output");
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-o", "named", "a"])
            .output()
            .unwrap(),
    );
    assert_eq!(times("named").0, modified, "-o output");
    fs::rename(&path, dir.path().join("a.orig")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "a.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(times("a").0, modified, "decompressed output");
    assert_eq!(read_file(&path), data);
    // From standard input there are no times to keep: the output is made now.
    let out = sigma_in(dir.path())
        .args(["-o", "piped"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(times("piped").0 > modified);
}

#[cfg(unix)]
#[test]
fn outputs_get_the_inputs_owner_where_allowed() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempdir();
    let path = write_file(dir.path(), "a", &sample());
    let owner = |name: &str| {
        let meta = fs::metadata(dir.path().join(name)).unwrap();
        (meta.uid(), meta.gid())
    };
    // Only root can give the input away; anyone else sees their own files keep their owner.
    let foreign = std::os::unix::fs::chown(&path, Some(4321), Some(8765)).is_ok();
    assert_quiet_success(&sigma_in(dir.path()).arg("a").output().unwrap());
    assert_eq!(owner("a.sigma"), owner("a"));
    fs::rename(&path, dir.path().join("a.orig")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "a.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(owner("a"), owner("a.orig"));
    if foreign {
        assert_eq!(owner("a"), (4321, 8765));
    }
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    write_file(dir.path(), "a.txt.sigma", b"precious compressed file");
    let out = sigma_in(dir.path()).arg("a.txt").output().unwrap();
    assert_one_line_error(&out, &["a.txt.sigma"]);
    assert!(out.stdout.is_empty());
    assert_eq!(
        read_file(dir.path().join("a.txt.sigma")),
        b"precious compressed file"
    );
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));

    for flag in ["-f", "--force"] {
        write_file(dir.path(), "a.txt.sigma", b"precious compressed file");
        let out = sigma_in(dir.path()).args([flag, "a.txt"]).output().unwrap();
        assert_quiet_success(&out);
        assert_eq!(
            decompress(&read_file(dir.path().join("a.txt.sigma"))),
            data,
            "{flag}"
        );
        assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
    }
}

#[test]
fn existing_decompressed_output_is_not_overwritten_without_force() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt.sigma", &compress(&data, &[]));
    write_file(dir.path(), "a.txt", b"precious plain file");
    let out = sigma_in(dir.path())
        .args(["-d", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.txt"]);
    assert_eq!(read_file(dir.path().join("a.txt")), b"precious plain file");
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
    let out = sigma_in(dir.path())
        .args(["-df", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(read_file(dir.path().join("a.txt")), data);
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
}

#[test]
fn existing_named_output_is_not_overwritten_without_force() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.txt", &data);
    write_file(dir.path(), "out", b"precious");
    let out = sigma_in(dir.path())
        .args(["-o", "out", "a.txt"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["out"]);
    assert_eq!(read_file(dir.path().join("out")), b"precious");
    let out = sigma_in(dir.path())
        .args(["-o", "out"])
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert_one_line_error(&out, &["out"]);
    assert_eq!(read_file(dir.path().join("out")), b"precious");
    // A read-only existing file is replaced too with -f.
    chmod(&dir.path().join("out"), 0o444);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-f", "-o", "out", "a.txt"])
            .output()
            .unwrap(),
    );
    assert_eq!(decompress(&read_file(dir.path().join("out"))), data);
    assert_eq!(listing(dir.path()), names(&["a.txt", "out"]));
}

#[test]
fn force_with_a_bad_stream_leaves_the_existing_output_untouched() {
    let dir = tempdir();
    let mut bad = compress(&sample(), &[]);
    let mid = bad.len() / 2;
    bad[mid] ^= 0x01;
    write_file(dir.path(), "a.txt.sigma", &bad);
    write_file(dir.path(), "a.txt", b"precious plain file");
    let out = sigma_in(dir.path())
        .args(["-d", "-f", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.txt.sigma"]);
    assert_eq!(read_file(dir.path().join("a.txt")), b"precious plain file");
    assert_eq!(listing(dir.path()), names(&["a.txt", "a.txt.sigma"]));
}

#[test]
fn input_and_output_the_same_file_is_refused() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a", &data);
    let out = sigma_in(dir.path())
        .args(["-f", "-o", "a", "a"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a"]);
    assert_eq!(read_file(dir.path().join("a")), data);
    assert_eq!(listing(dir.path()), names(&["a"]));
}

#[test]
fn double_dash_ends_options() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "-5", &data);
    assert_quiet_success(&sigma_in(dir.path()).args(["--", "-5"]).output().unwrap());
    assert_eq!(listing(dir.path()), names(&["-5", "-5.sigma"]));
    fs::remove_file(dir.path().join("-5")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "--", "-5.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("-5")), data);
}

#[test]
fn several_files_are_processed_in_one_call() {
    let dir = tempdir();
    let a = prose(5_000, 11);
    let b = prose(7_000, 12);
    write_file(dir.path(), "a", &a);
    write_file(dir.path(), "b", &b);
    assert_quiet_success(&sigma_in(dir.path()).args(["a", "b"]).output().unwrap());
    assert_eq!(
        listing(dir.path()),
        names(&["a", "a.sigma", "b", "b.sigma"])
    );
    fs::remove_file(dir.path().join("a")).unwrap();
    fs::remove_file(dir.path().join("b")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "a.sigma", "b.sigma"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(dir.path().join("a")), a);
    assert_eq!(read_file(dir.path().join("b")), b);
    // -c with several files writes one stream after the other.
    let out = sigma_in(dir.path())
        .args(["-c", "a", "b"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(decompress(&out.stdout), [a.clone(), b.clone()].concat());
    let out = sigma_in(dir.path())
        .args(["-dc", "b.sigma", "a.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, [b, a].concat());
}

#[test]
fn recursive_takes_every_file_under_a_directory() {
    let dir = tempdir();
    let root = dir.path();
    fs::create_dir_all(root.join("d/sub/deeper")).unwrap();
    fs::create_dir_all(root.join("d/empty")).unwrap();
    let a = prose(6_000, 21);
    let b = prose(3_000, 22);
    let c = prose(9_000, 23);
    write_file(root, "d/b", &b);
    write_file(root, "d/sub/a", &a);
    write_file(root, "d/sub/deeper/c", &c);
    // Already compressed: compressing leaves it alone, decompressing takes only it and its kind.
    let old = compress(&c, &[]);
    write_file(root, "d/old.sigma", &old);

    assert_quiet_success(&sigma_in(root).args(["-r", "d"]).output().unwrap());
    assert_eq!(
        listing(&root.join("d")),
        names(&["b", "b.sigma", "empty", "old.sigma", "sub"])
    );
    assert_eq!(
        listing(&root.join("d/sub")),
        names(&["a", "a.sigma", "deeper"])
    );
    assert_eq!(
        listing(&root.join("d/sub/deeper")),
        names(&["c", "c.sigma"])
    );
    assert_eq!(decompress(&read_file(root.join("d/sub/a.sigma"))), a);

    // -c: one stream after another, in name order, depth first.
    let out = sigma_in(root).args(["-rc", "d"]).output().unwrap();
    assert_quiet_success(&out);
    assert_eq!(decompress(&out.stdout), [&b[..], &a, &c].concat());

    // -t, -l and -d take the .sigma files only.
    assert_quiet_success(&sigma_in(root).args(["-tr", "d"]).output().unwrap());
    let out = sigma_in(root).args(["-lr", "d"]).output().unwrap();
    assert_quiet_success(&out);
    let listing_text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = listing_text.lines().skip(1).collect();
    let listed: Vec<&str> = rows
        .iter()
        .map(|line| line.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        listed,
        [
            "d/b.sigma",
            "d/old.sigma",
            "d/sub/a.sigma",
            "d/sub/deeper/c.sigma",
            "4 files"
        ]
    );
    // The totals row adds up the streams and frames (one each here).
    let totals: Vec<&str> = rows[4].split_whitespace().collect();
    assert_eq!(totals[..2], ["4", "4"]);
    let out = sigma_in(root).args(["-l", "d/b.sigma"]).output().unwrap();
    assert_quiet_success(&out);
    assert_eq!(
        out.stdout.iter().filter(|&&b| b == b'\n').count(),
        2,
        "one file, no totals"
    );
    for plain in ["d/b", "d/sub/a", "d/sub/deeper/c"] {
        fs::remove_file(root.join(plain)).unwrap();
    }
    assert_quiet_success(&sigma_in(root).args(["-dr", "--rm", "d"]).output().unwrap());
    assert_eq!(
        listing(&root.join("d")),
        names(&["b", "empty", "old", "sub"])
    );
    assert_eq!(read_file(root.join("d/b")), b);
    assert_eq!(read_file(root.join("d/old")), c);
    assert_eq!(read_file(root.join("d/sub/deeper/c")), c);
}

#[test]
fn suffix_option_names_compressed_files() {
    let dir = tempdir();
    let root = dir.path();
    let data = sample();
    write_file(root, "a.txt", &data);
    assert_quiet_success(
        &sigma_in(root)
            .args(["-S", ".sg", "a.txt"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(root), names(&["a.txt", "a.txt.sg"]));
    // Without -S the usual suffix is expected.
    let out = sigma_in(root).args(["-d", "a.txt.sg"]).output().unwrap();
    assert!(assert_one_line_error(&out, &["a.txt.sg"]).contains("unknown suffix"));
    let out = sigma_in(root)
        .args(["--suffix=.sg", "a.txt.sg"])
        .output()
        .unwrap();
    assert!(assert_one_line_error(&out, &["a.txt.sg"]).contains("already has .sg suffix"));
    fs::rename(root.join("a.txt"), root.join("orig")).unwrap();
    assert_quiet_success(
        &sigma_in(root)
            .args(["-d", "-S", ".sg", "a.txt.sg"])
            .output()
            .unwrap(),
    );
    assert_eq!(read_file(root.join("a.txt")), data);
    // A name that is all suffix has nothing left to name the output.
    write_file(root, ".sg", &read_file(root.join("a.txt.sg")));
    let out = sigma_in(root)
        .args(["-d", "-S", ".sg", ".sg"])
        .output()
        .unwrap();
    assert!(assert_one_line_error(&out, &[".sg"]).contains("unknown suffix"));
    // -r picks files by the suffix in force.
    fs::create_dir(root.join("d")).unwrap();
    write_file(root, "d/b", &data);
    // Under another suffix, a .sigma file is just a file.
    write_file(root, "d/c.sigma", b"not taken");
    assert_quiet_success(
        &sigma_in(root)
            .args(["-r", "-S", "_z", "d"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        listing(&root.join("d")),
        names(&["b", "b_z", "c.sigma", "c.sigma_z"])
    );
    fs::remove_file(root.join("d/b")).unwrap();
    fs::remove_file(root.join("d/c.sigma")).unwrap();
    assert_quiet_success(
        &sigma_in(root)
            .args(["-dr", "-S", "_z", "--rm", "d"])
            .output()
            .unwrap(),
    );
    assert_eq!(listing(&root.join("d")), names(&["b", "c.sigma"]));
    assert_eq!(read_file(root.join("d/b")), data);
    assert_eq!(read_file(root.join("d/c.sigma")), b"not taken");
    for bad in ["", "a/b"] {
        let out = sigma_in(root).args(["-S", bad, "a.txt"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "-S {bad:?}");
        assert!(stderr_of(&out).contains("invalid suffix"), "-S {bad:?}");
    }
}

#[test]
fn recursive_over_nothing_to_do_does_not_read_stdin() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("empty")).unwrap();
    write_file(dir.path(), "only.sigma", &compress(b"text", &[]));
    for args in [&["-r", "empty"][..], &["-rc", "empty"], &["-dr", "empty"]] {
        let out = sigma_in(dir.path())
            .args(args)
            .write_stdin(b"not read".to_vec())
            .output()
            .unwrap();
        assert_quiet_success(&out);
        assert!(out.stdout.is_empty(), "{args:?} wrote {:?}", out.stdout);
    }
    // A directory without -r is still refused, and the message says how to take it.
    fs::create_dir(dir.path().join("d")).unwrap();
    let out = sigma_in(dir.path()).arg("d").output().unwrap();
    assert!(assert_one_line_error(&out, &["d"]).contains("-r"));
}

/// Runs `sigma ARGS` in `dir` while feeding `data` into the FIFO `dir/fifo` if (and only if)
/// sigma opens it for reading; never blocks on a FIFO nobody reads.
fn run_with_fifo(dir: &std::path::Path, args: &[&str], data: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::process::{Command, Stdio};
    const O_NONBLOCK: i32 = 0o4000; // Linux
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut fed = false;
    while !fed && child.try_wait().unwrap().is_none() {
        // Opening a FIFO for writing without blocking succeeds only once a reader has it open.
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(dir.join("fifo"))
        {
            Ok(mut w) => {
                let mut rest = data;
                while !rest.is_empty() {
                    match w.write(rest) {
                        Ok(n) => rest = &rest[n..],
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(std::time::Duration::from_millis(5))
                        }
                        Err(e) => panic!("writing the FIFO: {e}"),
                    }
                }
                fed = true;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    child.wait_with_output().unwrap()
}

fn make_fifo(dir: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo"))
        .status()
        .expect("run mkfifo");
    assert!(status.success());
}

#[test]
fn fifo_to_stdout_is_fine() {
    let dir = tempdir();
    make_fifo(dir.path());
    let data = sample();
    let out = run_with_fifo(dir.path(), &["-c", "fifo"], &data);
    assert_quiet_success(&out);
    assert_eq!(decompress(&out.stdout), data);
    assert_eq!(listing(dir.path()), names(&["fifo"]));
}

#[test]

fn non_regular_files_are_skipped_in_file_mode() {
    let dir = tempdir();
    make_fifo(dir.path());
    let out = run_with_fifo(dir.path(), &["fifo"], &sample());
    assert_no_panic(&out);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a FIFO was compressed to a file"
    );
    assert!(stderr_of(&out).contains("fifo"), "{}", stderr_of(&out));
    assert_eq!(listing(dir.path()), names(&["fifo"]));
}

#[test]
fn symbolic_links_are_skipped_in_file_mode() {
    let dir = tempdir();
    write_file(dir.path(), "target", &sample());
    std::os::unix::fs::symlink("target", dir.path().join("link")).unwrap();
    let out = sigma_in(dir.path()).arg("link").output().unwrap();
    assert_no_panic(&out);
    assert_ne!(out.status.code(), Some(0), "a symbolic link was compressed");
    assert!(stderr_of(&out).contains("link"), "{}", stderr_of(&out));
    assert_eq!(listing(dir.path()), names(&["link", "target"]));
}

/// As `unxz` and `xzcat` are `xz -d` and `xz -dc`: the binary invoked as `unsigma` decompresses
/// and as `sigmacat` decompresses to standard output, unless another operation is asked for;
/// its messages then begin with that name, as `unxz:`'s do.
#[test]
#[cfg(unix)]
fn unsigma_and_sigmacat_names_decompress() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.sigma", &compress(&data, &[]));
    let bin = tempdir();
    for name in ["unsigma", "sigmacat"] {
        std::os::unix::fs::symlink(BIN, bin.path().join(name)).unwrap();
    }
    let named = |name: &str| {
        let mut cmd = assert_cmd::Command::new(bin.path().join(name));
        cmd.current_dir(dir.path());
        cmd
    };
    let out = named("sigmacat").arg("a.sigma").output().unwrap();
    assert_quiet_success(&out);
    assert_eq!(out.stdout, data);
    assert_eq!(listing(dir.path()), names(&["a.sigma"]));

    let out = named("unsigma").arg("a.sigma").output().unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(read_file(dir.path().join("a")), data);
    assert_eq!(listing(dir.path()), names(&["a", "a.sigma"]));

    // Another operation given with them wins, as with xzcat -t.
    let out = named("sigmacat").args(["-t", "a.sigma"]).output().unwrap();
    assert_quiet_success(&out);
    assert!(out.stdout.is_empty());

    // A subcommand's name is a file name here, and errors are signed with the name used.
    let out = named("unsigma").arg("demo").output().unwrap();
    assert_one_line_error_from("unsigma", &out, &["demo", "No such file"]);
    let out = named("sigmacat").arg("missing.sigma").output().unwrap();
    assert_one_line_error_from("sigmacat", &out, &["missing.sigma"]);
}

/// As in xz and zstd, of -z, -d, -t and -l the last one given is the operation.
#[test]
fn the_last_operation_flag_wins() {
    let dir = tempdir();
    let data = sample();
    write_file(dir.path(), "a.sigma", &compress(&data, &[]));
    let out = sigma_in(dir.path())
        .args(["-d", "-t", "a.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(listing(dir.path()), names(&["a.sigma"]), "-d -t tests");
    let out = sigma_in(dir.path())
        .args(["-t", "-d", "a.sigma"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(read_file(dir.path().join("a")), data, "-t -d decompresses");
    let out = sigma_in(dir.path())
        .args(["-dz", "-c", "a"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert_eq!(decompress(&out.stdout), data, "-dz compresses");
}
