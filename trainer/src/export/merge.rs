//! The merged export: W' = W + (alpha / r)·B·A for every adapted
//! projection, computed in f32 and stored back in the base's dtype, as a
//! Hugging Face folder with the base's shard names, an index (always, with
//! `metadata.total_size`), the config, the tokenizer and the chat template.
//! One base tensor is held at a time.

use super::Progress;
use super::base::{BaseFolder, Shards};
use super::lora_weights::{LoraPair, LoraWeights};
use super::partial::Outputs;
use super::safetensors_out::{Entry, SafetensorsWriter};
use super::shard_file::ShardFile;
use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use candle_core::{DType, Tensor};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const INDEX_FILE: &str = "model.safetensors.index.json";

/// What a folder needs beside its weights, copied when the base has it.
const SIDE_FILES: [&str; 10] = [
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
];

/// W + scale·B·A in f32 (W alone without a pair).
pub fn merged_f32(w: &Tensor, pair: Option<&LoraPair>, scale: f64) -> Result<Tensor> {
    let w = w.to_dtype(DType::F32)?;
    Ok(match pair {
        None => w,
        Some(p) => (w + (p.b.matmul(&p.a)? * scale)?)?,
    })
}

/// A base weight, merged with its pair when it has one, in f32.
pub fn load_merged(
    st: &ShardFile,
    name: &str,
    config: &ModelConfig,
    lora: &LoraWeights,
) -> Result<Tensor> {
    let w = st.load(name)?;
    merged_f32(&w, lora.pair_for(config, name), lora.scale())
}

pub fn export(
    base: &BaseFolder,
    lora: LoraWeights,
    out_dir: &Path,
    progress: &mut Progress,
) -> Result<Vec<PathBuf>> {
    let config = base.config()?;
    if !base.dir.join("tokenizer.json").is_file() {
        return Err(TrainerError::ModelFiles(
            base.dir.clone(),
            "has no tokenizer.json; the merged model needs its tokenizer".into(),
        ));
    }
    let shards = Shards::read(&base.dir)?;
    let lora = lora.fit(&config, &shards)?;
    let mut outputs = Outputs::new(out_dir);
    progress.start(shards.total_bytes(), "merging")?;
    for name in SIDE_FILES {
        let from = base.dir.join(name);
        if from.is_file() {
            outputs.copy(&from, name)?;
        }
    }
    for i in 0..shards.files.len() {
        merge_shard(&shards, i, &config, &lora, &mut outputs, progress)?;
    }
    write_index(&shards, &mut outputs)?;
    progress.advance("merged", 0)?;
    outputs.commit()
}

/// Shard `i`, merged, under the same name.
fn merge_shard(
    shards: &Shards,
    i: usize,
    config: &ModelConfig,
    lora: &LoraWeights,
    outputs: &mut Outputs,
    progress: &mut Progress,
) -> Result<()> {
    let file = shards.file_name(i);
    let stage = format!("merging {file}");
    let st = shards.open(i)?;
    let entries = shards
        .in_shard(i)
        .map(|(name, t)| Entry {
            name: name.clone(),
            dtype: t.dtype,
            shape: t.shape.clone(),
            bytes: t.bytes,
        })
        .collect();
    let mut out = SafetensorsWriter::start(outputs.create(&file)?, entries, &file)?;
    for (name, t) in shards.in_shard(i) {
        if lora.pair_for(config, name).is_none() {
            out.write(name, &st.bytes(name)?)?;
        } else {
            let merged = load_merged(&st, name, config, lora)?;
            let back = merged.to_dtype(DType::try_from(t.dtype)?)?;
            out.write(name, &safetensors::View::data(&back))?;
        }
        progress.advance(&stage, t.bytes)?;
    }
    out.finish()
}

/// `model.safetensors.index.json`: every tensor's shard and the total size.
fn write_index(shards: &Shards, outputs: &mut Outputs) -> Result<()> {
    let weight_map: Map<String, Value> = shards
        .tensors
        .iter()
        .map(|(name, t)| (name.clone(), shards.file_name(t.shard).into()))
        .collect();
    let index = json!({
        "metadata": {"total_size": shards.total_bytes()},
        "weight_map": weight_map,
    });
    let mut w = outputs.create(INDEX_FILE)?;
    let text = serde_json::to_string_pretty(&index).expect("json");
    w.write_all(text.as_bytes())
        .map_err(|e| TrainerError::io(INDEX_FILE, e))?;
    super::partial::finish(w, INDEX_FILE)
}
