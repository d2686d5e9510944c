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
use crate::tuning::{DefaultTuning, EncoderDefaults, Tuning};

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

impl EncoderDefaults for RankParams {
    /// Tuned on English prose. On the mixed corpus a fast rate of 4 does better, but not by
    /// enough: over the built-in codebook, as `sigma` codes, `examples/tune.rs rank` found
    /// fast 4 gains 0.02-0.55 % there and costs 0.13-0.15 % on prose (slices of 4 and 16 MiB),
    /// and the whole corpora at `-2` came out 0.08 % smaller and 0.15 % larger. No other pair
    /// of rates within two of these is smaller on both corpora.
    const DEFAULT: RankParams = RankParams {
        fast_rate: 5,
        slow_rate: 8,
    };
}

impl Default for RankParams {
    fn default() -> Self {
        Self::DEFAULT
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

    /// The counter's prediction, kept 32 away from certainty.
    #[inline(always)]
    fn p1(self, params: RankParams) -> u32 {
        let average = (u32::from(self.fast) + u32::from(self.slow)) >> 1;
        // A half adapting at rate r stays within 2^r − 1 of either end (its step is zero
        // there), so with 2^fast + 2^slow ≥ 66 the average cannot pass the bounds. That holds
        // for the default rates, and the compiler folds the test away for them: the clamp was
        // an eighth of the coder's instructions.
        if (1u32 << params.fast_rate) + (1u32 << params.slow_rate) >= 66 {
            average
        } else {
            average.clamp(32, 65535 - 32)
        }
    }

    #[inline(always)]
    fn update(&mut self, bit: u32, params: RankParams) {
        crate::cm::adapt(&mut self.fast, bit, u32::from(params.fast_rate));
        crate::cm::adapt(&mut self.slow, bit, u32::from(params.slow_rate));
    }
}

/// ⌊log2 r⌋ for r ≥ 2, 0 for ranks 0 and 1: the number of bits below a rank's top bit.
#[inline(always)]
fn low_bit_count(r: u8) -> usize {
    (7 - (r | 1).leading_zeros()) as usize
}

/// Classes of ranks: 0 for 0, 1 for 1, 2 + ⌊log2 r⌋ for r ≥ 2 (so 3 … 9).
#[inline(always)]
fn class_of(r: u8) -> usize {
    usize::from(r.min(2)) + low_bit_count(r)
}

const ZERO_CONTEXTS: usize = 16 * 4 * 16;
const ONE_CONTEXTS: usize = 16 * 16;
const LOG_CONTEXTS: usize = 16 * 8 * 16;
const LOW_BITS_CONTEXTS: usize = 8 * 128;
/// Contexts of the second revision's counters of rank 0: the front byte × 4 run lengths.
const FRONT_CONTEXTS: usize = 256 * 4;

/// The ranks coded so far, as far as the next one's contexts depend on them.
#[derive(Clone, Copy, Default)]
struct History {
    zero_run: usize,
    previous_class: usize,
    class_before: usize,
}

/// The contexts of the decisions, shared by the encoder and the decoder.
impl History {
    #[inline(always)]
    fn zero_context(&self) -> usize {
        (self.zero_run.min(15) * 4 + self.previous_class.min(3)) * 16 + self.class_before
    }

    #[inline(always)]
    fn front_context(&self, front: u8) -> usize {
        usize::from(front) * 4 + self.zero_run.min(3)
    }

    #[inline(always)]
    fn one_context(&self) -> usize {
        self.previous_class * 16 + self.class_before
    }

    /// The context of "⌊log2 r⌋ = `k`", asked for k = 1 … 6 in turn.
    #[inline(always)]
    fn log_context(&self, k: usize) -> usize {
        (self.previous_class * 8 + k) * 16 + self.zero_run.min(15)
    }

    /// The context of the next low bit of a rank with `k` low bits, whose bits so far (its
    /// top bit first) are `above`.
    #[inline(always)]
    fn low_bit_context(k: usize, above: usize) -> usize {
        (above & 127) | (k << 7)
    }

