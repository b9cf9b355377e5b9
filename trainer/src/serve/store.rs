//! The job table's files: atomic rewrites, appended lines, and reading a log
//! from an offset.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The most one `GET /logs` returns; the caller pages on with `next_offset`.
pub const LOG_CHUNK: usize = 256 * 1024;

/// Writes `bytes` to `path` so that a reader (or a restart after a crash)
/// sees either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Appends one line (a newline is added) in a single write.
pub fn append_line(path: &Path, line: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    f.write_all(buf.as_bytes())
}

/// Up to [`LOG_CHUNK`] bytes of the file from `offset`, cut at a character
/// boundary, and the offset to ask for next. A missing file reads as empty.
pub fn read_from(path: &Path, offset: u64) -> io::Result<(String, u64)> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((String::new(), offset)),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    if offset >= len {
        return Ok((String::new(), offset.min(len)));
    }
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(LOG_CHUNK.min((len - offset) as usize));
    f.take(LOG_CHUNK as u64).read_to_end(&mut buf)?;
    // An offset the caller made up may land inside a character: skip to the next one.
    let start = buf
        .iter()
        .position(|b| (b & 0xC0) != 0x80)
        .unwrap_or(buf.len());
    // A chunk may end inside a character: leave that one for the next call.
    let end = match std::str::from_utf8(&buf[start..]) {
        Ok(_) => buf.len(),
        Err(e) if e.error_len().is_none() => start + e.valid_up_to(),
        Err(_) => buf.len(),
    };
    let text = String::from_utf8_lossy(&buf[start..end]).into_owned();
    Ok((text, offset + end as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_page_at_character_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.txt");
        append_line(&path, "héllo").unwrap();
        append_line(&path, "wörld").unwrap();
        let (text, next) = read_from(&path, 0).unwrap();
        assert_eq!(text, "héllo\nwörld\n");
        assert_eq!(next, fs::metadata(&path).unwrap().len());
        let (text, next2) = read_from(&path, next).unwrap();
        assert_eq!((text.as_str(), next2), ("", next));
        // Inside the two bytes of "é": starts at the next character.
        let (text, _) = read_from(&path, 2).unwrap();
        assert_eq!(text, "llo\nwörld\n");
        let (text, next) = read_from(&dir.path().join("none"), 5).unwrap();
        assert_eq!((text.as_str(), next), ("", 5));
    }

    #[test]
    fn atomic_writes_replace_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert!(!dir.path().join("job.tmp").exists());
    }
}
