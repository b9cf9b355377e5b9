//! `brightrun site prepare`: turns wasm-bindgen's output and the stylesheet
//! into the served `/pkg`: one content hash over the three files names them
//! all (`brightrun-<hash>.js`, `…_bg.wasm`, `….css`), each gets a brotli
//! and a gzip copy beside it, stale bundles are removed, and the manifest
//! is written last so a server never reads a name whose files are missing.

use super::Manifest;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What `prepare` wrote.
#[derive(Debug)]
pub struct Prepared {
    pub manifest: Manifest,
    /// (file name, bytes, gzip bytes, brotli bytes) for each bundle file.
    pub files: Vec<(String, usize, usize, usize)>,
}

/// Prepares `pkg_out` from `bindgen_dir/{name}.js`, `{name}_bg.wasm` and `css`.
pub fn prepare(
    bindgen_dir: &Path,
    name: &str,
    css: &Path,
    pkg_out: &Path,
) -> Result<Prepared, PrepareError> {
    let js = read(&bindgen_dir.join(format!("{name}.js")))?;
    let wasm = read(&bindgen_dir.join(format!("{name}_bg.wasm")))?;
    let css = read(css)?;
    let output_name = format!("{name}-{}", content_hash(&[&js, &wasm, &css]));
    std::fs::create_dir_all(pkg_out).map_err(|source| write_error(pkg_out, source))?;
    remove_stale(pkg_out, name)?;
    let mut files = Vec::new();
    for (suffix, bytes) in [(".js", &js), ("_bg.wasm", &wasm), (".css", &css)] {
        let file = format!("{output_name}{suffix}");
        files.push(write_with_copies(pkg_out, &file, bytes)?);
    }
    copy_snippets(bindgen_dir, pkg_out)?;
    let manifest = Manifest { output_name };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    write_atomic(&Manifest::path(pkg_out), &json)?;
    Ok(Prepared { manifest, files })
}

/// The first 16 hex digits of SHA-256 over the files, in order.
fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Writes `file`, `file.br` and `file.gz`; returns their sizes.
fn write_with_copies(
    dir: &Path,
    file: &str,
    bytes: &[u8],
) -> Result<(String, usize, usize, usize), PrepareError> {
    let gz = gzip(bytes);
    let br = brotli(bytes);
    write_atomic(&dir.join(file), bytes)?;
    write_atomic(&dir.join(format!("{file}.gz")), &gz)?;
    write_atomic(&dir.join(format!("{file}.br")), &br)?;
    Ok((file.to_string(), bytes.len(), gz.len(), br.len()))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out
}

/// Removes earlier bundles of `name` (hashed or not) and their copies.
fn remove_stale(pkg_out: &Path, name: &str) -> Result<(), PrepareError> {
    let entries = std::fs::read_dir(pkg_out).map_err(|source| read_error(pkg_out, source))?;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let ours = file.starts_with(&format!("{name}-"))
            || file.starts_with(&format!("{name}."))
            || file.starts_with(&format!("{name}_bg."));
        if ours && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .map_err(|source| write_error(&entry.path(), source))?;
        }
    }
    Ok(())
}

/// wasm-bindgen's inline JS snippets, imported relatively by the bundle.
fn copy_snippets(bindgen_dir: &Path, pkg_out: &Path) -> Result<(), PrepareError> {
    let from = bindgen_dir.join("snippets");
    if !from.is_dir() {
        return Ok(());
    }
    copy_dir(&from, &pkg_out.join("snippets"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), PrepareError> {
    std::fs::create_dir_all(to).map_err(|source| write_error(to, source))?;
    for entry in std::fs::read_dir(from)
        .map_err(|source| read_error(from, source))?
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|source| write_error(&target, source))?;
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, PrepareError> {
    std::fs::read(path).map_err(|source| read_error(path, source))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PrepareError> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|source| write_error(path, source))
}

fn read_error(path: &Path, source: std::io::Error) -> PrepareError {
    PrepareError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn write_error(path: &Path, source: std::io::Error) -> PrepareError {
    PrepareError::Write {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindgen_output(dir: &Path, js: &str) {
        std::fs::write(dir.join("app.js"), js).unwrap();
        std::fs::write(dir.join("app_bg.wasm"), b"\0asm wasm bytes").unwrap();
        std::fs::write(dir.join("main.css"), "body { color: red }").unwrap();
    }

    #[test]
    fn names_carry_one_content_hash_and_each_file_has_its_copies() {
        let input = tempfile::tempdir().unwrap();
        let site = tempfile::tempdir().unwrap();
        let out = site.path().join("pkg");
        bindgen_output(input.path(), "export default 1;");
        let css = input.path().join("main.css");
        let first = prepare(input.path(), "app", &css, &out).unwrap();
        let name = &first.manifest.output_name;
        assert!(
            name.starts_with("app-") && name.len() == "app-".len() + 16,
            "{name}"
        );
        for suffix in [".js", "_bg.wasm", ".css"] {
            let file = out.join(format!("{name}{suffix}"));
            let original = std::fs::read(&file).unwrap();
            let gz = std::fs::read(format!("{}.gz", file.display())).unwrap();
            let mut unzipped = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
                .unwrap();
            assert_eq!(unzipped, original);
            let br = std::fs::read(format!("{}.br", file.display())).unwrap();
            let mut unbrotli = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
            assert_eq!(unbrotli, original);
        }
        assert_eq!(Manifest::read(site.path()), Some(first.manifest.clone()));
        assert!(first.manifest.is_hashed(&format!("{name}_bg.wasm")));
        assert!(!first.manifest.is_hashed("app_bg.wasm"));
    }

    #[test]
    fn a_changed_file_gets_a_new_name_and_the_old_bundle_is_removed() {
        let input = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let css = input.path().join("main.css");
        bindgen_output(input.path(), "export default 1;");
        let first = prepare(input.path(), "app", &css, out.path()).unwrap();
        bindgen_output(input.path(), "export default 2;");
        let second = prepare(input.path(), "app", &css, out.path()).unwrap();
        assert_ne!(first.manifest.output_name, second.manifest.output_name);
        let mut left: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let n = &second.manifest.output_name;
        let mut want: Vec<String> = [".css", "_bg.wasm", ".js"]
            .iter()
            .flat_map(|s| ["", ".br", ".gz"].map(|c| format!("{n}{s}{c}")))
            .chain(["manifest.json".to_string()])
            .collect();
        want.sort();
        assert_eq!(left, want);
        // The same input again gives the same name.
        let third = prepare(input.path(), "app", &css, out.path()).unwrap();
        assert_eq!(third.manifest, second.manifest);
    }

    #[test]
    fn a_missing_input_names_the_file() {
        let input = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let err =
            prepare(input.path(), "app", &input.path().join("x.css"), out.path()).unwrap_err();
        assert!(err.to_string().contains("app.js"), "{err}");
    }
}
