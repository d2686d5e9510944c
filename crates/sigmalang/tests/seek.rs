//! Random access through the seek index: `SeekableDecoder` returns exactly the bytes of any
//! range, across frames and concatenated streams, and refuses a damaged index.

use sigmalang::{encode_all, DecoderOptions, EncoderOptions, Error, SeekIndex, SeekableDecoder};
use std::io::{Cursor, Read, Seek, SeekFrom};

fn sample(len: usize) -> Vec<u8> {
    let words = [
        "alpha", "beta", "gamma", "delta", "the", "of", "Σ-bank", "glyph", "\n", "42",
    ];
    let mut state = 7u64;
    let mut out = Vec::new();
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(words[(state >> 60) as usize % words.len()].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

fn read_range(dec: &mut SeekableDecoder<Cursor<Vec<u8>>>, start: u64, len: usize) -> Vec<u8> {
    dec.seek(SeekFrom::Start(start)).unwrap();
    let mut out = Vec::new();
    dec.by_ref().take(len as u64).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn ranges_match_the_original() {
    let text = sample(200_000);
    let stream = encode_all(&text, &EncoderOptions::default().frame_size(16 << 10));
    let mut dec = SeekableDecoder::new(Cursor::new(stream), &DecoderOptions::default()).unwrap();
    assert_eq!(dec.content_len(), text.len() as u64);
    assert!(dec.index().frames.len() > 10);
    let cases = [
        (0, 1),
        (0, 100),
        (16383, 2),
        (16384, 50_000),
        (199_999, 1),
        (199_990, 100),
        (123_456, 0),
        (300_000, 10),
    ];
    for (start, len) in cases {
        let end = (start + len).min(text.len());
        let expect = if start < text.len() {
            &text[start..end]
        } else {
            &[][..]
        };
        assert_eq!(
            read_range(&mut dec, start as u64, len),
            expect,
            "range {start}+{len}"
        );
    }
    dec.seek(SeekFrom::End(-5)).unwrap();
    let mut tail = Vec::new();
    dec.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &text[text.len() - 5..]);
}

#[test]
fn concatenated_streams_are_one_content() {
    let a = sample(30_000);
    let b = b"second stream".to_vec();
    let joined = [
        encode_all(&a, &EncoderOptions::default().frame_size(4096)),
        encode_all(b"", &EncoderOptions::default()),
        encode_all(&b, &EncoderOptions::default()),
    ]
    .concat();
    let mut dec = SeekableDecoder::new(Cursor::new(joined), &DecoderOptions::default()).unwrap();
    assert_eq!(dec.index().streams.len(), 3);
    let mut all = Vec::new();
    dec.read_to_end(&mut all).unwrap();
    assert_eq!(all, [a.clone(), b.clone()].concat());
    assert_eq!(
        read_range(&mut dec, 29_990, 20),
        [&a[29_990..], &b[..10]].concat()
    );
}

#[test]
fn damaged_index_is_an_error() {
    let text = sample(50_000);
    let stream = encode_all(&text, &EncoderOptions::default().frame_size(8192));
    // Flip a byte in each of the last 40 bytes (index entries, trailer): never wrong data.
    for back in 1..=40 {
        let mut bad = stream.clone();
        let at = bad.len() - back;
        bad[at] ^= 0x20;
        match SeekableDecoder::new(Cursor::new(bad), &DecoderOptions::default()) {
            Err(_) => {}
            Ok(mut dec) => {
                let mut out = Vec::new();
                assert!(
                    dec.read_to_end(&mut out).is_err() || out == text,
                    "flip at -{back}"
                );
            }
        }
    }
    // A truncated file has no trailer.
    let cut = Cursor::new(stream[..stream.len() - 3].to_vec());
    assert!(matches!(
        SeekIndex::read(&mut cut.clone()),
        Err(Error::Truncated { .. })
    ));
}
