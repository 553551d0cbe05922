//! Look of every chart: the embedded font, the colour-blind-safe palette, text sizes and
//! number formats.

use std::sync::Once;

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

/// Font family written into SVG text and registered for rasterising PNG text. DejaVu Sans is
/// embedded (and inlined into `report.html`); the fallbacks are metric-similar faces for SVG
/// files opened elsewhere.
pub const FONT_FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";

/// DejaVu Sans (Bitstream Vera licence, `fonts/LICENSE`).
pub const DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

static FONTS: Once = Once::new();

/// Registers the embedded faces with plotters once per process. No system font is ever
/// looked up, so a bare machine draws the same pixels.
pub(crate) fn register_fonts() {
    FONTS.call_once(|| {
        // The bytes are compiled in and known to parse (a unit test checks it), so a failure
        // here would leave text undrawn rather than crash a report.
        let _ = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS);
        let _ = plotters::style::register_font(FONT_FAMILY, FontStyle::Bold, DEJAVU_SANS_BOLD);
    });
}

/// The Okabe–Ito palette (Okabe and Ito 2008, "Color Universal Design"), ordered for lines on
/// white: blue, vermillion, bluish green, reddish purple, orange, sky blue, black. Yellow is
/// left out: it is too pale for a line on a projector.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Colour of series `i`; past the palette, [`dashed`] tells series apart.
pub fn series_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Whether series `i` is drawn dashed (the second round through the palette).
pub fn dashed(i: usize) -> bool {
    (i / PALETTE.len()) % 2 == 1
}

/// Text and axis ink.
pub const INK: RGBColor = RGBColor(33, 33, 33);
/// Secondary text (subtitles, footnotes).
pub const MUTED: RGBColor = RGBColor(90, 90, 90);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Shading of control periods.
pub const PERIOD: RGBColor = RGBColor(232, 232, 232);
/// The edges of a shaded period.
pub const PERIOD_EDGE: RGBColor = RGBColor(190, 190, 190);
/// Event marker lines.
pub const MARKER: RGBColor = RGBColor(110, 110, 110);

/// Mixes `colour` with white: `amount` 0 is white, 1 the colour itself.
pub fn tint(colour: RGBColor, amount: f64) -> RGBColor {
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * amount).round().clamp(0.0, 255.0) as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// Viridis (van der Walt and Smith, matplotlib), sampled at 9 stops: perceptually uniform and
/// readable by the colour blind and in greyscale. Used for the heat map.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// Colour of `value` in [0, 1] on the heat map's scale: 0 is a pale grey (no shortage, so
/// the eye goes to the coloured cells), above 0 reversed viridis from yellow to dark purple.
pub fn heat_colour(value: f64) -> RGBColor {
    if value.is_nan() || value <= 0.0 {
        return RGBColor(242, 242, 242);
    }
    let v = value.min(1.0);
    // Reversed: small shortages are light yellow, total shortage is dark purple.
    let x = (1.0 - v) * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Text sizes in pixels for a chart `width` pixels wide: set for a 1920-pixel slide, where a
/// 28-pixel tick label is about 2.5 % of the screen height, legible at the back of a room.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    pub px: f64,
}

impl Scale {
    pub fn new(width: u32) -> Scale {
        Scale { px: f64::from(width) / 1920.0 }
    }

    pub fn size(self, base: f64) -> f64 {
        (base * self.px).round()
    }

    pub fn font(self, base: f64, bold: bool) -> FontDesc<'static> {
        let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
        FontDesc::new(FontFamily::Name(FONT_FAMILY), self.size(base), style)
    }

    pub fn title(self) -> TextStyle<'static> {
        TextStyle::from(self.font(46.0, true)).color(&INK)
    }

    pub fn subtitle(self) -> TextStyle<'static> {
        TextStyle::from(self.font(30.0, false)).color(&MUTED)
    }

    pub fn label(self) -> TextStyle<'static> {
        TextStyle::from(self.font(28.0, false)).color(&INK)
    }

    pub fn small(self) -> TextStyle<'static> {
        TextStyle::from(self.font(24.0, false)).color(&INK)
    }

    pub fn footnote(self) -> TextStyle<'static> {
        TextStyle::from(self.font(21.0, false)).color(&MUTED)
    }

    pub fn line(self, base: f64) -> u32 {
        (base * self.px).round().max(1.0) as u32
    }
}

/// How values on an axis are written.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueFormat {
    /// A fraction written as a percentage (`0.4` is `40 %`).
    Percent,
    /// Percentage points (a difference of two fractions): `-0.05` is `-5 pp`.
    PercentPoints,
    /// A number in a unit, with thousands separators (`12,500 t`).
    Units(String),
    /// A large amount written short, with thousand, million and billion suffixes
    /// (`1.25 bn`, `430 m`, `12 k`).
    Compact,
}

impl ValueFormat {
    /// `value` as written on an axis or a label.
    pub fn format(&self, value: f64) -> String {
        match self {
            ValueFormat::Percent => format!("{} %", trim(value * 100.0)),
            ValueFormat::PercentPoints => {
                format!("{}{} pp", if value > 0.0 { "+" } else { "" }, trim(value * 100.0))
            }
            ValueFormat::Units(unit) => {
                let number = thousands(value);
                if unit.is_empty() { number } else { format!("{number} {unit}") }
            }
            ValueFormat::Compact => compact(value),
        }
    }

