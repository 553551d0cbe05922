//! Files that used to load without a word but would not run as written (issue 17, "no
//! silent wrong answers"): each is now refused, or warned about, where it is written.
//!
//! Each case states every diagnostic the file gets, as `severity file:line:col: message
//! (hint)`, so a diagnostic that moves, changes or appears shows up here.

use chokepoint_engine::{Plan, RunConfig};
use chokepoint_scenario::{Report, load_str};

use crate::VALID;

/// Every diagnostic of loading `text` as `case.toml`, and whether it loaded.
fn diagnostics(text: &str) -> (bool, Vec<String>) {
    let (loaded, report): (bool, Report) = match load_str("case.toml", text) {
        Ok(loaded) => (true, loaded.warnings),
        Err(report) => (false, report),
    };
    let lines = report.diagnostics.iter().map(|d| {
        let at = d.span.as_ref().and_then(|s| report.location(s.start)).map_or("-".into(), |l| l.to_string());
        let hint = d.hint.as_deref().map_or(String::new(), |h| format!(" ({h})"));
        format!("{} {at}: {}{hint}", d.severity.as_str(), d.message)
    });
    (loaded, lines.collect())
}

/// `case.toml:line:col` of `word` on the `nth` line (from 0) that contains `line`.
fn at(text: &str, line: &str, nth: usize, word: &str) -> String {
    let (index, found) = (text.lines().enumerate())
        .filter(|(_, l)| l.contains(line))
        .nth(nth)
        .unwrap_or_else(|| panic!("no line {nth} containing {line:?}"));
    let column = found.find(word).unwrap_or_else(|| panic!("{word:?} not on {found:?}"));
    format!("case.toml:{}:{}", index + 1, found[..column].chars().count() + 1)
}

/// The columns of the `nth` occurrence of `word` on the line containing `line`.
fn at_nth(text: &str, line: &str, word: &str, nth: usize) -> String {
    let (index, found) =
        text.lines().enumerate().find(|(_, l)| l.contains(line)).unwrap_or_else(|| panic!("no {line:?}"));
    let column = found.match_indices(word).nth(nth).unwrap_or_else(|| panic!("{word:?} {nth}")).0;
    format!("case.toml:{}:{}", index + 1, found[..column].chars().count() + 1)
}

