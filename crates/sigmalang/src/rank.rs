//! The fast entropy stage of the `Rank` frame method: move-to-front ranks of a
//! Burrows–Wheeler-transformed block, each coded as a few binary decisions with adaptive
//! counters (no mixing), which is several times faster than the context-mixing model.
//!
//! A rank r is coded as: r = 0?; if not, r = 1?; if not, k = ⌊log2 r⌋ (1 … 7) in unary, then
//! the k bits of r below its top bit, most significant first. The first decision's context is
//! the length of the run of zero ranks before it and the classes of the two ranks before; the
//! others use the previous classes or the bits of r so far. Each counter is the average of two
//! probabilities adapting at two rates. Integer arithmetic only.
//!
//! The second revision (method `RankRevised`) averages the first decision's counter with a
//! second one chosen by the byte at the front of the recency list, the one rank 0 would
//! repeat: whether a BWT block's run goes on depends on which byte it is a run of.

use crate::rangecoder;

/// Which model codes the ranks: the first (method `Rank`) or the second (`RankRevised`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Adaptive counters only.
    First,
    /// The first decision also predicted by the front byte.
    Second,
}

/// The stage's tunable constants, carried in every payload that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankParams {
    /// Adaptation shift of the fast half of each counter.
    pub fast_rate: u8,
    /// Adaptation shift of the slow half of each counter.
    pub slow_rate: u8,
}

impl RankParams {
    /// Size of the serialised parameters.
    pub const LEN: usize = 2;

    /// Appends the parameters to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.fast_rate, self.slow_rate]);
    }

    /// Reads parameters written by [`RankParams::write`], rejecting values a decoder does not
    /// support.
    pub fn parse(buf: &[u8]) -> Option<RankParams> {
        let [fast_rate, slow_rate]: [u8; Self::LEN] = buf.get(..Self::LEN)?.try_into().ok()?;
        let p = RankParams {
            fast_rate,
            slow_rate,
        };
        ((1..=15).contains(&fast_rate) && (1..=15).contains(&slow_rate)).then_some(p)
    }
}

impl Default for RankParams {
    /// Tuned on English prose.
    fn default() -> Self {
        RankParams {
            fast_rate: 5,
            slow_rate: 8,
        }
    }
}

/// Two probabilities of a 1 (16-bit scale) adapting at two rates; their average predicts.
#[derive(Clone, Copy)]
struct Counter {
    fast: u16,
    slow: u16,
}

impl Counter {
    const FRESH: Counter = Counter {
        fast: 32768,
        slow: 32768,
    };

    #[inline(always)]
    fn p1(self) -> u32 {
        ((u32::from(self.fast) + u32::from(self.slow)) >> 1).clamp(32, 65535 - 32)
    }

    #[inline(always)]
    fn update(&mut self, bit: u32, params: RankParams) {
        crate::cm::adapt(&mut self.fast, bit, u32::from(params.fast_rate));
        crate::cm::adapt(&mut self.slow, bit, u32::from(params.slow_rate));
    }
}

/// Classes of ranks: 0 for 0, 1 for 1, 2 + ⌊log2 r⌋ for r ≥ 2 (so 3 … 9).
#[inline(always)]
fn class_of(r: u8) -> usize {
    match r {
        0 => 0,
        1 => 1,
        _ => 2 + (7 - r.leading_zeros()) as usize,
    }
}

const ZERO_CONTEXTS: usize = 16 * 4 * 16;
const ONE_CONTEXTS: usize = 16 * 16;
const LOG_CONTEXTS: usize = 16 * 8 * 16;
const LOW_BITS_CONTEXTS: usize = 8 * 128;
/// Contexts of the second revision's counters of rank 0: the front byte × 4 run lengths.
const FRONT_CONTEXTS: usize = 256 * 4;

/// The counters and the rank history they are chosen by.
struct Model {
    params: RankParams,
    zero: Vec<Counter>,
    one: Vec<Counter>,
    log: Vec<Counter>,
    low_bits: Vec<Counter>,
    zero_run: usize,
    previous_class: usize,
    class_before: usize,
    /// The second revision's counters of rank 0 by front byte.
    zero_by_front: Option<Vec<Counter>>,
}

