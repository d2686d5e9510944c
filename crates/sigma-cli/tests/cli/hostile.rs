//! Hostile input never panics: random bytes, valid streams with a flipped bit or a few random
//! bytes, truncated streams. `sigma -dc` and `sigma -t` must exit 0 or 1 (never 101 or a signal),
//! and exit 0 only when the output is exactly the original content.

use crate::support::*;
use std::process::Output;

const CASES: usize = 200;

struct Case {
    what: String,
    input: Vec<u8>,
    /// What a successful decode must produce; `None`: decoding must fail.
    original: Option<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    // Bases: several frames of text, binary, a stream of nothing, two concatenated streams.
    let text = prose(6_000, 71);
    let binary = Rng::new(72).bytes(3_000);
    let text_stream = compress(&text, &["--frame-size", "1KiB"]);
    let binary_stream = compress(&binary, &["--frame-size", "1KiB"]);
    let empty_stream = compress(b"", &[]);
    // A stream of nothing is a stream header followed by the footer.
    let header_len = footer_start(&empty_stream);
    let both = [&text_stream[..], &empty_stream].concat();
    let bases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("text", text_stream, text.clone()),
        ("binary", binary_stream, binary.clone()),
        ("empty", empty_stream.clone(), Vec::new()),
        ("concatenated", both, text.clone()),
    ];

    let mut rng = Rng::new(0xC0FFEE);
    let mut out = Vec::with_capacity(CASES);
    for i in 0..CASES {
        let (name, stream, original) = &bases[rng.below(bases.len())];
        let case = match i % 5 {
            0 => {
                // Random bytes, half of them behind a valid stream header.
                let mut input = if rng.below(2) == 0 {
                    empty_stream[..header_len].to_vec()
                } else {
                    Vec::new()
                };
                let len = 1 + rng.below(400);
                input.extend(rng.bytes(len));
                Case {
                    what: format!("random {len} bytes"),
                    input,
                    original: None,
                }
            }
            1 => {
                let mut input = stream.clone();
                let pos = rng.below(input.len());
                let bit = 1u8 << rng.below(8);
                input[pos] ^= bit;
                Case {
                    what: format!("{name}: bit {bit:#04x} flipped at {pos}"),
                    input,
                    original: Some(original.clone()),
                }
            }
            2 => {
                let cut = 1 + rng.below(stream.len() - 1);
                // Only the concatenation can be cut into something valid: its first stream.
                let original = (*name == "concatenated").then(|| original.clone());
                Case {
                    what: format!("{name}: cut at {cut}"),
                    input: stream[..cut].to_vec(),
                    original,
                }
            }
            3 => {
                let mut input = stream.clone();
                let n = 1 + rng.below(6);
                for _ in 0..n {
                    let pos = rng.below(input.len());
                    input[pos] = rng.byte();
                }
                Case {
                    what: format!("{name}: {n} random bytes"),
                    input,
                    original: Some(original.clone()),
                }
            }
            _ => {
                // A valid stream with a slice of it repeated, removed or replaced by random bytes.
                let mut input = stream.clone();
                let a = rng.below(input.len());
                let b = (a + 1 + rng.below(64)).min(input.len());
                let what = match rng.below(3) {
                    0 => {
                        let piece = input[a..b].to_vec();
                        input.splice(b..b, piece);
                        format!("{name}: {a}..{b} repeated")
                    }
                    1 => {
                        input.drain(a..b);
                        format!("{name}: {a}..{b} removed")
                    }
                    _ => {
                        let noise = rng.bytes(b - a);
                        input.splice(a..b, noise);
                        format!("{name}: {a}..{b} randomised")
                    }
                };
                Case {
                    what,
                    input,
                    original: Some(original.clone()),
                }
            }
        };
        out.push(case);
    }
    out
}

fn check(case: &Case, args: &[&str], out: &Output) {
    let what = format!("sigma {} < [{}]", args.join(" "), case.what);
    assert_no_panic(out);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "{what}: exit status {:?}; stderr: {}",
        out.status,
        stderr_of(out)
    );
    if code == Some(1) {
        assert_one_line_error(out, &["stdin"]);
        return;
    }
    assert!(out.stderr.is_empty(), "{what}: {}", stderr_of(out));
    match (&case.original, args.contains(&"-t")) {
        (None, _) => panic!("{what}: accepted an input that cannot be a valid stream"),
        (Some(_), true) => assert!(out.stdout.is_empty(), "{what}: -t wrote output"),
        (Some(original), false) => {
            assert!(
                out.stdout == *original,
                "{what}: exit 0 but the output differs from the original"
            )
        }
    }
}

#[test]
fn hostile_input_never_panics() {
    let cases = cases();
    // Two workers: each case costs two short-lived processes.
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let cases = &cases;
            scope.spawn(move || {
                for case in cases.iter().skip(worker).step_by(2) {
                    let dc = sigma()
                        .arg("-dc")
                        .write_stdin(case.input.clone())
                        .output()
                        .unwrap();
                    check(case, &["-dc"], &dc);
                    let t = sigma()
                        .arg("-t")
                        .write_stdin(case.input.clone())
                        .output()
                        .unwrap();
                    check(case, &["-t"], &t);
                    assert_eq!(
                        dc.status.code(),
                        t.status.code(),
                        "[{}]: -dc and -t disagree",
                        case.what
                    );
                }
            });
        }
    });
}

#[test]
fn hostile_input_in_file_mode_leaves_no_output() {
    let cases = cases();
    let dir = tempdir();
    for case in cases.iter().step_by(10) {
        write_file(dir.path(), "h.sigma", &case.input);
        let out = sigma_in(dir.path())
            .args(["-d", "h.sigma"])
            .output()
            .unwrap();
        assert_no_panic(&out);
        match out.status.code() {
            Some(1) => {
                assert_one_line_error(&out, &["h.sigma"]);
                assert_eq!(listing(dir.path()), names(&["h.sigma"]), "[{}]", case.what);
            }
            Some(0) => {
                let back = read_file(dir.path().join("h"));
                assert!(
                    Some(&back) == case.original.as_ref(),
                    "[{}]: wrong output",
                    case.what
                );
                std::fs::remove_file(dir.path().join("h")).unwrap();
            }
            other => panic!("[{}]: exit status {other:?}", case.what),
        }
    }
}
