//! Fetching a dataset from a (signed) URL and PUTting artifacts to signed
//! upload URLs, with a few retries for passing network trouble.

use crate::error::{Result, TrainerError};
use std::time::Duration;

fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| TrainerError::io("http client", e))
}

/// The message of a download refused for its size: final, not retried.
const TOO_LARGE: &str = "-byte limit";

fn with_retries<T>(what: &str, mut f: impl FnMut() -> std::result::Result<T, String>) -> Result<T> {
    let mut last = String::new();
    for attempt in 0..3 {
        match f() {
            Ok(v) => return Ok(v),
            // A body over its cap is as large the next time: no retry.
            Err(e) if e.contains(TOO_LARGE) => {
                return Err(TrainerError::Io(format!("{what}: {e}")));
            }
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(500 << attempt));
    }
    Err(TrainerError::Io(format!("{what}: {last}")))
}

/// The largest file a job downloads (a dataset, a parent adapter's weights).
pub const MAX_DOWNLOAD_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// The largest spec `run --spec URL` reads.
pub const MAX_SPEC_BYTES: u64 = 4 * 1024 * 1024;

/// One GET of `url` into `sink`, stopping past `max_bytes`: a larger answer
/// than promised is never held or written whole.
fn fetch(
    c: &reqwest::blocking::Client,
    url: &str,
    max_bytes: u64,
    sink: &mut dyn std::io::Write,
) -> std::result::Result<u64, String> {
    use std::io::Read;
    let mut r = c.get(url).send().map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("the server answered {}", r.status()));
    }
    let too_large = || format!("it is larger than the {max_bytes}{TOO_LARGE}");
    if r.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if total > max_bytes {
            return Err(too_large());
        }
        sink.write_all(&buf[..n]).map_err(|e| e.to_string())?;
    }
}

/// `url`'s body, at most `max_bytes` of it (a spec).
pub fn get(url: &str, max_bytes: u64) -> Result<Vec<u8>> {
    let c = client()?;
    with_retries("downloading the spec", || {
        let mut body = Vec::new();
        fetch(&c, url, max_bytes, &mut body)?;
        Ok(body)
    })
}

/// Streams `url` into `path` (through `path.part`, renamed when complete),
/// refusing more than `max_bytes`.
pub fn download(what: &str, url: &str, path: &std::path::Path, max_bytes: u64) -> Result<u64> {
    let c = client()?;
    let part = path.with_extension("part");
    let result = with_retries(&format!("downloading {what}"), || {
        let mut file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
        let total = fetch(&c, url, max_bytes, &mut file)?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&part, path).map_err(|e| e.to_string())?;
        Ok(total)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

pub fn put(url: &str, body: Vec<u8>) -> Result<()> {
    let c = client()?;
    with_retries("uploading an artifact", || {
        let r = c
            .put(url)
            .body(body.clone())
            .send()
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("the server answered {}", r.status()));
        }
        Ok(())
    })
}

/// Streams the file at `path` to `url` (PUT), with its length.
pub fn put_file(url: &str, path: &std::path::Path) -> Result<()> {
    let c = client()?;
    with_retries("uploading an exported file", || {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let r = c
            .put(url)
            .timeout(Duration::from_secs(6 * 3600))
            .body(reqwest::blocking::Body::sized(file, len))
            .send()
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("the server answered {}", r.status()));
        }
        Ok(())
    })
}
