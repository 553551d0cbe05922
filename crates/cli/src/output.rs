//! Where results go on disk: the output directory. The files themselves are built by the
//! library (`chokepoint::files`); `staged` writes them into a private folder and moves them
//! into place whole.

use std::path::Path;

pub use chokepoint::files::OutputFile;

use crate::failure::Failure;

/// Creates an output directory and its parents, or says why it cannot.
pub fn create_directory(directory: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(directory).map_err(|error| {
        Failure::new(
            format!("cannot create the output directory '{}': {error}", directory.display()),
            "choose a directory you can write to with -o DIR",
        )
    })
}
