//! Indexes the built-in English codebook at compile time: where each of its entries ends and
//! its rank table, as `codebook_layout` would build them at run time, so that no run of the
//! library pays for them (0.9-1.1 ms for the table, page faults included, on every `sigma -c`),
//! and its keys (`codebooks/english.keys`, little-endian `u16`s). The library's tests check the
//! result against the run-time functions.

// The build script needs only part of these modules; the library uses the rest.
#[allow(dead_code)]
#[path = "src/codebook_layout.rs"]
mod codebook_layout;
#[allow(dead_code)]
#[path = "src/varint.rs"]
mod varint;

use std::fmt::Write;

const CODEBOOK: &str = "codebooks/english.sigmacb";
const KEYS: &str = "codebooks/english.keys";

fn main() {
    for input in [
        CODEBOOK,
        KEYS,
        "src/codebook_layout.rs",
        "src/varint.rs",
        "build.rs",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    let file = std::fs::read(CODEBOOK).expect("the built-in codebook is in the crate");
    let parts = codebook_layout::split_file(&file).expect("the built-in codebook is whole");
    let ends = codebook_layout::terminators(parts.section);
    let slots = codebook_layout::rank_slots(parts.section, &ends)
        .unwrap_or_else(|rank| panic!("entry {rank} of the built-in codebook repeats another"));
    let mut out = String::new();
    array(
        &mut out,
        "ENGLISH_ENDS",
        "Where each entry of `ENGLISH` ends.",
        &ends,
    );
    array(
        &mut out,
        "ENGLISH_SLOTS",
        "The rank table of `ENGLISH`.",
        &slots,
    );
    let keys: Vec<u16> = std::fs::read(KEYS)
        .expect("the built-in codebook's keys are in the crate")
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    assert_eq!(keys.len(), ends.len(), "a key for every entry");
    array(
        &mut out,
        "ENGLISH_KEYS",
        "The keys of `ENGLISH`'s entries.",
        &keys,
    );
    let dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(std::path::Path::new(&dir).join("english_index.rs"), out)
        .expect("OUT_DIR is writable");
}

fn array<T: std::fmt::Display>(out: &mut String, name: &str, doc: &str, values: &[T]) {
    writeln!(out, "/// {doc}").unwrap();
    let ty = std::any::type_name::<T>();
    writeln!(out, "static {name}: [{ty}; {}] = [", values.len()).unwrap();
    for row in values.chunks(16) {
        for value in row {
            write!(out, "{value},").unwrap();
        }
        out.push('\n');
    }
    out.push_str("];\n");
}
