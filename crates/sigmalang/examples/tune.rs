//! Sweeps an entropy stage's parameters and prints the payload size of each variant on a slice
//! of both corpora, coded as the levels that use the stage code it (word transform over the
//! built-in English codebook, LZP, suffix sort, then the stage):
//! `cargo run --release -p sigmalang --example tune -- cm|rank [MiB] [offset MiB]`.
//!
//! `cm` (levels 4-7) steps each `cm::ModelParams` field one either side of its default; `rank`
//! (levels 1-3) tries every pair of `rank::RankParams` rates within two of the defaults. The
//! parameters travel in every payload, so a better set needs no format change.
use sigmalang::cm::{self, ModelParams};
use sigmalang::codebook::Codebook;
use sigmalang::frame::{self, CodecParams, Stage};
use sigmalang::lzp::LzpPolicy;
use sigmalang::rank::RankParams;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stage = args.get(1).map_or("cm", String::as_str);
    let mib: usize = args.get(2).map_or(24, |s| s.parse().unwrap());
    let skip: usize = args.get(3).map_or(0, |s| s.parse().unwrap());
    let variants = match stage {
        "cm" => cm_variants(),
        "rank" => rank_variants(),
        _ => panic!("the stage is cm or rank, not {stage}"),
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
    let base = ModelParams::default();
    let mut models = vec![("base".to_string(), base)];
    macro_rules! steps {
        ($($field:ident),*) => {$(
            for value in [base.$field.saturating_sub(1), base.$field.saturating_add(1)] {
                let variant = ModelParams { $field: value, ..base };
                if value != base.$field && cm_decoders_accept(variant) {
                    models.push((format!("{}={value}", stringify!($field)), variant));
                }
            }
        )*};
    }
    steps!(
        mixer_shift,
        order1_limit,
        order0_rate,
        order0_slow_rate,
        skip_rate,
        order1_fast_rate,
        run_rate,
        apm_rate,
        apm_quarters
    );
    models
        .into_iter()
        .map(|(name, model)| {
            let params = CodecParams {
                stage: Stage::Bwt,
                lzp: Some(LzpPolicy::default()),
                model,
                ..CodecParams::default()
            };
            (name, params)
        })
        .collect()
}

/// Whether a payload may carry `params` (the ranges `ModelParams::parse` enforces).
fn cm_decoders_accept(params: ModelParams) -> bool {
    let mut bytes = Vec::new();
    params.write(cm::Revision::Second, &mut bytes);
    ModelParams::parse(cm::Revision::Second, &bytes).is_some()
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
