//! The `.tar.gz` bundle of a model's files, made while it streams: each
//! file is read from storage chunk by chunk into a gzip encoder whose output
//! is sent as it is produced, so memory stays flat whatever the adapter size.
//! The archive holds one folder named for the model, which PEFT loads as is.

use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::Storage;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures::{Stream, StreamExt};
use std::io::Write;
use uuid::Uuid;

const BLOCK: usize = 512;

/// A ustar header for a regular file.
fn header(name: &str, size: u64, mtime: i64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let name = name.as_bytes();
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    let mut octal = |at: usize, width: usize, value: u64| {
        let text = format!("{value:0w$o}\0", w = width - 1);
        h[at..at + width].copy_from_slice(text.as_bytes());
    };
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(136, 12, mtime.max(0) as u64);
    // Eleven octal digits end at 8 GiB; larger sizes use the base-256 form
    // GNU tar, bsdtar and Python's tarfile read (first byte 0x80).
    if size < 8u64.pow(11) {
        octal(124, 12, size);
    } else {
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    h[148..156].copy_from_slice(b"        ");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..273].copy_from_slice(b"brightrn");
    h[297..305].copy_from_slice(b"brightrn");
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// A folder name from the model's name: letters, digits, `-`, `_`, `.`.
pub fn folder_name(model_name: &str) -> String {
    let mut slug = String::new();
    for c in model_name.chars() {
        let c = if c.is_ascii_alphanumeric() || "-_.".contains(c) {
            c
        } else {
            '-'
        };
        if !(c == '-' && slug.ends_with('-')) {
            slug.push(c);
        }
    }
    let slug: String = slug.trim_matches(['-', '.']).chars().take(60).collect();
    if slug.is_empty() {
        "adapter".into()
    } else {
        slug
    }
}

struct Encoder(GzEncoder<Vec<u8>>);

impl Encoder {
    fn write(&mut self, data: &[u8]) -> Option<Bytes> {
        self.0.write_all(data).expect("writing to memory");
        let out = std::mem::take(self.0.get_mut());
        (!out.is_empty()).then(|| Bytes::from(out))
    }
}

/// The bundle as a byte stream. Files missing from storage are left out;
/// a storage error mid-way ends the stream with the error (the client sees
/// a truncated download, never a silently short archive that looks whole).
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn stream(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<
    (
        String,
        impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<>,
    ),
    ServiceError,
> {
    let model = super::queries::stored(&services.pool, owner, id).await?;
    let folder = folder_name(&model.name);
    let files = super::stored_files(services, &model.storage_prefix).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(write_archive(
        services.storage.clone(),
        folder.clone(),
        files,
        tx,
    ));
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((folder, body))
}

type Sender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// The archive stopped: the client went away, or an error was sent to it.
struct Stopped;

/// Sends what the encoder produced, if anything.
async fn send(tx: &Sender, out: Option<Bytes>) -> Result<(), Stopped> {
    match out {
        Some(bytes) => tx.send(Ok(bytes)).await.map_err(|_| Stopped),
        None => Ok(()),
    }
}

/// Ends the stream with `error`.
async fn fail(tx: &Sender, error: std::io::Error) -> Stopped {
    let _ = tx.send(Err(error)).await;
    Stopped
}

/// Writes the archive of `files` (name, key, size) under the folder `dir`
/// into `tx`, compressing as it goes.
async fn write_archive(
    storage: Storage,
    dir: String,
    files: Vec<(&'static str, String, u64)>,
    tx: Sender,
) {
    let mut gz = Encoder(GzEncoder::new(
        Vec::with_capacity(64 * 1024),
        Compression::fast(),
    ));
    let now = chrono::Utc::now().timestamp();
    for (file, key, size) in files {
        let entry = header(&format!("{dir}/{file}"), size, now);
        if write_file(&storage, &mut gz, &tx, &entry, &key, size)
            .await
            .is_err()
        {
            return;
        }
    }
    // Two zero blocks end the archive.
    if send(&tx, gz.write(&[0u8; BLOCK * 2])).await.is_err() {
        return;
    }
    match gz.0.finish() {
        Ok(rest) => {
            let _ = send(&tx, (!rest.is_empty()).then(|| Bytes::from(rest))).await;
        }
        Err(e) => {
            fail(&tx, e).await;
        }
    }
}

/// One archive entry: its header, the object's bytes read as they stream,
/// and the padding to a whole block. The object must still be `size` bytes.
async fn write_file(
    storage: &Storage,
    gz: &mut Encoder,
    tx: &Sender,
    entry: &[u8; BLOCK],
    key: &str,
    size: u64,
) -> Result<(), Stopped> {
    send(tx, gz.write(entry)).await?;
    let mut body = match storage.get_stream(key).await {
        Ok(b) => b,
        Err(e) => return Err(fail(tx, std::io::Error::other(e.to_string())).await),
    };
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                written += c.len() as u64;
                send(tx, gz.write(&c)).await?;
            }
            Err(e) => {
                tracing::warn!(%e, key, "bundle read failed");
                return Err(fail(tx, std::io::Error::other("storage read failed")).await);
            }
        }
    }
    if written != size {
        return Err(fail(tx, std::io::Error::other("object changed while bundling")).await);
    }
    let pad = (BLOCK - (size as usize % BLOCK)) % BLOCK;
    send(tx, gz.write(&vec![0u8; pad])).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_have_a_valid_checksum_and_octal_size() {
        let h = header("eq/adapter_config.json", 1234, 1_780_000_000);
        assert_eq!(&h[..22], b"eq/adapter_config.json");
        assert_eq!(&h[124..136], b"00000002322\0");
        let mut copy = h;
        copy[148..156].copy_from_slice(b"        ");
        let sum: u64 = copy.iter().map(|b| u64::from(*b)).sum();
        let stored = std::str::from_utf8(&h[148..154]).unwrap();
        assert_eq!(u64::from_str_radix(stored, 8).unwrap(), sum);
    }

    #[test]
    fn sizes_of_8_gib_and_more_use_base_256() {
        let just_under = 8u64.pow(11) - 1;
        assert_eq!(&header("a", just_under, 0)[124..136], b"77777777777\0");
        let big = 10 * 1024 * 1024 * 1024u64;
        let h = header("a", big, 0);
        assert_eq!(h[124], 0x80);
        assert!(h[125..128].iter().all(|&b| b == 0));
        assert_eq!(u64::from_be_bytes(h[128..136].try_into().unwrap()), big);
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("EQ-12 · balanced"), "EQ-12-balanced");
        assert_eq!(folder_name("../etc"), "etc");
        assert_eq!(folder_name("  "), "adapter");
    }
}
