//! The recurrence coder of the `Recurrence` and `RecurrenceRevised` frame methods: codes a
//! Burrows–Wheeler-transformed block as runs, each by its length and by when its byte comes
//! back, with mixed predictions.
//!
//! This is Grebnov's quantized local frequency coding (QLFC, as in bsc), with our own model.
//! The block is cut into runs of one byte. Both sides keep the bytes of the runs still to come
//! ordered by where each next starts, so the byte of the current run is the first of the list
//! and known to the decoder before it decodes anything about the run. After the run, the coder
//! codes its byte's *rank*: how many other bytes start a run before this byte's next run (or,
//! for the byte's last run, how many bytes are still to come), and moves the byte to that
//! place. Knowing the byte lets every decision be predicted by statistics of that byte, which
//! move-to-front coding (the `Rank` methods, which code the rank before the byte is known)
//! cannot do: on BWT blocks of word-transformed text this codes 6 % smaller than those, and
//! within 0.2-0.7 % of the context-mixing model (`cm`) at 2-5 times its speed, because a run
//! takes a few decisions where a byte takes eight.
//!
//! A run length is coded as: is it 1?; if not, k = ⌊log2 v⌋ in unary; then the k bits below
//! its top bit. A rank (at least one) as k = ⌊log2 v⌋ down a three-decision tree, then its
//! low bits, of which the model predicts the first few and codes the rest at probability 1/2
//! (in the second revision). Each decision mixes, with weights chosen by the byte and the
//! decision, three counters: one chosen by the byte, one by a state (the byte's last rank and
//! run, the previous rank, the run just coded), one by the decision alone. Integer arithmetic
//! only, so encoder and decoder agree everywhere. `docs/FORMAT.md` section 20 specifies it.

use crate::cm::{adapt, mix_four, squash, stretch_table, train, INITIAL_WEIGHT};
use crate::rangecoder;
use crate::tuning::{DefaultTuning, EncoderDefaults, Tuning};
use wide::{i16x8, u8x16};

/// The revisions of the coder's payload parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Method `Recurrence` (format version 11): four parameters, every low bit of a rank
    /// predicted by the model.
    First,
    /// Method `RecurrenceRevised` (format version 12): a fifth, [`QlfcParams::modelled_rank_bits`].
    Second,
}

/// The coder's tunable constants, carried in every payload that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QlfcParams {
    /// Adaptation shift of the counters by byte.
    pub byte_rate: u8,
    /// Adaptation shift of the counters by state.
    pub state_rate: u8,
    /// Adaptation shift of the counters of a decision alone.
    pub decision_rate: u8,
    /// Mixer learning rate: weights move by input × error >> (this + 2).
    pub mixer_shift: u8,
    /// How many low bits of a rank, from the top, the model predicts; the rest are coded at
    /// probability 1/2, unmodelled. On word-transformed text a rank's low bits past the third
    /// cost the model a bit each anyway, and predicting them took a tenth of its time.
    pub modelled_rank_bits: u8,
}

/// A rank is below 2^8, so it has at most seven low bits: with this many modelled, all are.
const ALL_RANK_BITS: u8 = 7;

impl QlfcParams {
    /// Size of the serialised parameters of a revision.
    pub fn len(revision: Revision) -> usize {
        match revision {
            Revision::First => 4,
            Revision::Second => 5,
        }
    }

    /// Appends the parameters to `out`, as the second revision has them.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            self.byte_rate,
            self.state_rate,
            self.decision_rate,
            self.mixer_shift,
            self.modelled_rank_bits,
        ]);
    }

    /// Reads the parameters of a `revision` payload, rejecting values a decoder does not
    /// support.
    pub fn parse(revision: Revision, buf: &[u8]) -> Option<QlfcParams> {
        let b = buf.get(..Self::len(revision))?;
        let p = QlfcParams {
            byte_rate: b[0],
            state_rate: b[1],
            decision_rate: b[2],
            mixer_shift: b[3],
            modelled_rank_bits: b.get(4).copied().unwrap_or(ALL_RANK_BITS),
        };
        let rates = [p.byte_rate, p.state_rate, p.decision_rate];
        let valid = rates.iter().all(|r| (1..=12).contains(r))
            && (12..=20).contains(&p.mixer_shift)
            && p.modelled_rank_bits <= ALL_RANK_BITS;
        valid.then_some(p)
    }
}

