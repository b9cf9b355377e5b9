//! Refusals name what is wrong, and a failed export leaves no files.

use super::*;
use crate::error::TrainerError;
use std::sync::atomic::AtomicBool;

fn message(r: Result<(Vec<PathBuf>, Vec<ExportProgress>)>) -> (TrainerError, String) {
    let e = r.expect_err("the export fails");
    let m = e.to_string();
    (e, m)
}

#[test]
fn a_missing_adapter_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    tiny_adapter(&adapter);
    std::fs::remove_file(adapter.join("adapter_model.safetensors")).unwrap();
    let out = dir.path().join("out");
    let (e, m) = message(export(tiny::NAME, &adapter, ExportFormat::Merged, &out));
    assert!(matches!(e, TrainerError::Checkpoint(..)), "{e:?}");
    assert!(m.contains("adapter_model.safetensors"), "{m}");
    assert!(listing(&out).is_empty());
}

#[test]
fn an_adapter_that_does_not_fit_the_base_names_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    let (_, mut tensors) = tiny_adapter(&adapter);
    let key = "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight";
    tensors.insert(
        key.into(),
        Tensor::zeros((R, 128), DType::F32, &Device::Cpu).unwrap(),
    );
    let as_list: Vec<(String, Tensor)> = tensors.clone().into_iter().collect();
    crate::adapter::write_safetensors(&adapter.join("adapter_model.safetensors"), &as_list)
        .unwrap();
    for format in ExportFormat::ALL {
        let out = dir.path().join(format.as_str());
        let (e, m) = message(export(tiny::NAME, &adapter, format, &out));
        assert!(matches!(e, TrainerError::UnsupportedModel(_)), "{e:?}");
        assert!(m.contains("model.layers.1.self_attn.v_proj.weight"), "{m}");
        assert!(listing(&out).is_empty(), "{format}: {:?}", listing(&out));
    }
    // A layer the base does not have.
    tensors.retain(|k, _| !k.contains("layers.1.self_attn.v_proj"));
    for half in ["A", "B"] {
        let t = Tensor::zeros((R, R), DType::F32, &Device::Cpu).unwrap();
        tensors.insert(
            format!("base_model.model.model.layers.9.mlp.up_proj.lora_{half}.weight"),
            t,
        );
    }
    let as_list: Vec<(String, Tensor)> = tensors.into_iter().collect();
    crate::adapter::write_safetensors(&adapter.join("adapter_model.safetensors"), &as_list)
        .unwrap();
    let (_, m) = message(export(
        tiny::NAME,
        &adapter,
        ExportFormat::Merged,
        &dir.path().join("x"),
    ));
    assert!(m.contains("model.layers.9.mlp.up_proj"), "{m}");
}

#[test]
fn gguf_refuses_an_architecture_without_llama_layout() {
    let dir = tempfile::tempdir().unwrap();
    let c = tiny::arch_config("gemma2").unwrap();
    let (base, adapter, _) = folder_with_adapter(dir.path(), &c, &["q_proj"]);
    for format in [
        ExportFormat::GgufF16,
        ExportFormat::GgufQ4KM,
        ExportFormat::GgufLora,
    ] {
        let out = dir.path().join(format.as_str());
        let (e, m) = message(export(base.to_str().unwrap(), &adapter, format, &out));
        assert!(matches!(e, TrainerError::UnsupportedModel(_)), "{e:?}");
        assert!(m.contains("`gemma2`"), "{m}");
    }
}

#[test]
fn a_sentencepiece_tokenizer_without_its_model_file_is_refused_for_gguf() {
    let dir = tempfile::tempdir().unwrap();
    let (base, adapter, _) = folder_with_adapter(dir.path(), &tiny::config(), &["q_proj"]);
    let mut tok = tiny::tokenizer_json();
    tok["model"]["byte_fallback"] = true.into();
    std::fs::write(base.join("tokenizer.json"), tok.to_string()).unwrap();
    let out = dir.path().join("out");
    let (_, m) = message(export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufQ8_0,
        &out,
    ));
    assert!(
        m.contains("SentencePiece") && m.contains("tokenizer.model"),
        "{m}"
    );
    assert!(listing(&out).is_empty());
}

#[test]
fn a_cancelled_export_stops_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    tiny_adapter(&adapter);
    let out = dir.path().join("out");
    let cancel = AtomicBool::new(false);
    let mut seen = 0;
    let job = ExportJob {
        base_model: tiny::NAME,
        adapter_dir: &adapter,
        format: ExportFormat::GgufQ4KM,
        out_dir: &out,
        cancel: Some(&cancel),
    };
    let r = super::super::run(&job, &mut |_| {
        seen += 1;
        if seen == 5 {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(matches!(r, Err(TrainerError::Cancelled)), "{:?}", r.err());
    assert_eq!(seen, 5, "it stops at the next tensor");
    assert!(listing(&out).is_empty(), "{:?}", listing(&out));
    assert_eq!(listing(dir.path()), ["adapter", "out"]);
}
