#!/usr/bin/env bash
# Compressed sizes of small files: slices of the shared corpora (from 60 MB in, before the part
# of text-100m.txt the built-in English codebook was trained on) and a few Canterbury files,
# through sigma (default, --no-codebook, -1, -8) and the anchors that are installed (PPMd via 7z,
# xz -9e, zstd -19, bzip3, bsc; missing ones are installed or built as bench/compare.sh does).
# Every sigma and sigma -8 output is checked by decompressing it.
#
#   bench/small-files.sh [SIZE...]        (default sizes: 2000 8000 32000 128000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${SIGMA_CORPORA:-../shared/corpora}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 8000 32000 128000 1000000)
cargo build --release -q -p sigma-cli
sigma=$PWD/target/release/sigma
source bench/anchors.sh
install_anchors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

size_of() { # tool file
  case $1 in
    sigma) "$sigma" -c "$2" | tee "$work/s" | wc -c; "$sigma" -dc "$work/s" | cmp -s - "$2" || { echo "sigma round trip failed on $2" >&2; exit 1; } ;;
    sigma-nocb) "$sigma" -c --no-codebook "$2" | wc -c ;;
    sigma-1) "$sigma" -1 -c "$2" | wc -c ;;
    sigma-8) "$sigma" -8 -c "$2" | tee "$work/s" | wc -c; "$sigma" -dc "$work/s" | cmp -s - "$2" || { echo "sigma -8 round trip failed on $2" >&2; exit 1; } ;;
    ppmd) rm -f "$work/p.7z"; 7z a -bd -bso0 -bsp0 -t7z -m0=PPMd:mem=256m:o=8 "$work/p.7z" "$2" && wc -c < "$work/p.7z" ;;
    xz) xz -9e -c "$2" | wc -c ;;
    zstd) zstd -q -19 -c "$2" | wc -c ;;
    bzip3) bzip3 -c "$2" | wc -c ;;
    bsc) OMP_NUM_THREADS=2 "$bsc_bin" e "$2" "$work/b" > /dev/null && wc -c < "$work/b" ;;
  esac
}

tools=(sigma sigma-nocb sigma-1 sigma-8)
for t in ppmd:7z xz:xz zstd:zstd bzip3:bzip3; do
  command -v "${t#*:}" >/dev/null && tools+=("${t%%:*}")
done
[ -x "$bsc_bin" ] && tools+=(bsc)
printf '| input | bytes |'; printf ' %s |' "${tools[@]}"; echo
printf '|---|---|'; printf -- '---|%.0s' "${tools[@]}"; echo
for corpus in text-100m mixed-100m; do
  for n in "${sizes[@]}"; do
    head -c $((60000000 + n)) "$corpora/$corpus.txt" | tail -c "$n" > "$work/in"
    printf '| %s | %s |' "${corpus%-100m}" "$n"
    for t in "${tools[@]}"; do printf ' %s |' "$(size_of "$t" "$work/in")"; done
    echo
  done
done
for f in alice29.txt asyoulik.txt xargs.1 fields.c cp.html; do
  cp "$corpora/canterbury/cantrbry/$f" "$work/in"
  printf '| %s | %s |' "$f" "$(wc -c < "$work/in")"
  for t in "${tools[@]}"; do printf ' %s |' "$(size_of "$t" "$work/in")"; done
  echo
done
