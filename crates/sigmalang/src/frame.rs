//! The frame codec: one frame of text in, one self-contained payload out, and back.
//!
//! No I/O happens here. A payload is the frame's bytes as they are (`Stored`), or the ΣLANG
//! glyph coding: the word transform, then a Burrows–Wheeler transform and the context-mixing
//! model (`GlyphRevised`; `Glyph` frames of format versions 1 to 3 use its first revision),
//! or the BWT and fast move-to-front rank coding (`RankRevised`; `Rank` frames of format
//! versions 2 to 4 use its first revision), or no BWT and the word-aware context model
//! (`TextContext`, or `TextLean` for its faster third revision; `Context` frames of format
//! version 2 use its first revision), or the BWT and the recurrence coder
//! (`RecurrenceRevised`; `Recurrence` frames of format version 11 model every bit of a rank),
//! which codes runs by when their byte comes back. The container (`format`) records which, and
//! the decoded size.

use crate::cm::{self, ModelParams};
use crate::codebook::Codebook;
use crate::lzp::{self, LzpParams, LzpPolicy};
use crate::pipeline::HEAVY_BYTES_PER_BYTE;
use crate::qlfc::{self, QlfcParams};
use crate::rank::{self, RankParams};
use crate::token::Tokenizer;
use crate::transform::{
    self, LineBreaks, Params, Prior, Rejected, Shape, Split, TierOrder, TransformError,
};
use crate::wordcm::{self, CodeLayout, Revision, WordModelParams};
use crate::{bwt, varint};
use std::sync::{Mutex, PoisonError};

/// How a frame's payload is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The payload is the decoded bytes.
    Stored = 0,
    /// Glyph coding: optional word transform, BWT, context mixing (the model's first
    /// revision).
    Glyph = 1,
    /// Glyph coding without a BWT: optional word transform, word-aware context mixing
    /// (format version 2; the model's first revision).
    Context = 2,
    /// Fast glyph coding: optional word transform, BWT, move-to-front ranks coded with
    /// adaptive counters (format version 2).
    Rank = 3,
    /// As `Context`, with the model's second revision, which also follows the text's layout
    /// (format version 3).
    TextContext = 4,
    /// As `Glyph`, with the BWT-stage model's second revision (format version 4).
    GlyphRevised = 5,
    /// As `Rank`, with the rank model's second revision (format version 5).
    RankRevised = 6,
    /// As `Context`, with the model's third revision, which keeps eight of its contexts and
    /// waits less for memory (format version 8).
    TextLean = 7,
    /// As `GlyphRevised`, with the recurrence coder instead of the context-mixing model
    /// (format version 11).
    Recurrence = 8,
    /// As `Recurrence`, with the coder's fifth parameter: how many low bits of a rank it
    /// models (format version 12).
    RecurrenceRevised = 9,
}

impl Method {
    /// Parses a method byte.
    pub fn from_byte(b: u8) -> Option<Method> {
        match b {
            0 => Some(Method::Stored),
            1 => Some(Method::Glyph),
            2 => Some(Method::Context),
            3 => Some(Method::Rank),
            4 => Some(Method::TextContext),
            5 => Some(Method::GlyphRevised),
            6 => Some(Method::RankRevised),
            7 => Some(Method::TextLean),
            8 => Some(Method::Recurrence),
            9 => Some(Method::RecurrenceRevised),
            _ => None,
        }
    }
}

/// A frame never decodes to more than this many bytes per payload byte (plus
/// [`EXPANSION_SLACK`]); decoders reject headers that claim more, so decode work is bounded by
/// the input size.
pub const MAX_EXPANSION: u64 = 4096;
/// Constant allowance in the expansion bound, so that tiny payloads can describe small frames.
pub const EXPANSION_SLACK: u64 = 4096;

/// Largest decoded size a payload of `payload_len` bytes may declare.
pub fn max_decoded_size(payload_len: u64) -> u64 {
    payload_len
        .saturating_mul(MAX_EXPANSION)
        .saturating_add(EXPANSION_SLACK)
}

/// Tuning of the glyph coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecParams {
    /// How often an ASCII word must occur in a frame of up to 128 KiB to be put in the
    /// Σ-bank; the threshold grows with the frame (one more per 128 KiB), because rare words
    /// given multi-byte codes sort worse in the BWT stage than their spelling does.
    pub min_bank_count: u32,
    /// The entropy model's tuning, recorded in every payload.
    pub model: ModelParams,
    /// Whether to emit DELTA glyphs (words predicted by their predecessor). Off by default:
    /// with the BWT stage they cost 1.3 % on English prose, because the one DELTA byte stands
    /// for many different words and blurs the contexts the BWT sorts by.
    pub delta_glyphs: bool,
    /// Which entropy stage codes the frames.
    pub stage: Stage,
    /// When the BWT stages pack a block with LZP first (`None`: never).
    pub lzp: Option<LzpPolicy>,
    /// When the BWT stages of levels 4 to 6 (recurrence, context mixing) code a block in parts.
    pub parts: BlockParts,
    /// The recurrence stage codes shorter blocks with the context-mixing model instead.
    pub recurrence_min_block: usize,
    /// The BWT stages that code a block in parts sort a longer block in pieces of at most
    /// this many bytes, each the BWT of its own part (`usize::MAX`: never).
    pub max_sorted_block: usize,
    /// The transform codes a newline between two words as the implicit space before the
    /// second, with a bit beside the glyph stream, where the second word would end at this
    /// column or later (`None`: never).
    pub line_breaks: Option<u8>,
    /// The transform's glyph stream is rendered in two parts (side by side where a core is
    /// free) for texts of at least this many bytes (`usize::MAX`: never).
    pub split_min: usize,
}

/// The column from which the transform codes soft line breaks: a word that ends there or
/// later may follow a newline. Prose wrapped at 50 to 80 columns breaks almost only past it,
/// and below it no separator is coded, which halves the separators coded in prose. At level
/// 6, the first 32 MiB of the prose corpus coded 513 bytes smaller than from column 40 and
/// those of the mixed corpus 1,063 (from column 56, 810 and 2,656, but text wrapped at 50
/// would then lose half its soft line breaks).
pub const LINE_BREAK_MIN_END: u8 = 48;

/// Blocks of the recurrence stage shorter than this go to the context-mixing model, which
/// learns a small block faster, and whose slowness costs a small block little time. Coded by
/// the recurrence coder, the ratio file's slices came out larger than at level 6 by 11.7 %
/// (4 KB of prose), 4.4 % (32 KB), 2.6 % (32 KB of the mixed corpus), 2.5 % (`alice29.txt`)
/// and 44 % (`kennedy.xls`, a spreadsheet), against 1.1 % for 8 MiB of prose, whose block is
/// about 3 MiB.
pub const RECURRENCE_MIN_BLOCK: usize = 1 << 20;

/// Most parts a `GlyphRevised`, `Recurrence` or `RecurrenceRevised` payload may code its block
/// in.
pub const MAX_BLOCK_PARTS: usize = 16;

/// The longest block the BWT stages that code in parts sort whole ([`CodecParams`]'s
/// `max_sorted_block`). A sort needs the block and four bytes per byte of what it sorts; a
/// piece is sorted in place, so the default's 48 MiB frames of the mixed corpus, whose blocks
/// of 30 MB (0.6 of the text) are sorted in two pieces, encode in 130 MiB (sorted whole, a
/// block would need 143 MiB for its sort alone), while prose's blocks there (18-20 MB) are
/// still sorted whole.
pub const MAX_SORTED_BLOCK: usize = 24 << 20;

/// The pieces a block of `len` bytes is sorted in: enough that none is over
/// `max_sorted_block`, but no more than a block has parts.
fn sort_pieces(len: usize, max_sorted_block: usize) -> usize {
    len.div_ceil(max_sorted_block.max(1))
        .clamp(1, MAX_BLOCK_PARTS)
}

/// When the context-mixing and recurrence BWT stages code a block in parts, each with a model
/// and an arithmetic coder of its own, so that idle cores can code and decode one frame
/// together. Each part after the first costs its model's warming up again: on the default
/// level's blocks of prose and of the mixed corpus, two parts cost 0.12-0.20 % of a 1 MiB
/// frame, 0.03-0.05 % of 4 MiB and 0.01 % of 24 MiB, four parts three times as much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockParts {
    /// Parts of a block of at least `min_block` bytes (1 to [`MAX_BLOCK_PARTS`]).
    pub count: usize,
    /// Smaller blocks are coded whole.
    pub min_block: usize,
}

impl BlockParts {
    /// Two parts from 1 MiB of block (about 2.5 MiB of prose, 1.75 MiB of the mixed corpus): the
    /// machines this is tuned for have two cores, and an input that fits in one frame of the
    /// levels 4 to 6 is one frame, whose entropy coding runs on both of them only in
    /// parts. Where two workers code two frames side by side anyway, parts of blocks of 1 to
    /// 4 MiB cost 0.03-0.07 % (level 4 on text-100m.txt: 0.03 %, and decoding 6-9 % faster, as
    /// one thread alternates the parts' bits).
    pub const DEFAULT: BlockParts = BlockParts {
        count: 2,
        min_block: 1 << 20,
    };

    /// Parts of a block of `len` bytes.
    fn for_block(&self, len: usize) -> usize {
        match len >= self.min_block {
            true => self.count.clamp(1, MAX_BLOCK_PARTS).min(len.max(1)),
            false => 1,
        }
    }
}

/// The bytes of a block of `len` bytes that part `i` of `parts` codes: as equal as can be.
fn part_range(len: usize, parts: usize, i: usize) -> std::ops::Range<usize> {
    let bound = |k: usize| part_bound(len as u64, parts as u64, k as u64) as usize;
    bound(i)..bound(i + 1)
}

/// Where part `k` of `parts` of a block of `len` bytes starts (`len` for `k` = `parts`).
fn part_bound(len: u64, parts: u64, k: u64) -> u64 {
    (u128::from(len) * u128::from(k) / u128::from(parts)) as u64
}

/// The entropy stage a level uses, from fastest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// BWT, then move-to-front ranks with adaptive counters (method `RankRevised`).
    Rank(RankParams),
    /// BWT, then the recurrence coder (method `RecurrenceRevised`).
    Recurrence(QlfcParams),
    /// BWT, then the context-mixing model `CodecParams::model` (method `GlyphRevised`).
    Bwt,
    /// The word-aware context model over the glyph stream itself (method `TextContext` for
    /// its second revision, `TextLean` for its third) for word-transformed frames; frames the
    /// transform cannot take go through the BWT stage, which does better on binary data.
    Words(WordModelParams, Revision),
}

impl CodecParams {
    /// Applies the word transform as these parameters choose, over the `prior` codebook if
    /// it covers enough of the input (in the order of its keys if the prior allows it and the
    /// frame is large enough to gain from it: [`KEYED_ORDER_MIN_FRAME`]).
    pub fn transform(
        &self,
        input: &[u8],
        prior: Option<Prior<'_>>,
        resources: &impl Resources,
    ) -> Result<transform::Transformed, Rejected> {
        let order = match self.stage {
            Stage::Words(..) => TierOrder::Alphabetical,
            _ => TierOrder::ByPredecessor,
        };
        let keyed = match self.stage {
            Stage::Rank(_) => true,
            Stage::Recurrence(_) | Stage::Bwt | Stage::Words(..) => {
                input.len() >= KEYED_ORDER_MIN_FRAME
            }
        };
        let prior = prior.map(|prior| Prior {
            by_keys: prior.by_keys && keyed,
            ..prior
        });
        let shape = Shape {
            min_count: self.bank_threshold(input.len()),
            deltas: self.delta_glyphs,
            order,
            prior,
            line_breaks: self.line_breaks,
            split_min: self.split_min,
        };
        transform::encode(input, &shape, side_by_side(resources))
    }

