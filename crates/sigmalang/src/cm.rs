//! The context-mixing model that entropy codes a Burrows–Wheeler-transformed block.
//!
//! Each byte is coded as eight binary decisions, most significant bit first. Several
//! predictions of each bit are mixed in the logistic domain by weights chosen by a small
//! context, then refined by a secondary estimator (SSE). The first revision mixes order 0,
//! order 1 at two adaptation rates, order 2, and a run model that bets on the previous byte
//! repeating. The second (format version 4) replaces order 2, which a BWT block barely
//! rewards, by the byte two back alone, adds a slow order-0 counter beside the fast one, and
//! picks its secondary estimator's context by whether a run is going on. Everything is
//! integer arithmetic, so encoder and decoder agree on every platform.

use crate::rangecoder;
use crate::tuning::{DefaultTuning, EncoderDefaults, Tuning};
use wide::i16x8;

/// `squash(x) = 4096 / (1 + e^(-x/256))` sampled every 128 steps of `x` in `-2048..=2048`.
const SQUASH_KNOTS: [i32; 33] = [
    1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349,
    3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
];

/// `squash` at every point of its domain, interpolated linearly between the knots (at compile
/// time, so that a call is one load).
static SQUASH_TABLE: [u16; 4095] = {
    let mut table = [0u16; 4095];
    let mut k = 0;
    while k < 4095 {
        let x = k as i32 + 1;
        let (i, w) = ((x >> 7) as usize, x & 127);
        table[k] = ((SQUASH_KNOTS[i] * (128 - w) + SQUASH_KNOTS[i + 1] * w + 64) >> 7) as u16;
        k += 1;
    }
    table
};

/// Logistic function on the 12-bit scale: stretch domain `-2047..=2047` → probability `1..=4095`.
#[inline(always)]
pub(crate) fn squash(x: i32) -> i32 {
    i32::from(SQUASH_TABLE[(x.clamp(-2047, 2047) + 2047) as usize])
}

/// Tables shared by every model instance: the inverse of `squash`.
struct Tables {
    stretch: [i16; 4096],
}

impl Tables {
    fn new() -> Self {
        let mut stretch = [0i16; 4096];
        // Invert squash by walking x upwards: stretch(p) is the smallest x with squash(x) ≥ p.
        let mut x = -2047;
        for (p, slot) in stretch.iter_mut().enumerate() {
            while x < 2047 && squash(x) < p as i32 {
                x += 1;
            }
            *slot = x as i16;
        }
        Tables { stretch }
    }
}

fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(Tables::new)
}

/// The inverse of `squash`, indexed by a 12-bit probability.
pub(crate) fn stretch_table() -> &'static [i16; 4096] {
    &tables().stretch
}

/// Adaptive probability with a fixed adaptation rate, 16-bit scale: a step of 1/2^`rate`
/// towards 65535 after a 1, towards 0 after a 0.
///
/// Both steps are computed and one is selected, without a branch on the bit: an encoder
/// cannot guess it, and a branch per counter cost the default level 2-3 % of its speed.
#[inline(always)]
pub(crate) fn adapt(p: &mut u16, bit: u32, rate: u32) {
    let cur = u32::from(*p);
    let up = cur + ((65535 - cur) >> rate);
    let down = cur - (cur >> rate);
    *p = if bit != 0 { up } else { down } as u16;
}

/// A counter that adapts quickly while young: probability in the high 16 bits, the number of
/// updates seen (capped) in the low 16. Its rate is 1/(n + 1.5) until n reaches its limit.
#[inline(always)]
fn adapt_counted(slot: &mut u32, bit: u32, limit: u32, recip: &[u16; 1024]) {
    let p = (*slot >> 16) as i32;
    let n = *slot & 0xffff;
    let target = if bit == 1 { 65535 } else { 0 };
    let p = p + (((target - p) * i32::from(recip[n as usize])) >> 16);
    *slot = (p as u32) << 16 | (n + u32::from(n < limit));
}

/// `recip[n]` of the counted counters: their adaptation rate after n updates, on a 16-bit
/// scale (at most 43690, for n = 0).
pub(crate) fn counted_rates() -> [u16; 1024] {
    std::array::from_fn(|n| (131_072 / (2 * n as u32 + 3)).min(65535) as u16)
}

#[inline(always)]
fn counted_p(slot: u32) -> u16 {
    (slot >> 16) as u16
}

const FRESH: u32 = 32768 << 16;

/// Secondary estimation: refines a probability given a context, by interpolating between
/// 33 learned points along the stretch axis.
///
/// Every context starts from the same 33 points (`squash` at the knots), so the table stores
/// each entry as its difference from that start (mod 2^16): a new table is all zeros, which
/// the allocator hands out without writing it, and a frame pays only for the contexts it
/// visits (a large table costs nothing on a small frame).
pub(crate) struct Apm {
    /// One row of 33 entries per context.
    offsets: Vec<[u16; 33]>,
    /// The context and knot the last refinement updates.
    context: usize,
    knot: usize,
    rate: u32,
}

/// The entries every APM context starts with.
const APM_START: [u16; 33] = {
    let mut start = [0u16; 33];
    let mut i = 0;
    while i < 33 {
        start[i] = (SQUASH_KNOTS[i] * 16) as u16;
        i += 1;
    }
    start
};

impl Apm {
    pub(crate) fn new(contexts: usize, rate: u32) -> Self {
        Apm {
            offsets: vec![[0; 33]; contexts],
            context: 0,
            knot: 0,
            rate,
        }
    }

