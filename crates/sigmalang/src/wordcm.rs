//! The word-aware context-mixing model that codes a glyph block directly, without a BWT (the
//! `Context`, `TextContext` and `TextLean` frame methods of the top levels).
//!
//! Each byte is coded as eight binary decisions. In the model's first revision twelve contexts
//! predict each bit: the previous 1, 2, 3, 4, 5 and 8 bytes; the 2nd and 3rd bytes back
//! (skipping the last); the column with the byte above it in the previous line (for tables,
//! logs and code); the current token alone, with the previous token, with the token before
//! that, and with both. Tokens follow the glyph layout: one Σ-bank code (its one to three
//! bytes), one run of spelled letters or digits, or one other byte, so the word contexts see
//! whole words whether they were banked or spelled. The second revision adds five: the column
//! of the decoded text (which codes hide from byte contexts; it predicts where hard-wrapped
//! prose breaks its lines) with the last byte, and with the previous line's length; the
//! current token with the topic (the last rarer word) and with the last two words; and the
//! last two bytes with the two bytes that followed them last. The third revision keeps eight
//! of the first revision's twelve (the previous 1 to 4 bytes, the token alone and with either
//! token before it, and the column), for about a third of the second revision's time.
//!
//! Each context owns a hash table of 16-byte groups, one group per context and half byte; byte
//! 0 of a group holds a check value, and a group whose check differs is reset, so a collision
//! reads as "unseen" rather than as another context's statistics (from the second revision on,
//! the check is looked for in three neighbouring groups and the least used is replaced). The
//! other 15 bytes are bit histories, one per node of the half byte's binary tree: a state
//! standing for how many zeros and ones the context has seen there (recent ones weighing
//! more), which an adaptive map per context turns into a probability. A match model predicts
//! the byte that followed the last occurrence of the previous six bytes. The predictions,
//! stretched, are mixed by three weight sets (chosen by the partial byte and match state, by
//! how many contexts have been seen before with the previous byte, and by the byte before that
//! with the bit position; the second revision adds the previous token and the text column),
//! whose outputs a final mixer combines; three secondary estimators then refine it.
//!
//! The third revision is built for speed: half of the second's time went to waiting for
//! memory. It mixes with the first two weight sets only and averages them instead of mixing
//! again, refines with the order-1 estimator alone, and its match model keeps the predicted
//! byte in the table entry beside the position (and a check instead of comparing the bytes
//! before), so a lookup is one memory access, made together with the half byte's group reads.
//! Integer arithmetic only.

use crate::cm::{adapt, counted_rates, squash, stretch_table, Apm};
use crate::rangecoder;
use crate::transform::{ESC, LAST_FLAG, SYMBOL_END, WORD_END};

/// Hashed contexts of the second revision (the first revision uses the first twelve).
const MAX_CONTEXTS: usize = 17;
/// Mixer inputs at most: the contexts, the match model, order 0 and a bias.
const MAX_INPUTS: usize = MAX_CONTEXTS + 3;
/// First-layer mixer weight sets of the second revision, each chosen by its own context (the
/// first revision uses the first three).
const MAX_SETS: usize = 5;
/// Bytes that must repeat before the match model looks for where they occurred last.
const MATCH_MIN: usize = 6;
/// Longest match the match model distinguishes.
const MATCH_LONGEST: usize = 15;
/// Mixer weights are 16.16 fixed point.
const MAX_WEIGHT: i32 = 1 << 19;
/// Smallest table, in groups, whatever the block.
pub const MIN_TABLE_LOG: u8 = 10;
/// Largest table the format allows, in groups: each context's table then takes
/// 2^22 × 16 bytes = 64 MiB.
pub const MAX_TABLE_LOG: u8 = 22;
/// Smallest mixer learning rate shift a payload may carry.
const MIN_MIXER_SHIFT: u8 = 4;
/// Bytes of one group of bit histories (the check byte and 15 states).
const GROUP_BYTES: u64 = 16;

/// Which version of the model codes a block: the frame method names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Format version 2's model (method `Context`): twelve contexts, three weight sets, one
    /// group per context hash.
    First,
    /// Format version 3's model (method `TextContext`): five more contexts that follow the
    /// decoded text's layout and words, two more weight sets, and each context's group looked
    /// for among three neighbours.
    Second,
    /// Format version 8's model (method `TextLean`): eight of the first revision's contexts,
    /// each looked for among three neighbours, two weight sets averaged, the order-1 secondary
    /// estimator alone, and a match model that reads memory once per lookup.
    Third,
}

impl Revision {
    /// Which of the contexts [`Model::byte_contexts`] hashes the revision uses, in order.
    fn context_ids(self) -> &'static [usize] {
        const ALL: [usize; MAX_CONTEXTS] =
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        match self {
            Revision::First => &ALL[..12],
            Revision::Second => &ALL,
            Revision::Third => &[0, 1, 2, 3, 6, 7, 8, 11],
        }
    }

    fn sets(self) -> usize {
        match self {
            Revision::First => 3,
            Revision::Second => MAX_SETS,
            Revision::Third => 2,
        }
    }

    /// Groups a context's hash may occupy.
    fn probes(self) -> usize {
        match self {
            Revision::First => 1,
            Revision::Second | Revision::Third => 3,
        }
    }
}

/// The model's tunable constants, carried in every payload that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordModelParams {
    /// Each context table has at most 2^this groups (fewer for short blocks).
    pub table_max_log: u8,
    /// The state maps adapt at rate 1/(n + 1.5) until their count n reaches
    /// 2^`map_limit_log` − 1 (at most 10).
    pub map_limit_log: u8,
    /// Mixer learning rate: weights move by input × error >> this.
    pub mixer_shift: u8,
    /// Adaptation shift of the secondary estimators.
    pub apm_rate: u8,
}

