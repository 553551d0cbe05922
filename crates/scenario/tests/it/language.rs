//! The whole language: every key becomes the model it states; world files merge by the
//! written rule; sweep values and `--set` overrides are checked where they are written.

use std::collections::BTreeMap;
use std::path::Path;

use chokepoint_engine::{
    Action, Adaptation, Allocation, Alternate, Announcement, ApprovalRule, Authority, Buyer, CapacityShock,
    ContentRule, DemandShock, Dist, Emergency, End, EventId, GeneralLicence, LaneEffect, Leakage, Licence,
    LicenceKind, LicenceTerms, LogisticsShock, Model, Noise, Policy, PriceIndex, PriorityClass, Quota,
    Recipient, Region, Start, Stock, Stockpile, Substitution, Targets, Thrift, Unmet,
};
use chokepoint_scenario::{Loaded, Report, load_path, load_path_with};

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

fn load(file: &str) -> Loaded {
    load_path(Path::new(file), &mut read).unwrap_or_else(|report| panic!("{}", report.render(false)))
}

/// Loads `root` from in-memory files.
fn load_memory(files: &[(&str, &str)], root: &str) -> Result<Loaded, Report> {
    let files: BTreeMap<&str, &str> = files.iter().copied().collect();
    let mut read = |path: &Path| {
        let key = path.to_str().unwrap_or("");
        files.get(key).map(|t| (*t).to_owned()).ok_or_else(|| "No such file or directory".to_owned())
    };
    load_path(Path::new(root), &mut read)
}

fn regions(codes: &[&str]) -> Vec<Region> {
    codes.iter().map(|c| Region::new(c).expect("code")).collect()
}

fn product(model: &Model, id: &str) -> chokepoint_engine::ProductId {
    model.product_id(id).expect("product")
}

