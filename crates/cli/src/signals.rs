//! Interrupts: SIGINT (Ctrl-C), SIGTERM (`kill`, SLURM's and Kubernetes' stop) and SIGHUP
//! raise one flag that every long loop reads. A command that sees it stops, removes what it
//! staged and exits with [`EXIT_INTERRUPTED`]; a second signal ends the process at once
//! (its staging folder is then removed by the next command writing to that directory).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::Failure;

/// Raised by the first interrupt.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

/// The exit code of an interrupted command (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Installs the handler (once, at start).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
}

/// Whether an interrupt has been asked for.
pub fn cancelled() -> bool {
    CANCEL.load(Ordering::Relaxed)
}

/// `Err` once an interrupt has been asked for: the command stops and writes nothing.
pub fn check() -> Result<(), Failure> {
    if cancelled() {
        return Err(Failure::Interrupted(
            "interrupted: nothing was written (the output directory is as it was)".to_owned(),
        ));
    }
    Ok(())
}