impl WordModelParams {
    /// Size of the serialised parameters.
    pub const LEN: usize = 4;

    /// Appends the parameters to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            self.table_max_log,
            self.map_limit_log,
            self.mixer_shift,
            self.apm_rate,
        ]);
    }

    /// Reads parameters written by [`WordModelParams::write`], rejecting values a decoder does
    /// not support (which also bounds the memory a payload can make it allocate).
    pub fn parse(buf: &[u8]) -> Option<WordModelParams> {
        let b: [u8; Self::LEN] = buf.get(..Self::LEN)?.try_into().ok()?;
        let p = WordModelParams {
            table_max_log: b[0],
            map_limit_log: b[1],
            mixer_shift: b[2],
            apm_rate: b[3],
        };
        let valid = (MIN_TABLE_LOG..=MAX_TABLE_LOG).contains(&p.table_max_log)
            && (1..=10).contains(&p.map_limit_log)
            && (MIN_MIXER_SHIFT..=20).contains(&p.mixer_shift)
            && (1..=15).contains(&p.apm_rate);
        valid.then_some(p)
    }

    /// The parameters the reference encoder gives `revision`: the defaults, but for the
    /// second revision's secondary estimators, which adapt at 1/64 instead of 1/128. With soft
    /// line breaks that made the first 32 MiB of text-100m.txt 0.047 % smaller at level 8 and
    /// of mixed-100m.txt 0.29 % (8 MiB: 0.064 % and 0.23 %; 1/32 gained more on the mixed
    /// slices, no more on prose). The third revision's lose with it on prose (32 MiB 0.036 %
    /// larger).
    pub fn for_revision(revision: Revision) -> Self {
        let default = WordModelParams::default();
        match revision {
            Revision::Second => WordModelParams {
                apm_rate: 6,
                ..default
            },
            Revision::First | Revision::Third => default,
        }
    }

    /// These parameters, in `revision`, for a block the codebook does not cover (code, markup,
    /// logs, tables: most of the mixed corpus), whose statistics change faster than prose's:
    /// the second revision's mixers then learn twice as fast. At level 8 the first 32 MiB of
    /// mixed-100m.txt coded 0.22 % smaller with them (8 MiB 0.47 %, 1 MiB 0.79 %), while prose,
    /// which the codebook covers, lost (32 MiB of text-100m.txt 0.21 % larger). The third
    /// revision's gain less on small blocks (1 MiB of the mixed corpus 0.48 %, 4 MiB 0.12 %)
    /// and lose on the large ones of level 7 (32 MiB 0.03 % larger), so they stay.
    pub fn for_uncovered_text(self, revision: Revision) -> Self {
        match revision {
            Revision::Second => WordModelParams {
                mixer_shift: self.mixer_shift.saturating_sub(1).max(MIN_MIXER_SHIFT),
                ..self
            },
            Revision::First | Revision::Third => self,
        }
    }

    /// Groups per table, as a power of two, for a block of `block_len` bytes: a quarter of
    /// the block, within the bounds.
    pub fn table_log(&self, block_len: usize) -> u32 {
        let wanted = (block_len / 4).max(1).next_power_of_two().trailing_zeros();
        wanted.clamp(u32::from(MIN_TABLE_LOG), u32::from(self.table_max_log))
    }
}

impl Default for WordModelParams {
    /// Tuned on English prose.
    fn default() -> Self {
        WordModelParams {
            table_max_log: 20,
            map_limit_log: 10,
            mixer_shift: 11,
            apm_rate: 7,
        }
    }
}

/// Memory `revision`'s tables take with at most 2^`table_max_log` groups per table: its
/// context tables, the match model's (16 bytes per group in every revision) and a bound for
/// the rest: the secondary estimators of orders 1 and 2 take 22 MiB in the first two
/// revisions, the third's of order 1 alone 4 MiB, mixer weights and maps much less. The match
/// model's copy of the block is not included.
pub fn model_memory(table_max_log: u8, revision: Revision) -> u64 {
    let contexts = revision.context_ids().len() as u64;
    let rest: u64 = match revision {
        Revision::First | Revision::Second => 24 << 20,
        Revision::Third => 6 << 20,
    };
    ((contexts * GROUP_BYTES + 16) << table_max_log) + rest
}

/// How the glyph stream's Σ-bank codes are laid out, so the model can tell where a code ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLayout {
    /// Number of one-byte codes.
    pub one_byte_codes: u8,
    /// Number of code prefixes that start a two-byte code.
    pub two_byte_prefixes: u8,
    /// Entries of the Σ-bank that opens the block.
    pub bank_entries: u64,
}

impl CodeLayout {
    /// No Σ-bank codes: every byte is plain text.
    pub const PLAIN: CodeLayout = CodeLayout {
        one_byte_codes: 128,
        two_byte_prefixes: 0,
        bank_entries: 0,
    };

    /// Bytes that follow the code byte `lead` (≥ 0x80).
    #[inline]
    fn trailing_bytes(&self, lead: u8) -> u8 {
        let rank = u16::from(lead - 0x80);
        if rank < u16::from(self.one_byte_codes) {
            0
        } else if rank < u16::from(self.one_byte_codes) + u16::from(self.two_byte_prefixes) {
            1
        } else {
            2
        }
    }
}

/// The bit-history states: state 0 is "nothing seen"; every other state stands for a pair of
/// counts (zeros, ones).
struct BitHistory {
    next: [[u8; 2]; 256],
    counts: [(u8, u8); 256],
}

/// Neither count of a bit history exceeds this.
const HISTORY_COUNT_MAX: u32 = 40;
/// (zeros + 1) × (ones + 1) of a bit history is at most this, which keeps the states to 219.
const HISTORY_AREA: u32 = 72;