#[test]
fn every_key_becomes_the_model_it_states() {
    let loaded = load("tests/data/valid/every-key.toml");
    let (scenario, model) = (&loaded.scenario, &loaded.scenario.model);
    assert_eq!((scenario.name.as_str(), scenario.seed, model.horizon_days), ("Every key", 7, 364));
    assert_eq!(scenario.description.as_deref(), Some("A tour of the language."));
    let (ore, alt_ore, metal) = (product(model, "ore"), product(model, "alt_ore"), product(model, "metal"));
    let ore_product = &model.products[ore.0 as usize];
    assert_eq!((ore_product.name.as_str(), ore_product.value), ("Ore", 100.0));
    assert_eq!(ore_product.price, Some(PriceIndex { elasticity: 2.0, adjust_days: 14.0 }));

    let facility = |id: &str| &model.facilities[model.facility_id(id).expect("facility").0 as usize];
    let cn_mine = facility("cn_mine");
    assert_eq!(cn_mine.capacity, Dist::LogNormal { mean: 100.0, sd: 10.0 });
    assert_eq!(
        cn_mine.allocation,
        Some(Allocation::Priority(vec![
            PriorityClass::Domestic,
            PriorityClass::Sector("defence".into()),
            PriorityClass::Regions(regions(&["AU", "JP", "US"])),
            PriorityClass::All,
        ]))
    );
    // 2025-03-01 is day 31 + 28 = 59.
    let au_alt = facility("au_alt");
    assert_eq!(
        (au_alt.online_day, au_alt.ramp.clone()),
        (59, Dist::Triangular { min: 30.0, mode: 60.0, max: 120.0 })
    );
    let store = facility("jp_store");
    assert_eq!(store.recipe, vec![(metal, 1.0)], "a depot passes on its own product one for one");
    assert_eq!((store.capacity.clone(), store.output_stock), (Dist::Const(1e9), Stock::Units(500.0)));
    let smelter = facility("jp_smelter");
    assert_eq!(
        smelter.policy,
        Policy::Units { reorder_point: Some(300.0), order_up_to: 600.0, review_days: 7 }
    );
    assert_eq!((smelter.input_stock, smelter.output_stock), (Stock::Units(400.0), Stock::Days(5.0)));
    assert_eq!(smelter.sector, "industry");

    let line = &model.sinks[0];
    assert_eq!((line.growth, line.noise.clone(), line.unmet), (0.05, Noise::Poisson, Unmet::Backlog));
    assert_eq!((line.sector.as_str(), line.stock), ("defence", Stock::Days(10.0)));
    assert_eq!(line.policy, Policy::DaysOfUse { target_days: 14.0, review_days: 1 });

    let ore_link = model.supplies.iter().find(|s| s.product == ore).expect("the smelter buys ore");
    assert_eq!(ore_link.sources.iter().map(|s| s.share).collect::<Vec<_>>(), [0.75, 0.25]);
    assert_eq!(ore_link.transit, Dist::Triangular { min: 10.0, mode: 14.0, max: 21.0 });
    let au_mine = model.facility_id("au_mine").expect("au_mine");
    let us_mine = model.facility_id("us_mine").expect("us_mine");
    assert_eq!(ore_link.alternates, vec![Alternate { from: us_mine, qualify: Dist::Const(90.0) }]);
    assert!(model.supplies.iter().any(|s| s.product == alt_ore), "a substitute may be bought");

    let ids: Vec<&str> = model.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ore-controls",
            "ore-quota",
            "truce",
            "flood",
            "surge",
            "red-sea",
            "strait-closed",
            "jp-reserve",
            "switch-ore"
        ]
    );
    let event = |i: usize| &model.events[i];
    // Day numbers from 2025-01-01: Feb 1 = 31, Mar 1 = 59, Apr 1 = 90, Jun 1 = 151,
    // Jun 15 = 165, Aug 1 = 212, Aug 8 = 219, Sep 1 = 243, Oct 1 = 273.
    assert_eq!(event(0).start, Start::Day(31));
    assert_eq!(event(0).end, Some(End::After(Dist::Uniform { low: 60.0, high: 120.0 })));
    let Action::ExportControl(control) = &event(0).action else { panic!("a control") };
    assert_eq!(control.targets, Targets::AllExcept(regions(&["AU", "JP", "US"])));
    // The licence's own keys over its profile's; 2025-06-01 is day 151, 2025-09-01 day 243.
    assert_eq!(
        control.licence,
        Some(Licence {
            approval: Dist::Beta { a: 2.0, b: 6.0 },
            review: Dist::Normal { mean: 63.0, sd: 0.0 },
            partial: Dist::Const(0.5),
            reapply: Some(Dist::Const(14.0)),
            terms: LicenceTerms {
                authority: Some(Authority {
                    name: "cn-mofcom".into(),
                    capacity: vec![(31, 2.0), (151, 5.5)]
                }),
                applicants: 3,
                kind: LicenceKind::Multi { validity: Dist::Const(180.0) },
                approval_by: vec![
                    ApprovalRule {
                        who: PriorityClass::Sector("industry".into()),
                        approval: Dist::Const(0.0)
                    },
                    ApprovalRule {
                        who: PriorityClass::Regions(regions(&["AU", "JP", "KR", "US"])),
                        approval: Dist::Uniform { low: 0.2, high: 0.4 },
                    },
                ],
                repeat: Some(Dist::Const(0.8)),
                general: Some(GeneralLicence {
                    day: 243,
                    share: Dist::Const(0.5),
                    validity: Dist::Const(7.0)
                }),
            },
        })
    );
    // No target of its own: `[adaptation] prebuy`. 2025-01-15 is day 14.
    assert_eq!(control.announcement, Some(Announcement { day: 14, target_days: 45.0 }));
    assert_eq!(
        control.leakage,
        Some(Leakage { share: Dist::Const(0.05), via: regions(&["MY", "VN"]), delay: Dist::Const(20.0) })
    );
    assert_eq!(control.content, Some(ContentRule { threshold: 0.001, applies_to: vec![metal] }));
    assert_eq!((event(1).start.clone(), event(1).end.clone()), (Start::Day(151), Some(End::Day(243))));
    assert_eq!(
        event(1).action,
        Action::Quota(Quota {
            issuer: regions(&["CN"])[0],
            products: vec![ore],
            targets: Targets::Only(regions(&["AU", "JP", "US"])),
            amount: Dist::Const(1000.0),
            period_days: 30,
        })
    );
    assert_eq!(event(2).start, Start::After { event: EventId(1), delay: Dist::Const(10.0) });
    assert_eq!(
        (event(2).end.clone(), event(2).action.clone()),
        (Some(End::Day(273)), Action::Suspend { control: EventId(0) })
    );
    assert_eq!(
        (event(3).start.clone(), event(3).end.clone(), event(3).action.clone()),
        (
            Start::Day(59),
            Some(End::After(Dist::Const(14.0))),
            Action::Capacity(CapacityShock {
                facilities: vec![au_mine],
                remaining: Dist::Const(0.25),
                recovery: Dist::Const(30.0)
            })
        )
    );
    assert_eq!(
        (event(4).start.clone(), event(4).end.clone(), event(4).action.clone()),
        (
            Start::Day(90),
            None,
            Action::Demand(DemandShock {
                sinks: vec![chokepoint_engine::SinkId(0)],
                factor: Dist::Const(1.3)
            })
        )
    );
    assert_eq!(
        (event(5).start.clone(), event(5).end.clone(), event(5).action.clone()),
        (
            Start::Day(14),
            Some(End::Day(165)),
            Action::Logistics(LogisticsShock {
                from: Targets::Only(regions(&["CN"])),
                to: Targets::Only(regions(&["AU", "JP", "US"])),
                effect: LaneEffect::Delay(Dist::Const(14.0)),
            })
        )
    );
    assert_eq!(
        (event(6).start.clone(), event(6).end.clone(), event(6).action.clone()),
        (
            Start::Day(212),
            Some(End::Day(219)),
            Action::Logistics(LogisticsShock {
                from: Targets::All,
                to: Targets::Only(regions(&["JP"])),
                effect: LaneEffect::Closed
            })
        )
    );
    assert_eq!(event(7).start, Start::Day(0), "a stockpile is available from the start by default");
    assert_eq!(
        event(7).action,
        Action::Stockpile(Stockpile {
            product: metal,
            region: regions(&["JP"])[0],
            amount: Dist::Uniform { low: 100.0, high: 200.0 },
            threshold: 0.05,
            rate: 5.0,
            to: vec![
                Recipient::Buyer(Buyer::Sink(chokepoint_engine::SinkId(0))),
                Recipient::Regions(regions(&["AU", "JP", "US"]))
            ],
        })
    );
    let smelter_id = model.facility_id("jp_smelter").expect("smelter");
    assert_eq!(
        (event(8).start.clone(), event(8).action.clone()),
        (
            Start::Day(45),
            Action::Substitute(Substitution {
                facility: smelter_id,
                input: ore,
                by: alt_ore,
                ratio: 1.2,
                penalty: 0.1,
                delay: Dist::Const(30.0)
            })
        )
    );
    assert_eq!(model.allocation, Allocation::Proportional);
    assert_eq!(
        model.adaptation,
        Adaptation {
            release_pace: Some(2.0),
            emergency: Some(Emergency { target_days: 60.0, lasts_days: 90 }),
            thrift: Some(Thrift { after_days: 30, max_cut: 0.2, ramp_days: 60 }),
            qualify_factor: 0.5,
        }
    );
    assert_eq!(
        (scenario.report.step_days, scenario.report.watch.clone(), scenario.report.all_bands),
        (7, vec!["us_line".to_owned(), "jp_smelter".to_owned()], true)
    );
    assert_eq!(scenario.sweep.runs, Some(200));
    let grid: Vec<(&str, usize)> = scenario.sweep.grid.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(
        grid,
        [
            ("event.ore-controls.end", 2),
            ("facilities.au_mine.capacity", 2),
            ("supply.jp_smelter.ore.transit", 2)
        ]
    );

    // Every mechanic of the language is played: the file runs, and conserves every product.
    assert!(loaded.warnings.diagnostics.is_empty(), "{:#?}", loaded.warnings.diagnostics);
    let plan = chokepoint_engine::Plan::new(model).expect("every mechanic is played");
    let result = plan.run(chokepoint_engine::RunConfig { seed: 1, replicate: 0 });
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0), "{:#?}", result.ledgers);
}

