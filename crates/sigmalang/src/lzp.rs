//! LZP: replaces long repeats in a block by an escape and a length before the suffix sort.
//!
//! At each sampled position, the eight bytes before it are hashed into a table that remembers
//! where that context was last seen; the bytes that followed it then are the prediction. A
//! prediction that holds for at least `min_len` bytes is coded as the escape byte and the
//! length; every other byte is itself (the escape byte as the escape and a zero). Markup, man
//! pages, logs and CSV repeat long stretches that a BWT block codes at a cost, and that make
//! the sort and the entropy coder work through them byte by byte; prose rarely does, and
//! gains almost nothing. `docs/FORMAT.md` (section 19) specifies the stream.

/// Bytes of context hashed at each position.
const CONTEXT: usize = 8;

/// Odd multiplier of the context hash and the encoder's tags (2^64 / golden ratio).
const HASH_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The parameters of one LZP stream, carried in its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LzpParams {
    /// The byte that starts a match or an escaped literal.
    pub escape: u8,
    /// Shortest match coded as one.
    pub min_len: u8,
    /// Base-2 logarithm of the number of table entries.
    pub hash_log: u8,
    /// Only contexts whose hash has this many further bits zero are looked up and recorded
    /// (one position in 2^`sample_log`, chosen by content, so that a repeat is sampled at
    /// the same places as its original).
    pub sample_log: u8,
}

impl LzpParams {
    /// Serialised size.
    pub const LEN: usize = 4;
    /// Shortest `min_len` a decoder accepts.
    pub const MIN_MATCH: u8 = 8;
    /// Range of `hash_log` a decoder accepts (the table is at most 4 MiB).
    pub const HASH_LOGS: std::ops::RangeInclusive<u8> = 10..=20;
    /// Largest `sample_log` a decoder accepts.
    pub const MAX_SAMPLE_LOG: u8 = 4;

    /// Appends the parameters to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.escape, self.min_len, self.hash_log, self.sample_log]);
    }

    /// Reads parameters written by [`LzpParams::write`], rejecting values out of range.
    pub fn parse(buf: &[u8]) -> Option<LzpParams> {
        let [escape, min_len, hash_log, sample_log]: [u8; Self::LEN] =
            buf.get(..Self::LEN)?.try_into().ok()?;
        let valid = min_len >= Self::MIN_MATCH
            && Self::HASH_LOGS.contains(&hash_log)
            && sample_log <= Self::MAX_SAMPLE_LOG;
        valid.then_some(LzpParams {
            escape,
            min_len,
            hash_log,
            sample_log,
        })
    }
}

/// How the encoder packs: a packed block is kept only if it came out shorter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LzpPolicy {
    /// Shortest match coded as one.
    pub min_len: u8,
    /// One position in 2^`sample_log` is looked up (at most [`LzpParams::MAX_SAMPLE_LOG`]).
    pub sample_log: u8,
    /// Blocks shorter than this are left alone.
    pub min_block: usize,
    /// If not 0: what the first sixteenth of the block (at least 64 KiB) must save, in 256ths
    /// of its length, or the encoder gives up there (prose saves almost nothing, and the fast
    /// levels would rather not spend the pass on it).
    pub trial_saving_256ths: usize,
}

impl Default for LzpPolicy {
    /// Measured on 16 MiB of the mixed corpus: matches of 128 bytes and more save 1.0 % at
    /// level 2 and 1.2 % at level 6. Matches of 64 saved 1.4-1.8 % there, but cost 2.6 % on a
    /// web server log, whose lines repeat user agents of about 100 bytes that the BWT already
    /// codes almost for free. Keeping every block that came out shorter (not only those 6 %
    /// shorter) saves another 0.2 % of the whole mixed corpus at level 2, and costs prose,
    /// whose blocks then shrink by a few matches, 1.5 % of level 2's time: the fast levels
    /// ask for a trial instead (`CodecParams` for the rank stage). Sampling one position
    /// in eight loses 0.02 % of the saving and, with the smaller table it allows, makes the
    /// pass four times cheaper: every lookup is a cache miss otherwise.
    fn default() -> Self {
        LzpPolicy {
            min_len: 128,
            sample_log: 3,
            min_block: 64 << 10,
            trial_saving_256ths: 0,
        }
    }
}

