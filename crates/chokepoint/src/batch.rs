//! What every batch (sweep, rank, backtest, calibration) shares: the fingerprint that keeps
//! the shards of different batches apart, the check of the caller's cancel flag, and the
//! messages of a stopped batch.

use std::sync::atomic::{AtomicBool, Ordering};

use chokepoint_report::format::format_units;

use crate::Error;

/// FNV-1a over the text of everything that makes a batch, so shards of different batches
/// are not merged.
pub fn fingerprint(parts: &[String]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// `Err(Error::Interrupted)` once `cancel` is raised, before any run completed.
pub fn check(cancel: &AtomicBool) -> Result<(), Error> {
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Interrupted(
            "interrupted: nothing was written (the output directory is as it was)".to_owned(),
        ));
    }
    Ok(())
}

/// A batch stopped by its cancel flag after `completed` of `total` runs.
pub fn interrupted(completed: u64, total: u64) -> Error {
    Error::Interrupted(format!(
        "interrupted: {} of {} runs had completed; no result file was written \
         (run again to get results: the same seed gives the same runs)",
        format_units(completed as f64),
        format_units(total as f64)
    ))
}

/// The first line of the message about `n` replicates that broke an invariant.
pub fn broken(n: usize) -> String {
    format!("{n} replicate{} broke an invariant:", if n == 1 { "" } else { "s" })
}

/// A cancel flag that is never raised, for callers with nothing to cancel.
pub static NEVER: AtomicBool = AtomicBool::new(false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fnv1a_with_a_separator() {
        // FNV-1a 64 of the empty input is the offset basis; one 0xff byte then moves it.
        assert_eq!(fingerprint(&[]), 0xcbf2_9ce4_8422_2325);
        let one = (0xcbf2_9ce4_8422_2325u64 ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
        assert_eq!(fingerprint(&[String::new()]), one);
        // The separator keeps ["ab"] and ["a", "b"] apart.
        assert_ne!(fingerprint(&["ab".into()]), fingerprint(&["a".into(), "b".into()]));
    }

    #[test]
    fn a_raised_flag_interrupts() {
        let flag = AtomicBool::new(false);
        assert!(check(&flag).is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(check(&flag), Err(Error::Interrupted(_))));
        assert!(interrupted(1500, 2000).to_string().contains("1,500 of 2,000 runs"));
    }
}
