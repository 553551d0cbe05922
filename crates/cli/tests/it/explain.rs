//! `chokepoint explain`: the chain of a buyer's first shortage, as a user reads it.

use crate::{chokepoint, text};

const APRIL: &str = "scenarios/rare-earth-controls-april-2025.toml";

#[test]
fn the_us_car_lines_shortage_goes_back_to_the_april_control_through_motors_and_magnets() {
    let out = chokepoint(&["explain", APRIL, "--entity", "us_auto"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The car line ran short when its motor maker did, which ran out of magnets that the
    // Chinese magnet maker held at the border under the April 2025 control.
    assert!(stdout.contains("us_auto first ran short on 2025-"), "{stdout}");
    assert!(stdout.contains("us_motors had run short itself from 2025-"), "{stdout}");
    assert!(stdout.contains("for want of ndfeb_magnet"), "{stdout}");
    assert!(stdout.contains("cn_magnets held us_motors' orders at its door"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("Root: mofcom-18-2025 (export_control), in force from 2025-04-04 (day 93)."),
        "{stdout}"
    );
    // The same run as `chokepoint run`'s table: us_auto short 76 days after day 93.
    assert!(stdout.contains("us_auto first ran short on 2025-06-19 (day 169)"), "{stdout}");
}

#[test]
fn json_gives_the_chain_as_data() {
    let out = chokepoint(&["explain", APRIL, "--entity", "us_auto", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let entities: Vec<&str> = (json["steps"].as_array().expect("steps"))
        .iter()
        .map(|s| s["entity"].as_str().expect("entity"))
        .collect();
    assert_eq!(entities, ["us_auto", "us_motors"]);
    assert_eq!(json["root"]["event"], "mofcom-18-2025");
    assert_eq!(json["root"]["day"], 93);
}

#[test]
fn a_buyer_that_never_ran_short_says_so() {
    let out = chokepoint(&["explain", APRIL, "--entity", "jp_auto"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("jp_auto never ran short in this run"), "{}", text(&out.stdout));
}

#[test]
fn an_unknown_id_fails_with_a_hint() {
    let out = chokepoint(&["explain", APRIL, "--entity", "us_autos"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: no facility or demand sink is called `us_autos`"), "{stderr}");
    assert!(stderr.contains("hint: did you mean `us_auto`?"), "{stderr}");
    assert!(out.stdout.is_empty());
}
