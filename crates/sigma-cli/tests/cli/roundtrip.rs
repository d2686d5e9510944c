//! Lossless round trips through pipes (`sigma -c | sigma -dc`) and through files
//! (`sigma FILE; sigma -d FILE.sigma`).

use crate::support::*;
use std::fs;

/// Round-trips `data` both ways and checks every result byte for byte.
fn round_trip(label: &str, data: &[u8]) {
    // Through standard input and output.
    let out = sigma()
        .arg("-c")
        .write_stdin(data.to_vec())
        .output()
        .unwrap();
    assert_quiet_success(&out);
    let stream = out.stdout;
    assert!(
        stream.starts_with(&STREAM_MAGIC),
        "{label}: no stream header"
    );
    let out = sigma()
        .arg("-dc")
        .write_stdin(stream.clone())
        .output()
        .unwrap();
    assert_quiet_success(&out);
    assert!(
        out.stdout == data,
        "{label}: pipe round trip differs ({} vs {} bytes)",
        out.stdout.len(),
        data.len()
    );

    // Through files.
    let dir = tempdir();
    write_file(dir.path(), "input", data);
    assert_quiet_success(&sigma_in(dir.path()).arg("input").output().unwrap());
    fs::rename(dir.path().join("input"), dir.path().join("original")).unwrap();
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "input.sigma"])
            .output()
            .unwrap(),
    );
    let back = read_file(dir.path().join("input"));
    assert!(
        back == data,
        "{label}: file round trip differs ({} vs {} bytes)",
        back.len(),
        data.len()
    );
    assert_eq!(
        listing(dir.path()),
        names(&["input", "input.sigma", "original"]),
        "{label}"
    );
    if data.len() > CROSS_CHECK_LIMIT {
        return;
    }
    // A file's stream tests good and decodes through a pipe, and a pipe's stream in file mode.
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-t", "input.sigma"])
            .output()
            .unwrap(),
    );
    let file_stream = read_file(dir.path().join("input.sigma"));
    assert!(
        decompress(&file_stream) == data,
        "{label}: file stream through a pipe"
    );
    write_file(dir.path(), "piped.sigma", &stream);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-d", "piped.sigma"])
            .output()
            .unwrap(),
    );
    assert!(
        read_file(dir.path().join("piped")) == data,
        "{label}: pipe stream in file mode"
    );
}

/// Inputs up to this size also get the cross checks; larger ones only the two round trips.
const CROSS_CHECK_LIMIT: usize = 256 << 10;

#[test]
fn empty() {
    round_trip("empty", b"");
}

#[test]
fn one_byte() {
    for b in [b'a', b'Z', b' ', b'\n', b'\r', 0x00, 0x7f, 0x80, 0xfe, 0xff] {
        round_trip(&format!("byte {b:#04x}"), &[b]);
    }
}

#[test]
fn three_megabytes_of_random_bytes() {
    round_trip("3 MB random", &Rng::new(0x5eed).bytes(3_000_000));
}

#[test]
fn two_megabyte_single_token() {
    round_trip("2 MB of 'a'", &vec![b'a'; 2 << 20]);
    let letters: Vec<u8> = (0..(256 << 10)).map(|i| b'a' + (i % 26) as u8).collect();
    round_trip("256 KiB alphabet, no spaces", &letters);
}

#[test]
fn binary_with_every_byte_value() {
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend((0..=255u8).rev());
    for hi in 0..=255u8 {
        for lo in 0..=255u8 {
            data.extend([hi, lo]);
        }
    }
    data.extend(Rng::new(51).bytes(65_536));
    round_trip("every byte value", &data);
    round_trip("every byte value, short", &(0..=255u8).collect::<Vec<u8>>());
}

#[test]
fn utf16le_text() {
    let text = String::from_utf8(prose(80_000, 52)).unwrap()
        + "\r\nGrüße aus Zürich, 日本語のテキスト, emoji 😀🎉 and Ωmega.\r\n";
    let mut data = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        data.extend(unit.to_le_bytes());
    }
    round_trip("UTF-16LE", &data);
}

#[test]
fn latin1_text() {
    let text =
        "Café naïve façade, l'élève à Noël: « déjà vu » — ¿qué año? Größe ½ £5 ©®°±µ¶·¿ÆØÅæøåÿ.\n";
    let mut data = Vec::new();
    let mut rng = Rng::new(53);
    while data.len() < 100_000 {
        for c in text.chars() {
            let code = if c == '—' { '-' as u32 } else { c as u32 };
            assert!(code < 256, "{c} is not Latin-1");
            data.push(code as u8);
        }
        data.extend(
            prose(rng.below(500) + 1, rng.next_u64())
                .iter()
                .filter(|b| b.is_ascii()),
        );
        data.push(b'\n');
    }
    round_trip("Latin-1", &data);
}