    /// The share of its word and symbol occurrences a codebook must cover for a frame of over
    /// [`CODEBOOK_TRIAL_SIZE`] to be coded over it (`None`: such frames never are).
    ///
    /// The rank coder gains at every size (24 MB of prose 2.4 % smaller at level 1, of the
    /// mixed corpus 1.8 %). So does the context-mixing model's speed: over the codebook the
    /// block is a fifth shorter on prose, since every codebook word is coded however rare, so
    /// the first 80 MB of text-100m.txt (before the codebook's training part) encode at the
    /// default level 18 % faster and decode 11 % faster, for 0.09 % more bytes (24 MB in
    /// frames of 16 and 8 MiB: 0.5 % fewer), and mixed-100m.txt 4 % faster and 0.13 % smaller.
    /// The word model's third revision gains on prose (those 80 MB 0.74 % smaller at level 7,
    /// the 24 MB 1.1 %) but not on the mixed corpus (24 MB 0.12 % larger and 13 % slower), so
    /// it takes the codebook only where it covers as much as it does of prose. So, since soft
    /// line breaks (format version 13), does the second revision (levels 8 and 9), which lost
    /// with it before (24 MB of prose 0.6 % larger at level 8): the first 8 MiB of
    /// text-100m.txt now code 2.4 % smaller at level 8 (1,764,808 → 1,722,386 bytes, below
    /// level 7's 1,761,835 instead of above), the first 32 MiB 1.6 %, and 8 MiB of the mixed
    /// corpus that it covers 82 % of 1.75 %; all of mixed-100m.txt, as level 9's one frame, is
    /// covered as much and codes 0.13 % larger over it. Over the codebook at half coverage, the
    /// first 8 MiB of the mixed corpus (68 % covered) coded 0.33 % larger.
    pub fn large_frame_coverage(&self) -> Option<f64> {
        match self.stage {
            Stage::Words(..) => Some(SURE_COVERAGE),
            Stage::Rank(_) | Stage::Recurrence(_) | Stage::Bwt => Some(LARGE_FRAME_COVERAGE),
        }
    }

    /// The bank threshold for a frame of `len` bytes.
    pub fn bank_threshold(&self, len: usize) -> u32 {
        if let Stage::Words(..) = self.stage {
            // The context model predicts a banked word from the words before it, so every
            // repeated word is worth a code.
            return 2;
        }
        self.min_bank_count.max((len >> 17) as u32)
    }
}

impl Default for CodecParams {
    fn default() -> Self {
        CodecParams {
            min_bank_count: 4,
            model: ModelParams::default(),
            delta_glyphs: false,
            stage: Stage::Bwt,
            lzp: Some(LzpPolicy::default()),
            parts: BlockParts::DEFAULT,
            recurrence_min_block: RECURRENCE_MIN_BLOCK,
            max_sorted_block: MAX_SORTED_BLOCK,
            line_breaks: Some(LINE_BREAK_MIN_END),
            split_min: transform::SPLIT_MIN,
        }
    }
}

/// What a frame's coding shares with the other frames of its pool: memory for its heavy
/// phases, and idle cores for its independent parts (the two parts of a large block, the two
/// codings of a small frame's codebook trial, the halves of the word transform's tally and of
/// the inverse BWT's segments) and for the suffix sort's second thread.
///
/// The word transform, the suffix sort and the inverse BWT each hold several times their
/// block, briefly, while the entropy coder between them holds about the block. A worker pool
/// bounds the memory its workers' phases need together, which bounds its peak by fewer frames
/// than it has workers. The entropy coder codes a large block in parts, which a core that no
/// worker is using can take (a small file, the last frame of a stream, a frame of a range).
pub trait Resources {
    /// Runs `phase`, which needs about `bytes` beyond what its caller holds, waiting first
    /// while the memory it shares cannot hold that much more.
    fn pass<T>(&self, bytes: u64, phase: impl FnOnce() -> T) -> T;

    /// Runs `part(0)` … `part(count - 1)` and returns their results in that order: on the
    /// caller's thread, and beside it on the cores that are idle now, if any.
    fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
        (0..count).map(part).collect()
    }

    /// Whether [`Resources::parts`] would give parts to other cores now. If not, the caller
    /// may run every part on its own thread, in whatever way suits one thread best (a core
    /// lent later then finds none of them: the parts of a frame that starts while no core is
    /// lent, before the last frames of a stream, are rarely left for one).
    fn lends_cores(&self) -> bool {
        false
    }

    /// Runs `job`, a task that spreads itself over threads of its own (the suffix sort), with
    /// how many it may use: one, and one more for a core that is idle now, which stays
    /// claimed until `job` returns.
    fn with_idle_core<T>(&self, job: impl FnOnce(usize) -> T) -> T {
        job(1)
    }
}

/// How many parts to cut a pure stage's work in ([`crate::Part`]) and how to run them: two,
/// side by side, while `resources` lends a core, else one.
fn side_by_side(resources: &impl Resources) -> (usize, impl Fn(usize, &crate::Part<'_>) + '_) {
    let count = 1 + usize::from(resources.lends_cores());
    (count, move |count, part: &crate::Part<'_>| {
        resources.parts(count, part);
    })
}

/// One thread and no limit: a caller that codes one frame by itself and shares nothing.
pub struct Alone;

impl Resources for Alone {
    fn pass<T>(&self, _bytes: u64, phase: impl FnOnce() -> T) -> T {
        phase()
    }
}

/// An encoded frame and what went into it.
pub struct EncodedFrame {
    /// How the payload is coded.
    pub method: Method,
    /// The payload.
    pub payload: Vec<u8>,
    /// Glyphs produced, by [`GlyphType`](crate::glyph::GlyphType) index.
    pub glyphs: [u64; 4],
}

const MODE_PLAIN: u8 = 0;
const MODE_TRANSFORMED: u8 = 1;
const MODE_CODEBOOK: u8 = 2;
/// Over the codebook, its entries in the order its keys give (format version 10).
const MODE_CODEBOOK_BY_KEYS: u8 = 3;
/// Added to the mode: the block was packed by LZP before the BWT (methods 5 and 6).
const MODE_LZP: u8 = 4;
/// Added to the mode: the BWT of the block is coded in parts (method 5).
const MODE_PARTS: u8 = 8;
/// Added to the mode: the transform codes soft line breaks (every coded method, version 13).
const MODE_BREAKS: u8 = 16;
/// Added to the mode of a block coded in parts: each part is the BWT of its own piece of the
/// block, with segment rows of its own (methods 5, 8 and 9, version 14).
const MODE_PIECES: u8 = 32;
/// Added to the mode of a word-transformed block: its glyph stream is rendered in two parts
/// (every coded method, version 15).
const MODE_SPLIT: u8 = 64;

/// Largest frame the encoder codes both over the stream's codebook and without it, keeping
/// the smaller payload, unless the codebook covers [`SURE_COVERAGE`] of it. The codebook
/// saves small frames the most (prose: 29 % of 2 KB, 12 % of 128 KB at the default level).
pub const CODEBOOK_TRIAL_SIZE: usize = 1 << 20;

/// Frames up to [`CODEBOOK_TRIAL_SIZE`] are coded over the codebook without a trial when at
/// least this share of their word and symbol occurrences are its entries. Over 238 slices of
/// 1 KB to 1 MB of both corpora and the Canterbury files, at levels 1, 6 and 9, the codebook
/// lost only on slices it covered less (by at most 5.7 %, on 1 KB of the mixed corpus); it
/// covers this much of all the prose slices and 41 % of the mixed ones, which are then coded
/// once instead of twice.
pub const SURE_COVERAGE: f64 = 0.8;

/// The smallest frame the stages of levels 4 to 9 code over the codebook in the
/// order of its keys; smaller ones take it in its own order (payload mode 2). The keys group
/// words by the word they follow, which a large block's contexts gain from, but a block of a
/// few KB codes better with the most frequent words' codes together. Over 120 random files of
/// each corpus, of 2, 5, 10, 20 and 30 KB, the files below this size code 0.2-0.8 % smaller at
/// level 6 than in key order (prose; the mixed corpus 0.1-0.5 %), while those of 30 KB of prose
/// code 0.1 % larger in the codebook's own order; 4 MB of prose in frames of 1 MiB codes 1.0 %
/// smaller in key order. The rank coder (levels 1 to 3) gains from the keys at every size.
pub const KEYED_ORDER_MIN_FRAME: usize = 24 << 10;

/// Frames larger than [`CODEBOOK_TRIAL_SIZE`] are coded over the codebook at the BWT stages'
/// levels if at least this share of their word and symbol occurrences are its entries (see
/// [`CodecParams::large_frame_coverage`]): of the mixed corpus 64-68 % are, of prose 94 %, of
/// Python source 56-62 %. Text in another language would be covered far less, and its own
/// entries would lose their short codes.
pub const LARGE_FRAME_COVERAGE: f64 = 0.5;

/// Encodes one frame of a stream whose header names `codebook`.
///
/// The text is taken by value so that it is freed once the word transform has made the block:
/// the BWT stages then need room for the block's suffix array (four bytes per byte), not for
/// the text. If the coded block turns out no smaller than the text (data the transform shrank
/// but the model cannot), decoding the payload gives the text back for the plain coding.
pub fn encode(input: Vec<u8>, params: &CodecParams, codebook: Option<&Codebook>) -> EncodedFrame {
    encode_gated(input, params, codebook, &Alone)
}

/// [`encode`], running the word transform and the suffix sort through `resources`, and the parts of
/// the frame's coding on its idle cores: the two parts of a block, or the two ways a frame is
/// coded both over the codebook and without it (one of up to [`CODEBOOK_TRIAL_SIZE`] that the
/// codebook covers less than [`SURE_COVERAGE`] of).
pub fn encode_gated(
    input: Vec<u8>,
    params: &CodecParams,
    codebook: Option<&Codebook>,
    resources: &(impl Resources + Sync),
) -> EncodedFrame {
    let Some(codebook) = codebook else {
        return encode_over(input, params, None, resources);
    };
    if input.len() > CODEBOOK_TRIAL_SIZE {
        let prior = params.large_frame_coverage().map(|min_coverage| Prior {
            codebook,
            min_coverage,
            by_keys: true,
        });
        return encode_over(input, params, prior, resources);
    }
    let len = input.len();
    let text = input.clone();
    let sure = Prior {
        codebook,
        min_coverage: SURE_COVERAGE,
        by_keys: true,
    };
    let (alone, rejected_over_codebook) =
        match transform_and_sort(input, params, Some(sure), resources) {
            Ok(staged) if staged.0.over_codebook => {
                drop(text);
                return finish_frame(Ok(staged), len, params, Some(codebook), resources);
            }
            // Covered less: this is the trial's side without the codebook.
            Ok(staged) => (Ok(staged), false),
            // Given up on without the codebook (it covered less): so is that side of the trial.
            Err((input, rejected)) if !rejected.over_codebook => (Err(input), false),
            // Given up on over the codebook: that side of the trial is the plain coding.
            Err((input, _)) => (
                transform_and_sort(input, params, None, resources).map_err(|(input, _)| input),
                true,
            ),
        };
    let rejected_alone = alone.is_err();
    let prior = Prior {
        codebook,
        min_coverage: 0.0,
        by_keys: true,
    };
    let finish = |staged| finish_frame(staged, len, params, Some(codebook), resources);
    let (over_codebook, alone) = both(
        resources,
        move || {
            let staged = match rejected_over_codebook {
                true => Err(text),
                false => {
                    transform_and_sort(text, params, Some(prior), resources).map_err(|(t, _)| t)
                }
            };
            match staged {
                // Input the transform rejects either way (binary data, mostly) is coded plain
                // once, by the other side.
                Err(_) if rejected_alone => None,
                staged => Some(finish(staged)),
            }
        },
        move || finish(alone),
    );
    match over_codebook {
        Some(over_codebook) if over_codebook.payload.len() < alone.payload.len() => over_codebook,
        _ => alone,
    }
}

