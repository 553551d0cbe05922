//! Integration tests of the scenario loader: a valid file becomes the model it describes;
//! each broken file gets the message, location and hint a user needs; no input panics.

use chokepoint_engine::{
    Action, Dist, End, Event, ExportControl, Noise, Policy, Region, Start, Stock, Targets,
};
use chokepoint_scenario::load_str;
use proptest::prelude::*;

mod bundled;
mod fixtures;
mod library;

mod adaptation;
mod language;
mod licensing;
mod robustness;
mod schema;
mod silent;

const VALID: &str = r#"
[scenario]
name = "Test chain"
start = 2025-01-01
horizon = "8w"
seed = 11

[blocs]
pax = ["US", "JP"]

[products.ore]
unit = "t"
value = 10.0

[products.metal]
unit = "t"

[facilities.mine]
region = "CN"
product = "ore"
capacity = { triangular = [80, 100, 120] }

[facilities.smelter]
region = "JP"
product = "metal"
capacity = 50
inputs = { ore = 2.0 }
stock = { output = 20, inputs = "2w" }
policy = { target = "14d", review = "2d" }

[demand.line]
region = "US"
product = "metal"
rate = 10.0
noise = { normal = { sd = 0.1 } }
unmet = "backlog"
policy = { reorder_point = 15, order_up_to = 60 }

[[supply]]
buyer = "smelter"
product = "ore"
sources = [ { from = "mine" } ]
transit = { lognormal = { mean = 35, sd = 7 } }

[[supply]]
buyer = "line"
product = "metal"
sources = [ { from = "smelter", share = 1.0 } ]
transit = 4

[[event]]
type = "export_control"
id = "ban"
issuer = "CN"
products = ["ore"]
targets = "pax"
start = 2025-01-11
end = { after = { uniform = [10, 20] } }

[[event]]
type = "export_control"
id = "ban-2"
issuer = "CN"
products = ["ore"]
targets = { all_except = ["JP"] }
start = 2025-01-02
end = 2025-02-01

[report]
step = "1w"
watch = ["line"]
"#;

#[test]
fn a_product_value_past_the_limit_is_refused_where_it_is_written() {
    // A value near the largest f64 would make lost values infinite, which no result file
    // can carry: refused at its line, not at the end of a sweep.
    for (value, shown) in [("1e300", "1e300"), ("-1.0", "-1")] {
        let text = VALID.replace("value = 10.0", &format!("value = {value}"));
        let Err(report) = load_str("valid.toml", &text) else { panic!("value {value} loaded") };
        let rendered = report.render(false);
        assert!(rendered.contains(&format!("must be 0 to 1e12, found {shown}")), "{rendered}");
        assert!(rendered.contains(&format!("value = {value}")), "located at its line: {rendered}");
    }
    let fine = VALID.replace("value = 10.0", "value = 1e12");
    assert!(load_str("valid.toml", &fine).is_ok(), "the limit itself is allowed");
}

#[test]
fn report_bands_is_watched_by_default_all_on_request_and_nothing_else() {
    let loaded = load_str("valid.toml", VALID).unwrap_or_else(|r| panic!("{}", r.render(false)));
    assert!(!loaded.scenario.report.all_bands, "watched is the default");
    let with = |value: &str| VALID.replace("step = \"1w\"", &format!("step = \"1w\"\nbands = {value}"));
    let all = load_str("valid.toml", &with("\"all\"")).unwrap_or_else(|r| panic!("{}", r.render(false)));
    assert!(all.scenario.report.all_bands);
    let watched =
        load_str("valid.toml", &with("\"watched\"")).unwrap_or_else(|r| panic!("{}", r.render(false)));
    assert!(!watched.scenario.report.all_bands);
    let Err(report) = load_str("valid.toml", &with("\"every\"")) else { panic!("\"every\" is not a choice") };
    let rendered = report.render(false);
    assert!(rendered.contains("report.bands: 'every' is not a choice"), "{rendered}");
    assert!(rendered.contains("write \"watched\" (the default) or \"all\""), "{rendered}");
}

