//! The merged model as one GGUF file in llama.cpp's layout (f16, q8_0 or
//! q4_K_M), and the adapter alone as a GGUF LoRA ([`lora`]). The merged
//! weights stream from the base's shards straight into the file, tensor by
//! tensor: merged in f32 ([`super::merge`]), q and k rows permuted into
//! llama.cpp's rotary layout, converted to the tensor's type, written.

pub mod lora;
mod metadata;
pub(crate) mod names;
mod post_processor;
pub(crate) mod quant;
pub(crate) mod rotary;
pub(crate) mod sentencepiece;
pub(crate) mod special;
pub(crate) mod vocab;
pub(crate) mod writer;

use super::Progress;
use super::base::{BaseFolder, Shards};
use super::lora_weights::LoraWeights;
use super::partial::Outputs;
use crate::error::{Result, TrainerError};
use crate::model::ModelConfig;
use brightrun::models::ExportFormat;
use candle_core::quantized::GgmlDType;
use metadata::Kv;
use names::Place;
use quant::{Facts, Mix};
use std::path::{Path, PathBuf};
use writer::{GgufWriter, Meta, TensorInfo};

/// One base weight's way into the file.
struct Planned {
    hf: String,
    shard: usize,
    info: TensorInfo,
    /// Heads to permute the rows over (Llama's q and k).
    rotary: Option<usize>,
    base_bytes: u64,
}

pub fn export(
    base: &BaseFolder,
    lora: LoraWeights,
    format: ExportFormat,
    out_dir: &Path,
    progress: &mut Progress,
) -> Result<Vec<PathBuf>> {
    let (Some(mix), Some(file)) = (Mix::of(format), format.gguf_file_name()) else {
        return Err(TrainerError::spec(
            "format",
            format!("`{format}` is not a merged GGUF"),
        ));
    };
    let config = base.config()?;
    let arch = names::arch_of(&config)?;
    let shards = Shards::read(&base.dir)?;
    let lora = lora.fit(&config, &shards)?;
    let plan = plan(&config, &shards, arch, mix)?;
    let rope_freqs = metadata::rope_freqs(&config);
    let kv = file_metadata(base, &config, arch, mix)?;
    let mut infos: Vec<TensorInfo> = plan.iter().map(|p| p.info.clone()).collect();
    if let Some(f) = &rope_freqs {
        infos.push(rope_freqs_info(f.len()));
    }
    let mut outputs = Outputs::new(out_dir);
    let mut w = GgufWriter::start(outputs.create(file)?, &kv, infos, file)?;
    progress.start(shards.total_bytes(), "converting")?;
    let verb = if mix == Mix::F16 {
        "converting"
    } else {
        "quantizing"
    };
    for shard in 0..shards.files.len() {
        let st = shards.open(shard)?;
        for p in plan.iter().filter(|p| p.shard == shard) {
            write_one(&st, p, &config, &lora, &mut w)?;
            progress.advance(&format!("{verb} {}", stem(&p.info.name)), p.base_bytes)?;
        }
    }
    if let Some(f) = rope_freqs {
        w.write(
            "rope_freqs.weight",
            &quant::encode(&f, f.len(), GgmlDType::F32)?,
        )?;
    }
    w.finish()?;
    progress.advance("converted", shards.total_bytes())?;
    outputs.commit()
}

/// Every base weight's GGUF name, type and order (by shard, then as
/// llama.cpp orders names: the globals, then layer by layer).
fn plan(config: &ModelConfig, shards: &Shards, arch: &str, mix: Mix) -> Result<Vec<Planned>> {
    let mut placed = Vec::new();
    for (hf, t) in &shards.tensors {
        match names::place(hf, config) {
            Some(Place::As(name)) => placed.push((hf, t, name)),
            Some(Place::Skip) => {}
            None => {
                return Err(TrainerError::UnsupportedModel(format!(
                    "the weights hold `{hf}`, which llama.cpp's {arch} layout has no place for"
                )));
            }
        }
    }
    let facts = Facts {
        n_layer: config.num_hidden_layers,
        has_output: placed.iter().any(|(_, _, n)| n == "output.weight"),
        is_70b: config.num_hidden_layers == 80
            && (arch == "qwen2" || config.num_attention_heads != config.num_key_value_heads),
    };
    check_complete(config, placed.iter().map(|(_, _, n)| n.as_str()))?;
    let mut plan: Vec<Planned> = placed
        .into_iter()
        .map(|(hf, t, name)| Planned {
            rotary: names::rotary_heads(hf, arch, config),
            hf: hf.clone(),
            shard: t.shard,
            base_bytes: t.bytes,
            info: TensorInfo {
                dtype: quant::choose(mix, &name, &t.shape, &facts),
                shape: t.shape.clone(),
                name,
            },
        })
        .collect();
    plan.sort_by_key(|p| (p.shard, names::layer_of(&p.info.name), p.info.name.clone()));
    Ok(plan)
}