impl EncoderDefaults for QlfcParams {
    const DEFAULT: QlfcParams = QlfcParams {
        byte_rate: 4,
        state_rate: 6,
        decision_rate: 3,
        mixer_shift: 12,
        modelled_rank_bits: 3,
    };
}

impl Default for QlfcParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Largest k = ⌊log2 v⌋ of a run length (frames are at most 2^30 bytes).
const RUN_MAX_LOG: usize = 30;

/// The two kinds of number the coder codes, each with its own [`Numbers`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A run length: k in unary, most runs being of one byte.
    Run,
    /// A rank (below 256): k down a tree of three decisions, as ranks spread about evenly over
    /// k, where unary would take four decisions on average.
    Rank,
}

impl Kind {
    /// The first of the kind's mixer weight groups.
    fn first_group(self) -> usize {
        match self {
            Kind::Run => 0,
            Kind::Rank => 24,
        }
    }
}
/// Decisions of a run length: "is it 1" and the steps of k (nodes below 32), then the low bits
/// by k (to 15) and the bits above them ([`LowBitNodes::node`]).
const RUN_NODES: usize = 32 + 16 * 32;
/// Decisions of a rank: the tree of k (nodes 1 to 7), then the low bits by k (to 7) and the
/// bits above them, as many of those as the model predicts.
const RANK_TREE_NODES: usize = 8;
/// States: three histories of 8 classes each ([`Model::run_state`], [`Model::rank_state`]).
const STATES: usize = 8 * 8 * 8;
/// Mixer weight sets per byte: by decision group (run lengths from 0, ranks from 24).
const GROUPS: usize = 48;

/// ⌊log2 v⌋, and 0 for 0.
#[inline(always)]
fn log2(v: usize) -> usize {
    (usize::BITS - 1 - (v | 1).leading_zeros()) as usize
}

/// The class of a number v ≥ 1 in the histories: 0 for 1, else 1 + ⌊log2 v⌋.
#[inline(always)]
fn class(v: usize) -> usize {
    log2(v) + usize::from(v > 1)
}

/// The counters and mixers of one kind of number (run lengths or ranks).
struct Numbers {
    /// Counters by byte and node, `nodes` a byte.
    by_byte: Vec<u16>,
    /// Counters by state and node, `nodes` a state.
    by_state: Vec<u16>,
    by_decision: [u16; RUN_NODES],
    weights: Vec<i16x8>,
    nodes: usize,
    low_bits: LowBitNodes,
}

/// Where the nodes of a kind's low bits are: those of k from `first + k << shift`.
#[derive(Clone, Copy)]
struct LowBitNodes {
    first: usize,
    shift: u32,
}

impl Numbers {
    /// The counters of run lengths, or of ranks whose first `modelled_rank_bits` low bits are
    /// predicted: only their nodes, so that a state's counters lie in two or three cache
    /// lines, not eight (the tables of both kinds are larger than a core's second-level cache).
    fn new(kind: Kind, modelled_rank_bits: u8) -> Self {
        let (first, shift, max_k) = match kind {
            Kind::Run => (32, 5, 15),
            Kind::Rank => (RANK_TREE_NODES, u32::from(modelled_rank_bits.min(5)), 7),
        };
        let nodes = first + ((max_k + 1) << shift);
        Numbers {
            by_byte: vec![32768; 256 * nodes],
            by_state: vec![32768; STATES * nodes],
            by_decision: [32768; RUN_NODES],
            weights: vec![i16x8::splat(INITIAL_WEIGHT); 256 * GROUPS],
            nodes,
            low_bits: LowBitNodes { first, shift },
        }
    }
}

impl LowBitNodes {
    /// The decision node of the low bit after `above` (the number's bits so far, top bit
    /// first) of a number with `k` low bits: its own for each of the first (up to five) low
    /// bits, one shared by the rest (the first node of k's, which `above` ≥ 1 never takes).
    /// On BWT blocks of word-transformed text, giving the deeper bits their own nodes coded
    /// 0.3 % larger; coding every number's deeper bits at probability 1/2 made a spreadsheet
    /// (`kennedy.xls`) 30 % larger, so only a rank's bits past
    /// [`QlfcParams::modelled_rank_bits`] are.
    #[inline(always)]
    fn node(self, k: usize, above: usize) -> usize {
        let own = if above >> self.shift == 0 { above } else { 0 };
        self.first + (k.min(15) << self.shift | own)
    }
}