    /// Refined 12-bit probability for `st` (stretched probability) in context `cx`.
    #[inline(always)]
    pub(crate) fn refine(&mut self, st: i32, cx: usize) -> i32 {
        let s = st.clamp(-2047, 2047) + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        self.context = cx;
        self.knot = lo + (w >> 6) as usize;
        let row = &self.offsets[cx];
        let t0 = APM_START[lo].wrapping_add(row[lo]);
        let t1 = APM_START[lo + 1].wrapping_add(row[lo + 1]);
        ((i32::from(t0) * (128 - w) + i32::from(t1) * w) >> 11).clamp(1, 4095)
    }

    /// Loads context `cx`'s row ahead of [`Apm::refine`], so that the cache misses of a
    /// large table overlap the work before the refinement instead of stalling it.
    #[inline(always)]
    pub(crate) fn warm(&self, cx: usize) {
        let row = &self.offsets[cx];
        std::hint::black_box(row[0] ^ row[32]);
    }

    /// Entries in the table (for memory accounting).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() * 33
    }

    #[inline(always)]
    pub(crate) fn update(&mut self, bit: u32) {
        let slot = &mut self.offsets[self.context][self.knot];
        let mut entry = APM_START[self.knot].wrapping_add(*slot);
        adapt(&mut entry, bit, self.rate);
        *slot = entry.wrapping_sub(APM_START[self.knot]);
    }
}

const INPUTS: usize = 6;
/// Mixer weights are 16.16 fixed point; ±8.0 is far beyond any useful weight.
const MAX_WEIGHT: i32 = 1 << 19;
const MIXER_SETS: usize = 8 * 4 * 2;
const MIN_ORDER2_GROUPS_LOG: u32 = 8;

/// The model's tunable constants. They travel in every payload, so that an encoder can be
/// retuned without a format change: decoders read them instead of assuming them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelParams {
    /// Mixer learning rate: weights move by input × error >> this.
    pub mixer_shift: u8,
    /// Update count after which the order-1 counters adapt at their slowest rate.
    pub order1_limit: u8,
    /// Update count after which the order-2 counters adapt at their slowest rate (first
    /// revision).
    pub order2_limit: u8,
    /// The order-2 table has at most 2^this groups of 16 counters (it grows with the block up
    /// to that: a block of n bytes visits at most 2n groups; first revision).
    pub order2_max_log: u8,
    /// Adaptation shift of the order-0 counters (the fast ones in the second revision).
    pub order0_rate: u8,
    /// Adaptation shift of the slow order-0 counters (second revision).
    pub order0_slow_rate: u8,
    /// Adaptation shift of the counters keyed by the byte two or three back (second revision).
    pub skip_rate: u8,
    /// Adaptation shift of the fast order-1 counters.
    pub order1_fast_rate: u8,
    /// Adaptation shift of the run model.
    pub run_rate: u8,
    /// Adaptation shift of the secondary estimator.
    pub apm_rate: u8,
    /// Weight of the secondary estimate in the final probability, in quarters.
    pub apm_quarters: u8,
}

/// Which model a payload was coded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Method `Glyph` (format versions 1 to 3).
    First,
    /// Method `GlyphRevised` (format version 4).
    Second,
}

impl ModelParams {
    /// Size of the serialised parameters (either revision).
    pub const LEN: usize = 9;

    /// Appends the parameters `revision` uses to `out`.
    pub fn write(&self, revision: Revision, out: &mut Vec<u8>) {
        out.extend_from_slice(&match revision {
            Revision::First => [
                self.mixer_shift,
                self.order1_limit,
                self.order2_limit,
                self.order2_max_log,
                self.order0_rate,
                self.order1_fast_rate,
                self.run_rate,
                self.apm_rate,
                self.apm_quarters,
            ],
            Revision::Second => [
                self.mixer_shift,
                self.order1_limit,
                self.order0_rate,
                self.order0_slow_rate,
                self.order1_fast_rate,
                self.skip_rate,
                self.run_rate,
                self.apm_rate,
                self.apm_quarters,
            ],
        });
    }

    /// Reads parameters written by [`ModelParams::write`], rejecting values outside the ranges
    /// a decoder supports (which also bounds the memory a payload can make it allocate).
    /// Fields the revision does not use keep their defaults.
    pub fn parse(revision: Revision, buf: &[u8]) -> Option<ModelParams> {
        let b: [u8; Self::LEN] = buf.get(..Self::LEN)?.try_into().ok()?;
        let p = match revision {
            Revision::First => ModelParams {
                mixer_shift: b[0],
                order1_limit: b[1],
                order2_limit: b[2],
                order2_max_log: b[3],
                order0_rate: b[4],
                order1_fast_rate: b[5],
                run_rate: b[6],
                apm_rate: b[7],
                apm_quarters: b[8],
                ..ModelParams::default()
            },
            Revision::Second => ModelParams {
                mixer_shift: b[0],
                order1_limit: b[1],
                order0_rate: b[2],
                order0_slow_rate: b[3],
                order1_fast_rate: b[4],
                skip_rate: b[5],
                run_rate: b[6],
                apm_rate: b[7],
                apm_quarters: b[8],
                ..ModelParams::default()
            },
        };
        let rates = [
            p.order0_rate,
            p.order0_slow_rate,
            p.order1_fast_rate,
            p.skip_rate,
            p.run_rate,
            p.apm_rate,
        ];
        let min_shift = match revision {
            Revision::First => 4,
            Revision::Second => MIN_REVISED_MIXER_SHIFT,
        };
        let valid = (min_shift..=20).contains(&p.mixer_shift)
            && p.order1_limit >= 1
            && p.order2_limit >= 1
            && (MIN_ORDER2_GROUPS_LOG as u8..=18).contains(&p.order2_max_log)
            && rates.iter().all(|r| (1..=15).contains(r))
            && p.apm_quarters <= 4;
        valid.then_some(p)
    }