/// Runs `first` and `second` as two parts of `resources` ([`Resources::parts`]): side by side
/// if a core is idle.
fn both<A: Send, B: Send>(
    resources: &impl Resources,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    enum Side<A, B> {
        First(A),
        Second(B),
    }
    fn take<F>(slot: &Mutex<Option<F>>) -> F {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.take().expect("each part runs once")
    }
    let (first, second) = (Mutex::new(Some(first)), Mutex::new(Some(second)));
    let sides = resources.parts(2, |i| match i {
        0 => Side::First(take(&first)()),
        _ => Side::Second(take(&second)()),
    });
    match <[Side<A, B>; 2]>::try_from(sides) {
        Ok([Side::First(a), Side::Second(b)]) => (a, b),
        _ => panic!("parts come back in order"),
    }
}

/// A frame transformed and sorted, ready for its entropy coder, with its glyph counts; or the
/// input back if the word transform would not make it smaller.
type TransformedFrame = Result<(Staged, [u64; 4]), Vec<u8>>;

/// Encodes one frame, transforming it over the `prior` codebook if it covers enough.
fn encode_over(
    input: Vec<u8>,
    params: &CodecParams,
    prior: Option<Prior<'_>>,
    resources: &impl Resources,
) -> EncodedFrame {
    let len = input.len();
    let staged = transform_and_sort(input, params, prior, resources).map_err(|(input, _)| input);
    finish_frame(staged, len, params, prior.map(|p| p.codebook), resources)
}

/// What the word transform of a frame needs, per byte of text, from the memory budget of
/// heavy phases ([`Resources::pass`]). Besides the text, the transform holds its block, which
/// grows by doubling to as much as the text's length, and its tables (a third to a half of the
/// text, measured on 24 MiB of both corpora). Counted as three times the text, two transforms
/// of the default's 32 MiB frames do not fit the budget together: side by side they were the
/// encoder's peak on the mixed corpus (mixed-100m.txt at `-T2`: 133-151 MiB in ten runs
/// counted as twice the text, 131 MiB in ten counted as three times, which took 2-8 % longer,
/// the second frame's transform now waiting for the first's as its sort always did), so that
/// half of bsc's peak, issue 4's bound, holds on that file too. Prose peaks as before
/// (139 MiB); `-3` on the mixed corpus took the same time and peaked at 137 MiB, not 142-149.
const TRANSFORM_BYTES_PER_BYTE: u64 = 3;

/// The word transform over the `prior` codebook and the suffix sort of its block.
fn transform_and_sort(
    input: Vec<u8>,
    params: &CodecParams,
    prior: Option<Prior<'_>>,
    resources: &impl Resources,
) -> Result<(Staged, [u64; 4]), (Vec<u8>, Rejected)> {
    let need = TRANSFORM_BYTES_PER_BYTE * input.len() as u64;
    let offered = prior.is_some();
    match resources.pass(need, || params.transform(&input, prior, resources)) {
        Err(rejected) => Err((input, rejected)),
        Ok(t) => {
            drop(input);
            let uncovered = offered && !t.params.codebook;
            let staged = stage(Some(&t.params), t.block, params, uncovered, resources);
            Ok((staged, t.glyphs))
        }
    }
}

/// Entropy codes a frame of `len` bytes made by [`transform_and_sort`] (over `codebook`), or
/// codes it plain if the transform gave up or its payload would not fit.
fn finish_frame(
    staged: TransformedFrame,
    len: usize,
    params: &CodecParams,
    codebook: Option<&Codebook>,
    resources: &impl Resources,
) -> EncodedFrame {
    let input = match staged {
        Err(input) => input,
        Ok((staged, glyphs)) => {
            let (method, payload) = staged.code(resources);
            if fits(&payload, len) {
                return EncodedFrame {
                    method,
                    payload,
                    glyphs,
                };
            }
            let mut text = Vec::with_capacity(len);
            decode(
                method,
                &payload,
                len,
                wordcm::MAX_TABLE_LOG,
                codebook,
                &mut text,
            )
            .expect("a payload the encoder has just made decodes");
            text
        }
    };
    code_plain(input, params, resources)
}

/// Codes `input` without the word transform, or stores it if that does not fit.
fn code_plain(input: Vec<u8>, params: &CodecParams, resources: &impl Resources) -> EncodedFrame {
    let glyphs = [Tokenizer::new(&input).count() as u64, 0, 0, 0];
    let (method, payload) = stage(None, input.clone(), params, false, resources).code(resources);
    if fits(&payload, input.len()) {
        EncodedFrame {
            method,
            payload,
            glyphs,
        }
    } else {
        EncodedFrame {
            method: Method::Stored,
            payload: input,
            glyphs,
        }
    }
}

/// Whether a frame header can carry `payload` for `len` bytes of text: smaller than the text,
/// and within the expansion bound decoders enforce.
fn fits(payload: &[u8], len: usize) -> bool {
    payload.len() < len && len as u64 <= max_decoded_size(payload.len() as u64)
}

/// A block ready for its entropy coder: the payload so far, and the bytes to code after it
/// (for the BWT stages, the block's BWT).
struct Staged {
    coder: StagedCoder,
    head: Vec<u8>,
    block: Vec<u8>,
    /// Whether the block was transformed over the stream's codebook.
    over_codebook: bool,
}

enum StagedCoder {
    Words(WordModelParams, Revision, CodeLayout),
    Ranks(RankParams),
    Bwt(BlockCoder, BlockParts),
}

/// The entropy coders of BWT blocks that code a block in parts: the context-mixing model (of
/// either revision) or the recurrence coder.
#[derive(Clone, Copy)]
enum BlockCoder {
    Cm(cm::Revision, ModelParams),
    Recurrence(QlfcParams),
}

impl BlockCoder {
    /// The method of the payloads this coder writes.
    fn method(self) -> Method {
        match self {
            BlockCoder::Cm(..) => Method::GlyphRevised,
            BlockCoder::Recurrence(_) => Method::RecurrenceRevised,
        }
    }

    fn write_params(self, out: &mut Vec<u8>) {
        match self {
            BlockCoder::Cm(revision, model) => model.write(revision, out),
            BlockCoder::Recurrence(params) => params.write(out),
        }
    }

    fn encode(self, block: &[u8], out: Vec<u8>) -> Vec<u8> {
        match self {
            BlockCoder::Cm(revision, model) => cm::encode(block, revision, model, out),
            BlockCoder::Recurrence(params) => qlfc::encode(block, params, out),
        }
    }

    /// Codes two parts on this thread: the model's bits side by side, or one after the other.
    fn encode_two(self, blocks: [&[u8]; 2]) -> Vec<Vec<u8>> {
        match self {
            BlockCoder::Cm(revision, model) => cm::encode_two(blocks, revision, model).to_vec(),
            BlockCoder::Recurrence(_) => blocks.map(|b| self.encode(b, Vec::new())).to_vec(),
        }
    }

    fn decode_into(self, code: &[u8], out: &mut [u8]) -> bool {
        match self {
            BlockCoder::Cm(revision, model) => cm::decode_into(code, revision, model, out),
            BlockCoder::Recurrence(params) => qlfc::decode_into(code, params, out),
        }
    }

    fn decode_two_into(self, codes: [&[u8]; 2], outs: [&mut [u8]; 2]) -> bool {
        match self {
            BlockCoder::Cm(revision, model) => cm::decode_two_into(codes, revision, model, outs),
            BlockCoder::Recurrence(_) => {
                let [a, b] = outs;
                self.decode_into(codes[0], a) && self.decode_into(codes[1], b)
            }
        }
    }

    /// Decodes `len` bytes, appending them to `out` and the bits each cost to `costs`.
    fn decode_with_costs(
        self,
        code: &[u8],
        len: usize,
        out: &mut Vec<u8>,
        costs: &mut Vec<f32>,
    ) -> bool {
        match self {
            BlockCoder::Cm(revision, model) => {
                cm::decode_with_costs(code, len, revision, model, out, costs)
            }
            BlockCoder::Recurrence(params) => {
                let start = out.len();
                out.resize(start + len, 0);
                qlfc::decode_with_costs(code, params, &mut out[start..], costs)
            }
        }
    }
}

/// Most segments a `GlyphRevised` or `RankRevised` payload may cut its block into for the
/// inverse BWT.
pub const MAX_BWT_SEGMENTS: u64 = 256;

/// The segment length the encoder gives the inverse BWT for a block of `len` bytes: about 32
/// segments (enough independent chains to keep memory busy), none shorter than 64 KiB (a
/// block that fits in the caches gains nothing, and every segment costs a row in the
/// payload).
fn segment_len(len: usize) -> usize {
    len.div_ceil(32).next_power_of_two().max(1 << 16)
}

/// The BWT-stage model revision this encoder writes: that of method `GlyphRevised`, whose
/// payload also carries segment rows (the first revision's method, `Glyph`, carries only the
/// primary index, and the encoder no longer writes it).
const MODEL_REVISION: cm::Revision = cm::Revision::Second;

