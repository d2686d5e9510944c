//! Inputs and helpers shared by the unit tests of several modules.

use crate::Part;

/// Runs `count` parts side by side, a scoped thread each beside the caller's, as a pool with
/// idle cores would.
pub(crate) fn side_by_side(count: usize, part: &Part<'_>) {
    std::thread::scope(|scope| {
        (1..count).for_each(|i| drop(scope.spawn(move || part(i))));
        part(0);
    })
}

/// `len` bytes of xorshift64 output from `seed`: incompressible, and the same on every run.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

/// `words` words of made-up prose (a few dozen words, the frequent ones often), broken into
/// lines of at most `width` columns wherever the next word would end past it, or, with
/// `width` 0, at random places: after one word in `random_breaks`.
pub(crate) fn wrapped_prose(words: usize, width: usize, random_breaks: u8, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 24] = [
        "the", "of", "and", "a", "to", "in", "was", "river", "stone", "light", "over", "quietly",
        "morning", "village", "old", "bridge", "water", "carried", "through", "winter", "children",
        "laughed", "boat", "drifted",
    ];
    let choices = noise(2 * words, seed);
    let mut out = Vec::new();
    let mut line_start = 0;
    for (i, pair) in choices.chunks_exact(2).enumerate() {
        let word = WORDS[usize::from(pair[0].min(pair[1])) % WORDS.len()];
        if i > 0 {
            let breaks = match width {
                0 => pair[1] % random_breaks == 0,
                _ => out.len() - line_start + 1 + word.len() > width,
            };
            match breaks {
                true => {
                    out.push(b'\n');
                    line_start = out.len();
                }
                false => out.push(b' '),
            }
        }
        out.extend_from_slice(word.as_bytes());
    }
    out.push(b'\n');
    out
}