    fn order2_groups_log(&self, block_len: usize) -> u32 {
        let wanted = (2 * block_len).max(1).next_power_of_two().trailing_zeros();
        wanted.clamp(MIN_ORDER2_GROUPS_LOG, u32::from(self.order2_max_log))
    }
}

impl EncoderDefaults for ModelParams {
    /// Tuned on English prose and the mixed corpus. The order-2 table stays in the L2 cache:
    /// a 2^16-group table gained 0.14 % and cost half the speed. Order 0 adapts at 1/2: a
    /// BWT block's statistics change every few hundred bytes, and on 8 MiB slices a shift
    /// of 2 instead of 5 took 1.3 % off prose and 1.9 % off the mixed corpus. Then a shift of
    /// 1 with the fast order-1 counters at 3 (was 4), a slower mixer (13, was 12) and half
    /// the weight on the secondary estimate (was 3/4) took 0.11-0.16 % off prose and
    /// 0.25-0.38 % off the mixed corpus on slices of 1, 4, 8 and 24 MiB (no other single
    /// step of a rate gained more than 0.03 % on prose). With soft line breaks (format
    /// version 13) the slow order-0 counters at 4 (were 5) and the counters keyed by the byte
    /// two back at 5 (were 4) took 0.05 % off text-100m.txt and 0.01 % off mixed-100m.txt.
    const DEFAULT: ModelParams = ModelParams {
        mixer_shift: 13,
        order1_limit: 255,
        order2_limit: 127,
        order2_max_log: 12,
        order0_rate: 1,
        order0_slow_rate: 4,
        skip_rate: 5,
        order1_fast_rate: 3,
        run_rate: 5,
        apm_rate: 7,
        apm_quarters: 2,
    };
}

impl Default for ModelParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Counters of the run model: by whether the run lives, its length (to 31) and the partial byte.
const RUN_SLOTS: usize = 2 * 32 * 256;

/// The run model both revisions mix: while the bits of the current byte repeat the previous
/// byte's, it bets that the next bit does too, with counters chosen by how long the byte has
/// been repeating.
struct RunModel {
    counters: Box<[u16; RUN_SLOTS]>,
    /// How many times in a row the last byte repeated the byte before it.
    len: usize,
    /// Whether every bit of the current byte so far equals the previous byte's.
    live: bool,
    expected_bit: u32,
    slot: usize,
}

impl RunModel {
    fn new() -> Self {
        RunModel {
            counters: Box::new([32768; RUN_SLOTS]),
            len: 0,
            live: true,
            expected_bit: 0,
            slot: 0,
        }
    }

    /// The stretched vote for the next bit, after `bit_pos` bits (`c0`) of the byte that
    /// follows `c1`: towards the bit of `c1` while the run lives, and silent after. Computed
    /// without branches: which way it votes is unpredictable.
    #[inline(always)]
    fn vote(&mut self, c1: usize, c0: usize, bit_pos: usize, stretch: &[i16; 4096]) -> i32 {
        self.expected_bit = ((c1 | 256) >> (7 - bit_pos)) as u32 & 1;
        // The slot is always below RUN_SLOTS; the visible mask spares the bounds checks.
        self.slot = ((usize::from(self.live) * 32 + self.len.min(31)) * 256 + c0) % RUN_SLOTS;
        let p = i32::from(stretch[(self.counters[self.slot] >> 4) as usize]);
        (p * (2 * self.expected_bit as i32 - 1)) & -i32::from(self.live)
    }

    /// The mixer weight set chosen by the bit position and the run.
    #[inline(always)]
    fn weight_set(&self, bit_pos: usize) -> usize {
        (bit_pos * 4 + self.len.min(3)) * 2 + usize::from(self.live)
    }

    #[inline(always)]
    fn update(&mut self, bit: u32, rate: u8) {
        if self.live {
            let hit = bit == self.expected_bit;
            adapt(
                &mut self.counters[self.slot],
                u32::from(hit),
                u32::from(rate),
            );
            self.live = hit;
        }
    }

    /// A byte ended: `byte`, after `previous`.
    #[inline(always)]
    fn end_byte(&mut self, byte: usize, previous: usize) {
        self.len = if byte == previous { self.len + 1 } else { 0 };
        self.live = true;
    }
}

/// The first revision's per-block state.
struct Model {
    tables: &'static Tables,
    params: ModelParams,
    recip: [u16; 1024],
    order0: Vec<u16>,
    order1_fast: Vec<u16>,
    order1: Vec<u32>,
    order2: Vec<u32>,
    order2_shift: u32,
    run: RunModel,
    weights: Vec<i32>,
    apm_order0: Apm,
    // byte history
    c1: usize,
    c2: usize,
    // per-bit state
    c0: usize,
    bit_pos: usize,
    nibble: usize,
    order2_group: usize,
    inputs: [i32; INPUTS],
    mixer_set: usize,
    mixed_p: i32,
    slot_o1: usize,
    slot_o2: usize,
}

#[inline(always)]
fn hash(x: u32) -> u32 {
    let x = x.wrapping_mul(0x9E37_79B1);
    x ^ (x >> 15)
}

