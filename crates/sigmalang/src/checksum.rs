//! The two checksums of the format: CRC32C over headers and footers, XXH64 over decoded content.

pub use xxhash_rust::xxh64::Xxh64 as ContentHasher;

/// CRC32C (Castagnoli) of `bytes`; protects every header, the footer and the trailer.
pub fn header_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// XXH64 (seed 0) of decoded content, as stored per frame and for the whole stream.
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(bytes, 0)
}

/// A fresh streaming content hasher (seed 0), equal to [`content_hash`] over everything fed to it.
pub fn content_hasher() -> ContentHasher {
    ContentHasher::new(0)
}
