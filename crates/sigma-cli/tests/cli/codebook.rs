//! Codebooks on the command line: `sigma train`, `-D CODEBOOK`, `--no-codebook`, and the
//! built-in English codebook that compression uses by default.

use crate::support::*;

/// Real English from the Canterbury corpus: samples to train on and text to compress.
fn english(name: &str) -> Vec<u8> {
    read_file(canterbury_dir().join(name))
}

#[test]
fn the_built_in_codebook_shrinks_small_english_files_and_can_be_turned_off() {
    let text = english("alice29.txt")[..4000].to_vec();
    let with = compress(&text, &[]);
    let without = compress(&text, &["--no-codebook"]);
    assert!(
        with.len() * 100 < without.len() * 85,
        "{} vs {}",
        with.len(),
        without.len()
    );
    assert_eq!(decompress(&with), text);
    assert_eq!(decompress(&without), text);

    let dir = tempdir();
    write_file(dir.path(), "with.sigma", &with);
    write_file(dir.path(), "without.sigma", &without);
    let out = sigma_in(dir.path())
        .args(["-l", "with.sigma", "without.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let listing = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    assert!(rows[0].contains(" 00000001 "), "{listing}");
    assert!(rows[1].contains(" none "), "{listing}");
}

#[test]
fn train_learns_keys_unless_told_not_to() {
    let dir = tempdir();
    write_file(dir.path(), "sample.txt", &english("asyoulik.txt"));
    let train = |args: &[&str], stdin: Vec<u8>| {
        let out = sigma_in(dir.path())
            .arg("train")
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stderr_of(&out)
    };
    let plays = english("lcet10.txt");
    let said = train(&["sample.txt", "-", "-o", "keys.cb"], plays.clone());
    assert!(said.contains(" entries and keys from "), "{said}");
    let said = train(
        &["sample.txt", "-", "-", "--no-keys", "-o", "plain.cb"],
        plays.clone(),
    );
    assert!(!said.contains("keys"), "{said}");
    // Standard input is read once however often it is named, and kept for the second pass.
    train(&["-q", "sample.txt", "-", "-", "-o", "twice.cb"], plays);
    let keyed = read_file(dir.path().join("keys.cb"));
    let plain = read_file(dir.path().join("plain.cb"));
    assert_eq!(read_file(dir.path().join("twice.cb")), keyed);
    assert_eq!((keyed[4], plain[4]), (2, 1), "codebook file versions");
    assert!(keyed.len() > plain.len());

    // Frames over either code the same text, differently, and need their own codebook.
    let text = english("alice29.txt")[..40_000].to_vec();
    write_file(dir.path(), "a.txt", &text);
    let mut streams = Vec::new();
    for book in ["keys.cb", "plain.cb"] {
        let out = sigma_in(dir.path())
            .args(["-c", "-D", book, "a.txt"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        write_file(dir.path(), "a.sigma", &out.stdout);
        let back = sigma_in(dir.path())
            .args(["-dc", "-D", book, "a.sigma"])
            .output()
            .unwrap();
        assert_eq!(back.stdout, text);
        streams.push(out.stdout);
    }
    assert_ne!(streams[0], streams[1]);
    let out = sigma_in(dir.path())
        .args(["-t", "-D", "plain.cb", "a.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    write_file(dir.path(), "a.sigma", &streams[0]);
    let out = sigma_in(dir.path())
        .args(["-t", "-D", "plain.cb", "a.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.sigma", "needs codebook"]);
}

#[test]
fn a_trained_codebook_is_needed_to_decompress_what_it_compressed() {
    let dir = tempdir();
    write_file(dir.path(), "sample1.txt", &english("asyoulik.txt"));
    write_file(dir.path(), "sample2.txt", &english("plrabn12.txt"));
    let out = sigma_in(dir.path())
        .args([
            "train",
            "sample1.txt",
            "-",
            "--entries",
            "2000",
            "-o",
            "play.cb",
        ])
        .write_stdin(english("lcet10.txt"))
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("2000 entries"),
        "{}",
        stderr_of(&out)
    );
    let book = read_file(dir.path().join("play.cb"));
    assert_eq!(book[..4], [0xFE, 0xCE, 0xA3, b'D']);

    let text = english("alice29.txt")[..6000].to_vec();
    write_file(dir.path(), "a.txt", &text);
    let out = sigma_in(dir.path())
        .args(["-q", "-D", "play.cb", "a.txt"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    let stream = read_file(dir.path().join("a.txt.sigma"));

    let out = sigma_in(dir.path())
        .args(["-dc", "-D", "play.cb", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(out.stdout, text);

    // Without it, or with another codebook, the stream is refused in one line naming it.
    let out = sigma()
        .arg("-dc")
        .write_stdin(stream.clone())
        .output()
        .unwrap();
    assert_one_line_error(&out, &["needs codebook"]);
    let out = sigma_in(dir.path())
        .args(["train", "-q", "sample2.txt", "-o", "other.cb"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    let out = sigma_in(dir.path())
        .args(["-t", "-D", "other.cb", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.txt.sigma", "needs codebook"]);

    // Seeking and inspecting need it too.
    let out = sigma_in(dir.path())
        .args(["-dc", "-D", "play.cb", "--range", "100:50", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(out.stdout, &text[100..150]);
    let out = sigma_in(dir.path())
        .args(["-dc", "--range", "100:50", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["needs codebook"]);
    let out = sigma_in(dir.path())
        .args(["inspect", "--stats", "-D", "play.cb", "a.txt.sigma"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

#[test]
fn bad_codebook_files_and_train_misuse_are_one_line_errors() {
    let dir = tempdir();
    write_file(dir.path(), "a.txt", &english("alice29.txt")[..3000]);
    write_file(dir.path(), "junk.cb", b"not a codebook at all");
    let out = sigma_in(dir.path())
        .args(["-c", "-D", "junk.cb", "a.txt"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["junk.cb", "not a ΣLANG codebook"]);
    let out = sigma_in(dir.path())
        .args(["-c", "-D", "missing.cb", "a.txt"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["missing.cb"]);

    // A damaged codebook is caught by its checksum.
    let out = sigma_in(dir.path())
        .args(["train", "-q", "a.txt", "-o", "a.cb"])
        .output()
        .unwrap();
    assert_quiet_success(&out);
    let mut book = read_file(dir.path().join("a.cb"));
    book[20] ^= 0x20;
    write_file(dir.path(), "bad.cb", &book);
    let out = sigma_in(dir.path())
        .args(["-c", "-D", "bad.cb", "a.txt"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["bad.cb", "checksum"]);

    // An existing codebook is not overwritten without -f; text with no repeated word teaches
    // nothing.
    let out = sigma_in(dir.path())
        .args(["train", "a.txt", "-o", "a.cb"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["a.cb", "already exists"]);
    write_file(dir.path(), "once.txt", b"every word here appears once\n");
    let out = sigma_in(dir.path())
        .args(["train", "once.txt", "-o", "once.cb"])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["nothing to learn"]);
    assert!(!dir.path().join("once.cb").exists());
    let out = sigma_in(dir.path())
        .args(["train", "a.txt"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let out = sigma_in(dir.path())
        .args(["-c", "-D", "a.cb", "--no-codebook", "a.txt"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
}