/// The table size for a block of `len` bytes: one entry per 16 sampled positions (a 16 MiB
/// block gets 2^17 entries), within the range decoders accept and never more than 2^18, so
/// that the table stays near the caches.
fn hash_log_for(len: usize, sample_log: u8) -> u8 {
    let log = usize::BITS - len.max(1).leading_zeros();
    let log = log.saturating_sub(4 + u32::from(sample_log));
    (log as u8).clamp(*LzpParams::HASH_LOGS.start(), 18)
}

/// The little-endian word of eight bytes.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
}

/// The table slot of position `pos` of `block` (the bytes up to it at least), if the position
/// is sampled: never below the context length.
#[inline(always)]
fn slot(block: &[u8], pos: usize, params: LzpParams) -> Option<usize> {
    let context = block.get(pos.checked_sub(CONTEXT)?..pos)?;
    let hash = word(context).wrapping_mul(HASH_MULTIPLIER);
    let (table_bits, sample_bits) = (u32::from(params.hash_log), u32::from(params.sample_log));
    let sampled = (hash >> (64 - table_bits - sample_bits)) & ((1 << sample_bits) - 1) == 0;
    sampled.then_some((hash >> (64 - table_bits)) as usize)
}

/// Length of the common prefix of `a` and `b`, compared eight bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut len = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (x, y) = (word(x), word(y));
        if x != y {
            return len + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    len + a[len..]
        .iter()
        .zip(&b[len..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Appends `bytes` as literals: the escape byte as the escape and a zero.
fn write_literals(bytes: &[u8], escape: u8, out: &mut Vec<u8>) {
    for piece in bytes.split_inclusive(|&b| b == escape) {
        out.extend_from_slice(piece);
        if piece.last() == Some(&escape) {
            out.push(0);
        }
    }
}

/// The least frequent byte value of `block` (the smallest of equals), so that escaped
/// literals are rare.
fn rarest_byte(block: &[u8]) -> u8 {
    let mut counts = [0usize; 256];
    for &b in block {
        counts[usize::from(b)] += 1;
    }
    (0..=255u8)
        .min_by_key(|&b| counts[usize::from(b)])
        .expect("256 candidates")
}

/// Packs `block`, or returns `None` if it is shorter than `policy.min_block` or would not come
/// out shorter.
pub fn encode(block: &[u8], policy: LzpPolicy) -> Option<(LzpParams, Vec<u8>)> {
    if block.len() < policy.min_block {
        return None;
    }
    let sample_log = policy.sample_log.min(LzpParams::MAX_SAMPLE_LOG);
    let params = LzpParams {
        escape: rarest_byte(block),
        min_len: policy.min_len.max(LzpParams::MIN_MATCH),
        hash_log: hash_log_for(block.len(), sample_log),
        sample_log,
    };
    let min_len = usize::from(params.min_len);
    // The encoder's table also holds a tag of the first and the last eight bytes a match from
    // each position would need, so that only a likely match reads the block at the candidate
    // (a cache miss).
    let tag = |at: usize| -> Option<u32> {
        let head = block.get(at..at + 8)?;
        let tail = block.get(at + min_len - 8..at + min_len)?;
        let mixed = (word(head) ^ word(tail).rotate_left(29)).wrapping_mul(HASH_MULTIPLIER);
        Some((mixed >> 32) as u32)
    };
    let mut table = vec![0u64; 1 << params.hash_log];
    let mut out = Vec::with_capacity(block.len());
    let mut pos = CONTEXT.min(block.len());
    // Bytes from here to `pos` are literals not yet written.
    let mut literals = 0;
    let mut trial_end = match policy.trial_saving_256ths {
        0 => usize::MAX,
        _ => (block.len() / 16).max(64 << 10),
    };
    while pos < block.len() {
        if pos >= trial_end {
            write_literals(&block[literals..pos], params.escape, &mut out);
            literals = pos;
            if out.len() * 256 > pos * 256usize.saturating_sub(policy.trial_saving_256ths) {
                return None;
            }
            trial_end = usize::MAX;
        }
        if let Some(slot) = slot(block, pos, params) {
            let tag = tag(pos);
            let entry = table[slot];
            table[slot] = u64::from(tag.unwrap_or(0)) << 32 | pos as u64;
            let candidate = entry as u32 as usize;
            if candidate != 0 && tag.is_some_and(|tag| (entry >> 32) as u32 == tag) {
                let len = common_prefix(&block[candidate..], &block[pos..]);
                if len >= min_len {
                    write_literals(&block[literals..pos], params.escape, &mut out);
                    out.push(params.escape);
                    let mut rest = len - min_len + 1;
                    while rest >= 255 {
                        out.push(255);
                        rest -= 255;
                    }
                    out.push(rest as u8);
                    pos += len;
                    literals = pos;
                    continue;
                }
            }
        }
        pos += 1;
    }
    write_literals(&block[literals..], params.escape, &mut out);
    (out.len() < block.len()).then_some((params, out))
}

/// Why a packed block could not be unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadLzp;

/// Unpacks `packed` into `out`, which must come to exactly `len` bytes. With `costs` (the
/// bits each packed byte cost), also appends to `costs.1` the bits of each unpacked byte: a
/// literal's own (and its escape's), a match's escape and length bytes on its first byte.
pub fn decode(
    packed: &[u8],
    params: LzpParams,
    len: usize,
    out: &mut Vec<u8>,
    mut costs: Option<(&[f32], &mut Vec<f32>)>,
) -> Result<(), BadLzp> {
    let start = out.len();
    let min_len = usize::from(params.min_len);
    let mut table = vec![0u32; 1 << params.hash_log];
    // Records the sampled positions `from..to` of the output in the table.
    let record = |table: &mut [u32], unpacked: &[u8], from: usize, to: usize| {
        for pos in from..to {
            if let Some(slot) = slot(unpacked, pos, params) {
                table[slot] = pos as u32;
            }
        }
    };
    let mut read = 0;
    while read < packed.len() {
        // A run of literals up to the next escape: copied at once, then recorded.
        let run = packed[read..]
            .iter()
            .position(|&b| b == params.escape)
            .unwrap_or(packed.len() - read);
        let pos = out.len() - start;
        if run > len - pos {
            return Err(BadLzp);
        }
        out.extend_from_slice(&packed[read..read + run]);
        record(&mut table, &out[start..], pos, pos + run);
        if let Some((packed_costs, unpacked_costs)) = costs.as_mut() {
            unpacked_costs.extend(packed_costs.get(read..read + run).unwrap_or_default());
        }
        read += run;
        if read == packed.len() {
            break;
        }
        // The escape, at the next position: an escaped literal or a match.
        let pos = out.len() - start;
        let mut candidate = 0;
        if let Some(slot) = slot(&out[start..], pos, params) {
            candidate = table[slot] as usize;
            table[slot] = pos as u32;
        }
        let first = read;
        let mut code = *packed.get(read + 1).ok_or(BadLzp)?;
        read += 2;
        let copy = if code == 0 {
            if pos == len {
                return Err(BadLzp);
            }
            out.push(params.escape);
            1
        } else {
            if candidate == 0 {
                return Err(BadLzp);
            }
            let mut rest = usize::from(code);
            while code == 255 {
                code = *packed.get(read).ok_or(BadLzp)?;
                read += 1;
                rest += usize::from(code);
            }
            let copy = rest + min_len - 1;
            if copy > len - pos {
                return Err(BadLzp);
            }
            let from = start + candidate;
            if candidate + copy <= pos {
                out.extend_from_within(from..from + copy);
            } else {
                // The source overlaps the bytes being written: copy forwards, byte by byte.
                for k in 0..copy {
                    out.push(out[from + k]);
                }
            }
            copy
        };
        if let Some((packed_costs, unpacked_costs)) = costs.as_mut() {
            let bits = packed_costs
                .get(first..read)
                .map_or(0.0, |c| c.iter().sum());
            unpacked_costs.push(bits);
            unpacked_costs.extend(std::iter::repeat_n(0.0, copy - 1));
        }
    }
    if out.len() - start == len {
        Ok(())
    } else {
        Err(BadLzp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: LzpPolicy = LzpPolicy {
        min_len: 8,
        sample_log: 0,
        min_block: 0,
        trial_saving_256ths: 0,
    };

    fn round_trip(block: &[u8], policy: LzpPolicy) -> Option<usize> {
        let (params, packed) = encode(block, policy)?;
        let mut out = b"prefix".to_vec();
        decode(&packed, params, block.len(), &mut out, None).expect("own output unpacks");
        assert_eq!(&out[6..], block);
        Some(packed.len())
    }

    #[test]
    fn repeats_shrink_and_come_back() {
        let notice = "This file is part of the example project. It is distributed in the \
                      hope that it will be useful, but WITHOUT ANY WARRANTY; without even the \
                      implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n";
        let files: String = (0..1000).map(|i| format!("file {i}:\n{notice}")).collect();
        let packed = round_trip(files.as_bytes(), LzpPolicy::default()).expect("packs");
        assert!(packed < files.len() / 5, "{packed} of {}", files.len());
    }

    #[test]
    fn escape_bytes_and_overlapping_matches_round_trip() {
        // Every byte value (so the escape occurs as a literal), then a run whose match
        // overlaps the bytes it is copied to.
        let mut block: Vec<u8> = (0..=255u8).collect();
        block.extend(std::iter::repeat_n(7u8, 5000));
        block.extend((0..=255u8).rev());
        block.extend_from_slice(&block.clone());
        round_trip(&block, SMALL).expect("packs");
        round_trip(b"", SMALL);
        round_trip(b"short", SMALL);
    }

    #[test]
    fn text_without_long_repeats_is_left_alone() {
        let words: Vec<u8> = (0..40_000u32)
            .flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 100_003).into_bytes())
            .collect();
        assert_eq!(encode(&words, LzpPolicy::default()), None);
        assert_eq!(encode(&words[..1000], LzpPolicy::default()), None);
    }

    #[test]
    fn a_trial_gives_up_on_blocks_that_repeat_only_late() {
        // 128 KiB without long repeats, then the same again: packing saves nothing in the
        // first 64 KiB, then almost half.
        let words: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 100_003).into_bytes())
            .take(128 << 10)
            .collect();
        let block = [&words[..], &words[..]].concat();
        let without = round_trip(&block, LzpPolicy::default()).expect("packs");
        assert!(without < block.len() * 3 / 4);
        let trial = LzpPolicy {
            trial_saving_256ths: 1,
            ..LzpPolicy::default()
        };
        assert_eq!(encode(&block, trial), None);
    }

    #[test]
    fn malformed_streams_are_refused() {
        let params = LzpParams {
            escape: b'#',
            min_len: 8,
            hash_log: 10,
            sample_log: 0,
        };
        let unpack = |packed: &[u8], len: usize| decode(packed, params, len, &mut Vec::new(), None);
        assert_eq!(unpack(b"abc", 3), Ok(()));
        assert_eq!(unpack(b"a#\0c", 3), Ok(()));
        // A match before any context has been seen, an escape at the end, too few or too
        // many bytes.
        assert_eq!(unpack(b"abcdefgh#\x01", 16), Err(BadLzp));
        assert_eq!(unpack(b"abc#", 3), Err(BadLzp));
        assert_eq!(unpack(b"abc", 4), Err(BadLzp));
        assert_eq!(unpack(b"abcd", 3), Err(BadLzp));
        // A match longer than what is left.
        let block = b"0123456789abcdef0123456789abcdef0123456789abcdef".repeat(3);
        let (params, packed) = encode(&block, SMALL).expect("packs");
        assert!(decode(&packed, params, block.len() - 1, &mut Vec::new(), None).is_err());
    }

    #[test]
    fn costs_follow_the_unpacked_bytes() {
        let block = b"abcdefghijklmnopqrstuvwxyz".repeat(10);
        let (params, packed) = encode(&block, SMALL).expect("packs");
        let packed_costs = vec![1.0f32; packed.len()];
        let mut costs = Vec::new();
        let mut out = Vec::new();
        decode(
            &packed,
            params,
            block.len(),
            &mut out,
            Some((&packed_costs, &mut costs)),
        )
        .expect("unpacks");
        assert_eq!(costs.len(), block.len());
        assert_eq!(costs.iter().sum::<f32>(), packed.len() as f32);
    }

    #[test]
    fn parameters_are_range_checked() {
        let p = LzpParams {
            escape: 0,
            min_len: 64,
            hash_log: 20,
            sample_log: 4,
        };
        let mut buf = Vec::new();
        p.write(&mut buf);
        assert_eq!(LzpParams::parse(&buf), Some(p));
        assert_eq!(LzpParams::parse(&[0, 7, 20, 0]), None);
        assert_eq!(LzpParams::parse(&[0, 64, 21, 0]), None);
        assert_eq!(LzpParams::parse(&[0, 64, 9, 0]), None);
        assert_eq!(LzpParams::parse(&[0, 64, 20, 5]), None);
        assert_eq!(LzpParams::parse(&[0, 64, 20]), None);
    }
}