/// The counts after seeing `bit`: its own count grows by one, the other, if over two, is
/// roughly halved (so the history follows change), and the pair is then brought back within
/// bounds by lowering the other count first.
fn history_step(zeros: u32, ones: u32, bit: u32) -> (u32, u32) {
    let discount = |n: u32| if n > 2 { n / 2 + 1 } else { n };
    let (mut own, mut other) = if bit == 1 {
        (ones + 1, discount(zeros))
    } else {
        (zeros + 1, discount(ones))
    };
    while own.max(other) > HISTORY_COUNT_MAX || (own + 1) * (other + 1) > HISTORY_AREA {
        if other > 0 {
            other -= 1;
        } else {
            own -= 1;
        }
    }
    if bit == 1 {
        (other, own)
    } else {
        (own, other)
    }
}

/// The state table, numbered in the order a breadth-first walk from (0, 0) meets the states
/// (bit 0 before bit 1), as the format specifies.
fn bit_history() -> &'static BitHistory {
    static TABLE: std::sync::OnceLock<BitHistory> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut states = vec![(0u32, 0u32)];
        let mut next = [[0u8; 2]; 256];
        let mut i = 0;
        while i < states.len() {
            let (zeros, ones) = states[i];
            for bit in 0..2 {
                let to = history_step(zeros, ones, bit);
                let id = match states.iter().position(|&s| s == to) {
                    Some(id) => id,
                    None => {
                        states.push(to);
                        states.len() - 1
                    }
                };
                next[i][bit as usize] = id as u8;
            }
            i += 1;
        }
        let mut counts = [(0u8, 0u8); 256];
        for (c, &(zeros, ones)) in counts.iter_mut().zip(&states) {
            *c = (zeros as u8, ones as u8);
        }
        BitHistory { next, counts }
    })
}

/// A mixer's output in the stretched domain: Σ (w × x) >> 8, then >> 8 (weights are 16.16).
#[inline(always)]
fn dot(weights: &[i32], inputs: &[i32]) -> i32 {
    let sum: i32 = weights
        .iter()
        .zip(inputs)
        .map(|(&w, &x)| (w * x) >> 8)
        .sum();
    (sum >> 8).clamp(-2047, 2047)
}

/// Moves a mixer's weights against its error.
#[inline(always)]
fn train(weights: &mut [i32], inputs: &[i32], err: i32, shift: u8) {
    for (w, &x) in weights.iter_mut().zip(inputs) {
        // Bounded so that w * x can never overflow, whatever the input.
        *w = (*w + ((x * err) >> shift)).clamp(-MAX_WEIGHT, MAX_WEIGHT);
    }
}

#[inline(always)]
fn hash64(x: u64, salt: u64) -> u32 {
    let x = x
        .wrapping_add(salt.wrapping_mul(0x1234_5678_9ABC_DEF1))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 32) as u32 ^ x as u32
}

#[inline(always)]
fn mix_token(h: u32, b: u8) -> u32 {
    h.wrapping_add(u32::from(b) + 1).wrapping_mul(0x3D4D_51CB)
}

struct Model {
    stretch: &'static [i16; 4096],
    params: WordModelParams,
    revision: Revision,
    /// Contexts, mixer inputs, weight sets and group probes the revision uses.
    context_ids: &'static [usize],
    contexts: usize,
    inputs_len: usize,
    sets: usize,
    probes: usize,
    /// 65536 / (n + 1.5), the state maps' adaptation rate at count n.
    recip: Vec<u16>,
    histories: &'static BitHistory,
    order0: Vec<u16>,
    tables: Vec<Vec<u8>>,
    /// Where each table's first group starts: the groups are aligned to cache lines, so the
    /// neighbours a hash may probe share its home group's line.
    table_base: [usize; MAX_CONTEXTS],
    table_shift: u32,
    context_hash: [u32; MAX_CONTEXTS],
    group: [usize; MAX_CONTEXTS],
    slot: [usize; MAX_CONTEXTS],
    /// Per context and state: a 22-bit probability and a 10-bit count.
    state_maps: Vec<u32>,
    state_slot: [usize; MAX_CONTEXTS],
    inputs: [i32; MAX_INPUTS],
    /// First-layer weight sets: by partial byte and match state, by contexts seen and the
    /// previous byte, by the byte before that and the bit position.
    weights: Vec<Vec<i32>>,
    set: [usize; MAX_SETS],
    p_set: [i32; MAX_SETS],
    /// The first layer's outputs, then the final mixer's constant bias.
    d_set: [i32; MAX_SETS + 1],
    final_weights: Vec<i32>,
    final_set: usize,
    p_mixed: i32,
    /// The order-0 and order-2 estimators are the first two revisions' only.
    apm_order0: Option<Apm>,
    apm_order1: Apm,
    apm_order2: Option<Apm>,
    /// The order-2 APM's context for the current byte: the last two bytes, hashed to 10 bits,
    /// times 256.
    apm_order2_base: usize,
    /// The previous token's weight set in the fourth first-layer mixer (hashed once a byte).
    previous_token_set: usize,
    layout: CodeLayout,
    // match model: the block so far, where each hash of `MATCH_MIN` bytes last ended, the
    // current match (position of the byte it predicts, the byte, and its length) and its
    // counters
    seen_bytes: Vec<u8>,
    /// First two revisions: the end of the last occurrence of each hash.
    match_table: Vec<u32>,
    /// Third revision: per hash, the end of its last occurrence << 24 | a 16-bit check << 8 |
    /// the byte that followed; and the entry of the hash just ended (slot, entry without its
    /// byte), which is written once the next byte is known and looked up with the next half
    /// byte's groups.
    match_entries: Vec<u64>,
    match_pending: Option<(usize, u64)>,
    match_shift: u32,
    match_ptr: usize,
    match_expected: u8,
    match_len: usize,
    match_counters: Vec<u16>,
    match_slot: Option<usize>,
    // byte history
    history: u64,
    token: u32,
    previous_token: u32,
    token_before: u32,
    code_bytes_left: u8,
    /// The Σ-bank code being read (7 bits per byte) and its length in bytes.
    code: u32,
    code_len: u8,
    /// Σ-bank entries still to come in the block's bank section, the length of the current
    /// one, and the lengths (at most 255) of those read.
    bank_entries_left: u64,
    entry_length: u8,
    entry_lengths: Vec<u8>,
    /// Column of the decoded text, and the length of its previous line.
    text_column: u32,
    /// For each pair of bytes, the two bytes that followed it the last two times.
    followers: Vec<u16>,
    /// The last two words (spelled or coded), skipping punctuation.
    last_word: u32,
    word_before: u32,
    /// The token of the last word with a multi-byte code: a rarer word, so the topic.
    topic: u32,
    previous_line_length: u32,
    /// Where the current line starts in `seen_bytes`, and where the previous one started.
    line_start: usize,
    previous_line_start: usize,
    // bit state
    c0: usize,
    bit_pos: u32,
    nibble: usize,
}

