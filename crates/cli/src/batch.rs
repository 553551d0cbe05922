//! What every batch command (sweep, rank, backtest, calibrate) shares on the command line:
//! worker threads, and which shard this process runs (flags, SLURM, Kubernetes).

use chokepoint::Shard;

use crate::failure::Failure;

/// Most worker threads per core: results never depend on the thread count, and more
/// threads than this only add switching.
pub const THREADS_PER_CORE: usize = 4;

/// The worker threads to start for `--threads` (0: one per core), capped at
/// [`THREADS_PER_CORE`] per core with a message.
pub fn worker_threads(requested: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    match requested {
        Some(n) if n > THREADS_PER_CORE * cores => {
            let cap = THREADS_PER_CORE * cores;
            eprintln!(
                "warning: --threads {n} is more than {THREADS_PER_CORE} per core on this machine's {cores} \
                 core{}; using {cap} (results do not depend on the thread count)",
                if cores == 1 { "" } else { "s" }
            );
            cap
        }
        Some(n) => n,
        None => 0,
    }
}

/// Which shard this process runs: `--shard I/N`, else SLURM's array variables, else
/// `JOB_COMPLETION_INDEX` with `--shard-count`; the whole batch when none is set.
pub fn resolve_shard(flag: Option<&str>, count: Option<u32>) -> Result<Shard, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let number = |name: &str, text: &str| -> Result<u32, Failure> {
        text.trim().parse::<u32>().map_err(|_| {
            Failure::new(format!("{name} is '{text}', not a whole number"), "shards are numbered from 0")
        })
    };
    let shard = if let Some(text) = flag {
        let Some((i, n)) = text.split_once('/') else {
            return Err(Failure::new(
                format!("--shard {text}: expected I/N"),
                "write --shard 0/4 … --shard 3/4",
            ));
        };
        Shard { index: number("the shard index", i)?, count: number("the shard count", n)? }
    } else if let (Some(id), Some(n)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        let min = var("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
        let id = number("SLURM_ARRAY_TASK_ID", &id)?;
        Shard { index: id.saturating_sub(min), count: number("SLURM_ARRAY_TASK_COUNT", &n)? }
    } else if let Some(id) = var("JOB_COMPLETION_INDEX") {
        let Some(count) = count else {
            return Err(Failure::new(
                "JOB_COMPLETION_INDEX is set but the number of shards is not",
                "pass --shard-count N with the Job's completions (docs/scale-out.md)",
            ));
        };
        Shard { index: number("JOB_COMPLETION_INDEX", &id)?, count }
    } else {
        return Ok(Shard::WHOLE);
    };
    if shard.count == 0 || shard.index >= shard.count {
        return Err(Failure::new(
            format!("shard {}/{} does not exist", shard.index, shard.count),
            "shards are numbered 0 to N-1 of N (N at least 1)",
        ));
    }
    Ok(shard)
}
