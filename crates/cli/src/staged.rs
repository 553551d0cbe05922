//! Output directories that each command owns: a result is built in a private staging
//! folder inside the output directory, then moved into place whole, replacing that
//! command's earlier result and nothing else.
//!
//! - **Slots.** What a command writes into a directory is one *slot*: `run`, `sweep` and
//!   `merge` share the slot `result` (a directory holds one result that `plot` reads),
//!   `rank`, `plot`, `report` and `backtest` have their own, and each shard of a sweep or a
//!   ranking has its own (so the shards of one batch land side by side). A slot's manifest,
//!   `.chokepoint-<slot>.manifest`, lists the files it wrote last time.
//! - **Replacing.** Committing moves every staged file into place (each by a rename), then
//!   removes the files the slot's previous manifest lists that this result no longer has,
//!   then writes the new manifest. A file listed by another slot's manifest that this
//!   result overwrites changes owner. Files no manifest lists are never touched: `plot -o
//!   docs/images` keeps the other images there.
//! - **Concurrency.** Commits (and the creation and clean-up of staging folders) hold an
//!   exclusive lock on `.chokepoint.lock` in the directory, so two commands writing one
//!   directory at once end with the complete result of the one that committed last, never
//!   a mixture. The lock is the operating system's (`flock`): it goes when its holder dies.
//! - **Clean-up.** A staging folder is removed when its command fails or is interrupted.
//!   Each holds a lock of its own while its command lives; one whose lock can be taken
//!   was left by a killed command (SIGKILL) and is removed by the next command that
//!   writes into the directory.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::failure::Failure;
use crate::output::OutputFile;

/// The lock taken to commit into a directory.
pub const LOCK_FILE: &str = ".chokepoint.lock";
/// Prefix of staging folders (`.chokepoint-staging-<pid>-<n>`).
const STAGING_PREFIX: &str = ".chokepoint-staging-";
/// The lock a staging folder's owner holds while it lives.
const STAGING_LOCK: &str = ".owner.lock";
/// Folder inside a staging folder for working files that are not part of the result.
const SCRATCH: &str = ".scratch";

/// Staging folders made by this process, for unique names.
static SERIAL: AtomicU32 = AtomicU32::new(0);

/// What a command writes into a directory (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A run's or a sweep's result files (`run`, `sweep`, `merge`).
    Result,
    /// `rank`.
    Rank,
    /// `plot`.
    Plot,
    /// `report`.
    Report,
    /// `backtest`.
    Backtest,
    /// `calibrate`.
    Calibrate,
    /// One shard of a sweep: index and count.
    Shard(u32, u32),
    /// One shard of a ranking: index and count.
    RankShard(u32, u32),
}

impl Slot {
    fn name(&self) -> String {
        match self {
            Slot::Result => "result".into(),
            Slot::Rank => "rank".into(),
            Slot::Plot => "plot".into(),
            Slot::Report => "report".into(),
            Slot::Backtest => "backtest".into(),
            Slot::Calibrate => "calibrate".into(),
            Slot::Shard(index, count) => format!("shard-{index:04}-of-{count:04}"),
            Slot::RankShard(index, count) => format!("rank-shard-{index:04}-of-{count:04}"),
        }
    }

    fn manifest(&self) -> String {
        format!(".chokepoint-{}.manifest", self.name())
    }
}

/// A result being built for a directory. Dropped without [`Staged::commit`], it leaves the
/// directory as it was.
pub struct Staged {
    directory: PathBuf,
    /// Where the files are written: the staging folder.
    root: PathBuf,
    slot: Slot,
    /// The staging folder's owner lock; `None` once committed.
    owner: Option<File>,
    /// The outermost folder `begin` created (the directory or one of its parents), removed
    /// again when the command fails before anything else is written there.
    created: Option<PathBuf>,
}

