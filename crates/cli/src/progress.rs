//! Progress of long batches (`sweep`, `rank`): an indicatif bar on a terminal; elsewhere
//! (SLURM, Kubernetes, `nohup`, CI) a plain line on stderr at most every
//! [`PLAIN_EVERY`] (or every `CHOKEPOINT_PROGRESS_SECONDS`), with the runs done, the rate
//! and the time left, so a batch log shows the job is alive. A batch shorter than that
//! prints no progress line.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Least time between two plain progress lines, unless `CHOKEPOINT_PROGRESS_SECONDS` says.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The time between plain progress lines: `CHOKEPOINT_PROGRESS_SECONDS` (whole seconds)
/// when set and valid, else [`PLAIN_EVERY`].
fn plain_every() -> Duration {
    std::env::var("CHOKEPOINT_PROGRESS_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(PLAIN_EVERY, Duration::from_secs)
}

/// The progress of `total` runs.
pub struct Progress {
    what: &'static str,
    total: u64,
    bar: Option<indicatif::ProgressBar>,
    every: Duration,
    done: AtomicU64,
    started: Instant,
    /// When the last plain line was printed (or the start).
    last: Mutex<Instant>,
}

impl Progress {
    /// A bar on a terminal, plain lines elsewhere; `what` names the command in those lines.
    pub fn new(what: &'static str, total: u64) -> Progress {
        Progress::with_terminal(what, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(what: &'static str, total: u64, terminal: bool) -> Progress {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} runs, {rate}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} runs/s", state.per_sec());
                })
                .progress_chars("=> "),
            );
            bar
        });
        let now = Instant::now();
        Progress {
            what,
            total,
            bar,
            every: plain_every(),
            done: AtomicU64::new(0),
            started: now,
            last: Mutex::new(now),
        }
    }

    /// Counts `n` more runs done (from any thread).
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let now = Instant::now();
        // Only one thread prints; the others go on at once.
        let Ok(mut last) = self.last.try_lock() else { return };
        if now.duration_since(*last) < self.every {
            return;
        }
        *last = now;
        drop(last);
        eprintln!("{}", self.line(done, now.duration_since(self.started)));
    }

    /// The plain line after `done` runs in `elapsed`.
    fn line(&self, done: u64, elapsed: Duration) -> String {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let rate = done as f64 / seconds;
        let left = self.total.saturating_sub(done);
        let eta = if rate > 0.0 { duration(left as f64 / rate) } else { "unknown".to_owned() };
        format!(
            "{}: {} of {} runs ({:.0} %), {:.0} runs/s, {} elapsed, ETA {eta}",
            self.what,
            chokepoint::text::format_units(done as f64),
            chokepoint::text::format_units(self.total as f64),
            100.0 * done as f64 / self.total.max(1) as f64,
            rate,
            duration(seconds)
        )
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `3725.0` seconds as `1 h 2 min`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(3725.0), "1 h 2 min");
    }

    #[test]
    fn the_plain_line_gives_runs_rate_and_time_left() {
        let progress = Progress::with_terminal("sweep", 10_000, false);
        // 2,500 runs in 10 s: 250 runs/s, 7,500 left take 30 s.
        assert_eq!(
            progress.line(2_500, Duration::from_secs(10)),
            "sweep: 2,500 of 10,000 runs (25 %), 250 runs/s, 10 s elapsed, ETA 30 s"
        );
    }

    #[test]
    fn no_plain_line_before_the_interval() {
        let mut progress = Progress::with_terminal("rank", 100, false);
        progress.every = PLAIN_EVERY;
        progress.inc(50);
        // The last print is still the start: nothing was printed, and the count is kept.
        assert_eq!(progress.done.load(Ordering::Relaxed), 50);
        assert!(progress.last.lock().map(|l| *l == progress.started).unwrap_or(false));
    }
}
