//! Inputs shared by the unit tests of several modules.

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
