//! `chokepoint merge`: the shard files of a sweep or of a ranking, each checked whole, merged
//! by the command that cut them.

use std::path::{Path, PathBuf};

use crate::failure::Failure;
use chokepoint::parts as shard;

/// Runs `chokepoint merge`: every shard is checked whole before anything is written. The
/// shards of a sweep go to [`crate::sweep::merge_parts`], those of a ranking (`rank --shard`)
/// to [`crate::rank::merge`].
pub fn merge(parts: &[PathBuf], output: &Path) -> Result<(), Failure> {
    let mut sweeps = Vec::with_capacity(parts.len());
    let mut ranks = Vec::new();
    for path in parts {
        crate::signals::check()?;
        match shard::read_part(path)? {
            (shard::Header::Sweep(header), part) => sweeps.push((*header, part)),
            (shard::Header::Rank(header), part) => ranks.push((*header, part)),
        }
    }
    if let (Some((_, sweep)), Some((_, rank))) = (sweeps.first(), ranks.first()) {
        return Err(Failure::new(
            format!(
                "{} is a shard of a sweep and {} a shard of a ranking: they cannot be merged together",
                sweep.path().display(),
                rank.path().display()
            ),
            "merge the shard-*.part files of one sweep and the rank-shard-*.part files of one ranking with \
             separate commands, each into its own -o DIR",
        ));
    }
    if !ranks.is_empty() {
        return crate::rank::merge(ranks.into_iter().map(|(header, _)| header).collect(), output);
    }
    crate::sweep::merge_parts(sweeps, output)
}