impl Staged {
    /// Starts a result for `directory` (created if missing): cleans staging folders left by
    /// killed commands and makes a private one.
    pub fn begin(directory: &Path, slot: Slot) -> Result<Staged, Failure> {
        if directory.components().any(|c| c.as_os_str().to_string_lossy().starts_with(STAGING_PREFIX)) {
            return Err(Failure::new(
                format!("'{}' is inside another command's staging folder", directory.display()),
                "write the result elsewhere with -o DIR; staging folders are removed when their command ends",
            ));
        }
        let created = directory.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).last();
        let created = created.map(Path::to_path_buf);
        crate::output::create_directory(directory)?;
        let lock = lock_directory(directory)?;
        clean_stale(directory);
        // The process id alone is not unique across machines (every pod's process is 1):
        // the clock's nanoseconds and a retry make the name unique in a shared folder.
        let mut root = PathBuf::new();
        let owner = (|| -> std::io::Result<File> {
            for _ in 0..100 {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                root = directory.join(format!(
                    "{STAGING_PREFIX}{}-{}-{nanos:08x}",
                    std::process::id(),
                    SERIAL.fetch_add(1, Ordering::Relaxed)
                ));
                match std::fs::create_dir(&root) {
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    other => other?,
                }
                break;
            }
            let owner = File::create(root.join(STAGING_LOCK))?;
            match owner.lock() {
                // Without locks, the folder cannot be told from a dead command's, and no
                // other command removes it (see `clean_stale`).
                Err(error) if !locks_unsupported(&error) => Err(error),
                _ => Ok(owner),
            }
        })()
        .map_err(|error| cannot_write(directory, error))?;
        drop(lock);
        Ok(Staged { directory: directory.to_path_buf(), root, slot, owner: Some(owner), created })
    }

    /// The folder to write the result's files into.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A path for a working file that is not part of the result (removed with the staging
    /// folder).
    pub fn scratch(&self, name: &str) -> Result<PathBuf, Failure> {
        let dir = self.root.join(SCRATCH);
        std::fs::create_dir_all(&dir).map_err(|error| cannot_write(&self.directory, error))?;
        Ok(dir.join(name))
    }

    /// Writes `files` into the result (names may hold subfolders, such as `charts/a.svg`).
    pub fn write(&self, files: &[OutputFile]) -> Result<(), Failure> {
        for file in files {
            if !plain_relative(&file.name) {
                return Err(Failure::new(
                    format!(
                        "refusing to write '{}': an output file name must stay inside its directory",
                        file.name
                    ),
                    "an id in the results holds '/' or '..'; check the result files given to this command",
                ));
            }
            let path = self.root.join(&file.name);
            let written = (|| -> std::io::Result<()> {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, &file.contents)
            })();
            written.map_err(|error| {
                Failure::new(
                    format!("cannot write {} in '{}': {error}", file.name, self.directory.display()),
                    "check the disk space and permissions of the output directory",
                )
            })?;
        }
        Ok(())
    }

    /// Moves the result into place, replacing the slot's earlier result (see the module
    /// documentation). Refused, leaving the directory as it was, once an interrupt has
    /// been asked for. Returns the files written, relative to the directory.
    pub fn commit(mut self) -> Result<Vec<String>, Failure> {
        crate::signals::check()?;
        let lock = lock_directory(&self.directory)?;
        let mut files = Vec::new();
        list_files(&self.root, &self.root, &mut files)
            .map_err(|error| cannot_write(&self.directory, error))?;
        // summary.json last: a result whose move into place was cut short lacks it, so no
        // reader takes the mixture for a result.
        files.sort_by_key(|name| (name.ends_with("summary.json"), name.clone()));
        for name in &files {
            if let Some(problem) = blocked_target(&self.directory, name) {
                return Err(Failure::new(
                    format!("cannot move {name} into place in '{}': {problem}", self.directory.display()),
                    "remove or rename what is in the way, or write elsewhere with -o DIR; nothing was changed",
                ));
            }
        }
        let _committing = crate::signals::Committing::start();
        let moved = (|| -> std::io::Result<()> {
            for name in &files {
                let target = self.directory.join(name);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(self.root.join(name), target)?;
            }
            Ok(())
        })();
        moved.map_err(|error| {
            Failure::new(
                format!("cannot move the results into place in '{}': {error}", self.directory.display()),
                "check the permissions of the output directory; files already moved are complete",
            )
        })?;
        let written: BTreeSet<&str> = files.iter().map(String::as_str).collect();
        for stale in read_manifest(&self.directory.join(self.slot.manifest())) {
            if !written.contains(stale.as_str()) {
                remove_with_empty_parents(&self.directory, &stale);
            }
        }
        disown_elsewhere(&self.directory, &self.slot, &written);
        write_manifest(&self.directory.join(self.slot.manifest()), &files)
            .map_err(|error| cannot_write(&self.directory, error))?;
        self.owner = None;
        let _ = std::fs::remove_dir_all(&self.root);
        drop(lock);
        Ok(files)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.owner.take().is_none() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.root);
        // A directory made for this result and holding nothing else: remove it again, so a
        // failed command leaves no trace.
        let Some(created) = &self.created else { return };
        // Under the directory's lock, so no other command is starting in it meanwhile.
        let Ok(_lock) = lock_directory(&self.directory) else { return };
        let only_lock = std::fs::read_dir(&self.directory)
            .map(|entries| entries.flatten().all(|e| e.file_name() == LOCK_FILE))
            .unwrap_or(false);
        if only_lock && std::fs::remove_file(self.directory.join(LOCK_FILE)).is_ok() {
            for dir in self.directory.ancestors() {
                if std::fs::remove_dir(dir).is_err() || dir == created.as_path() {
                    break;
                }
            }
        }
    }
}

