//! `explain` on chains whose causal chain is known by construction: the days and causes
//! below are worked out by hand from the chain, in the comments, not read off the output.

use chokepoint_engine::*;
use chokepoint_report::explain::{
    BuyerKind, ExplainError, Explanation, Finding, Held, Licences, Root, explain,
};

use crate::support::*;

/// (entity, day) of every step.
fn steps(explanation: &Explanation) -> Vec<(&str, u32)> {
    explanation.steps.iter().map(|s| (s.entity.as_str(), s.day)).collect()
}

/// The finding the chain follows at step `n`, and whose it is.
fn culprit(explanation: &Explanation, n: usize) -> (&str, &Finding) {
    let step = &explanation.steps[n];
    let supplier = &step.suppliers[step.culprit.expect("a culprit")];
    (supplier.id.as_str(), &supplier.findings[0])
}

fn root(event: &str, event_type: &str, day: u32) -> Option<Root> {
    Some(Root { event: event.into(), event_type: event_type.into(), day })
}

/// A US line (10 t a day, 10 days on hand) buys parts from a US maker (1 t of refined metal
/// a part, 5 days of output stock, 20 days of input cover) that buys from a Chinese refiner
/// (5 days of output stock); every shipment takes 5 days. China bans exports of refined
/// metal to the US from day 10.
fn refined_ban() -> Model {
    let mut model = model(&["refined", "part"], 90);
    let refiner = facility(&mut model, "cn_refiner", "CN", "refined", 100.0, &[], (5.0, 0.0));
    let maker = facility(&mut model, "us_maker", "US", "part", 100.0, &[("refined", 1.0)], (5.0, 20.0));
    let line = sink(&mut model, "us_line", "US", "part", 10.0, 10.0);
    supply(&mut model, Buyer::Facility(maker), "refined", &[(refiner, 1.0)], 5.0);
    supply(&mut model, Buyer::Sink(line), "part", &[(maker, 1.0)], 5.0);
    let ban = control(&model, "CN", &["refined"], Targets::Only(vec![region("US")]));
    event(&mut model, "cn-refined-ban", 10, None, Action::ExportControl(ban));
    model
}

#[test]
fn a_ban_two_tiers_up_is_the_root_through_the_maker_that_ran_short() {
    // The refiner's last shipment (day 9) lands on day 14, leaving the maker its 200 t
    // (20 days of 10 t): it makes parts on days 15..=34 and loses production on day 35.
    // Production tops its output up to 50 t and the day's 10 t ship, so 40 t are left at
    // the end of day 34: they ship on days 35..=38 and land by day 43, leaving the line its
    // 100 t: enough for days 44..=53, so the line runs short on day 54.
    let model = refined_ban();
    let result = simulate(&model, 1);
    let explanation = explain(&model, &result, "us_line").expect("us_line is a sink");
    assert_eq!(explanation.first_shortage, Some(54));
    assert_eq!(steps(&explanation), [("us_line", 54), ("us_maker", 35)]);
    let (sink, maker) = (&explanation.steps[0], &explanation.steps[1]);
    assert_eq!((sink.kind, sink.input.as_str(), sink.input_on_hand), (BuyerKind::Sink, "part", 0.0));
    assert_eq!(
        (maker.kind, maker.input.as_str(), maker.input_on_hand),
        (BuyerKind::Facility, "refined", 0.0)
    );
    // The line's 10 t of demand on day 54 went unmet; the maker lost its 10 parts of day 35.
    assert_eq!((sink.unmet, maker.unmet), (10.0, 10.0));
    assert_eq!(culprit(&explanation, 0), ("us_maker", &Finding::RanShort { day: 35 }));
    let (supplier, finding) = culprit(&explanation, 1);
    assert_eq!(supplier, "cn_refiner");
    let Finding::Held { how, rule, first_day, .. } = finding else { panic!("held, not {finding:?}") };
    assert_eq!((*how, rule.as_str(), *first_day), (Held::Banned, "cn-refined-ban", 10));
    assert_eq!(explanation.root, root("cn-refined-ban", "export_control", 10));

    // In sentences, with the day as the date.
    let lines = explanation.lines(&|day| format!("D{day}"));
    assert_eq!(
        lines[0],
        "us_line first ran short on D54 (day 54): 10 t of its demand for part went unmet, with 0 t on hand."
    );
    assert!(lines.contains(&"us_maker had run short itself from D35 (day 35).".to_owned()), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with(
            "cn_refiner held us_maker's orders at its door, banned by cn-refined-ban, from D10 (day 10)"
        )),
        "{lines:#?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Root: cn-refined-ban (export_control), in force from D10 (day 10).")
    );
}

