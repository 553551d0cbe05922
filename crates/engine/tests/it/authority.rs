//! Licensing authorities, licence types and applicants (`docs/model.md`, "Licensing
//! authorities"), on the chain of `mechanics.rs`: a Chinese mine (100 t/day, 50 t of output
//! stock) supplies a US line that uses 10 t a day and orders 10 t every day; shipments take
//! 5 days. Licences are required from day 10 and reviewed in 20 days, so the first
//! applications, filed on day 10, are ready for a decision on day 30.

use chokepoint_engine::*;

use crate::support::*;

/// Adds a second buyer, a Japanese line like the US one.
fn with_japan(model: &mut Model) {
    let mine = model.facility_id("cn_mine").expect("mine");
    let line = sink(model, "jp_line", "JP", "ore", 10.0, 25.0);
    supply(model, Buyer::Sink(line), "ore", &[(mine, 1.0)], 5.0);
}

fn licence(approval: f64, terms: LicenceTerms) -> Licence {
    Licence {
        approval: Dist::Const(approval),
        review: Dist::Const(20.0),
        partial: Dist::Const(1.0),
        reapply: Some(Dist::Const(10.0)),
        terms,
    }
}

fn licensing(model: &mut Model, id: &str, targets: Targets, licence: Licence) {
    let mut control = control(model, "CN", &["ore"], targets);
    control.licence = Some(licence);
    event(model, id, 10, None, Action::ExportControl(control));
}

fn authority(name: &str, per_day: f64) -> Option<Authority> {
    Some(Authority { name: name.into(), capacity: vec![(0, per_day)] })
}

/// Days and kinds of licence decisions.
fn decisions(result: &RunResult) -> Vec<(u32, &'static str)> {
    timeline(result).into_iter().filter(|(_, kind)| kind.starts_with("licence")).collect()
}

#[test]
fn an_authority_decides_at_most_its_capacity_a_day_so_reviews_lengthen_with_its_queue() {
    // Four applicants on the link file on day 10; their reviews are over on day 30. An
    // authority deciding one application a day takes them on days 30, 31, 32 and 33; at
    // half an application a day (a decision every second day, once a whole one has
    // accrued) on days 31, 33, 35 and 37. Without an authority all four are decided on
    // day 30.
    let first_four = |per_day: Option<f64>| {
        let mut model = ore_chain(40);
        let terms = LicenceTerms {
            authority: per_day.and_then(|p| authority("mofcom", p)),
            applicants: 4,
            ..LicenceTerms::default()
        };
        licensing(&mut model, "licences", Targets::All, licence(1.0, terms));
        let result = simulate(&model, 1);
        decisions(&result).iter().take(4).map(|&(day, _)| day).collect::<Vec<u32>>()
    };
    assert_eq!(first_four(None), [30, 30, 30, 30]);
    assert_eq!(first_four(Some(1.0)), [30, 31, 32, 33]);
    assert_eq!(first_four(Some(0.5)), [31, 33, 35, 37]);
}

#[test]
fn controls_naming_one_authority_share_its_queue() {
    // Two controls (one on exports to the US, one to Japan) name the same authority of one
    // decision a day. Both applications are ready on day 30; the US link files first (it
    // is the mine's first customer), so it is decided on day 30 and Japan's on day 31.
    // With two authorities of one a day each, both are decided on day 30.
    let days = |shared: bool| {
        let mut model = ore_chain(35);
        with_japan(&mut model);
        let us = LicenceTerms { authority: authority("mofcom", 1.0), ..LicenceTerms::default() };
        let name = if shared { "mofcom" } else { "other" };
        let jp = LicenceTerms { authority: authority(name, 1.0), ..LicenceTerms::default() };
        licensing(&mut model, "to-us", Targets::Only(vec![region("US")]), licence(1.0, us));
        licensing(&mut model, "to-jp", Targets::Only(vec![region("JP")]), licence(1.0, jp));
        let result = simulate(&model, 1);
        let granted: Vec<(u32, String)> = (result.events.iter())
            .filter(|e| e.kind == EventKind::LicenceGranted)
            .map(|e| (e.day, e.subject.clone()))
            .collect();
        granted
    };
    assert_eq!(days(true), [(30, "to-us".to_owned()), (31, "to-jp".to_owned())]);
    assert_eq!(days(false), [(30, "to-us".to_owned()), (30, "to-jp".to_owned())]);
}

#[test]
fn a_multi_shipment_licence_covers_every_order_while_valid_and_is_renewed_in_time() {
    // A 30-day licence approved on day 30 covers everything on the book: the 210 t held
    // (days 10..=30) ship as the mine can: its 50 t of stock on day 30, 100 t made on day
    // 31, and on day 32 the last 70 t with that day's 10 t. From day 33 the line's daily
    // 10 t ship the day they are ordered. Renewal is filed the mean review (20 days)
    // before expiry, on day 40, decided on day 60 (valid to day 90), and again on day 90:
    // exports never stop.
    let mut model = ore_chain(100);
    let terms =
        LicenceTerms { kind: LicenceKind::Multi { validity: Dist::Const(30.0) }, ..LicenceTerms::default() };
    licensing(&mut model, "licences", Targets::All, licence(1.0, terms));
    let result = simulate(&model, 1);
    let exported = series(&result, "cn_mine", "exported");
    assert!(exported[10..30].iter().all(|&e| e == 0.0));
    assert_eq!(exported[30..33], [50.0, 100.0, 80.0]);
    assert!(exported[33..100].iter().all(|&e| e == 10.0), "{:?}", &exported[33..100]);
    assert_eq!(
        decisions(&result),
        [(30, "licence_granted"), (60, "licence_granted"), (90, "licence_granted")]
    );
    assert_conserved(&result);
}

