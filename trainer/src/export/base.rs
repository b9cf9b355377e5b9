//! The base model as the export reads it: a Hugging Face folder (the
//! built-in `tiny-llama` written out to a temporary one first) and the
//! shapes, dtypes and shards of its weights, read from the safetensors
//! headers alone ([`ShardFile`] then reads one tensor at a time).

use super::shard_file::ShardFile;
use crate::error::{Result, TrainerError};
use crate::model::{ModelConfig, folder, tiny};
use safetensors::Dtype;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A base model's folder; a temporary one (tiny-llama) is removed on drop.
pub struct BaseFolder {
    pub dir: PathBuf,
    /// What the GGUF calls the model.
    pub name: String,
    temporary: bool,
}

impl BaseFolder {
    /// `tiny-llama` is written next to `out_dir` (not inside it: the
    /// export's files go there); any other name is a local folder.
    pub fn resolve(name: &str, out_dir: &Path) -> Result<Self> {
        if name == tiny::NAME {
            let leaf = out_dir
                .file_name()
                .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
            let parent = out_dir.parent().unwrap_or(Path::new("."));
            let dir = parent.join(format!(".{leaf}.{}-base", tiny::NAME));
            let folder = Self {
                dir,
                name: name.into(),
                temporary: true,
            };
            tiny::write_folder(&folder.dir, 0)?;
            return Ok(folder);
        }
        let dir = PathBuf::from(name);
        if !dir.join("config.json").is_file() {
            return Err(TrainerError::ModelFiles(
                dir,
                format!(
                    "has no config.json; give `{}` or a local Hugging Face model folder",
                    tiny::NAME
                ),
            ));
        }
        let name = dir
            .file_name()
            .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            dir,
            name,
            temporary: false,
        })
    }

    pub fn config(&self) -> Result<ModelConfig> {
        ModelConfig::from_file(&self.dir.join("config.json"))
    }
}

impl Drop for BaseFolder {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One base weight, as its shard's header describes it.
#[derive(Debug, Clone)]
pub struct BaseTensor {
    pub shard: usize,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: u64,
}

/// The base's weight files and every tensor in them.
pub struct Shards {
    pub files: Vec<PathBuf>,
    pub tensors: BTreeMap<String, BaseTensor>,
}

impl Shards {
    pub fn read(dir: &Path) -> Result<Self> {
        let files = folder::weight_files(dir)?;
        let mut tensors = BTreeMap::new();
        for (shard, path) in files.iter().enumerate() {
            for (name, st) in ShardFile::open(path)?.tensors {
                let t = BaseTensor {
                    shard,
                    dtype: st.dtype,
                    shape: st.shape,
                    bytes: st.end - st.start,
                };
                if tensors.insert(name.clone(), t).is_some() {
                    return Err(TrainerError::ModelFiles(
                        dir.to_path_buf(),
                        format!("`{name}` is in two weight files; keep one"),
                    ));
                }
            }
        }
        Ok(Self { files, tensors })
    }

    pub fn total_bytes(&self) -> u64 {
        self.tensors.values().map(|t| t.bytes).sum()
    }

    /// Shard `i`'s tensors, by name.
    pub fn in_shard(&self, i: usize) -> impl Iterator<Item = (&String, &BaseTensor)> {
        self.tensors.iter().filter(move |(_, t)| t.shard == i)
    }

    pub fn file_name(&self, i: usize) -> String {
        self.files[i]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn open(&self, i: usize) -> Result<ShardFile> {
        ShardFile::open(&self.files[i])
    }
}
