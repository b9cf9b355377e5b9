//! How numbers read on every page: money, durations, counts, losses.

/// `$0.0042`, `$1.25`, `$1,234.50`: cents, with more places under a cent.
pub fn money(dollars: f64) -> String {
    if dollars == 0.0 {
        "$0.00".into()
    } else if dollars.abs() < 0.01 {
        format!("${dollars:.4}")
    } else {
        let cents = (dollars * 100.0).round() as i64;
        format!("${}.{:02}", thousands(cents / 100), (cents % 100).abs())
    }
}

/// `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `45 s`, `12 min 5 s`, `3 h 20 min`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A loss to four places, or a dash.
pub fn loss(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.4}"))
}

/// Epochs to two places at most: `5`, `2.4`, `0.67`.
pub fn epochs(e: f64) -> String {
    let text = format!("{e:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A parameter count: 1.7B, 135.0M, 4,096.
pub fn parameters(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{:.1}B", n as f64 / 1e9)
    } else if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else {
        thousands(n as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(0.00421), "$0.0042");
        assert_eq!(money(1234.5), "$1,234.50");
        assert_eq!(thousands(29_250_492), "29,250,492");
        assert_eq!(duration(45.2), "45 s");
        assert_eq!(duration(725.0), "12 min 5 s");
        assert_eq!(duration(12_000.0), "3 h 20 min");
        assert_eq!(loss(Some(1.23456)), "1.2346");
        assert_eq!(loss(None), "–");
        assert_eq!(epochs(5.0), "5");
        assert_eq!(parameters(1_720_000_000), "1.7B");
        assert_eq!(parameters(135_000_000), "135.0M");
        assert_eq!(parameters(115_008), "115,008");
        assert_eq!(epochs(2.4), "2.4");
        assert_eq!(epochs(2.0 / 3.0), "0.67");
        assert_eq!(epochs(10.0), "10");
    }
}