/// A binary coder as the model sees it: encoding codes the given bit, decoding ignores it and
/// returns the bit decoded.
trait BitCoder {
    fn code(&mut self, bit: u32, p1: u32) -> u32;
    /// Codes a bit at probability 1/2, which a decoder cannot guess.
    #[inline(always)]
    fn code_even(&mut self, bit: u32) -> u32 {
        self.code(bit, 1 << 15)
    }
    /// Bytes read past the end of the code (decoding only).
    fn overrun(&self) -> usize {
        0
    }
}

impl BitCoder for rangecoder::Encoder {
    #[inline(always)]
    fn code(&mut self, bit: u32, p1: u32) -> u32 {
        self.encode(bit, p1);
        bit
    }
}

impl BitCoder for rangecoder::Decoder<'_> {
    #[inline(always)]
    fn code(&mut self, _bit: u32, p1: u32) -> u32 {
        self.decode(p1)
    }

    #[inline(always)]
    fn code_even(&mut self, _bit: u32) -> u32 {
        self.decode_even()
    }

    fn overrun(&self) -> usize {
        rangecoder::Decoder::overrun(self)
    }
}

/// The model, shared by the encoder and the decoder.
struct Model<T: Tuning<QlfcParams>> {
    tuning: T,
    stretch: &'static [i16; 4096],
    runs: Numbers,
    ranks: Numbers,
    /// Per byte: 1 + the class of its last rank, to 7 (0: none yet).
    rank_history: [u8; 256],
    /// Per byte: 1 + the class of its last run's length, to 7 (0: none yet).
    run_history: [u8; 256],
    previous_rank_class: usize,
    previous_run_class: usize,
}

impl<T: Tuning<QlfcParams>> Model<T> {
    fn new(tuning: T) -> Self {
        Model {
            tuning,
            stretch: stretch_table(),
            runs: Numbers::new(Kind::Run, 0),
            ranks: Numbers::new(Kind::Rank, tuning.params().modelled_rank_bits),
            rank_history: [0; 256],
            run_history: [0; 256],
            previous_rank_class: 0,
            previous_run_class: 0,
        }
    }

    /// The state a rank of `byte` is coded in: its last rank, the previous rank and the
    /// length of the run just coded (classes, to 7).
    fn rank_state(&self, byte: usize) -> usize {
        (usize::from(self.rank_history[byte]) * 8 + self.previous_rank_class.min(7)) * 8
            + self.previous_run_class.min(7)
    }

    /// The state a run of `byte` is coded in: its last run's length, the previous rank and
    /// its last rank.
    fn run_state(&self, byte: usize) -> usize {
        (usize::from(self.run_history[byte]) * 8 + self.previous_rank_class.min(7)) * 8
            + usize::from(self.rank_history[byte])
    }

    /// Codes one decision about `byte`'s number in `state`.
    #[inline(always)]
    fn decide(
        coder: &mut impl BitCoder,
        numbers: &mut Numbers,
        params: QlfcParams,
        stretch: &[i16; 4096],
        (byte, state, node, group): (usize, usize, usize, usize),
        bit: u32,
    ) -> u32 {
        let by_byte = byte * numbers.nodes + node;
        let by_state = state * numbers.nodes + node;
        let st = |p: u16| stretch[usize::from(p >> 4)];
        let inputs = i16x8::from([
            st(numbers.by_byte[by_byte]),
            st(numbers.by_state[by_state]),
            st(numbers.by_decision[node]),
            256,
            0,
            0,
            0,
            0,
        ]);
        let weights = &mut numbers.weights[byte * GROUPS + group];
        let p = squash(mix_four(*weights, inputs));
        // `squash` gives 1 to 4095, never a certainty.
        let bit = coder.code(bit, (p as u32) << 4);
        train(
            weights,
            inputs,
            ((bit as i32) << 12) - p,
            params.mixer_shift,
        );
        adapt(
            &mut numbers.by_byte[by_byte],
            bit,
            u32::from(params.byte_rate),
        );
        adapt(
            &mut numbers.by_state[by_state],
            bit,
            u32::from(params.state_rate),
        );
        adapt(
            &mut numbers.by_decision[node],
            bit,
            u32::from(params.decision_rate),
        );
        bit
    }

