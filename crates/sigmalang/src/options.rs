//! Encoder and decoder settings, and how a level and an input size become a frame size.

use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::format::MAX_FRAME_SIZE;
use crate::frame::{CodecParams, Stage};
use crate::lzp::LzpPolicy;
use crate::qlfc::QlfcParams;
use crate::rank::RankParams;
use crate::wordcm::{self, Revision, WordModelParams};
use std::sync::Arc;

/// Lowest compression level.
pub const MIN_LEVEL: u8 = 1;
/// Highest compression level.
pub const MAX_LEVEL: u8 = 9;
/// The level used when none is given.
pub const DEFAULT_LEVEL: u8 = 5;
/// Smallest frame size accepted.
pub const MIN_FRAME_SIZE: u64 = 1 << 10;
/// The smallest frame a level's frame size is reduced to for a small input of known size.
const MIN_REDUCED_FRAME_SIZE: u64 = 1 << 20;

/// How to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Compression level, 1 (fastest) to 9 (smallest).
    pub level: u8,
    /// Frame size; when `None` it follows from the level and [`EncoderOptions::size_hint`].
    pub frame_size: Option<u64>,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Size of the whole input, when known in advance (files), to size frames.
    pub size_hint: Option<u64>,
    /// Memory the workers may use; fewer workers are started to stay under it, and the cores
    /// left over code parts of their frames.
    pub memory_limit: Option<u64>,
    /// The codebook frames may be coded over (the built-in English one by default; `None`
    /// for none). The stream header names it, and only a decoder that has it can decode the
    /// stream.
    pub codebook: Option<Arc<Codebook>>,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            level: DEFAULT_LEVEL,
            frame_size: None,
            threads: 1,
            size_hint: None,
            memory_limit: None,
            codebook: Some(Codebook::english()),
        }
    }
}

impl EncoderOptions {
    /// Sets the level (clamped to 1..=9).
    pub fn level(mut self, level: u8) -> Self {
        self.level = level.clamp(MIN_LEVEL, MAX_LEVEL);
        self
    }

    /// Sets an explicit frame size (clamped to the format's limits).
    pub fn frame_size(mut self, bytes: u64) -> Self {
        self.frame_size = Some(bytes.clamp(MIN_FRAME_SIZE, MAX_FRAME_SIZE));
        self
    }

    /// Sets the number of worker threads (0: all cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Tells the encoder how large the input is.
    pub fn size_hint(mut self, bytes: u64) -> Self {
        self.size_hint = Some(bytes);
        self
    }

    /// Sets the codebook frames may be coded over (`None`: no codebook).
    pub fn codebook(mut self, codebook: Option<Arc<Codebook>>) -> Self {
        self.codebook = codebook;
        self
    }

    /// Caps the memory the workers may use (fewer workers, never a refusal).
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Largest frame the level allows: bigger frames give the BWT stage more context.
    pub fn level_frame_size(level: u8) -> u64 {
        match level {
            ..=1 => 4 << 20,
            // 2.1 % smaller on text-100m.txt and 2.9 % on mixed-100m.txt than 8 MiB frames,
            // encoding 3 % slower; two workers still sort at once (`FREE_FRAME_SIZE`).
            2 => 16 << 20,
            // Frames of over 16 MiB share a memory budget to sort (`MemoryGate`; two of prose
            // fit it at once, one of the mixed corpus): 1.4 % smaller on text-100m.txt and
            // 3.2 % on mixed-100m.txt than `-2` (measured when they all sorted in turns, 31-34 %
            // slower).
            3 => 32 << 20,
            // The recurrence coder's levels, which code the BWT 2-5 times faster than level 6's
            // context mixing. Level 4's 16 MiB frames go two at a time. The default, level 5,
            // codes frames of 48 MiB one at a time, its other core coding half of each block
            // (`workers`): on text-100m.txt 4.617 (two frames; level 6 4.600), mixed-100m.txt
            // 5.955 (its blocks of 30 MB sorted in two pieces, `frame::MAX_SORTED_BLOCK`;
            // level 6 5.954), encoding 1.2-1.7 times as fast as level 6 and decoding 1.2-2.2
            // times (two runs), in 104 and 95 MiB on prose, 130 and 113 MiB on the mixed
            // corpus (level 6: 135 and 119, 133 and 123). Its earlier 32 MiB frames, two at a
            // time, coded 0.7 % larger than level 6 on prose.
            4 => 16 << 20,
            5 => 48 << 20,
            // The BWT stage gains 2.3 % on text-100m.txt from 16 MiB frames over 8 MiB ones,
            // 1.3 % more from 24 MiB ones, and 0.7 % more from 32 MiB ones (mixed-100m.txt
            // 2.4 %); two workers' sorts and word transforms share a memory budget
            // (`MemoryGate`: prose's sorts fit it at once, the mixed corpus's take turns, and
            // so do two transforms), so they fit in half of bsc's peak (294 MiB on prose, 282
            // on the mixed corpus): at `-T2` 139 MiB on text-100m.txt, 131 MiB on
            // mixed-100m.txt and 138 MiB on CI's 0.52 GB stream of both, against 107-119 MiB
            // and 105-107 MiB in 24 MiB frames.
            6 => 32 << 20,
            // The word model: 24 MiB of prose codes 1.8 % smaller at level 7 as one frame than
            // as frames of 16 and 8 MiB, and 100 MB is four frames, two per worker. At level 8,
            // text-100m.txt codes 1.2 % smaller (mixed-100m.txt 1.4 %) than in 16 MiB frames,
            // in 10 % less time (two rounds of frames instead of three and a half).
            7 | 8 => 24 << 20,
            // The word model gains from every byte it has seen: text-100m.txt codes 1.8 %
            // smaller as one frame of 128 MiB than as frames of 64 MiB.
            _ => 128 << 20,
        }
    }

