//! A codebook's bytes as data: the file's layout, where each entry ends, and the
//! open-addressing table that finds an entry's rank by its bytes.
//!
//! The build script includes this file too (`build.rs`), to index the built-in codebook at
//! compile time, so it may use nothing of the crate but [`crate::varint`], and its hash must
//! give the same slots on every platform.

use crate::varint;

/// First bytes of a codebook file.
pub const CODEBOOK_MAGIC: [u8; 4] = [0xFE, 0xCE, 0xA3, b'D'];
/// The codebook file format version this library writes for a codebook with keys, and the
/// newest it reads.
pub const CODEBOOK_VERSION: u8 = 2;
/// The version of a codebook file without keys (every version 1 file, and what this library
/// writes for a codebook without keys, so that older readers take it).
pub const CODEBOOK_VERSION_WITHOUT_KEYS: u8 = 1;

/// The fields of a codebook file (`docs/FORMAT.md` section 18.1), unchecked but for their
/// layout.
pub struct FileParts<'a> {
    /// The codebook's id.
    pub id: u32,
    /// The entry count the file declares.
    pub entries: u64,
    /// The entries: each one's bytes, then its end byte.
    pub section: &'a [u8],
    /// The keys, two little-endian bytes for each declared entry (version 2 files only).
    pub keys: Option<&'a [u8]>,
    /// What the hash covers: the section, and the keys after it.
    pub hashed: &'a [u8],
    /// The hash the file declares for the section and keys.
    pub hash: u64,
}

/// Why bytes do not have a codebook file's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutError {
    /// The bytes do not start with [`CODEBOOK_MAGIC`].
    NotCodebook,
    /// The version byte is neither [`CODEBOOK_VERSION`] nor [`CODEBOOK_VERSION_WITHOUT_KEYS`].
    UnsupportedVersion(u8),
    /// The bytes end before the fields they declare.
    Truncated,
    /// Bytes follow the hash.
    TrailingData,
}

/// Splits a codebook file into its fields.
pub fn split_file(bytes: &[u8]) -> Result<FileParts<'_>, LayoutError> {
    if bytes.len() < 5 || bytes[..4] != CODEBOOK_MAGIC {
        return Err(if CODEBOOK_MAGIC.starts_with(bytes) {
            LayoutError::Truncated
        } else {
            LayoutError::NotCodebook
        });
    }
    let with_keys = match bytes[4] {
        CODEBOOK_VERSION_WITHOUT_KEYS => false,
        CODEBOOK_VERSION => true,
        version => return Err(LayoutError::UnsupportedVersion(version)),
    };
    let mut pos = 5;
    let id = u32::from_le_bytes(take(bytes, &mut pos, 4)?.try_into().expect("4 bytes"));
    let entries = take_varint(bytes, &mut pos)?;
    let len = take_varint(bytes, &mut pos)?;
    let len = usize::try_from(len).map_err(|_| LayoutError::Truncated)?;
    let start = pos;
    let section = take(bytes, &mut pos, len)?;
    let keys = match with_keys {
        true => {
            // Never more than the file holds: a count that claims more is a truncation.
            let len = (usize::try_from(entries).ok())
                .and_then(|entries| entries.checked_mul(2))
                .ok_or(LayoutError::Truncated)?;
            Some(take(bytes, &mut pos, len)?)
        }
        false => None,
    };
    let hashed = &bytes[start..pos];
    let hash = u64::from_le_bytes(take(bytes, &mut pos, 8)?.try_into().expect("8 bytes"));
    if pos != bytes.len() {
        return Err(LayoutError::TrailingData);
    }
    Ok(FileParts {
        id,
        entries,
        section,
        keys,
        hashed,
        hash,
    })
}

fn take<'a>(bytes: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], LayoutError> {
    let end = pos.checked_add(n).ok_or(LayoutError::Truncated)?;
    let slice = bytes.get(*pos..end).ok_or(LayoutError::Truncated)?;
    *pos = end;
    Ok(slice)
}

fn take_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, LayoutError> {
    let (v, n) = varint::get(&bytes[*pos..]).map_err(|_| LayoutError::Truncated)?;
    *pos += n;
    Ok(v)
}

/// Ends a Σ-bank entry that is a word (the implicit-space rule applies to it). Frames'
/// Σ-bank sections and codebooks' sections are laid out alike.
pub const WORD_END: u8 = 0x00;
/// Ends a Σ-bank entry that is a symbol. Recording the kind keeps decoders independent of
/// the Unicode tables the encoder used to tell letters from symbols.
pub const SYMBOL_END: u8 = 0x01;

