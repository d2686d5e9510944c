# Sourced by the benchmarks: installs the anchor compressors that are missing (PPMd via 7z,
# bzip3, brotli; xz, zstd and bzip2 come with the system) with apt-get when running as root,
# and builds bsc, so that a fresh machine gives the same table as the README. Without root,
# the benchmarks leave out the anchors that are not installed.
install_anchors() {
  local need=()
  command -v 7z >/dev/null || need+=(p7zip-full)
  command -v bzip3 >/dev/null || need+=(bzip3)
  command -v brotli >/dev/null || need+=(brotli)
  command -v g++ >/dev/null || need+=(g++)
  if ((${#need[@]})) && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  build_bsc || echo "bench: could not build bsc; it is left out" >&2
}

# bsc (libbsc 3.1.0 by Ilya Grebnov, the anchor issue #4 sets its speed and memory targets by)
# has no Debian package. Its unmodified source, with the `bsc` command-line tool and makefile,
# ships inside the sdist of `bsc`, a Python binding on PyPI, which a package registry serves, so
# this fetches that (checked by its SHA-256) and builds the tool once, with OpenMP as the
# issue's "2 threads" run used, into target/anchors/bsc.
bsc_bin=$PWD/target/anchors/bsc
build_bsc() {
  [ -x "$bsc_bin" ] && return 0
  command -v g++ >/dev/null && command -v curl >/dev/null || return 1
  local src url sum
  src=$(mktemp -d)
  url=https://files.pythonhosted.org/packages/7c/a3/c01b907eb2a9d9615f69c3ef09424a848bc93d1f6632ddae8e20157868e1/bsc-0.1.2.tar.gz
  sum=ba5ec9c3557fa12ea3073f496791c56c8b81af0a1b06edfd62cb216d356f8825
  if curl -fsSL "$url" -o "$src/bsc.tar.gz" &&
    echo "$sum  $src/bsc.tar.gz" | sha256sum -c --quiet - &&
    tar xzf "$src/bsc.tar.gz" -C "$src" &&
    make -s -C "$src/bsc-0.1.2/bsc/libbsc" -j2 bsc >/dev/null 2>&1 \
      CFLAGS="-O3 -fomit-frame-pointer -fstrict-aliasing -ffast-math -DNDEBUG -D_LARGEFILE64_SOURCE -D_FILE_OFFSET_BITS=64 -fopenmp -DLIBBSC_OPENMP_SUPPORT -DLIBBSC_SORT_TRANSFORM_SUPPORT"; then
    mkdir -p "$(dirname "$bsc_bin")" && cp "$src/bsc-0.1.2/bsc/libbsc/bsc" "$bsc_bin"
  fi
  rm -rf "$src"
  [ -x "$bsc_bin" ]
}