    /// The frame size in force: explicit, or the level's, reduced for small inputs so that an
    /// input of known size is cut into at least two frames of about equal size (for
    /// parallelism) but never into frames below 1 MiB. Levels 4 to 6 keep an input that fits
    /// in one of their frames whole, and levels 8 and 9 only cap it at the input size. It
    /// depends on the input size, never on the thread count.
    pub fn effective_frame_size(&self) -> u64 {
        if let Some(size) = self.frame_size {
            // A frame never needs to be larger than the input; the stream header records the
            // frame size, and decoders size their memory by it. The field is public, so the
            // format's limits are enforced here too.
            let size = size.clamp(MIN_FRAME_SIZE, MAX_FRAME_SIZE);
            return match self.size_hint {
                Some(hint) => size.min(hint.max(MIN_FRAME_SIZE)),
                None => size,
            };
        }
        let level_max = Self::level_frame_size(self.level);
        match self.size_hint {
            // The top levels keep whole frames even if that leaves a core idle.
            Some(size) if self.level >= 8 => size.clamp(MIN_FRAME_SIZE, level_max),
            // The levels that code a BWT block in parts code an input that fits in one of their
            // frames as one frame, as bsc and bzip3 code such a file as one block: its block's
            // two parts keep both cores coding (`BlockParts`), and only the word transform and
            // the sort run on one. Against two equal frames, 4-32 MiB of prose coded 0.7-1.5 %
            // smaller at the default level and the mixed corpus 2.0-6.0 %.
            Some(size) if self.codes_bwt_in_parts() && size <= level_max => {
                size.clamp(MIN_REDUCED_FRAME_SIZE, level_max)
            }
            // An input that needs an even number of frames (at least two) is cut into frames
            // of equal size, so that two workers finish together: 24 MB in frames of 16 and
            // 8 MiB took a third longer at `-T2` than in halves (which coded 0.2 % larger on
            // prose, 1.1 % on the mixed corpus), 40 MB in 24 and 14 MiB a quarter longer. An odd
            // number keeps the level's frames and a shorter last one, which leaves one worker
            // less alone than equal frames would (60 MB in three of 20 MB took 15 % longer than
            // in 24, 24 and 12 MiB). 64 KiB more than the share leaves the cuts room to end on
            // a newline.
            Some(size) => {
                let frames = size.div_ceil(level_max).max(2);
                match frames % 2 {
                    0 => (size.div_ceil(frames) + (64 << 10))
                        .clamp(MIN_REDUCED_FRAME_SIZE, level_max),
                    _ => level_max,
                }
            }
            None => level_max,
        }
    }

    /// Whether the level's stage is [`Stage::Recurrence`] or [`Stage::Bwt`], whose blocks are
    /// coded in parts ([`crate::frame::BlockParts`]).
    fn codes_bwt_in_parts(&self) -> bool {
        matches!(self.bwt_stage(), Some(Stage::Recurrence(_) | Stage::Bwt))
    }

