//! The loader never panics or hangs, whatever it is given: structured arbitrary TOML built
//! from the format's own vocabulary (so it gets past the parser into validation), and
//! pathological shapes. `fuzz/` runs the same checks coverage-guided (docs/fuzzing.md).

use chokepoint_scenario::{SECTIONS, load_str};
use proptest::prelude::*;

/// Keys of the language, so that generated files reach the validators of real keys.
const KEYS: &[&str] = &[
    "name",
    "start",
    "horizon",
    "seed",
    "extends",
    "region",
    "product",
    "capacity",
    "inputs",
    "stock",
    "policy",
    "target",
    "review",
    "online",
    "ramp",
    "kind",
    "buyer",
    "sources",
    "from",
    "share",
    "transit",
    "alternates",
    "qualify",
    "rate",
    "growth",
    "noise",
    "unmet",
    "type",
    "id",
    "issuer",
    "products",
    "targets",
    "end",
    "after",
    "event",
    "licence",
    "approval",
    "leakage",
    "via",
    "content",
    "threshold",
    "amount",
    "period",
    "control",
    "facilities",
    "remaining",
    "sinks",
    "factor",
    "release",
    "to",
    "by",
    "rule",
    "order",
    "watch",
    "step",
    "runs",
    "grid",
    "uniform",
    "normal",
    "mean",
    "sd",
    "beta",
    "profile",
    "partial",
    "reapply",
    "applicants",
    "validity",
    "repeat",
    "approval_by",
    "sector",
    "regions",
    "general",
    "date",
    "per_day",
    "announced",
    "release_pace",
    "emergency",
    "lasts",
    "thrift",
    "max",
    "qualify_factor",
    "prebuy",
];
const WORDS: &[&str] = &[
    "ore",
    "metal",
    "mine",
    "smelter",
    "line",
    "CN",
    "US",
    "all",
    "export_control",
    "quota",
    "suspend",
    "capacity",
    "demand",
    "logistics",
    "stockpile",
    "substitute",
    "30d",
    "6w",
    "-1d",
    "poisson",
    "backlog",
    "depot",
    "priority",
    "domestic",
    "single",
    "multi",
    "cn-mofcom",
    "x",
];

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.5), Just(0.0), Just(1e300), any::<f64>()]
            .prop_map(|x| if x.is_nan() {
                "nan".to_owned()
            } else if x.is_infinite() {
                "inf".to_owned()
            } else {
                format!("{x:?}")
            }),
        any::<bool>().prop_map(|b| b.to_string()),
        prop::sample::select(WORDS).prop_map(|w| format!("{w:?}")),
        (1900u32..2200, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(|pairs| {
                let mut seen = std::collections::BTreeSet::new();
                let body: Vec<String> = pairs
                    .into_iter()
                    .filter(|(k, _)| seen.insert(*k))
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
}

/// A document: sections of the language with entities and key = value lines.
fn document() -> impl Strategy<Value = String> {
    let entry = (prop::sample::select(KEYS), value());
    let table = (
        prop::sample::select(SECTIONS.as_slice()),
        prop::option::of(prop::sample::select(WORDS)),
        any::<bool>(),
        prop::collection::vec(entry, 0..8),
    );
    prop::collection::vec(table, 0..8).prop_map(|tables| {
        let mut out = String::new();
        for (section, id, array, entries) in tables {
            let header = match id {
                Some(id) if !array => format!("[{section}.{id:?}]"),
                _ if array => format!("[[{section}]]"),
                _ => format!("[{section}]"),
            };
            out.push_str(&header);
            out.push('\n');
            let mut seen = std::collections::BTreeSet::new();
            for (key, value) in entries {
                if seen.insert(key) {
                    out.push_str(&format!("{key} = {value}\n"));
                }
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_toml_of_the_language_never_panics(text in document()) {
        match load_str("arbitrary.toml", &text) {
            Ok(loaded) => {
                let _ = chokepoint_engine::model_errors(&loaded.scenario.model);
            }
            Err(report) => {
                let _ = report.render(false);
                let _ = report.to_json();
                for d in &report.diagnostics {
                    if let Some(span) = &d.span {
                        prop_assert!(report.location(span.start).is_some(), "a span outside the file: {:?}", d);
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(report) = load_str("bytes.toml", &text) {
            let _ = report.render(true);
        }
    }
}

#[test]
fn pathological_shapes_are_refused_cleanly() {
    let deep_inline = "a = ".to_owned() + &"{ b = ".repeat(50_000) + "1" + &" }".repeat(50_000);
    let deep_dotted = "a".to_owned() + &".a".repeat(50_000) + " = 1";
    let deep_header = "[".to_owned() + &"a.".repeat(50_000) + "a]";
    let long_key_line = "[scenario]\n".to_owned() + &"k".repeat(2_000_000) + " = 1";
    let many_tables: String = (0..20_000).map(|i| format!("[facilities.f{i}]\nregion = \"CN\"\n")).collect();
    let nul_bytes = "[scenario]\nname = \"\u{0}\u{0}\"\nstart = 2025-01-01\nhorizon = \"1d\"\n".to_owned();
    let bom = "\u{feff}[scenario]\nname = \"x\"\n".to_owned();
    for (what, text) in [
        ("deep inline tables", deep_inline),
        ("deep dotted keys", deep_dotted),
        ("a deep table header", deep_header),
        ("a 2 MB line", long_key_line),
        ("20,000 broken facilities", many_tables),
        ("NUL bytes in a string", nul_bytes),
        ("a byte-order mark", bom),
    ] {
        match load_str("odd.toml", &text) {
            Ok(_) => panic!("{what} was accepted"),
            Err(report) => {
                assert!(report.has_errors(), "{what}");
                let rendered = report.render(false);
                assert!(rendered.contains("odd.toml"), "{what}: {rendered:.300}");
            }
        }
    }
}