#[test]
fn a_valid_file_becomes_the_model_it_describes() {
    let loaded = load_str("valid.toml", VALID).unwrap_or_else(|r| panic!("{}", r.render(false)));
    let (scenario, warnings) = (loaded.scenario, loaded.warnings.diagnostics);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(scenario.seed, 11);
    assert_eq!(scenario.model.horizon_days, 56);
    assert_eq!(scenario.report.step_days, 7);
    let ids: Vec<&str> = scenario.model.facilities.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["mine", "smelter"], "file order is kept");
    let smelter = &scenario.model.facilities[1];
    assert_eq!(smelter.output_stock, Stock::Units(20.0));
    assert_eq!(smelter.input_stock, Stock::Days(14.0));
    assert_eq!(smelter.policy, Policy::DaysOfUse { target_days: 14.0, review_days: 2 });
    assert_eq!(
        scenario.model.facilities[0].capacity,
        Dist::Triangular { min: 80.0, mode: 100.0, max: 120.0 }
    );
    let line = &scenario.model.sinks[0];
    assert_eq!(line.noise, Noise::Relative(Dist::Normal { mean: 0.0, sd: 0.1 }));
    assert_eq!(line.policy, Policy::Units { reorder_point: Some(15.0), order_up_to: 60.0, review_days: 1 });
    assert_eq!(line.stock, Stock::Units(60.0), "stock defaults to the order-up-to level");
    assert_eq!(scenario.model.supplies[0].sources[0].share, 1.0, "a lone source takes all");
    let control = |event: &Event| match &event.action {
        Action::ExportControl(control) => control.clone(),
        other => panic!("not a control: {other:?}"),
    };
    let ban = &scenario.model.events[0];
    assert_eq!(ban.start, Start::Day(10));
    let us_jp = vec![Region::new("JP").expect("code"), Region::new("US").expect("code")];
    assert_eq!(control(ban).targets, Targets::Only(us_jp));
    assert_eq!(ban.end, Some(End::After(Dist::Uniform { low: 10.0, high: 20.0 })));
    let second = &scenario.model.events[1];
    assert_eq!((second.start.clone(), second.end.clone()), (Start::Day(1), Some(End::Day(31))));
    let ExportControl { targets, licence, .. } = control(second);
    assert_eq!(targets, Targets::AllExcept(vec![Region::new("JP").expect("code")]));
    assert_eq!(licence, None);
    assert_eq!(scenario.date_of(59).to_string(), "2025-03-01");
}

/// Loads `VALID` with `from` replaced by `to` and checks the error it must give: its
/// message, that it points at the line of the change, and its hint.
fn check(from: &str, to: &str, message: &str, hint: &str) {
    let at = VALID.find(from).unwrap_or_else(|| panic!("the fixture does not contain {from:?}"));
    let line = VALID[..at].matches('\n').count() + 1;
    let text = VALID.replacen(from, to, 1);
    let report = load_str("case.toml", &text).expect_err("the change must be rejected");
    let rendered = report.render(false);
    let found = report.diagnostics.iter().find(|d| d.message.contains(message));
    let diagnostic = found.unwrap_or_else(|| panic!("no diagnostic containing {message:?}:\n{rendered}"));
    let span = diagnostic.span.clone().expect("located");
    let location = report.location(span.start).expect("in a file").to_string();
    assert!(location.starts_with(&format!("case.toml:{line}:")), "{message}: at {location}, not line {line}");
    assert!(diagnostic.hint.as_deref().unwrap_or("").contains(hint), "{message}: hint {:?}", diagnostic.hint);
    assert!(rendered.contains(&format!("case.toml:{line}:")), "{rendered}");
}

#[test]
fn a_typo_in_a_product_id_suggests_the_right_one() {
    check("inputs = { ore = 2.0 }", "inputs = { oer = 2.0 }", "unknown product 'oer'", "did you mean 'ore'?");
}

#[test]
fn a_share_outside_zero_to_one_is_rejected() {
    check("share = 1.0 }", "share = 1.7 }", "a share must be between 0 and 1, found 1.7", "0.7 for 70 %");
}

