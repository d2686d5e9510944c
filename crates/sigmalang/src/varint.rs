//! LEB128 varints: every length and count in the format is one, so no field has a hidden limit.

/// Longest encoding of a `u64` (10 × 7 bits ≥ 64 bits).
pub const MAX_VARINT_LEN: usize = 10;

/// Appends `value` as an unsigned LEB128 varint.
pub fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Why a varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended inside the varint.
    Truncated,
    /// More than 64 bits, or a non-minimal encoding (a redundant trailing zero group).
    Invalid,
}

/// Reads a varint from the start of `buf`, returning the value and the bytes it used.
///
/// Non-minimal encodings are rejected so that every value has exactly one encoding, which
/// keeps the checksummed headers canonical.
pub fn get(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        let group = u64::from(byte & 0x7f);
        if i == MAX_VARINT_LEN - 1 && group > 1 {
            return Err(VarintError::Invalid);
        }
        value |= group << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(VarintError::Invalid);
            }
            return Ok((value, i + 1));
        }
    }
    if buf.len() >= MAX_VARINT_LEN {
        Err(VarintError::Invalid)
    } else {
        Err(VarintError::Truncated)
    }
}

/// Number of bytes `put` would write for `value`.
pub fn len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_boundaries() {
        for &v in &[
            0,
            1,
            127,
            128,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put(&mut buf, v);
            assert_eq!(buf.len(), len(v));
            assert_eq!(get(&buf), Ok((v, buf.len())));
            for cut in 0..buf.len() {
                assert_eq!(get(&buf[..cut]), Err(VarintError::Truncated));
            }
        }
    }

    #[test]
    fn rejects_overlong_and_overflow() {
        assert_eq!(get(&[0x80, 0x00]), Err(VarintError::Invalid));
        assert_eq!(
            get(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()),
            Err(VarintError::Invalid)
        );
        assert_eq!(get(&[0x80; 11]), Err(VarintError::Invalid));
    }
}
