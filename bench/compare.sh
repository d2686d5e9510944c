#!/usr/bin/env bash
# Side-by-side benchmark of sigma against the anchors of issue #4 (bsc, PPMd via 7z, bzip3, xz,
# zstd, brotli, bzip2) on the shared corpora. Every round trip is checked byte for byte; the
# table gives ratio, encode and decode MB/s, peak RSS, and each anchor's speed relative to
# sigma's default level, all measured in this one run.
#
#   bench/compare.sh [--quick] [--runs N] [--tools "sigma sigma-T1 sigma-1 ppmd ..."] [FILE...]
#
# Tools: sigma (default level, -T2), sigma-T1, sigma-1 … sigma-9 (that level, -T2), bsc (libbsc
# 3.1.0's defaults on 2 OpenMP threads, built from source by bench/anchors.sh), ppmd, bzip3, xz,
# zstd, brotli, bzip2.
#
# Default files: ../shared/corpora/text-100m.txt and mixed-100m.txt. --quick uses their first
# 16 MB. --runs N times every encode and decode N times and reports the fastest (the peak RSS
# is the largest), which filters out a shared machine's slow moments; every run's round trip is
# checked. Missing anchors are installed with apt-get when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${SIGMA_CORPORA:-../shared/corpora}
quick=0
runs=1
tools="sigma sigma-1 sigma-9 bsc ppmd bzip3 xz zstd brotli bzip2"
files=()
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --tools) tools=$2; shift ;;
    --runs) runs=$2; shift ;;
    *) files+=("$1") ;;
  esac
  shift
done
((${#files[@]})) || files=("$corpora/text-100m.txt" "$corpora/mixed-100m.txt")

cargo build --release --quiet
sigma=$PWD/target/release/sigma
source bench/anchors.sh
install_anchors

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name: compress command (reads $in, writes $out); decompress command (reads $out, writes $back)
enc() {
  case $1 in
    sigma) "$sigma" -q -T2 -c "$in" > "$out" ;;
    sigma-[1-9]) "$sigma" -q "-${1#sigma-}" -T2 -c "$in" > "$out" ;;
    sigma-T1) "$sigma" -q -T1 -c "$in" > "$out" ;;
    bsc) OMP_NUM_THREADS=2 "$bsc_bin" e "$in" "$out" > /dev/null ;;
    ppmd) rm -f "$out.7z"; 7z a -bd -bso0 -bsp0 -t7z -m0=PPMd:mem=256m:o=8 "$out.7z" "$in" && mv "$out.7z" "$out" ;;
    bzip3) bzip3 -j 2 -c "$in" > "$out" ;;
    xz) xz -9e -T1 -c "$in" > "$out" ;;
    zstd) zstd -q --ultra -22 --long=27 -T2 -c "$in" > "$out" ;;
    brotli) brotli -q 11 -w 24 -c "$in" > "$out" ;;
    bzip2) bzip2 -9 -c "$in" > "$out" ;;
  esac
}
dec() {
  case $1 in
    sigma | sigma-[1-9]) "$sigma" -q -T2 -dc "$out" > "$back" ;;
    sigma-T1) "$sigma" -q -T1 -dc "$out" > "$back" ;;
    bsc) OMP_NUM_THREADS=2 "$bsc_bin" d "$out" "$back" > /dev/null ;;
    ppmd) 7z e -bd -bso0 -bsp0 -so "$out" > "$back" ;;
    bzip3) bzip3 -d -j 2 -c "$out" > "$back" ;;
    xz) xz -dc "$out" > "$back" ;;
    zstd) zstd -q -d --long=27 -c "$out" > "$back" ;;
    brotli) brotli -dc "$out" > "$back" ;;
    bzip2) bzip2 -dc "$out" > "$back" ;;
  esac
}
available() {
  case $1 in
    sigma*) true ;;
    bsc) [ -x "$bsc_bin" ] ;;
    ppmd) command -v 7z >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}
timed() { # label -> sets $secs $rss
  local t=$work/time
  /usr/bin/time -f "%e %M" -o "$t" bash -c "$(declare -f enc dec); sigma='$sigma' bsc_bin='$bsc_bin' in='$in' out='$out' back='$back'; $1 $2"
  read -r secs rss < "$t"
}

fastest() { # seconds [best so far, empty before the first run]
  awk -v t="$1" -v best="$2" 'BEGIN { print (best == "" || t + 0 < best + 0) ? t : best }'
}

for file in "${files[@]}"; do
  in=$work/input
  if ((quick)); then head -c 16000000 "$file" > "$in"; else cp "$file" "$in"; fi
  size=$(stat -c %s "$in")
  echo
  echo "## $(basename "$file")$( ((quick)) && echo " (first 16 MB)"): $size bytes, $(nproc) cores"
  printf '| %-8s | %7s | %9s | %9s | %8s | %16s | %16s | %s |\n' tool ratio "enc MB/s" "dec MB/s" "RSS MiB" "sigma enc speed" "sigma dec speed" "round trip"
  printf '|%s|\n' "----------|---------|-----------|-----------|----------|------------------|------------------|-----------"
  ref_enc=""
  for tool in $tools; do
    available "$tool" || { printf '| %-8s | not installed |\n' "$tool"; continue; }
    out=$work/out.$tool back=$work/back
    e_secs="" d_secs="" e_rss=0 d_rss=0 ok=exact
    for ((run = 0; run < runs; run++)); do
      timed enc "$tool"
      e_secs=$(fastest "$secs" "$e_secs")
      ((rss > e_rss)) && e_rss=$rss
      timed dec "$tool"
      d_secs=$(fastest "$secs" "$d_secs")
      ((rss > d_rss)) && d_rss=$rss
      csize=$(stat -c %s "$out")
      cmp -s "$in" "$back" || ok=MISMATCH
      rm -f "$out" "$back"
    done
    e_mbs=$(awk "BEGIN { printf \"%.1f\", $size / ($e_secs + 0.001) / 1e6 }")
    d_mbs=$(awk "BEGIN { printf \"%.1f\", $size / ($d_secs + 0.001) / 1e6 }")
    if [ -z "$ref_enc" ]; then ref_enc=$e_mbs; ref_dec=$d_mbs; fi
    printf '| %-8s | %7.3f | %9s | %9s | %8.0f | %15.2fx | %15.2fx | %s |\n' "$tool" \
      "$(awk "BEGIN { print $size / $csize }")" "$e_mbs" "$d_mbs" \
      "$(awk "BEGIN { print ($e_rss > $d_rss ? $e_rss : $d_rss) / 1024 }")" \
      "$(awk "BEGIN { print $ref_enc / $e_mbs }")" "$(awk "BEGIN { print $ref_dec / $d_mbs }")" "$ok"
    [ "$ok" = exact ] || status=1
  done
done
exit "${status:-0}"
