//! Rankings of candidates whose losses follow from inventory arithmetic.

use std::sync::atomic::AtomicBool;

use chokepoint_engine::*;
use chokepoint_montecarlo::{
    By, Disruption, DisruptionKind, Hooks, RankConfig, RankPart, Ranking, Shard, Stop, candidates, rank,
    rank_part,
};

/// A US buyer of 10 a day holding 30 days, supplied 5 days away by a Chinese plant with
/// ample capacity and no stock of its own; and a Japanese plant nobody buys from.
/// `poisson` makes the buyer's demand a Poisson count.
fn chain(poisson: bool) -> Model {
    let region = |c: &str| Region::new(c).expect("valid region");
    let plant = |id: &str, code: &str| Facility {
        id: id.into(),
        region: region(code),
        product: ProductId(0),
        capacity: Dist::Const(100.0),
        recipe: vec![],
        output_stock: Stock::Days(0.0),
        input_stock: Stock::Days(0.0),
        policy: Policy::DaysOfUse { target_days: 0.0, review_days: 1 },
        online_day: 0,
        ramp: Dist::Const(0.0),
        allocation: None,
        sector: "civil".into(),
    };
    Model {
        products: vec![Product {
            id: "part".into(),
            name: "Part".into(),
            unit: "t".into(),
            value: 2.0,
            price: None,
        }],
        facilities: vec![plant("cn_plant", "CN"), plant("jp_plant", "JP")],
        sinks: vec![Sink {
            id: "buyer".into(),
            region: region("US"),
            product: ProductId(0),
            rate: 10.0,
            growth: 0.0,
            noise: if poisson { Noise::Poisson } else { Noise::None },
            sector: "civil".into(),
            unmet: Unmet::Lost,
            stock: Stock::Days(30.0),
            policy: Policy::DaysOfUse { target_days: 30.0, review_days: 1 },
        }],
        supplies: vec![Supply {
            buyer: Buyer::Sink(SinkId(0)),
            product: ProductId(0),
            sources: vec![Source { from: FacilityId(0), share: 1.0 }],
            transit: Dist::Const(5.0),
            alternates: vec![],
        }],
        horizon_days: 200,
        ..Model::default()
    }
}

fn ranked(model: &Model, by: By, disruption: Disruption, runs: u64, threads: usize) -> Ranking {
    let candidates = candidates(model, by);
    let models: Vec<Model> =
        candidates.iter().map(|c| c.disrupt(model, &disruption).expect("disruptable")).collect();
    let plans: Vec<Plan<'_>> = models.iter().map(|m| Plan::new(m).expect("valid")).collect();
    let baseline = Plan::new(model).expect("valid");
    let cancel = AtomicBool::new(false);
    let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
    let config =
        RankConfig { seed: 5, runs, shard: Shard::WHOLE, threads, start_day: disruption.start_day, tag: 1 };
    rank(&baseline, &plans, &["buyer".to_owned()], &config, &hooks).expect("ranking runs")
}

/// Shard `shard` of the ranking of facilities that `ranked` runs whole (seed 5), tagged `tag`.
fn part(model: &Model, disruption: Disruption, runs: u64, shard: Shard, tag: u64) -> RankPart {
    let models: Vec<Model> = candidates(model, By::Facility)
        .iter()
        .map(|c| c.disrupt(model, &disruption).expect("disruptable"))
        .collect();
    let plans: Vec<Plan<'_>> = models.iter().map(|m| Plan::new(m).expect("valid")).collect();
    let baseline = Plan::new(model).expect("valid");
    let cancel = AtomicBool::new(false);
    let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
    let config = RankConfig { seed: 5, runs, shard, threads: 1, start_day: disruption.start_day, tag };
    rank_part(&baseline, &plans, &["buyer".to_owned()], &config, &hooks).expect("shard runs")
}

fn stop(start_day: u32, days: u32) -> Disruption {
    Disruption { kind: DisruptionKind::FullStop, start_day, days }
}

