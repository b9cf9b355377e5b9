//! The Hugging Face Hub's plain HTTP API, as much as a download needs: the
//! file list of a revision (`/api/models/{id}/tree/{revision}`, with LFS
//! SHA-256s), small files read whole, and large ones streamed to disk with
//! `Range` so a cut-off download resumes where it stopped. Each file is
//! checked against the Hub's size and hash before it is kept.

use brightrun::base_models::{HubFile, HubRef};
use futures::StreamExt;
use sha1::Digest as _;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Why a Hub request failed, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error(
        "the Hub refused access to {0}: it is gated or private; add an access token (huggingface.co/settings/tokens) of an account that has accepted the model's licence"
    )]
    Gated(String),
    #[error("the Hub has no model {0} at revision {1}")]
    NotFound(String, String),
    #[error("the Hub could not be reached or answered badly: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("writing the download failed: {0}")]
    Disk(String),
}

#[derive(Clone)]
pub struct Hub {
    http: reqwest::Client,
    base: String,
}

#[derive(serde::Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    lfs: Option<Lfs>,
}

#[derive(serde::Deserialize)]
struct Lfs {
    oid: String,
    size: u64,
}

/// The file list is small; anything larger than this is not a Hub answer.
const MAX_LIST_BYTES: usize = 8 << 20;

impl Hub {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent("brightrun")
            .build()
            .expect("a client with these settings builds");
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn get(&self, url: String, token: Option<&str>) -> reqwest::RequestBuilder {
        let req = self.http.get(url);
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send(
        &self,
        r: &HubRef,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HubError> {
        let res = req
            .send()
            .await
            .map_err(|e| HubError::Unavailable(without_url(e)))?;
        match res.status().as_u16() {
            200..=299 => Ok(res),
            401 | 403 => Err(HubError::Gated(r.id.clone())),
            404 => Err(HubError::NotFound(r.id.clone(), r.revision.clone())),
            s => Err(HubError::Unavailable(format!("HTTP {s}"))),
        }
    }

    /// Every file of the revision, with sizes and hashes.
    pub async fn files(&self, r: &HubRef, token: Option<&str>) -> Result<Vec<HubFile>, HubError> {
        let url = format!(
            "{}/api/models/{}/tree/{}?recursive=true",
            self.base, r.id, r.revision
        );
        let res = self.send(r, self.get(url, token)).await?;
        let body = read_capped(res, MAX_LIST_BYTES).await?;
        let entries: Vec<TreeEntry> = serde_json::from_slice(&body)
            .map_err(|e| HubError::Unavailable(format!("the file list is not the Hub's: {e}")))?;
        Ok(entries
            .into_iter()
            .filter(|e| e.kind == "file")
            .map(|e| HubFile {
                size: e.lfs.as_ref().map_or(e.size, |l| l.size),
                sha256: e.lfs.map(|l| l.oid.to_ascii_lowercase()),
                oid: e.oid,
                path: e.path,
            })
            .collect())
    }

    fn resolve_url(&self, r: &HubRef, path: &str) -> String {
        format!("{}/{}/resolve/{}/{}", self.base, r.id, r.revision, path)
    }

    /// A small file (config.json) read whole and checked.
    pub async fn read(
        &self,
        r: &HubRef,
        file: &HubFile,
        token: Option<&str>,
    ) -> Result<Vec<u8>, HubError> {
        let res = self
            .send(r, self.get(self.resolve_url(r, &file.path), token))
            .await?;
        let body = read_capped(res, file.size as usize).await?;
        let mut check = Check::new(file);
        check.update(&body);
        check.finish(file, body.len() as u64)?;
        Ok(body)
    }

    /// Streams `file` to `part`, resuming from what `part` already holds;
    /// `progress` gets the bytes of the file held so far. When it returns Ok the file is
    /// whole and matches the Hub's size and hash.
    pub async fn download(
        &self,
        r: &HubRef,
        file: &HubFile,
        token: Option<&str>,
        part: &Path,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(), HubError> {
        let disk = |e: std::io::Error| HubError::Disk(e.to_string());
        let mut check = Check::new(file);
        let mut have = resume_from(part, file.size, &mut check)
            .await
            .map_err(disk)?;
        let mut req = self.get(self.resolve_url(r, &file.path), token);
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let res = self.send(r, req).await?;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(have > 0 && res.status() == 206)
            .write(true)
            .truncate(!(have > 0 && res.status() == 206))
            .open(part)
            .await
            .map_err(disk)?;
        if res.status() != 206 && have > 0 {
            // The server sent the whole file: start the hash and count again.
            check = Check::new(file);
            have = 0;
        }
        progress(have);
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    // A tokio file finishes its last write in the background:
                    // wait for it, so the next attempt resumes from all of it.
                    out.flush().await.map_err(disk)?;
                    return Err(HubError::Unavailable(without_url(e)));
                }
            };
            have += chunk.len() as u64;
            if have > file.size {
                return Err(HubError::Corrupt(format!(
                    "{} is larger than the Hub says ({} bytes)",
                    file.path, file.size
                )));
            }
            check.update(&chunk);
            out.write_all(&chunk).await.map_err(disk)?;
            progress(have);
        }
        out.flush().await.map_err(disk)?;
        out.sync_all().await.map_err(disk)?;
        check.finish(file, have)
    }
}

