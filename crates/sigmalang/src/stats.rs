//! Statistics of an encoding or decoding run, including measured peak memory.

use std::time::Duration;

/// Size and time of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameStat {
    /// Decoded bytes.
    pub decoded: u64,
    /// Bytes in the stream (header and payload).
    pub encoded: u64,
    /// Time a worker spent coding it.
    pub time: Duration,
}

/// What a stream run did.
#[derive(Debug, Clone, Default)]
pub struct StreamStats {
    /// Bytes consumed (plain text when encoding, stream bytes when decoding).
    pub bytes_in: u64,
    /// Bytes produced.
    pub bytes_out: u64,
    /// Frames coded.
    pub frames: u64,
    /// Glyphs by type (PRIMITIVE, REFERENCE, DELTA, COMPOSITE); counted when encoding.
    pub glyphs: [u64; 4],
    /// Wall-clock time from the first byte to the last.
    pub elapsed: Duration,
    /// One entry per frame, in stream order.
    pub frame_stats: Vec<FrameStat>,
    /// Peak resident memory of the whole process, as measured by the OS, if known.
    pub peak_rss: Option<u64>,
}

impl StreamStats {
    /// Plain bytes divided by stream bytes (0 when nothing was coded).
    pub fn ratio(&self, encoding: bool) -> f64 {
        let (plain, packed) = if encoding {
            (self.bytes_in, self.bytes_out)
        } else {
            (self.bytes_out, self.bytes_in)
        };
        if packed == 0 {
            0.0
        } else {
            plain as f64 / packed as f64
        }
    }

    /// Throughput in MB/s (10^6 bytes) of plain text.
    pub fn throughput_mb_s(&self, encoding: bool) -> f64 {
        let plain = if encoding {
            self.bytes_in
        } else {
            self.bytes_out
        };
        let secs = self.elapsed.as_secs_f64();
        if secs == 0.0 {
            0.0
        } else {
            plain as f64 / secs / 1e6
        }
    }
}

/// Peak resident set size of this process (`VmHWM`), where the OS reports it.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
