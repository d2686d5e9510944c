//! The progress line on standard error: bytes done, speed, ratio so far, and the time left when
//! the input size is known. Shown only when standard error is a terminal (and not with `-q` or
//! `--no-progress`), redrawn at most four times a second, erased when the file is done.

use crate::size::human;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress of one file.
pub struct Progress {
    enabled: bool,
    name: String,
    total: Option<u64>,
    started: Instant,
    last_draw: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// A progress line for `name`, whose plain or compressed input has `total` bytes if known.
    pub fn new(wanted: bool, name: &str, total: Option<u64>) -> Self {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            name: name.to_string(),
            total,
            started: Instant::now(),
            last_draw: None,
            drawn: false,
        }
    }

    /// Reports `consumed` input bytes and `produced` output bytes so far; `encoding` tells which
    /// side is the plain text (for the ratio).
    pub fn update(&mut self, consumed: u64, produced: u64, encoding: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now - t < Duration::from_millis(250))
        {
            return;
        }
        self.last_draw = Some(now);
        let secs = (now - self.started).as_secs_f64().max(1e-3);
        let plain = if encoding { consumed } else { produced };
        let speed = plain as f64 / secs / 1e6;
        let ratio = match (encoding, consumed, produced) {
            (_, 0, _) | (_, _, 0) => 0.0,
            (true, c, p) => c as f64 / p as f64,
            (false, c, p) => p as f64 / c as f64,
        };
        let mut line = format!("{}: {}", self.name, human(consumed));
        if let Some(total) = self.total.filter(|&t| t > 0) {
            let done = consumed as f64 / total as f64;
            line += &format!(" / {} ({:.0}%)", human(total), 100.0 * done);
            if done > 0.0 {
                let left = secs * (1.0 - done) / done;
                line += &format!(", ETA {}s", left.round() as u64);
            }
        }
        line += &format!(", {speed:.1} MB/s, ratio {ratio:.3}");
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erases the line.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