    /// Codes a number v ≥ 1 of `kind` (`value` when encoding; ignored when decoding) and
    /// returns it.
    #[inline(always)]
    fn number<C: BitCoder>(
        coder: &mut C,
        numbers: &mut Numbers,
        params: QlfcParams,
        stretch: &[i16; 4096],
        (kind, byte, state): (Kind, usize, usize),
        value: usize,
    ) -> usize {
        let group = kind.first_group();
        let low_bits = numbers.low_bits;
        let mut decide = |coder: &mut C, node: usize, group: usize, bit: u32| {
            Self::decide(
                coder,
                numbers,
                params,
                stretch,
                (byte, state, node, group),
                bit,
            )
        };
        let wanted = log2(value);
        let k = if kind == Kind::Rank {
            let mut node = 1usize;
            for i in (0..3).rev() {
                let bit = (wanted >> i & 1) as u32;
                node = node << 1 | decide(coder, node, group + node, bit) as usize;
            }
            node - 8
        } else {
            if decide(coder, 0, group, u32::from(value == 1)) == 1 {
                return 1;
            }
            let mut k = 1;
            while k < RUN_MAX_LOG && decide(coder, k, group + k.min(7), u32::from(k == wanted)) == 0
            {
                k += 1;
            }
            k
        };
        let modelled_below = match kind {
            Kind::Run => usize::MAX,
            Kind::Rank => 1 << params.modelled_rank_bits,
        };
        let mut v = 1usize;
        for shift in (0..k).rev() {
            let bit = (value >> shift & 1) as u32;
            let bit = match v < modelled_below {
                true => {
                    let node = low_bits.node(k, v);
                    decide(coder, node, group + 8 + k.min(15), bit)
                }
                false => coder.code_even(bit),
            };
            v = v << 1 | bit as usize;
        }
        v
    }

    /// Codes the length of a run of `byte`, or the rank of `byte` after its run (`value` when
    /// encoding), and records its class in the histories.
    #[inline(always)]
    fn code(&mut self, coder: &mut impl BitCoder, kind: Kind, byte: usize, value: usize) -> usize {
        let (state, numbers) = match kind {
            Kind::Run => (self.run_state(byte), &mut self.runs),
            Kind::Rank => (self.rank_state(byte), &mut self.ranks),
        };
        let params = self.tuning.params();
        let value = Self::number(
            coder,
            numbers,
            params,
            self.stretch,
            (kind, byte, state),
            value,
        );
        let value_class = class(value);
        let (previous, history) = match kind {
            Kind::Run => (&mut self.previous_run_class, &mut self.run_history),
            Kind::Rank => (&mut self.previous_rank_class, &mut self.rank_history),
        };
        *previous = value_class;
        history[byte] = (value_class + 1).min(7) as u8;
        value
    }
}

/// Codes bytes as eight decisions each, down a binary tree of adaptive counters: the bytes of
/// a block in order of their first runs, ahead of the runs.
struct ByteTree([u16; 256]);

impl ByteTree {
    fn new() -> Self {
        ByteTree([32768; 256])
    }

    #[inline(always)]
    fn code(&mut self, coder: &mut impl BitCoder, byte: u8) -> u8 {
        let mut node = 1usize;
        for i in (0..8).rev() {
            let p1 = u32::from(self.0[node].clamp(64, 65472));
            let bit = coder.code(u32::from(byte >> i) & 1, p1);
            adapt(&mut self.0[node], bit, 4);
            node = node << 1 | bit as usize;
        }
        node as u8
    }

    /// Codes how many bytes there are (1 to 256), then the bytes (`bytes` when encoding);
    /// returns them.
    #[inline(always)]
    fn code_all(coder: &mut impl BitCoder, bytes: &[u8]) -> Vec<u8> {
        let mut tree = ByteTree::new();
        let count = usize::from(tree.code(coder, bytes.len().wrapping_sub(1) as u8)) + 1;
        (0..count)
            .map(|i| tree.code(coder, bytes.get(i).copied().unwrap_or(0)))
            .collect()
    }
}

