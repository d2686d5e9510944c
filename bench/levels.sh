#!/usr/bin/env bash
# Every sigma level on the shared corpora: ratio, encode and decode speed (one run each, -T2 by
# default) and the encoder's peak RSS, with every output decompressed and compared. This is the
# README's "Every level" table; bench/compare.sh sets levels against the other tools.
#
#   bench/levels.sh [LEVEL...]        (default: 1 2 3 4 5 6 7 8; -9 takes about 5 minutes a file)
#
# Environment: SIGMA_CORPORA (default ../shared/corpora), SIGMA_THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${SIGMA_CORPORA:-../shared/corpora}
threads=${SIGMA_THREADS:-2}
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(1 2 3 4 5 6 7 8)
cargo build --release -q -p sigma-cli
sigma=$PWD/target/release/sigma
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "seconds peak-KiB" of a command whose output goes to $2.
timed() { # output command...
  local out=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$out"
  cat "$work/time"
}

files=("$corpora/text-100m.txt" "$corpora/mixed-100m.txt")
printf '| level |'
for f in "${files[@]}"; do printf ' %s ratio | enc MB/s | dec MB/s | RSS MiB |' "$(basename "$f" .txt)"; done
echo
printf '|---|'; printf -- '---|---|---|---|%.0s' "${files[@]}"; echo
for level in "${levels[@]}"; do
  printf '| `-%s` |' "$level"
  for f in "${files[@]}"; do
    bytes=$(stat -c %s "$f")
    read -r enc_s enc_kib < <(timed "$work/s" "$sigma" "-$level" -T"$threads" -c "$f")
    read -r dec_s _ < <(timed "$work/d" "$sigma" -dc -T"$threads" "$work/s")
    cmp -s "$work/d" "$f" || { echo "round trip failed: -$level on $f" >&2; exit 1; }
    awk -v n="$bytes" -v c="$(stat -c %s "$work/s")" -v e="$enc_s" -v d="$dec_s" -v k="$enc_kib" \
      'BEGIN { printf " %.3f | %.1f | %.1f | %.0f |", n / c, n / e / 1e6, n / d / 1e6, k / 1024 }'
  done
  echo
done
