//! Shard files (parts): what a shard of a sweep or of a ranking writes and a merge reads.
//!
//! A shard file is text: a magic line that says whose shard it is, one line of JSON (the
//! batch's description and the shard's results), the shard's rows, and an end line written
//! last:
//!
//! ```text
//! chokepoint-shard 2
//! {"info":…,"aggregate":…}
//! 0,0,20250404,us_auto,…
//! …
//! chokepoint-shard-end rows=1300 bytes=187342 fnv1a64=6c62272e07bb0142
//! ```
//!
//! A sweep's shard (`chokepoint-shard 2`) carries its summaries in the header and its
//! `kpis.csv` rows after it. A ranking's shard (`chokepoint-rank-shard 1`) carries its
//! description and every (candidate, run, buyer) impact in the header and has no rows.
//!
//! `rows` counts the rows (lines), `bytes` their bytes, and the checksum (64-bit FNV-1a)
//! covers every byte before the end line, the header included. `merge` refuses a file
//! without its end line (cut short or half written), with bytes after it (padded), whose
//! checksum or byte count does not match (changed or damaged), or whose row count is not
//! what its header accounts for (runs × entities for a sweep, none for a ranking), each
//! with the file and line.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chokepoint_montecarlo::{Aggregate, Shard};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::rank::RankHeader;
use crate::sweep_files::SweepInfo;

/// First line of a sweep's shard file.
const SWEEP_MAGIC: &str = "chokepoint-shard 2";
/// First line of a ranking's shard file.
const RANK_MAGIC: &str = "chokepoint-rank-shard 1";
/// What the first line of a shard file of any version starts with.
const MAGIC_PREFIXES: [&str; 2] = ["chokepoint-shard ", "chokepoint-rank-shard "];
/// Start of the end line.
const END: &str = "chokepoint-shard-end ";

/// The JSON line that opens a sweep's shard file.
#[derive(Serialize, Deserialize)]
pub struct SweepHeader {
    /// What the sweep was of.
    pub info: SweepInfo,
    /// The shard's summaries.
    pub aggregate: Aggregate,
}

/// The JSON line that opens a shard file, by whose shard it is (the magic line says).
pub enum Header {
    /// A sweep's shard: its kpis rows follow.
    Sweep(Box<SweepHeader>),
    /// A ranking's shard: no rows follow.
    Rank(Box<RankHeader>),
}

impl Header {
    fn magic(&self) -> &'static str {
        match self {
            Header::Sweep(_) => SWEEP_MAGIC,
            Header::Rank(_) => RANK_MAGIC,
        }
    }

    fn version(&self) -> &str {
        match self {
            Header::Sweep(h) => &h.info.version,
            Header::Rank(h) => &h.info.version,
        }
    }
}

/// `shard-0003-of-0008.part`.
pub fn part_name(shard: Shard) -> String {
    format!("shard-{:04}-of-{:04}.part", shard.index, shard.count)
}

/// `rank-shard-0003-of-0008.part`.
pub fn rank_part_name(shard: Shard) -> String {
    format!("rank-{}", part_name(shard))
}

/// 64-bit FNV-1a, fed as bytes pass.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Fnv,
    bytes: u64,
    lines: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The rows a shard's header accounts for: none for a ranking; for a sweep, runs ×
/// entities with KPIs, per point, or `None` when a setting's text holds a line break (a row
/// is then more than one line).
fn expected_rows(header: &Header) -> Option<u64> {
    let Header::Sweep(sweep) = header else { return Some(0) };
    let (info, aggregate) = (&sweep.info, &sweep.aggregate);
    if info.points.iter().flatten().any(|(key, value)| key.contains('\n') || value.contains('\n')) {
        return None;
    }
    Some(
        aggregate
            .points
            .iter()
            .map(|p| {
                let entities = p
                    .layout
                    .as_ref()
                    .map_or(0, |l| l.entities.iter().filter(|e| e.kind != "stockpile").count());
                p.runs * entities as u64
            })
            .sum(),
    )
}