impl Model {
    fn new(block_len: usize, params: ModelParams) -> Self {
        let groups_log = params.order2_groups_log(block_len);
        let recip = counted_rates();
        let mut m = Model {
            tables: tables(),
            params,
            recip,
            order0: vec![32768; 256],
            order1_fast: vec![32768; 256 * 256],
            order1: vec![FRESH; 256 * 256],
            order2: vec![FRESH; 16 << groups_log],
            order2_shift: 32 - groups_log,
            run: RunModel::new(),
            weights: vec![1 << 14; MIXER_SETS * INPUTS],
            apm_order0: Apm::new(256, u32::from(params.apm_rate)),
            c1: 0,
            c2: 0,
            c0: 1,
            bit_pos: 0,
            nibble: 1,
            order2_group: 0,
            inputs: [0; INPUTS],
            mixer_set: 0,
            mixed_p: 2048,
            slot_o1: 0,
            slot_o2: 0,
        };
        m.set_order2_group();
        m
    }

    #[inline(always)]
    fn set_order2_group(&mut self) {
        let key = (self.c2 << 16 | self.c1 << 8 | self.c0) as u32;
        self.order2_group = (hash(key) >> self.order2_shift) as usize * 16;
    }

    #[inline(always)]
    fn st(&self, p16: u16) -> i32 {
        i32::from(self.tables.stretch[(p16 >> 4) as usize])
    }

    /// P(next bit = 1) on the coder's 16-bit scale.
    #[inline(always)]
    fn predict(&mut self) -> u32 {
        let c0 = self.c0;
        self.slot_o1 = self.c1 << 8 | c0;
        self.slot_o2 = self.order2_group + self.nibble;
        let run_input = self
            .run
            .vote(self.c1, c0, self.bit_pos, &self.tables.stretch);
        self.inputs = [
            self.st(self.order0[c0]),
            self.st(self.order1_fast[self.slot_o1]),
            self.st(counted_p(self.order1[self.slot_o1])),
            self.st(counted_p(self.order2[self.slot_o2])),
            run_input,
            256,
        ];
        self.mixer_set = self.run.weight_set(self.bit_pos);
        let w = &self.weights[self.mixer_set * INPUTS..][..INPUTS];
        let dot: i32 = w
            .iter()
            .zip(&self.inputs)
            .map(|(&w, &x)| (w * x) >> 8)
            .sum();
        let st = (dot >> 8).clamp(-2047, 2047);
        self.mixed_p = squash(st);
        let p0 = self.apm_order0.refine(st, c0);
        let q = i32::from(self.params.apm_quarters);
        let p = (self.mixed_p * (4 - q) + p0 * q + 2) >> 2;
        (p.clamp(1, 4095) as u32) << 4
    }

    #[inline(always)]
    fn update(&mut self, bit: u32) {
        let err = ((bit as i32) << 12) - self.mixed_p;
        let w = &mut self.weights[self.mixer_set * INPUTS..][..INPUTS];
        for (w, &x) in w.iter_mut().zip(&self.inputs) {
            // Bounded so that w * x can never overflow, whatever the input.
            *w = (*w + ((x * err) >> self.params.mixer_shift)).clamp(-MAX_WEIGHT, MAX_WEIGHT);
        }
        let p = self.params;
        adapt(&mut self.order0[self.c0], bit, u32::from(p.order0_rate));
        adapt(
            &mut self.order1_fast[self.slot_o1],
            bit,
            u32::from(p.order1_fast_rate),
        );
        adapt_counted(
            &mut self.order1[self.slot_o1],
            bit,
            u32::from(p.order1_limit),
            &self.recip,
        );
        adapt_counted(
            &mut self.order2[self.slot_o2],
            bit,
            u32::from(p.order2_limit),
            &self.recip,
        );
        self.run.update(bit, p.run_rate);
        self.apm_order0.update(bit);

        self.c0 = self.c0 << 1 | bit as usize;
        self.nibble = self.nibble << 1 | bit as usize;
        self.bit_pos += 1;
        if self.bit_pos == 4 {
            self.nibble = 1;
            self.set_order2_group();
        } else if self.bit_pos == 8 {
            let byte = self.c0 & 0xff;
            self.run.end_byte(byte, self.c1);
            self.c2 = self.c1;
            self.c1 = byte;
            self.c0 = 1;
            self.nibble = 1;
            self.bit_pos = 0;
            self.set_order2_group();
        }
    }
}

/// What the coding loops need from a model.
trait BitModel {
    /// P(next bit = 1) on the coder's 16-bit scale.
    fn predict(&mut self) -> u32;
    /// Learns the coded bit.
    fn update(&mut self, bit: u32);
    /// The last whole byte coded.
    fn last_byte(&self) -> u8;
}

impl BitModel for Model {
    #[inline(always)]
    fn predict(&mut self) -> u32 {
        Model::predict(self)
    }
    #[inline(always)]
    fn update(&mut self, bit: u32) {
        Model::update(self, bit)
    }
    #[inline(always)]
    fn last_byte(&self) -> u8 {
        self.c1 as u8
    }
}

/// The second revision mixes seven inputs and a zero, with 16-bit weights (1.0 = 2^14, so
/// ±2.0 at most): a weight set and the inputs each fill one 128-bit vector, so that mixing is
/// one multiply-add of 16-bit lanes (`pmaddwd`) and training one high multiply and one
/// saturating add (`pmulhw`, `paddsw`). Twice as many mixers cost less than the first
/// revision's one 32-bit mixer.
const WEIGHT_ONE_LOG: u32 = 14;
/// Every weight of the second revision starts at 0.25 (and so does every weight of the
/// recurrence coder, `qlfc`).
pub(crate) const INITIAL_WEIGHT: i16 = 1 << (WEIGHT_ONE_LOG - 2);
/// Smallest `mixer_shift` of the second revision: its scaled error must fit in 16 bits.
const MIN_REVISED_MIXER_SHIFT: u8 = 12;

