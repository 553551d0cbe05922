//! A ranking cut into shards: `rank --shard I/N` writes `rank-shard-000I-of-000N.part`
//! (the framing of `shard.rs`, with the ranking's description and every impact of the
//! shard's runs in the header), and `chokepoint merge` joins every shard's part into the
//! files one unsharded `chokepoint rank` writes.

use std::path::Path;

use chokepoint_montecarlo::RankPart;
use serde::{Deserialize, Serialize};

use super::{RankInfo, table, write_ranking};
use crate::Failure;
use crate::shard::{self, Header};
use crate::staged::{Slot, Staged};

/// The JSON line that opens a ranking's shard file: everything `merge` needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RankHeader {
    /// What was ranked.
    pub info: RankInfo,
    /// `--top`: candidates printed and drawn.
    pub top: usize,
    /// The shard's impacts.
    pub part: RankPart,
}

impl RankHeader {
    /// Whether the description fits the impacts (a header from a file: the checksum proves
    /// it unchanged, not that it was written by chokepoint).
    pub fn check(&self) -> Result<(), String> {
        let n = self.part.candidates();
        let info = &self.info;
        if info.candidates.len() != n || info.places.len() != n || info.facility_ids.len() != n {
            return Err(format!(
                "it describes {} candidates but holds the runs of {n}",
                info.candidates.len()
            ));
        }
        if info.watch_sinks > self.part.watch.len() {
            return Err("it counts more watched sinks than watched buyers".to_owned());
        }
        Ok(())
    }
}

/// Writes a shard's part into `staged` (in `directory`) and commits it.
pub(super) fn write_shard(staged: Staged, directory: &Path, header: RankHeader) -> Result<(), Failure> {
    let (shard, runs, n_cand) = (header.part.shard, header.part.runs, header.part.candidates());
    let name = shard::rank_part_name(shard);
    shard::write_part(&staged.path().join(&name), &Header::Rank(Box::new(header)), None)?;
    staged.commit()?;
    outln!(
        "Shard {}/{}: runs {:?} of {runs} per candidate, {n_cand} candidates and the baseline. Wrote {name} in {}",
        shard.index,
        shard.count,
        shard.range(runs),
        directory.display()
    );
    outln!("Merge the shards with: chokepoint merge {}/rank-shard-*.part -o DIR", directory.display());
    Ok(())
}

/// Runs `chokepoint merge` on the parts of a ranking, checked whole by `shard::read_part`:
/// writes what one unsharded `chokepoint rank` of the same command writes.
pub fn merge(headers: Vec<RankHeader>, output: &Path) -> Result<(), Failure> {
    let n_parts = headers.len();
    let Some(first) = headers.first() else {
        return Err(Failure::new("no shards to merge", "give the rank-shard-*.part files of one ranking"));
    };
    let (info, top) = (first.info.clone(), first.top);
    if let Some(other) = headers.iter().find(|h| h.info != info || h.top != top) {
        let of = |h: &RankHeader| format!("{}/{}", h.part.shard.index, h.part.shard.count);
        return Err(Failure::new(
            format!(
                "shard {} comes from another ranking than shard {} (another scenario, file, candidates, \
                 disruption or --top)",
                of(other),
                of(first)
            ),
            "merge only the rank-shard-*.part files of one ranking: the same chokepoint rank command, with \
             --shard 0/N to N-1/N",
        ));
    }
    let ranking = RankPart::merge(headers.into_iter().map(|h| h.part).collect()).map_err(|why| {
        Failure::new(
            format!("cannot merge: {why}"),
            "give every rank-shard-*.part of one ranking once (rerun a missing shard with the same command)",
        )
    })?;
    crate::signals::check()?;
    let staged = Staged::begin(output, Slot::Rank)?;
    let written = write_ranking(staged, &info, &ranking, top)?;
    out!("{}", table(&info, &ranking, top));
    outln!("\nMerged {n_parts} shards. Wrote {} in {}", written.join(", "), output.display());
    Ok(())
}