/// A move-to-front list of the 256 byte values kept as its inverse, each value's place, so
/// that moving a value to the front is one pass of sixteen-lane compares over all the places:
/// no search, no shift, no branch. Searching and shifting the list itself took a sixth of the
/// encoder's time on prose, whose ranks are spread wide.
struct Places([u8x16; 16]);

impl Places {
    /// The list of the values in ascending order.
    fn new() -> Self {
        Places(std::array::from_fn(|i| {
            u8x16::from(std::array::from_fn::<u8, 16, _>(|j| (i * 16 + j) as u8))
        }))
    }

    fn place_mut(&mut self, byte: u8) -> &mut u8 {
        &mut self.0[usize::from(byte >> 4)].as_array_mut()[usize::from(byte & 15)]
    }

    /// Moves `byte` to the front and returns the place it had.
    #[inline(always)]
    fn move_to_front(&mut self, byte: u8) -> u8 {
        let place = *self.place_mut(byte);
        let had = u8x16::splat(place);
        for places in &mut self.0 {
            // All ones in the lanes of the values ahead of `byte` (below `place`): they move
            // back one, as subtracting all ones adds one.
            let ahead = !places.max(had).cmp_eq(*places);
            *places -= ahead;
        }
        *self.place_mut(byte) = 0;
        place
    }

    /// The values in the list's order.
    fn list(&self) -> [u8; 256] {
        let mut list = [0; 256];
        for (i, places) in self.0.iter().enumerate() {
            for (j, &place) in places.as_array_ref().iter().enumerate() {
                list[usize::from(place)] = (i * 16 + j) as u8;
            }
        }
        list
    }
}

/// Entropy codes a BWT block, appending the code to `out`.
pub fn encode(block: &[u8], params: QlfcParams, out: Vec<u8>) -> Vec<u8> {
    match params == QlfcParams::DEFAULT {
        true => encode_with(block, Model::new(DefaultTuning), out),
        false => encode_with(block, Model::new(params), out),
    }
}

/// The rank of each run of a non-empty block, last run first, and the block's distinct bytes
/// in the order of their first runs. Backwards, a move-to-front list orders the bytes by where
/// their next runs start: each run's rank is its byte's place in it before it moves to the
/// front, or, for a byte's last run, the number of bytes with runs after it. (Kept out of the
/// coding loop's function, whose registers it would otherwise crowd: inlined, it made the
/// encoder a third slower.)
#[inline(never)]
fn ranks_backwards(block: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut ranks = Vec::new();
    let mut places = Places::new();
    let mut seen = [false; 256];
    let mut later_bytes = 0u8;
    let mut end = block.len();
    while end > 0 {
        let byte = block[end - 1];
        while end > 0 && block[end - 1] == byte {
            end -= 1;
        }
        let place = places.move_to_front(byte);
        ranks.push(if seen[usize::from(byte)] {
            place
        } else {
            seen[usize::from(byte)] = true;
            let rank = later_bytes;
            later_bytes = later_bytes.wrapping_add(1);
            rank
        });
    }
    // The list now starts with the block's bytes in the order of their first runs.
    let distinct = seen.iter().filter(|&&s| s).count();
    (ranks, places.list()[..distinct].to_vec())
}

fn encode_with(block: &[u8], mut model: Model<impl Tuning<QlfcParams>>, out: Vec<u8>) -> Vec<u8> {
    let mut coder = rangecoder::Encoder::new(out);
    if block.is_empty() {
        return coder.finish();
    }
    let (ranks, first_bytes) = ranks_backwards(block);
    ByteTree::code_all(&mut coder, &first_bytes);
    // The last run's rank (the first pushed) is never coded: the block ends there.
    let mut ranks = ranks.iter().rev();
    let mut start = 0;
    while start < block.len() {
        let byte = block[start];
        let mut end = start + 1;
        while end < block.len() && block[end] == byte {
            end += 1;
        }
        model.code(&mut coder, Kind::Run, usize::from(byte), end - start);
        let rank = ranks.next().copied().unwrap_or(0);
        if end < block.len() {
            model.code(&mut coder, Kind::Rank, usize::from(byte), usize::from(rank));
        }
        start = end;
    }
    coder.finish()
}

