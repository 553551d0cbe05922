//! `RunResult::holds`: which supply link a rule held, why, from when to when and how much,
//! on the ore chain of `mechanics.rs` (the line orders 10 t a day; the mine ships it the
//! same day unless a rule holds it).

use chokepoint_engine::*;

use crate::support::*;

/// (cause, first day, last day, held on the first day, most held) of every episode.
fn episodes(result: &RunResult) -> Vec<(HoldCause, u32, u32, f64, f64)> {
    result.holds.iter().map(|h| (h.cause, h.first_day, h.last_day, h.held_first, h.held_peak)).collect()
}

#[test]
fn a_ban_holds_the_link_every_day_it_applies() {
    // Banned on days 10..=39: each day's 10 t order joins the held book (300 t on day 39);
    // on day 40 it ships and nothing is held.
    let mut model = ore_chain(60);
    ban(&mut model, "ban", "CN", &["ore"], 10, Some(40));
    let result = simulate(&model, 1);
    assert_eq!(episodes(&result), [(HoldCause::Banned(0), 10, 39, 10.0, 300.0)]);
    let hold = &result.holds[0];
    assert_eq!((hold.supplier, hold.buyer), (FacilityId(0), Buyer::Sink(SinkId(0))));
}

#[test]
fn a_pending_licence_is_an_episode_of_its_own_and_ends_with_the_decision() {
    // As in `mechanics.rs`: applied on day 10, decided on day 30 with the 210 t on the book
    // (days 10..=30's orders) licensed; held meanwhile, 200 t on day 29. Day 31's new order
    // waits for the next decision (day 51): a second episode.
    let mut model = ore_chain(60);
    let mut control = control(&model, "CN", &["ore"], Targets::All);
    control.licence = Some(Licence {
        approval: Dist::Const(1.0),
        review: Dist::Const(20.0),
        partial: Dist::Const(1.0),
        reapply: None,
        terms: LicenceTerms::default(),
    });
    event(&mut model, "licences", 10, None, Action::ExportControl(control));
    let result = simulate(&model, 1);
    let episodes = episodes(&result);
    assert_eq!(episodes[0], (HoldCause::LicencePending(0), 10, 29, 10.0, 200.0));
    assert_eq!((episodes[1].0, episodes[1].1, episodes[1].3), (HoldCause::LicencePending(0), 31, 10.0));
    // The applicant names its link.
    assert_eq!(result.applicants[0].supplier, FacilityId(0));
    assert_eq!(result.applicants[0].buyer, Buyer::Sink(SinkId(0)));
    assert_eq!((result.applicants[0].applied, result.applicants[0].approved), (10, Some(30)));
}

#[test]
fn a_closed_lane_names_the_shock_that_closed_it() {
    // Closed on days 10..=19: 100 t held by day 19; on day 20 the 110 t ship.
    let mut model = ore_chain(40);
    let closed = LogisticsShock { from: Targets::All, to: Targets::All, effect: LaneEffect::Closed };
    event(&mut model, "closed", 10, Some(20), Action::Logistics(closed));
    let result = simulate(&model, 1);
    assert_eq!(episodes(&result), [(HoldCause::LaneClosed(0), 10, 19, 10.0, 100.0)]);
}

#[test]
fn nothing_is_held_in_an_undisturbed_run() {
    assert!(simulate(&ore_chain(60), 1).holds.is_empty());
}
