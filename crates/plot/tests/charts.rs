//! Every chart type drawn from hand-made data, checked on its SVG text (series, labels,
//! band order) and on its PNG (decodes, right size, not blank).

use chokepoint_plot::*;
use jiff::civil::Date;

fn calendar() -> Calendar {
    Calendar::new(Date::new(2025, 1, 1).expect("date"))
}

fn frame(title: &str) -> Frame {
    Frame {
        title: title.to_owned(),
        subtitle: "Share of demand not met each day, %".to_owned(),
        footnote: "Scenario: test chain · seed 7 · chokepoint test".to_owned(),
    }
}

/// A buyer short from day 100 to 160 at 60 %, and one never short.
fn timeline() -> Timeline {
    let short = (0..365).map(|d| (f64::from(d), if (100..160).contains(&d) { 0.6 } else { 0.0 })).collect();
    let fine = (0..365).map(|d| (f64::from(d), 0.0)).collect();
    Timeline {
        frame: frame("Shortage at each buyer, one run"),
        calendar: calendar(),
        days: (0.0, 364.0),
        format: ValueFormat::Percent,
        y_max: None,
        lines: vec![
            Line { label: "us_auto".into(), points: short },
            Line { label: "jp_auto".into(), points: fine },
        ],
        periods: vec![Period { from: 93.0, to: 156.0, label: "CN export ban mofcom-18".into() }],
        markers: vec![
            Marker { day: 93.0, label: "CN ban starts".into() },
            Marker { day: 156.0, label: "CN ban ends".into() },
            Marker { day: 160.0, label: "plant online".into() },
        ],
    }
}

/// Quantiles that widen over time: q_k(d) = d/100 × (k + 1).
fn fan() -> Fan {
    let steps = (0..52)
        .map(|w| {
            let d = f64::from(w) * 7.0;
            let mut q = [0.0; 7];
            for (k, v) in q.iter_mut().enumerate() {
                *v = d / 100.0 * (k as f64 + 1.0);
            }
            FanStep { day: d, q }
        })
        .collect();
    Fan {
        frame: frame("Unmet demand at us_auto, 500 runs"),
        calendar: calendar(),
        format: ValueFormat::Units("motors".into()),
        y_max: None,
        steps,
        markers: vec![Marker { day: 93.0, label: "CN ban starts".into() }],
        observed: Vec::new(),
        observed_label: String::new(),
    }
}

fn heatmap() -> Heatmap {
    // A shortage that starts later the further down the chain a row is.
    let rows = [
        ("cn_mines", "ore"),
        ("jp_metal", "metal"),
        ("us_magnets", "magnets"),
        ("us_motors", "motors"),
        ("us_auto", "cars"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (label, stage))| HeatRow {
        label: (*label).to_owned(),
        stage: (*stage).to_owned(),
        values: (0..365)
            .map(|d| if i > 0 && d > 90 + 20 * i && d < 200 { 0.25 * i as f64 } else { 0.0 })
            .collect(),
    })
    .collect();
    Heatmap {
        frame: frame("How the ban travels down the chain"),
        calendar: calendar(),
        step_days: 1.0,
        colour_label: "Share of demand not met".into(),
        rows,
        markers: vec![Marker { day: 93.0, label: "CN ban starts".into() }],
    }
}

fn tornado() -> Tornado {
    Tornado {
        frame: frame("What moves the fill rate most"),
        format: ValueFormat::Percent,
        base: Some((0.94, "ban ends after 63 d".into())),
        bars: vec![
            TornadoBar {
                label: "ban length".into(),
                low: 0.80,
                high: 0.97,
                low_note: "(180 d)".into(),
                high_note: "(30 d)".into(),
            },
            TornadoBar {
                label: "stock".into(),
                low: 0.91,
                high: 0.95,
                low_note: "(30 d)".into(),
                high_note: "(90 d)".into(),
            },
        ],
    }
}

fn comparison() -> Comparison {
    Comparison {
        frame: frame("Ban ends after 120 d instead of 63 d"),
        format: ValueFormat::PercentPoints,
        sides: ("worse".into(), "better".into()),
        rows: vec![
            Interval { label: "us_auto".into(), q: [-0.09, -0.07, -0.06, -0.05, -0.03] },
            Interval { label: "jp_auto".into(), q: [0.0, 0.0, 0.0, 0.0, 0.0] },
        ],
    }
}

fn svg(chart: &Chart) -> String {
    String::from_utf8(render(chart, Size::Slide, Format::Svg).expect("renders")).expect("utf-8")
}

