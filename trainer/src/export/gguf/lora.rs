//! The adapter alone as a GGUF LoRA, laid out as llama.cpp's
//! convert_lora_to_gguf.py writes it for `--lora`: `general.type` =
//! adapter, `adapter.type` = lora, `adapter.lora.alpha`, and for each
//! adapted projection `blk.N.<name>.weight.lora_a` (A, [r, in]) and
//! `.lora_b` (B, [out, r], its rows in llama.cpp's rotary order for q and
//! k). Always F16, as the file's name says and as the converter's default
//! `--outtype f16` writes it: A and B are small, and F16 holds them to
//! about 1e-3 of their size.

use super::super::Progress;
use super::super::base::{BaseFolder, Shards};
use super::super::lora_weights::LoraWeights;
use super::super::partial::Outputs;
use super::names::{self, Place};
use super::writer::{GgufWriter, Meta, TensorInfo};
use super::{metadata, quant, rotary};
use crate::error::{Result, TrainerError};
use brightrun::models::ExportFormat;
use candle_core::Tensor;
use candle_core::quantized::GgmlDType;
use std::path::{Path, PathBuf};

pub fn export(
    base: &BaseFolder,
    lora: LoraWeights,
    out_dir: &Path,
    progress: &mut Progress,
) -> Result<Vec<PathBuf>> {
    let file = ExportFormat::GgufLora
        .gguf_file_name()
        .unwrap_or("adapter-f16.gguf");
    let config = base.config()?;
    let arch = names::arch_of(&config)?;
    let shards = Shards::read(&base.dir)?;
    let lora = lora.fit(&config, &shards)?;
    let dtype = GgmlDType::F16;
    let mut targets = Vec::new();
    for (hf, pair) in &lora.pairs {
        match names::place(hf, &config) {
            Some(Place::As(name)) if name.starts_with("blk.") && name.ends_with(".weight") => {
                targets.push((name, names::rotary_heads(hf, arch, &config), pair));
            }
            _ => {
                return Err(TrainerError::UnsupportedModel(format!(
                    "the adapter adapts `{hf}`, which a llama.cpp LoRA cannot adapt; \
                     export the merged model instead"
                )));
            }
        }
    }
    targets.sort_by_key(|(name, ..)| (names::layer_of(name), name.clone()));
    let infos = targets
        .iter()
        .flat_map(|(name, _, pair)| {
            [("lora_a", &pair.a), ("lora_b", &pair.b)].map(|(half, t)| TensorInfo {
                name: format!("{name}.{half}"),
                shape: t.dims().to_vec(),
                dtype,
            })
        })
        .collect();
    let mut kv = metadata::general(arch, "adapter", &format!("{} LoRA", base.name));
    kv.push(("adapter.type".into(), Meta::Str("lora".into())));
    kv.push(("adapter.lora.alpha".into(), Meta::F32(lora.alpha as f32)));
    let total: u64 = lora
        .pairs
        .values()
        .map(|p| 4 * (p.a.elem_count() + p.b.elem_count()) as u64)
        .sum();
    let mut outputs = Outputs::new(out_dir);
    let mut w = GgufWriter::start(outputs.create(file)?, &kv, infos, file)?;
    progress.start(total, "converting the adapter")?;
    for (name, heads, pair) in targets {
        let b = match heads {
            Some(n) => rotary::permute_rows(&pair.b, n)?,
            None => pair.b.clone(),
        };
        for (half, t) in [("lora_a", &pair.a), ("lora_b", &b)] {
            w.write(&format!("{name}.{half}"), &encode(t, dtype)?)?;
        }
        let bytes = 4 * (pair.a.elem_count() + pair.b.elem_count()) as u64;
        progress.advance(&format!("converting {name}"), bytes)?;
    }
    w.finish()?;
    outputs.commit()
}

fn encode(t: &Tensor, dtype: GgmlDType) -> Result<Vec<u8>> {
    let cols = t.dims().last().copied().unwrap_or(1);
    quant::encode(&t.flatten_all()?.to_vec1::<f32>()?, cols, dtype)
}
