#!/usr/bin/env bash
# Rebuilds the built-in English codebook (crates/sigmalang/codebooks/english.sigmacb, id 1) and
# its keys (english.keys: each entry's usual predecessor there) from the last 20,000,000 bytes
# of the shared prose corpus; evaluations of small files use text from before that part.
# Streams name the codebook by id and hash, and frames in payload mode 3 take its entries in
# the keys' order, so neither file may ever change: this script documents how they were made,
# and the tests `the_english_codebook_is_reproducible` and
# `the_english_codebook_keys_are_reproducible` check that it still makes the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${SIGMA_CORPORA:-../shared/corpora}/text-100m.txt
cargo build --release -q -p sigma-cli
tail -c 20000000 "$corpus" |
    ./target/release/sigma train --no-keys --id 1 --entries 65536 -f -o crates/sigmalang/codebooks/english.sigmacb -
# Its keys came later (format version 10) and are not in its file, whose hash streams record:
# they are learned with the committed codebook, so the library is built with it first.
cargo build --release -q -p sigmalang --example make_codebook_keys
tail -c 20000000 "$corpus" |
    ./target/release/examples/make_codebook_keys crates/sigmalang/codebooks/english.keys
