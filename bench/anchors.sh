# Sourced by the benchmarks: installs the anchor compressors that are missing (PPMd via 7z,
# bzip3, brotli; xz, zstd and bzip2 come with the system) with apt-get when running as root,
# so that a fresh machine gives the same table as the README. Without root, the benchmarks
# leave out the anchors that are not installed.
install_anchors() {
  local need=()
  command -v 7z >/dev/null || need+=(p7zip-full)
  command -v bzip3 >/dev/null || need+=(bzip3)
  command -v brotli >/dev/null || need+=(brotli)
  if ((${#need[@]})) && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}