#[test]
fn a_stop_longer_than_the_cover_loses_the_demand_of_the_gap() {
    // Cover: 30 days on hand + 5 in transit = 35 days. A 60-day stop from day 10: short from
    // day 45; the plant makes again on day 70 and that arrives on day 75, so days 45..=74
    // go unmet: 30 days × 10 = 300 units, worth 600.
    let model = chain(false);
    let ranking = ranked(&model, By::Facility, stop(10, 60), 3, 1);
    let first = &ranking.rows[0];
    assert_eq!(first.candidate, 0, "cn_plant ranks first");
    let survive = first.survive_days.expect("the buyer runs short");
    assert!((34.0..=36.0).contains(&survive), "short {survive} days after the start, expected 35");
    assert!((580.0..=620.0).contains(&first.lost_value.mean), "lost {}", first.lost_value.mean);
    assert!((28.0 * 10.0..=31.0 * 10.0).contains(&first.buyers[0].unmet), "{}", first.buyers[0].unmet);
    assert_eq!(first.p_short, 1.0);
    assert_eq!(first.exposure, 1.0);
    assert_eq!((first.p_severe, first.p_recovered), (1.0, 1.0));
    // Recovered once the first delivery lands (day 75): 65 days after the start.
    let recover = first.recover_days.expect("recovers");
    assert!((64.0..=66.0).contains(&recover), "recovered after {recover}");
    // The Japanese plant sells to nobody: nothing lost, ranked last, never first.
    let second = &ranking.rows[1];
    assert_eq!(
        (second.candidate, second.lost_value.mean, second.p_short, second.p_severe),
        (1, 0.0, 0.0, 0.0)
    );
    assert_eq!((second.exposure, second.rank, second.p_first), (0.0, [2.0, 2.0, 2.0], 0.0));
}

#[test]
fn a_stop_the_cover_outlasts_loses_nothing() {
    // 25 days of stop + 5 of transit to refill < 35 days of cover.
    let ranking = ranked(&chain(false), By::Facility, stop(10, 25), 2, 1);
    assert!(ranking.rows.iter().all(|r| r.lost_value.mean == 0.0 && r.survive_days.is_none()));
    // All tied: both rank first in every run.
    assert!(ranking.rows.iter().all(|r| r.p_first == 1.0));
}

#[test]
fn common_random_numbers_leave_an_idle_candidate_exactly_at_zero() {
    // Poisson demand: each run differs, but the baseline and the disrupted Japanese plant
    // share every draw, so its loss is exactly zero in every run; the Chinese plant's loss
    // varies with demand around the 600 of the constant case.
    let model = chain(true);
    let ranking = ranked(&model, By::Region, stop(10, 60), 40, 2);
    let labels: Vec<&str> = ranking.rows.iter().map(|r| r.candidate).map(|c| ["CN", "JP"][c]).collect();
    assert_eq!(labels, ["CN", "JP"]);
    let jp = &ranking.rows[1];
    assert_eq!((jp.lost_value.p05, jp.lost_value.p95, jp.p_short), (0.0, 0.0, 0.0));
    let cn = &ranking.rows[0].lost_value;
    assert!(cn.p05 < cn.p95, "Poisson demand spreads the loss: {cn:?}");
    // 300 ± a few standard deviations of 30 days of Poisson(10) (sd √300 ≈ 17 units).
    assert!((520.0..=680.0).contains(&cn.mean), "{cn:?}");
}

#[test]
fn the_ranking_does_not_depend_on_the_threads() {
    let model = chain(true);
    let one = ranked(&model, By::Facility, stop(0, 60), 24, 1);
    let two = ranked(&model, By::Facility, stop(0, 60), 24, 2);
    assert!(one == two, "1 and 2 threads differ");
}