/// Writes a shard file at `path`: the magic line, the header, the rows of `rows_path`
/// (none without), and the end line.
pub fn write_part(path: &Path, header: &Header, rows_path: Option<&Path>) -> Result<(), Error> {
    let result = (|| -> std::io::Result<()> {
        let mut out =
            Hashing { inner: BufWriter::new(File::create(path)?), hash: Fnv::new(), bytes: 0, lines: 0 };
        writeln!(out, "{}", header.magic())?;
        match header {
            Header::Sweep(sweep) => serde_json::to_writer(&mut out, sweep)?,
            Header::Rank(rank) => serde_json::to_writer(&mut out, rank)?,
        }
        out.write_all(b"\n")?;
        let (before, lines_before) = (out.bytes, out.lines);
        if let Some(rows_path) = rows_path {
            std::io::copy(&mut File::open(rows_path)?, &mut out)?;
        }
        let (body, rows) = (out.bytes - before, out.lines - lines_before);
        let hash = out.hash.0;
        let mut out = out.inner;
        writeln!(out, "{END}rows={rows} bytes={body} fnv1a64={hash:016x}")?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    result.map_err(|error| {
        Error::new(
            format!("cannot write {}: {error}", path.display()),
            "check the disk space and permissions of the output directory",
        )
    })
}

/// Longest header line read (the shard's summaries or impacts).
const MAX_HEADER_BYTES: u64 = 4 << 30;
/// Longest kpis row read.
const MAX_ROW_BYTES: u64 = 1 << 20;

/// A shard file checked whole, ready to merge: its rows, to be copied (its header is
/// returned beside it by [`read_part`]).
pub struct Part {
    path: PathBuf,
    /// The file as opened and checked (not reopened by path, which could name another file
    /// by the time the rows are copied).
    file: File,
    rows_offset: u64,
    rows_bytes: u64,
    /// FNV-1a of the rows alone, to check them again as they are copied.
    rows_hash: u64,
}

impl Part {
    /// The file, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the shard's kpis rows to `out`, checking them against what was verified.
    pub fn copy_rows(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(self.rows_offset))?;
        let mut hashing = Hashing { inner: out, hash: Fnv::new(), bytes: 0, lines: 0 };
        let copied = std::io::copy(&mut file.take(self.rows_bytes), &mut hashing)?;
        if copied != self.rows_bytes || hashing.hash.0 != self.rows_hash {
            return Err(std::io::Error::other(format!(
                "{} changed while it was merged",
                self.path.display()
            )));
        }
        Ok(())
    }
}

/// The end line's fields.
struct End {
    rows: u64,
    bytes: u64,
    hash: u64,
}

fn parse_end(line: &str) -> Option<End> {
    let fields = line.strip_prefix(END)?.strip_suffix('\n')?;
    let mut parts = fields.split(' ');
    let rows = parts.next()?.strip_prefix("rows=")?.parse().ok()?;
    let bytes = parts.next()?.strip_prefix("bytes=")?.parse().ok()?;
    let hash = u64::from_str_radix(parts.next()?.strip_prefix("fnv1a64=")?, 16).ok()?;
    parts.next().is_none().then_some(End { rows, bytes, hash })
}

/// Opens a shard file and checks it whole (see the module documentation).
pub fn read_part(path: &Path) -> Result<(Header, Part), Error> {
    let hint = "write that shard again (the same chokepoint sweep or chokepoint rank command with --shard I/N) \
                and merge again";
    let bad = |why: String| {
        Error::new(
            format!(
                "{} is not a shard file of chokepoint {}: {why}",
                path.display(),
                env!("CARGO_PKG_VERSION")
            ),
            "give the shard-*.part files written by chokepoint sweep --shard I/N, or the rank-shard-*.part \
             files written by chokepoint rank --shard I/N",
        )
    };
    let damaged = |line: u64, why: String| Error::new(format!("{}:{line}: {why}", path.display()), hint);
    let file = chokepoint_report::files::open_regular(path).map_err(bad)?;
    let kept = file.try_clone().map_err(|e| bad(e.to_string()))?;
    let mut reader = BufReader::new(file);
    let mut hash = Fnv::new();
    let mut magic = Vec::new();
    (&mut reader).take(64).read_until(b'\n', &mut magic).map_err(|e| bad(e.to_string()))?;
    let rank = if magic == format!("{SWEEP_MAGIC}\n").as_bytes() {
        false
    } else if magic == format!("{RANK_MAGIC}\n").as_bytes() {
        true
    } else {
        let older = MAGIC_PREFIXES.iter().any(|prefix| magic.starts_with(prefix.as_bytes()));
        return Err(bad(if older {
            "it was written by another version of chokepoint".to_owned()
        } else {
            "its first line is not the shard header".to_owned()
        }));
    };
    hash.update(&magic);
    let mut line = Vec::new();
    (&mut reader).take(MAX_HEADER_BYTES).read_until(b'\n', &mut line).map_err(|e| bad(e.to_string()))?;
    if line.last() != Some(&b'\n') {
        return Err(damaged(2, "its header is cut short or damaged (no end of line)".to_owned()));
    }
    hash.update(&line);
    let header_damaged = |e: serde_json::Error| damaged(2, format!("its header is damaged ({e})"));
    let header = if rank {
        Header::Rank(Box::new(serde_json::from_slice(&line).map_err(header_damaged)?))
    } else {
        Header::Sweep(Box::new(serde_json::from_slice(&line).map_err(header_damaged)?))
    };
    if header.version() != env!("CARGO_PKG_VERSION") {
        return Err(bad(format!("it was written by version {}", header.version())));
    }
    let rows_offset = (magic.len() + line.len()) as u64;
    let (mut rows_bytes, mut rows_lines, mut number) = (0u64, 0u64, 2u64);
    let mut rows_hash = Fnv::new();
    let end = loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_ROW_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| damaged(number + 1, e.to_string()))?;
        if n == 0 {
            return Err(damaged(
                number,
                "the file is cut short: it ends without its end line (the shard was not written to its end, \
                 or was truncated)"
                    .to_owned(),
            ));
        }
        number += 1;
        if line.starts_with(END.as_bytes()) {
            let text = String::from_utf8_lossy(&line);
            break parse_end(&text).ok_or_else(|| damaged(number, "its end line is damaged".to_owned()))?;
        }
        if line.last() != Some(&b'\n') {
            return Err(damaged(
                number,
                "the file is cut short in the middle of a row, without its end line".to_owned(),
            ));
        }
        hash.update(&line);
        rows_hash.update(&line);
        rows_bytes += line.len() as u64;
        rows_lines += 1;
    };
    let mut after = [0u8; 1];
    let extra = reader.read(&mut after).map_err(|e| damaged(number, e.to_string()))?;
    if extra > 0 {
        return Err(damaged(
            number + 1,
            "there are bytes after the end line (the file was padded or appended to)".to_owned(),
        ));
    }
    if end.bytes != rows_bytes || end.hash != hash.0 {
        return Err(damaged(
            number,
            format!(
                "its rows do not match its checksum ({} bytes read, {} written): the file was changed or \
                 damaged after it was written",
                rows_bytes, end.bytes
            ),
        ));
    }
    if end.rows != rows_lines {
        return Err(damaged(
            number,
            format!("its end line counts {} rows, but it holds {rows_lines}", end.rows),
        ));
    }
    if let Some(expected) = expected_rows(&header)
        && expected != rows_lines
    {
        return Err(damaged(
            number,
            match header {
                Header::Sweep(_) => format!(
                    "it holds {rows_lines} kpis rows, but its summaries account for {expected} (runs × entities)"
                ),
                Header::Rank(_) => format!("it holds {rows_lines} rows, but a ranking's shard has none"),
            },
        ));
    }
    if let Header::Rank(rank) = &header
        && let Err(why) = rank.check()
    {
        return Err(damaged(2, format!("its header does not hold together ({why})")));
    }
    let part = Part { path: path.to_path_buf(), file: kept, rows_offset, rows_bytes, rows_hash: rows_hash.0 };
    Ok((header, part))
}