/// Decodes a `len`-byte BWT block from `code`, appending it to `out`.
///
/// Returns `false` if the code is not one [`encode`] writes for a block of that length (it
/// reads past its end, or codes a run past the block's end).
pub fn decode(code: &[u8], len: usize, params: QlfcParams, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.resize(start + len, 0);
    decode_into(code, params, &mut out[start..])
}

/// Decodes `out.len()` bytes from `code` into `out`, as [`decode`] does.
pub fn decode_into(code: &[u8], params: QlfcParams, out: &mut [u8]) -> bool {
    let mut coder = rangecoder::Decoder::new(code);
    let decoded = match params == QlfcParams::DEFAULT {
        true => decode_runs(&mut coder, Model::new(DefaultTuning), out, |_, _| {}),
        false => decode_runs(&mut coder, Model::new(params), out, |_, _| {}),
    };
    decoded && coder.overrun() == 0
}

/// Like [`decode_into`], also appending to `costs` the bits each decoded byte cost (for the
/// glyph view's statistics): a run's first byte carries what its length and rank cost.
pub fn decode_with_costs(
    code: &[u8],
    params: QlfcParams,
    out: &mut [u8],
    costs: &mut Vec<f32>,
) -> bool {
    let mut coder = Costed {
        decoder: rangecoder::Decoder::new(code),
        bits: 0.0,
    };
    costs.reserve(out.len());
    let decoded = decode_runs(&mut coder, Model::new(params), out, |coder, run| {
        costs.push(std::mem::take(&mut coder.bits));
        costs.resize(costs.len() + run - 1, 0.0);
    });
    decoded && coder.decoder.overrun() == 0
}

/// A decoder that counts the bits it decodes.
struct Costed<'a> {
    decoder: rangecoder::Decoder<'a>,
    bits: f32,
}

impl BitCoder for Costed<'_> {
    #[inline(always)]
    fn code(&mut self, _bit: u32, p1: u32) -> u32 {
        let bit = self.decoder.decode(p1);
        self.bits += rangecoder::bit_cost(p1, bit);
        bit
    }

    fn overrun(&self) -> usize {
        self.decoder.overrun()
    }
}

