//! Measures the frame codec on a slice of a file: `cargo run --release --example frame_probe FILE [MiB]`.
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).unwrap();
    let mib: usize = args.get(2).map_or(8, |s| s.parse().unwrap());
    let input = &data[..data.len().min(mib << 20)];
    let t = Instant::now();
    let tr = sigmalang::transform::encode(input, 2);
    let t_tr = t.elapsed().as_secs_f64();
    if let Some(tr) = &tr {
        println!(
            "transform: {} -> {} bytes ({:.1}%), bank {} entries / {} bytes, {:.1} MB/s",
            input.len(),
            tr.block.len(),
            100.0 * tr.block.len() as f64 / input.len() as f64,
            tr.params.bank_entries,
            tr.params.bank_bytes,
            input.len() as f64 / t_tr / 1e6
        );
    }
    let t = Instant::now();
    let f = sigmalang::frame::encode(input, &Default::default());
    let te = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut out = Vec::new();
    sigmalang::frame::decode(f.method, &f.payload, input.len(), &mut out).unwrap();
    let td = t.elapsed().as_secs_f64();
    assert_eq!(out, input);
    println!(
        "frame: {:?} {} -> {} ratio {:.3}  enc {:.1} MB/s dec {:.1} MB/s",
        f.method,
        input.len(),
        f.payload.len(),
        input.len() as f64 / f.payload.len() as f64,
        input.len() as f64 / te / 1e6,
        input.len() as f64 / td / 1e6
    );
}
