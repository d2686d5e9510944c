//! Sweeps an entropy stage's parameters and prints the payload size of each variant on a slice
//! of both corpora, coded as the levels that use the stage code it (word transform over the
//! built-in English codebook, LZP, suffix sort, then the stage):
//! `cargo run --release -p sigmalang --example tune -- cm|qlfc|rank|words|lean [MiB] [offset MiB]`.
//!
//! `cm` (level 6, and small blocks at levels 4 and 5) steps each `cm::ModelParams` field one
//! either side of its default, `qlfc` (levels 4 and 5) each `qlfc::QlfcParams` field, `words`
//! (levels 8 and 9) and `lean` (level 7) each `wordcm::WordModelParams` field but the table
//! size; `rank` (levels 1-3) tries every pair of `rank::RankParams` rates within two of the
//! defaults. The parameters travel in every payload, so a better set needs no format change.
use sigmalang::cm::{self, ModelParams};
use sigmalang::codebook::Codebook;
use sigmalang::frame::{self, CodecParams, Stage};
use sigmalang::lzp::LzpPolicy;
use sigmalang::qlfc::QlfcParams;
use sigmalang::rank::RankParams;
use sigmalang::wordcm::{Revision, WordModelParams};

/// `base` named "base", then `base` with each listed field one below and one above its value,
/// named after the change, where `accepts` takes the variant (decoders' ranges); each made
/// into the `CodecParams` that `codec` gives it.
macro_rules! single_steps {
    ($base:expr, $accepts:expr, $codec:expr, $($field:ident),*) => {{
        let base = $base;
        let mut variants = vec![("base".to_string(), base)];
        $(
            for value in [base.$field.saturating_sub(1), base.$field.saturating_add(1)] {
                let mut variant = base;
                variant.$field = value;
                if value != base.$field && $accepts(variant) {
                    variants.push((format!("{}={value}", stringify!($field)), variant));
                }
            }
        )*
        variants
            .into_iter()
            .map(|(name, variant)| (name, $codec(variant)))
            .collect()
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stage = args.get(1).map_or("cm", String::as_str);
    let mib: usize = args.get(2).map_or(24, |s| s.parse().unwrap());
    let skip: usize = args.get(3).map_or(0, |s| s.parse().unwrap());
    let variants = match stage {
        "cm" => cm_variants(),
        "qlfc" => qlfc_variants(),
        "rank" => rank_variants(),
        "words" => word_variants(Revision::Second),
        "lean" => word_variants(Revision::Third),
        _ => panic!("the stage is cm, qlfc, rank, words or lean, not {stage}"),
    };
    let corpora = [
        "../shared/corpora/text-100m.txt",
        "../shared/corpora/mixed-100m.txt",
    ];
    let inputs: Vec<Vec<u8>> = corpora
        .iter()
        .map(|path| {
            let data = std::fs::read(path).unwrap();
            data[(skip << 20).min(data.len())..((skip + mib) << 20).min(data.len())].to_vec()
        })
        .collect();
    // Over the built-in English codebook, as `sigma` codes by default.
    let english = Codebook::english();
    let payload_len = |input: &Vec<u8>, params: &CodecParams| {
        frame::encode(input.clone(), params, Some(&english))
            .payload
            .len()
    };
    let mut base_lens = [0usize; 2];
    for (name, params) in &variants {
        let (text, mixed) = std::thread::scope(|scope| {
            let text = scope.spawn(|| payload_len(&inputs[0], params));
            let mixed = payload_len(&inputs[1], params);
            (text.join().unwrap(), mixed)
        });
        if name == "base" {
            base_lens = [text, mixed];
        }
        println!(
            "{name:20} text {text:>10} ({:+.3} %)  mixed {mixed:>10} ({:+.3} %)",
            100.0 * (text as f64 / base_lens[0] as f64 - 1.0),
            100.0 * (mixed as f64 / base_lens[1] as f64 - 1.0)
        );
    }
}

/// The default level's stage with the defaults first, then each single step.
fn cm_variants() -> Vec<(String, CodecParams)> {
    single_steps!(
        ModelParams::default(),
        cm_decoders_accept,
        |model| CodecParams {
            stage: Stage::Bwt,
            lzp: Some(LzpPolicy::default()),
            model,
            ..CodecParams::default()
        },
        mixer_shift,
        order1_limit,
        order0_rate,
        order0_slow_rate,
        skip_rate,
        order1_fast_rate,
        run_rate,
        apm_rate,
        apm_quarters
    )
}

/// Whether a payload may carry `params` (the ranges `ModelParams::parse` enforces).
fn cm_decoders_accept(params: ModelParams) -> bool {
    let mut bytes = Vec::new();
    params.write(cm::Revision::Second, &mut bytes);
    ModelParams::parse(cm::Revision::Second, &bytes).is_some()
}

/// Levels 4 and 5's stage with the defaults first, then each single step.
fn qlfc_variants() -> Vec<(String, CodecParams)> {
    let accepts = |params: QlfcParams| {
        let mut bytes = Vec::new();
        params.write(&mut bytes);
        QlfcParams::parse(sigmalang::qlfc::Revision::Second, &bytes).is_some()
    };
    single_steps!(
        QlfcParams::default(),
        accepts,
        |params| CodecParams {
            stage: Stage::Recurrence(params),
            lzp: Some(LzpPolicy::default()),
            ..CodecParams::default()
        },
        byte_rate,
        state_rate,
        decision_rate,
        mixer_shift,
        modelled_rank_bits
    )
}

/// The word model's stage in `revision` with the level's parameters first, then each single
/// step (tables as level 7's, which a slice of up to 32 MiB does not outgrow).
fn word_variants(revision: Revision) -> Vec<(String, CodecParams)> {
    let accepts = |params: WordModelParams| {
        let mut bytes = Vec::new();
        params.write(&mut bytes);
        WordModelParams::parse(&bytes).is_some()
    };
    single_steps!(
        WordModelParams::for_revision(revision),
        accepts,
        |model| CodecParams {
            stage: Stage::Words(model, revision),
            ..CodecParams::default()
        },
        map_limit_log,
        mixer_shift,
        apm_rate
    )
}

/// The fast levels' stage with the defaults first, then every other pair of rates nearby.
fn rank_variants() -> Vec<(String, CodecParams)> {
    let base = RankParams::default();
    let nearby = |rate: u8| rate.saturating_sub(2).max(1)..=(rate + 2).min(15);
    let pairs = nearby(base.fast_rate).flat_map(|fast_rate| {
        nearby(base.slow_rate).map(move |slow_rate| RankParams {
            fast_rate,
            slow_rate,
        })
    });
    std::iter::once(base)
        .chain(pairs.filter(|&ranks| ranks != base))
        .map(|ranks| {
            let name = if ranks == base {
                "base".to_string()
            } else {
                format!("fast={} slow={}", ranks.fast_rate, ranks.slow_rate)
            };
            // As `EncoderOptions::codec_params` sets the fast levels' LZP trial.
            let params = CodecParams {
                stage: Stage::Rank(ranks),
                lzp: Some(LzpPolicy {
                    trial_saving_256ths: 1,
                    ..LzpPolicy::default()
                }),
                ..CodecParams::default()
            };
            (name, params)
        })
        .collect()
}