/// Writes the payload head of a block (word-transformed if `transform` is given) for the
/// stage's method; the BWT stages then pack the block with LZP if `params.lzp` finds that worth
/// it, and sort it in place, through `resources`. `uncovered`: the block was transformed
/// without the codebook the frame was offered, which covers too little of it.
fn stage(
    transform: Option<&Params>,
    block: Vec<u8>,
    params: &CodecParams,
    uncovered: bool,
    resources: &impl Resources,
) -> Staged {
    let over_codebook = transform.is_some_and(|t| t.codebook);
    let mut coder_params = Vec::new();
    let coder = match (params.stage, transform) {
        (Stage::Words(model, revision), Some(_)) => {
            let model = match uncovered {
                true => model.for_uncovered_text(revision),
                false => model,
            };
            model.write(&mut coder_params);
            let head = payload_head(transform, &coder_params, block.len(), None);
            let coder = StagedCoder::Words(model, revision, code_layout(transform));
            return Staged {
                coder,
                head,
                block,
                over_codebook,
            };
        }
        (Stage::Rank(ranks), _) => {
            ranks.write(&mut coder_params);
            StagedCoder::Ranks(ranks)
        }
        (Stage::Recurrence(recurrence), _) if block.len() >= params.recurrence_min_block => {
            let coder = BlockCoder::Recurrence(recurrence);
            coder.write_params(&mut coder_params);
            StagedCoder::Bwt(coder, params.parts)
        }
        // Without the word transform (binary data, mostly) the BWT stage is the better coder:
        // the word model's contexts are built for glyph streams.
        _ => {
            let coder = BlockCoder::Cm(MODEL_REVISION, params.model);
            coder.write_params(&mut coder_params);
            StagedCoder::Bwt(coder, params.parts)
        }
    };
    // A block sorted in pieces needs room for the suffix array of one piece at a time (LZP
    // only shortens it).
    let in_parts = matches!(coder, StagedCoder::Bwt(..));
    let pieces_of = |len: usize| match in_parts {
        true => sort_pieces(len, params.max_sorted_block),
        false => 1,
    };
    let sorted = block.len().div_ceil(pieces_of(block.len()));
    resources.pass(HEAVY_BYTES_PER_BYTE * sorted as u64, || {
        let packed = params.lzp.and_then(|policy| lzp::encode(&block, policy));
        let (mut block, mut head) = match packed {
            Some((lzp, packed)) => {
                let lzp = Some((lzp, block.len()));
                let head = payload_head(transform, &coder_params, packed.len(), lzp);
                drop(block);
                (packed, head)
            }
            None => {
                let head = payload_head(transform, &coder_params, block.len(), None);
                (block, head)
            }
        };
        let pieces = pieces_of(block.len());
        let coder = match coder {
            // Each piece is coded as a part of its own: its BWT's statistics are its own.
            StagedCoder::Bwt(block_coder, _) if pieces > 1 => {
                head[0] |= MODE_PIECES;
                varint::put(&mut head, pieces as u64);
                let parts = BlockParts {
                    count: pieces,
                    min_block: 0,
                };
                StagedCoder::Bwt(block_coder, parts)
            }
            coder => coder,
        };
        let len = block.len();
        for i in 0..pieces {
            // Both BWT stages this encoder writes carry segment rows.
            let piece = &mut block[part_range(len, pieces, i)];
            let rate = segment_len(piece.len());
            let rows = resources
                .with_idle_core(|threads| bwt::forward_sampled_in_place(piece, rate, threads));
            head.push(rate.trailing_zeros() as u8);
            for row in rows {
                varint::put(&mut head, u64::from(row));
            }
        }
        Staged {
            coder,
            head,
            block,
            over_codebook,
        }
    })
}

impl Staged {
    /// Entropy codes the block after the head: the frame's method and payload.
    fn code(self, resources: &impl Resources) -> (Method, Vec<u8>) {
        match self.coder {
            StagedCoder::Words(model, revision, layout) => (
                match revision {
                    Revision::First => Method::Context,
                    Revision::Second => Method::TextContext,
                    Revision::Third => Method::TextLean,
                },
                wordcm::encode(&self.block, model, revision, layout, self.head),
            ),
            StagedCoder::Ranks(ranks) => (
                Method::RankRevised,
                rank::encode(&self.block, rank::Revision::Second, ranks, self.head),
            ),
            StagedCoder::Bwt(coder, parts) => {
                let parts = parts.for_block(self.block.len());
                let payload = code_in_parts(&self.block, coder, parts, self.head, resources);
                (coder.method(), payload)
            }
        }
    }
}

/// Codes `block` with `coder` after `head`, in `parts` parts side by side where `resources`
/// has idle cores: then the head's mode says so, and the part count and the code length of
/// every part but the last follow it (section 8.10 of the spec).
fn code_in_parts(
    block: &[u8],
    coder: BlockCoder,
    parts: usize,
    mut head: Vec<u8>,
    resources: &impl Resources,
) -> Vec<u8> {
    if parts <= 1 {
        return coder.encode(block, head);
    }
    let part = |i| &block[part_range(block.len(), parts, i)];
    let codes = if resources.lends_cores() {
        resources.parts(parts, |i| coder.encode(part(i), Vec::new()))
    } else {
        // This thread codes every part, so two at a time, side by side.
        (0..parts)
            .step_by(2)
            .flat_map(|a| match a + 1 < parts {
                true => coder.encode_two([part(a), part(a + 1)]),
                false => vec![coder.encode(part(a), Vec::new())],
            })
            .collect()
    };
    head[0] |= MODE_PARTS;
    varint::put(&mut head, parts as u64);
    for code in &codes[..parts - 1] {
        varint::put(&mut head, code.len() as u64);
    }
    head.reserve(codes.iter().map(Vec::len).sum());
    for code in codes {
        head.extend_from_slice(&code);
    }
    head
}

/// The fields every coded payload starts with: mode, the coder's parameters, the transform's
/// parameters, the length of the block the coder codes, and, if LZP packed that block, its
/// parameters and the block's length before packing.
fn payload_head(
    params: Option<&Params>,
    coder_params: &[u8],
    block_len: usize,
    lzp: Option<(LzpParams, usize)>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(block_len / 3 + 64);
    out.push(mode(params) | if lzp.is_some() { MODE_LZP } else { 0 });
    out.extend_from_slice(coder_params);
    write_transform_params(params, &mut out);
    varint::put(&mut out, block_len as u64);
    if let Some((lzp, unpacked_len)) = lzp {
        lzp.write(&mut out);
        varint::put(&mut out, unpacked_len as u64);
    }
    out
}

fn mode(params: Option<&Params>) -> u8 {
    let breaks = match params.is_some_and(|p| p.line_breaks.is_some()) {
        true => MODE_BREAKS,
        false => 0,
    };
    let split = match params.is_some_and(|p| p.split.is_some()) {
        true => MODE_SPLIT,
        false => 0,
    };
    breaks
        | split
        | match params {
            None => MODE_PLAIN,
            Some(p) if p.codebook_by_keys => MODE_CODEBOOK_BY_KEYS,
            Some(p) if p.codebook => MODE_CODEBOOK,
            Some(_) => MODE_TRANSFORMED,
        }
}

fn code_layout(params: Option<&Params>) -> CodeLayout {
    params.map_or(CodeLayout::PLAIN, |p| CodeLayout {
        one_byte_codes: p.one_byte_codes,
        two_byte_prefixes: p.two_byte_prefixes,
        bank_entries: p.bank_entries,
    })
}

fn write_transform_params(params: Option<&Params>, out: &mut Vec<u8>) {
    match params {
        None => {}
        Some(p) => {
            let mut bits = [0u8; 32];
            for (i, &on) in p.implied_space.iter().enumerate() {
                bits[i / 8] |= u8::from(on) << (i % 8);
            }
            out.extend_from_slice(&bits);
            out.push(p.one_byte_codes);
            out.push(p.two_byte_prefixes);
            varint::put(out, p.bank_entries);
            varint::put(out, p.bank_bytes);
            if let Some(breaks) = &p.line_breaks {
                out.push(breaks.min_end);
                out.push(u8::from(breaks.crlf));
                varint::put(out, breaks.code.len() as u64);
                out.extend_from_slice(&breaks.code);
            }
            if let Some(split) = &p.split {
                varint::put(out, split.glyphs_before);
                varint::put(out, split.text_before);
                if p.line_breaks.is_some() {
                    varint::put(out, split.breaks_code.len() as u64);
                    out.extend_from_slice(&split.breaks_code);
                }
            }
        }
    }
}

/// Whether a payload's block was packed by LZP before the BWT (modes 4 to 6 of methods
/// `GlyphRevised`, `RankRevised`, `Recurrence` and `RecurrenceRevised`), as far as its first
/// byte says.
pub fn lzp_packed(method: Method, payload: &[u8]) -> bool {
    matches!(
        method,
        Method::GlyphRevised | Method::RankRevised | Method::Recurrence | Method::RecurrenceRevised
    ) && payload.first().is_some_and(|&mode| mode & MODE_LZP != 0)
}

/// Whether a payload's block is coded in parts (8 added to the mode of methods `GlyphRevised`,
/// `Recurrence` and `RecurrenceRevised`), as far as its first byte says.
pub fn coded_in_parts(method: Method, payload: &[u8]) -> bool {
    matches!(
        method,
        Method::GlyphRevised | Method::Recurrence | Method::RecurrenceRevised
    ) && payload.first().is_some_and(|&mode| mode & MODE_PARTS != 0)
}

/// Whether a payload's block was sorted in pieces, each coded as a part (32 added to the mode
/// of a block coded in parts), as far as its first byte says.
pub fn sorted_in_pieces(method: Method, payload: &[u8]) -> bool {
    coded_in_parts(method, payload) && payload[0] & MODE_PIECES != 0
}

/// Whether a payload codes soft line breaks (16 added to the mode of a coded method), as far
/// as its first byte says.
pub fn soft_line_breaks(method: Method, payload: &[u8]) -> bool {
    method != Method::Stored && payload.first().is_some_and(|&mode| mode & MODE_BREAKS != 0)
}

/// Whether a payload's glyph stream is rendered in two parts (64 added to the mode of a coded
/// method, version 15), as far as its first byte says.
pub fn rendered_in_two_parts(method: Method, payload: &[u8]) -> bool {
    method != Method::Stored && payload.first().is_some_and(|&mode| mode & MODE_SPLIT != 0)
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// A field of the payload header is malformed or out of range.
    #[error("malformed payload header")]
    Header,
    /// The entropy-coded data ends early.
    #[error("entropy-coded data is truncated")]
    Truncated,
    /// The BWT primary index is out of range.
    #[error("BWT primary index out of range")]
    PrimaryIndex,
    /// The Σ-bank section is malformed.
    #[error("malformed Σ-bank")]
    Bank,
    /// A glyph code or flag is malformed.
    #[error("malformed glyph stream")]
    Glyphs,
    /// The payload decodes to a size other than the header's.
    #[error("decoded size differs from the frame header")]
    Size,
    /// The payload's context model needs larger tables than the stream header declares.
    #[error("context model tables larger than the stream header declares")]
    ModelSize,
    /// The payload is coded over a codebook, but the stream header names none.
    #[error("coded over a codebook the stream header does not name")]
    NoCodebook,
    /// The LZP-packed block is malformed.
    #[error("malformed LZP stream")]
    Lzp,
}

impl From<TransformError> for PayloadError {
    fn from(e: TransformError) -> Self {
        match e {
            TransformError::BadBank => PayloadError::Bank,
            TransformError::BadCode | TransformError::BadFlag => PayloadError::Glyphs,
            TransformError::TooLong => PayloadError::Size,
            TransformError::NoCodebook => PayloadError::NoCodebook,
            TransformError::NoKeys => PayloadError::Header,
            TransformError::BreaksTruncated => PayloadError::Truncated,
            TransformError::BadSplit => PayloadError::Header,
        }
    }
}

/// Reads a varint from `buf` at `*pos`.
fn take_varint(buf: &[u8], pos: &mut usize) -> Result<u64, PayloadError> {
    let (v, n) = varint::get(&buf[*pos..]).map_err(|_| PayloadError::Header)?;
    *pos += n;
    Ok(v)
}

/// Decodes a payload that must yield exactly `decoded_size` bytes, appended to `out`.
///
/// `context_log` is the largest context-model table the stream header declares (0: the
/// stream has no `Context` frames); a payload asking for more is refused before allocating.
/// `codebook` is the one the stream header names.
pub fn decode(
    method: Method,
    payload: &[u8],
    decoded_size: usize,
    context_log: u8,
    codebook: Option<&Codebook>,
    out: &mut Vec<u8>,
) -> Result<(), PayloadError> {
    decode_gated(
        method,
        payload,
        decoded_size,
        context_log,
        codebook,
        out,
        &Alone,
    )
}

