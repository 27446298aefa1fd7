//! The file target: JSON lines, one record a line, each ending in `\n`.
//!
//! An append takes an exclusive lock on the file (`flock`, through `fs4`), reads the last
//! record from the end, removes a torn tail left by an interrupted writer (a last line with
//! no `\n`), writes the new lines with one `write` on a descriptor opened with `O_APPEND`,
//! `fsync`s, and unlocks. So writers in any number of processes make one chain, and a crash
//! leaves at most one torn line, which `verify` reports and the next append removes.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use super::{
    Appended, Canonical, Chain, MAX_RECORD_BYTES, Record, Tamper, TamperKind, read_record,
    record_line,
};
use crate::error::Error;

pub(super) struct FileLog {
    path: PathBuf,
}

fn io(name: &str, what: &str, e: std::io::Error) -> Error {
    Error::Io {
        path: name.to_string(),
        message: format!("{what}: {e}"),
    }
}

impl FileLog {
    /// An existing archive, or one that the first append will create: its folder must exist.
    /// Nothing is created here, so that reading a misspelt path is an error, not an empty
    /// archive that verifies.
    pub(super) fn open(path: &Path) -> Result<FileLog, Error> {
        let name = path.display().to_string();
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(io(
                    &name,
                    "cannot open the audit archive",
                    std::io::Error::other("it is a folder"),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let folder = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                match std::fs::metadata(folder) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        return Err(io(
                            &name,
                            "cannot create the audit archive",
                            std::io::Error::other(format!("{} is not a folder", folder.display())),
                        ));
                    }
                    Err(e) => {
                        return Err(io(
                            &name,
                            &format!("cannot create the audit archive in {}", folder.display()),
                            e,
                        ));
                    }
                }
            }
            Err(e) => return Err(io(&name, "cannot open the audit archive", e)),
        }
        Ok(FileLog {
            path: path.to_path_buf(),
        })
    }

    pub(super) fn append(
        &mut self,
        decisions: &[Canonical],
        at: &str,
        name: &str,
    ) -> Result<Appended, Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| io(name, "cannot open the audit archive", e))?;
        FileExt::lock_exclusive(&file).map_err(|e| io(name, "cannot lock the audit archive", e))?;
        // The lock is released when `file` is closed, also on an early return.
        let mut warnings = Vec::new();
        let tail =
            read_tail(&mut file).map_err(|e| io(name, "cannot read the audit archive", e))?;
        let (mut seq, mut prev) = match &tail.last {
            None => (0, None),
            Some(text) => {
                let record = read_record(text, 0, None).map_err(|t| Error::Io {
                    path: name.to_string(),
                    message: format!(
                        "the last record cannot be extended: {} (run `shipgate audit verify`)",
                        t.message
                    ),
                })?;
                (record.seq, Some(record.hash))
            }
        };
        if tail.torn > 0 {
            file.set_len(tail.complete)
                .and_then(|()| file.sync_data())
                .map_err(|e| io(name, "cannot remove the torn last line", e))?;
            warnings.push(format!(
                "{name}: removed a torn last line ({} bytes with no line end, the record seq {} \
                 an interrupted append left incomplete); every complete record is kept",
                tail.torn,
                seq + 1
            ));
        }
        let first_seq = seq + 1;
        let mut text = String::new();
        for decision in decisions {
            seq += 1;
            let (line, hash) = record_line(seq, at, &decision.text, prev.as_deref());
            text.push_str(&line);
            text.push('\n');
            prev = Some(hash);
        }
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| io(name, "cannot append to the audit archive", e))?;
        Ok(Appended {
            first_seq,
            last_seq: seq,
            hash: prev.unwrap_or_default(),
            warnings,
        })
    }

    pub(super) fn scan(
        &mut self,
        chain: &mut Chain,
        each: &mut dyn FnMut(Record) -> Result<(), Error>,
        name: &str,
    ) -> Result<Option<Tamper>, Error> {
        let file =
            File::open(&self.path).map_err(|e| io(name, "cannot open the audit archive", e))?;
        // A shared lock: a reader never sees an append half-written.
        // The trait's method, not std's (`File::lock_shared`, newer than the crate's MSRV).
        FileExt::lock_shared(&file).map_err(|e| io(name, "cannot lock the audit archive", e))?;
        let mut reader = BufReader::new(file);
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            line += 1;
            let n = (&mut reader)
                .take(MAX_RECORD_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| io(name, "cannot read the audit archive", e))?;
            if n == 0 {
                return Ok(None);
            }
            let bad = |kind, message: String| Tamper {
                seq: chain.next_seq(),
                line: Some(line),
                kind,
                message,
            };
            if buf.len() > MAX_RECORD_BYTES {
                return Ok(Some(bad(
                    TamperKind::Malformed,
                    format!("longer than {MAX_RECORD_BYTES} bytes"),
                )));
            }
            let Some(text) = buf.strip_suffix(b"\n") else {
                return Ok(Some(bad(
                    TamperKind::Torn,
                    format!(
                        "the last line is torn ({} bytes with no line end): an append was \
                         interrupted or the file was cut; the next append removes it",
                        buf.len()
                    ),
                )));
            };
            match chain.check(text, Some(line)) {
                Ok(record) => each(record)?,
                Err(t) => return Ok(Some(t)),
            }
        }
    }
}

/// The end of the file: its last complete line, and how many bytes follow it with no `\n`.
struct Tail {
    /// The length of the file up to and with the last `\n`.
    complete: u64,
    /// The bytes after it (a torn line).
    torn: u64,
    /// The last complete line, without its `\n`.
    last: Option<Vec<u8>>,
}

/// Reads the file backwards from its end, in blocks, up to the start of its last complete
/// line (at most [`MAX_RECORD_BYTES`] and a torn tail of the same bound).
fn read_tail(file: &mut File) -> std::io::Result<Tail> {
    const BLOCK: u64 = 64 * 1024;
    let len = file.seek(SeekFrom::End(0))?;
    let mut bytes: Vec<u8> = Vec::new(); // the file's bytes from `start` to its end
    let mut start = len;
    let limit = 2 * (MAX_RECORD_BYTES as u64 + 1);
    loop {
        // Newlines in `bytes`, other than a final one, delimit what we need.
        let complete = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(i) => Some(start + i as u64 + 1),
            None if start == 0 => Some(0),
            None => None,
        };
        if let Some(complete) = complete {
            let body = &bytes[..(complete - start) as usize];
            let body = body.strip_suffix(b"\n").unwrap_or(body);
            let line_start = match body.iter().rposition(|&b| b == b'\n') {
                Some(i) => Some(i + 1),
                None if start == 0 => Some(0),
                None => None,
            };
            if let Some(line_start) = line_start {
                let last = (complete > 0).then(|| body[line_start..].to_vec());
                return Ok(Tail {
                    complete,
                    torn: len - complete,
                    last,
                });
            }
        }
        if len - start >= limit {
            return Err(std::io::Error::other(format!(
                "its last record is longer than {MAX_RECORD_BYTES} bytes"
            )));
        }
        let step = BLOCK.min(start);
        start -= step;
        let mut block = vec![0; step as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&bytes);
        bytes = block;
    }
}
