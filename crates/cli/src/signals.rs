//! Interrupts: SIGINT (Ctrl-C), SIGTERM (`kill`, SLURM's and Kubernetes' stop) and SIGHUP
//! raise one flag that every long loop reads. A command that sees it stops, removes what it
//! staged and exits with [`EXIT_INTERRUPTED`]; a second signal ends the process at once
//! (its staging folder is then removed by the next command writing to that directory).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::failure::Failure;

/// Raised by the first interrupt.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

/// Set while a result is moved into place: a second interrupt then waits for the move to
/// end (it takes milliseconds) instead of leaving a mixture of old and new files.
static COMMITTING: AtomicBool = AtomicBool::new(false);

/// A second interrupt came during a commit.
static EXIT_ASKED: AtomicBool = AtomicBool::new(false);

/// Marks a commit in progress until dropped.
pub struct Committing;

impl Committing {
    /// Starts the mark.
    pub fn start() -> Committing {
        COMMITTING.store(true, Ordering::SeqCst);
        Committing
    }
}

impl Drop for Committing {
    fn drop(&mut self) {
        COMMITTING.store(false, Ordering::SeqCst);
        if EXIT_ASKED.load(Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    }
}

/// The exit code of an interrupted command (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Installs the handler (once, at start).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            if COMMITTING.load(Ordering::SeqCst) {
                EXIT_ASKED.store(true, Ordering::SeqCst);
            } else {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });
}

/// Whether an interrupt has been asked for.
pub fn cancelled() -> bool {
    CANCEL.load(Ordering::Relaxed)
}

/// `Err` once an interrupt has been asked for: the command stops and writes nothing.
pub fn check() -> Result<(), Failure> {
    chokepoint::batch::check(&CANCEL).map_err(Failure::from)
}
