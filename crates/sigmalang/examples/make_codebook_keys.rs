//! Writes the keys of the built-in English codebook (`codebooks/english.keys`), learned from
//! its training text on standard input: `scripts/train-english-codebook.sh` runs it after
//! training the codebook, and a test checks that the committed file is what it makes.
use sigmalang::codebook::{Codebook, KeyLearner};
use std::io::Read;

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .expect("usage: make_codebook_keys OUTPUT < TEXT");
    let english = Codebook::english();
    let mut learner = KeyLearner::new(&english);
    let mut buf = vec![0; 1 << 20];
    let mut stdin = std::io::stdin().lock();
    loop {
        match stdin.read(&mut buf).expect("reading the text") {
            0 => break,
            n => learner.feed(&buf[..n]),
        }
    }
    let bytes: Vec<u8> = (learner.finish().iter())
        .flat_map(|key| key.to_le_bytes())
        .collect();
    std::fs::write(out, bytes).expect("writing the keys");
}
