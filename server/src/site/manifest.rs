//! `pkg/manifest.json`: the content-hashed name the prepare step gave the
//! bundle (`brightrun-<hash>`: `.js`, `_bg.wasm`, `.css`). Present only in a
//! prepared site; without it (`cargo leptos watch`, a plain debug build) the
//! files keep the configured output name and are not cached.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The Leptos output name, hash included: `brightrun-0123456789abcdef`.
    pub output_name: String,
}

impl Manifest {
    pub const FILE: &'static str = "manifest.json";

    pub fn path(pkg_dir: &Path) -> PathBuf {
        pkg_dir.join(Self::FILE)
    }

    /// The manifest of the site under `site_root`, if it was prepared.
    pub fn read(site_root: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path(&site_root.join("pkg"))).ok()?;
        match serde_json::from_str(&text) {
            Ok(manifest) => Some(manifest),
            Err(e) => {
                tracing::warn!("ignoring the site manifest: {e}");
                None
            }
        }
    }

    /// Whether a file under `/pkg` is one of the hashed, never-changing files.
    pub fn is_hashed(&self, file_name: &str) -> bool {
        file_name
            .strip_prefix(self.output_name.as_str())
            .is_some_and(|rest| matches!(rest, ".js" | "_bg.wasm" | ".css"))
    }
}