#[test]
fn a_scenario_overrides_its_world_key_by_key_and_adds_to_it() {
    let loaded = load("tests/data/valid/extends-world.toml");
    let (scenario, model) = (&loaded.scenario, &loaded.scenario.model);
    assert_eq!(scenario.name, "Test scenario on the test world");
    assert_eq!((model.horizon_days, scenario.seed), (120, 1), "horizon overridden, seed inherited");
    let smelter = &model.facilities[model.facility_id("jp_smelter").expect("smelter").0 as usize];
    assert_eq!(smelter.capacity, Dist::Const(25.0), "the overridden key");
    assert_eq!(smelter.recipe, vec![(product(model, "ore"), 2.0)], "keys not given stay");
    assert_eq!(smelter.policy, Policy::DaysOfUse { target_days: 20.0, review_days: 2 });
    assert!(model.facility_id("au_mine").is_some(), "a new entity is added");
    let link = model.supplies.iter().find(|s| s.product == product(model, "ore")).expect("ore link");
    assert_eq!(link.sources.len(), 2, "the matched [[supply]] takes the new sources");
    assert_eq!(link.transit, Dist::Const(10.0), "and keeps the world's transit");
    assert_eq!(model.supplies.len(), 2, "matched by (buyer, product), not added");
    let ban = &model.events[0];
    assert_eq!((ban.id.as_str(), ban.start.clone()), ("ore-ban", Start::Day(31)));
    assert_eq!(ban.end, Some(End::After(Dist::Const(45.0))), "the matched event's end is replaced");
    assert_eq!(model.events[1].id, "metal-ban", "an event with a new id is added");
    assert!(loaded.warnings.diagnostics.is_empty(), "{}", loaded.warnings.render(false));
}