fn cannot_write(directory: &Path, error: std::io::Error) -> Failure {
    Failure::new(
        format!("cannot write into '{}': {error}", directory.display()),
        "check the disk space and permissions of the output directory, or choose another with -o DIR",
    )
}

/// Takes the directory's lock, waiting for another command's commit to end. On a file
/// system without locks (some network mounts) it goes on unlocked, with a warning.
fn lock_directory(directory: &Path) -> Result<File, Failure> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(directory.join(LOCK_FILE))
        .map_err(|error| cannot_write(directory, error))?;
    match file.lock() {
        Ok(()) => Ok(file),
        Err(error) if locks_unsupported(&error) => {
            eprintln!(
                "warning: cannot lock '{}' ({error}): two commands writing there at once could mix their files",
                directory.display()
            );
            Ok(file)
        }
        Err(error) => Err(cannot_write(directory, error)),
    }
}

/// Whether `error` says the file system has no locks (rather than that locking failed).
fn locks_unsupported(error: &std::io::Error) -> bool {
    // ENOLCK (37 on Linux): an NFS mount without a lock manager.
    error.kind() == std::io::ErrorKind::Unsupported || error.raw_os_error() == Some(37)
}

/// Removes the staging folders whose owner is gone (their lock can be taken). Called with
/// the directory's lock held, so no folder is removed while another command makes it.
fn clean_stale(directory: &Path) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        let stale = if name.starts_with(STAGING_PREFIX) {
            match File::options().read(true).write(true).open(path.join(STAGING_LOCK)) {
                // Free: its owner died. Busy: a live command's.
                Ok(lock) => lock.try_lock().is_ok(),
                // No lock file: its owner died while making it (folders are made under the
                // directory's lock). Any other error: leave it.
                Err(error) => error.kind() == std::io::ErrorKind::NotFound,
            }
        } else {
            // Temporary files of chokepoint 0.1 before staging folders (`.kpis.csv.0.123.tmp`).
            name.starts_with('.')
                && name.ends_with(".tmp")
                && name.split('.').any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                && (name.starts_with(".kpis.csv.")
                    || name.starts_with(".series.csv.")
                    || name.starts_with(".summary.json.")
                    || name.starts_with(".events.csv.")
                    || name.starts_with(".bands.csv."))
        };
        if stale {
            let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        }
    }
}

/// Every file under `dir` (but the owner lock and scratch folder), relative to `root`.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        let name = entry.file_name();
        if relative == STAGING_LOCK
            || relative == SCRATCH
            || name.to_string_lossy().starts_with(".chokepoint")
        {
            continue;
        }
        if entry.file_type()?.is_dir() {
            list_files(root, &path, out)?;
        } else {
            out.push(relative);
        }
    }
    Ok(())
}