/// [`decode`], running the inverse BWT and the inverse word transform through `resources`.
pub fn decode_gated(
    method: Method,
    payload: &[u8],
    decoded_size: usize,
    context_log: u8,
    codebook: Option<&Codebook>,
    out: &mut Vec<u8>,
    resources: &impl Resources,
) -> Result<(), PayloadError> {
    let start = out.len();
    match method {
        Method::Stored => {
            if payload.len() != decoded_size {
                return Err(PayloadError::Size);
            }
            out.extend_from_slice(payload);
        }
        _ => {
            let coded = CodedPayload {
                method,
                payload,
                decoded_size,
                context_log,
                codebook,
            };
            coded.decode_block(None, resources, |mut block, transform| match transform {
                None => {
                    out.append(&mut block);
                    Ok(())
                }
                Some(params) => Ok(transform::decode(
                    &params,
                    block,
                    decoded_size,
                    codebook,
                    out,
                    side_by_side(resources),
                )?),
            })?;
        }
    }
    if out.len() - start != decoded_size {
        return Err(PayloadError::Size);
    }
    Ok(())
}

/// The entropy coder a payload names, with its parameters.
enum Coder {
    /// BWT, then the byte-oriented context model or the recurrence coder; the rows of each
    /// piece the block was sorted in (one: the block was sorted whole).
    Bwt {
        coder: BlockCoder,
        pieces: Vec<BwtRows>,
    },
    /// The word-aware context model over the block itself.
    Words(WordModelParams, Revision),
    /// BWT, then move-to-front rank coding.
    Ranks {
        revision: rank::Revision,
        params: RankParams,
        rows: BwtRows,
    },
}

/// A glyph payload's header and the entropy-coded rest.
struct GlyphHeader<'a> {
    transform: Option<Params>,
    coder: Coder,
    /// Length of the block the coder codes.
    block_len: u64,
    /// If LZP packed that block: its parameters and the block's length unpacked.
    lzp: Option<(LzpParams, u64)>,
    code: &'a [u8],
    /// The code of each part of the block (`code` whole, unless coded in parts).
    parts: Vec<&'a [u8]>,
}

/// A `Glyph` or `Context` payload and what its frame header and stream header say about it.
pub(crate) struct CodedPayload<'a> {
    /// `Glyph` or `Context`.
    pub method: Method,
    /// The payload.
    pub payload: &'a [u8],
    /// Decoded size from the frame header.
    pub decoded_size: usize,
    /// Largest context-model table log the stream header allows.
    pub context_log: u8,
    /// The codebook the stream header names, if any.
    pub codebook: Option<&'a Codebook>,
}

impl CodedPayload<'_> {
    fn parse_header(&self) -> Result<GlyphHeader<'_>, PayloadError> {
        let payload = self.payload;
        let mode = *payload.first().ok_or(PayloadError::Header)?;
        let mut pos = 1;
        let mut coder = match self.method {
            Method::Context | Method::TextContext | Method::TextLean => {
                if self.context_log == 0 {
                    return Err(PayloadError::ModelSize);
                }
                let model = WordModelParams::parse(&payload[pos..]).ok_or(PayloadError::Header)?;
                if model.table_max_log > self.context_log {
                    return Err(PayloadError::ModelSize);
                }
                pos += WordModelParams::LEN;
                let revision = match self.method {
                    Method::Context => Revision::First,
                    Method::TextContext => Revision::Second,
                    _ => Revision::Third,
                };
                Coder::Words(model, revision)
            }
            Method::Rank | Method::RankRevised => {
                let params = RankParams::parse(&payload[pos..]).ok_or(PayloadError::Header)?;
                pos += RankParams::LEN;
                Coder::Ranks {
                    revision: match self.method {
                        Method::Rank => rank::Revision::First,
                        _ => rank::Revision::Second,
                    },
                    params,
                    rows: BwtRows::default(),
                }
            }
            Method::Glyph | Method::GlyphRevised => {
                let revision = match self.method {
                    Method::Glyph => cm::Revision::First,
                    _ => cm::Revision::Second,
                };
                let model =
                    ModelParams::parse(revision, &payload[pos..]).ok_or(PayloadError::Header)?;
                pos += ModelParams::LEN;
                Coder::Bwt {
                    coder: BlockCoder::Cm(revision, model),
                    pieces: Vec::new(),
                }
            }
            Method::Recurrence | Method::RecurrenceRevised => {
                let revision = match self.method {
                    Method::Recurrence => qlfc::Revision::First,
                    _ => qlfc::Revision::Second,
                };
                let params =
                    QlfcParams::parse(revision, &payload[pos..]).ok_or(PayloadError::Header)?;
                pos += QlfcParams::len(revision);
                Coder::Bwt {
                    coder: BlockCoder::Recurrence(params),
                    pieces: Vec::new(),
                }
            }
            Method::Stored => return Err(PayloadError::Header),
        };
        let lzp_flag = mode & MODE_LZP != 0;
        // The context-mixing model's second revision and the recurrence coder code a block in
        // parts; they and the rank coder's second revision carry segment rows and LZP.
        let bwt_revised = matches!(
            coder,
            Coder::Bwt {
                coder: BlockCoder::Cm(cm::Revision::Second, _) | BlockCoder::Recurrence(_),
                ..
            }
        );
        let revised = bwt_revised
            || matches!(
                coder,
                Coder::Ranks {
                    revision: rank::Revision::Second,
                    ..
                }
            );
        let parts_flag = mode & MODE_PARTS != 0;
        let breaks_flag = mode & MODE_BREAKS != 0;
        let split_flag = mode & MODE_SPLIT != 0;
        let pieces_flag = mode & MODE_PIECES != 0;
        if (lzp_flag && !revised) || (parts_flag && !bwt_revised) || (pieces_flag && !parts_flag) {
            return Err(PayloadError::Header);
        }
        let transform_params = |pos: &mut usize, codebook, by_keys| {
            parse_transform_params(payload, pos, codebook, by_keys, (breaks_flag, split_flag))
        };
        let flags = MODE_LZP | MODE_PARTS | MODE_BREAKS | MODE_PIECES | MODE_SPLIT;
        let transform = match mode & !flags {
            MODE_PLAIN if breaks_flag || split_flag => return Err(PayloadError::Header),
            MODE_PLAIN => None,
            MODE_TRANSFORMED => Some(transform_params(&mut pos, false, false)?),
            MODE_CODEBOOK | MODE_CODEBOOK_BY_KEYS if self.codebook.is_none() => {
                return Err(PayloadError::NoCodebook)
            }
            MODE_CODEBOOK => Some(transform_params(&mut pos, true, false)?),
            // Only a codebook with keys can be taken in their order.
            MODE_CODEBOOK_BY_KEYS if self.codebook.and_then(Codebook::keys).is_none() => {
                return Err(PayloadError::Header)
            }
            MODE_CODEBOOK_BY_KEYS => Some(transform_params(&mut pos, true, true)?),
            _ => return Err(PayloadError::Header),
        };
        let block_len = take_varint(payload, &mut pos)?;
        let lzp = match lzp_flag {
            false => None,
            true => {
                let params = LzpParams::parse(&payload[pos..]).ok_or(PayloadError::Header)?;
                pos += LzpParams::LEN;
                Some((params, take_varint(payload, &mut pos)?))
            }
        };
        let take_row = |pos: &mut usize| {
            u32::try_from(take_varint(payload, pos)?).map_err(|_| PayloadError::Header)
        };
        // Segment rows: of each piece of the block (the first revisions: its primary index).
        let segment_rows = |pos: &mut usize, piece_len: u64| {
            let rate_log = *payload.get(*pos).ok_or(PayloadError::Header)?;
            *pos += 1;
            if !(1..=31).contains(&rate_log) {
                return Err(PayloadError::Header);
            }
            let segments = piece_len.div_ceil(1 << rate_log);
            if segments > MAX_BWT_SEGMENTS {
                return Err(PayloadError::Header);
            }
            let mut rows = BwtRows {
                rows: Vec::with_capacity(segments as usize),
                rate: 1 << rate_log,
            };
            for _ in 0..segments {
                rows.rows.push(take_row(pos)?);
            }
            Ok(rows)
        };
        // The first revisions' one row, the primary index, for the whole block.
        let primary_row = |pos: &mut usize| -> Result<BwtRows, PayloadError> {
            Ok(BwtRows {
                rate: usize::try_from(block_len.max(1)).map_err(|_| PayloadError::Header)?,
                rows: vec![take_row(pos)?],
            })
        };
        let mut piece_count = 1;
        match &mut coder {
            Coder::Bwt {
                coder: BlockCoder::Cm(cm::Revision::Second, _) | BlockCoder::Recurrence(_),
                pieces,
            } => {
                if pieces_flag {
                    piece_count = take_varint(payload, &mut pos)?;
                    if !(2..=MAX_BLOCK_PARTS as u64).contains(&piece_count)
                        || piece_count > block_len
                    {
                        return Err(PayloadError::Header);
                    }
                }
                for i in 0..piece_count {
                    let piece_len = part_bound(block_len, piece_count, i + 1)
                        - part_bound(block_len, piece_count, i);
                    pieces.push(segment_rows(&mut pos, piece_len)?);
                }
            }
            Coder::Ranks {
                revision: rank::Revision::Second,
                rows,
                ..
            } => *rows = segment_rows(&mut pos, block_len)?,
            Coder::Bwt { pieces, .. } => pieces.push(primary_row(&mut pos)?),
            Coder::Ranks { rows, .. } => *rows = primary_row(&mut pos)?,
            Coder::Words(..) => {}
        }
        let parts = match parts_flag {
            false => vec![&payload[pos..]],
            true => {
                let count = take_varint(payload, &mut pos)?;
                // A block sorted in pieces codes each piece's BWT as a part.
                if !(2..=MAX_BLOCK_PARTS as u64).contains(&count)
                    || count > block_len
                    || (pieces_flag && count != piece_count)
                {
                    return Err(PayloadError::Header);
                }
                let mut lens = Vec::with_capacity(count as usize);
                for _ in 1..count {
                    lens.push(take_varint(payload, &mut pos)?);
                }
                let mut rest = &payload[pos..];
                let mut parts = Vec::with_capacity(count as usize);
                for len in lens {
                    let len = usize::try_from(len)
                        .ok()
                        .filter(|&len| len <= rest.len())
                        .ok_or(PayloadError::Header)?;
                    let (part, after) = rest.split_at(len);
                    parts.push(part);
                    rest = after;
                }
                parts.push(rest);
                parts
            }
        };
        Ok(GlyphHeader {
            transform,
            coder,
            block_len,
            lzp,
            code: &payload[pos..],
            parts,
        })
    }

    /// Undoes the entropy coding (and the BWT) of the payload and hands `then` the block and
    /// the transform parameters, if the block is word-transformed (otherwise the block is the
    /// text). With `costs`, also appends the bits each block byte cost the entropy coder.
    /// The inverse BWT and `then` run through `resources` as one phase: whoever holds the table
    /// of the one also needs the output of the other soon after.
    pub(crate) fn decode_block<T>(
        &self,
        costs: Option<&mut Vec<f32>>,
        resources: &impl Resources,
        then: impl FnOnce(Vec<u8>, Option<Params>) -> Result<T, PayloadError>,
    ) -> Result<T, PayloadError> {
        let h = self.parse_header()?;
        // The transformed block is never longer than the text (the encoder falls back to the
        // untransformed block otherwise), and LZP only shortens it, so this bounds every
        // allocation below.
        let unpacked_len = h.lzp.map_or(h.block_len, |(_, len)| len);
        if h.block_len > unpacked_len
            || unpacked_len > self.decoded_size as u64
            || (h.transform.is_none() && unpacked_len != self.decoded_size as u64)
        {
            return Err(PayloadError::Header);
        }
        let lzp = h.lzp.map(|(params, len)| (params, len as usize));
        let len = h.block_len as usize;
        let inversion_need = HEAVY_BYTES_PER_BYTE * unpacked_len;
        match h.coder {
            Coder::Words(model, revision) => {
                let layout = code_layout(h.transform.as_ref());
                let mut block = Vec::new();
                if !wordcm::decode(h.code, len, model, revision, layout, &mut block, costs) {
                    return Err(PayloadError::Truncated);
                }
                resources.pass(self.decoded_size as u64, || then(block, h.transform))
            }
            Coder::Ranks {
                revision,
                params,
                rows,
            } => {
                let mut bwt = Vec::new();
                let mut bwt_costs = Vec::new();
                let costs_out = costs.is_some().then_some(&mut bwt_costs);
                if !rank::decode(h.code, len, revision, params, &mut bwt, costs_out) {
                    return Err(PayloadError::Truncated);
                }
                resources.pass(inversion_need, || {
                    let pieces = std::slice::from_ref(&rows);
                    let costs = costs.map(|c| (c, bwt_costs));
                    let block = invert_bwt(bwt, pieces, lzp, costs, resources)?;
                    then(block, h.transform)
                })
            }
            Coder::Bwt { coder, pieces } => {
                let mut bwt_costs = Vec::new();
                let bwt = match costs {
                    None => decode_parts(&h.parts, len, coder, resources),
                    Some(_) => {
                        let (mut bwt, count) = (Vec::new(), h.parts.len());
                        let decoded = h.parts.iter().enumerate().all(|(i, code)| {
                            let part_len = part_range(len, count, i).len();
                            coder.decode_with_costs(code, part_len, &mut bwt, &mut bwt_costs)
                        });
                        decoded.then_some(bwt)
                    }
                };
                let bwt = bwt.ok_or(PayloadError::Truncated)?;
                resources.pass(inversion_need, || {
                    let costs = costs.map(|c| (c, bwt_costs));
                    let block = invert_bwt(bwt, &pieces, lzp, costs, resources)?;
                    then(block, h.transform)
                })
            }
        }
    }
}

