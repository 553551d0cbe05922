//! Models the engine refuses: each with the one error that names what is wrong, so that a
//! model built through the API cannot run with a chain that means something else.

use chokepoint_engine::*;

use crate::support::*;

/// A Japanese smelter turns ore from a Chinese mine into metal for a US line; a recycler
/// in Japan makes ore from the smelter's metal. Base sources form no loop.
fn recycling_chain() -> (Model, FacilityId) {
    let mut model = model(&["ore", "metal"], 60);
    let mine = facility(&mut model, "cn_mine", "CN", "ore", 100.0, &[], (5.0, 0.0));
    let smelter = facility(&mut model, "jp_smelter", "JP", "metal", 50.0, &[("ore", 2.0)], (5.0, 20.0));
    let recycler = facility(&mut model, "jp_recycler", "JP", "ore", 10.0, &[("metal", 1.0)], (5.0, 20.0));
    let line = sink(&mut model, "us_line", "US", "metal", 10.0, 25.0);
    supply(&mut model, Buyer::Facility(smelter), "ore", &[(mine, 1.0)], 10.0);
    supply(&mut model, Buyer::Facility(recycler), "metal", &[(smelter, 1.0)], 2.0);
    supply(&mut model, Buyer::Sink(line), "metal", &[(smelter, 1.0)], 5.0);
    (model, recycler)
}