    /// The stage of the levels below the word model's: the rank coder at levels 1 to 3, the
    /// recurrence coder at 4 and 5, the context-mixing model at 6 (`None` from level 7).
    fn bwt_stage(&self) -> Option<Stage> {
        match self.level {
            ..=3 => Some(Stage::Rank(RankParams::default())),
            4 | 5 => Some(Stage::Recurrence(QlfcParams::default())),
            6 => Some(Stage::Bwt),
            _ => None,
        }
    }

    /// Workers in force: one per thread asked, fewer to fit the memory limit (at least one;
    /// the threads left over code parts of their frames).
    pub fn effective_threads(&self) -> usize {
        let bwt_in_parts = self.codes_bwt_in_parts();
        let threads = workers(
            resolve_threads(self.threads),
            self.effective_frame_size(),
            bwt_in_parts,
        );
        match self.memory_limit {
            Some(limit) => {
                let model = self.word_model().map(|(m, r)| (m.table_max_log, r));
                let per_thread = encode_memory_per_thread(self.effective_frame_size(), model);
                threads.min((limit / per_thread).max(1) as usize)
            }
            None => threads,
        }
    }

    /// The codec tuning for the level: levels 1 to 3 code the BWT with the rank coder, 4 and 5
    /// with the recurrence coder, 6 with the context-mixing model; levels 7 to 9 code text
    /// with the word-aware context model instead of the BWT stage (level 7 with its lean third
    /// revision, level 9 with larger tables); the BWT stage still codes what the word
    /// transform cannot take.
    pub(crate) fn codec_params(&self) -> CodecParams {
        let stage = match self.word_model() {
            Some((model, revision)) => Stage::Words(model, revision),
            None => self.bwt_stage().unwrap_or(Stage::Bwt),
        };
        // Levels 1 to 5 give up on a block whose first sixteenth saves less than 1/256:
        // prose, which gains under 0.01 % at the fast levels for 1.5 % of their time, and
        // 0.054 % at the default level (text-100m.txt 21,659,239 bytes against 21,670,937)
        // for a pass on one core each way (0.1-0.13 s encoding and 0.06-0.1 s decoding a
        // 48 MiB frame in per-thread profiles, about a twentieth of the frame's time). The
        // mixed corpus keeps it in every frame.
        let lzp = LzpPolicy {
            trial_saving_256ths: usize::from(matches!(
                stage,
                Stage::Rank(_) | Stage::Recurrence(_)
            )),
            ..LzpPolicy::default()
        };
        CodecParams {
            stage,
            lzp: Some(lzp),
            ..CodecParams::default()
        }
    }

    /// The context-model tables frames use, as a power of two of groups (0: none): the
    /// level's, or less if frames are too small to fill them.
    pub fn context_log(&self) -> u8 {
        self.word_model().map_or(0, |(m, _)| m.table_max_log)
    }

    fn word_model(&self) -> Option<(WordModelParams, Revision)> {
        let (level_max, revision) = match self.level {
            ..=6 => return None,
            // Tables of 2^21 groups made 24 MiB of prose 0.3 % smaller and took 5 % longer,
            // with 144 MiB more per worker (context and match tables).
            7 => (20, Revision::Third),
            8 => (21, Revision::Second),
            _ => (22, Revision::Second),
        };
        let model = WordModelParams {
            table_max_log: level_max,
            ..WordModelParams::for_revision(revision)
        };
        let frame_size = usize::try_from(self.effective_frame_size()).unwrap_or(usize::MAX);
        Some((
            WordModelParams {
                table_max_log: model.table_log(frame_size) as u8,
                ..model
            },
            revision,
        ))
    }
}

/// How to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Most memory the decoder may use for frames in flight; fewer workers are used to stay
    /// under it (the cores left over decode parts of their frames), and a stream whose single
    /// frame needs more is refused.
    pub memory_limit: u64,
    /// Codebooks this decoder has besides the built-in English one, for streams that name
    /// them.
    pub codebooks: Vec<Arc<Codebook>>,
}

/// Default decoder memory limit: room for two level-9 frames in flight (1688 MiB each).
pub const DEFAULT_MEMORY_LIMIT: u64 = 4 << 30;

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            threads: 1,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            codebooks: Vec::new(),
        }
    }
}

impl DecoderOptions {
    /// Adds a codebook that streams may name.
    pub fn codebook(mut self, codebook: Arc<Codebook>) -> Self {
        self.codebooks.push(codebook);
        self
    }