#[test]
fn a_facility_connected_to_nothing_is_warned_about_and_so_is_a_shock_to_it() {
    // An Australian mine nobody buys from, which buys nothing; a flood hits it and the
    // Chinese mine. Only its half of the flood affects nobody.
    let text = format!(
        "{VALID}
[facilities.au_mine]
region = \"AU\"
product = \"ore\"
capacity = 40.0

[[event]]
type = \"capacity\"
id = \"flood\"
facilities = [\"mine\", \"au_mine\"]
remaining = 0.5
start = 2025-01-20
end = 2025-02-10
"
    );
    let (loaded, found) = diagnostics(&text);
    assert!(loaded, "warnings only: {found:#?}");
    assert_eq!(
        found,
        [
            format!(
                "warning {}: facility 'au_mine' is connected to nothing: nobody buys from it and it buys \
                 nothing (add a [[supply]] that buys from it (sources = [ {{ from = \"au_mine\" }} ]), or remove it)",
                at(&text, "[facilities.au_mine]", 0, "au_mine")
            ),
            format!(
                "warning {}: event flood: nobody buys from au_mine, so shocking it affects nobody (aim it at a \
                 facility that supplies someone, or add a [[supply]] that buys from au_mine)",
                at(&text, "facilities = [\"mine\", \"au_mine\"]", 0, "\"au_mine\"")
            ),
        ]
    );
}

#[test]
fn a_facility_nobody_buys_from_is_warned_about_even_when_it_buys_its_inputs() {
    // A Korean smelter buys ore from the mine, but nobody buys its metal; a reserve of ore
    // releases to it, but it never runs short, having no one to make metal for.
    let text = format!(
        "{VALID}
[facilities.kr_smelter]
region = \"KR\"
product = \"metal\"
capacity = 20.0
inputs = {{ ore = 2.0 }}

[[supply]]
buyer = \"kr_smelter\"
product = \"ore\"
sources = [ {{ from = \"mine\" }} ]
transit = 5

[[event]]
type = \"stockpile\"
id = \"reserve\"
product = \"ore\"
region = \"KR\"
amount = 100.0
release = {{ threshold = 0.05, rate = 5.0, to = [\"kr_smelter\"] }}
"
    );
    let (loaded, found) = diagnostics(&text);
    assert!(loaded, "warnings only: {found:#?}");
    assert_eq!(
        found,
        [
            format!(
                "warning {}: facility 'kr_smelter': nobody buys its metal, so it makes it for no one (list it in \
                 the sources or alternates of a [[supply]] of metal, or remove it)",
                at(&text, "[facilities.kr_smelter]", 0, "kr_smelter")
            ),
            format!(
                "warning {}: event reserve: nobody buys from kr_smelter, so releases to it reach nobody (aim it at \
                 a facility that supplies someone, or add a [[supply]] that buys from kr_smelter)",
                at(&text, "to = [\"kr_smelter\"]", 0, "\"kr_smelter\"")
            ),
        ]
    );

    // Listed as an alternate of the line, it has a buyer in waiting: no warning.
    let alternate = text.replace(
        "sources = [ { from = \"smelter\", share = 1.0 } ]",
        "sources = [ { from = \"smelter\", share = 1.0 } ]\nalternates = [ { from = \"kr_smelter\" } ]",
    );
    assert_eq!(diagnostics(&alternate), (true, Vec::new()));
}

#[test]
fn a_supplier_listed_twice_in_one_list_is_refused_at_the_second_entry() {
    let twice = VALID.replace(
        "sources = [ { from = \"smelter\", share = 1.0 } ]",
        "sources = [ { from = \"smelter\", share = 0.5 }, { from = \"smelter\", share = 0.5 } ]",
    );
    assert_eq!(
        diagnostics(&twice),
        (
            false,
            vec![format!(
                "error {}: smelter is listed twice in the sources of line's metal (merge the two entries into \
                 one: {{ from = \"smelter\", share = 1.0 }})",
                at_nth(&twice, "share = 0.5 }, {", "\"smelter\"", 1)
            )]
        )
    );

    // A second Chinese mine as the smelter's alternate, written twice.
    let alternates = VALID
        .replace(
            "sources = [ { from = \"mine\" } ]",
            "sources = [ { from = \"mine\" } ]\n\
             alternates = [ { from = \"mine_2\", qualify = \"30d\" }, { from = \"mine_2\", qualify = \"60d\" } ]",
        )
        .replace("[facilities.smelter]", "[facilities.mine_2]\nregion = \"AU\"\nproduct = \"ore\"\ncapacity = 10\n\n[facilities.smelter]");
    assert_eq!(
        diagnostics(&alternates),
        (
            false,
            vec![format!(
                "error {}: mine_2 is listed twice in the alternates of smelter's ore (keep one entry, with the \
                 qualify time you mean)",
                at_nth(&alternates, "alternates = [", "\"mine_2\"", 1)
            )]
        )
    );
}

#[test]
fn a_source_that_is_also_an_alternate_stays_a_warning_since_re_sourcing_moves_shares_to_it() {
    // The antimony scenario's sweep relies on it (docs/sources.md): when the mine is cut
    // off, its share moves to the Australian mine on top of the Australian mine's own.
    let text = VALID
        .replace(
            "sources = [ { from = \"mine\" } ]",
            "sources = [ { from = \"mine\", share = 0.7 }, { from = \"au_mine\", share = 0.3 } ]\n\
             alternates = [ { from = \"au_mine\" } ]",
        )
        .replace(
            "[facilities.smelter]",
            "[facilities.au_mine]\nregion = \"AU\"\nproduct = \"ore\"\ncapacity = 10\n\n[facilities.smelter]",
        );
    assert_eq!(
        diagnostics(&text),
        (
            true,
            vec![format!(
                "warning {}: au_mine is both a source and an alternate (an alternate is a supplier the buyer does \
                 not use yet)",
                at(&text, "alternates = [", 0, "\"au_mine\"")
            )]
        )
    );
}

#[test]
fn a_supply_cycle_through_an_alternate_is_refused_at_the_alternate() {
    // A recycler makes ore from the smelter's metal and is the smelter's alternate for
    // ore: once the smelter re-sourced, it would depend on its own output.
    let text = VALID
        .replace(
            "sources = [ { from = \"mine\" } ]",
            "sources = [ { from = \"mine\" } ]\nalternates = [ { from = \"recycler\", qualify = \"30d\" } ]",
        )
        .replace(
            "[demand.line]",
            "[facilities.recycler]\nregion = \"JP\"\nproduct = \"ore\"\ncapacity = 5\ninputs = { metal = 1.0 }\n\n\
             [[supply]]\nbuyer = \"recycler\"\nproduct = \"metal\"\nsources = [ { from = \"smelter\" } ]\ntransit = 2\n\n\
             [demand.line]",
        );
    assert_eq!(
        diagnostics(&text),
        (
            false,
            vec![format!(
                "error {}: facilities would supply each other in a cycle through an alternate: smelter -> recycler \
                 -> smelter (recycler is an alternate of smelter) (a facility cannot depend on its own output, not \
                 even after re-sourcing; remove the alternate or break the loop)",
                at(&text, "alternates = [", 0, "\"recycler\"")
            )]
        )
    );
    // Without the alternate, the same chain loads; the recycler then makes ore for no one.
    let without = text.replace("alternates = [ { from = \"recycler\", qualify = \"30d\" } ]\n", "");
    assert_eq!(
        diagnostics(&without),
        (
            true,
            vec![format!(
                "warning {}: facility 'recycler': nobody buys its ore, so it makes it for no one (list it in the \
                 sources or alternates of a [[supply]] of ore, or remove it)",
                at(&without, "[facilities.recycler]", 0, "recycler")
            )]
        )
    );
}

#[test]
fn a_substitute_nobody_supplies_is_refused_at_its_by() {
    // The smelter may switch from ore to alt_ore, made by an Australian plant, but no
    // [[supply]] says where the smelter would buy it: this used to load and then panic.
    let text = format!(
        "{VALID}
[products.alt_ore]
unit = \"t\"

[facilities.au_plant]
region = \"AU\"
product = \"alt_ore\"
capacity = 40.0

[[event]]
type = \"substitute\"
id = \"switch\"
facility = \"smelter\"
input = \"ore\"
by = \"alt_ore\"
start = 2025-01-20
"
    );
    assert_eq!(
        diagnostics(&text),
        (
            false,
            vec![
                format!(
                    "error {}: event switch: smelter would use alt_ore but nobody supplies it (add [[supply]] with \
                     buyer = \"smelter\", product = \"alt_ore\" and its sources)",
                    at(&text, "by = \"alt_ore\"", 0, "\"alt_ore\"")
                ),
                format!(
                    "warning {}: facility 'au_plant' is connected to nothing: nobody buys from it and it buys \
                     nothing (add a [[supply]] that buys from it (sources = [ {{ from = \"au_plant\" }} ]), or \
                     remove it)",
                    at(&text, "[facilities.au_plant]", 0, "au_plant")
                ),
            ]
        )
    );
    let supplied = format!(
        "{text}
[[supply]]
buyer = \"smelter\"
product = \"alt_ore\"
sources = [ {{ from = \"au_plant\" }} ]
transit = 10
"
    );
    let loaded = load_str("case.toml", &supplied).unwrap_or_else(|r| panic!("{}", r.render(false)));
    assert!(loaded.warnings.diagnostics.is_empty(), "{}", loaded.warnings.render(false));
    let result = Plan::new(&loaded.scenario.model).expect("it runs").run(RunConfig { seed: 1, replicate: 0 });
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
}

const LATE: &str = "
[scenario]
name = \"At the end of the calendar\"
start = 9999-06-01
horizon = \"365d\"

[products.ore]

[facilities.mine]
region = \"CN\"
product = \"ore\"
capacity = 10.0

[demand.plant]
region = \"US\"
product = \"ore\"
rate = 1.0

[[supply]]
buyer = \"plant\"
product = \"ore\"
sources = [ { from = \"mine\" } ]
transit = \"3d\"
";

#[test]
fn a_run_past_the_last_date_of_the_calendar_is_refused_with_the_longest_horizon_that_fits() {
    // From 1 June 9999 to 31 December 9999, both counted: 30 + 31 + 31 + 30 + 31 + 30 + 31
    // = 214 days.
    assert_eq!(
        diagnostics(LATE),
        (
            false,
            vec![format!(
                "error {}: a horizon of 365 days from 9999-06-01 runs past 9999-12-31, the last date of the \
                 calendar (the longest horizon from 9999-06-01 is \"214d\" (its last day is 9999-12-31); or start \
                 earlier)",
                at(LATE, "horizon", 0, "\"365d\"")
            )]
        )
    );
    let (loaded, found) = diagnostics(&LATE.replace("\"365d\"", "\"215d\""));
    assert!(!loaded && found[0].contains("a horizon of 215 days"), "{found:#?}");

    let fits = load_str("case.toml", &LATE.replace("\"365d\"", "\"214d\"")).expect("214 days fit");
    let scenario = fits.scenario;
    assert_eq!(scenario.date_of(213).to_string(), "9999-12-31", "the last day has its date");
    assert_eq!(scenario.date_of(212).to_string(), "9999-12-30");
    // Past the calendar (only after the horizon), the last date; never a panic.
    assert_eq!(scenario.date_of(u32::MAX).to_string(), "9999-12-31");
}

#[test]
fn a_horizon_swept_or_set_past_the_calendar_is_refused_where_it_is_written() {
    let swept =
        LATE.replace("\"365d\"", "\"30d\"") + "\n[sweep.grid]\n\"scenario.horizon\" = [\"60d\", \"300d\"]\n";
    let (loaded, found) = diagnostics(&swept);
    assert!(!loaded);
    assert_eq!(
        found,
        [format!(
            "error {}: a horizon of 300 days from 9999-06-01 runs past 9999-12-31, the last date of the calendar \
             (the longest horizon from 9999-06-01 is \"214d\" (its last day is 9999-12-31); or start earlier)",
            at(&swept, "\"scenario.horizon\"", 0, "\"300d\"")
        )]
    );

    let mut read = |_: &std::path::Path| Ok(LATE.replace("\"365d\"", "\"30d\""));
    let sets = [("scenario.start".to_owned(), "9999-12-15".to_owned())];
    let report = chokepoint_scenario::load_path_with(std::path::Path::new("late.toml"), &mut read, &sets)
        .expect_err("30 days from 15 December 9999 do not fit");
    let d = &report.diagnostics[0];
    assert_eq!(report.diagnostics.len(), 1, "{}", report.render(false));
    assert_eq!(
        d.message,
        "a horizon of 30 days from 9999-12-15 runs past 9999-12-31, the last date of the calendar"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("the longest horizon from 9999-12-15 is \"17d\" (its last day is 9999-12-31); or start earlier")
    );
}