/// Decodes the `codes` of the parts of a block of `len` bytes: on the cores `resources` lends,
/// or two at a time on this thread if it lends none; `None` if a part's code ends early.
fn decode_parts(
    codes: &[&[u8]],
    len: usize,
    coder: BlockCoder,
    resources: &impl Resources,
) -> Option<Vec<u8>> {
    let count = codes.len();
    // Zeroed memory is mapped as it is written, not all at once: the block's pages become
    // resident as the decoders reach them, as they did when bytes were appended.
    let mut out = vec![0; len];
    let mut slots = Vec::with_capacity(count);
    let mut rest = &mut out[..];
    for i in 0..count {
        let (part, after) = rest.split_at_mut(part_range(len, count, i).len());
        slots.push(part);
        rest = after;
    }
    if !resources.lends_cores() {
        // This thread decodes every part, so two at a time, side by side.
        let decoded = codes
            .chunks(2)
            .zip(slots.chunks_mut(2))
            .all(|pair| match pair {
                (&[a, b], [out_a, out_b]) => coder.decode_two_into([a, b], [out_a, out_b]),
                (&[code], [out]) => coder.decode_into(code, out),
                _ => unreachable!("one slot per code"),
            });
        return decoded.then_some(out);
    }
    let slots: Vec<_> = slots.into_iter().map(Mutex::new).collect();
    let decoded = resources.parts(count, |i| {
        let mut part = slots[i].lock().unwrap_or_else(PoisonError::into_inner);
        coder.decode_into(codes[i], &mut part)
    });
    decoded.into_iter().all(|ok| ok).then_some(out)
}

/// Where the inverse BWT starts: the row of every `rate`-th position of the block (one row,
/// the primary index, before method `GlyphRevised`).
#[derive(Default)]
struct BwtRows {
    rows: Vec<u32>,
    rate: usize,
}

/// Inverts the BWT of `bwt`, one piece after another (`pieces` holds the rows of each; one
/// piece: the block was sorted whole), then unpacks the result if `lzp` packed it; with costs
/// per BWT byte, also appends the cost of each block byte (traced back through the
/// transforms) to the given vector. A piece's segments are followed in two groups, side by
/// side, when `resources` lends a core.
fn invert_bwt(
    bwt: Vec<u8>,
    pieces: &[BwtRows],
    lzp: Option<(LzpParams, usize)>,
    costs: Option<(&mut Vec<f32>, Vec<f32>)>,
    resources: &impl Resources,
) -> Result<Vec<u8>, PayloadError> {
    let mut block = Vec::new();
    let mut block_costs = Vec::new();
    let (len, count) = (bwt.len(), pieces.len());
    let mut whole = Some(bwt);
    for (i, rows) in pieces.iter().enumerate() {
        let range = part_range(len, count, i);
        // A piece is inverted from a copy of its bytes, and the transform freed with the last
        // one; a block sorted whole is inverted from the transform itself.
        let piece = match (i + 1 == count, count) {
            (true, 1) => whole.take().expect("one piece"),
            (true, _) => whole.take().expect("freed with the last piece")[range.clone()].to_vec(),
            (false, _) => whole.as_ref().expect("kept for the last piece")[range.clone()].to_vec(),
        };
        match &costs {
            None => {
                let rows = (&rows.rows[..], rows.rate);
                bwt::inverse_sampled_in_groups(piece, rows, &mut block, side_by_side(resources))
                    .map_err(|_| PayloadError::PrimaryIndex)?
            }
            Some((_, bwt_costs)) => {
                let mut sources = Vec::new();
                bwt::inverse_with_sources(piece, &rows.rows, rows.rate, &mut block, &mut sources)
                    .map_err(|_| PayloadError::PrimaryIndex)?;
                let costs = &bwt_costs[range];
                block_costs.extend(sources.iter().map(|&i| costs[i as usize]));
            }
        }
    }
    let Some((params, len)) = lzp else {
        if let Some((costs, _)) = costs {
            costs.append(&mut block_costs);
        }
        return Ok(block);
    };
    let mut unpacked = Vec::with_capacity(len);
    let costs = costs.map(|(costs, _)| (&block_costs[..], costs));
    lzp::decode(&block, params, len, &mut unpacked, costs).map_err(|_| PayloadError::Lzp)?;
    Ok(unpacked)
}

fn parse_transform_params(
    payload: &[u8],
    pos: &mut usize,
    codebook: bool,
    codebook_by_keys: bool,
    (line_breaks, split): (bool, bool),
) -> Result<Params, PayloadError> {
    let fixed = payload.get(*pos..*pos + 34).ok_or(PayloadError::Header)?;
    let mut implied_space = [false; 256];
    for (i, slot) in implied_space.iter_mut().enumerate() {
        *slot = fixed[i / 8] >> (i % 8) & 1 == 1;
    }
    let (n1, n2) = (fixed[32], fixed[33]);
    if u16::from(n1) + u16::from(n2) > 128 {
        return Err(PayloadError::Header);
    }
    *pos += 34;
    let bank_entries = take_varint(payload, pos)?;
    let bank_bytes = take_varint(payload, pos)?;
    let line_breaks = match line_breaks {
        false => None,
        true => {
            let (min_end, crlf) = match payload.get(*pos..*pos + 2) {
                Some(&[min_end, line_end @ (0 | 1)]) => (min_end, line_end == 1),
                _ => return Err(PayloadError::Header),
            };
            *pos += 2;
            Some(LineBreaks {
                min_end,
                crlf,
                code: take_code(payload, pos)?,
            })
        }
    };
    let split = match split {
        false => None,
        true => Some(Split {
            glyphs_before: take_varint(payload, pos)?,
            text_before: take_varint(payload, pos)?,
            breaks_code: match line_breaks {
                Some(_) => take_code(payload, pos)?,
                None => Vec::new(),
            },
        }),
    };
    Ok(Params {
        implied_space,
        one_byte_codes: n1,
        two_byte_prefixes: n2,
        codebook,
        codebook_by_keys,
        bank_entries,
        bank_bytes,
        line_breaks,
        split,
    })
}