/// The text of every `<text>` element, in order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
                .map(|(s, _)| s.trim().to_owned())
        })
        .collect()
}

fn has_text(svg: &str, needle: &str) -> bool {
    texts(svg).iter().any(|t| t.contains(needle))
}

#[test]
fn timeline_has_its_title_legend_dates_and_event_labels() {
    let svg = svg(&Chart::Timeline(timeline()));
    for needle in [
        "Shortage at each buyer, one run",
        "us_auto",
        "jp_auto",
        "Shaded: CN export ban mofcom-18",
        "4 Apr: CN ban starts",
        "6 Jun: CN ban ends",
        "Jan 2025",
        "Jul",
        "60 %",
        "seed 7",
    ] {
        assert!(has_text(&svg, needle), "no text {needle:?} in {:?}", texts(&svg));
    }
    assert!(svg.contains("font-family=\"DejaVu Sans"), "text is not set in the embedded font");
    // The first line is Okabe-Ito blue, the second vermillion.
    assert!(svg.contains("#0072B2"), "first series colour missing");
    assert!(svg.contains("#D55E00"), "second series colour missing");
}

#[test]
fn fan_bands_are_nested_around_the_median() {
    let chart = fan();
    for step in &chart.steps {
        assert!(step.q.windows(2).all(|w| w[0] <= w[1]));
    }
    let svg = svg(&Chart::Fan(chart));
    for needle in ["Median", "90 % of runs", "80 % of runs", "50 % of runs", "Unmet demand at us_auto"] {
        assert!(has_text(&svg, needle), "no text {needle:?}");
    }
    // Three band polygons, lightest first (drawn under the darker ones).
    let polygons: Vec<&str> = svg.split("<polygon").skip(1).collect();
    assert_eq!(polygons.len(), 3, "expected one polygon per band");
}

#[test]
fn heatmap_orders_rows_down_the_chain() {
    let svg = svg(&Chart::Heatmap(heatmap()));
    let t = texts(&svg);
    let position = |s: &str| t.iter().position(|x| x == s).unwrap_or_else(|| panic!("no label {s}"));
    for needle in ["ore", "magnets", "cars", "100 %", "none", "Share of demand not met"] {
        assert!(has_text(&svg, needle), "no text {needle:?}");
    }
    // plotters writes y labels bottom-up: the last row (final demand) comes first.
    assert!(position("us_auto") < position("cn_mines"));
}

#[test]
fn tornado_sorts_by_swing() {
    let svg = svg(&Chart::Tornado(tornado()));
    let t = texts(&svg);
    let position = |s: &str| t.iter().position(|x| x == s).unwrap_or_else(|| panic!("no label {s}"));
    // The bar with the larger swing (ban length, 17 points) is on top, i.e. written last
    // by plotters' bottom-up y labels.
    assert!(position("stock") < position("ban length"));
    assert!(has_text(&svg, "80 % (180 d)"));
    assert!(has_text(&svg, "97 % (30 d)"));
}

#[test]
fn comparison_marks_zero_and_sides() {
    let svg = svg(&Chart::Comparison(comparison()));
    for needle in ["\u{2190} worse", "better \u{2192}", "-6 pp", "0", "us_auto", "jp_auto", "No difference"] {
        assert!(has_text(&svg, needle), "no text {needle:?} in {:?}", texts(&svg));
    }
}

#[test]
fn pngs_decode_at_both_sizes_and_are_not_blank() {
    for (size, dims) in [(Size::Slide, (1920, 1080)), (Size::Print, (2250, 1500))] {
        let bytes = render(&Chart::Timeline(timeline()), size, Format::Png).expect("renders");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut pixels).expect("png data");
        assert_eq!((info.width, info.height), dims);
        let white = pixels.chunks(3).filter(|p| p == &[255, 255, 255]).count();
        let total = pixels.len() / 3;
        // Mostly background, but a good share drawn: axes, text, shading, lines.
        assert!(white < total * 98 / 100, "{white} of {total} pixels white");
        assert!(white > total / 2);
    }
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    let a = render(&Chart::Heatmap(heatmap()), Size::Slide, Format::Png).expect("renders");
    let b = render(&Chart::Heatmap(heatmap()), Size::Slide, Format::Png).expect("renders");
    assert_eq!(a, b);
}