impl Model {
    fn new(params: RankParams, revision: Revision) -> Self {
        Model {
            params,
            zero: vec![Counter::FRESH; ZERO_CONTEXTS],
            one: vec![Counter::FRESH; ONE_CONTEXTS],
            log: vec![Counter::FRESH; LOG_CONTEXTS],
            low_bits: vec![Counter::FRESH; LOW_BITS_CONTEXTS],
            zero_run: 0,
            previous_class: 0,
            class_before: 0,
            zero_by_front: (revision == Revision::Second)
                .then(|| vec![Counter::FRESH; FRONT_CONTEXTS]),
        }
    }

    /// Codes one rank through `code_bit`, which is given each decision's probability and,
    /// when encoding, the decision; it returns the decision (decoded, or the one given).
    /// `front` is the byte at the front of the recency list.
    #[inline(always)]
    fn rank(
        &mut self,
        rank: Option<u8>,
        front: u8,
        mut code_bit: impl FnMut(u32, Option<u32>) -> u32,
    ) -> u8 {
        let params = self.params;
        let zero_cx = (self.zero_run.min(15) * 4 + self.previous_class.min(3)) * 16
            + self.class_before.min(15);
        let counter = &mut self.zero[zero_cx];
        let is_zero = match &mut self.zero_by_front {
            None => code_bit(counter.p1(), rank.map(|r| u32::from(r == 0))),
            Some(by_front) => {
                let second = &mut by_front[usize::from(front) * 4 + self.zero_run.min(3)];
                let p = (counter.p1() + second.p1()) >> 1;
                let bit = code_bit(p, rank.map(|r| u32::from(r == 0)));
                second.update(bit, params);
                bit
            }
        };
        counter.update(is_zero, params);
        let history = self.previous_class.min(15) * 16 + self.class_before.min(15);
        let mut decide = |counter: &mut Counter, bit: Option<u32>| {
            let bit = code_bit(counter.p1(), bit);
            counter.update(bit, params);
            bit
        };
        let value = if is_zero == 1 {
            0
        } else if decide(&mut self.one[history], rank.map(|r| u32::from(r == 1))) == 1 {
            1
        } else {
            // ⌊log2 r⌋ in unary: 1 … 7, the seventh without a stop decision.
            let mut k = 1;
            while k < 7 {
                let cx = (self.previous_class.min(15) * 8 + k) * 16 + self.zero_run.min(15);
                let stop = rank.map(|r| u32::from(class_of(r) - 2 == k));
                if decide(&mut self.log[cx], stop) == 1 {
                    break;
                }
                k += 1;
            }
            let mut value = 1usize;
            for j in (0..k).rev() {
                let bit = rank.map(|r| u32::from(r) >> j & 1);
                let node = (value & 127) | (k << 7);
                value = value << 1 | decide(&mut self.low_bits[node], bit) as usize;
            }
            value as u8
        };
        let class = class_of(value);
        self.zero_run = if value == 0 { self.zero_run + 1 } else { 0 };
        self.class_before = self.previous_class;
        self.previous_class = class;
        value
    }
}

/// The list of byte values by recency that move-to-front coding keeps.
struct RecencyList([u8; 256]);

impl RecencyList {
    fn new() -> Self {
        RecencyList(std::array::from_fn(|i| i as u8))
    }

    /// Returns the position of `byte` and moves it to the front. The search reads eight
    /// positions at a time (a word has a zero byte where it equals `byte` broadcast), because
    /// prose's ranks are spread wide: half of them are 8 or more.
    #[inline(always)]
    fn move_byte(&mut self, byte: u8) -> u8 {
        let list = &mut self.0;
        if list[0] == byte {
            return 0;
        }
        const ONES: u64 = u64::from_ne_bytes([1; 8]);
        const HIGHS: u64 = ONES << 7;
        let pattern = ONES * u64::from(byte);
        let mut pos = 0;
        for (i, chunk) in list.chunks_exact(8).enumerate() {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ pattern;
            let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
            if zeros != 0 {
                // The lowest flagged byte is exact; flags above it may be false.
                pos = i * 8 + (zeros.trailing_zeros() / 8) as usize;
                break;
            }
        }
        list.copy_within(0..pos, 1);
        list[0] = byte;
        pos as u8
    }