/// A table of `1 << 16` counters indexed by a masked 16-bit context, so that no access needs
/// a bounds check.
fn filled<T: Copy>(value: T) -> Box<[T; 1 << 16]> {
    vec![value; 1 << 16]
        .into_boxed_slice()
        .try_into()
        .unwrap_or_else(|_| unreachable!("the vector has 1 << 16 elements"))
}

/// The second revision's per-block state. Its tables are direct (no hashing): about 0.6 MiB
/// of counters whatever the block's length. Two mixers weigh the same inputs, one with
/// weights chosen by the bit position and the run, one by the partial byte; their average
/// goes to the secondary estimator.
struct RevisedModel<T: Tuning<ModelParams>> {
    tables: &'static Tables,
    tuning: T,
    recip: [u16; 1024],
    order0_fast: [u16; 256],
    order0_slow: [u16; 256],
    order1_fast: Box<[u16; 1 << 16]>,
    order1: Box<[u32; 1 << 16]>,
    skip: Box<[u16; 1 << 16]>,
    run: RunModel,
    weights: [i16x8; MIXER_SETS],
    partial_weights: [i16x8; 256],
    apm: Apm,
    // byte history
    c1: usize,
    c2: usize,
    // per-bit state
    c0: usize,
    bit_pos: usize,
    inputs: i16x8,
    mixer_set: usize,
    by_run_p: i32,
    by_partial_p: i32,
}

impl<T: Tuning<ModelParams>> RevisedModel<T> {
    fn new(tuning: T) -> Self {
        let params = tuning.params();
        let recip = counted_rates();
        RevisedModel {
            tables: tables(),
            tuning,
            recip,
            order0_fast: [32768; 256],
            order0_slow: [32768; 256],
            order1_fast: filled(32768),
            order1: filled(FRESH),
            skip: filled(32768),
            run: RunModel::new(),
            weights: [i16x8::splat(INITIAL_WEIGHT); MIXER_SETS],
            partial_weights: [i16x8::splat(INITIAL_WEIGHT); 256],
            apm: Apm::new(2 * 256, u32::from(params.apm_rate)),
            c1: 0,
            c2: 0,
            c0: 1,
            bit_pos: 0,
            inputs: i16x8::splat(0),
            mixer_set: 0,
            by_run_p: 2048,
            by_partial_p: 2048,
        }
    }

    #[inline(always)]
    fn st(&self, p16: u16) -> i32 {
        i32::from(self.tables.stretch[(p16 >> 4) as usize])
    }
}

/// The stretched output of a mixer: Σ weight × input, on the stretch scale. Inputs are
/// within ±2047 and weights within ±2^15, so the sum of eight products fits in 32 bits.
#[inline(always)]
pub(crate) fn mix(weights: i16x8, inputs: i16x8) -> i32 {
    (weights.dot(inputs).reduce_add() >> WEIGHT_ONE_LOG).clamp(-2047, 2047)
}

/// [`mix`] of inputs whose last four lanes are zero: only the first two sums of pairs are
/// added, a step less on the way to every decision of the recurrence coder.
#[inline(always)]
pub(crate) fn mix_four(weights: i16x8, inputs: i16x8) -> i32 {
    let [a, b, ..] = weights.dot(inputs).to_array();
    ((a + b) >> WEIGHT_ONE_LOG).clamp(-2047, 2047)
}

/// Moves a mixer's weights against its error (a 12-bit probability difference): each by
/// input × error >> (`shift` + 2), rounded, in units of 2^-14, saturating at ±2^15. The
/// error is scaled to 16 bits first (× 2^15 >> `shift`, which fits because `shift` ≥ 12), so
/// that the product's high half is the step, doubled.
#[inline(always)]
pub(crate) fn train(weights: &mut i16x8, inputs: i16x8, err: i32, shift: u8) {
    let scaled = i16x8::splat(((err << 15) >> shift) as i16);
    let step = (i16x8::mul_keep_high(inputs, scaled) + i16x8::splat(1)) >> 1;
    *weights = weights.saturating_add(step);
}

impl<T: Tuning<ModelParams>> BitModel for RevisedModel<T> {
    #[inline(always)]
    fn predict(&mut self) -> u32 {
        // Masks that the compiler can see keep every index below in bounds.
        let c0 = self.c0 & 0xff;
        let run_input = self
            .run
            .vote(self.c1, c0, self.bit_pos, &self.tables.stretch);
        let o1 = (self.c1 << 8 | c0) & 0xffff;
        self.inputs = i16x8::from(
            [
                self.st(self.order0_fast[c0]),
                self.st(self.order0_slow[c0]),
                self.st(self.order1_fast[o1]),
                self.st(counted_p(self.order1[o1])),
                self.st(self.skip[(self.c2 << 8 | c0) & 0xffff]),
                run_input,
                256,
                0,
            ]
            .map(|x| x as i16),
        );
        self.mixer_set = self.run.weight_set(self.bit_pos);
        let by_run = mix(self.weights[self.mixer_set % MIXER_SETS], self.inputs);
        let by_partial = mix(self.partial_weights[c0], self.inputs);
        self.by_run_p = squash(by_run);
        self.by_partial_p = squash(by_partial);
        let st = (by_run + by_partial) >> 1;
        let refined = self
            .apm
            .refine(st, usize::from(self.run.len > 1) * 256 + c0);
        let q = i32::from(self.tuning.params().apm_quarters);
        let p = (squash(st) * (4 - q) + refined * q + 2) >> 2;
        (p.clamp(1, 4095) as u32) << 4
    }