/// Reads a length (a varint) and that many bytes from `payload` at `*pos`.
fn take_code(payload: &[u8], pos: &mut usize) -> Result<Vec<u8>, PayloadError> {
    let len = take_varint(payload, pos)?;
    let code = usize::try_from(len)
        .ok()
        .and_then(|len| payload.get(*pos..pos.checked_add(len)?))
        .ok_or(PayloadError::Header)?;
    *pos += code.len();
    Ok(code.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::{KeyLearner, Trainer};
    use crate::options::{EncoderOptions, DEFAULT_LEVEL};
    use crate::pipeline::MemoryGate;

    #[test]
    fn two_workers_transform_the_default_frames_one_at_a_time() {
        let frame = EncoderOptions::level_frame_size(DEFAULT_LEVEL);
        let budget = MemoryGate::budget(2, frame);
        let transform = TRANSFORM_BYTES_PER_BYTE * frame;
        assert!(transform <= budget, "one transform fits");
        assert!(2 * transform > budget, "two transforms at once do not");
    }

    /// A frame's payload as the decoder sees it, in a stream without context-model tables or
    /// codebook.
    fn coded(frame: &EncodedFrame, decoded_size: usize) -> CodedPayload<'_> {
        CodedPayload {
            method: frame.method,
            payload: &frame.payload,
            decoded_size,
            context_log: 0,
            codebook: None,
        }
    }

    fn round_trip(input: &[u8]) -> EncodedFrame {
        let frame = encode(input.to_vec(), &CodecParams::default(), None);
        let mut out = Vec::new();
        decode(frame.method, &frame.payload, input.len(), 0, None, &mut out).unwrap();
        assert_eq!(out, input);
        frame
    }

    #[test]
    fn prose_uses_the_glyph_coder() {
        let text =
            "It was the best of times, it was the worst of times; it was the age of wisdom.\n"
                .repeat(40);
        let frame = round_trip(text.as_bytes());
        assert_eq!(frame.method, Method::GlyphRevised);
        assert!(frame.payload.len() < text.len() / 10);
        assert!(frame.glyphs[crate::glyph::GlyphType::Reference as usize] > 0);
    }

    /// Records of a numbered line and one of three boilerplate tables of digits and
    /// punctuation (which the word transform leaves as they are, so its block repeats them).
    fn log(records: u32) -> Vec<u8> {
        let tables: Vec<String> = (0..3)
            .map(|t| {
                (0..12)
                    .map(|row| {
                        format!(
                            "| {t} | {row:02} | 0.{:03} | {:05} |\n",
                            row * 37,
                            row * 4099
                        )
                    })
                    .collect()
            })
            .collect();
        (0..records)
            .flat_map(|i| {
                let table = &tables[(i * 7 % 3) as usize];
                format!("record {i} of {records}:\n{table}").into_bytes()
            })
            .collect()
    }

    #[test]
    fn long_repeats_are_packed_by_lzp_in_both_bwt_stages() {
        let text = log(3000);
        let rank = CodecParams {
            stage: Stage::Rank(RankParams::default()),
            ..CodecParams::default()
        };
        for params in [CodecParams::default(), rank] {
            let frame = encode(text.clone(), &params, None);
            assert_eq!(frame.payload[0], MODE_TRANSFORMED | MODE_LZP);
            let mut out = Vec::new();
            decode(frame.method, &frame.payload, text.len(), 0, None, &mut out).unwrap();
            assert_eq!(out, text);
            let unpacked = encode(
                text.clone(),
                &CodecParams {
                    lzp: None,
                    ..params
                },
                None,
            );
            assert_eq!(unpacked.payload[0], MODE_TRANSFORMED);
        }
        // Prose does not repeat that much.
        let prose = "It was the best of times, it was the worst of times; it was the age of \
                     wisdom, it was the age of foolishness.\n";
        let varied: String = (0..2000).map(|i| format!("{i} {prose}")).collect();
        let frame = round_trip(varied.as_bytes());
        assert_eq!(frame.payload[0], MODE_TRANSFORMED);
    }

    #[test]
    fn the_lzp_mode_is_refused_where_the_format_does_not_allow_it() {
        let text = log(3000);
        let frame = encode(text.clone(), &CodecParams::default(), None);
        let decode_as =
            |method, payload: &[u8]| decode(method, payload, text.len(), 0, None, &mut Vec::new());
        // Methods 1 and 3 read the same header fields as 5 and 6, but not the LZP mode.
        assert_eq!(
            decode_as(Method::Glyph, &frame.payload),
            Err(PayloadError::Header)
        );
        // An unpacked length beyond the decoded size, and LZP parameters out of range.
        let coded = coded(&frame, text.len());
        let head = coded.parse_header().unwrap();
        let (params, unpacked) = head.lzp.unwrap();
        assert!(unpacked < text.len() as u64);
        let code_at = frame.payload.len() - head.code.len();
        let lzp_at = frame.payload[..code_at]
            .windows(LzpParams::LEN)
            .rposition(|w| LzpParams::parse(w) == Some(params))
            .unwrap();
        let mut bad = frame.payload.clone();
        bad[lzp_at + 2] = 21;
        assert_eq!(decode_as(frame.method, &bad), Err(PayloadError::Header));
        let (mut claimed, mut actual) = (Vec::new(), Vec::new());
        varint::put(&mut actual, unpacked);
        varint::put(&mut claimed, unpacked - 1);
        assert_eq!(claimed.len(), actual.len());
        let mut short = frame.payload.clone();
        short[lzp_at + LzpParams::LEN..][..claimed.len()].copy_from_slice(&claimed);
        assert_eq!(decode_as(frame.method, &short), Err(PayloadError::Lzp));
    }

    #[test]
    fn soft_line_breaks_are_refused_where_the_format_does_not_allow_them() {
        let text = crate::test_support::wrapped_prose(20_000, 72, 0, 3);
        let params = CodecParams::default();
        let frame = encode(text.clone(), &params, None);
        assert_eq!(frame.payload[0] & MODE_BREAKS, MODE_BREAKS);
        let decode_as =
            |method, payload: &[u8]| decode(method, payload, text.len(), 0, None, &mut Vec::new());
        assert_eq!(decode_as(frame.method, &frame.payload), Ok(()));
        // The breaks fields, in the payload: break column, code length, code.
        let breaks = params
            .transform(&text, None, &Alone)
            .unwrap()
            .params
            .line_breaks
            .unwrap();
        let code_at = (frame.payload.windows(breaks.code.len()))
            .position(|w| w == breaks.code)
            .unwrap();
        let mut len = Vec::new();
        varint::put(&mut len, breaks.code.len() as u64);
        let column_at = code_at - len.len() - 2;
        assert_eq!(frame.payload[column_at], LINE_BREAK_MIN_END);
        assert_eq!(frame.payload[column_at + 1], 0, "LF line ends");
        let with = |len: u64, code: &[u8]| {
            let mut payload = frame.payload[..column_at + 2].to_vec();
            varint::put(&mut payload, len);
            payload.extend_from_slice(code);
            payload.extend_from_slice(&frame.payload[code_at + breaks.code.len()..]);
            payload
        };
        assert_eq!(
            decode_as(frame.method, &with(breaks.code.len() as u64, &breaks.code)),
            Ok(())
        );
        // A line end other than LF (0) or CR LF (1).
        let mut bad_line_end = frame.payload.clone();
        bad_line_end[column_at + 1] = 2;
        assert_eq!(
            decode_as(frame.method, &bad_line_end),
            Err(PayloadError::Header)
        );
        // A code that claims more bytes than the payload has.
        let past_end = frame.payload.len() as u64;
        assert_eq!(
            decode_as(frame.method, &with(past_end, &breaks.code)),
            Err(PayloadError::Header)
        );
        // A code a byte short: its decoder reads past its end.
        let short = &breaks.code[..breaks.code.len() - 1];
        assert_eq!(
            decode_as(frame.method, &with(short.len() as u64, short)),
            Err(PayloadError::Truncated)
        );
        // Without the word transform there are no separators to break.
        let digits: Vec<u8> = (0..3000u32)
            .flat_map(|i| format!("{i},").into_bytes())
            .collect();
        let mut plain = encode(digits.clone(), &params, None);
        assert_eq!(plain.payload[0] & 3, MODE_PLAIN);
        plain.payload[0] |= MODE_BREAKS;
        assert_eq!(
            decode(
                plain.method,
                &plain.payload,
                digits.len(),
                0,
                None,
                &mut Vec::new()
            ),
            Err(PayloadError::Header)
        );
    }

    fn in_parts(count: usize) -> CodecParams {
        CodecParams {
            parts: BlockParts {
                count,
                min_block: 0,
            },
            ..CodecParams::default()
        }
    }

    fn prose(lines: usize) -> Vec<u8> {
        (0..lines)
            .map(|i| format!("Line {i} of the tale, where the travellers rested by the road.\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn blocks_coded_in_parts_decode_alone_and_side_by_side() {
        let cores = crate::pipeline::IdleCores::new(4, 4);
        cores.lend(true);
        for text in [prose(300), log(2000)] {
            let whole = encode(text.clone(), &CodecParams::default(), None);
            assert!(
                !coded_in_parts(whole.method, &whole.payload),
                "small blocks are one part"
            );
            for count in [2, 3, MAX_BLOCK_PARTS] {
                let frame = encode(text.clone(), &in_parts(count), None);
                assert!(coded_in_parts(frame.method, &frame.payload));
                let coded = coded(&frame, text.len());
                assert_eq!(coded.parse_header().unwrap().parts.len(), count);
                let mut alone = Vec::new();
                decode(
                    frame.method,
                    &frame.payload,
                    text.len(),
                    0,
                    None,
                    &mut alone,
                )
                .unwrap();
                assert!(
                    alone == text,
                    "{count} parts decoded two at a time by one thread"
                );
                let mut beside = Vec::new();
                let (method, payload) = (frame.method, &frame.payload);
                decode_gated(method, payload, text.len(), 0, None, &mut beside, &cores).unwrap();
                assert!(beside == text, "{count} parts decoded side by side");
                let parallel = encode_gated(text.clone(), &in_parts(count), None, &cores);
                assert!(
                    parallel.payload == frame.payload,
                    "coded side by side alike"
                );
            }
        }
        // No more parts than bytes: a one-byte block is one part.
        assert_eq!(BlockParts::DEFAULT.for_block(1 << 20), 2);
        assert_eq!(BlockParts::DEFAULT.for_block((1 << 20) - 1), 1);
        assert_eq!(in_parts(16).parts.for_block(3), 3);
        assert_eq!(in_parts(16).parts.for_block(0), 1);
    }

    fn sorted_in_pieces(max_sorted_block: usize, stage: Stage) -> CodecParams {
        CodecParams {
            max_sorted_block,
            stage,
            recurrence_min_block: 0,
            ..CodecParams::default()
        }
    }

    /// The pieces of a payload's block and the bytes of its BWT each covers.
    fn piece_lens(frame: &EncodedFrame, len: usize) -> Vec<usize> {
        let coded = coded(frame, len);
        let head = coded.parse_header().unwrap();
        let Coder::Bwt { pieces, .. } = head.coder else {
            panic!("a BWT stage's payload")
        };
        let count = pieces.len();
        (0..count)
            .map(|i| part_range(head.block_len as usize, count, i).len())
            .collect()
    }

    #[test]
    fn blocks_sorted_in_pieces_decode_alone_side_by_side_and_with_costs() {
        let cores = crate::pipeline::IdleCores::new(4, 4);
        cores.lend(true);
        let recurrence = Stage::Recurrence(QlfcParams::default());
        for (text, stage) in [(prose(3000), Stage::Bwt), (log(20000), recurrence)] {
            let whole = encode(text.clone(), &sorted_in_pieces(usize::MAX, stage), None);
            let block_len = piece_lens(&whole, text.len())[0];
            assert!(block_len > 1 << 12, "a block of {block_len} bytes");
            for pieces in [2, 3, MAX_BLOCK_PARTS] {
                let params = sorted_in_pieces(block_len.div_ceil(pieces), stage);
                let frame = encode(text.clone(), &params, None);
                let method = match stage {
                    Stage::Bwt => Method::GlyphRevised,
                    _ => Method::RecurrenceRevised,
                };
                assert_eq!(frame.method, method);
                assert_eq!(frame.payload[0] & MODE_PIECES, MODE_PIECES);
                let lens = piece_lens(&frame, text.len());
                assert_eq!(lens.len(), pieces);
                assert!(lens.iter().all(|&len| len <= params.max_sorted_block));
                let coded = coded(&frame, text.len());
                assert_eq!(coded.parse_header().unwrap().parts.len(), pieces);
                let (method, payload) = (frame.method, &frame.payload);
                let mut alone = Vec::new();
                decode(method, payload, text.len(), 0, None, &mut alone).unwrap();
                assert!(alone == text, "{pieces} pieces decoded by one thread");
                let mut beside = Vec::new();
                decode_gated(method, payload, text.len(), 0, None, &mut beside, &cores).unwrap();
                assert!(beside == text, "{pieces} pieces decoded side by side");
                let parallel = encode_gated(text.clone(), &params, None, &cores);
                assert!(
                    parallel.payload == payload.clone(),
                    "coded side by side alike"
                );
                // Costs follow each block byte back to its piece's BWT.
                let mut costs = Vec::new();
                let block = coded
                    .decode_block(Some(&mut costs), &Alone, |block, _| Ok(block))
                    .unwrap();
                assert_eq!(costs.len(), block.len());
                let bits: f32 = costs.iter().sum();
                let coded_bits = (payload.len() * 8) as f32;
                assert!(bits > 0.5 * coded_bits && bits < 1.5 * coded_bits);
            }
        }
    }

    #[test]
    fn malformed_pieces_are_refused() {
        let text = prose(3000);
        let frame = encode(text.clone(), &sorted_in_pieces(1 << 14, Stage::Bwt), None);
        let decode_as =
            |payload: &[u8]| decode(frame.method, payload, text.len(), 0, None, &mut Vec::new());
        let pieces = piece_lens(&frame, text.len()).len();
        assert!(pieces > 2);
        // Pieces without parts, and a part count other than the piece count.
        let mut unparted = frame.payload.clone();
        unparted[0] &= !MODE_PARTS;
        assert_eq!(decode_as(&unparted), Err(PayloadError::Header));
        let coded = coded(&frame, text.len());
        let head = coded.parse_header().unwrap();
        let codes_at = frame.payload.len() - head.code.len();
        let mut parts_section = Vec::new();
        varint::put(&mut parts_section, pieces as u64);
        for part in &head.parts[..pieces - 1] {
            varint::put(&mut parts_section, part.len() as u64);
        }
        let count_at = codes_at - parts_section.len();
        assert_eq!(frame.payload[count_at..codes_at], parts_section[..]);
        let mut fewer_parts = frame.payload[..count_at].to_vec();
        varint::put(&mut fewer_parts, pieces as u64 - 1);
        for part in &head.parts[..pieces - 2] {
            varint::put(&mut fewer_parts, part.len() as u64);
        }
        fewer_parts.extend_from_slice(&frame.payload[codes_at..]);
        assert_eq!(decode_as(&fewer_parts), Err(PayloadError::Header));
        // A piece row out of range is the inverse BWT's to refuse.
        let mut flipped = frame.payload.clone();
        flipped[count_at - 1] ^= 0x7F;
        assert!(decode_as(&flipped).is_err());
    }

    #[test]
    fn malformed_parts_are_refused() {
        let text = prose(300);
        let frame = encode(text.clone(), &in_parts(2), None);
        let decode_as =
            |method, payload: &[u8]| decode(method, payload, text.len(), 0, None, &mut Vec::new());
        let coded = coded(&frame, text.len());
        let head = coded.parse_header().unwrap();
        let first_len = head.parts[0].len();
        let codes_at = frame.payload.len() - head.code.len();
        let mut len_bytes = Vec::new();
        varint::put(&mut len_bytes, first_len as u64);
        let count_at = codes_at - len_bytes.len() - 1;
        assert_eq!(frame.payload[count_at], 2);
        let with = |count: u64, first: u64| {
            let mut payload = frame.payload[..count_at].to_vec();
            varint::put(&mut payload, count);
            varint::put(&mut payload, first);
            payload.extend_from_slice(&frame.payload[codes_at..]);
            payload
        };
        let first = first_len as u64;
        assert_eq!(decode_as(frame.method, &with(2, first)), Ok(()));
        for count in [0, 1, MAX_BLOCK_PARTS as u64 + 1] {
            let bad = with(count, first);
            assert_eq!(decode_as(frame.method, &bad), Err(PayloadError::Header));
        }
        let past_end = (frame.payload.len() - codes_at + 1) as u64;
        assert_eq!(
            decode_as(frame.method, &with(2, past_end)),
            Err(PayloadError::Header)
        );
        // The first part's code cut short: its decoder runs out.
        assert_eq!(
            decode_as(frame.method, &with(2, first - 8)),
            Err(PayloadError::Truncated)
        );
        // Only method 5 may code its block in parts.
        assert_eq!(
            decode_as(Method::Glyph, &frame.payload),
            Err(PayloadError::Header)
        );
        let rank_params = CodecParams {
            stage: Stage::Rank(RankParams::default()),
            ..CodecParams::default()
        };
        let mut rank = encode(text.clone(), &rank_params, None);
        assert_eq!(rank.method, Method::RankRevised);
        rank.payload[0] |= MODE_PARTS;
        assert_eq!(
            decode_as(rank.method, &rank.payload),
            Err(PayloadError::Header)
        );
    }

    #[test]
    fn incompressible_input_is_stored() {
        let noise = crate::test_support::noise(5000, 0x9E37_79B9_7F4A_7C15);
        assert_eq!(round_trip(&noise).method, Method::Stored);
        assert_eq!(round_trip(b"").method, Method::Stored);
        round_trip(b"a");
    }

    #[test]
    fn text_the_transform_shrinks_but_the_payload_does_not_is_stored() {
        // The transform takes the text away from the encoder; its coding has more header than
        // the text has bytes, so the encoder decodes the payload to get the text back.
        let text = b"the the the the the the";
        let transformed = CodecParams::default()
            .transform(text, None, &Alone)
            .unwrap();
        assert!(transformed.block.len() < text.len());
        assert_eq!(round_trip(text).method, Method::Stored);
    }

    #[test]
    fn wrong_sizes_are_rejected() {
        let text = b"the theme of the thesis is the theory of the thing".repeat(10);
        let frame = encode(text.clone(), &CodecParams::default(), None);
        let mut out = Vec::new();
        assert_eq!(
            decode(
                frame.method,
                &frame.payload,
                text.len() - 1,
                0,
                None,
                &mut out
            ),
            Err(PayloadError::Size)
        );
        out.clear();
        assert_eq!(
            decode(Method::Stored, b"abc", 2, 0, None, &mut out),
            Err(PayloadError::Size)
        );
    }

    #[test]
    fn small_frames_take_the_codebook_only_where_it_is_smaller() {
        let english = Codebook::english();
        let prose = b"When the evening came, the travellers found a small inn beside the road \
and asked whether there was room for them and their horses for the night.\n"
            .repeat(3);
        let frame = encode(prose.clone(), &CodecParams::default(), Some(&english));
        assert_eq!(frame.payload[0], MODE_CODEBOOK);
        let alone = encode(prose.clone(), &CodecParams::default(), None);
        assert!(frame.payload.len() < alone.payload.len());
        let mut out = Vec::new();
        decode(
            frame.method,
            &frame.payload,
            prose.len(),
            0,
            Some(&english),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, prose);
        assert_eq!(
            decode(
                frame.method,
                &frame.payload,
                prose.len(),
                0,
                None,
                &mut Vec::new()
            ),
            Err(PayloadError::NoCodebook)
        );

        // Made-up words: the codebook would only lengthen the frame's own codes.
        let made_up = b"zorf quaxle zorf vindle quaxle zorf prindo vindle zorf ".repeat(20);
        let frame = encode(made_up.clone(), &CodecParams::default(), Some(&english));
        assert_eq!(frame.payload[0], MODE_TRANSFORMED);
    }

    /// Counts the heavy phases a frame goes through: each transform, and each sort of a
    /// block (transformed or plain).
    #[derive(Default)]
    struct CountingGate {
        passes: std::sync::atomic::AtomicUsize,
        /// The cores for parts, if any besides the caller's.
        cores: Option<crate::pipeline::IdleCores>,
    }

    impl Resources for CountingGate {
        fn pass<T>(&self, _bytes: u64, phase: impl FnOnce() -> T) -> T {
            self.passes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            phase()
        }

        fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
            match &self.cores {
                Some(cores) => cores.parts(count, part),
                None => (0..count).map(part).collect(),
            }
        }
    }

    #[test]
    fn the_codebook_takes_the_order_of_its_keys_where_the_stage_gains_from_it() {
        let english = Codebook::english();
        let prose = b"When the evening came, the travellers found a small inn beside the road \
and asked whether there was room for them and their horses for the night.\n";
        let small = prose.repeat(KEYED_ORDER_MIN_FRAME / prose.len());
        let large = prose.repeat(KEYED_ORDER_MIN_FRAME / prose.len() + 1);
        assert!(small.len() < KEYED_ORDER_MIN_FRAME && large.len() >= KEYED_ORDER_MIN_FRAME);
        let ranks = CodecParams {
            stage: Stage::Rank(RankParams::default()),
            ..CodecParams::default()
        };
        for (params, text, mode) in [
            (CodecParams::default(), &small, MODE_CODEBOOK),
            (CodecParams::default(), &large, MODE_CODEBOOK_BY_KEYS),
            (ranks, &small, MODE_CODEBOOK_BY_KEYS),
        ] {
            let frame = encode(text.clone(), &params, Some(&english));
            assert_eq!(frame.payload[0], mode, "{} bytes", text.len());
            let mut out = Vec::new();
            let len = text.len();
            decode(
                frame.method,
                &frame.payload,
                len,
                0,
                Some(&english),
                &mut out,
            )
            .unwrap();
            assert_eq!(&out, text);
            // The same entries without keys (as read from a file) cannot be taken in key order.
            let keyless = Codebook::from_bytes(&english.to_bytes()).unwrap();
            let with_keyless = decode(
                frame.method,
                &frame.payload,
                len,
                0,
                Some(&keyless),
                &mut Vec::new(),
            );
            match mode {
                MODE_CODEBOOK => assert_eq!(with_keyless, Ok(())),
                _ => assert_eq!(with_keyless, Err(PayloadError::Header)),
            }
        }
        // A trained codebook with keys, the same.
        let mut trainer = Trainer::new();
        trainer.feed(&large);
        let keyless = trainer.finish(30);
        let mut learner = KeyLearner::new(&keyless);
        learner.feed(&large);
        let keys = learner.finish();
        let copy = Codebook::from_bytes(&keyless.to_bytes()).unwrap();
        let trained = copy.with_keys(keys).unwrap();
        for (book, mode) in [(&keyless, MODE_CODEBOOK), (&trained, MODE_CODEBOOK_BY_KEYS)] {
            let frame = encode(large.clone(), &CodecParams::default(), Some(book));
            assert_eq!(frame.payload[0], mode);
            let mut out = Vec::new();
            decode(
                frame.method,
                &frame.payload,
                large.len(),
                0,
                Some(book),
                &mut out,
            )
            .unwrap();
            assert_eq!(out, large);
        }
    }

    #[test]
    fn only_frames_the_codebook_covers_less_are_coded_both_ways() {
        let english = Codebook::english();
        let params = CodecParams::default();
        let passes = |input: &[u8], idle_core: bool| {
            let cores = idle_core.then(|| {
                let cores = crate::pipeline::IdleCores::new(2, 2);
                cores.lend(true);
                cores
            });
            let gate = CountingGate {
                passes: Default::default(),
                cores,
            };
            let frame = encode_gated(input.to_vec(), &params, Some(&english), &gate);
            (frame.payload[0], gate.passes.into_inner())
        };
        let prose = b"She said that they would all go to the river in the morning, and \
that nobody should be late, because the boat would not wait for them.\n"
            .repeat(4);
        let made_up = b"zorf quaxle zorf vindle quaxle zorf prindo vindle zorf ".repeat(20);
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for idle_core in [false, true] {
            // One transform and its sort.
            assert_eq!(passes(&prose, idle_core), (MODE_CODEBOOK, 2));
            assert_eq!(passes(&made_up, idle_core), (MODE_TRANSFORMED, 4));
            // Rejected by the transform without the codebook (which covers too little to be
            // taken) and over it, then sorted plain: the first rejection is not tried again.
            assert_eq!(passes(&bytes, idle_core), (MODE_PLAIN, 3));
        }
    }

    #[test]
    fn the_full_word_model_learns_faster_where_the_codebook_covers_too_little() {
        let english = Codebook::english();
        // How the mode byte says the block was transformed (its two low bits), and the third
        // of the word model's parameters after it: the mixer's shift.
        let mode_and_mixer_shift = |input: &[u8], revision| {
            let params = CodecParams {
                stage: Stage::Words(WordModelParams::for_revision(revision), revision),
                ..CodecParams::default()
            };
            let frame = encode(input.to_vec(), &params, Some(&english));
            (frame.payload[0] & 3, frame.payload[3])
        };
        let prose = crate::test_support::wrapped_prose(6000, 72, 0, 3);
        let made_up = b"zorf quaxle zorf vindle quaxle zorf prindo vindle zorf ".repeat(20);
        let shift = WordModelParams::default().mixer_shift;
        for revision in [Revision::Second, Revision::Third] {
            assert_eq!(
                mode_and_mixer_shift(&prose, revision),
                (MODE_CODEBOOK_BY_KEYS, shift)
            );
        }
        assert_eq!(
            mode_and_mixer_shift(&made_up, Revision::Second),
            (MODE_TRANSFORMED, shift - 1)
        );
        assert_eq!(
            mode_and_mixer_shift(&made_up, Revision::Third),
            (MODE_TRANSFORMED, shift)
        );
    }

    #[test]
    fn input_the_transform_rejects_codes_the_same_with_a_codebook() {
        let english = Codebook::english();
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let params = CodecParams::default();
        assert!(params.transform(&bytes, None, &Alone).is_err());
        let with = encode(bytes.clone(), &params, Some(&english));
        let without = encode(bytes, &params, None);
        assert_eq!(with.payload[0], MODE_PLAIN);
        assert_eq!(with.payload, without.payload);
    }
}