    /// Returns the byte at `pos` and moves it to the front.
    #[inline(always)]
    fn move_position(&mut self, pos: u8) -> u8 {
        let pos = usize::from(pos);
        let byte = self.0[pos];
        self.0.copy_within(0..pos, 1);
        self.0[0] = byte;
        byte
    }
}

/// Entropy codes a BWT block with `revision`'s model, appending the code to `out`.
pub fn encode(bwt: &[u8], revision: Revision, params: RankParams, out: Vec<u8>) -> Vec<u8> {
    let mut model = Model::new(params, revision);
    let mut coder = rangecoder::Encoder::new(out);
    let mut recency = RecencyList::new();
    for &byte in bwt {
        let front = recency.0[0];
        let rank = recency.move_byte(byte);
        model.rank(Some(rank), front, |p1, bit| {
            let bit = bit.unwrap_or(0);
            coder.encode(bit, p1);
            bit
        });
    }
    coder.finish()
}

/// Decodes a `len`-byte BWT block from `code` with `revision`'s model, appending it to `out`;
/// with `costs`, also appends the bits each byte cost.
///
/// Returns `false` if decoding had to read past the end of `code`, which a well-formed
/// payload never does.
pub fn decode(
    code: &[u8],
    len: usize,
    revision: Revision,
    params: RankParams,
    out: &mut Vec<u8>,
    mut costs: Option<&mut Vec<f32>>,
) -> bool {
    let mut model = Model::new(params, revision);
    let mut coder = rangecoder::Decoder::new(code);
    let mut recency = RecencyList::new();
    out.reserve(len);
    for _ in 0..len {
        let mut bits = 0.0f32;
        let rank = model.rank(None, recency.0[0], |p1, _| {
            let bit = coder.decode(p1);
            if costs.is_some() {
                bits += rangecoder::bit_cost(p1, bit);
            }
            bit
        });
        out.push(recency.move_position(rank));
        if let Some(costs) = costs.as_deref_mut() {
            costs.push(bits);
        }
        if coder.overrun() > 4 {
            return false;
        }
    }
    coder.overrun() == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8], revision: Revision) -> usize {
        let params = RankParams::default();
        let code = encode(data, revision, params, Vec::new());
        let mut back = Vec::new();
        let mut costs = Vec::new();
        assert!(decode(
            &code,
            data.len(),
            revision,
            params,
            &mut back,
            Some(&mut costs)
        ));
        assert_eq!(back, data);
        let bits: f32 = costs.iter().sum();
        assert!((bits / 8.0 - code.len() as f32).abs() < 16.0 + code.len() as f32 * 0.01);
        code.len()
    }

    #[test]
    fn round_trips_runs_and_every_rank() {
        for revision in [Revision::First, Revision::Second] {
            let runs: Vec<u8> = b"aaaabbbbbbbcccaaaaddddd".repeat(100);
            assert!(round_trip(&runs, revision) < runs.len() / 4);
            let every: Vec<u8> = (0..=255)
                .chain((0..=255).rev())
                .cycle()
                .take(5000)
                .collect();
            round_trip(&every, revision);
            round_trip(b"", revision);
            round_trip(&[255], revision);
        }
    }

    #[test]
    fn truncated_code_reports_overrun() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let code = encode(&data, Revision::Second, RankParams::default(), Vec::new());
        let mut back = Vec::new();
        let half = &code[..code.len() / 2];
        assert!(!decode(
            half,
            data.len(),
            Revision::Second,
            RankParams::default(),
            &mut back,
            None
        ));
    }

    #[test]
    fn parameters_are_range_checked() {
        let mut buf = Vec::new();
        RankParams::default().write(&mut buf);
        assert_eq!(RankParams::parse(&buf), Some(RankParams::default()));
        assert_eq!(RankParams::parse(&[0, 8]), None);
        assert_eq!(RankParams::parse(&[5, 16]), None);
        assert_eq!(RankParams::parse(&[5]), None);
    }
}
