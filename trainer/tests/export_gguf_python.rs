//! The GGUF exports (DESIGN §4.4) as llama.cpp's own reader sees them
//! (`gguf` from PyPI, scripts/gguf-python): `brightrun-trainer export`
//! on tiny-llama with an adapter whose B is not zero, then
//! tests/gguf_check.py checks every tensor's name, shape and ggml type and
//! the metadata llama.cpp's convert_hf_to_gguf.py (f16, q8_0),
//! llama-quantize (q4_K_M) and convert_lora_to_gguf.py write for a Llama,
//! and every tensor's values against the merge (or the adapter) made here.

#[path = "export_gguf_python/expect.rs"]
mod expect;

use brightrun_trainer::HyperParams;
use brightrun_trainer::adapter;
use brightrun_trainer::model::{llama::TARGETS, tiny};
use candle_core::{DType, Device, Tensor};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// tiny::with_every_adapter's shape: rank 4, alpha 8 on all seven projections.
const RANK: usize = 4;
const ALPHA: f64 = 8.0;

fn python() -> String {
    std::env::var("BRIGHTRUN_TEST_GGUF_PYTHON").expect(
        "the GGUF export test needs Python with the gguf package: run ./scripts/test, \
         or set BRIGHTRUN_TEST_GGUF_PYTHON=$(scripts/gguf-python)",
    )
}