#[test]
fn approval_depends_on_who_applies_and_on_earlier_approvals() {
    // Base approval 0; a rule approves every buyer in Japan. The US application is refused
    // on day 30 (and again on days 60 and 90 after 10-day waits); Japan's is approved.
    let mut model = ore_chain(100);
    with_japan(&mut model);
    let terms = LicenceTerms {
        approval_by: vec![ApprovalRule {
            who: PriorityClass::Regions(vec![region("JP")]),
            approval: Dist::Const(1.0),
        }],
        ..LicenceTerms::default()
    };
    licensing(&mut model, "licences", Targets::All, licence(0.0, terms));
    let result = simulate(&model, 1);
    let refused: Vec<u32> =
        (result.events.iter()).filter(|e| e.kind == EventKind::LicenceRefused).map(|e| e.day).collect();
    assert_eq!(refused, [30, 60, 90]);
    assert!(
        result
            .events
            .iter()
            .filter(|e| e.kind == EventKind::LicenceRefused)
            .all(|e| e.detail.contains("us_line"))
    );
    assert!(
        result
            .events
            .iter()
            .filter(|e| e.kind == EventKind::LicenceGranted)
            .all(|e| e.detail.contains("jp_line"))
    );
    assert_eq!(series(&result, "jp_line", "unmet").iter().sum::<f64>(), 0.0);
    // Both applied on day 10; by day 29 none is approved, from day 30 Japan's is.
    assert_eq!(result.approved_share(0, None, 9), None);
    assert_eq!(result.approved_share(0, None, 29), Some(0.0));
    assert_eq!(result.approved_share(0, None, 30), Some(0.5));
    assert_eq!(result.approved_share(0, Some(region("US")), 99), Some(0.0));
    assert_eq!(result.approved_share(0, Some(region("JP")), 99), Some(1.0));

    // Repeat approval: the first application is approved (base 1 would approve every
    // time; here base is 1 and repeat 0), so the first single-shipment licence (day 30) is
    // granted and the next application, filed on day 31 for the next order, is refused on
    // day 51.
    let mut model = ore_chain(60);
    let terms = LicenceTerms { repeat: Some(Dist::Const(0.0)), ..LicenceTerms::default() };
    licensing(&mut model, "licences", Targets::All, licence(1.0, terms));
    let result = simulate(&model, 1);
    assert_eq!(decisions(&result), [(30, "licence_granted"), (51, "licence_refused")]);
}

#[test]
fn a_general_licence_lets_an_earlier_licensee_ship_freely_for_its_validity() {
    // Single-shipment licences from day 10 (first decision day 30, then every 21 days as
    // in mechanics.rs: days 30 and 51). From day 55, applicants with an earlier approval
    // get a general licence for 200 days: from day 55 every order ships the day it is
    // placed (the book left from the day-51 licence is shipped by then).
    let mut model = ore_chain(100);
    let terms = LicenceTerms {
        general: Some(GeneralLicence { day: 55, share: Dist::Const(1.0), validity: Dist::Const(200.0) }),
        ..LicenceTerms::default()
    };
    licensing(&mut model, "licences", Targets::All, licence(1.0, terms));
    let result = simulate(&model, 1);
    let general: Vec<u32> = (result.events.iter())
        .filter(|e| e.kind == EventKind::LicenceGranted && e.detail.starts_with("general licence"))
        .map(|e| e.day)
        .collect();
    assert_eq!(general, [55]);
    // The application filed on day 52 is still decided (day 72); under the general
    // licence nobody applies again.
    assert_eq!(
        decisions(&result),
        [(30, "licence_granted"), (51, "licence_granted"), (55, "licence_granted"), (72, "licence_granted")]
    );
    let exported = series(&result, "cn_mine", "exported");
    assert!(exported[56..100].iter().all(|&e| e == 10.0), "{:?}", &exported[55..100]);
    assert_conserved(&result);
}

#[test]
fn an_unlicensed_applicant_s_orders_stay_held_while_a_licensed_one_s_ship() {
    // Two applicants share the line's 10 t a day: 5 t each. Approval 0.5, never reapplying,
    // multi-shipment licences valid past the horizon. In a run where exactly one is approved
    // (day 30), its 5 t a day ship from then on (after its part of the backlog) and the
    // other's stay on the book: exports settle at 5 t a day, not at the whole 10 t.
    let run = |seed: u64| {
        let mut model = ore_chain(120);
        let terms = LicenceTerms {
            applicants: 2,
            kind: LicenceKind::Multi { validity: Dist::Const(1000.0) },
            ..LicenceTerms::default()
        };
        let mut licence = licence(0.5, terms);
        licence.reapply = None;
        licensing(&mut model, "licences", Targets::All, licence);
        simulate(&model, seed)
    };
    let result = (1..50)
        .map(run)
        .find(|r| r.events.iter().filter(|e| e.kind == EventKind::LicenceGranted).count() == 1)
        .expect("some seed approves exactly one of two applicants");
    assert_eq!(decisions(&result).len(), 2);
    let exported = series(&result, "cn_mine", "exported");
    assert!(exported[60..120].iter().all(|&e| e == 5.0), "{:?}", &exported[28..120]);
    assert_eq!(result.approved_share(0, None, 119), Some(0.5));
    assert_conserved(&result);
}
