//! Durations in kubectl's syntax (Go's `time.ParseDuration`): `10m`, `1h30m`, `8760h`,
//! `4294967296s`, `1.5h`, `0`. kubectl users type these; any other syntax would surprise them.

use std::fmt;

/// A parsed duration in nanoseconds, signed like Go's (a negative value is syntactically valid
/// and rejected later with kubectl's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoDuration(i128);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (examples: 10m, 1h30m, 8760h, 4294967296s)")]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => NANOS_PER_SECOND,
        "m" => 60 * NANOS_PER_SECOND,
        "h" => 3600 * NANOS_PER_SECOND,
        _ => return None,
    })
}

impl GoDuration {
    pub fn from_secs(secs: i64) -> Self {
        GoDuration(i128::from(secs) * NANOS_PER_SECOND)
    }

    pub fn from_std(d: std::time::Duration) -> Self {
        GoDuration(d.as_nanos() as i128)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// As a std `Duration`; negative values (rejected by validation) become zero.
    pub fn to_std(self) -> std::time::Duration {
        let nanos = u64::try_from(self.0.max(0)).unwrap_or(u64::MAX);
        std::time::Duration::from_nanos(nanos)
    }

    /// Whole seconds, or `None` when the value has a sub-second part.
    pub fn whole_seconds(self) -> Option<i128> {
        (self.0 % NANOS_PER_SECOND == 0).then_some(self.0 / NANOS_PER_SECOND)
    }
}

impl std::str::FromStr for GoDuration {
    type Err = ParseDurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseDurationError {
            input: input.to_string(),
            reason,
        };
        let (negative, mut rest) = match input.as_bytes().first() {
            Some(b'-') => (true, &input[1..]),
            Some(b'+') => (false, &input[1..]),
            _ => (false, input),
        };
        if rest == "0" {
            return Ok(GoDuration(0));
        }
        if rest.is_empty() {
            return Err(err("empty"));
        }
        let mut total: i128 = 0;
        while !rest.is_empty() {
            let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (int_part, after) = rest.split_at(int_len);
            let (frac_part, after) = match after.strip_prefix('.') {
                Some(after) => {
                    let len = after.bytes().take_while(u8::is_ascii_digit).count();
                    after.split_at(len)
                }
                None => ("", after),
            };
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(err("expected a number"));
            }
            let unit_len = after
                .char_indices()
                .find(|(_, c)| c.is_ascii_digit() || *c == '.')
                .map_or(after.len(), |(i, _)| i);
            let (unit, after) = after.split_at(unit_len);
            if unit.is_empty() {
                return Err(err("missing unit (one of ns, us, ms, s, m, h)"));
            }
            let scale = unit_nanos(unit).ok_or_else(|| err("unknown unit (one of ns, us, ms, s, m, h)"))?;
            let too_large = || err("too large");
            let int: i128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse().map_err(|_| too_large())?
            };
            let mut value = int.checked_mul(scale).ok_or_else(too_large)?;
            // The fraction is exact to the nanosecond, like Go (which truncates beyond it).
            let mut place = scale;
            for digit in frac_part.bytes().map(|b| i128::from(b - b'0')) {
                place /= 10;
                value += digit * place;
            }
            total = total.checked_add(value).ok_or_else(too_large)?;
            // Go rejects anything beyond an int64 of nanoseconds (about 292 years).
            if total > i128::from(i64::MAX) {
                return Err(too_large());
            }
            rest = after;
        }
        Ok(GoDuration(if negative { -total } else { total }))
    }
}

impl fmt::Display for GoDuration {
    /// Go's `Duration.String` for whole-second values (`1h0m0s`), the form kubectl prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / NANOS_PER_SECOND;
        let sign = if secs < 0 { "-" } else { "" };
        let secs = secs.abs();
        let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
        if h > 0 {
            write!(f, "{sign}{h}h{m}m{s}s")
        } else if m > 0 {
            write!(f, "{sign}{m}m{s}s")
        } else {
            write!(f, "{sign}{s}s")
        }
    }
}

/// A span of seconds the way kubectl prints ages (`HumanDuration`): `45s`, `10m`, `5h30m`,
/// `3d4h`, `365d`, `136y`.
pub fn human(secs: i64) -> String {
    let secs = secs.max(0);
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    match secs {
        _ if secs < 120 => format!("{secs}s"),
        _ if m < 10 => match secs % 60 {
            0 => format!("{m}m"),
            s => format!("{m}m{s}s"),
        },
        _ if h < 3 => format!("{m}m"),
        _ if h < 8 => match m % 60 {
            0 => format!("{h}h"),
            mm => format!("{h}h{mm}m"),
        },
        _ if h < 48 => format!("{h}h"),
        _ if h < 24 * 8 => match h % 24 {
            0 => format!("{d}d"),
            hh => format!("{d}d{hh}h"),
        },
        _ if d < 365 * 2 => format!("{d}d"),
        _ if d < 365 * 8 => match d % 365 {
            0 => format!("{}y", d / 365),
            dd => format!("{}y{dd}d", d / 365),
        },
        _ => format!("{}y", d / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes_like_kubectl_ages() {
        assert_eq!(human(59), "59s");
        assert_eq!(human(600), "10m");
        assert_eq!(human(3600), "60m");
        assert_eq!(human(5 * 3600 + 30 * 60), "5h30m");
        assert_eq!(human(86400), "24h");
        assert_eq!(human(3 * 86400 + 4 * 3600), "3d4h");
        assert_eq!(human(365 * 86400), "365d");
        assert_eq!(human(4_294_967_296), "136y");
        assert_eq!(human(-5), "0s");
    }

    fn secs(input: &str) -> Option<i128> {
        input.parse::<GoDuration>().ok().and_then(GoDuration::whole_seconds)
    }

    #[test]
    fn parses_kubectl_examples() {
        assert_eq!(secs("10m"), Some(600));
        assert_eq!(secs("1h30m"), Some(5400));
        assert_eq!(secs("8760h"), Some(31_536_000));
        assert_eq!(secs("4294967296s"), Some(4_294_967_296));
        assert_eq!(secs("4294967297s"), Some(4_294_967_297));
        assert_eq!(secs("0s"), Some(0));
        assert_eq!(secs("0"), Some(0));
        assert_eq!(secs("1.5h"), Some(5400));
        assert_eq!(secs("+2m"), Some(120));
        assert_eq!(secs("1h1m1s"), Some(3661));
        assert_eq!(secs("1000ms"), Some(1));
    }

    #[test]
    fn keeps_sub_second_and_negative_values_for_validation() {
        let d: GoDuration = "1500ms".parse().unwrap();
        assert_eq!(d.whole_seconds(), None);
        let d: GoDuration = "-5m".parse().unwrap();
        assert!(d.is_negative());
        let d: GoDuration = ".5s".parse().unwrap();
        assert_eq!(d.whole_seconds(), None);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in ["", "10", "1x", "h", "1.2.3s", "-", "1d", "10 m", "3000000h"] {
            assert!(bad.parse::<GoDuration>().is_err(), "{bad:?} should be rejected");
        }
        let e = "1d".parse::<GoDuration>().unwrap_err().to_string();
        assert!(e.contains("\"1d\"") && e.contains("unknown unit"), "{e}");
    }

    #[test]
    fn displays_like_go() {
        assert_eq!(GoDuration::from_secs(3600).to_string(), "1h0m0s");
        assert_eq!(GoDuration::from_secs(600).to_string(), "10m0s");
        assert_eq!(GoDuration::from_secs(59).to_string(), "59s");
    }
}