/// Every tensor llama.cpp loads for the layout is there.
fn check_complete<'a>(config: &ModelConfig, names: impl Iterator<Item = &'a str>) -> Result<()> {
    let have: std::collections::HashSet<&str> = names.collect();
    let mut want = vec!["token_embd.weight".to_string(), "output_norm.weight".into()];
    if !config.tie_word_embeddings {
        want.push("output.weight".into());
    }
    for i in 0..config.num_hidden_layers {
        for t in [
            "attn_norm",
            "ffn_norm",
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
        ] {
            want.push(format!("blk.{i}.{t}.weight"));
        }
    }
    match want.iter().find(|w| !have.contains(w.as_str())) {
        Some(missing) => Err(TrainerError::UnsupportedModel(format!(
            "the weights have nothing for llama.cpp's `{missing}`; the base model is incomplete"
        ))),
        None => Ok(()),
    }
}

fn write_one(
    st: &super::shard_file::ShardFile,
    p: &Planned,
    config: &ModelConfig,
    lora: &LoraWeights,
    w: &mut GgufWriter,
) -> Result<()> {
    let mut t = super::merge::load_merged(st, &p.hf, config, lora)?;
    if let Some(heads) = p.rotary {
        t = rotary::permute_rows(&t, heads)?;
    }
    let values = t.flatten_all()?.to_vec1::<f32>()?;
    drop(t);
    let cols = p.info.shape.last().copied().unwrap_or(1);
    w.write(&p.info.name, &quant::encode(&values, cols, p.info.dtype)?)
}

fn rope_freqs_info(n: usize) -> TensorInfo {
    TensorInfo {
        name: "rope_freqs.weight".into(),
        shape: vec![n],
        dtype: GgmlDType::F32,
    }
}

/// `blk.7` of `blk.7.attn_q.weight`; `token_embd` of `token_embd.weight`.
fn stem(name: &str) -> String {
    let keep = if names::layer_of(name).is_some() {
        2
    } else {
        1
    };
    name.split('.').take(keep).collect::<Vec<_>>().join(".")
}

/// Everything the file says about itself, the model and its tokenizer.
fn file_metadata(base: &BaseFolder, config: &ModelConfig, arch: &str, mix: Mix) -> Result<Kv> {
    let mut kv = metadata::general(arch, "model", &base.name);
    kv.push(("general.file_type".into(), Meta::U32(mix.file_type())));
    let config_json = special::read_json(&base.dir, "config.json")?;
    let head_dim_given = config_json.get("head_dim").is_some();
    kv.extend(metadata::hyper_parameters(arch, config, head_dim_given));
    kv.extend(tokenizer_kv(&base.dir, &config_json, config.vocab_size)?);
    Ok(kv)
}

/// `tokenizer.*` from the folder's tokenizer.json and configs.
fn tokenizer_kv(dir: &Path, config: &serde_json::Value, vocab_size: usize) -> Result<Kv> {
    let tok = special::read_json(dir, "tokenizer.json")?;
    if tok.is_null() {
        return Err(TrainerError::ModelFiles(
            dir.to_path_buf(),
            "has no tokenizer.json; the GGUF needs the tokenizer".into(),
        ));
    }
    let mut kv = vocab::vocab(dir, &tok, vocab_size)?;
    kv.extend(special::special(dir, &tok, config, vocab_size)?);
    Ok(kv)
}
