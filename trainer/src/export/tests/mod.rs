//! Exports checked against the trainer's own model: the merged folder's
//! logits, the GGUF files read back with candle's reader, the errors.

mod errors;
mod gguf_files;
mod lora_file;
mod merged;
mod units;

use super::{ExportFormat, ExportJob, ExportProgress};
use crate::error::Result;
use crate::model::{Llama, LoraShape, ModelConfig, tiny};
use crate::rng::TrainRng;
use crate::spec::HyperParams;
use candle_core::quantized::gguf_file::Content;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const R: usize = 4;
const ALPHA: f64 = 8.0;
const SCALE: f64 = ALPHA / R as f64;

/// Adds rank-4 LoRA (B nonzero) on `targets` to `model` and writes it as
/// a PEFT adapter in `dir`; returns its tensors by PEFT name.
pub fn write_adapter(model: &mut Llama, dir: &Path, targets: &[&str]) -> HashMap<String, Tensor> {
    let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let shape = LoraShape {
        r: R,
        alpha: ALPHA,
        dropout: 0.0,
    };
    let vars = model
        .add_lora(&targets, shape, &mut TrainRng::new(7))
        .unwrap();
    let mut rng = TrainRng::new(8);
    for (name, v) in &vars {
        if name.ends_with("lora_B.weight") {
            let b = Tensor::from_vec(rng.normal(v.elem_count(), 0.05), v.shape(), &Device::Cpu);
            v.set(&b.unwrap()).unwrap();
        }
    }
    let tensors: Vec<(String, Tensor)> = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let h = HyperParams {
        lora_r: R,
        lora_alpha: ALPHA,
        target_modules: targets,
        ..HyperParams::default()
    };
    crate::adapter::write(dir, "base", &h, &tensors).unwrap();
    tensors.into_iter().collect()
}

pub const ALL: [&str; 7] = crate::model::llama::TARGETS;

/// tiny-llama with the adapter on every projection, written to `dir`.
pub fn tiny_adapter(dir: &Path) -> (Llama, HashMap<String, Tensor>) {
    let mut model = tiny::model(0, &Device::Cpu).unwrap();
    let tensors = write_adapter(&mut model, dir, &ALL);
    (model, tensors)
}

/// A random model of this shape written as a folder, with an adapter on
/// `targets` written beside it: (base dir, adapter dir, model with adapter).
pub fn folder_with_adapter(
    root: &Path,
    c: &ModelConfig,
    targets: &[&str],
) -> (PathBuf, PathBuf, Llama) {
    let base = root.join("base");
    tiny::write_random_folder(&base, c, 0).unwrap();
    let weights = candle_core::safetensors::load(base.join("model.safetensors"), &Device::Cpu);
    let mut model =
        Llama::from_weights(c.clone(), weights.unwrap(), &Device::Cpu, DType::F32).unwrap();
    let adapter = root.join("adapter");
    write_adapter(&mut model, &adapter, targets);
    (base, adapter, model)
}

/// Runs an export; the files and every progress event.
pub fn export(
    base: &str,
    adapter: &Path,
    format: ExportFormat,
    out: &Path,
) -> Result<(Vec<PathBuf>, Vec<ExportProgress>)> {
    let mut events = Vec::new();
    let job = ExportJob {
        base_model: base,
        adapter_dir: adapter,
        format,
        out_dir: out,
        cancel: None,
    };
    let files = super::run(&job, &mut |p| events.push(p))?;
    Ok((files, events))
}

/// W + (alpha / r)·B·A for every adapted weight of the base folder `dir`
/// (the others as they are), in f32, by Hugging Face name.
pub fn expected_merge(dir: &Path, adapter: &HashMap<String, Tensor>) -> HashMap<String, Tensor> {
    let mut w = HashMap::new();
    for f in crate::model::folder::weight_files(dir).unwrap() {
        w.extend(candle_core::safetensors::load(f, &Device::Cpu).unwrap());
    }
    w.into_iter()
        .map(|(name, t)| {
            let t = t.to_dtype(DType::F32).unwrap();
            let key = format!("base_model.model.{}", name.trim_end_matches(".weight"));
            let t = match (
                adapter.get(&format!("{key}.lora_A.weight")),
                adapter.get(&format!("{key}.lora_B.weight")),
            ) {
                (Some(a), Some(b)) => (t + (b.matmul(a).unwrap() * SCALE).unwrap()).unwrap(),
                _ => t,
            };
            (name, t)
        })
        .collect()
}

/// Relative RMS error of `got` against `want`.
pub fn rel_rms(got: &Tensor, want: &Tensor) -> f32 {
    let d = (got - want).unwrap().sqr().unwrap().mean_all().unwrap();
    let w = want.sqr().unwrap().mean_all().unwrap();
    (d.to_scalar::<f32>().unwrap() / w.to_scalar::<f32>().unwrap()).sqrt()
}

pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar()
        .unwrap()
}

/// A GGUF file read back with candle's reader.
pub struct Gguf {
    pub content: Content,
    file: std::fs::File,
}

impl Gguf {
    pub fn open(path: &Path) -> Self {
        let mut file = std::fs::File::open(path).unwrap();
        let content = Content::read(&mut file).unwrap();
        Self { content, file }
    }

    pub fn tensor(&mut self, name: &str) -> Tensor {
        let q = self
            .content
            .tensor(&mut self.file, name, &Device::Cpu)
            .unwrap();
        q.dequantize(&Device::Cpu).unwrap()
    }

    pub fn dtype(&self, name: &str) -> candle_core::quantized::GgmlDType {
        self.content.tensor_infos[name].ggml_dtype
    }

    pub fn shape(&self, name: &str) -> Vec<usize> {
        self.content.tensor_infos[name].shape.dims().to_vec()
    }

    pub fn u32(&self, key: &str) -> u32 {
        self.content.metadata[key].to_u32().unwrap()
    }

    pub fn f32(&self, key: &str) -> f32 {
        self.content.metadata[key].to_f32().unwrap()
    }

    pub fn str(&self, key: &str) -> String {
        self.content.metadata[key].to_string().unwrap().clone()
    }

    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = self.content.tensor_infos.keys().cloned().collect();
        n.sort();
        n
    }
}

/// The files of a folder, sorted (to see that nothing else is left).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