/// Positions of the bytes of `section` (under 4 GiB) that end an entry. Entries are short, so a
/// branch per byte would mispredict at most of their ends: this stores every position and
/// keeps the ones that are ends, which made loading the built-in codebook twice as fast.
pub fn terminators(section: &[u8]) -> Vec<u32> {
    const CHUNK: usize = 4096;
    let mut ends = Vec::new();
    let mut found = [0u32; CHUNK];
    let mut start = 0u32;
    for chunk in section.chunks(CHUNK) {
        let mut n = 0;
        for (at, &b) in (start..).zip(chunk) {
            found[n] = at;
            n += usize::from(b == WORD_END || b == SYMBOL_END);
        }
        ends.extend_from_slice(&found[..n]);
        start += chunk.len() as u32;
    }
    ends
}

/// Entry `rank`'s bytes in `section`, whose entries end at `ends`.
pub fn entry_bytes<'a>(section: &'a [u8], ends: &[u32], rank: usize) -> &'a [u8] {
    let start = match rank {
        0 => 0,
        _ => ends[rank - 1] as usize + 1,
    };
    &section[start..ends[rank] as usize]
}

/// The slots of a rank table for `entries` entries: a power of two, at least twice as many,
/// so that the table is at most half full.
fn slot_count(entries: usize) -> usize {
    (2 * entries).next_power_of_two().max(2)
}

/// The slot where the search for `key` starts in a table of `slots` slots (a power of two).
/// The key is read as little-endian words, as `FxHasher` reads machine words, with the
/// last word overlapping the one before rather than copied out (a copy of the remainder made
/// hashing twice as slow): the same on every platform, so that a table the build script made
/// is valid wherever the library runs.
fn home_slot(key: &[u8], slots: usize) -> usize {
    let step =
        |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(0x517C_C1B7_2722_0A95);
    let word = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            key[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    let len = key.len();
    let mut hash = len as u64;
    if len >= 8 {
        for at in (0..len - 8).step_by(8) {
            hash = step(hash, word(at));
        }
        hash = step(hash, word(len - 8));
    } else if len >= 4 {
        hash = step(hash, half(0) << 32 | half(len - 4));
    } else if len > 0 {
        let byte = |at: usize| u64::from(key[at]);
        hash = step(hash, byte(0) << 16 | byte(len / 2) << 8 | byte(len - 1));
    }
    let shift = 64 - slots.trailing_zeros();
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// Looks `key` up in a rank table (open addressing, linear probing; a slot holds rank + 1, or
/// 0 if free) whose entries' bytes `entry` gives: its rank, or the free slot where it would go.
/// The table's keys are the codebook's own section: a map owning a copy of each of the
/// English codebook's 39,030 keys took 5 ms to build.
pub fn find<'a>(
    slots: &[u32],
    key: &[u8],
    entry: impl Fn(usize) -> &'a [u8],
) -> Result<u32, usize> {
    let mask = slots.len() - 1;
    let mut slot = home_slot(key, slots.len());
    loop {
        match slots[slot] {
            0 => return Err(slot),
            taken if entry(taken as usize - 1) == key => return Ok(taken - 1),
            _ => slot = (slot + 1) & mask,
        }
    }
}

/// The rank table of the entries of `section` that end at `ends`, or the rank of the first
/// entry that repeats an earlier one.
pub fn rank_slots(section: &[u8], ends: &[u32]) -> Result<Vec<u32>, usize> {
    let mut slots = vec![0; slot_count(ends.len())];
    let entry = |rank| entry_bytes(section, ends, rank);
    for rank in 0..ends.len() {
        match find(&slots, entry(rank), entry) {
            Err(free) => slots[free] = rank as u32 + 1,
            Ok(_) => return Err(rank),
        }
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_slots_are_fixed_numbers_on_every_platform() {
        // The build script's table is only valid if the library, perhaps built for another
        // platform, starts every search where it did: these are the slots it computes.
        let keys: [&[u8]; 5] = [b"", b"a", b"the", b"about", b"information-theoretic"];
        let slots = keys.map(|key| home_slot(key, 1 << 17));
        assert_eq!(slots, [0, 111_953, 41_408, 37_484, 92_767]);
    }
}
