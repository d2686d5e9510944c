//! The Burrows–Wheeler transform of a block and its inverse.
//!
//! The forward transform sorts the suffixes of the block with an implicit end marker that is
//! smaller than every byte; the marker's row is left out of the output and its position is
//! returned as the *primary index* (always in `1..=n` for a non-empty block).

use crate::{Part, IN_ONE_PART};
use std::sync::{Mutex, PoisonError};

/// Forward BWT of `block`, in place (a frame's block and its transform need not both be in
/// memory): returns the transformed bytes and the primary index.
///
/// libsais builds it by induced sorting with the same conventions (implicit end marker,
/// marker row left out, primary index one past the row of the whole block), 2.3–2.7 times as
/// fast as divsufsort's suffix array on 4–16 MiB of text.
pub fn forward(block: Vec<u8>) -> (Vec<u8>, u32) {
    // One segment: the primary index is its row.
    let rate = block.len().next_power_of_two().max(2);
    let (bwt, rows) = forward_sampled(block, rate);
    (bwt, rows.first().copied().unwrap_or(0))
}

/// Forward BWT of `block` in place, as [`forward`], with the row of every `rate`-th position
/// of the block (`rate` a power of two ≥ 2): `rows[k]` is the primary index of position
/// `k × rate`, so `rows[0]` is the primary index. The inverse can follow the segments between
/// them side by side ([`inverse_sampled`]).
pub fn forward_sampled(mut block: Vec<u8>, rate: usize) -> (Vec<u8>, Vec<u32>) {
    let rows = forward_sampled_in_place(&mut block, rate, 1);
    (block, rows)
}

/// [`forward_sampled`] of the bytes of `block`, replacing them: a piece of a larger block is
/// sorted where it lies, needing room only for its own suffix array.
///
/// With the `parallel-sort` feature, the sort runs on `threads` threads (libsais's OpenMP
/// build): two sorted 19 MB of word-transformed prose in 0.64-0.99 s instead of 0.81-1.19 s,
/// taking 1.7 times the processor time (its induced sorting waits on memory); the same
/// transform whatever the number.
pub fn forward_sampled_in_place(block: &mut [u8], rate: usize, threads: usize) -> Vec<u32> {
    assert!(
        rate >= 2 && rate.is_power_of_two(),
        "libsais samples at powers of two"
    );
    if block.is_empty() {
        return Vec::new();
    }
    assert!(
        block.len() < i32::MAX as usize,
        "BWT blocks are limited to 2 GiB by the frame size limit"
    );
    let rate = i32::try_from(rate).expect("frames below 2 GiB sample below 2^31");
    let construction =
        libsais::BwtConstruction::replace_text(block).with_owned_temporary_array_buffer32();
    #[cfg(feature = "parallel-sort")]
    let construction = construction.multi_threaded(libsais::ThreadCount::fixed(
        u16::try_from(threads).unwrap_or(u16::MAX),
    ));
    #[cfg(not(feature = "parallel-sort"))]
    let construction = {
        let _ = threads;
        construction.single_threaded()
    };
    let done = construction
        .with_aux_indices(libsais::bwt::AuxIndicesSamplingRate::from(rate))
        .run()
        .expect("libsais accepts every block below 2 GiB");
    done.aux_indices()
        .iter()
        .map(|&row| u32::try_from(row).expect("rows below 2^31"))
        .collect()
}

/// Why an inverse transform was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPrimaryIndex;

/// Inverse BWT: appends the original block to `out`. The transform is taken by value so that
/// it can be freed before the block is written (the successor table and the byte counts give
/// every byte).
///
/// Corrupt input yields wrong bytes (the frame checksum catches that), never a panic.
pub fn inverse(bwt: Vec<u8>, primary: u32, out: &mut Vec<u8>) -> Result<(), BadPrimaryIndex> {
    let rate = bwt.len().max(1);
    inverse_impl(bwt, &[primary], rate, out, None, IN_ONE_PART)
}