    #[inline(always)]
    fn push(&mut self, rank: u8) {
        self.zero_run = if rank == 0 { self.zero_run + 1 } else { 0 };
        self.class_before = self.previous_class;
        self.previous_class = class_of(rank);
    }
}

/// The counters and the rank history they are chosen by.
struct Model<T: Tuning<RankParams>> {
    tuning: T,
    zero: Vec<Counter>,
    one: Vec<Counter>,
    log: Vec<Counter>,
    low_bits: Vec<Counter>,
    history: History,
    /// The second revision's counters of rank 0 by front byte.
    zero_by_front: Option<Vec<Counter>>,
}

impl<T: Tuning<RankParams>> Model<T> {
    fn new(tuning: T, revision: Revision) -> Self {
        Model {
            tuning,
            zero: vec![Counter::FRESH; ZERO_CONTEXTS],
            one: vec![Counter::FRESH; ONE_CONTEXTS],
            log: vec![Counter::FRESH; LOG_CONTEXTS],
            low_bits: vec![Counter::FRESH; LOW_BITS_CONTEXTS],
            history: History::default(),
            zero_by_front: (revision == Revision::Second)
                .then(|| vec![Counter::FRESH; FRONT_CONTEXTS]),
        }
    }

    /// Encodes one rank; `front` is the byte at the front of the recency list.
    ///
    /// The encoder knows the rank, so it codes the decisions in straight code; going through
    /// the decoder's control flow with the answers given cost it a third more instructions.
    #[inline(always)]
    fn encode_rank(&mut self, rank: u8, front: u8, coder: &mut rangecoder::Encoder) {
        let params = self.tuning.params();
        let history = self.history;
        let code = |coder: &mut rangecoder::Encoder, counter: &mut Counter, bit: bool| {
            let bit = u32::from(bit);
            coder.encode(bit, counter.p1(params));
            counter.update(bit, params);
        };
        let is_zero = u32::from(rank == 0);
        let zero = &mut self.zero[history.zero_context()];
        match &mut self.zero_by_front {
            None => coder.encode(is_zero, zero.p1(params)),
            Some(by_front) => {
                let second = &mut by_front[history.front_context(front)];
                coder.encode(is_zero, (zero.p1(params) + second.p1(params)) >> 1);
                second.update(is_zero, params);
            }
        }
        zero.update(is_zero, params);
        if rank != 0 {
            code(coder, &mut self.one[history.one_context()], rank == 1);
        }
        if rank > 1 {
            // ⌊log2 r⌋ in unary: 1 … 7, the seventh without a stop decision.
            let k = low_bit_count(rank);
            for step in 1..=k.min(6) {
                code(coder, &mut self.log[history.log_context(step)], step == k);
            }
            let rank = usize::from(rank);
            for shift in (0..k).rev() {
                let node = History::low_bit_context(k, rank >> (shift + 1));
                code(coder, &mut self.low_bits[node], rank >> shift & 1 == 1);
            }
        }
        self.history.push(rank);
    }