impl Model {
    fn new(
        block_len: usize,
        params: WordModelParams,
        revision: Revision,
        layout: CodeLayout,
    ) -> Self {
        let table_log = params.table_log(block_len);
        let context_ids = revision.context_ids();
        let contexts = context_ids.len();
        let inputs_len = contexts + 3;
        let sets = revision.sets();
        let lean = revision == Revision::Third;
        // Each set's size: the number of its selecting contexts.
        let set_sizes = [3 * 256, (contexts + 1) * 256, 256 * 8, 2048, 256];
        let histories = bit_history();
        // Both kinds of match table take 16 bytes per context group.
        let match_log = if lean { table_log + 1 } else { table_log + 2 };
        let apm_rate = u32::from(params.apm_rate);
        let mut m = Model {
            seen_bytes: Vec::with_capacity(block_len),
            match_table: if lean {
                Vec::new()
            } else {
                vec![0; 1 << match_log]
            },
            match_entries: if lean {
                vec![0; 1 << match_log]
            } else {
                Vec::new()
            },
            match_pending: None,
            match_shift: 32 - match_log,
            match_ptr: 0,
            match_expected: 0,
            match_len: 0,
            match_counters: vec![1 << 15; (MATCH_LONGEST + 1) * 2],
            match_slot: None,
            stretch: stretch_table(),
            params,
            revision,
            context_ids,
            contexts,
            inputs_len,
            sets,
            probes: revision.probes(),
            recip: counted_rates().to_vec(),
            histories,
            order0: vec![32768; 256],
            // 64 bytes more, to start the groups on a cache line.
            tables: (0..contexts)
                .map(|_| vec![0u8; (16 << table_log) + 64])
                .collect(),
            table_base: [0; MAX_CONTEXTS],
            table_shift: 32 - table_log,
            context_hash: [0; MAX_CONTEXTS],
            group: [0; MAX_CONTEXTS],
            slot: [0; MAX_CONTEXTS],
            state_maps: (0..contexts * 256)
                .map(|i| {
                    // Start from what the counts say: (ones + ½) / (zeros + ones + 1).
                    let (zeros, ones) = histories.counts[i % 256];
                    let (zeros, ones) = (u32::from(zeros), u32::from(ones));
                    (((2 * ones + 1) << 22) / (2 * (zeros + ones) + 2)) << 10
                })
                .collect(),
            state_slot: [0; MAX_CONTEXTS],
            inputs: [0; MAX_INPUTS],
            weights: set_sizes[..sets]
                .iter()
                .map(|&n| vec![1 << 14; n * inputs_len])
                .collect(),
            set: [0; MAX_SETS],
            p_set: [2048; MAX_SETS],
            // The last input is the final mixer's constant bias.
            d_set: std::array::from_fn(|j| if j == sets { 256 } else { 0 }),
            final_weights: (0..if lean { 0 } else { 256 * (sets + 1) })
                .map(|i| {
                    if i % (sets + 1) < sets {
                        65536 / sets as i32
                    } else {
                        0
                    }
                })
                .collect(),
            final_set: 0,
            p_mixed: 2048,
            apm_order0: (!lean).then(|| Apm::new(256, apm_rate)),
            apm_order1: Apm::new(65536, apm_rate),
            apm_order2: (!lean).then(|| Apm::new(1 << 18, apm_rate)),
            apm_order2_base: 0,
            previous_token_set: 0,
            layout,
            history: 0,
            token: 0,
            previous_token: 0,
            token_before: 0,
            code_bytes_left: 0,
            code: 0,
            code_len: 0,
            bank_entries_left: layout.bank_entries,
            entry_length: 0,
            entry_lengths: Vec::new(),
            text_column: 0,
            followers: vec![0; 65536],
            last_word: 0,
            word_before: 0,
            topic: 0,
            previous_line_length: 0,
            line_start: 0,
            previous_line_start: 0,
            c0: 1,
            bit_pos: 0,
            nibble: 1,
        };
        for (base, table) in m.table_base.iter_mut().zip(&m.tables) {
            *base = (64 - table.as_ptr() as usize % 64) % 64;
        }
        m.byte_contexts();
        m.select_groups();
        m
    }

    /// Ends a token: a word (spelled or coded) or a punctuation byte.
    fn end_token(&mut self, token: u32, word: bool) {
        self.token_before = self.previous_token;
        self.previous_token = token;
        self.token = 0;
        if word {
            self.word_before = self.last_word;
            self.last_word = token;
        }
    }