const WORLD: &str = "[scenario]\nname = \"w\"\nstart = 2025-01-01\nhorizon = \"30d\"\n\n\
[products.ore]\n\n[facilities.mine]\nregion = \"CN\"\nproduct = \"ore\"\ncapacity = 10.0\n\n\
[demand.plant]\nregion = \"US\"\nproduct = \"ore\"\nrate = 1.0\n\n\
[[supply]]\nbuyer = \"plant\"\nproduct = \"ore\"\nsources = [ { from = \"mine\" } ]\ntransit = \"3d\"\n";

#[test]
fn problems_are_located_in_the_file_that_wrote_them() {
    // An override in the scenario, and a typo in the world.
    let scenario = "[scenario]\nextends = \"worlds/w.toml\"\n\n[facilities.mine]\ncapacity = -5.0\n";
    let world = WORLD.replace("region = \"US\"", "region = \"usa\"");
    let report = load_memory(&[("case/s.toml", scenario), ("case/worlds/w.toml", &world)], "case/s.toml")
        .expect_err("both problems are errors");
    let located: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| report.location(d.span.clone().expect("located").start).expect("in a file").to_string())
        .collect();
    assert!(located.contains(&"case/s.toml:5:12".to_owned()), "{located:?}\n{}", report.render(false));
    let us_line = world.lines().position(|l| l.contains("\"usa\"")).expect("typo") + 1;
    assert!(located.contains(&format!("case/worlds/w.toml:{us_line}:10")), "{located:?}");
}

#[test]
fn missing_and_looping_world_files_are_errors_at_the_extends_line() {
    let missing = "[scenario]\nname = \"s\"\nextends = \"nowhere.toml\"\n";
    let report = load_memory(&[("s.toml", missing)], "s.toml").expect_err("missing world");
    let d = &report.diagnostics[0];
    assert!(d.message.contains("cannot read world file 'nowhere.toml'"), "{}", d.message);
    assert_eq!(
        report.location(d.span.clone().expect("located").start).map(|l| l.to_string()),
        Some("s.toml:3:11".into())
    );

    let a = "[scenario]\nextends = \"b.toml\"\n";
    let b = "[scenario]\nextends = \"./a.toml\"\n";
    let report = load_memory(&[("a.toml", a), ("b.toml", b)], "a.toml").expect_err("loop");
    let d = &report.diagnostics[0];
    assert!(d.message.contains("extend each other in a loop: a.toml -> b.toml -> ./a.toml"), "{}", d.message);
    assert_eq!(
        report.location(d.span.clone().expect("located").start).map(|l| l.to_string()),
        Some("b.toml:2:11".into())
    );
}