#[test]
fn shares_that_do_not_sum_to_one_are_rejected() {
    check(
        "sources = [ { from = \"smelter\", share = 1.0 } ]",
        "sources = [ { from = \"smelter\", share = 0.6 }, { from = \"smelter\", share = 0.3 } ]",
        "sum to 0.9",
        "add up to 1",
    );
}

#[test]
fn a_negative_capacity_is_rejected() {
    check("capacity = 50", "capacity = -50", "capacity must be from 0 to 1e9", "per day");
}

#[test]
fn the_30th_of_february_is_not_a_date() {
    check("start = 2025-01-11", "start = 2025-02-30", "invalid date", "");
}

#[test]
fn a_huge_horizon_is_refused_with_the_limit() {
    check("horizon = \"8w\"", "horizon = \"100000000d\"", "longer than the limit of 36525 days", "shorten");
}

#[test]
fn unknown_ids_and_keys_are_located() {
    check("buyer = \"line\"", "buyer = \"lien\"", "unknown buyer 'lien'", "did you mean 'line'?");
    check("watch = [\"line\"]", "watch = [\"lines\"]", "unknown entity 'lines'", "did you mean 'line'?");
    check("region = \"JP\"", "region = \"jp\"", "is not a region code", "\"JP\"");
    check("unmet = \"backlog\"", "unmet = \"backlogged\"", "neither \"lost\" nor \"backlog\"", "");
    check("review = \"2d\"", "reviw = \"2d\"", "unknown field `reviw`", "did you mean `review`?");
    check(
        "targets = \"pax\"",
        "targets = \"paxx\"",
        "'paxx' is neither a region code nor a bloc",
        "did you mean 'pax'?",
    );
    check(
        "type = \"export_control\"",
        "type = \"export_contrl\"",
        "unknown event type",
        "did you mean 'export_control'?",
    );
    check(
        "[[event]]\ntype = \"export_control\"",
        "[[event]]\ntype = \"quota\"",
        "a quota event: missing field `amount`",
        "a quota event needs id, issuer, products, targets, amount, start",
    );
}

#[test]
fn bad_numbers_durations_and_dates_are_located() {
    check("transit = 4", "transit = \"4 days\"", "is not a duration", "\"45d\"");
    check("end = 2025-02-01", "end = 2025-01-01", "not after it starts", "");
    check("horizon = \"8w\"", "horizon = \"8.5d\"", "whole number of days", "");
    check("rate = 10.0", "rate = nan", "rate must be from 0 to 1e9", "");
    check(
        "{ lognormal = { mean = 35, sd = 7 } }",
        "{ lognormal = { mean = -35, sd = 7 } }",
        "lognormal needs a mean > 0",
        "",
    );
    check(
        "capacity = { triangular = [80, 100, 120] }",
        "capacity = { triangular = [80, 100] }",
        "takes a list of 3 numbers",
        "uniform",
    );
    check("start = 2025-01-02", "start = 2024-12-01", "before the scenario starts", "earlier");
}

#[test]
fn an_input_nobody_supplies_and_a_supply_cycle_are_reported() {
    let text = VALID.replacen("[[supply]]\nbuyer = \"smelter\"", "[[supply]]\nbuyer = \"line\"", 1);
    let report = load_str("case.toml", &text).expect_err("rejected");
    assert!(
        report.diagnostics.iter().any(|d| d.message.contains("smelter needs ore but nobody supplies it"))
    );

    let cycle = r#"
[scenario]
name = "Cycle"
start = 2025-01-01
horizon = 10
[products.a]
[products.b]
[facilities.fa]
region = "US"
product = "a"
capacity = 1
inputs = { b = 1 }
[facilities.fb]
region = "US"
product = "b"
capacity = 1
inputs = { a = 1 }
[[supply]]
buyer = "fa"
product = "b"
sources = [ { from = "fb" } ]
transit = 1
[[supply]]
buyer = "fb"
product = "a"
sources = [ { from = "fa" } ]
transit = 1
"#;
    let report = load_str("cycle.toml", cycle).expect_err("rejected");
    let messages: Vec<&str> = report.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("cycle") && m.contains("fa") && m.contains("fb")),
        "{messages:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = VALID
        .replacen("inputs = { ore = 2.0 }", "inputs = { oer = 2.0 }", 1)
        .replacen("share = 1.0 }", "share = 1.7 }", 1)
        .replacen("capacity = 50", "capacity = -50", 1);
    let report = load_str("case.toml", &text).expect_err("rejected");
    assert!(report.n_errors() >= 3, "{}", report.render(false));
}

