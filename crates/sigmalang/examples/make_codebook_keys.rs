//! Writes the keys of the built-in English codebook (`codebooks/english.keys`), learned from
//! its training text on standard input: `scripts/train-english-codebook.sh` runs it after
//! training the codebook, and a test checks that the committed file is what it makes.
use sigmalang::codebook::Codebook;
use std::io::Read;

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .expect("usage: make_codebook_keys OUTPUT < TEXT");
    let mut text = Vec::new();
    std::io::stdin()
        .read_to_end(&mut text)
        .expect("reading the text");
    let keys = sigmalang::transform::codebook_keys(&Codebook::english(), &text);
    let bytes: Vec<u8> = keys.iter().flat_map(|key| key.to_le_bytes()).collect();
    std::fs::write(out, bytes).expect("writing the keys");
}