#[test]
fn dump_for_eyes() {
    if let Ok(dir) = std::env::var("CHOKEPOINT_PLOT_DUMP") {
        for (name, chart) in [
            ("timeline", Chart::Timeline(timeline())),
            ("fan", Chart::Fan(fan())),
            ("heatmap", Chart::Heatmap(heatmap())),
            ("tornado", Chart::Tornado(tornado())),
            ("comparison", Chart::Comparison(comparison())),
        ] {
            std::fs::write(
                format!("{dir}/{name}.png"),
                render(&chart, Size::Slide, Format::Png).expect("png"),
            )
            .expect("write");
            std::fs::write(
                format!("{dir}/{name}.svg"),
                render(&chart, Size::Slide, Format::Svg).expect("svg"),
            )
            .expect("write");
        }
    }
}

#[test]
fn observed_points_sit_on_the_fan_with_their_range() {
    let mut chart = fan();
    chart.observed = vec![
        ObservedPoint { day: 120.0, value: 40.0, low: 40.0, high: 40.0 },
        ObservedPoint { day: 150.0, value: 80.0, low: 60.0, high: 100.0 },
    ];
    chart.observed_label = "China customs".into();
    let svg = svg(&Chart::Fan(chart.clone()));
    assert!(has_text(&svg, "China customs"), "the legend names the observations");
    // One dot per observation plus the legend's dot; a whisker only for the one with a range.
    assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    let without = svg_of_fan_without_observations();
    assert_eq!(without.matches("<circle").count(), 0);
    assert!(!has_text(&without, "China customs"));
}

fn svg_of_fan_without_observations() -> String {
    svg(&Chart::Fan(fan()))
}

/// Two buyers short at different times, each in its own panel, and one event.
fn panels(peak: f64) -> Panels {
    let bump = |from: u32, to: u32, v: f64| {
        (0..365).map(move |d| (f64::from(d), if (from..to).contains(&d) { v } else { 0.0 })).collect()
    };
    Panels {
        frame: frame("US car plants and EU car plants: short from mid-April 2025"),
        calendar: calendar(),
        days: (0.0, 364.0),
        format: ValueFormat::Percent,
        y_max: 1.0,
        panels: vec![
            Panel {
                label: "US car plants".into(),
                note: "short from 11 Apr 2025".into(),
                points: bump(100, 160, peak),
            },
            Panel {
                label: "EU car plants".into(),
                note: "short from 20 May 2025".into(),
                points: bump(140, 200, 0.4),
            },
        ],
        periods: vec![Period { from: 93.0, to: 156.0, label: "CN export ban mofcom-18".into() }],
        markers: vec![Marker { day: 93.0, label: "CN ban starts".into() }],
    }
}

#[test]
fn panels_name_each_series_in_order_on_shared_axes_and_clip_values() {
    let svg = svg(&Chart::Panels(panels(0.6)));
    let all = texts(&svg);
    let at = |needle: &str| {
        all.iter().position(|t| t == needle).unwrap_or_else(|| panic!("no {needle:?} in {all:?}"))
    };
    // Top to bottom in the order given, each name with its note.
    assert!(at("US car plants") < at("EU car plants"));
    assert!(at("short from 11 Apr 2025") < at("short from 20 May 2025"));
    for needle in ["4 Apr: CN ban starts", "Shaded: CN export ban mofcom-18", "Jan 2025", "Jul"] {
        assert!(has_text(&svg, needle), "no text {needle:?} in {all:?}");
    }
    // One value axis: its top written once per panel, its unit only there.
    assert_eq!(all.iter().filter(|t| *t == "100 %").count(), 2, "{all:?}");
    // Values above the axis are drawn at its top: a 300 % week looks like a 100 % one.
    assert_eq!(self::svg(&Chart::Panels(panels(3.0))), self::svg(&Chart::Panels(panels(1.0))));
    assert_ne!(svg, self::svg(&Chart::Panels(panels(1.0))), "the values are drawn");
}

#[test]
fn tick_labels_carry_the_decimals_their_step_needs() {
    let pp = ValueFormat::PercentPoints;
    // Ticks 0.05 pp apart: two decimals, so neighbours differ (once `0 pp, 0 pp, +0 pp`).
    let labels: Vec<String> = [-0.0005, 0.0, 0.0005].iter().map(|v| pp.tick_at_step(*v, 0.0005)).collect();
    assert_eq!(labels, ["-0.05 pp", "0 pp", "+0.05 pp"]);
    assert_eq!(pp.tick_at_step(0.002, 0.002), "+0.2 pp");
    assert_eq!(ValueFormat::Percent.tick_at_step(0.25, 0.25), "25 %");
    assert_eq!(ValueFormat::Units("d".into()).tick_at_step(2.5, 0.5), "2.5");
    assert_eq!(ValueFormat::Units("d".into()).tick_at_step(1500.0, 500.0), "1,500");
}
