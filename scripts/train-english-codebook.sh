#!/usr/bin/env bash
# Rebuilds the built-in English codebook (crates/sigmalang/codebooks/english.sigmacb, id 1) from
# the last 20,000,000 bytes of the shared prose corpus; evaluations of small files use text from
# before that part. Streams name the codebook by id and hash, so the committed file must never
# change: this script documents how it was made, and the test `english_codebook_is_reproducible`
# checks that it still makes the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${SIGMA_CORPORA:-../shared/corpora}/text-100m.txt
cargo build --release -q -p sigma-cli
tail -c 20000000 "$corpus" |
    ./target/release/sigma train --id 1 --entries 65536 -f -o crates/sigmalang/codebooks/english.sigmacb -
