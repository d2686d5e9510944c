//! A carry-less binary arithmetic coder: codes one bit at a time with a 16-bit probability.
//!
//! The coder keeps a 32-bit interval `[low, high]` and emits its top byte as soon as both ends
//! agree on it, so it never needs carry propagation. Decoding past the end of the input reads
//! zeros, which makes a truncated or corrupt payload decode to garbage (caught by the frame
//! checksum) rather than fail in here.

/// Probability scale: `p` passed to the coder is P(bit = 1) × 65536, in `1..=65535`.
pub const PROB_BITS: u32 = 16;

/// Arithmetic encoder writing to a `Vec<u8>`.
pub struct Encoder {
    low: u32,
    high: u32,
    out: Vec<u8>,
}

impl Encoder {
    /// Starts encoding, appending to `out`.
    pub fn new(out: Vec<u8>) -> Self {
        Encoder {
            low: 0,
            high: u32::MAX,
            out,
        }
    }

    /// Codes `bit` (0 or 1) whose probability of being 1 is `p1 / 65536`.
    #[inline(always)]
    pub fn encode(&mut self, bit: u32, p1: u32) {
        debug_assert!((1..65536).contains(&p1));
        let mid =
            self.low + ((u64::from(self.high - self.low) * u64::from(p1)) >> PROB_BITS) as u32;
        if bit != 0 {
            self.high = mid;
        } else {
            self.low = mid + 1;
        }
        while (self.low ^ self.high) & 0xff00_0000 == 0 {
            self.out.push((self.high >> 24) as u8);
            self.low <<= 8;
            self.high = (self.high << 8) | 0xff;
        }
    }

    /// Flushes the interval and returns the output.
    pub fn finish(mut self) -> Vec<u8> {
        // Any value in [low, high] decodes correctly; four bytes of `low` pin it exactly.
        self.out.extend_from_slice(&self.low.to_be_bytes());
        self.out
    }
}

/// Arithmetic decoder over a byte slice.
pub struct Decoder<'a> {
    low: u32,
    high: u32,
    x: u32,
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Starts decoding `input`.
    pub fn new(input: &'a [u8]) -> Self {
        let mut d = Decoder {
            low: 0,
            high: u32::MAX,
            x: 0,
            input,
            pos: 0,
        };
        for _ in 0..4 {
            d.x = (d.x << 8) | u32::from(d.next_byte());
        }
        d
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u8 {
        let b = self.input.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Decodes one bit coded with probability `p1 / 65536` of being 1.
    #[inline(always)]
    pub fn decode(&mut self, p1: u32) -> u32 {
        let mid =
            self.low + ((u64::from(self.high - self.low) * u64::from(p1)) >> PROB_BITS) as u32;
        // A branch, not a conditional move: the processor guesses the bit and starts the
        // model's next prediction at once instead of waiting for this multiply and compare.
        // Marking the zero side cold is what keeps the compiler from making it a `cmov`; it
        // made the context-mixing decoder (levels 4-7) 37 % faster on English prose.
        let bit = if self.x <= mid {
            self.high = mid;
            1
        } else {
            cold();
            self.low = mid + 1;
            0
        };
        while (self.low ^ self.high) & 0xff00_0000 == 0 {
            self.low <<= 8;
            self.high = (self.high << 8) | 0xff;
            self.x = (self.x << 8) | u32::from(self.next_byte());
        }
        bit
    }

    /// Decodes one bit coded with probability 1/2 (`p1` = 32768) without a branch on it,
    /// which would be guessed wrong half the time. (For modelled bits a guess pays even near
    /// 1/2, as the model's next prediction starts early: no branch there made the recurrence
    /// decoder slower.)
    #[inline(always)]
    pub fn decode_even(&mut self) -> u32 {
        let mid = self.low + ((self.high - self.low) >> 1);
        let one = u32::from(self.x <= mid);
        let mask = 0u32.wrapping_sub(one);
        self.high = (mid & mask) | (self.high & !mask);
        self.low = (self.low & mask) | ((mid + 1) & !mask);
        while (self.low ^ self.high) & 0xff00_0000 == 0 {
            self.low <<= 8;
            self.high = (self.high << 8) | 0xff;
            self.x = (self.x << 8) | u32::from(self.next_byte());
        }
        one
    }

    /// Bytes consumed beyond the end of the input (zeros were read in their place).
    pub fn overrun(&self) -> usize {
        self.pos.saturating_sub(self.input.len())
    }
}

/// Calling this marks a path as rarely taken (as `std::hint::cold_path` does from Rust 1.95).
#[cold]
#[inline]
fn cold() {}

/// Bits the coder spends on `bit` when it was coded with `p1`, the probability of a 1 on the
/// 16-bit scale (for the glyph view's statistics).
pub fn bit_cost(p1: u32, bit: u32) -> f32 {
    let p = p1 as f32 / 65536.0;
    -if bit == 1 { p } else { 1.0 - p }.log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bits_at_extreme_and_middle_probabilities() {
        let mut state = 12345u32;
        let mut bits = Vec::new();
        for i in 0..20000u32 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let p = [1, 65535, 32768, 100, 65000][(i % 5) as usize];
            let bit = u32::from((state >> 16) % 65536 < p);
            bits.push((bit, p));
        }
        let mut enc = Encoder::new(Vec::new());
        for &(b, p) in &bits {
            enc.encode(b, p);
        }
        let out = enc.finish();
        let mut dec = Decoder::new(&out);
        for &(b, p) in &bits {
            assert_eq!(dec.decode(p), b);
        }
        assert_eq!(dec.overrun(), 0);
        // Bits at 1/2 decode alike without the guess.
        let mut dec = Decoder::new(&out);
        for &(b, p) in &bits {
            let decoded = match p {
                32768 => dec.decode_even(),
                _ => dec.decode(p),
            };
            assert_eq!(decoded, b);
        }
        assert_eq!(dec.overrun(), 0);
    }

    #[test]
    fn skewed_bits_cost_little() {
        let mut enc = Encoder::new(Vec::new());
        for _ in 0..80_000 {
            enc.encode(1, 65535);
        }
        assert!(enc.finish().len() < 16);
    }
}