/// Decodes the runs that fill `out`, calling `after_run` with the coder and the length of each
/// run once its rank is decoded too.
fn decode_runs<D: BitCoder>(
    coder: &mut D,
    mut model: Model<impl Tuning<QlfcParams>>,
    out: &mut [u8],
    mut after_run: impl FnMut(&mut D, usize),
) -> bool {
    if out.is_empty() {
        return true;
    }
    let first_bytes = ByteTree::code_all(coder, &[]);
    // The list of bytes by where their next runs start; places past the bytes still to come
    // hold whatever they hold.
    let mut list = [0u8; 256];
    list[..first_bytes.len()].copy_from_slice(&first_bytes);
    let mut done = 0;
    let mut byte = list[0];
    while done < out.len() {
        let run = model.code(coder, Kind::Run, usize::from(byte), 0);
        if run > out.len() - done || coder.overrun() > 4 {
            return false;
        }
        match run {
            1 => out[done] = byte,
            _ => out[done..done + run].fill(byte),
        }
        done += run;
        if done < out.len() {
            let rank = model.code(coder, Kind::Rank, usize::from(byte), 0);
            // A rank is at least 1, so the next run's byte is the second of the list, known
            // before the list moves (read after the move, it would wait on its stores). A rank
            // is below 2^8 (k ≤ 7), so its place exists.
            let next = list[1];
            list.copy_within(1..=rank, 0);
            list[rank] = byte;
            byte = next;
        }
        after_run(coder, run);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> usize {
        let code = encode(data, QlfcParams::default(), Vec::new());
        let mut back = vec![7];
        assert!(decode(&code, data.len(), QlfcParams::default(), &mut back));
        assert_eq!(&back[1..], data);
        code.len()
    }

    #[test]
    fn places_move_values_as_a_move_to_front_list_does() {
        let mut places = Places::new();
        let mut list: Vec<u8> = (0..=255).collect();
        for byte in crate::test_support::noise(3000, 9)
            .into_iter()
            .chain([0, 0, 255, 255, 0, 128])
        {
            let at = list.iter().position(|&b| b == byte).unwrap();
            list.remove(at);
            list.insert(0, byte);
            assert_eq!(usize::from(places.move_to_front(byte)), at);
            assert_eq!(places.list().to_vec(), list);
        }
    }

    #[test]
    fn round_trips_runs_every_byte_and_edges() {
        let runs: Vec<u8> = b"aaaabbbbbbbcccaaaaddddd".repeat(100);
        assert!(round_trip(&runs) < runs.len() / 8);
        let every: Vec<u8> = (0..=255)
            .chain((0..=255).rev())
            .cycle()
            .take(5000)
            .collect();
        round_trip(&every);
        round_trip(b"");
        round_trip(&[255]);
        round_trip(&[0; 70_000]);
        round_trip(b"ab");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_block_round_trips(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000)) {
            round_trip(&data);
        }

        /// Long runs of few bytes, as BWT blocks have.
        #[test]
        fn runs_of_few_bytes_round_trip(
            runs in proptest::collection::vec((0u8..6, 1usize..300), 0..200)
        ) {
            let data: Vec<u8> = runs.iter().flat_map(|&(b, n)| std::iter::repeat_n(b, n)).collect();
            round_trip(&data);
        }
    }

    #[test]
    fn costs_add_up_to_the_code_and_fall_on_each_run_s_first_byte() {
        let data: Vec<u8> = b"aaab".repeat(500).into_iter().chain(0..=255).collect();
        let code = encode(&data, QlfcParams::default(), Vec::new());
        let (mut out, mut costs) = (vec![0; data.len()], Vec::new());
        assert!(decode_with_costs(
            &code,
            QlfcParams::default(),
            &mut out,
            &mut costs
        ));
        assert_eq!(out, data);
        assert_eq!(costs.len(), data.len());
        let bits: f32 = costs.iter().sum();
        assert!(
            (bits / 8.0 - code.len() as f32).abs() < 8.0,
            "{bits} {}",
            code.len()
        );
        // The second and third bytes of every run of `a` cost nothing of their own.
        assert!(costs[1] == 0.0 && costs[2] == 0.0 && costs[5] == 0.0);
    }

    #[test]
    fn truncated_or_wrong_length_code_fails() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let code = encode(&data, QlfcParams::default(), Vec::new());
        let mut back = Vec::new();
        assert!(!decode(
            &code[..code.len() / 2],
            data.len(),
            QlfcParams::default(),
            &mut back
        ));
        back.clear();
        assert!(!decode(
            &encode(&[1; 100], QlfcParams::default(), Vec::new()),
            50,
            QlfcParams::default(),
            &mut back
        ));
    }

    #[test]
    fn parameters_round_trip_and_out_of_range_values_are_refused() {
        let mut buf = Vec::new();
        QlfcParams::default().write(&mut buf);
        assert_eq!(buf.len(), QlfcParams::len(Revision::Second));
        assert_eq!(
            QlfcParams::parse(Revision::Second, &buf),
            Some(QlfcParams::default())
        );
        for (i, bad_value) in [0, 0, 0, 0, 8].into_iter().enumerate() {
            let mut bad = buf.clone();
            bad[i] = bad_value;
            assert_eq!(QlfcParams::parse(Revision::Second, &bad), None, "byte {i}");
        }
        assert_eq!(QlfcParams::parse(Revision::Second, &buf[..4]), None);
        // The first revision's four bytes model every bit of a rank.
        let first = QlfcParams::parse(Revision::First, &buf[..4]).unwrap();
        assert_eq!(first.modelled_rank_bits, 7);
        assert_eq!(QlfcParams::parse(Revision::First, &buf[..3]), None);
    }

    #[test]
    fn every_count_of_modelled_rank_bits_round_trips() {
        // Many distinct bytes, so that ranks have all their low bits.
        let data: Vec<u8> = crate::test_support::noise(20_000, 5)
            .into_iter()
            .map(|b| b % 200)
            .collect();
        for modelled_rank_bits in 0..=7 {
            let params = QlfcParams {
                modelled_rank_bits,
                ..QlfcParams::default()
            };
            let code = encode(&data, params, Vec::new());
            let mut back = Vec::new();
            assert!(decode(&code, data.len(), params, &mut back));
            assert_eq!(back, data, "{modelled_rank_bits}");
        }
    }
}
