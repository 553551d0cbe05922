//! `[adaptation]`: every key becomes the engine's adaptation; `prebuy` is the target of an
//! announcement that gives none; keys are set by path and merged over a world's.

use chokepoint_engine::{Action, Adaptation, Announcement, Emergency, Thrift};

use crate::licensing::{error, line_of, load_files, loaded, with_licence};

const ADAPTATION: &str = r#"
[adaptation]
release_pace = 1.5
emergency = { target = "60d", lasts = "180d" }
thrift = { after = "60d", max = 0.2, ramp = "90d" }
qualify_factor = 0.5
prebuy = "45d"
"#;

fn base() -> String {
    with_licence(r#"{ profile = "cn-mofcom" }"#)
}

fn announcement(text: &str) -> Option<Announcement> {
    let Action::ExportControl(control) = &loaded(text).scenario.model.events[0].action else {
        panic!("a control")
    };
    control.announcement.clone()
}

/// `base()` with the ban announced as `announced` (the ban starts on 2025-04-04).
fn announced(announced: &str) -> String {
    base().replace("start = 2025-04-04\n", &format!("start = 2025-04-04\nannounced = {announced}\n"))
}

#[test]
fn every_key_of_adaptation_becomes_the_model_it_states() {
    let every = loaded(&(base() + ADAPTATION));
    assert_eq!(
        every.scenario.model.adaptation,
        Adaptation {
            release_pace: Some(1.5),
            emergency: Some(Emergency { target_days: 60.0, lasts_days: 180 }),
            thrift: Some(Thrift { after_days: 60, max_cut: 0.2, ramp_days: 90 }),
            qualify_factor: 0.5,
        }
    );
    let without = loaded(&base());
    assert_eq!(without.scenario.model.adaptation, Adaptation::default(), "every part is off unless given");
    let thrift = loaded(&(base() + "[adaptation]\nthrift = { max = 0.1 }\n"));
    assert_eq!(
        thrift.scenario.model.adaptation.thrift,
        Some(Thrift { after_days: 0, max_cut: 0.1, ramp_days: 0 }),
        "after and ramp default to 0"
    );
}

#[test]
fn adaptation_values_out_of_range_are_located() {
    for (from, to, message) in [
        ("release_pace = 1.5", "release_pace = 0.5", "adaptation.release_pace must be 1 or more, found 0.5"),
        (
            "target = \"60d\"",
            "target = \"0d\"",
            "adaptation.emergency.target must be above 0 and at most 1000 days, found 0",
        ),
        ("lasts = \"180d\"", "lasts = \"0.5d\"", "adaptation.emergency.lasts must be a whole number of days"),
        ("max = 0.2", "max = 1.0", "adaptation.thrift.max is a share from 0 to below 1, found 1"),
        (
            "qualify_factor = 0.5",
            "qualify_factor = 0",
            "adaptation.qualify_factor must be above 0 and at most 1, found 0",
        ),
        (
            "prebuy = \"45d\"",
            "prebuy = \"2000d\"",
            "adaptation.prebuy must be above 0 and at most 1000 days, found 2000",
        ),
    ] {
        let text = base() + &ADAPTATION.replace(from, to);
        let (_, line, ..) = error(&text, message);
        assert_eq!(line, line_of(&text, to), "{message}");
    }
}

#[test]
fn an_announcement_without_a_target_takes_the_prebuy() {
    // 2025-03-01 is day 31 + 28 = 59.
    let text = announced("{ date = 2025-03-01 }") + ADAPTATION;
    assert_eq!(announcement(&text), Some(Announcement { day: 59, target_days: 45.0 }));
    let text = announced("{ date = 2025-03-01, target = \"6w\" }") + ADAPTATION;
    assert_eq!(announcement(&text), Some(Announcement { day: 59, target_days: 42.0 }), "its own target wins");

    let text = announced("{ date = 2025-03-01 }");
    let (diagnostic, line, _, snippet) = error(&text, "announced needs a `target`");
    assert_eq!(diagnostic.message, "event ban: announced needs a `target`");
    assert_eq!((line, snippet.as_str()), (line_of(&text, "announced ="), "{ date = 2025-03-01 }"));
    assert!(
        diagnostic.hint.as_deref().unwrap_or("").contains("give announced.target or [adaptation] prebuy")
    );
}

#[test]
fn adaptation_keys_can_be_set_by_path_and_merge_over_a_world() {
    let text = base() + ADAPTATION;
    let sets = [("adaptation.release_pace", "2"), ("adaptation.emergency.target", "\"90d\"")];
    let loaded = load_files(&[("s.toml", &text)], "s.toml", &sets)
        .unwrap_or_else(|report| panic!("{}", report.render(false)));
    let adaptation = &loaded.scenario.model.adaptation;
    assert_eq!(
        (adaptation.release_pace, adaptation.emergency.clone()),
        (Some(2.0), Some(Emergency { target_days: 90.0, lasts_days: 180 }))
    );
    let report = load_files(&[("s.toml", &text)], "s.toml", &[("adaptation.release_pace", "0.5")])
        .expect_err("below 1");
    assert!(report.diagnostics.iter().any(|d| d.message.contains("release_pace must be 1 or more")));

    let scenario = "[scenario]\nextends = \"world.toml\"\nname = \"Override\"\n\n\
                    [adaptation]\nqualify_factor = 0.8\n";
    let loaded = load_files(&[("s.toml", scenario), ("world.toml", &text)], "s.toml", &[])
        .unwrap_or_else(|report| panic!("{}", report.render(false)));
    let adaptation = &loaded.scenario.model.adaptation;
    assert_eq!((adaptation.qualify_factor, adaptation.release_pace), (0.8, Some(1.5)), "key by key");
}
