//! Numbers as the briefing prints them.

/// A quantity with thousands grouped: whole from 100 up, one decimal from 10, at most three
/// below (`1,988`, `54.9`, `0.126`), so that a decimal point is never read as a thousands
/// separator beside a grouped number.
pub fn format_units(value: f64) -> String {
    let rounded = if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    };
    let rounded = if rounded.contains('.') {
        rounded.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        rounded
    };
    let (integer, fraction) = rounded.split_once('.').map_or((rounded.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = integer.strip_prefix('-').map_or(("", integer), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn units_are_grouped_and_trimmed() {
        assert_eq!(super::format_units(1234567.4), "1,234,567");
        assert_eq!(super::format_units(12.5), "12.5");
        assert_eq!(super::format_units(54.891), "54.9", "not 54.891 beside 1,988");
        assert_eq!(super::format_units(0.1264), "0.126");
        assert_eq!(super::format_units(0.0), "0");
        assert_eq!(super::format_units(-1500.0), "-1,500");
    }
}