    #[inline(always)]
    fn update(&mut self, bit: u32) {
        let p = self.tuning.params();
        let c0 = self.c0 & 0xff;
        let target = (bit as i32) << 12;
        train(
            &mut self.weights[self.mixer_set % MIXER_SETS],
            self.inputs,
            target - self.by_run_p,
            p.mixer_shift,
        );
        train(
            &mut self.partial_weights[c0],
            self.inputs,
            target - self.by_partial_p,
            p.mixer_shift,
        );
        let o1 = (self.c1 << 8 | c0) & 0xffff;
        adapt(&mut self.order0_fast[c0], bit, u32::from(p.order0_rate));
        adapt(
            &mut self.order0_slow[c0],
            bit,
            u32::from(p.order0_slow_rate),
        );
        adapt(
            &mut self.order1_fast[o1],
            bit,
            u32::from(p.order1_fast_rate),
        );
        adapt_counted(
            &mut self.order1[o1],
            bit,
            u32::from(p.order1_limit),
            &self.recip,
        );
        adapt(
            &mut self.skip[(self.c2 << 8 | c0) & 0xffff],
            bit,
            u32::from(p.skip_rate),
        );
        self.run.update(bit, p.run_rate);
        self.apm.update(bit);

        self.c0 = c0 << 1 | bit as usize;
        self.bit_pos += 1;
        if self.bit_pos == 8 {
            let byte = self.c0 & 0xff;
            self.run.end_byte(byte, self.c1);
            self.c2 = self.c1;
            self.c1 = byte;
            self.c0 = 1;
            self.bit_pos = 0;
        }
    }

    #[inline(always)]
    fn last_byte(&self) -> u8 {
        self.c1 as u8
    }
}

/// Entropy codes `block` with `revision`'s model tuned by `params`, appending the code to
/// `out`.
pub fn encode(block: &[u8], revision: Revision, params: ModelParams, out: Vec<u8>) -> Vec<u8> {
    match revision {
        Revision::First => encode_with(block, Model::new(block.len(), params), out),
        Revision::Second if params == ModelParams::DEFAULT => {
            encode_with(block, RevisedModel::new(DefaultTuning), out)
        }
        Revision::Second => encode_with(block, RevisedModel::new(params), out),
    }
}

fn encode_with(block: &[u8], mut model: impl BitModel, out: Vec<u8>) -> Vec<u8> {
    let mut coder = rangecoder::Encoder::new(out);
    encode_rest(&mut coder, &mut model, block);
    coder.finish()
}

/// Codes `block` with `coder` and `model` from where they stand.
fn encode_rest(coder: &mut rangecoder::Encoder, model: &mut impl BitModel, block: &[u8]) {
    for &byte in block {
        for i in (0..8).rev() {
            let bit = u32::from(byte >> i) & 1;
            coder.encode(bit, model.predict());
            model.update(bit);
        }
    }
}

/// Codes two blocks, each as [`encode`] would (with an empty `out`), on one thread: their
/// bits alternate, as [`decode_two_into`]'s do, so that the processor works on one block's
/// bit while the other's waits.
pub fn encode_two(blocks: [&[u8]; 2], revision: Revision, params: ModelParams) -> [Vec<u8>; 2] {
    match revision {
        Revision::First => {
            let models = blocks.map(|block| Model::new(block.len(), params));
            encode_side_by_side(blocks, models)
        }
        Revision::Second if params == ModelParams::DEFAULT => {
            let models = [
                RevisedModel::new(DefaultTuning),
                RevisedModel::new(DefaultTuning),
            ];
            encode_side_by_side(blocks, models)
        }
        Revision::Second => {
            let models = [RevisedModel::new(params), RevisedModel::new(params)];
            encode_side_by_side(blocks, models)
        }
    }
}

fn encode_side_by_side<M: BitModel>(blocks: [&[u8]; 2], models: [M; 2]) -> [Vec<u8>; 2] {
    let [mut model_a, mut model_b] = models;
    let [block_a, block_b] = blocks;
    let mut coder_a = rangecoder::Encoder::new(Vec::with_capacity(block_a.len() / 3));
    let mut coder_b = rangecoder::Encoder::new(Vec::with_capacity(block_b.len() / 3));
    let both = block_a.len().min(block_b.len());
    for (&byte_a, &byte_b) in block_a[..both].iter().zip(&block_b[..both]) {
        for i in (0..8).rev() {
            let (bit_a, bit_b) = (u32::from(byte_a >> i) & 1, u32::from(byte_b >> i) & 1);
            let (p_a, p_b) = (model_a.predict(), model_b.predict());
            coder_a.encode(bit_a, p_a);
            coder_b.encode(bit_b, p_b);
            model_a.update(bit_a);
            model_b.update(bit_b);
        }
    }
    encode_rest(&mut coder_a, &mut model_a, &block_a[both..]);
    encode_rest(&mut coder_b, &mut model_b, &block_b[both..]);
    [coder_a.finish(), coder_b.finish()]
}

/// Decodes `len` bytes from `code`, appending them to `out`.
///
/// Returns `false` if decoding had to read past the end of `code`, which a well-formed
/// payload never does.
pub fn decode(
    code: &[u8],
    len: usize,
    revision: Revision,
    params: ModelParams,
    out: &mut Vec<u8>,
) -> bool {
    let start = out.len();
    out.resize(start + len, 0);
    decode_into(code, revision, params, &mut out[start..])
}

