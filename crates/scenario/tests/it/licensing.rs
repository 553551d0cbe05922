//! Licensing profiles and the licence keys: a licence over its profile key by key, the
//! authority's capacity and schedule, who applies and what an approval grants, and each
//! mistake located where it was written.

use std::collections::BTreeMap;
use std::path::Path;

use chokepoint_engine::{
    Action, ApprovalRule, Authority, Dist, GeneralLicence, Licence, LicenceKind, LicenceTerms, PriorityClass,
    Region,
};
use chokepoint_scenario::{Diagnostic, Loaded, Report, load_path_with, load_str};

/// A mine in China selling ore to a defence line in the US and a civil line in Germany,
/// one MOFCOM profile, and a control starting on 2025-04-04 (day 93) whose `licence` is
/// `LICENCE`.
pub(crate) const BASE: &str = r#"[scenario]
name = "Licensing"
start = 2025-01-01
horizon = "365d"

[blocs]
eu = ["DE", "FR"]

[products.ore]
unit = "t"

[facilities.cn_mine]
region = "CN"
product = "ore"
capacity = 100.0

[demand.us_line]
region = "US"
product = "ore"
rate = 10.0
sector = "defence"

[demand.de_line]
region = "DE"
product = "ore"
rate = 10.0

[[supply]]
buyer = "us_line"
product = "ore"
sources = [ { from = "cn_mine" } ]
transit = "30d"

[[supply]]
buyer = "de_line"
product = "ore"
sources = [ { from = "cn_mine" } ]
transit = "30d"

[licensing.cn-mofcom]
approval = { beta = { a = 2, b = 2 } }
review = "63d"
partial = { uniform = [0.25, 1.0] }
reapply = "30d"
capacity = 40
applicants = 10
kind = "multi"
validity = "180d"
repeat = 0.9

[[event]]
type = "export_control"
id = "ban"
issuer = "CN"
products = ["ore"]
targets = "all"
start = 2025-04-04
licence = LICENCE
"#;

/// `BASE` with the ban's licence table written as `licence`.
pub(crate) fn with_licence(licence: &str) -> String {
    BASE.replace("LICENCE", licence)
}

pub(crate) fn loaded(text: &str) -> Loaded {
    load_str("case.toml", text).unwrap_or_else(|report| panic!("{}", report.render(false)))
}

/// The licence of the ban.
fn licence(licence_table: &str) -> Licence {
    let loaded = loaded(&with_licence(licence_table));
    assert!(loaded.warnings.diagnostics.is_empty(), "{}", loaded.warnings.render(false));
    let Action::ExportControl(control) = &loaded.scenario.model.events[0].action else { panic!("a control") };
    control.licence.clone().expect("licensed")
}

/// The error whose message contains `message`, and the line, column and text it points at.
pub(crate) fn error(text: &str, message: &str) -> (Diagnostic, usize, usize, String) {
    let report = load_str("case.toml", text).expect_err("the file must be refused");
    located(&report, text, message)
}

pub(crate) fn located(report: &Report, text: &str, message: &str) -> (Diagnostic, usize, usize, String) {
    let rendered = report.render(false);
    let found = report.diagnostics.iter().find(|d| d.message.contains(message));
    let diagnostic = found.unwrap_or_else(|| panic!("no error containing {message:?}:\n{rendered}")).clone();
    let span = diagnostic.span.clone().expect("located");
    let location = report.location(span.start).expect("in a file");
    let snippet = text.get(span).unwrap_or("").to_owned();
    (diagnostic, location.line, location.column, snippet)
}

/// The 1-based line of `text` that contains `needle`.
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}")) + 1
}

fn regions(codes: &[&str]) -> Vec<Region> {
    codes.iter().map(|c| Region::new(c).expect("code")).collect()
}

fn authority(name: &str, capacity: &[(u32, f64)]) -> Option<Authority> {
    Some(Authority { name: name.into(), capacity: capacity.to_vec() })
}