    /// Every codebook this decoder has: the built-in English one, then those added.
    pub fn known_codebooks(&self) -> impl Iterator<Item = Arc<Codebook>> + '_ {
        std::iter::once(Codebook::english()).chain(self.codebooks.iter().cloned())
    }

    /// The codebook that the stream header at `offset` names (`Ok(None)` for none), or
    /// [`Error::Codebook`] if this decoder does not have it.
    pub fn find_codebook(&self, id: u32, hash: u64, offset: u64) -> Result<Option<Arc<Codebook>>> {
        if (id, hash) == (0, 0) {
            return Ok(None);
        }
        self.known_codebooks()
            .find(|book| (book.id(), book.hash()) == (id, hash))
            .map(Some)
            .ok_or(Error::Codebook { id, hash, offset })
    }

    /// Sets the number of worker threads (0: all cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the memory limit in bytes.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = bytes;
        self
    }
}

/// Memory one worker needs to decode a frame of `frame_size` bytes from a stream whose
/// `Context`, `TextContext` or `TextLean` frames use tables of 2^`context_log` groups (0:
/// none). A `Glyph` frame needs its payload, BWT block and index (5 bytes per block byte),
/// transformed block, output, and the model's tables (at most 16 MiB of order-2 counters plus
/// about 1 MiB of the rest); a word-model frame needs payload, block, the model's copy of the
/// block, output, and the model's tables, counted for the largest revision (the stream header
/// does not say which its frames use).
pub fn decode_memory_per_thread(frame_size: u64, context_log: u8) -> u64 {
    let glyph = frame_size.saturating_mul(8).saturating_add(24 << 20);
    match context_log {
        0 => glyph,
        log => {
            glyph.max(frame_size.saturating_mul(4) + wordcm::model_memory(log, Revision::Second))
        }
    }
}

/// Memory one worker needs to encode a frame of `frame_size` bytes, as an upper bound: the
/// frame, the next frame the reader fills for it, token counts, the transformed block, its
/// suffix array (4 bytes per byte), the BWT output and the model's tables; or, with the word
/// model (`word_model`: its table size as log2 of groups, and its revision), that model's
/// tables instead of the suffix array. (The worker frees the text once the block is made and
/// transforms the block in place, so it uses less.)
pub fn encode_memory_per_thread(frame_size: u64, word_model: Option<(u8, Revision)>) -> u64 {
    match word_model {
        None => frame_size.saturating_mul(9).saturating_add(16 << 20),
        Some((log, revision)) => frame_size.saturating_mul(6) + wordcm::model_memory(log, revision),
    }
}

/// Frames of the BWT stages larger than this are coded and decoded one per two cores (see
/// [`workers`]).
pub const SHARED_CORES_FRAME_SIZE: u64 = 32 << 20;

/// The workers a pool of `cores` threads runs for frames of up to `frame_size` bytes, at a BWT
/// stage (`bwt_stage`) or not: one per core, but one per two cores for BWT frames over
/// [`SHARED_CORES_FRAME_SIZE`], whose entropy coding the other core shares (their block is
/// coded in parts). Two such frames side by side would hold two suffix sorts or two inverse
/// BWTs at once: 192 MiB for two 64 MiB frames of prose, where one at a time takes 136 MiB,
/// under issue 4's bound of half of bsc's peak.
pub fn workers(cores: usize, frame_size: u64, bwt_stage: bool) -> usize {
    match bwt_stage && frame_size > SHARED_CORES_FRAME_SIZE {
        true => cores.div_ceil(2),
        false => cores,
    }
}

