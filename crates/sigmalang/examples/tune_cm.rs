//! Sweeps the BWT-stage model's parameters (`cm::ModelParams`) one step either side of their
//! defaults and prints the payload size of each variant on a slice of both corpora, as the
//! default level codes it (word transform, LZP, suffix sort, context mixing):
//! `cargo run --release -p sigmalang --example tune_cm -- [MiB] [offset MiB]`.
//! The parameters travel in every payload, so a better set needs no format change.
use sigmalang::cm::{ModelParams, Revision};
use sigmalang::frame::{self, CodecParams, Stage};
use sigmalang::lzp::LzpPolicy;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mib: usize = args.get(1).map_or(24, |s| s.parse().unwrap());
    let skip: usize = args.get(2).map_or(0, |s| s.parse().unwrap());
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
    let base = ModelParams::default();
    let mut variants = vec![("base".to_string(), base)];
    macro_rules! steps {
        ($($field:ident),*) => {$(
            for value in [base.$field.saturating_sub(1), base.$field.saturating_add(1)] {
                let variant = ModelParams { $field: value, ..base };
                if value != base.$field && decoders_accept(variant) {
                    variants.push((format!("{}={value}", stringify!($field)), variant));
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
    let payload_len = |input: &Vec<u8>, model: ModelParams| {
        let params = CodecParams {
            stage: Stage::Bwt,
            lzp: Some(LzpPolicy::default()),
            model,
            ..CodecParams::default()
        };
        frame::encode(input.clone(), &params, None).payload.len()
    };
    let mut base_lens = [0usize; 2];
    for (name, model) in &variants {
        let (text, mixed) = std::thread::scope(|scope| {
            let text = scope.spawn(|| payload_len(&inputs[0], *model));
            let mixed = payload_len(&inputs[1], *model);
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

/// Whether a payload may carry `params` (the ranges `ModelParams::parse` enforces).
fn decoders_accept(params: ModelParams) -> bool {
    let mut bytes = Vec::new();
    params.write(Revision::Second, &mut bytes);
    ModelParams::parse(Revision::Second, &bytes).is_some()
}