/// An adapter folder for tiny-llama and the merge W + (alpha/r)·B·A of
/// every projection, computed here, as the reference the exports must hold.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (_, vars) = tiny::with_every_adapter(0, &Device::Cpu, DType::F32, 0.0, 1, 2).unwrap();
        let lora: Vec<(String, Tensor)> = vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect();
        let h = HyperParams {
            lora_r: RANK,
            lora_alpha: ALPHA,
            lora_dropout: 0.0,
            target_modules: TARGETS.iter().map(|t| t.to_string()).collect(),
            ..HyperParams::default()
        };
        adapter::write(&dir.path().join("adapter"), tiny::NAME, &h, &lora).unwrap();
        let merged = merge(tiny::weights(0, &Device::Cpu).unwrap(), &lora);
        adapter::write_safetensors(&dir.path().join("merged-reference.safetensors"), &merged)
            .unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the export CLI on tiny-llama; the file it wrote.
    fn export(&self, format: &str, file: &str) -> PathBuf {
        self.export_from(Path::new(tiny::NAME), format, file)
    }

    /// Runs the export CLI on the base `base`; the file it wrote.
    fn export_from(&self, base: &Path, format: &str, file: &str) -> PathBuf {
        let out = self.path(&format!("out-{format}"));
        let run = Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
            .args(["export", "--base"])
            .arg(base)
            .arg("--adapter")
            .arg(self.path("adapter"))
            .args(["--format", format, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "export --format {format} failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let path = out.join(file);
        assert!(path.is_file(), "export --format {format} wrote no {file}");
        path
    }

    /// The checker's verdict: its summary, or what it found wrong.
    fn check(&self, file: &Path, expectations: &Value) -> Result<Value, String> {
        let spec = file.with_extension("expect.json");
        std::fs::write(&spec, expectations.to_string()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gguf_check.py");
        let run = Command::new(python())
            .arg(script)
            .arg(file)
            .arg(&spec)
            .output()
            .unwrap();
        if run.status.success() {
            Ok(serde_json::from_slice(&run.stdout).unwrap())
        } else {
            Err(String::from_utf8_lossy(&run.stderr).into_owned())
        }
    }

    fn values(&self, reference: &str, layout: &str) -> Value {
        let c = tiny::config();
        json!({"safetensors": [self.path(reference)], "layout": layout,
               "heads": c.num_attention_heads, "kv_heads": c.num_key_value_heads})
    }

    fn model_expectations(&self, file_type: u32, types: expect::TypeRule) -> Value {
        let mut e = expect::model(file_type, types);
        e["values"] = self.values("merged-reference.safetensors", "model");
        e
    }
}

/// W + (alpha/r)·B·A for every adapted projection, by Hugging Face names.
fn merge(mut base: HashMap<String, Tensor>, lora: &[(String, Tensor)]) -> Vec<(String, Tensor)> {
    let tensors: HashMap<&str, &Tensor> = lora.iter().map(|(n, t)| (n.as_str(), t)).collect();
    for (name, a) in &tensors {
        let Some(module) = name.strip_suffix(".lora_A.weight") else {
            continue;
        };
        let b = tensors[format!("{module}.lora_B.weight").as_str()];
        let hf = format!(
            "{}.weight",
            module.strip_prefix("base_model.model.").unwrap()
        );
        let delta = (b.matmul(a).unwrap() * (ALPHA / RANK as f64)).unwrap();
        let w = base
            .remove(&hf)
            .unwrap_or_else(|| panic!("no base weight {hf}"));
        base.insert(hf, (w + delta).unwrap());
    }
    let mut out: Vec<_> = base.into_iter().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn passes(f: &Fixture, file: &Path, e: &Value) -> Value {
    f.check(file, e).unwrap_or_else(|why| panic!("{why}"))
}

#[test]
fn f16_gguf_is_laid_out_as_llama_cpps_converter_lays_out_llama() {
    let f = Fixture::new();
    let file = f.export("gguf-f16", "model-f16.gguf");
    let summary = passes(&f, &file, &f.model_expectations(1, expect::f16));
    assert_eq!(summary["tensors"], 2 + 9 * tiny::config().num_hidden_layers);
}

#[test]
fn q8_0_gguf_is_laid_out_as_llama_cpps_converter_lays_out_llama() {
    let f = Fixture::new();
    let file = f.export("gguf-q8_0", "model-q8_0.gguf");
    let summary = passes(&f, &file, &f.model_expectations(7, expect::q8_0));
    assert!(summary["worst_relative_error"]["Q8_0"].as_f64().unwrap() > 0.0);
}

#[test]
fn q4_k_m_gguf_mixes_types_as_llama_quantize_does() {
    let f = Fixture::new();
    let file = f.export("gguf-q4_k_m", "model-q4_k_m.gguf");
    let summary = passes(&f, &file, &f.model_expectations(15, expect::q4_k_m));
    for kind in ["Q4_K", "Q6_K"] {
        assert!(
            summary["worst_relative_error"][kind].is_number(),
            "{summary}"
        );
    }
}

#[test]
fn lora_gguf_is_laid_out_as_llama_cpps_lora_converter_lays_it_out() {
    let f = Fixture::new();
    let file = f.export("gguf-lora", "adapter-f16.gguf");
    let mut e = expect::lora(RANK, ALPHA);
    e["values"] = f.values("adapter/adapter_model.safetensors", "lora");
    let summary = passes(&f, &file, &e);
    assert_eq!(
        summary["tensors"],
        2 * TARGETS.len() * tiny::config().num_hidden_layers
    );
}

/// The checker has teeth: the f16 file is not the base model (the adapter
/// was merged), and its q rows are in llama.cpp's rotary order.
#[test]
fn checker_rejects_the_unmerged_base_and_the_wrong_metadata() {
    let f = Fixture::new();
    let file = f.export("gguf-f16", "model-f16.gguf");
    tiny::write_folder(&f.path("base"), 0).unwrap();
    let mut e = f.model_expectations(1, expect::f16);
    e["values"]["safetensors"] = json!([f.path("base/model.safetensors")]);
    e["metadata"]["llama.block_count"] = json!({"type": "UINT32", "value": 5});
    let why = f.check(&file, &e).unwrap_err();
    assert!(
        why.contains("`blk.0.attn_q.weight` (F16) is off its reference"),
        "{why}"
    );
    assert!(why.contains("`llama.block_count` is 4, want 5"), "{why}");
    assert!(!why.contains("token_embd.weight` (F16) is off"), "{why}");
}

/// Runs tests/sentencepiece_check.py with `args`; its stdout.
fn sentencepiece_check(args: &[&std::ffi::OsStr]) -> Result<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sentencepiece_check.py");
    let run = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    if run.status.success() {
        Ok(String::from_utf8_lossy(&run.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&run.stderr).into_owned())
    }
}

/// A base with a SentencePiece `tokenizer.model` (trained by Google's
/// sentencepiece, with byte fallback, a user-defined and a control
/// symbol) and added tokens in tokenizer_config.json: the f16 GGUF's
/// vocabulary is what convert_hf_to_gguf.py derives through sentencepiece
/// itself, id by id (piece, score, type), and a changed added token shows.
#[test]
fn a_sentencepiece_vocabulary_is_written_as_llama_cpps_converter_writes_it() {
    let f = Fixture::new();
    let base = f.path("base");
    tiny::write_folder(&base, 0).unwrap();
    sentencepiece_check(&["train".as_ref(), base.as_os_str()]).unwrap_or_else(|e| panic!("{e}"));
    let mut config = tiny::tokenizer_config_json();
    config["added_tokens_decoder"] = json!({
        "0": {"content": "<unk>", "special": true},
        "310": {"content": "<|im_start|>", "special": false},
        "311": {"content": "\u{2581}note", "special": false},
        "999": {"content": "<beyond>", "special": true},
    });
    std::fs::write(base.join("tokenizer_config.json"), config.to_string()).unwrap();
    let file = f.export_from(&base, "gguf-f16", "model-f16.gguf");
    let vocab = tiny::config().vocab_size.to_string();
    let check = |file: &Path| {
        sentencepiece_check(&[
            "check".as_ref(),
            file.as_os_str(),
            base.as_os_str(),
            vocab.as_ref(),
        ])
    };
    let summary: Value =
        serde_json::from_str(&check(&file).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    assert_eq!(summary["tokens"], tiny::config().vocab_size);
    assert!(summary["pieces"].as_u64().unwrap() > 256, "{summary}");
    assert_eq!(summary["types"]["byte"], 256, "{summary}");
    assert!(
        summary["types"]["user_defined"].as_u64().unwrap() >= 1,
        "{summary}"
    );
    assert!(
        summary["types"]["unused"].as_u64().unwrap() >= 1,
        "{summary}"
    );

    // The checker has teeth: the same model file with token 311 marked
    // special is another vocabulary.
    let other = f.path("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(base.join("tokenizer.model"), other.join("tokenizer.model")).unwrap();
    config["added_tokens_decoder"]["311"]["special"] = true.into();
    std::fs::write(other.join("tokenizer_config.json"), config.to_string()).unwrap();
    let why = sentencepiece_check(&[
        "check".as_ref(),
        file.as_os_str(),
        other.as_os_str(),
        vocab.as_ref(),
    ])
    .unwrap_err();
    assert!(why.contains("id 311:"), "{why}");
}
