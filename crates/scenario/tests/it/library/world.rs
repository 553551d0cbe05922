//! `worlds/ai-chain-2025.toml` alone: the undisturbed baseline.

use super::run;
use chokepoint_engine::EntityKind;

#[test]
fn the_ai_chain_world_alone_is_an_undisturbed_baseline_where_every_sink_is_served() {
    let result = run("scenarios/worlds/ai-chain-2025.toml");
    assert!(result.ledgers.iter().all(|l| l.imbalance() == 0));
    assert_eq!(result.first_disruption_day, None, "the world has no events");
    // Capacities were sized (ASSUMPTION volumes) so that every sink is served in full: with no
    // event, a shortfall anywhere would mean the chain's shares and capacities disagree.
    let sinks: Vec<_> = result.entities.iter().filter(|e| e.kind == EntityKind::Sink).collect();
    assert!(sinks.len() >= 50, "the AI chain adds sinks to the rare-earth world: {}", sinks.len());
    for sink in sinks {
        let kpis = result.kpis(&sink.id).expect("kpis");
        assert_eq!(kpis.unmet_units, 0.0, "{} runs short without any event", sink.id);
        assert_eq!(kpis.fill_rate, 1.0, "{}", sink.id);
    }
    // Every stage the issue names is in the chain, in its sourced leading region.
    let region_of = |id: &str| {
        let e = result.entities.iter().find(|e| e.id == id).unwrap_or_else(|| panic!("{id} missing"));
        e.region.as_str().to_owned()
    };
    for (id, region) in [
        ("cn_gallium", "CN"),
        ("cn_germanium", "CN"),
        ("cn_anode", "CN"),
        ("cn_antimony_refining", "CN"),
        ("us_spruce_pine", "US"),
        ("jp_photoresist", "JP"),
        ("jp_hf", "JP"),
        ("nl_asml", "NL"),
        ("jp_wafers", "JP"),
        ("tw_logic", "TW"),
        ("kr_hbm", "KR"),
        ("tw_cowos", "TW"),
        ("us_accelerators", "US"),
        ("tw_servers", "TW"),
        ("cn_magnets", "CN"),
    ] {
        assert_eq!(region_of(id), region, "{id}");
    }
}