    /// Follows the token structure after byte `b` and hashes the byte contexts.
    fn next_byte(&mut self, b: u8) {
        let pair = (self.history & 0xffff) as usize;
        self.followers[pair] = self.followers[pair] << 8 | u16::from(b);
        self.history = self.history << 8 | u64::from(b);
        self.follow_match(b);
        if b == b'\n' {
            self.previous_line_start = self.line_start;
            self.line_start = self.seen_bytes.len();
        }
        self.follow_text(b);
        if self.code_bytes_left > 0 {
            self.code_bytes_left -= 1;
            self.token = mix_token(self.token, b);
            self.code = self.code << 7 | u32::from(b & 0x7f);
            if self.code_bytes_left == 0 {
                self.end_token(self.token, true);
                self.end_code();
            }
        } else if b >= 0x80 {
            if self.token != 0 {
                self.end_token(self.token, true);
            }
            self.token = mix_token(0, b);
            self.code = u32::from(b & 0x7f);
            self.code_bytes_left = self.layout.trailing_bytes(b);
            self.code_len = self.code_bytes_left + 1;
            if self.code_bytes_left == 0 {
                self.end_token(self.token, true);
                self.end_code();
            }
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() {
            self.token = mix_token(self.token, b);
        } else {
            if self.token != 0 {
                self.end_token(self.token, true);
            }
            // A space separates tokens without being one, so the word contexts span it.
            if b != b' ' {
                self.end_token(u32::from(b) + 7, false);
            }
        }
        self.byte_contexts();
    }

    /// Follows the decoded text's layout: while the block's Σ-bank section lasts, the length
    /// of each entry; after it, the column in the text the glyphs spell, counting each code as
    /// its entry and a space, each flag as nothing and every other byte as one character.
    fn follow_text(&mut self, b: u8) {
        if self.bank_entries_left > 0 {
            if b == WORD_END || b == SYMBOL_END {
                self.bank_entries_left -= 1;
                self.entry_lengths.push(self.entry_length);
                self.entry_length = 0;
            } else {
                self.entry_length = self.entry_length.saturating_add(1);
            }
        } else if b == b'\n' {
            self.previous_line_length = self.text_column;
            self.text_column = 0;
        } else if b < 0x80 && !(ESC..=LAST_FLAG).contains(&b) {
            self.text_column = self.text_column.saturating_add(1);
        }
    }

    /// A Σ-bank code has ended: moves the text column past its entry, and remembers a rarer
    /// (multi-byte) word as the topic.
    fn end_code(&mut self) {
        if self.bank_entries_left > 0 {
            return;
        }
        let n1 = u64::from(self.layout.one_byte_codes);
        let n2 = u64::from(self.layout.two_byte_prefixes);
        let code = u64::from(self.code);
        // The inverse of the transform's code layout; `trailing_bytes` guarantees that the
        // lead is at least n1 (two bytes) or n1 + n2 (three bytes).
        let rank = match self.code_len {
            1 => code,
            2 => n1 + ((code >> 7) - n1) * 128 + (code & 127),
            _ => n1 + 128 * n2 + ((code >> 14) - n1 - n2) * 16384 + (code & 16383),
        };
        if self.code_len > 1 {
            self.topic = self.previous_token;
        }
        let length = usize::try_from(rank)
            .ok()
            .and_then(|rank| self.entry_lengths.get(rank))
            .map_or(1, |&n| u32::from(n));
        self.text_column = self.text_column.saturating_add(length + 1);
    }

    /// Extends the current match by `b`, or looks for a new one ending here (the third
    /// revision only notes where to look, see [`Model::probe_match`]).
    fn follow_match(&mut self, b: u8) {
        self.seen_bytes.push(b);
        if self.match_len > 0 && self.match_expected == b {
            self.match_len = (self.match_len + 1).min(MATCH_LONGEST);
            self.match_ptr += 1;
        } else {
            self.match_len = 0;
        }
        if self.revision == Revision::Third {
            self.note_match_entry(b);
        } else {
            self.look_for_match();
        }
        if self.match_len > 0 {
            self.match_expected = self.seen_bytes[self.match_ptr];
        }
    }

    /// Third revision: completes the entry of the hash that ended a byte ago with `b`, the
    /// byte that followed it, and notes the entry of the hash ending here.
    fn note_match_entry(&mut self, b: u8) {
        if let Some((slot, entry)) = self.match_pending.take() {
            self.match_entries[slot] = entry | u64::from(b);
        }
        let end = self.seen_bytes.len();
        if end >= MATCH_MIN {
            let key = self.history & 0xffff_ffff_ffff;
            let slot = (hash64(key, 9) >> self.match_shift) as usize;
            let check = u64::from(hash64(key, 21) & 0xffff);
            self.match_pending = Some((slot, (end as u64) << 24 | check << 8));
        }
    }

    /// Third revision: unless a match is going on, starts one where the hash that just ended
    /// last occurred, if the entry's check agrees. Called with the half byte's group reads, so
    /// that their memory accesses overlap.
    fn probe_match(&mut self) {
        if self.match_len > 0 {
            return;
        }
        if let Some((slot, pending)) = self.match_pending {
            let entry = self.match_entries[slot];
            if entry != 0 && (entry ^ pending) >> 8 & 0xffff == 0 {
                self.match_len = 1;
                self.match_ptr = (entry >> 24) as usize;
                self.match_expected = entry as u8;
            }
        }
    }

    /// First two revisions: unless a match is going on, starts one where the last
    /// `MATCH_MIN` bytes last occurred, if at least that many bytes before it agree.
    fn look_for_match(&mut self) {
        let end = self.seen_bytes.len();
        if end < MATCH_MIN {
            return;
        }
        let key = self.history & 0xffff_ffff_ffff;
        let slot = (hash64(key, 9) >> self.match_shift) as usize;
        if self.match_len == 0 {
            let candidate = self.match_table[slot] as usize;
            if candidate > 0 {
                let len = (1..=MATCH_LONGEST)
                    .take_while(|&i| {
                        i <= candidate && self.seen_bytes[candidate - i] == self.seen_bytes[end - i]
                    })
                    .count();
                if len >= MATCH_MIN {
                    self.match_len = len;
                    self.match_ptr = candidate;
                }
            }
        }
        self.match_table[slot] = end as u32;
    }

    fn byte_contexts(&mut self) {
        let h = self.history;
        self.apm_order2_base = (hash64(h & 0xffff, 13) >> 22) as usize * 256;
        self.previous_token_set = (hash64(u64::from(self.previous_token), 17) >> 21) as usize;
        let token = u64::from(self.token);
        let column = (self.seen_bytes.len() - self.line_start) as u64;
        let above = if self.line_start > 0 {
            let at = self.previous_line_start + column as usize;
            if at < self.line_start {
                self.seen_bytes[at]
            } else {
                0
            }
        } else {
            0
        };
        let text_column = u64::from(self.text_column.min(255));
        let all = [
            hash64(h & 0xff, 1),
            hash64(h & 0xffff, 2),
            hash64(h & 0xff_ffff, 3),
            hash64(h & 0xffff_ffff, 4),
            hash64(h & 0xff_ffff_ffff, 5),
            hash64(h, 11),
            hash64(token, 10),
            hash64(token | u64::from(self.token_before) << 32, 12),
            hash64(token | u64::from(self.previous_token) << 32, 7),
            hash64(
                token | u64::from(self.previous_token ^ self.token_before.rotate_left(7)) << 32,
                8,
            ),
            hash64(h >> 8 & 0xffff, 14),
            hash64(
                u64::from(above) << 16 | column.min(255) << 8 | (h & 0xff),
                15,
            ),
            // The second revision's contexts.
            hash64(text_column << 8 | (h & 0xff), 16),
            hash64(
                text_column << 8 | u64::from(self.previous_line_length.min(255)),
                17,
            ),
            hash64(token | u64::from(self.topic) << 32, 18),
            hash64(
                token | u64::from(self.last_word ^ self.word_before.rotate_left(9)) << 32,
                19,
            ),
            hash64(
                u64::from(self.followers[(h & 0xffff) as usize]) << 16 | (h & 0xffff),
                20,
            ),
        ];
        for (hash, &id) in self.context_hash.iter_mut().zip(self.context_ids) {
            *hash = all[id];
        }
    }

    /// Finds (and claims, if its check differs) each context's group for the next half byte.
    fn select_groups(&mut self) {
        let partial = (self.c0 as u32).wrapping_mul(0x2F0B_3A49);
        // Every context's home group is read first, in a loop without branches, so their
        // cache misses run in parallel; a branch on each read as it arrives would wait for
        // them one by one.
        let mut home = [0usize; MAX_CONTEXTS];
        let mut check = [0u8; MAX_CONTEXTS];
        let mut home_check = [0u8; MAX_CONTEXTS];
        for i in 0..self.contexts {
            let k = self.context_hash[i]
                .wrapping_add(partial)
                .wrapping_mul(0x9E37_79B1);
            let k = k ^ (k >> 16);
            home[i] = (k >> self.table_shift) as usize;
            // Never zero, so a check never equals a fresh group's.
            check[i] = (k as u8).max(1);
            home_check[i] = self.tables[i][self.table_base[i] + home[i] * 16];
        }
        if self.revision == Revision::Third && self.bit_pos == 0 {
            self.probe_match();
        }
        for i in 0..self.contexts {
            let table = &mut self.tables[i];
            let mut found = None;
            let mut victim = self.table_base[i] + home[i] * 16;
            let mut victim_n = u32::MAX;
            for j in 0..self.probes {
                // The neighbours share the home group's cache line.
                let g = self.table_base[i] + (home[i] ^ j) * 16;
                let group_check = if j == 0 { home_check[i] } else { table[g] };
                if group_check == check[i] {
                    found = Some(g);
                    break;
                }
                let (z, o) = self.histories.counts[usize::from(table[g + 1])];
                let n = u32::from(z) + u32::from(o);
                if n < victim_n {
                    victim_n = n;
                    victim = g;
                }
            }
            let group = match found {
                Some(g) => g,
                None => {
                    let slots = &mut table[victim..victim + 16];
                    slots.fill(0);
                    slots[0] = check[i];
                    victim
                }
            };
            self.group[i] = group;
        }
    }

    /// The rows of the order-1 and order-2 secondary estimators for the next bit.
    #[inline(always)]
    fn apm_contexts(&self) -> (usize, usize) {
        let c1 = (self.history & 0xff) as usize;
        (c1 << 8 | self.c0, self.apm_order2_base | self.c0)
    }

    #[inline(always)]
    fn st(&self, p12: usize) -> i32 {
        i32::from(self.stretch[p12])
    }

    /// P(next bit = 1) on the coder's 16-bit scale.
    #[inline(always)]
    fn predict(&mut self) -> u32 {
        let mut seen = 0;
        for i in 0..self.contexts {
            self.slot[i] = self.group[i] + self.nibble;
            let state = self.tables[i][self.slot[i]];
            self.state_slot[i] = i * 256 + usize::from(state);
            // A context never seen here says nothing: it gets no vote rather than an even one.
            self.inputs[i] = if state == 0 {
                0
            } else {
                seen += 1;
                self.st((self.state_maps[self.state_slot[i]] >> 20) as usize)
            };
        }
        self.match_slot = None;
        let match_input = self.contexts;
        self.inputs[match_input] = 0;
        if self.match_len > 0 {
            let expected = usize::from(self.match_expected) | 256;
            // The match predicts only while the byte so far agrees with it.
            if expected >> (8 - self.bit_pos) == self.c0 {
                let bit = (expected >> (7 - self.bit_pos)) & 1;
                let slot = self.match_len * 2 + bit;
                let st = self.st(usize::from(self.match_counters[slot] >> 4));
                self.inputs[match_input] = if bit == 1 { st } else { -st };
                self.match_slot = Some(slot);
            }
        }
        self.inputs[match_input + 1] = self.st(usize::from(self.order0[self.c0] >> 4));
        self.inputs[match_input + 2] = 256;
        let c1 = (self.history & 0xff) as usize;
        let match_state = match self.match_slot {
            None => 0,
            Some(_) if self.match_len < 12 => 1,
            Some(_) => 2,
        };
        let c2 = (self.history >> 8 & 0xff) as usize;
        self.set = [
            match_state * 256 + self.c0,
            seen * 256 + c1,
            c2 * 8 + self.bit_pos as usize,
            self.previous_token_set,
            self.text_column.min(255) as usize,
        ]
        .map(|selector| selector * self.inputs_len);
        let inputs = &self.inputs[..self.inputs_len];
        for k in 0..self.sets {
            let d = dot(&self.weights[k][self.set[k]..][..self.inputs_len], inputs);
            self.d_set[k] = d;
            self.p_set[k] = squash(d);
        }
        let st = if self.revision == Revision::Third {
            (self.d_set[0] + self.d_set[1]) >> 1
        } else {
            let final_len = self.sets + 1;
            self.final_set = self.c0 * final_len;
            dot(
                &self.final_weights[self.final_set..][..final_len],
                &self.d_set[..final_len],
            )
        };
        self.p_mixed = squash(st);
        let (order1, order2) = self.apm_contexts();
        let p1 = self.apm_order1.refine(st, order1);
        let p = match (&mut self.apm_order0, &mut self.apm_order2) {
            (Some(apm_order0), Some(apm_order2)) => {
                let p0 = apm_order0.refine(st, self.c0);
                let p2 = apm_order2.refine(st, order2);
                (self.p_mixed + p0 + p1 + p2 + 2) >> 2
            }
            _ => (self.p_mixed + 3 * p1 + 2) >> 2,
        };
        (p.clamp(1, 4095) as u32) << 4
    }

    #[inline(always)]
    fn update(&mut self, bit: u32) {
        let target = (bit as i32) << 12;
        let shift = self.params.mixer_shift;
        let inputs = &self.inputs[..self.inputs_len];
        for k in 0..self.sets {
            let weights = &mut self.weights[k][self.set[k]..][..self.inputs_len];
            train(weights, inputs, target - self.p_set[k], shift);
        }
        if self.revision != Revision::Third {
            let final_len = self.sets + 1;
            let weights = &mut self.final_weights[self.final_set..][..final_len];
            train(
                weights,
                &self.d_set[..final_len],
                target - self.p_mixed,
                shift + 2,
            );
        }
        let limit = (1u32 << self.params.map_limit_log) - 1;
        let goal = if bit == 1 { (1i64 << 22) - 1 } else { 0 };
        for i in 0..self.contexts {
            let map = &mut self.state_maps[self.state_slot[i]];
            let (p, n) = (i64::from(*map >> 10), *map & 1023);
            let p = p + (((goal - p) * i64::from(self.recip[n as usize])) >> 16);
            *map = (p as u32) << 10 | (n + u32::from(n < limit));
            let state = &mut self.tables[i][self.slot[i]];
            *state = self.histories.next[usize::from(*state)][bit as usize];
        }
        adapt(&mut self.order0[self.c0], bit, 5);
        if let Some(slot) = self.match_slot {
            // The counter holds the probability that the match is right.
            let right = u32::from(bit == (slot & 1) as u32);
            adapt(&mut self.match_counters[slot], right, 6);
        }
        if let Some(apm) = &mut self.apm_order0 {
            apm.update(bit);
        }
        self.apm_order1.update(bit);
        if let Some(apm) = &mut self.apm_order2 {
            apm.update(bit);
        }

        self.c0 = self.c0 << 1 | bit as usize;
        self.nibble = self.nibble << 1 | bit as usize;
        self.bit_pos += 1;
        if self.bit_pos == 8 {
            let byte = (self.c0 & 0xff) as u8;
            self.c0 = 1;
            self.bit_pos = 0;
            self.next_byte(byte);
        }
        let (order1, order2) = self.apm_contexts();
        self.apm_order1.warm(order1);
        if let Some(apm) = &self.apm_order2 {
            apm.warm(order2);
        }
        if self.bit_pos % 4 == 0 {
            self.nibble = 1;
            self.select_groups();
        }
    }

    fn last_byte(&self) -> u8 {
        self.history as u8
    }
}

/// Entropy codes `block`, appending the code to `out`.
pub fn encode(
    block: &[u8],
    params: WordModelParams,
    revision: Revision,
    layout: CodeLayout,
    out: Vec<u8>,
) -> Vec<u8> {
    let mut model = Model::new(block.len(), params, revision, layout);
    let mut coder = rangecoder::Encoder::new(out);
    for &byte in block {
        for i in (0..8).rev() {
            let bit = u32::from(byte >> i) & 1;
            coder.encode(bit, model.predict());
            model.update(bit);
        }
    }
    coder.finish()
}

/// Decodes `len` bytes from `code`, appending them to `out`; with `costs`, also appends the
/// bits each byte cost.
///
/// Returns `false` if decoding had to read past the end of `code`, which a well-formed
/// payload never does.
pub fn decode(
    code: &[u8],
    len: usize,
    params: WordModelParams,
    revision: Revision,
    layout: CodeLayout,
    out: &mut Vec<u8>,
    mut costs: Option<&mut Vec<f32>>,
) -> bool {
    let mut model = Model::new(len, params, revision, layout);
    let mut coder = rangecoder::Decoder::new(code);
    out.reserve(len);
    for _ in 0..len {
        let mut bits = 0.0f32;
        for _ in 0..8 {
            let p1 = model.predict();
            let bit = coder.decode(p1);
            if costs.is_some() {
                bits += rangecoder::bit_cost(p1, bit);
            }
            model.update(bit);
        }
        out.push(model.last_byte());
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

    const REVISIONS: [Revision; 3] = [Revision::First, Revision::Second, Revision::Third];

    /// Round trips `data` through every revision and returns their code lengths.
    fn round_trip(data: &[u8], layout: CodeLayout) -> [usize; 3] {
        let params = WordModelParams::default();
        let mut lens = [0; 3];
        for (revision, len) in REVISIONS.into_iter().zip(&mut lens) {
            let code = encode(data, params, revision, layout, Vec::new());
            let mut back = Vec::new();
            let mut costs = Vec::new();
            assert!(decode(
                &code,
                data.len(),
                params,
                revision,
                layout,
                &mut back,
                Some(&mut costs)
            ));
            assert_eq!(back, data, "{revision:?}");
            let bits: f32 = costs.iter().sum();
            assert!((bits / 8.0 - code.len() as f32).abs() < 16.0 + code.len() as f32 * 0.01);
            *len = code.len();
        }
        lens
    }

    #[test]
    fn round_trips_text_codes_and_bytes() {
        let text = b"the cat sat on the mat, and the dog sat on the log. ".repeat(50);
        for len in round_trip(&text, CodeLayout::PLAIN) {
            assert!(len < text.len() / 8, "{len}");
        }
        let codes: Vec<u8> = (0..3000u32).map(|i| 0x80 + (i * 7 % 128) as u8).collect();
        let layout = CodeLayout {
            one_byte_codes: 10,
            two_byte_prefixes: 20,
            bank_entries: 0,
        };
        round_trip(&codes, layout);
        let all: Vec<u8> = (0..=255).cycle().take(2000).collect();
        round_trip(&all, layout);
        round_trip(b"", layout);
    }

    #[test]
    fn the_match_model_codes_a_repeat_of_noise_almost_for_free() {
        let noise = crate::test_support::noise(6000, 0x2545_F491_4F6C_DD1D);
        let twice = [noise.as_slice(), noise.as_slice()].concat();
        let once = round_trip(&noise, CodeLayout::PLAIN);
        for (revision, (once, twice)) in REVISIONS
            .into_iter()
            .zip(once.into_iter().zip(round_trip(&twice, CodeLayout::PLAIN)))
        {
            assert!(
                twice < once + once / 10,
                "{revision:?}: {once} then {twice}"
            );
        }
    }

    #[test]
    fn truncated_code_reports_overrun() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let params = WordModelParams::default();
        let code = encode(
            &data,
            params,
            Revision::Second,
            CodeLayout::PLAIN,
            Vec::new(),
        );
        let mut back = Vec::new();
        let half = &code[..code.len() / 2];
        assert!(!decode(
            half,
            data.len(),
            params,
            Revision::Second,
            CodeLayout::PLAIN,
            &mut back,
            None
        ));
    }

    #[test]
    fn model_memory_covers_every_table() {
        let params = WordModelParams {
            table_max_log: 12,
            ..WordModelParams::default()
        };
        for revision in REVISIONS {
            let m = Model::new(1 << 20, params, revision, CodeLayout::PLAIN);
            let u8s = m.tables.iter().map(Vec::len).sum::<usize>();
            let u16s = m.order0.len()
                + m.recip.len()
                + m.match_counters.len()
                + m.apm_order0.as_ref().map_or(0, Apm::len)
                + m.apm_order1.len()
                + m.apm_order2.as_ref().map_or(0, Apm::len);
            let u32s = m.state_maps.len()
                + m.match_table.len()
                + 2 * m.match_entries.len()
                + m.weights.iter().map(Vec::len).sum::<usize>()
                + m.final_weights.len();
            let bytes = (u8s + 2 * u16s + 4 * u32s) as u64;
            let bound = model_memory(12, revision);
            assert!(bytes <= bound, "{revision:?}: {bytes} > {bound}");
            assert!(
                bytes > bound / 2,
                "{revision:?}: the bound {bound} is far above {bytes}"
            );
        }
    }

    #[test]
    fn bit_histories_count_and_discount() {
        let h = bit_history();
        let states = 1 + h.counts[1..].iter().take_while(|&&c| c != (0, 0)).count();
        assert_eq!(states, 219);
        assert_eq!(h.counts[usize::from(h.next[0][1])], (0, 1));
        // Eight ones, then a zero: the ones are discounted to five.
        let mut s = 0;
        for _ in 0..8 {
            s = usize::from(h.next[s][1]);
        }
        assert_eq!(h.counts[s], (0, 8));
        assert_eq!(h.counts[usize::from(h.next[s][0])], (1, 5));
        for (s, next) in h.next.iter().enumerate().take(states) {
            for &to in next {
                assert!(to != 0 && usize::from(to) < states, "state {s}");
                let (zeros, ones) = h.counts[usize::from(to)];
                assert!((u32::from(zeros) + 1) * (u32::from(ones) + 1) <= HISTORY_AREA);
            }
        }
    }

    #[test]
    fn parameters_are_range_checked() {
        let mut buf = Vec::new();
        WordModelParams::default().write(&mut buf);
        assert_eq!(
            WordModelParams::parse(&buf),
            Some(WordModelParams::default())
        );
        for (i, bad) in [(0, MAX_TABLE_LOG + 1), (1, 0), (1, 11), (2, 3), (3, 0)] {
            let mut b = buf.clone();
            b[i] = bad;
            assert_eq!(WordModelParams::parse(&b), None, "byte {i} = {bad}");
        }
    }
}