    /// A tick label on an axis whose ticks are `step` apart: as [`ValueFormat::tick`], with
    /// as many decimals as the step needs, so that neighbouring ticks never read the same
    /// (`0.2 pp, 0.4 pp`, not `0 pp, 0 pp`).
    pub fn tick_at_step(&self, value: f64, step: f64) -> String {
        let decimals = |per_unit: f64| -> usize {
            let step = (step * per_unit).abs();
            if !step.is_finite() || step <= 0.0 || step >= 1.0 {
                0
            } else {
                ((-step.log10()).ceil().max(0.0) as usize).min(4)
            }
        };
        match self {
            ValueFormat::Percent | ValueFormat::PercentPoints => {
                let places = decimals(100.0);
                if places <= 1 {
                    return self.tick(value);
                }
                let number = format!("{:.places$}", value * 100.0);
                let number = if number.trim_start_matches(['-', '0', '.']).is_empty() {
                    "0".to_owned()
                } else {
                    number
                };
                match self {
                    ValueFormat::Percent => format!("{number} %"),
                    _ => format!("{}{number} pp", if value > 0.0 { "+" } else { "" }),
                }
            }
            ValueFormat::Units(_) if decimals(1.0) > 0 => format!("{:.*}", decimals(1.0), value),
            _ => self.tick(value),
        }
    }

    /// `value` without the unit (tick labels, where the axis title carries it).
    pub fn tick(&self, value: f64) -> String {
        match self {
            ValueFormat::Units(_) => thousands(value),
            other => other.format(value),
        }
    }
}

/// A percentage with at most one decimal, none when it is whole.
fn trim(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".to_owned()
    } else if (rounded - rounded.round()).abs() < 1e-9 {
        format!("{}", rounded.round() as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// `value` with a k, m or bn suffix and three significant digits (`1.25 bn`, `430 m`,
/// `12.5 k`, `950`).
pub fn compact(value: f64) -> String {
    if !value.is_finite() {
        return "-".to_owned();
    }
    let magnitude = value.abs();
    let (scaled, suffix) = [(1e9, " bn"), (1e6, " m"), (1e3, " k")]
        .into_iter()
        .find(|(size, _)| magnitude >= *size * 0.9995)
        .map_or((value, ""), |(size, suffix)| (value / size, suffix));
    let digits = if scaled.abs() >= 99.95 {
        0
    } else if scaled.abs() >= 9.995 {
        1
    } else {
        2
    };
    let text = format!("{scaled:.digits$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text}{suffix}")
}

/// `value` with thousands separators; two significant decimals below 10.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "-".to_owned();
    }
    let magnitude = value.abs();
    if magnitude > 0.0 && magnitude < 10.0 {
        let text = format!("{value:.2}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return text.to_owned();
    }
    let whole = value.round() as i128;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fonts_parse() {
        assert!(plotters::style::register_font("test-regular", FontStyle::Normal, DEJAVU_SANS).is_ok());
        assert!(plotters::style::register_font("test-bold", FontStyle::Bold, DEJAVU_SANS_BOLD).is_ok());
    }

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(thousands(143_571.4), "143,571");
        assert_eq!(thousands(-1_000.0), "-1,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(2.5), "2.5");
        assert_eq!(thousands(0.0), "0");
        assert_eq!(ValueFormat::Percent.format(0.4), "40 %");
        assert_eq!(ValueFormat::Percent.format(0.125), "12.5 %");
        assert_eq!(ValueFormat::PercentPoints.format(-0.05), "-5 pp");
        assert_eq!(ValueFormat::PercentPoints.format(0.031), "+3.1 pp");
        assert_eq!(ValueFormat::Units("t".into()).format(12_500.0), "12,500 t");
        assert_eq!(compact(1_250_000_000.0), "1.25 bn");
        assert_eq!(compact(430_000_000.0), "430 m");
        assert_eq!(compact(12_500.0), "12.5 k");
        assert_eq!(compact(999_999.0), "1 m");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(-2_000.0), "-2 k");
        assert_eq!(compact(0.0), "0");
    }

    #[test]
    fn heat_scale_runs_from_pale_to_dark() {
        assert_eq!(heat_colour(0.0), RGBColor(242, 242, 242));
        assert_eq!(heat_colour(1.0), RGBColor(68, 1, 84));
        let lum = |c: RGBColor| 0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2);
        // Luminance falls monotonically with the shortage, so the scale reads in greyscale.
        let mut previous = f64::INFINITY;
        for k in 1..=20 {
            let l = lum(heat_colour(f64::from(k) / 20.0));
            assert!(l < previous, "luminance at {k}/20 is {l}, not below {previous}");
            previous = l;
        }
    }

    #[test]
    fn tints_mix_with_white() {
        assert_eq!(tint(RGBColor(0, 114, 178), 0.0), RGBColor(255, 255, 255));
        assert_eq!(tint(RGBColor(0, 114, 178), 1.0), RGBColor(0, 114, 178));
        assert_eq!(tint(RGBColor(0, 0, 0), 0.5), RGBColor(128, 128, 128));
    }
}