#[test]
fn crlf_text() {
    let text = String::from_utf8(prose(100_000, 54)).unwrap();
    let crlf = text.replace('\n', "\r\n");
    round_trip("CRLF", crlf.as_bytes());
    // Mixed line endings, lone CRs, CRLF at the very end and at the very start.
    let mixed = format!(
        "\r\n{}\r\rlone\rcr\n\r\nend\r\n",
        text.replace(". ", ".\r").replace(", ", ",\r\n")
    );
    round_trip("mixed line endings", mixed.as_bytes());
}

#[test]
fn tricky_text() {
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("spaces only".into(), vec![b' '; 10_000]),
        ("newlines only".into(), vec![b'\n'; 10_000]),
        ("no final newline".into(), b"the end of the story".to_vec()),
        ("leading spaces".into(), b"   the  quick\t\tbrown   fox  ".to_vec()),
        ("UTF-8 BOM".into(), [&b"\xEF\xBB\xBF"[..], &prose(5_000, 55)].concat()),
        ("NULs in text".into(), prose(20_000, 56).iter().map(|&b| if b == b' ' { 0 } else { b }).collect()),
        ("invalid UTF-8".into(), [&prose(3_000, 57)[..], b"\xC3\x28 \xA0\xA1 \xF0\x28\x8C\xBC \xED\xA0\x80 \xC0\xAF ", &prose(3_000, 58)].concat()),
        ("case mixes".into(), b"Hello HELLO hello hELLO HeLLo hello. Hello! McDonald O'Neil iPhone eBay ABC abc Abc aBC ".repeat(500)),
        ("numbers".into(), (0..5_000u32).map(|i| format!("{i} {}.{} -{i}e{i} ", i * 7, i % 13)).collect::<String>().into_bytes()),
        ("magic numbers in text".into(), [&STREAM_MAGIC[..], &FRAME_MAGIC, &FOOTER_MAGIC, &END_MAGIC].concat().repeat(1000)),
        ("one long line".into(), prose(100_000, 59).iter().map(|&b| if b == b'\n' { b' ' } else { b }).collect()),
        ("many words once".into(), (0..10_000u32).map(|i| format!("w{:x}q ", i.wrapping_mul(2_654_435_761))).collect::<String>().into_bytes()),
    ];
    let mut rng = Rng::new(60);
    // Text with sparse random bytes mixed in.
    let mut noisy = prose(50_000, 61);
    for _ in 0..500 {
        let i = rng.below(noisy.len());
        noisy[i] = rng.byte();
    }
    cases.push(("text with random bytes".into(), noisy));
    for (label, data) in cases {
        round_trip(&label, &data);
    }
}