/// Decodes `out.len()` bytes from `code` into `out`, as [`decode`] does.
pub fn decode_into(code: &[u8], revision: Revision, params: ModelParams, out: &mut [u8]) -> bool {
    decode_with(code, revision, params, out, |_, _| {})
}

/// Like [`decode`], also appending to `costs` the bits each decoded byte cost (for the glyph
/// view's statistics).
pub fn decode_with_costs(
    code: &[u8],
    len: usize,
    revision: Revision,
    params: ModelParams,
    out: &mut Vec<u8>,
    costs: &mut Vec<f32>,
) -> bool {
    let mut bits = 0.0f32;
    let mut seen = 0u32;
    costs.reserve(len);
    let start = out.len();
    out.resize(start + len, 0);
    decode_with(code, revision, params, &mut out[start..], |p1, bit| {
        bits += rangecoder::bit_cost(p1, bit);
        seen += 1;
        if seen % 8 == 0 {
            costs.push(bits);
            bits = 0.0;
        }
    })
}

fn decode_with(
    code: &[u8],
    revision: Revision,
    params: ModelParams,
    out: &mut [u8],
    on_bit: impl FnMut(u32, u32),
) -> bool {
    match revision {
        Revision::First => decode_model(code, Model::new(out.len(), params), out, on_bit),
        Revision::Second if params == ModelParams::DEFAULT => {
            decode_model(code, RevisedModel::new(DefaultTuning), out, on_bit)
        }
        Revision::Second => decode_model(code, RevisedModel::new(params), out, on_bit),
    }
}

fn decode_model(
    code: &[u8],
    mut model: impl BitModel,
    out: &mut [u8],
    on_bit: impl FnMut(u32, u32),
) -> bool {
    decode_rest(&mut rangecoder::Decoder::new(code), &mut model, out, on_bit)
}

/// Decodes `out.len()` bytes with `coder` and `model` from where they stand.
fn decode_rest(
    coder: &mut rangecoder::Decoder<'_>,
    model: &mut impl BitModel,
    out: &mut [u8],
    mut on_bit: impl FnMut(u32, u32),
) -> bool {
    for byte in out {
        for _ in 0..8 {
            let p1 = model.predict();
            let bit = coder.decode(p1);
            on_bit(p1, bit);
            model.update(bit);
        }
        *byte = model.last_byte();
        if coder.overrun() > 4 {
            return false;
        }
    }
    coder.overrun() == 0
}

/// Decodes two codes into `outs`, each as [`decode_into`] would, on one thread: their bits
/// alternate, so that a processor works on one code's bit while the other's waits for its
/// multiply, compare and table reads (one code leaves it waiting on every bit: 25 MB of prose,
/// one frame in two parts, decodes 4-5 % faster with its parts side by side).
pub fn decode_two_into(
    codes: [&[u8]; 2],
    revision: Revision,
    params: ModelParams,
    outs: [&mut [u8]; 2],
) -> bool {
    match revision {
        Revision::First => {
            let models = [0, 1].map(|i| Model::new(outs[i].len(), params));
            decode_side_by_side(codes, models, outs)
        }
        Revision::Second if params == ModelParams::DEFAULT => {
            let models = [
                RevisedModel::new(DefaultTuning),
                RevisedModel::new(DefaultTuning),
            ];
            decode_side_by_side(codes, models, outs)
        }
        Revision::Second => {
            let models = [RevisedModel::new(params), RevisedModel::new(params)];
            decode_side_by_side(codes, models, outs)
        }
    }
}