/// Whether `name` is a plain relative path (no `..`, not absolute, not empty).
fn plain_relative(name: &str) -> bool {
    !name.is_empty() && Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

/// What would stop `name` from being moved into `directory`: a directory in its place, or
/// a symbolic link among its folders (a commit never writes or deletes through a link).
fn blocked_target(directory: &Path, name: &str) -> Option<String> {
    let mut path = directory.to_path_buf();
    let components: Vec<Component<'_>> = Path::new(name).components().collect();
    for (i, component) in components.iter().enumerate() {
        path.push(component.as_os_str());
        let Ok(metadata) = std::fs::symlink_metadata(&path) else { return None };
        let last = i + 1 == components.len();
        if metadata.file_type().is_symlink() {
            return Some(format!("'{}' is a symbolic link", path.display()));
        }
        if last && metadata.is_dir() {
            return Some(format!("'{}' is a directory", path.display()));
        }
    }
    None
}

/// The relative paths a manifest lists: only plain relative paths (no `..`, not absolute),
/// so a damaged manifest cannot reach outside its directory.
fn read_manifest(path: &Path) -> Vec<String> {
    let Ok(bytes) = chokepoint::report::files::read_bounded(path, 64 << 20) else { return Vec::new() };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| Path::new(line).components().all(|c| matches!(c, Component::Normal(_))))
        .map(str::to_owned)
        .collect()
}

fn write_manifest(path: &Path, files: &[String]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("manifest.{}.tmp", std::process::id()));
    let mut text = format!(
        "# Files chokepoint {} wrote here last; the next result of the same command replaces them.\n",
        env!("CARGO_PKG_VERSION")
    );
    for file in files {
        text.push_str(file);
        text.push('\n');
    }
    let mut out = File::create(&temporary)?;
    out.write_all(text.as_bytes())?;
    drop(out);
    std::fs::rename(&temporary, path)
}

/// Removes `name` from the directory, and the folders it leaves empty.
fn remove_with_empty_parents(directory: &Path, name: &str) {
    if blocked_target(directory, name).is_some() {
        return;
    }
    let path = directory.join(name);
    if std::fs::remove_file(&path).is_err() {
        return;
    }
    let mut parent = path.parent();
    while let Some(dir) = parent {
        if dir == directory || std::fs::remove_dir(dir).is_err() {
            break;
        }
        parent = dir.parent();
    }
}

/// Drops the files of `written` from the other slots' manifests: they belong to this
/// result now.
fn disown_elsewhere(directory: &Path, slot: &Slot, written: &BTreeSet<&str>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    let own = slot.manifest();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == own || !name.starts_with(".chokepoint-") || !name.ends_with(".manifest") {
            continue;
        }
        let listed = read_manifest(&entry.path());
        if listed.iter().any(|f| written.contains(f.as_str())) {
            let kept: Vec<String> = listed.into_iter().filter(|f| !written.contains(f.as_str())).collect();
            let _ = write_manifest(&entry.path(), &kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_cannot_name_files_outside_its_directory() {
        let dir = std::env::temp_dir().join(format!("chokepoint-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(".chokepoint-result.manifest");
        std::fs::write(
            &path,
            "# header\nseries.csv\n../outside.txt\n/etc/passwd\ncharts/../x\ncharts/a.svg\n\n",
        )
        .expect("write");
        assert_eq!(read_manifest(&path), vec!["series.csv".to_owned(), "charts/a.svg".to_owned()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn slots_name_their_manifests() {
        assert_eq!(Slot::Result.manifest(), ".chokepoint-result.manifest");
        assert_eq!(Slot::Shard(3, 16).manifest(), ".chokepoint-shard-0003-of-0016.manifest");
        assert_eq!(Slot::RankShard(3, 16).manifest(), ".chokepoint-rank-shard-0003-of-0016.manifest");
    }
}
