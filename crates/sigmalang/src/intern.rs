//! Interning of a frame's words and symbols: each distinct byte string gets an id, in order of
//! first sight. Most keys are at most 8 bytes long and nearly all at most 16; those are packed
//! into one or two `u64`s so that hashing and comparing them is a machine word or two and no
//! memory outside the table, whose entries are then 16 or 24 bytes.

use rustc_hash::FxHashMap;

/// Longest key kept packed in one word.
const WORD: usize = 8;
/// Longest key kept packed.
const SHORT: usize = 16;

/// Ids of byte strings that contain no zero byte (words and symbols never do, so a packed
/// key's zero padding cannot be mistaken for content).
#[derive(Default)]
pub(crate) struct Interner {
    /// Keys of at most 8 bytes, in a table of 16-byte entries: the lookups miss the caches on
    /// a frame's vocabulary, and a denser table misses less.
    word: FxHashMap<u64, u32>,
    short: FxHashMap<[u64; 2], u32>,
    long: FxHashMap<Box<[u8]>, u32>,
    keys: Vec<Box<[u8]>>,
}

impl Interner {
    /// The id of `key`, given the next free one if `key` is new.
    #[inline]
    pub(crate) fn id(&mut self, key: &[u8]) -> u32 {
        debug_assert!(!key.contains(&0), "interned keys contain no zero byte");
        let next = self.keys.len() as u32;
        let id = if key.len() <= WORD {
            *self.word.entry(pack(key)[0]).or_insert(next)
        } else if key.len() <= SHORT {
            *self.short.entry(pack(key)).or_insert(next)
        } else {
            match self.long.get(key) {
                Some(&id) => id,
                None => {
                    self.long.insert(key.into(), next);
                    next
                }
            }
        };
        if id == next {
            self.keys.push(key.into());
        }
        id
    }

    /// The keys by id.
    pub(crate) fn into_keys(self) -> Vec<Box<[u8]>> {
        self.keys
    }
}

/// `key` (at most 16 bytes) as two little-endian words padded with zeros, read with
/// overlapping loads: copying it into a zeroed buffer first called `memcpy` and stalled the
/// loads that followed it.
#[inline(always)]
fn pack(key: &[u8]) -> [u64; 2] {
    let len = key.len();
    debug_assert!(len <= SHORT);
    let word = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            key[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    match len {
        0 => [0, 0],
        1..=3 => [
            u64::from(key[0])
                | u64::from(key[len / 2]) << (8 * (len / 2))
                | u64::from(key[len - 1]) << (8 * (len - 1)),
            0,
        ],
        4..=7 => [half(0) | half(len - 4) << (8 * (len - 4)), 0],
        8 => [word(0), 0],
        _ => [word(0), word(len - 8) >> (8 * (16 - len))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_pads_every_length_with_zeros() {
        let text = b"abcdefghijklmnop";
        for len in 0..=SHORT {
            let mut padded = [0u8; SHORT];
            padded[..len].copy_from_slice(&text[..len]);
            let words =
                [&padded[..8], &padded[8..]].map(|w| u64::from_le_bytes(w.try_into().unwrap()));
            assert_eq!(pack(&text[..len]), words, "length {len}");
        }
    }

    #[test]
    fn ids_follow_first_sight_for_short_and_long_keys() {
        let mut interner = Interner::default();
        let long = b"pneumonoultramicroscopic".as_slice();
        assert_eq!(interner.id(b"the"), 0);
        assert_eq!(interner.id(long), 1);
        assert_eq!(interner.id(b"th"), 2);
        assert_eq!(interner.id(b"the"), 0);
        assert_eq!(interner.id(long), 1);
        assert_eq!(interner.id(b"sixteen-byte-key"), 3);
        assert_eq!(interner.id(b"sixteen-byte-kez"), 4);
        assert_eq!(interner.id("é".as_bytes()), 5);
        // Either side of the one-word table's limit, in all three tables.
        assert_eq!(interner.id(b"eightbyt"), 6);
        assert_eq!(interner.id(b"eightbyte"), 7);
        assert_eq!(interner.id(b"eightby"), 8);
        assert_eq!(interner.id(b"eightbyt"), 6);
        assert_eq!(interner.id(b"eightbyte"), 7);
        assert_eq!(interner.id(b"th"), 2);
        let keys = interner.into_keys();
        assert_eq!(&*keys[1], long);
        assert_eq!(&*keys[3], b"sixteen-byte-key");
        assert_eq!(&*keys[7], b"eightbyte");
        assert_eq!(keys.len(), 9);
    }
}