#[test]
fn empty_binary_deep_and_long_inputs_give_errors_not_panics() {
    for text in [
        String::new(),
        "\u{0}\u{1}\u{2}binary".to_owned(),
        "a = ".to_owned() + &"[".repeat(100_000),
        "x = \"".to_owned() + &"y".repeat(1_000_000) + "\"",
        "[scenario]\nname = 1".to_owned(),
    ] {
        let report = load_str("odd.toml", &text).expect_err("rejected");
        assert!(report.has_errors());
        let _ = report.render(false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        if let Err(report) = load_str("fuzz.toml", &text) {
            let _ = report.render(false);
        }
    }

    #[test]
    fn mutations_of_a_valid_file_never_panic(position in 0usize..2000, insert in "[ -~\n]{0,12}", cut in 0usize..20) {
        let start = position.min(VALID.len());
        let start = (0..=start).rev().find(|&i| VALID.is_char_boundary(i)).unwrap_or(0);
        let end = (start + cut).min(VALID.len());
        let end = (end..=VALID.len()).find(|&i| VALID.is_char_boundary(i)).unwrap_or(VALID.len());
        let text = format!("{}{}{}", &VALID[..start], insert, &VALID[end..]);
        match load_str("mutant.toml", &text) {
            Ok(loaded) => { let _ = chokepoint_engine::Plan::new(&loaded.scenario.model).map(|plan| plan.run(Default::default())); }
            Err(report) => { let _ = report.render(false); }
        }
    }
}

const BAN_END: &str = "end = { after = { uniform = [10, 20] } }";

/// `VALID` with `announced = { … }` written on the line of the first ban's `end`.
fn announced(value: &str) -> String {
    VALID.replacen(BAN_END, &format!("announced = {value}\n{BAN_END}"), 1)
}

#[test]
fn an_announcement_becomes_a_day_and_a_target_in_days() {
    let text = announced("{ date = 2025-01-02, target = \"6w\" }");
    let loaded = load_str("announced.toml", &text).unwrap_or_else(|r| panic!("{}", r.render(false)));
    let Action::ExportControl(control) = &loaded.scenario.model.events[0].action else { panic!("a control") };
    assert_eq!(control.announcement, Some(chokepoint_engine::Announcement { day: 1, target_days: 42.0 }));
    let plain = load_str("valid.toml", VALID).unwrap_or_else(|r| panic!("{}", r.render(false)));
    let Action::ExportControl(control) = &plain.scenario.model.events[0].action else { panic!("a control") };
    assert_eq!(control.announcement, None, "opt-in");
}

#[test]
fn an_announcement_on_or_after_the_start_or_with_a_zero_target_is_refused() {
    // The ban starts on 2025-01-11: an announcement that day or later is located at its date.
    for date in ["2025-01-11", "2025-01-20"] {
        check(
            BAN_END,
            &format!("announced = {{ date = {date}, target = \"60d\" }}\n{BAN_END}"),
            &format!("event ban is announced on {date}, not before it starts (2025-01-11)"),
            "give `announced.date` a date before `start`",
        );
    }
    check(
        BAN_END,
        &format!("announced = {{ date = 2025-01-02, target = \"0d\" }}\n{BAN_END}"),
        "event ban: announced.target must be above 0",
        "e.g. \"60d\"",
    );
    // The date's own span, not the table's: the error points at the date.
    let text = announced("{ target = \"60d\", date = 2025-01-20 }");
    let report = load_str("case.toml", &text).expect_err("too late");
    let diagnostic =
        (report.diagnostics.iter()).find(|d| d.message.contains("announced on")).expect("refused");
    let span = diagnostic.span.clone().expect("located");
    assert_eq!(&text[span], "2025-01-20");
}
