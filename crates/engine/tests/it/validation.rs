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