#[test]
fn sweep_values_are_checked_where_they_are_written() {
    let base = std::fs::read_to_string("tests/data/valid/every-key.toml").expect("fixture");
    let bad = base.replace(
        "\"facilities.au_mine.capacity\" = [10.0, { uniform = [5, 15] }]",
        "\"facilities.au_mine.capacity\" = [10.0, -3.0]\n\"facilities.au_min.capacity\" = [1.0]",
    );
    let report = chokepoint_scenario::load_str("sweep.toml", &bad).expect_err("bad sweep values");
    let rendered = report.render(false);
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).expect("line") + 1;
    let at = |d: &chokepoint_scenario::Diagnostic| {
        report.location(d.span.clone().expect("located").start).expect("in file")
    };
    let negative =
        report.diagnostics.iter().find(|d| d.message.contains("capacity must be from 0")).expect(&rendered);
    assert_eq!(at(negative).line, line_of("[10.0, -3.0]"), "{rendered}");
    let typo =
        report.diagnostics.iter().find(|d| d.message.contains("unknown id 'au_min'")).expect(&rendered);
    assert_eq!(at(typo).line, line_of("au_min.capacity"));
    assert_eq!(typo.hint.as_deref(), Some("did you mean 'au_mine'?"));
}

#[test]
fn keys_set_on_the_command_line_override_the_file_and_bad_ones_are_located() {
    let mut read = read;
    let path = Path::new("tests/data/valid/world.toml");
    let sets = [
        ("facilities.jp_smelter.capacity".to_owned(), "30.0".to_owned()),
        ("event.ore-ban.end".to_owned(), "{ after = \"10d\" }".to_owned()),
    ];
    let loaded = load_path_with(path, &mut read, &sets).unwrap_or_else(|r| panic!("{}", r.render(false)));
    let model = &loaded.scenario.model;
    assert_eq!(
        model.facilities[model.facility_id("jp_smelter").expect("smelter").0 as usize].capacity,
        Dist::Const(30.0)
    );
    assert_eq!(model.events[0].end, Some(End::After(Dist::Const(10.0))));

    let sets = [("facilities.jp_smeltr.capacity".to_owned(), "30.0".to_owned())];
    let report = load_path_with(path, &mut read, &sets).expect_err("unknown id");
    let d = &report.diagnostics[0];
    assert_eq!(report.diagnostics.len(), 1, "{}", report.render(false));
    let location = report.location(d.span.clone().expect("located").start).expect("in a file");
    assert_eq!((location.file.as_str(), location.line, location.column), ("<command line>", 1, 1));
    assert_eq!(d.hint.as_deref(), Some("did you mean 'jp_smelter'?"));
}

#[test]
fn display_names_are_kept_by_id_and_a_scenario_overrides_its_worlds() {
    let world = WORLD
        .replace("[facilities.mine]\n", "[facilities.mine]\nname = \"  Ore mine, China \"\n")
        .replace("[demand.plant]\n", "[demand.plant]\nname = \"Plant\"\n");
    let scenario = "[scenario]\nextends = \"w.toml\"\n\n[demand.plant]\nname = \"US metal plant\"\n";
    let loaded = load_memory(&[("w.toml", &world), ("s.toml", scenario)], "s.toml").expect("loads");
    let names = &loaded.scenario.names;
    assert_eq!(names.get("mine").map(String::as_str), Some("Ore mine, China"), "trimmed");
    assert_eq!(names.get("plant").map(String::as_str), Some("US metal plant"), "the scenario's own");
    assert_eq!(names.len(), 2);
    let unnamed = load_memory(&[("w.toml", WORLD)], "w.toml").expect("loads");
    assert!(unnamed.scenario.names.is_empty(), "no name: the id is shown");
    let long = WORLD.replace("[demand.plant]\n", &format!("[demand.plant]\nname = \"{}\"\n", "x".repeat(61)));
    let report = load_memory(&[("w.toml", &long)], "w.toml").expect_err("61 characters are refused");
    assert!(report.render(false).contains("1 to 60 characters"), "{}", report.render(false));
}
