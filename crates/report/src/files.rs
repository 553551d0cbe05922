//! Reading files with bounds: only regular files (a FIFO would hang, `/dev/zero` never
//! ends), and never more than a cap plus one byte, so an oversized input is refused before
//! it fills memory.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest result file (`series.csv`, `bands.csv`, …) read back by `plot` and `report`.
pub const MAX_RESULT_BYTES: u64 = 4 << 30;

/// Largest `docs/sources.md` a report reads.
pub const MAX_SOURCES_BYTES: u64 = 16 << 20;

/// The absolute form of `path` (as the operating system would resolve it from here),
/// for messages: which file was tried.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Opens `path` for reading when it is a regular file (following symbolic links).
pub fn open_regular(path: &Path) -> Result<std::fs::File, String> {
    let metadata = std::fs::metadata(path).map_err(|error| error.to_string())?;
    if metadata.is_dir() {
        return Err("it is a directory".to_owned());
    }
    if !metadata.is_file() {
        return Err("it is not a regular file (a device, FIFO or socket)".to_owned());
    }
    std::fs::File::open(path).map_err(|error| error.to_string())
}

/// The bytes of the regular file `path`, refused when it holds more than `cap` bytes
/// (at most `cap + 1` are read).
pub fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|error| error.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("it is larger than the limit of {} bytes", group_digits(cap)));
    }
    Ok(bytes)
}

/// Reads a scenario or world file for the loader: its text, or why it cannot be read
/// (with the absolute path that was tried).
pub fn read_scenario(path: &Path) -> Result<String, String> {
    let tried = || format!("tried {}", absolute(path).display());
    let bytes = read_bounded(path, chokepoint_scenario::MAX_FILE_BYTES as u64)
        .map_err(|why| format!("{why} ({})", tried()))?;
    String::from_utf8(bytes).map_err(|_| format!("it is not a text file (not valid UTF-8) ({})", tried()))
}

/// `16777216` as `16,777,216`.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_by_thousands() {
        assert_eq!(group_digits(16_777_216), "16,777,216");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
    }

    #[test]
    fn devices_are_refused_without_reading() {
        let why = read_bounded(Path::new("/dev/zero"), 16).expect_err("a device is refused");
        assert!(why.contains("not a regular file"), "{why}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let dir = std::env::temp_dir().join(format!("chokepoint-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("big.txt");
        std::fs::write(&path, b"0123456789").expect("write");
        assert_eq!(read_bounded(&path, 10).expect("exactly the cap"), b"0123456789");
        let why = read_bounded(&path, 9).expect_err("over the cap");
        assert!(why.contains("larger than the limit of 9 bytes"), "{why}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