pub(crate) fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_size_follows_input_size_and_level() {
        let o = EncoderOptions::default().level(6);
        assert_eq!(o.effective_frame_size(), 32 << 20);
        assert_eq!(o.clone().size_hint(100).effective_frame_size(), 1 << 20);
        // An input that fits in one of the level's frames is one frame at levels 4 to 6.
        assert_eq!(o.clone().size_hint(5 << 20).effective_frame_size(), 5 << 20);
        assert_eq!(
            o.clone().size_hint(32 << 20).effective_frame_size(),
            32 << 20
        );
        // Halves, with room for the first cut to find a newline: a larger input at the
        // default level, a smaller one at the rank coder's levels, which do not code a block
        // in parts.
        assert_eq!(
            o.clone().size_hint(40 << 20).effective_frame_size(),
            (20 << 20) + (64 << 10)
        );
        assert_eq!(
            o.clone().level(3).size_hint(5 << 20).effective_frame_size(),
            (5 << 19) + (64 << 10)
        );
        assert_eq!(
            o.clone().size_hint(64 << 20).effective_frame_size(),
            32 << 20
        );
        // Four frames: equal ones.
        assert_eq!(
            o.clone().size_hint(120_000_000).effective_frame_size(),
            30_000_000 + (64 << 10)
        );
        // Three: the level's, and what is left.
        assert_eq!(
            o.clone().size_hint(90_000_000).effective_frame_size(),
            32 << 20
        );
        assert_eq!(
            o.clone().size_hint(1 << 40).effective_frame_size(),
            32 << 20
        );
        let largest = |level| {
            o.clone()
                .level(level)
                .size_hint(1 << 40)
                .effective_frame_size()
        };
        let mib = [4, 16, 32, 16, 48, 32, 24, 24, 128];
        for (level, mib) in (1..=9).zip(mib) {
            assert_eq!(largest(level), mib << 20, "level {level}");
        }
        assert_eq!(o.frame_size(3000).effective_frame_size(), 3000);
    }

    #[test]
    fn each_level_writes_the_coder_parameters_format_md_lists() {
        // FORMAT.md section 13, "Model parameters": the bytes each level's payloads carry
        // (frames large enough for the level's largest tables).
        let bytes = |level| {
            let params = EncoderOptions::default()
                .level(level)
                .size_hint(1 << 30)
                .codec_params();
            let mut out = Vec::new();
            match params.stage {
                Stage::Rank(ranks) => ranks.write(&mut out),
                Stage::Recurrence(recurrence) => recurrence.write(&mut out),
                Stage::Bwt => params.model.write(crate::cm::Revision::Second, &mut out),
                Stage::Words(model, _) => model.write(&mut out),
            }
            out
        };
        let expected: [&[u8]; 9] = [
            &[0x05, 0x08],
            &[0x05, 0x08],
            &[0x05, 0x08],
            &[0x04, 0x06, 0x03, 0x0c, 0x03],
            &[0x04, 0x06, 0x03, 0x0c, 0x03],
            &[0x0d, 0xff, 0x01, 0x04, 0x03, 0x05, 0x05, 0x07, 0x02],
            &[0x14, 0x0a, 0x0b, 0x07],
            &[0x15, 0x0a, 0x0b, 0x06],
            &[0x16, 0x0a, 0x0b, 0x06],
        ];
        for (level, expected) in (1..=9).zip(expected) {
            assert_eq!(bytes(level), expected, "level {level}");
        }
    }

    #[test]
    fn memory_limit_counts_the_tables_of_the_level_s_model_revision() {
        let threads_under = |level, limit: u64| {
            EncoderOptions::default()
                .level(level)
                .threads(2)
                .size_hint(1 << 30)
                .memory_limit(limit << 20)
                .effective_threads()
        };
        // Level 7's lean revision: 6 × 24 MiB + 150 MiB of tables per worker.
        assert_eq!(threads_under(7, 600), 2);
        assert_eq!(threads_under(7, 560), 1);
        // Level 8's full revision: 6 × 24 MiB + 600 MiB.
        assert_eq!(threads_under(8, 1500), 2);
        assert_eq!(threads_under(8, 1400), 1);
        // The BWT stage: 9 × 32 MiB + 16 MiB.
        assert_eq!(threads_under(6, 610), 2);
        assert_eq!(threads_under(6, 600), 1);
    }

    #[test]
    fn bwt_frames_over_32_mib_take_two_cores_each() {
        let workers_at = |level, threads, size| {
            EncoderOptions::default()
                .level(level)
                .threads(threads)
                .size_hint(size)
                .effective_threads()
        };
        // The default level's 48 MiB frames: one per two cores, an odd core a worker of its own.
        assert_eq!(workers_at(DEFAULT_LEVEL, 2, 1 << 30), 1);
        assert_eq!(workers_at(DEFAULT_LEVEL, 3, 1 << 30), 2);
        assert_eq!(workers_at(DEFAULT_LEVEL, 4, 1 << 30), 2);
        assert_eq!(workers_at(DEFAULT_LEVEL, 1, 1 << 30), 1);
        // An input cut into two frames of 30 MB, and the frames of other levels.
        assert_eq!(workers_at(DEFAULT_LEVEL, 2, 60_000_000), 2);
        assert_eq!(workers_at(6, 2, 1 << 30), 2);
        assert_eq!(workers_at(3, 2, 1 << 30), 2);
        assert_eq!(workers_at(9, 2, 1 << 30), 2);
        // The decoder's rule: streams with word-model frames keep a worker per core.
        assert_eq!(workers(2, 48 << 20, true), 1);
        assert_eq!(workers(2, 48 << 20, false), 2);
        assert_eq!(workers(2, SHARED_CORES_FRAME_SIZE, true), 2);
    }
}
