//! The part of a ranking one shard runs, and the merge of every shard's part.
//!
//! A part keeps what [`summarise`] reduces: each watched buyer's impact in every replicate
//! of the shard, for every candidate. Means, quantiles and ranks over replicates cannot be
//! merged from per-shard summaries, so the parts carry the impacts themselves (a few numbers
//! per candidate, replicate and buyer; the series stay behind). Merging puts them back in
//! replicate order, so [`summarise`] sees exactly what an unsharded run gives it.

use serde::{Deserialize, Serialize};

use super::{BuyerRun, Ranking, summarise};
use crate::Shard;

/// The impacts of the replicates of one shard of a ranking ([`super::rank_part`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankPart {
    /// The caller's tag of the ranking ([`super::RankConfig::tag`]).
    pub tag: u64,
    /// Base seed.
    pub seed: u64,
    /// Replicates per candidate in the whole batch.
    pub runs: u64,
    /// Which slice of the replicates this part holds.
    pub shard: Shard,
    /// Days simulated.
    pub horizon_days: u32,
    /// The watched buyers.
    pub watch: Vec<String>,
    /// `impacts[candidate][run - first run of the shard][buyer]`.
    pub(super) impacts: Vec<Vec<Vec<BuyerRun>>>,
}

impl RankPart {
    /// Candidates ranked.
    pub fn candidates(&self) -> usize {
        self.impacts.len()
    }

    /// Merges the parts of every shard of one ranking into the [`Ranking`] an unsharded run
    /// gives, bit for bit. Every shard from 0 to count − 1 must be there once, from the same
    /// ranking (tag, seed, runs, horizon, watched buyers and candidates), each holding the
    /// impacts of exactly its replicates.
    pub fn merge(mut parts: Vec<RankPart>) -> Result<Ranking, String> {
        let Some(first) = parts.first() else { return Err("no parts to merge".to_owned()) };
        let (tag, seed, runs, horizon) = (first.tag, first.seed, first.runs, first.horizon_days);
        let (watch, n_cand) = (first.watch.clone(), first.candidates());
        for part in &parts {
            let Shard { index, count: its_count } = part.shard;
            if part.tag != tag
                || part.seed != seed
                || part.runs != runs
                || part.horizon_days != horizon
                || part.watch != watch
                || part.candidates() != n_cand
            {
                return Err(format!(
                    "shard {index}/{its_count} comes from another ranking (different scenario, candidates, \
                     disruption, watched buyers, seed or runs)"
                ));
            }
        }
        Shard::check_set(parts.iter().map(|p| p.shard))?;
        for part in &parts {
            let Shard { index, count } = part.shard;
            let expected = part.shard.range(runs).count();
            for (candidate, per_run) in part.impacts.iter().enumerate() {
                if per_run.len() != expected || per_run.iter().any(|buyers| buyers.len() != watch.len()) {
                    return Err(format!(
                        "shard {index}/{count} is inconsistent: candidate {candidate} should have {expected} \
                         runs of {} watched buyers each",
                        watch.len()
                    ));
                }
            }
        }
        parts.sort_by_key(|p| p.shard.index);
        // Shards are contiguous ranges in index order: appending them gives replicates 0..runs.
        let mut impacts: Vec<Vec<Vec<BuyerRun>>> = vec![Vec::with_capacity(runs as usize); n_cand];
        for part in parts {
            for (all, mine) in impacts.iter_mut().zip(part.impacts) {
                all.extend(mine);
            }
        }
        Ok(summarise(&impacts, &watch, seed, runs, horizon))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Recovery;
    use super::*;

    fn run(unmet: f64, value: f64, survive: Option<u32>, recovery: Recovery) -> BuyerRun {
        BuyerRun { unmet, lost_value: unmet * value, survive, recovery }
    }

    #[test]
    fn a_part_survives_json_bit_for_bit() {
        // Values that a careless number format would change: a negative zero (a sum of
        // nothing), a sum with no short decimal form, the extremes of f64.
        let values = [-0.0, 0.1 + 0.2, f64::MAX, f64::MIN_POSITIVE, 5e-324, -1234.5678e-9, 1e300];
        let impacts = vec![
            values.iter().map(|&v| vec![run(v, 1.0, Some(3), Recovery::After(12))]).collect(),
            values.iter().map(|&v| vec![run(-v, 1.0, None, Recovery::NotShort)]).collect(),
            values.iter().map(|&v| vec![run(v / 7.0, 0.5, Some(0), Recovery::Not)]).collect(),
        ];
        let part = RankPart {
            tag: u64::MAX,
            seed: 1 << 63,
            runs: values.len() as u64,
            shard: Shard::WHOLE,
            horizon_days: 365,
            watch: vec!["buyer".into()],
            impacts,
        };
        let text = serde_json::to_string(&part).expect("to JSON");
        let back: RankPart = serde_json::from_str(&text).expect("from JSON");
        let bits = |p: &RankPart| -> Vec<u64> {
            p.impacts
                .iter()
                .flatten()
                .flatten()
                .flat_map(|b| [b.unmet.to_bits(), b.lost_value.to_bits()])
                .collect()
        };
        assert_eq!(bits(&back), bits(&part));
        assert!(back == part);
        // One buyer in one run is a short array (here one buyer a run, one run a value).
        assert!(text.contains(r#""impacts":[[[[-0.0,-0.0,3,{"after":12}]],"#), "{text}");
        assert!(text.contains(r#",null,"not-short"]"#), "{text}");
    }
}