#[test]
fn repository_sources() {
    let root = repo_dir();
    let mut files = vec![root.join("README.md"), root.join("Cargo.toml")];
    for crate_dir in ["crates/sigma-cli/src", "crates/sigmalang/src"] {
        let mut rs: Vec<_> = fs::read_dir(root.join(crate_dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        rs.sort();
        files.extend(rs);
    }
    // The sources are being edited concurrently: read each once, then round-trip that snapshot.
    let all: Vec<u8> = files
        .iter()
        .filter_map(|f| fs::read(f).ok())
        .flatten()
        .collect();
    assert!(all.len() > 10_000);
    round_trip("repository sources", &all);
}

#[test]
fn canterbury_corpus() {
    let dir = canterbury_dir();
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 11,
        "expected the 11 Canterbury files, found {}",
        files.len()
    );
    for file in files {
        let label = file.file_name().unwrap().to_string_lossy().into_owned();
        round_trip(&label, &read_file(&file));
    }
}

/// The line `sigma inspect --frame 0` prints first about `file` in `dir`: the frame's summary.
fn first_frame_line(dir: &std::path::Path, file: &str) -> String {
    let out = sigma_in(dir)
        .args(["inspect", "--frame", "0", file])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn inspect_names_the_frames_with_soft_line_breaks() {
    // Prose wrapped at 70 columns: its newlines between words are coded beside the glyphs at
    // the BWT levels and the word model's alike.
    let dir = tempdir();
    let words = String::from_utf8(prose(200_000, 3))
        .unwrap()
        .replace('\n', " ");
    let mut wrapped = String::new();
    let mut column = 0;
    for word in words.split(' ').filter(|w| !w.is_empty()) {
        if column > 0 && column + 1 + word.len() > 70 {
            wrapped.push('\n');
            column = 0;
        } else if column > 0 {
            wrapped.push(' ');
            column += 1;
        }
        wrapped.push_str(word);
        column += word.len();
    }
    write_file(dir.path(), "wrapped.txt", wrapped.as_bytes());
    for level in ["-1", "-4", "-6", "-7"] {
        assert_quiet_success(
            &sigma_in(dir.path())
                .args([level, "-f", "wrapped.txt"])
                .output()
                .unwrap(),
        );
        let first = first_frame_line(dir.path(), "wrapped.txt.sigma");
        assert!(first.contains(", soft line breaks,"), "{level}: {first}");
    }
}

#[test]
fn inspect_names_the_frames_lzp_packed() {
    // Records that repeat a table of digits and punctuation, which the word transform leaves
    // as it is: the block repeats runs far longer than LZP's 128-byte minimum.
    let table: String = (0..12)
        .map(|row| {
            format!(
                "| {row:02} | 0.{:03} | {:05} | {:07} |\n",
                row * 37,
                row * 4099,
                row * 77_777
            )
        })
        .collect();
    let records: String = (0..3000).map(|i| format!("record {i}:\n{table}")).collect();
    let dir = tempdir();
    write_file(dir.path(), "records.txt", records.as_bytes());
    write_file(dir.path(), "prose.txt", &prose(300_000, 5));
    for (name, packed) in [("records.txt", true), ("prose.txt", false)] {
        assert_quiet_success(&sigma_in(dir.path()).args(["-f", name]).output().unwrap());
        let first = first_frame_line(dir.path(), &format!("{name}.sigma"));
        assert!(first.starts_with("# frame 0:"), "{first}");
        assert_eq!(first.contains("LZP-packed"), packed, "{name}: {first}");
    }
    let back = sigma_in(dir.path())
        .args(["-dc", "records.txt.sigma"])
        .output()
        .unwrap();
    assert!(back.stdout == records.as_bytes(), "records round trip");
}

#[test]
fn a_block_over_24_mib_is_sorted_in_pieces_and_round_trips() {
    // Digits and commas make no words, so the block is the text: 26 MB of it, one frame at the
    // default level, is sorted as two pieces of 13 MB, each coded as a part.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let text: Vec<u8> = (0..26_000_000)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match i % 16 {
                15 => b'\n',
                7 => b',',
                _ => b'0' + (state % 10) as u8,
            }
        })
        .collect();
    let dir = tempdir();
    write_file(dir.path(), "digits.csv", &text);
    assert_quiet_success(
        &sigma_in(dir.path())
            .args(["-k", "digits.csv"])
            .output()
            .unwrap(),
    );
    let view = sigma_in(dir.path())
        .args(["inspect", "--range", "0:16", "digits.csv.sigma"])
        .output()
        .unwrap();
    let view = String::from_utf8_lossy(&view.stdout);
    let first = view.lines().next().unwrap_or_default();
    assert!(first.contains("block in parts sorted apart"), "{first}");
    let back = sigma_in(dir.path())
        .args(["-dc", "digits.csv.sigma"])
        .output()
        .unwrap();
    assert!(back.status.success());
    assert!(back.stdout == text, "round trip");
}

#[test]
fn inspect_names_the_method_and_a_block_coded_in_parts() {
    // 6 MB of prose is one frame at levels 4 and 6, whose word-transformed block (over 1 MiB)
    // is coded in two parts: by the recurrence coder at level 4, the context-mixing model at 6.
    let dir = tempdir();
    write_file(dir.path(), "prose.txt", &prose(6_000_000, 7));
    for (level, method) in [("-4", "RecurrenceRevised"), ("-6", "GlyphRevised")] {
        assert_quiet_success(
            &sigma_in(dir.path())
                .args([level, "-f", "prose.txt"])
                .output()
                .unwrap(),
        );
        let first = first_frame_line(dir.path(), "prose.txt.sigma");
        assert!(
            first.contains(&format!("method {method}, block in parts")),
            "{level}: {first}"
        );
        // Its paragraphs let the glyph stream be rendered in two parts, on one thread or two.
        assert!(first.contains("rendered in two parts"), "{level}: {first}");
        for threads in ["-T1", "-T2"] {
            let back = sigma_in(dir.path())
                .args(["-dc", threads, "prose.txt.sigma"])
                .output()
                .unwrap();
            assert!(back.stdout == prose(6_000_000, 7), "{level} {threads}");
        }
    }
}
