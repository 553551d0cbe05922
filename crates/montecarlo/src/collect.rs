//! Replicates reduced by the caller: each checked result is handed to a measuring function
//! and only what it returns is kept, in replicate order (the backtest keeps one number per
//! observation and replicate, and takes exact quantiles of them).

use std::sync::atomic::Ordering;

use chokepoint_engine::{Plan, RunResult, Workspace};
use rayon::prelude::*;

use crate::sweep::checked_run_in;
use crate::{Hooks, ReplicateFailure, Stop, replicate_seed};

/// Replicates per worker thread between two looks at the cancel flag.
const TASKS_PER_THREAD: u64 = 16;

/// Runs replicates `0..runs` of `plan` with the seeds [`replicate_seed`]`(seed, i)` on a
/// pool of `threads` (0: one per core), checks each (see [`crate::sweep()`]), and returns
/// `measure` of each, in replicate order. The result does not depend on `threads`. Each
/// worker thread runs its replicates in one engine workspace.
pub fn collect<T: Send>(
    plan: &Plan<'_>,
    seed: u64,
    runs: u64,
    threads: usize,
    hooks: &Hooks<'_>,
    measure: &(dyn Fn(&RunResult) -> T + Sync),
) -> Result<Vec<T>, Stop> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Stop::Other(format!("cannot start the worker threads: {e}")))?;
    let batch = TASKS_PER_THREAD * pool.current_num_threads() as u64;
    let mut out = Vec::with_capacity(usize::try_from(runs).unwrap_or(0));
    let mut next = 0u64;
    pool.install(|| {
        while next < runs {
            if hooks.cancel.load(Ordering::Relaxed) {
                return Err(Stop::Cancelled { completed: next });
            }
            let end = (next + batch).min(runs);
            let done: Vec<Result<T, ReplicateFailure>> = (next..end)
                .into_par_iter()
                .map_init(Workspace::new, |workspace, run| {
                    let seed = replicate_seed(seed, run);
                    let result = checked_run_in(plan, seed, workspace, None)
                        .map(|result| {
                            let value = measure(&result);
                            workspace.recycle(result);
                            value
                        })
                        .map_err(|problem| ReplicateFailure { point: 0, run, seed, problem });
                    (hooks.progress)(1);
                    result
                })
                .collect();
            let mut failures = Vec::new();
            for result in done {
                match result {
                    Ok(value) => out.push(value),
                    Err(failure) => failures.push(failure),
                }
            }
            if !failures.is_empty() {
                return Err(Stop::Failed(failures));
            }
            next = end;
        }
        Ok(())
    })?;
    Ok(out)
}