#[test]
fn the_simple_form_is_the_old_licence() {
    assert_eq!(
        licence(r#"{ approval = 0.5, review = "30d" }"#),
        Licence {
            approval: Dist::Const(0.5),
            review: Dist::Const(30.0),
            partial: Dist::Const(1.0),
            reapply: None,
            terms: LicenceTerms::default(),
        }
    );
    assert_eq!(
        LicenceTerms::default(),
        LicenceTerms {
            authority: None,
            applicants: 1,
            kind: LicenceKind::Single,
            approval_by: Vec::new(),
            repeat: None,
            general: None
        }
    );
}

#[test]
fn a_licence_takes_its_profile_and_overrides_it_key_by_key() {
    assert_eq!(
        licence(r#"{ profile = "cn-mofcom", review = "45d", applicants = 2 }"#),
        Licence {
            approval: Dist::Beta { a: 2.0, b: 2.0 },
            review: Dist::Const(45.0),
            partial: Dist::Uniform { low: 0.25, high: 1.0 },
            reapply: Some(Dist::Const(30.0)),
            terms: LicenceTerms {
                authority: authority("cn-mofcom", &[(0, 40.0)]),
                applicants: 2,
                kind: LicenceKind::Multi { validity: Dist::Const(180.0) },
                approval_by: Vec::new(),
                repeat: Some(Dist::Const(0.9)),
                general: None,
            },
        }
    );
    // A single-shipment licence over a multi-shipment profile leaves the profile's validity
    // unused: a licence cannot remove a key.
    let single = licence(r#"{ profile = "cn-mofcom", kind = "single" }"#);
    assert_eq!(single.terms.kind, LicenceKind::Single);
}

#[test]
fn a_licence_with_its_own_capacity_and_no_profile_has_its_own_queue() {
    let own = licence(r#"{ approval = 0.5, review = "30d", capacity = 12.5 }"#);
    assert_eq!(own.terms.authority, authority("ban", &[(0, 12.5)]));
}

#[test]
fn controls_using_one_profile_share_its_authority_and_must_agree_on_its_capacity() {
    let second = "\n[[event]]\ntype = \"export_control\"\nid = \"ban-2\"\nissuer = \"CN\"\n\
                  products = [\"ore\"]\ntargets = \"US\"\nstart = 2025-06-01\nlicence = SECOND\n";
    let text = with_licence(r#"{ profile = "cn-mofcom" }"#) + second;
    let shared = loaded(&text.replace("SECOND", r#"{ profile = "cn-mofcom", approval = 0.2 }"#));
    let authorities: Vec<Option<Authority>> = (shared.scenario.model.events.iter())
        .map(|e| match &e.action {
            Action::ExportControl(c) => c.licence.as_ref().expect("licensed").terms.authority.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(authorities, vec![authority("cn-mofcom", &[(0, 40.0)]); 2]);

    let text = text.replace("SECOND", r#"{ profile = "cn-mofcom", capacity = 25 }"#);
    let (diagnostic, line, _, snippet) = error(&text, "has another capacity");
    assert_eq!(
        diagnostic.message,
        "event ban-2: the licensing authority 'cn-mofcom' has another capacity in event ban"
    );
    assert_eq!((line, snippet.as_str()), (line_of(&text, "capacity = 25"), "25"));
    assert!(diagnostic.hint.as_deref().unwrap_or("").contains("[licensing.cn-mofcom]"));
}

#[test]
fn approval_and_review_are_required_after_merging() {
    // The profile gives no approval; neither does the licence.
    let text =
        with_licence(r#"{ profile = "cn-mofcom" }"#).replace("approval = { beta = { a = 2, b = 2 } }\n", "");
    let (diagnostic, line, column, snippet) = error(&text, "licence needs");
    assert_eq!(diagnostic.message, "event ban: licence needs `approval`");
    assert_eq!((line, column), (line_of(&text, "licence = {"), 11), "at the licence table");
    assert_eq!(snippet, r#"{ profile = "cn-mofcom" }"#);
    let hint = diagnostic.hint.expect("a hint");
    assert!(hint.contains("licence.approval") && hint.contains("profile"), "{hint}");

    let text = with_licence(r#"{ approval = 0.5 }"#);
    let (diagnostic, ..) = error(&text, "licence needs");
    assert_eq!(diagnostic.message, "event ban: licence needs `review`");
    let hint = diagnostic.hint.expect("a hint");
    assert!(hint.contains("licence.review") && hint.contains("profile = \"<id>\""), "{hint}");
}

#[test]
fn an_unknown_profile_is_an_error_at_its_name_with_the_profiles() {
    let text = with_licence(r#"{ profile = "cn-mofcon" }"#);
    let (diagnostic, line, _, snippet) = error(&text, "unknown licensing profile");
    assert_eq!(diagnostic.message, "event ban: licence.profile: unknown licensing profile 'cn-mofcon'");
    assert_eq!((line, snippet.as_str()), (line_of(&text, "licence ="), "\"cn-mofcon\""));
    assert_eq!(diagnostic.hint.as_deref(), Some("did you mean 'cn-mofcom'?"));

    let (diagnostic, ..) =
        error(&with_licence(r#"{ profile = "eu-dg-trade" }"#), "unknown licensing profile");
    assert_eq!(
        diagnostic.hint.as_deref(),
        Some("the profiles are cn-mofcom; declare others under [licensing.<id>]")
    );
}

#[test]
fn kind_and_validity_go_together() {
    let text = with_licence(r#"{ approval = 0.5, review = "30d", kind = "multi" }"#);
    let (diagnostic, _, _, snippet) = error(&text, "needs a `validity`");
    assert_eq!(diagnostic.message, "event ban: a multi-shipment licence needs a `validity`");
    assert_eq!(snippet, "\"multi\"");

    let text = with_licence(r#"{ approval = 0.5, review = "30d", validity = "90d" }"#);
    let (diagnostic, _, _, snippet) = error(&text, "applies to multi-shipment");
    assert_eq!(diagnostic.message, "event ban: `validity` applies to multi-shipment licences only");
    assert_eq!(snippet, "\"90d\"");
    assert!(diagnostic.hint.as_deref().unwrap_or("").contains("kind = \"multi\""));

    let text = with_licence(r#"{ approval = 0.5, review = "30d", kind = "multiple" }"#);
    let (diagnostic, ..) = error(&text, "unknown kind");
    assert_eq!(diagnostic.message, "event ban: licence.kind: unknown kind 'multiple'");
}

#[test]
fn capacity_is_a_rate_or_a_schedule_of_rates_from_dates() {
    // From 2025-01-01: 2024-12-01 is before the start (day 0); 2025-04-04 is day
    // 31 + 28 + 31 + 3 = 93; 2026-03-01, after the horizon, is day 365 + 31 + 28 = 424.
    let schedule = "[{ from = 2024-12-01, per_day = 5 }, { from = 2025-04-04, per_day = 10 }, \
                    { from = 2026-03-01, per_day = 40 }]";
    let built = licence(&format!(r#"{{ profile = "cn-mofcom", capacity = {schedule} }}"#));
    assert_eq!(built.terms.authority, authority("cn-mofcom", &[(0, 5.0), (93, 10.0), (424, 40.0)]));

    for (capacity, message) in [
        ("0", "licence.capacity must be above 0 and at most 1e9 decisions a day, found 0"),
        (
            "[{ from = 2025-07-01, per_day = 40 }, { from = 2025-04-04, per_day = 10 }]",
            "2025-04-04 is not after 2025-07-01",
        ),
        ("[{ from = 2025-07-01 }]", "each entry of a schedule is { from, per_day }"),
        ("[]", "must be a number of decisions a day or a schedule"),
        ("\"40\"", "must be a number of decisions a day or a schedule"),
    ] {
        let text = with_licence(&format!(r#"{{ approval = 0.5, review = "30d", capacity = {capacity} }}"#));
        let (_, _, _, snippet) = error(&text, message);
        assert_eq!(snippet, capacity, "{message}");
    }
    let (diagnostic, ..) = error(
        &BASE
            .replace("capacity = 40", "capacity = -1")
            .replace("LICENCE", "{ approval = 0.5, review = \"1d\" }"),
        "licensing.cn-mofcom.capacity",
    );
    assert_eq!(
        diagnostic.message,
        "licensing.cn-mofcom.capacity must be above 0 and at most 1e9 decisions a day, found -1",
        "a profile's keys are checked in the profile, used or not"
    );
}

#[test]
fn approval_by_names_a_sector_or_regions() {
    let built = licence(
        r#"{ profile = "cn-mofcom", approval_by = [{ sector = "defence", approval = 0.0 }, { regions = ["US", "eu"], approval = { uniform = [0.1, 0.3] } }] }"#,
    );
    assert_eq!(
        built.terms.approval_by,
        [
            ApprovalRule { who: PriorityClass::Sector("defence".into()), approval: Dist::Const(0.0) },
            ApprovalRule {
                who: PriorityClass::Regions(regions(&["DE", "FR", "US"])),
                approval: Dist::Uniform { low: 0.1, high: 0.3 }
            },
        ]
    );

    let text =
        with_licence(r#"{ profile = "cn-mofcom", approval_by = [{ sector = "defense", approval = 0.0 }] }"#);
    let (diagnostic, _, _, snippet) = error(&text, "no buyer has the sector");
    assert_eq!(diagnostic.message, "event ban: licence.approval_by: no buyer has the sector 'defense'");
    assert_eq!(
        (snippet.as_str(), diagnostic.hint.as_deref()),
        ("\"defense\"", Some("did you mean 'defence'?"))
    );

    let text = with_licence(
        r#"{ profile = "cn-mofcom", approval_by = [{ sector = "defence", regions = ["US"], approval = 0.0 }] }"#,
    );
    let (diagnostic, ..) = error(&text, "one of `sector` and `regions`");
    assert_eq!(
        diagnostic.message,
        "event ban: licence.approval_by: give each entry one of `sector` and `regions`"
    );

    let text =
        with_licence(r#"{ profile = "cn-mofcom", approval_by = [{ regions = ["euu"], approval = 1.5 }] }"#);
    let report = load_str("case.toml", &text).expect_err("refused");
    let (diagnostic, ..) = located(&report, &text, "'euu' is neither a region code nor a bloc");
    assert_eq!(diagnostic.hint.as_deref(), Some("did you mean 'eu'?"));
    located(&report, &text, "licence.approval_by.approval is a share from 0 to 1; found 1.5");
}

#[test]
fn a_general_licence_date_becomes_a_day() {
    // 2025-12-01 is day 364 - 30 = 334 from 2025-01-01.
    let built = licence(
        r#"{ profile = "cn-mofcom", general = { date = 2025-12-01, share = { beta = { a = 5, b = 5 } }, validity = "365d" } }"#,
    );
    assert_eq!(
        built.terms.general,
        Some(GeneralLicence { day: 334, share: Dist::Beta { a: 5.0, b: 5.0 }, validity: Dist::Const(365.0) })
    );
    let early = licence(
        r#"{ profile = "cn-mofcom", general = { date = 2024-06-01, share = 0.5, validity = "1w" } }"#,
    );
    assert_eq!(early.terms.general.map(|g| (g.day, g.validity)), Some((0, Dist::Const(7.0))));
}

#[test]
fn applicants_repeat_and_validity_are_checked_where_they_are_written() {
    for (key, value, message) in [
        ("applicants", "0", "licence.applicants must be from 1 to 10000, found 0"),
        ("applicants", "10001", "licence.applicants must be from 1 to 10000, found 10001"),
        ("repeat", "1.2", "licence.repeat is a share from 0 to 1; found 1.2"),
        ("validity", "\"-5d\"", "licence.validity must be a duration of 0 days or more, found -5"),
    ] {
        let text = with_licence(&format!(r#"{{ profile = "cn-mofcom", {key} = {value} }}"#));
        let (diagnostic, _, _, snippet) = error(&text, message);
        assert!(diagnostic.message.starts_with("event ban: "), "{}", diagnostic.message);
        assert_eq!(snippet, value, "{message}");
    }
}

/// Loads `root` from in-memory files with keys set as by `--set`.
pub(crate) fn load_files(
    files: &[(&str, &str)],
    root: &str,
    sets: &[(&str, &str)],
) -> Result<Loaded, Report> {
    let files: BTreeMap<&str, &str> = files.iter().copied().collect();
    let mut read = |path: &Path| {
        let key = path.to_str().unwrap_or("");
        files.get(key).map(|t| (*t).to_owned()).ok_or_else(|| "No such file or directory".to_owned())
    };
    let sets: Vec<(String, String)> = sets.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    load_path_with(Path::new(root), &mut read, &sets)
}

#[test]
fn a_scenario_overrides_one_key_of_a_world_profile() {
    let world = with_licence(r#"{ profile = "cn-mofcom" }"#);
    let scenario = "[scenario]\nextends = \"world.toml\"\nname = \"Override\"\n\n\
                    [licensing.cn-mofcom]\napproval = 0.3\n";
    let loaded = load_files(&[("s.toml", scenario), ("world.toml", &world)], "s.toml", &[])
        .unwrap_or_else(|report| panic!("{}", report.render(false)));
    let Action::ExportControl(control) = &loaded.scenario.model.events[0].action else { panic!("a control") };
    let licence = control.licence.clone().expect("licensed");
    assert_eq!(licence.approval, Dist::Const(0.3), "the overridden key");
    assert_eq!(
        (licence.review, licence.terms.applicants, licence.terms.authority),
        (Dist::Const(63.0), 10, authority("cn-mofcom", &[(0, 40.0)])),
        "the world's other keys stay"
    );
}

#[test]
fn keys_of_a_profile_can_be_set_and_swept_by_path() {
    let text = with_licence(r#"{ profile = "cn-mofcom" }"#);
    let sets = [("licensing.cn-mofcom.approval", "0.4"), ("licensing.cn-mofcom.capacity", "25")];
    let set = load_files(&[("s.toml", &text)], "s.toml", &sets)
        .unwrap_or_else(|report| panic!("{}", report.render(false)));
    let Action::ExportControl(control) = &set.scenario.model.events[0].action else { panic!("a control") };
    let licence = control.licence.clone().expect("licensed");
    assert_eq!(
        (licence.approval, licence.terms.authority),
        (Dist::Const(0.4), authority("cn-mofcom", &[(0, 25.0)]))
    );

    let report = load_files(&[("s.toml", &text)], "s.toml", &[("licensing.cn-mofcon.approval", "0.4")])
        .expect_err("no such profile");
    assert_eq!(report.diagnostics.len(), 1, "{}", report.render(false));
    let d = &report.diagnostics[0];
    assert_eq!(d.message, "`licensing.cn-mofcon.approval`: unknown id 'cn-mofcon' in [licensing]");
    assert_eq!(d.hint.as_deref(), Some("did you mean 'cn-mofcom'?"));
    let location = report.location(d.span.clone().expect("located").start).expect("in a file");
    assert_eq!((location.file.as_str(), location.line, location.column), ("<command line>", 1, 1));

    let grid = format!("{text}\n[sweep.grid]\n\"licensing.cn-mofcom.approval\" = [0.2, 0.4]\n");
    let swept = loaded(&grid);
    assert_eq!(
        swept.scenario.sweep.grid,
        [("licensing.cn-mofcom.approval".to_owned(), vec!["0.2".to_owned(), "0.4".to_owned()])]
    );
    let bad = grid.replace("[0.2, 0.4]", "[0.2, 1.4]");
    let (diagnostic, line, ..) = error(&bad, "is a share from 0 to 1");
    assert_eq!(diagnostic.message, "licensing.cn-mofcom.approval is a share from 0 to 1; found 1.4");
    assert_eq!(line, line_of(&bad, "[0.2, 1.4]"));
}