#[test]
fn a_capacity_shock_on_the_sole_supplier_is_the_root() {
    // The mine makes nothing from day 10; the 40 t left of its output stock at the end of
    // day 9 (50 t topped up, the day's 10 t shipped) ship on days 10..=13 and land by day
    // 18, leaving the line 250 t for days 19..=43: short on day 44.
    let mut model = ore_chain(90);
    let fire = CapacityShock {
        facilities: vec![FacilityId(0)],
        remaining: Dist::Const(0.0),
        recovery: Dist::Const(0.0),
    };
    event(&mut model, "mine-fire", 10, None, Action::Capacity(fire));
    let result = simulate(&model, 1);
    let explanation = explain(&model, &result, "us_line").expect("us_line is a sink");
    assert_eq!(steps(&explanation), [("us_line", 44)]);
    assert_eq!(
        culprit(&explanation, 0),
        (
            "cn_mine",
            &Finding::CapacityCut {
                event: "mine-fire".into(),
                day: 10,
                before: Some(100.0),
                then: Some(0.0)
            }
        )
    );
    assert_eq!(explanation.root, root("mine-fire", "capacity", 10));
}

#[test]
fn a_licence_still_pending_on_the_shortage_day_is_named_with_its_applicant() {
    // Licences from day 10, reviewed in 40 days: the mine holds the line's orders from day
    // 10 and the decision comes on day 50, after the line runs short on day 40.
    let mut model = ore_chain(90);
    let mut licensed = control(&model, "CN", &["ore"], Targets::All);
    licensed.licence = Some(Licence {
        approval: Dist::Const(1.0),
        review: Dist::Const(40.0),
        partial: Dist::Const(1.0),
        reapply: None,
        terms: LicenceTerms::default(),
    });
    event(&mut model, "licences", 10, None, Action::ExportControl(licensed));
    let result = simulate(&model, 1);
    let explanation = explain(&model, &result, "us_line").expect("us_line is a sink");
    assert_eq!(steps(&explanation), [("us_line", 40)]);
    let (supplier, finding) = culprit(&explanation, 0);
    assert_eq!(supplier, "cn_mine");
    let Finding::Held { how, rule, first_day, licences, .. } = finding else {
        panic!("held, not {finding:?}")
    };
    assert_eq!((*how, rule.as_str(), *first_day), (Held::LicencePending, "licences", 10));
    assert_eq!(*licences, Some(Licences { applicants: 1, first_applied: 10, first_approved: None }));
    assert_eq!(explanation.root, root("licences", "export_control", 10));
}

#[test]
fn a_closed_lane_is_the_root() {
    // Closed from day 10 to day 60: short on day 40, as for any cut on day 10.
    let mut model = ore_chain(90);
    let closed = LogisticsShock { from: Targets::All, to: Targets::All, effect: LaneEffect::Closed };
    event(&mut model, "strait-closed", 10, Some(60), Action::Logistics(closed));
    let result = simulate(&model, 1);
    let explanation = explain(&model, &result, "us_line").expect("us_line is a sink");
    assert_eq!(steps(&explanation), [("us_line", 40)]);
    let (_, finding) = culprit(&explanation, 0);
    let Finding::Held { how, rule, first_day, .. } = finding else { panic!("held, not {finding:?}") };
    assert_eq!((*how, rule.as_str(), *first_day), (Held::LaneClosed, "strait-closed", 10));
    assert_eq!(explanation.root, root("strait-closed", "logistics", 10));
}

#[test]
fn a_buyer_that_never_ran_short_says_so() {
    // Undisturbed, the mine ships every order the day it comes.
    let model = ore_chain(60);
    let result = simulate(&model, 1);
    let explanation = explain(&model, &result, "us_line").expect("us_line is a sink");
    assert!(!explanation.is_short());
    assert!(explanation.steps.is_empty() && explanation.root.is_none());
    assert_eq!(
        explanation.lines(&|day| format!("D{day}")),
        ["us_line never ran short in this run (60 days, to D59)."]
    );
    // A ban that the line outlasts: cut on day 10, short on day 40 at the earliest, over
    // at day 30, so it never runs short.
    let mut model = ore_chain(60);
    let ban = control(&model, "CN", &["ore"], Targets::All);
    event(&mut model, "short-ban", 10, Some(30), Action::ExportControl(ban));
    let result = simulate(&model, 1);
    assert_eq!(explain(&model, &result, "us_line").map(|e| e.first_shortage), Ok(None));
}

#[test]
fn an_unknown_id_is_an_error_with_a_suggestion() {
    let model = ore_chain(30);
    let result = simulate(&model, 1);
    let error = explain(&model, &result, "us_lin").expect_err("no such entity");
    assert_eq!(
        error,
        ExplainError::UnknownEntity { id: "us_lin".into(), suggestion: Some("us_line".into()) }
    );
    assert_eq!(error.hint(), "did you mean `us_line`?");
    let error = explain(&model, &result, "eu_carmaker").expect_err("no such entity");
    assert_eq!(error, ExplainError::UnknownEntity { id: "eu_carmaker".into(), suggestion: None });
}

#[test]
fn the_same_run_gives_the_same_explanation_and_json() {
    let model = refined_ban();
    let (first, second) = (simulate(&model, 1), simulate(&model, 1));
    let explain = |result| explain(&model, result, "us_line").expect("us_line is a sink");
    let (a, b) = (explain(&first), explain(&second));
    assert_eq!(a, b);
    let json = serde_json::to_value(&a).expect("serialisable");
    assert_eq!(json["steps"][1]["suppliers"][0]["findings"][0]["cause"], "held");
    assert_eq!(json["steps"][1]["suppliers"][0]["findings"][0]["how"], "banned");
    assert_eq!(json["root"]["event"], "cn-refined-ban");
}
