//! Which files of a Hub repository make a base model: `config.json`, the
//! tokenizer files and the safetensors shards (with their index), each at
//! the repository's top level. Everything else (PyTorch `.bin` weights,
//! GGUF, ONNX, images, subfolders) is left where it is.

use serde::{Deserialize, Serialize};

/// One file as the Hub lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubFile {
    pub path: String,
    pub size: u64,
    /// The Git blob id (SHA-1 of `blob <len>\0<content>`).
    pub oid: Option<String>,
    /// For LFS files: the content's SHA-256, hex.
    pub sha256: Option<String>,
}

const TOKENIZER_FILES: [&str; 7] = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    "chat_template.jinja",
    "added_tokens.json",
    "tokenizer.model",
];

fn wanted(path: &str) -> bool {
    path == "config.json"
        || path == "model.safetensors.index.json"
        || path.ends_with(".safetensors")
        || TOKENIZER_FILES.contains(&path)
}

/// A name that is one plain path component: letters, digits, '-', '_' and
/// '.', not starting with '.' (no `..`, no separators, nothing hidden).
pub fn is_plain_name(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('.')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The files to download, or why the repository cannot be a base model.
pub fn pick_files(all: &[HubFile], max_bytes: u64) -> Result<Vec<HubFile>, String> {
    let picked: Vec<HubFile> = all
        .iter()
        .filter(|f| is_plain_name(&f.path) && wanted(&f.path))
        .cloned()
        .collect();
    let has = |name: &str| picked.iter().any(|f| f.path == name);
    if !has("config.json") {
        return Err("the repository has no config.json at its top level".into());
    }
    if !picked.iter().any(|f| f.path.ends_with(".safetensors")) {
        let bin = all.iter().any(|f| f.path.ends_with(".bin"));
        return Err(if bin {
            "the repository has PyTorch .bin weights but no safetensors; BrightRun loads safetensors only (choose a repository or revision that has them)".into()
        } else {
            "the repository has no safetensors weights".into()
        });
    }
    if !has("tokenizer.json") {
        return Err(
            "the repository has no tokenizer.json (BrightRun needs the fast tokenizer file)".into(),
        );
    }
    let total = total_bytes(&picked);
    if total > max_bytes {
        return Err(format!(
            "its files come to {} and this server accepts at most {}",
            human_bytes(total),
            human_bytes(max_bytes)
        ));
    }
    Ok(picked)
}

pub fn total_bytes(files: &[HubFile]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

/// 1.5 GB, 12.0 MB, 512 B.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, size: u64) -> HubFile {
        HubFile {
            path: path.into(),
            size,
            oid: None,
            sha256: None,
        }
    }

    #[test]
    fn weights_config_and_tokenizer_are_picked_and_the_rest_left() {
        let all = [
            f("config.json", 10),
            f("tokenizer.json", 20),
            f("model-00001-of-00002.safetensors", 100),
            f("model-00002-of-00002.safetensors", 50),
            f("model.safetensors.index.json", 5),
            f("pytorch_model.bin", 1000),
            f("README.md", 3),
            f("onnx/model.safetensors", 1000),
            f("../config.json", 1),
            f(".gitattributes", 1),
        ];
        let picked = pick_files(&all, 1_000).unwrap();
        let names: Vec<_> = picked.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "config.json",
                "tokenizer.json",
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json"
            ]
        );
        assert_eq!(total_bytes(&picked), 185);
        let e = pick_files(&all, 100).unwrap_err();
        assert!(e.contains("185 B") && e.contains("100 B"), "{e}");
    }

    #[test]
    fn a_repository_without_safetensors_config_or_tokenizer_is_refused_with_the_reason() {
        let e = pick_files(
            &[
                f("config.json", 1),
                f("tokenizer.json", 1),
                f("pytorch_model.bin", 9),
            ],
            100,
        )
        .unwrap_err();
        assert!(e.contains(".bin") && e.contains("safetensors"), "{e}");
        let e = pick_files(&[f("config.json", 1), f("tokenizer.json", 1)], 100).unwrap_err();
        assert!(e.contains("no safetensors"), "{e}");
        let e = pick_files(&[f("model.safetensors", 1)], 100).unwrap_err();
        assert!(e.contains("config.json"), "{e}");
        let e = pick_files(&[f("config.json", 1), f("model.safetensors", 1)], 100).unwrap_err();
        assert!(e.contains("tokenizer.json"), "{e}");
    }
}
