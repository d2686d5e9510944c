//! Human-readable sizes for `--frame-size` and `--memory`: `4096`, `64K`, `64KiB`, `1M`, `1MiB`, `2G`.

/// Parses a size; suffixes are binary multiples (K = KiB = 1024), as zstd and xz accept them.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    if digits.is_empty() {
        return Err(format!(
            "invalid size '{text}': expected a number such as 512KiB or 4MiB"
        ));
    }
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size '{text}': number too large"))?;
    let shift = match suffix.trim() {
        "" | "B" => 0,
        "K" | "k" | "KB" | "kB" | "KiB" | "Ki" => 10,
        "M" | "MB" | "MiB" | "Mi" => 20,
        "G" | "GB" | "GiB" | "Gi" => 30,
        "T" | "TB" | "TiB" | "Ti" => 40,
        other => {
            return Err(format!(
                "invalid size '{text}': unknown suffix '{other}' (use K, M, G, KiB, MiB, GiB)"
            ))
        }
    };
    value
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("invalid size '{text}': too large"))
}

/// Formats a byte count with a binary unit, e.g. `12.3 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("32LB").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn formats_units() {
        assert_eq!(human(12), "12 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 << 20), "3.0 MiB");
    }
}