/// Inverse of [`forward_sampled`]: appends the original block to `out`, following every
/// segment of `rate` bytes from its own row, side by side. A block of more than a few MiB
/// does not fit in the caches, so each step of one chain waits on memory; independent chains
/// wait together. `rows` must hold one row per segment.
pub fn inverse_sampled(
    bwt: Vec<u8>,
    rows: &[u32],
    rate: usize,
    out: &mut Vec<u8>,
) -> Result<(), BadPrimaryIndex> {
    inverse_impl(bwt, rows, rate, out, None, IN_ONE_PART)
}

/// [`inverse_sampled`] with the segments cut into `groups.0` groups of consecutive segments
/// (at most one per segment), which `groups.1` runs, given their count and a function that
/// follows group `i`: one after another, or side by side on cores that are idle. Two threads
/// inverted 19 MB of word-transformed prose in 0.39-0.47 s instead of 0.55-0.80 s.
pub fn inverse_sampled_in_groups(
    bwt: Vec<u8>,
    (rows, rate): (&[u32], usize),
    out: &mut Vec<u8>,
    groups: (usize, impl FnOnce(usize, &Part<'_>)),
) -> Result<(), BadPrimaryIndex> {
    inverse_impl(bwt, rows, rate, out, None, groups)
}

/// Like [`inverse_sampled`], also appending to `sources` the position in `bwt` each output
/// byte came from (for attributing coding costs to the original block).
pub fn inverse_with_sources(
    bwt: Vec<u8>,
    rows: &[u32],
    rate: usize,
    out: &mut Vec<u8>,
    sources: &mut Vec<u32>,
) -> Result<(), BadPrimaryIndex> {
    inverse_impl(bwt, rows, rate, out, Some(sources), IN_ONE_PART)
}

fn inverse_impl(
    bwt: Vec<u8>,
    rows: &[u32],
    rate: usize,
    out: &mut Vec<u8>,
    sources: Option<&mut Vec<u32>>,
    (groups, run_groups): (usize, impl FnOnce(usize, &Part<'_>)),
) -> Result<(), BadPrimaryIndex> {
    let n = bwt.len();
    if n == 0 {
        return if rows.iter().all(|&row| row == 0) {
            Ok(())
        } else {
            Err(BadPrimaryIndex)
        };
    }
    let primary = rows[0] as usize;
    if rate == 0
        || rows.len() != n.div_ceil(rate)
        || rows.iter().any(|&row| row == 0 || row as usize > n)
    {
        return Err(BadPrimaryIndex);
    }
    let mut next_of_char = [0u32; 256];
    let mut total = 1u32; // the marker sorts first
    let mut counts = [0u32; 256];
    for &b in &bwt {
        counts[b as usize] += 1;
    }
    for c in 0..256 {
        next_of_char[c] = total;
        total += counts[c];
    }
    // The byte a step yields is the first-column byte of the row it leaves, which the byte
    // counts give, so the transform is freed once the successor table is built, and the
    // output is allocated only then: the two are never resident together.
    let chains = || Chains::new(n, rows, rate, primary, out, sources).split(groups);
    // Rows hold successors up to n.
    match usize::BITS - n.leading_zeros() {
        ..=24 => follow_successors::<PackedRows<0>>(bwt, primary, next_of_char, chains, run_groups),
        25 => follow_successors::<PackedRows<1>>(bwt, primary, next_of_char, chains, run_groups),
        26 => follow_successors::<PackedRows<2>>(bwt, primary, next_of_char, chains, run_groups),
        _ => follow_successors::<Vec<u32>>(bwt, primary, next_of_char, chains, run_groups),
    }
    Ok(())
}

/// The row each row of the sorted rotations steps to in the inverse transform.
trait Successors {
    /// A table of `rows` rows, each to be set once.
    fn with_rows(rows: usize) -> Self;
    fn set(&mut self, row: usize, next: usize);
    fn get(&self, row: usize) -> usize;
}

/// 24 + `HIGH` bits a row, end to end, for blocks below 2^(24 + HIGH) bytes. At 24 bits
/// (blocks below 16 MiB) the table and the output hold 4n bytes together, not 5n (as with the
/// byte packed beside each row, before), and the smaller table also misses the caches less: the
/// block of 24 MiB of prose inverts in 0.08 s instead of 0.10. Blocks of 16 to 64 MiB (32 MiB
/// frames of the mixed corpus make blocks of 19-23 MB) take 25 or 26 bits a row instead of 32:
/// 22 MB of the mixed corpus inverts in 69 MB instead of 88, a third slower (best of five
/// 0.75 s against 0.55 s at best, alternated). With the high bits in a table of their own, or
/// in a byte after every eight rows, a step read two places: 0.84 s at best.
struct PackedRows<const HIGH: usize>(Vec<u8>);

impl<const HIGH: usize> PackedRows<HIGH> {
    const BITS: usize = 24 + HIGH;
    const MASK: u32 = ((1u64 << Self::BITS) - 1) as u32;

    /// The byte where `row` starts and its first bit in that byte (below 8, so a row of up to
    /// 25 bits lies in the four bytes from there, and 26-bit rows start at even bits).
    #[inline(always)]
    fn at(row: usize) -> (usize, usize) {
        let bit = row * Self::BITS;
        (bit / 8, bit % 8)
    }

    #[inline(always)]
    fn word(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.0[at..at + 4].try_into().expect("four bytes"))
    }
}

impl<const HIGH: usize> Successors for PackedRows<HIGH> {
    fn with_rows(rows: usize) -> Self {
        const { assert!(HIGH <= 2, "a row lies in four bytes") };
        // Three bytes more, so that every row can be read as four.
        PackedRows(vec![0; (rows * Self::BITS).div_ceil(8) + 3])
    }

    #[inline(always)]
    fn set(&mut self, row: usize, next: usize) {
        let (at, shift) = Self::at(row);
        if HIGH == 0 {
            self.0[at..at + 3].copy_from_slice(&(next as u32).to_le_bytes()[..3]);
        } else {
            // Each row is set once, on zeros: the bits of the rows beside it, which share its
            // first and last bytes, are kept by adding its own.
            let word = self.word(at) | (next as u32) << shift;
            self.0[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }

    #[inline(always)]
    fn get(&self, row: usize) -> usize {
        let (at, shift) = Self::at(row);
        (self.word(at) >> shift & Self::MASK) as usize
    }
}

/// Four bytes a row, for blocks of 64 MiB and more.
impl Successors for Vec<u32> {
    fn with_rows(rows: usize) -> Self {
        vec![0; rows]
    }

    #[inline(always)]
    fn set(&mut self, row: usize, next: usize) {
        self[row] = next as u32;
    }

    #[inline(always)]
    fn get(&self, row: usize) -> usize {
        self[row] as usize
    }
}

/// Builds the successor table of `bwt` (its byte counts turned into where each byte's rows
/// start, `next_of_char`), frees the transform, and only then makes the groups of `chains`
/// (which allocate the output) and follows them through the table, as `run_groups` runs them.
#[inline(always)]
fn follow_successors<'a, S: Successors + Sync>(
    bwt: Vec<u8>,
    primary: usize,
    mut next_of_char: [u32; 256],
    chains: impl FnOnce() -> Vec<Chains<'a>>,
    run_groups: impl FnOnce(usize, &Part<'_>),
) {
    let n = bwt.len();
    let mut successors = S::with_rows(n + 1);
    // Row j of the last column: bwt[j] before the marker's row, the marker at `primary`,
    // bwt[j-1] after.
    for row in (0..=n).filter(|&row| row != primary) {
        let byte = if row < primary {
            bwt[row]
        } else {
            bwt[row - 1]
        };
        let slot = &mut next_of_char[byte as usize];
        successors.set(*slot as usize, row);
        *slot += 1;
    }
    drop(bwt);
    // Each byte's rows now end where its counter stopped.
    let first_column = FirstColumn::new(next_of_char, n);
    let (next_row, byte_of) = (|row| successors.get(row), |row| first_column.byte(row));
    let groups: Vec<_> = chains().into_iter().map(|g| Mutex::new(Some(g))).collect();
    run_groups(groups.len(), &|i| {
        let group = groups[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut chains) = group {
            chains.follow(next_row, byte_of);
        }
    });
}

/// The first column of the sorted rotations, from where each byte's rows end: row 0 is the
/// end marker's, then come the rows of byte 0, byte 1, … in order.
struct FirstColumn {
    ends: [u32; 256],
    /// The byte of every 2^9-th row, where the search for a row's byte starts: a table of
    /// n / 512 bytes stays in the caches, and the search takes a step or two (started from
    /// every 2^16-th row, it took several on the mixed corpus, whose rare bytes own few rows,
    /// and its blocks inverted 35-55 % slower).
    byte_at_block: Vec<u8>,
}

impl FirstColumn {
    const BLOCK_LOG: usize = 9;

    fn new(ends: [u32; 256], n: usize) -> Self {
        let mut byte = 0;
        let byte_at_block = (0..=n >> Self::BLOCK_LOG)
            .map(|block| {
                byte = Self::scan(&ends, byte, block << Self::BLOCK_LOG);
                byte as u8
            })
            .collect();
        FirstColumn {
            ends,
            byte_at_block,
        }
    }

    /// The first byte at or after `byte` whose rows do not end before `row`.
    #[inline(always)]
    fn scan(ends: &[u32; 256], mut byte: usize, row: usize) -> usize {
        while byte < 255 && row as u32 >= ends[byte] {
            byte += 1;
        }
        byte
    }

    /// The byte of `row` (0 for the marker's row).
    #[inline(always)]
    fn byte(&self, row: usize) -> u8 {
        let start = usize::from(self.byte_at_block[row >> Self::BLOCK_LOG]);
        Self::scan(&self.ends, start, row) as u8
    }
}

/// The segments of an inverse transform, each followed from its own row.
struct Chains<'a> {
    rows: Vec<usize>,
    rate: usize,
    primary: usize,
    text: &'a mut [u8],
    sources: Option<&'a mut [u32]>,
}

impl<'a> Chains<'a> {
    /// The chains of a block of `n` bytes starting at `rows`, each writing `rate` bytes (the
    /// last one the rest) to the end of `out`, and their sources to the end of `sources`.
    fn new(
        n: usize,
        rows: &[u32],
        rate: usize,
        primary: usize,
        out: &'a mut Vec<u8>,
        sources: Option<&'a mut Vec<u32>>,
    ) -> Self {
        let base = out.len();
        out.resize(base + n, 0);
        Chains {
            rows: rows.iter().map(|&row| row as usize).collect(),
            rate,
            primary,
            text: &mut out[base..],
            sources: sources.map(|s| {
                let start = s.len();
                s.resize(start + n, 0);
                &mut s[start..]
            }),
        }
    }

    /// The chains cut into `groups` groups of consecutive segments (at least one, at most one
    /// per segment), each writing its own part of the output.
    fn split(self, groups: usize) -> Vec<Chains<'a>> {
        let count = groups.clamp(1, self.rows.len().max(1));
        let (rate, primary) = (self.rate, self.primary);
        let (mut rows, mut text, mut sources) = (&self.rows[..], self.text, self.sources);
        (0..count)
            .map(|g| {
                let take = rows.len() / (count - g);
                let bytes = (take * rate).min(text.len());
                let (group_rows, rest_rows) = rows.split_at(take);
                let (group_text, rest_text) = std::mem::take(&mut text).split_at_mut(bytes);
                let (group_sources, rest_sources) = match sources.take() {
                    Some(s) => {
                        let (a, b) = s.split_at_mut(bytes);
                        (Some(a), Some(b))
                    }
                    None => (None, None),
                };
                (rows, text, sources) = (rest_rows, rest_text, rest_sources);
                Chains {
                    rows: group_rows.to_vec(),
                    rate,
                    primary,
                    text: group_text,
                    sources: group_sources,
                }
            })
            .collect()
    }

    /// Every chain takes one step (`next_row` maps a row to the next, `byte_of` to the byte it
    /// yields), then the next: `rate` rounds, in which the last segment may end early.
    ///
    /// A round reads every chain's next row first, and only then works out the bytes and
    /// stores them: the reads miss the caches and depend on nothing but the last round, so a
    /// loop of little else keeps more of them in flight together.
    #[inline(always)]
    fn follow(&mut self, next_row: impl Fn(usize) -> usize, byte_of: impl Fn(usize) -> u8) {
        let chains = self.rows.len();
        // Only the block's last segment may be short.
        let last_len = self.text.len() - (chains - 1) * self.rate;
        let mut next = vec![0; chains];
        for round in 0..self.rate {
            let live = if round < last_len { chains } else { chains - 1 };
            for (next, &row) in next[..live].iter_mut().zip(&self.rows) {
                *next = next_row(row);
            }
            for (k, (row, &next)) in self.rows[..live].iter_mut().zip(&next).enumerate() {
                let pos = k * self.rate + round;
                self.text[pos] = byte_of(*row);
                *row = next;
                if let Some(sources) = self.sources.as_deref_mut() {
                    // The byte at `next` of the last column precedes position `pos + 1`.
                    sources[pos] = if next < self.primary { next } else { next - 1 } as u32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let (t, primary) = forward(data.to_vec());
        assert_eq!(t.len(), data.len());
        let mut back = Vec::new();
        inverse(t, primary, &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn round_trips_small_blocks() {
        for data in [
            &b""[..],
            b"a",
            b"ab",
            b"ba",
            b"aaaa",
            b"banana",
            b"abracadabra",
            b"\x00\xff\x00",
        ] {
            round_trip(data);
        }
    }

    #[test]
    fn known_transform() {
        assert_eq!(forward(b"banana".to_vec()), (b"annbaa".to_vec(), 4));
    }

    /// The transform as defined: sort every rotation of the block followed by the end marker,
    /// keep the last column without the marker, and note where the block itself sorted.
    fn by_definition(data: &[u8]) -> (Vec<u8>, u32) {
        let mut starts: Vec<usize> = (0..data.len()).collect();
        // With the marker smaller than every byte, suffix order is rotation order.
        starts.sort_unstable_by(|&a, &b| data[a..].cmp(&data[b..]));
        let mut out = vec![data[data.len() - 1]];
        let mut primary = 0;
        for (row, &start) in starts.iter().enumerate() {
            match start {
                0 => primary = row as u32 + 1,
                _ => out.push(data[start - 1]),
            }
        }
        (out, primary)
    }

    #[test]
    fn matches_the_definition() {
        let mut state = 1u32;
        for len in [1, 2, 5, 1000, 1025, 3000] {
            for alphabet in [&b"ab"[..], b"abc\x00\xff", b"a"] {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        alphabet[(state >> 16) as usize % alphabet.len()]
                    })
                    .collect();
                assert_eq!(
                    forward(data.clone()),
                    by_definition(&data),
                    "{len} {alphabet:?}"
                );
                round_trip(&data);
            }
        }
    }

    #[test]
    fn sources_point_at_the_bwt_byte_each_output_byte_came_from() {
        let data = b"abracadabra banana bandana";
        let (t, primary) = forward(data.to_vec());
        let (mut out, mut sources) = (Vec::new(), Vec::new());
        inverse_with_sources(t.clone(), &[primary], data.len(), &mut out, &mut sources).unwrap();
        assert_eq!(out, data);
        for (k, &src) in sources.iter().enumerate() {
            assert_eq!(t[src as usize], out[k]);
        }
    }

    #[test]
    fn sampled_rows_start_every_segment() {
        let mut state = 7u32;
        for len in [1usize, 2, 3, 4, 5, 63, 64, 65, 1000, 4096] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    b"ab c"[(state >> 16) as usize % 4]
                })
                .collect();
            let (plain, primary) = forward(data.clone());
            for rate in [2, 4, 64, 1 << 16] {
                let (t, rows) = forward_sampled(data.clone(), rate);
                assert_eq!((&t, rows[0]), (&plain, primary), "{len} {rate}");
                assert_eq!(rows.len(), len.div_ceil(rate), "{len} {rate}");
                let mut back = vec![9];
                inverse_sampled(t.clone(), &rows, rate, &mut back).unwrap();
                assert_eq!(back[1..], data[..], "{len} {rate}");
                for groups in [2, 3, 1000] {
                    let mut back = vec![9];
                    let (rows, t) = (&rows[..], t.clone());
                    inverse_sampled_in_groups(
                        t,
                        (rows, rate),
                        &mut back,
                        (groups, crate::test_support::side_by_side),
                    )
                    .unwrap();
                    assert_eq!(back[1..], data[..], "{len} {rate} in {groups} groups");
                }
                let (mut out, mut sources) = (Vec::new(), Vec::new());
                inverse_with_sources(t.clone(), &rows, rate, &mut out, &mut sources).unwrap();
                assert_eq!(out, data);
                for (k, &src) in sources.iter().enumerate() {
                    assert_eq!(t[src as usize], out[k], "{len} {rate} {k}");
                }
            }
        }
        assert_eq!(forward_sampled(Vec::new(), 4), (Vec::new(), Vec::new()));
    }

    #[test]
    fn a_sort_on_more_threads_gives_the_same_transform() {
        // Long enough for libsais to spread its passes over threads.
        let data = crate::test_support::wrapped_prose(60_000, 70, 0, 5);
        let mut one = data.clone();
        let rows = forward_sampled_in_place(&mut one, 1 << 12, 1);
        for threads in [2, 3] {
            let mut more = data.clone();
            assert_eq!(forward_sampled_in_place(&mut more, 1 << 12, threads), rows);
            assert!(more == one, "{threads} threads");
        }
    }

    #[test]
    fn blocks_of_2_pow_24_bytes_and_more_round_trip() {
        // Below 2^24 bytes every row fits 24 bits, the last one exactly; from 2^24 on, rows
        // take 25 bits.
        for len in [(1usize << 24) - 1, (1 << 24) + 4099] {
            let mut state = 3u32;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    // Skewed and sparse: most rows belong to a few bytes, some bytes have none.
                    [b'e', b'e', b'e', b't', b' ', 0, 0xff, b'q'][(state >> 16) as usize % 8]
                })
                .collect();
            let rate = 1 << 20;
            let (t, rows) = forward_sampled(data.clone(), rate);
            let mut back = Vec::new();
            inverse_sampled(t, &rows, rate, &mut back).unwrap();
            assert!(back == data, "the inverse of {len} bytes differs");
        }
    }

    /// Sets every row of a table of 24 + `HIGH` bits a row once, in the scattered order the
    /// inverse fills it, to values that use every bit (the last row all ones), and reads them
    /// back.
    fn packed_rows_keep_their_neighbours<const HIGH: usize>() {
        let (rows, bits) = (1000, 24 + HIGH);
        let max = (1 << bits) - 1;
        let value = |row: usize| match row == rows - 1 {
            true => max,
            false => (row.wrapping_mul(0x9e37_79b9) ^ row << (bits - 10)) & max,
        };
        let mut table = PackedRows::<HIGH>::with_rows(rows);
        for start in 0..7 {
            for row in (start..rows).step_by(7) {
                table.set(row, value(row));
            }
        }
        for row in 0..rows {
            assert_eq!(table.get(row), value(row), "{bits} bits, row {row}");
        }
    }

    #[test]
    fn packed_rows_hold_every_width_the_inverse_uses() {
        packed_rows_keep_their_neighbours::<0>();
        packed_rows_keep_their_neighbours::<1>();
        packed_rows_keep_their_neighbours::<2>();
    }

    #[test]
    fn rejects_rows_that_do_not_cover_the_block() {
        let (t, rows) = forward_sampled(b"banana bandana".to_vec(), 4);
        let mut out = Vec::new();
        let bad = |rows: &[u32], rate: usize| {
            inverse_sampled(t.clone(), rows, rate, &mut Vec::new()) == Err(BadPrimaryIndex)
        };
        assert!(bad(&rows[..3], 4), "one row short");
        assert!(
            bad(&[rows.clone(), vec![1]].concat(), 4),
            "one row too many"
        );
        assert!(bad(&rows, 0), "no segment length");
        let mut zero = rows.clone();
        zero[2] = 0;
        assert!(bad(&zero, 4), "row 0 is the end marker's");
        let mut past = rows.clone();
        past[3] = 15;
        assert!(bad(&past, 4), "past the last row");
        // Wrong rows in range decode to wrong bytes, which the frame checksum catches.
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        inverse_sampled(t.clone(), &swapped, 4, &mut out).unwrap();
        assert_eq!(out.len(), 14);
    }

    #[test]
    fn rejects_primary_out_of_range() {
        let mut out = Vec::new();
        assert_eq!(inverse(b"abc".to_vec(), 0, &mut out), Err(BadPrimaryIndex));
        assert_eq!(inverse(b"abc".to_vec(), 4, &mut out), Err(BadPrimaryIndex));
        assert_eq!(inverse(Vec::new(), 1, &mut out), Err(BadPrimaryIndex));
    }
}