#[test]
fn candidates_and_their_disruptions() {
    let model = chain(false);
    let labels = |by| candidates(&model, by).into_iter().map(|c| c.label).collect::<Vec<_>>();
    assert_eq!(labels(By::Facility), ["cn_plant", "jp_plant"]);
    assert_eq!(labels(By::Region), ["CN", "JP"]);
    assert_eq!(labels(By::Product), ["part"]);
    assert_eq!(labels(By::RegionProduct), ["CN part", "JP part"]);
    // A product everywhere bans from each region that makes it: one control per issuer.
    let part = &candidates(&model, By::Product)[0];
    let banned = part
        .disrupt(&model, &Disruption { kind: DisruptionKind::Ban, start_day: 3, days: 7 })
        .expect("a product can be banned");
    let issuers: Vec<&str> = banned
        .events
        .iter()
        .map(|e| match &e.action {
            Action::ExportControl(c) => c.issuer.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(issuers, ["CN", "JP"]);
    assert!(banned.events.iter().all(|e| e.start == Start::Day(3) && e.end == Some(End::Day(10))));
    // A facility cannot ban.
    let plant = &candidates(&model, By::Facility)[0];
    let refused = plant.disrupt(&model, &Disruption { kind: DisruptionKind::Ban, start_day: 0, days: 7 });
    assert!(refused.expect_err("no ban by a facility").contains("only a region"));
}

#[test]
fn shards_merged_give_the_ranking_of_one_run_and_every_shard_is_needed_once() {
    // Poisson demand, so every replicate differs and a replicate run twice, skipped or out
    // of order would change the means, quantiles and ranks.
    let model = chain(true);
    let disruption = stop(10, 60);
    let whole = ranked(&model, By::Facility, disruption, 10, 2);
    let shard = |index| Shard { index, count: 3 };
    // Shards of 3, 3 and 4 replicates, given out of order.
    let parts: Vec<RankPart> = [2, 0, 1].map(|i| part(&model, disruption, 10, shard(i), 1)).into();
    // Parts travel as JSON; the trip must not change a bit.
    let parts: Vec<RankPart> = parts
        .iter()
        .map(|p| serde_json::from_str(&serde_json::to_string(p).expect("to JSON")).expect("from JSON"))
        .collect();
    let merged = RankPart::merge(parts.clone()).expect("the shards merge");
    assert!(merged == whole, "merged shards differ from the whole:\n{merged:?}\n{whole:?}");
    assert!(parts.iter().all(|p| p.candidates() == 2));

    let refused = |parts: Vec<RankPart>| RankPart::merge(parts).expect_err("refused");
    // parts[0] is shard 2/3, parts[1] shard 0/3, parts[2] shard 1/3.
    let missing = refused(vec![parts[0].clone(), parts[1].clone()]);
    assert!(missing.contains("missing shard 1/3"), "{missing}");
    let twice = refused(vec![parts[0].clone(), parts[1].clone(), parts[1].clone(), parts[2].clone()]);
    assert!(twice.contains("shard 0/3 is given twice"), "{twice}");
    // Shard 1/3 of another ranking (another tag: another scenario or disruption).
    let foreign = part(&model, disruption, 10, shard(1), 2);
    let other = refused(vec![parts[0].clone(), foreign, parts[1].clone()]);
    assert!(other.contains("comes from another ranking"), "{other}");
    // Of the same ranking with more runs, or cut another number of ways.
    let longer = part(&model, disruption, 11, shard(1), 1);
    let other = refused(vec![parts[0].clone(), longer, parts[1].clone()]);
    assert!(other.contains("comes from another ranking"), "{other}");
    let halves = part(&model, disruption, 10, Shard { index: 1, count: 2 }, 1);
    let other = refused(vec![parts[0].clone(), halves, parts[1].clone()]);
    assert!(other.contains("cut 2 ways, another part 3 ways"), "{other}");
    assert!(refused(Vec::new()).contains("no parts"));

    // A part whose impacts do not cover its replicates (a damaged or edited file).
    let mut json: serde_json::Value = serde_json::to_value(&parts[1]).expect("to JSON");
    json["impacts"][1].as_array_mut().expect("runs of candidate 1").pop();
    let short: RankPart = serde_json::from_value(json).expect("still a part");
    let other = refused(vec![parts[0].clone(), short, parts[2].clone()]);
    assert!(other.contains("candidate 1 should have 3 runs"), "{other}");
}

#[test]
fn rank_runs_the_whole_batch_only() {
    // A shard alone is not a ranking: `rank` refuses one, naming the shards it lacks.
    let model = chain(false);
    let models: Vec<Model> = candidates(&model, By::Facility)
        .iter()
        .map(|c| c.disrupt(&model, &stop(0, 30)).expect("ok"))
        .collect();
    let plans: Vec<Plan<'_>> = models.iter().map(|m| Plan::new(m).expect("valid")).collect();
    let baseline = Plan::new(&model).expect("valid");
    let cancel = AtomicBool::new(false);
    let hooks = Hooks { cancel: &cancel, progress: &|_| {} };
    let config = RankConfig {
        seed: 5,
        runs: 4,
        shard: Shard { index: 0, count: 2 },
        threads: 1,
        start_day: 0,
        tag: 1,
    };
    let result = rank(&baseline, &plans, &["buyer".to_owned()], &config, &hooks);
    assert!(matches!(&result, Err(Stop::Other(why)) if why.contains("missing shard 1/2")), "{result:?}");
    let config = RankConfig { shard: Shard { index: 2, count: 2 }, ..config };
    let result = rank_part(&baseline, &plans, &["buyer".to_owned()], &config, &hooks);
    assert!(matches!(&result, Err(Stop::Other(why)) if why.contains("does not exist")));
}