/// Hashes what an earlier attempt left in `part` and says how much it holds
/// (0, removing it, when it is larger than the file can be).
async fn resume_from(part: &Path, size: u64, check: &mut Check) -> std::io::Result<u64> {
    let Ok(meta) = tokio::fs::metadata(part).await else {
        return Ok(0);
    };
    if meta.len() > size {
        tokio::fs::remove_file(part).await?;
        return Ok(0);
    }
    let mut f = tokio::fs::File::open(part).await?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut f, &mut buf).await?;
        if n == 0 {
            break;
        }
        check.update(&buf[..n]);
    }
    Ok(meta.len())
}

/// The hash a file is checked against: SHA-256 for LFS files, the Git blob
/// SHA-1 for the rest.
enum Check {
    Sha256(sha2::Sha256),
    GitBlob(sha1::Sha1),
    Size,
}

impl Check {
    fn new(file: &HubFile) -> Self {
        if file.sha256.is_some() {
            Self::Sha256(sha2::Sha256::new())
        } else if file.oid.is_some() {
            let mut h = sha1::Sha1::new();
            h.update(format!("blob {}\0", file.size).as_bytes());
            Self::GitBlob(h)
        } else {
            Self::Size
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(data),
            Self::GitBlob(h) => h.update(data),
            Self::Size => {}
        }
    }

    fn finish(self, file: &HubFile, len: u64) -> Result<(), HubError> {
        if len != file.size {
            return Err(HubError::Corrupt(format!(
                "{} ended after {len} of {} bytes",
                file.path, file.size
            )));
        }
        let (got, want) = match self {
            Self::Sha256(h) => (hex(&h.finalize()), file.sha256.clone()),
            Self::GitBlob(h) => (hex(&h.finalize()), file.oid.clone()),
            Self::Size => return Ok(()),
        };
        match want {
            Some(w) if w.eq_ignore_ascii_case(&got) => Ok(()),
            _ => Err(HubError::Corrupt(format!(
                "{} does not match the Hub's checksum (got {got}); it was discarded and will be downloaded again if you retry",
                file.path
            ))),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn read_capped(res: reqwest::Response, cap: usize) -> Result<Vec<u8>, HubError> {
    let mut out = Vec::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| HubError::Unavailable(without_url(e)))?;
        if out.len() + chunk.len() > cap {
            return Err(HubError::Corrupt(format!(
                "the Hub sent more than the {cap} bytes expected"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// reqwest's message without the URL (which may carry a signed CDN query).
fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}