fn errors(model: &Model) -> Vec<String> {
    match Plan::new(model) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_recycling_chain_without_alternates_runs() {
    let (model, _) = recycling_chain();
    assert_eq!(errors(&model), Vec::<String>::new());
    // Tiers follow the base sources: mine 0, smelter 1, recycler 2; the line is after the smelter.
    assert_eq!(model.tiers(), (vec![0, 1, 2], vec![2]));
}

#[test]
fn a_cycle_through_an_alternate_is_refused_and_names_the_alternate() {
    // The smelter may switch its ore to the recycler, which makes ore from the smelter's own
    // metal: once it switched, it would depend on its own output.
    let (mut model, recycler) = recycling_chain();
    model.supplies[0].alternates = vec![Alternate { from: recycler, qualify: Dist::Const(30.0) }];
    assert_eq!(
        errors(&model),
        ["facilities would supply each other in a cycle through an alternate: \
          jp_smelter -> jp_recycler -> jp_smelter (jp_recycler is an alternate of jp_smelter)"]
    );
    assert_eq!(
        model_errors(&model),
        Err(vec![ModelError::AlternateCycle {
            cycle: vec!["jp_smelter".into(), "jp_recycler".into(), "jp_smelter".into()],
            alternates: vec![("jp_recycler".into(), "jp_smelter".into())],
        }])
    );
}

#[test]
fn a_cycle_over_base_sources_is_still_a_supply_cycle() {
    let (mut model, recycler) = recycling_chain();
    model.supplies[0].sources = vec![Source { from: recycler, share: 1.0 }];
    assert_eq!(
        errors(&model),
        ["facilities supply each other in a cycle: jp_smelter -> jp_recycler -> jp_smelter"]
    );
}

#[test]
fn an_alternate_that_does_not_exist_or_makes_another_product_is_refused() {
    let (mut model, _) = recycling_chain();
    model.supplies[0].alternates = vec![Alternate { from: FacilityId(9), qualify: Dist::Const(0.0) }];
    assert_eq!(
        errors(&model),
        ["alternates of ore for jp_smelter refers to facility #9, which does not exist"]
    );

    // The smelter makes metal, not ore.
    model.supplies[0].alternates = vec![Alternate { from: FacilityId(1), qualify: Dist::Const(0.0) }];
    assert_eq!(errors(&model), ["jp_smelter is a source of ore for jp_smelter but makes metal"]);
}

#[test]
fn a_substitute_without_a_supply_link_is_refused_rather_than_a_panic() {
    // The smelter may switch from ore to scrap, which no link brings it. Plan::new used to
    // panic looking for the link.
    let (mut model, _) = recycling_chain();
    model.products.push(Product {
        id: "scrap".into(),
        name: "scrap".into(),
        unit: "t".into(),
        value: 1.0,
        price: None,
    });
    let scrapyard = facility(&mut model, "jp_scrapyard", "JP", "scrap", 20.0, &[], (5.0, 0.0));
    let smelter = model.facility_id("jp_smelter").expect("smelter");
    let (ore, scrap) = (product(&model, "ore"), product(&model, "scrap"));
    let switch = Substitution {
        facility: smelter,
        input: ore,
        by: scrap,
        ratio: 1.0,
        penalty: 0.0,
        delay: Dist::Const(0.0),
    };
    event(&mut model, "switch", 10, None, Action::Substitute(switch));
    assert_eq!(errors(&model), ["jp_smelter needs scrap but no supply link says where it buys it"]);

    supply(&mut model, Buyer::Facility(smelter), "scrap", &[(scrapyard, 1.0)], 3.0);
    assert_eq!(errors(&model), Vec::<String>::new());
}

/// The recycling chain with a licensed control on ore to all destinations, on `terms`.
fn licensed(terms: LicenceTerms) -> Model {
    let (mut model, _) = recycling_chain();
    let mut ban = control(&model, "CN", &["ore"], Targets::All);
    ban.licence = Some(Licence {
        approval: Dist::Const(0.5),
        review: Dist::Const(20.0),
        partial: Dist::Const(1.0),
        reapply: None,
        terms,
    });
    event(&mut model, "ban", 10, None, Action::ExportControl(ban));
    model
}

fn authority(name: &str, capacity: &[(u32, f64)]) -> Option<Authority> {
    Some(Authority { name: name.into(), capacity: capacity.to_vec() })
}

#[test]
fn licence_terms_in_range_run() {
    let terms = LicenceTerms {
        authority: authority("cn-mofcom", &[(0, 10.0), (93, 40.0)]),
        applicants: 10_000,
        kind: LicenceKind::Multi { validity: Dist::Const(180.0) },
        approval_by: vec![ApprovalRule {
            who: PriorityClass::Regions(vec![region("US")]),
            approval: Dist::Beta { a: 1.0, b: 9.0 },
        }],
        repeat: Some(Dist::Const(0.9)),
        general: Some(GeneralLicence { day: 300, share: Dist::Const(0.5), validity: Dist::Const(365.0) }),
    };
    assert_eq!(errors(&licensed(terms)), Vec::<String>::new());
}

#[test]
fn licence_terms_out_of_range_are_refused_one_error_each() {
    let terms = LicenceTerms {
        // A rate of 0, a rate that is not a number, and days out of order.
        authority: authority("cn-mofcom", &[(50, 0.0), (10, f64::NAN)]),
        applicants: 0,
        kind: LicenceKind::Multi { validity: Dist::Uniform { low: 30.0, high: 10.0 } },
        approval_by: vec![
            ApprovalRule { who: PriorityClass::Sector("defence".into()), approval: Dist::Const(1.5) },
            ApprovalRule { who: PriorityClass::Regions(Vec::new()), approval: Dist::Const(0.1) },
        ],
        repeat: Some(Dist::Normal { mean: 0.9, sd: 0.1 }),
        general: Some(GeneralLicence {
            day: 300,
            share: Dist::Const(-0.5),
            validity: Dist::LogNormal { mean: 0.0, sd: 1.0 },
        }),
    };
    let found = errors(&licensed(terms));
    let fields = [
        "ban: licence capacity has a rate of 0 decisions a day",
        "ban: licence capacity has a rate of NaN decisions a day",
        "ban: licence capacity is not sorted by day",
        "ban: licence applicants is 0; it must be 1 to 10000",
        "ban: licence validity",
        "ban: licence approval_by ranges over [1.5, 1.5]",
        "ban: licence approval_by names a class with no regions",
        "ban: licence repeat ranges over",
        "ban: general licence share ranges over [-0.5, -0.5]",
        "ban: general licence validity",
    ];
    for field in fields {
        assert_eq!(found.iter().filter(|e| e.starts_with(field)).count(), 1, "{field}: {found:#?}");
    }
    assert_eq!(found.len(), fields.len(), "{found:#?}");

    let empty = LicenceTerms { authority: authority("cn-mofcom", &[]), ..LicenceTerms::default() };
    assert_eq!(errors(&licensed(empty)), ["ban: licence capacity is empty; give at least one rate"]);
    let many = LicenceTerms { applicants: 10_001, ..LicenceTerms::default() };
    assert_eq!(errors(&licensed(many)), ["ban: licence applicants is 10001; it must be 1 to 10000"]);
}

#[test]
fn controls_sharing_an_authority_must_give_it_one_capacity() {
    let terms = LicenceTerms { authority: authority("cn-mofcom", &[(0, 40.0)]), ..LicenceTerms::default() };
    let mut model = licensed(terms.clone());
    let mut second = model.events[0].clone();
    second.id = "ban-2".into();
    model.events.push(second.clone());
    assert_eq!(errors(&model), Vec::<String>::new(), "the same capacity: one shared queue");

    let Action::ExportControl(control) = &mut second.action else { unreachable!("a control") };
    let licence = control.licence.as_mut().expect("licensed");
    licence.terms.authority = authority("cn-mofcom", &[(0, 25.0)]);
    model.events[1] = second;
    assert_eq!(
        errors(&model),
        ["ban-2: licence capacity of authority cn-mofcom differs from the one ban gives it; controls \
          sharing an authority share its capacity"]
    );
}

#[test]
fn adaptation_in_range_runs_and_out_of_range_is_refused() {
    let (mut model, _) = recycling_chain();
    model.adaptation = Adaptation {
        release_pace: Some(1.0),
        emergency: Some(Emergency { target_days: 60.0, lasts_days: 100_000 }),
        thrift: Some(Thrift { after_days: 60, max_cut: 0.0, ramp_days: 0 }),
        qualify_factor: 1.0,
    };
    assert_eq!(errors(&model), Vec::<String>::new(), "a raised target may outlast the horizon");

    model.adaptation = Adaptation {
        release_pace: Some(0.5),
        emergency: Some(Emergency { target_days: 0.0, lasts_days: 180 }),
        thrift: Some(Thrift { after_days: 60, max_cut: 1.0, ramp_days: 90 }),
        qualify_factor: 0.0,
    };
    assert_eq!(
        errors(&model),
        [
            "the model's adaptation: release pace is 0.5; it must be a finite number, 1 or more",
            "the model's adaptation: emergency target is 0 days; it must be above 0 and at most 1000",
            "the model's adaptation: thrift max cut is 1; it must be a share in [0, 1)",
            "the model's adaptation: qualify factor is 0; it must be in (0, 1]",
        ]
    );
    model.adaptation =
        Adaptation { release_pace: Some(f64::INFINITY), qualify_factor: 1.5, ..Adaptation::default() };
    assert_eq!(errors(&model).len(), 2, "{:?}", errors(&model));
}