fn decode_side_by_side<M: BitModel>(
    codes: [&[u8]; 2],
    models: [M; 2],
    outs: [&mut [u8]; 2],
) -> bool {
    let [mut model_a, mut model_b] = models;
    let [out_a, out_b] = outs;
    let mut coder_a = rangecoder::Decoder::new(codes[0]);
    let mut coder_b = rangecoder::Decoder::new(codes[1]);
    let both = out_a.len().min(out_b.len());
    let (out_a, rest_a) = out_a.split_at_mut(both);
    let (out_b, rest_b) = out_b.split_at_mut(both);
    for (byte_a, byte_b) in out_a.iter_mut().zip(out_b) {
        for _ in 0..8 {
            let (p_a, p_b) = (model_a.predict(), model_b.predict());
            let (bit_a, bit_b) = (coder_a.decode(p_a), coder_b.decode(p_b));
            model_a.update(bit_a);
            model_b.update(bit_b);
        }
        *byte_a = model_a.last_byte();
        *byte_b = model_b.last_byte();
        if coder_a.overrun() > 4 || coder_b.overrun() > 4 {
            return false;
        }
    }
    decode_rest(&mut coder_a, &mut model_a, rest_a, |_, _| {})
        && decode_rest(&mut coder_b, &mut model_b, rest_b, |_, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_and_stretch_are_inverse_enough() {
        let t = tables();
        for p in (1..4095).step_by(7) {
            let back = squash(i32::from(t.stretch[p]));
            assert!((back - p as i32).abs() <= 40, "p={p} back={back}");
        }
        assert_eq!(squash(0), 2048);
        // Never a certainty, which the recurrence coder relies on (it codes `squash` as is).
        assert_eq!((squash(-2047), squash(2047)), (1, 4095));
    }

    #[test]
    fn mixing_four_lanes_is_mixing_eight_whose_last_four_are_zero() {
        let noise = crate::test_support::noise(64_000, 3);
        let lane = |i: usize| i16::from_le_bytes([noise[2 * i], noise[2 * i + 1]]);
        for case in 0..2000 {
            let at = case * 16;
            let weights = i16x8::from(std::array::from_fn(|i| lane(at + i)));
            let inputs = std::array::from_fn(|i| match i {
                0..=2 => lane(at + 8 + i) % 2048,
                3 => 256,
                _ => 0,
            });
            let inputs = i16x8::from(inputs);
            assert_eq!(
                mix_four(weights, inputs),
                mix(weights, inputs),
                "case {case}"
            );
        }
    }

    const REVISIONS: [Revision; 2] = [Revision::First, Revision::Second];

    #[test]
    fn round_trips() {
        let data: Vec<u8> = b"banana bandana "
            .iter()
            .cycle()
            .take(5000)
            .copied()
            .chain(0..=255)
            .collect();
        for revision in REVISIONS {
            let code = encode(&data, revision, ModelParams::default(), Vec::new());
            assert!(code.len() < data.len() / 4, "{revision:?}");
            let mut back = Vec::new();
            assert!(decode(
                &code,
                data.len(),
                revision,
                ModelParams::default(),
                &mut back
            ));
            assert_eq!(back, data, "{revision:?}");
        }
    }

    #[test]
    fn truncated_code_reports_overrun() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for revision in REVISIONS {
            let code = encode(&data, revision, ModelParams::default(), Vec::new());
            let mut back = Vec::new();
            assert!(!decode(
                &code[..code.len() / 2],
                data.len(),
                revision,
                ModelParams::default(),
                &mut back
            ));
        }
    }

    #[test]
    fn two_blocks_code_side_by_side_as_each_alone() {
        let params = ModelParams::default();
        let text: Vec<u8> = b"banana bandana "
            .iter()
            .cycle()
            .take(3000)
            .copied()
            .collect();
        let noise: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for revision in REVISIONS {
            // Lengths that differ either way, by one byte (parts of a block) or by many.
            for (a, b) in [
                (&text[..], &noise[..]),
                (&noise[..1001], &noise[..1000]),
                (&text[..1], &text[1..]),
            ] {
                let codes = [a, b].map(|part| encode(part, revision, params, Vec::new()));
                assert!(
                    encode_two([a, b], revision, params) == codes,
                    "{revision:?}"
                );
                let (mut out_a, mut out_b) = (vec![0; a.len()], vec![0; b.len()]);
                let codes_ref = [&codes[0][..], &codes[1][..]];
                assert!(decode_two_into(
                    codes_ref,
                    revision,
                    params,
                    [&mut out_a, &mut out_b]
                ));
                assert!(
                    out_a == a && out_b == b,
                    "{revision:?} {} {}",
                    a.len(),
                    b.len()
                );
                // Either code cut short fails the pair, as it fails alone.
                for cut in [0, 1] {
                    let mut short = codes_ref;
                    short[cut] = &codes[cut][..codes[cut].len() / 2];
                    let outs = [&mut out_a[..], &mut out_b[..]];
                    assert!(!decode_two_into(short, revision, params, outs), "cut {cut}");
                }
            }
        }
    }

    #[test]
    fn the_default_tuning_codes_as_the_same_parameters_given() {
        let data: Vec<u8> = (b"banana bandana ".iter().cycle().take(6000).copied())
            .chain((0..3000u32).map(|i| (i * 7919 % 251) as u8))
            .collect();
        let default = ModelParams::DEFAULT;
        let given = encode_with(&data, RevisedModel::new(default), Vec::new());
        assert!(encode(&data, Revision::Second, default, Vec::new()) == given);
        let mut back = vec![0; data.len()];
        assert!(decode_model(
            &given,
            RevisedModel::new(default),
            &mut back,
            |_, _| {}
        ));
        assert_eq!(back, data);
        // Other parameters take the other path, and are honoured on both sides.
        let tuned = ModelParams {
            order0_rate: 3,
            mixer_shift: 14,
            ..default
        };
        let code = encode(&data, Revision::Second, tuned, Vec::new());
        assert!(code != given);
        let mut back = Vec::new();
        assert!(decode(
            &code,
            data.len(),
            Revision::Second,
            tuned,
            &mut back
        ));
        assert_eq!(back, data);
    }

    #[test]
    fn parameters_round_trip_and_out_of_range_values_are_refused() {
        let tuned = ModelParams {
            order0_rate: 3,
            order0_slow_rate: 6,
            skip_rate: 5,
            ..ModelParams::default()
        };
        for revision in REVISIONS {
            let mut buf = Vec::new();
            tuned.write(revision, &mut buf);
            assert_eq!(buf.len(), ModelParams::LEN);
            let back = ModelParams::parse(revision, &buf).unwrap();
            assert_eq!(back.order0_rate, 3);
            assert_eq!(back.mixer_shift, tuned.mixer_shift);
            for i in 0..ModelParams::LEN {
                let mut bad = buf.clone();
                // Zero is out of range for every byte but the APM's weight, whose limit is 4.
                bad[i] = if i == ModelParams::LEN - 1 { 5 } else { 0 };
                assert_eq!(
                    ModelParams::parse(revision, &bad),
                    None,
                    "{revision:?} byte {i}"
                );
            }
        }
        let mut buf = Vec::new();
        tuned.write(Revision::Second, &mut buf);
        assert_eq!(ModelParams::parse(Revision::Second, &buf), Some(tuned));
        assert_eq!(ModelParams::parse(Revision::Second, &buf[..8]), None);
    }
}