    /// Decodes one rank, calling `decode_bit` with each decision's probability; `front` is
    /// the byte at the front of the recency list.
    #[inline(always)]
    fn decode_rank(&mut self, front: u8, mut decode_bit: impl FnMut(u32) -> u32) -> u8 {
        let params = self.tuning.params();
        let history = self.history;
        let zero = &mut self.zero[history.zero_context()];
        let is_zero = match &mut self.zero_by_front {
            None => decode_bit(zero.p1(params)),
            Some(by_front) => {
                let second = &mut by_front[history.front_context(front)];
                let bit = decode_bit((zero.p1(params) + second.p1(params)) >> 1);
                second.update(bit, params);
                bit
            }
        };
        zero.update(is_zero, params);
        let mut decide = |counter: &mut Counter| {
            let bit = decode_bit(counter.p1(params));
            counter.update(bit, params);
            bit
        };
        let rank = if is_zero == 1 {
            0
        } else if decide(&mut self.one[history.one_context()]) == 1 {
            1
        } else {
            let mut k = 1;
            while k < 7 && decide(&mut self.log[history.log_context(k)]) == 0 {
                k += 1;
            }
            let mut value = 1usize;
            for _ in 0..k {
                let node = History::low_bit_context(k, value);
                value = value << 1 | decide(&mut self.low_bits[node]) as usize;
            }
            value as u8
        };
        self.history.push(rank);
        rank
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
        debug_assert_eq!(list[pos], byte, "every byte value is in the list");
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
    match params == RankParams::DEFAULT {
        true => encode_with(bwt, Model::new(DefaultTuning, revision), out),
        false => encode_with(bwt, Model::new(params, revision), out),
    }
}

fn encode_with(bwt: &[u8], mut model: Model<impl Tuning<RankParams>>, out: Vec<u8>) -> Vec<u8> {
    let mut coder = rangecoder::Encoder::new(out);
    let mut recency = RecencyList::new();
    for &byte in bwt {
        let front = recency.0[0];
        let rank = recency.move_byte(byte);
        model.encode_rank(rank, front, &mut coder);
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
    costs: Option<&mut Vec<f32>>,
) -> bool {
    match params == RankParams::DEFAULT {
        true => decode_with(code, len, Model::new(DefaultTuning, revision), out, costs),
        false => decode_with(code, len, Model::new(params, revision), out, costs),
    }
}

fn decode_with(
    code: &[u8],
    len: usize,
    mut model: Model<impl Tuning<RankParams>>,
    out: &mut Vec<u8>,
    costs: Option<&mut Vec<f32>>,
) -> bool {
    let mut coder = rangecoder::Decoder::new(code);
    let mut recency = RecencyList::new();
    out.reserve(len);
    // Two loops, so that plain decoding carries no cost bookkeeping in its hot path.
    match costs {
        None => {
            for _ in 0..len {
                let rank = model.decode_rank(recency.0[0], |p1| coder.decode(p1));
                out.push(recency.move_position(rank));
                if coder.overrun() > 4 {
                    return false;
                }
            }
        }
        Some(costs) => {
            for _ in 0..len {
                let mut bits = 0.0f32;
                let rank = model.decode_rank(recency.0[0], |p1| {
                    let bit = coder.decode(p1);
                    bits += rangecoder::bit_cost(p1, bit);
                    bit
                });
                out.push(recency.move_position(rank));
                costs.push(bits);
                if coder.overrun() > 4 {
                    return false;
                }
            }
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
    fn the_default_tuning_codes_as_the_same_parameters_given() {
        let data: Vec<u8> = (b"aaaabbbbbbbcccaaaaddddd".repeat(100).into_iter())
            .chain((0..3000u32).map(|i| (i * 7919 % 251) as u8))
            .collect();
        let default = RankParams::DEFAULT;
        for revision in [Revision::First, Revision::Second] {
            let given = encode_with(&data, Model::new(default, revision), Vec::new());
            assert!(encode(&data, revision, default, Vec::new()) == given);
            let mut back = Vec::new();
            let model = Model::new(default, revision);
            assert!(decode_with(&given, data.len(), model, &mut back, None));
            assert_eq!(back, data);
            // Other rates take the other path, and are honoured on both sides.
            let tuned = RankParams {
                fast_rate: 4,
                slow_rate: 7,
            };
            let code = encode(&data, revision, tuned, Vec::new());
            assert!(code != given);
            let mut back = Vec::new();
            assert!(decode(&code, data.len(), revision, tuned, &mut back, None));
            assert_eq!(back, data);
        }
    }

    /// What `Counter::p1` relies on to skip its clamp.
    #[test]
    fn a_counter_half_stays_within_its_rates_bounds() {
        for rate in 1..=15u32 {
            let (low, high) = ((1u32 << rate) - 1, 65535 - ((1u32 << rate) - 1));
            assert!((low..=high).contains(&u32::from(Counter::FRESH.fast)));
            for cur in low..=high {
                for bit in [0, 1] {
                    let mut p = cur as u16;
                    crate::cm::adapt(&mut p, bit, rate);
                    assert!(
                        (low..=high).contains(&u32::from(p)),
                        "rate {rate}: {cur} → {p}"
                    );
                }
            }
            // The bounds are reached: a long run of one bit ends there.
            for (bit, end) in [(0, low), (1, high)] {
                let mut p = 32768u16;
                for _ in 0..(40u32 << rate) {
                    crate::cm::adapt(&mut p, bit, rate);
                }
                assert_eq!(u32::from(p), end);
            }
        }
        for fast_rate in 1..=15u8 {
            for slow_rate in 1..=15u8 {
                let params = RankParams {
                    fast_rate,
                    slow_rate,
                };
                let extremes = |fast: u32, slow: u32| Counter {
                    fast: fast as u16,
                    slow: slow as u16,
                };
                let (f, s) = ((1u32 << fast_rate) - 1, (1u32 << slow_rate) - 1);
                for counter in [extremes(f, s), extremes(65535 - f, 65535 - s)] {
                    let clamped = ((u32::from(counter.fast) + u32::from(counter.slow)) >> 1)
                        .clamp(32, 65535 - 32);
                    assert_eq!(counter.p1(params), clamped, "{params:?}");
                }
            }
        }
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
