//! Recovery: a damaged stream yields the original minus exactly the reported lost ranges, and a
//! single damaged byte costs at most the frame it hit.

use sigmalang::recover::{recover, LostRange};
use sigmalang::{encode_all, DecoderOptions, EncoderOptions};

fn text() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < 60_000 {
        i = i.wrapping_mul(6364136223846793005).wrapping_add(1);
        out.extend_from_slice(
            [
                "the ", "quick ", "brown ", "fox\n", "jumps ", "over ", "Σ ", "lazy ",
            ][(i >> 61) as usize]
                .as_bytes(),
        );
    }
    out
}

/// The original with the lost ranges cut out.
fn expected(original: &[u8], lost: &[LostRange]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in lost {
        let start = r.start.expect("a single stream has known offsets") as usize;
        out.extend_from_slice(&original[at.min(start)..start]);
        at = r.end.map_or(original.len(), |e| e as usize);
    }
    out.extend_from_slice(&original[at.min(original.len())..]);
    out
}

#[test]
fn an_intact_stream_recovers_completely() {
    let original = text();
    let stream = encode_all(&original, &EncoderOptions::default().frame_size(4096));
    let mut out = Vec::new();
    let summary = recover(&stream[..], &mut out, &DecoderOptions::default(), |_| {}).unwrap();
    assert!(summary.lost.is_empty());
    assert_eq!(out, original);
}

#[test]
fn every_damaged_byte_costs_at_most_its_frame() {
    let original = text();
    let frame = 4096;
    let stream = encode_all(&original, &EncoderOptions::default().frame_size(frame));
    for at in (0..stream.len()).step_by(97) {
        let mut bad = stream.clone();
        bad[at] ^= 0x41;
        let mut out = Vec::new();
        let summary = recover(&bad[..], &mut out, &DecoderOptions::default(), |_| {}).unwrap();
        assert_eq!(out, expected(&original, &summary.lost), "damage at {at}");
        let known: u64 = summary
            .lost
            .iter()
            .filter_map(|r| Some(r.end? - r.start?))
            .sum();
        assert!(
            known <= frame,
            "damage at {at} lost {known} bytes: {:?}",
            summary.lost
        );
    }
}

#[test]
fn a_stream_without_footer_followed_by_another_reports_only_real_losses() {
    let original = text();
    let first = encode_all(&original, &EncoderOptions::default().frame_size(4096));
    let second = encode_all(b"second stream", &EncoderOptions::default());
    // Cut the first stream's footer off (its last 20 bytes hold part of it).
    let joined = [&first[..first.len() - 20], &second[..]].concat();
    let mut out = Vec::new();
    let summary = recover(&joined[..], &mut out, &DecoderOptions::default(), |_| {}).unwrap();
    assert_eq!(out, [&original[..], b"second stream"].concat());
    assert_eq!(summary.lost.len(), 1, "{:?}", summary.lost);
    assert_eq!(summary.lost[0].start, Some(original.len() as u64));
    assert_eq!(summary.lost[0].end, None);
}

#[test]
fn truncation_reports_an_open_ended_loss() {
    let original = text();
    let stream = encode_all(&original, &EncoderOptions::default().frame_size(4096));
    let mut out = Vec::new();
    let summary = recover(
        &stream[..stream.len() / 2],
        &mut out,
        &DecoderOptions::default(),
        |_| {},
    )
    .unwrap();
    assert_eq!(summary.lost.last().unwrap().end, None);
    assert_eq!(out, expected(&original, &summary.lost));
    assert!(out.len() > original.len() / 3);
}

#[test]
fn frames_coded_over_a_missing_codebook_are_reported_as_needing_it() {
    use sigmalang::codebook::Trainer;
    let original = text();
    let mut trainer = Trainer::new();
    trainer.feed(b"lazy lazy quick quick brown brown jumps jumps");
    let book = std::sync::Arc::new(trainer.finish(16));
    let options = EncoderOptions::default()
        .frame_size(4096)
        .codebook(Some(book.clone()));
    let stream = encode_all(&original, &options);

    let mut out = Vec::new();
    let with = DecoderOptions::default().codebook(book.clone());
    let summary = recover(&stream[..], &mut out, &with, |_| {}).unwrap();
    assert!(summary.lost.is_empty());
    assert_eq!(out, original);

    out.clear();
    let summary = recover(&stream[..], &mut out, &DecoderOptions::default(), |_| {}).unwrap();
    assert!(!summary.lost.is_empty(), "some frame uses the codebook");
    let needs = format!("needs codebook {:08x}", book.id());
    assert!(
        summary.lost.iter().all(|r| r.reason.ends_with(&needs)),
        "{:?}",
        summary.lost
    );
    assert_eq!(out, expected(&original, &summary.lost));

    // With the stream header damaged, the codebooks the caller has are tried on each frame.
    let mut bad = stream.clone();
    bad[0] ^= 0x41;
    out.clear();
    let summary = recover(&bad[..], &mut out, &with, |_| {}).unwrap();
    assert!(summary.lost.is_empty(), "{:?}", summary.lost);
    assert_eq!(out, original);
    out.clear();
    let summary = recover(&bad[..], &mut out, &DecoderOptions::default(), |_| {}).unwrap();
    let needs = "needs a codebook this reader does not have";
    assert!(summary.lost.iter().all(|r| r.reason.ends_with(needs)));
    assert_eq!(out, expected(&original, &summary.lost));
}
