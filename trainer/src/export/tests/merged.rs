//! The merged folder loads back and answers as the base with its adapter.

use super::*;
use crate::model::folder;
use serde_json::Value;

fn ids() -> Tensor {
    Tensor::new(&[[5u32, 17, 256, 99, 3, 258, 40, 41]], &Device::Cpu).unwrap()
}

/// The merged folder's logits against the adapted model's.
fn assert_same_logits(merged_dir: &Path, adapted: &Llama) {
    let merged = folder::load(merged_dir.to_str().unwrap(), &Device::Cpu, DType::F32).unwrap();
    let want = adapted.forward(&ids()).unwrap();
    let got = merged.model.forward(&ids()).unwrap();
    let diff = max_abs_diff(&got, &want);
    assert!(diff < 1e-4, "merged logits differ by {diff}");
}

#[test]
fn tiny_merged_folder_answers_as_the_adapted_model() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    let (model, _) = tiny_adapter(&adapter);
    let out = dir.path().join("out");
    let (files, events) = export(tiny::NAME, &adapter, ExportFormat::Merged, &out).unwrap();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "model.safetensors",
            "model.safetensors.index.json",
            "tokenizer.json",
            "tokenizer_config.json"
        ]
    );
    assert_eq!(listing(&out), names, "nothing else is left in the folder");
    assert_eq!(
        listing(dir.path()),
        ["adapter", "out"],
        "the tiny base folder is removed"
    );
    assert_same_logits(&out, &model);
    let last = events.last().unwrap();
    assert_eq!((last.done, last.fraction()), (last.total, 1.0));
    assert!(
        events
            .iter()
            .any(|e| e.stage == "merging model.safetensors")
    );
    // The adapter changes the answer: a merge that dropped it would fail above.
    let base = tiny::model(0, &Device::Cpu).unwrap();
    assert!(
        max_abs_diff(
            &base.forward(&ids()).unwrap(),
            &model.forward(&ids()).unwrap()
        ) > 1e-3
    );
}

/// Splits a folder's model.safetensors into two shards with an index.
fn shard_in_two(dir: &Path) -> Value {
    let all = crate::adapter::read_safetensors(&dir.join("model.safetensors")).unwrap();
    let mut names: Vec<&String> = all.keys().collect();
    names.sort();
    let (first, second) = names.split_at(names.len() / 2);
    let mut map = serde_json::Map::new();
    for (i, part) in [first, second].into_iter().enumerate() {
        let file = format!("model-0000{}-of-00002.safetensors", i + 1);
        let tensors: Vec<(String, Tensor)> = part
            .iter()
            .map(|n| ((*n).clone(), all[*n].clone()))
            .collect();
        crate::adapter::write_safetensors(&dir.join(&file), &tensors).unwrap();
        for n in part {
            map.insert((*n).clone(), file.clone().into());
        }
    }
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    let index = serde_json::json!({"metadata": {}, "weight_map": map});
    std::fs::write(dir.join(super::super::merge::INDEX_FILE), index.to_string()).unwrap();
    index
}

#[test]
fn a_sharded_base_merges_shard_by_shard_and_keeps_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let (base, adapter, model) = folder_with_adapter(dir.path(), &tiny::config(), &ALL);
    let index = shard_in_two(&base);
    let out = dir.path().join("out");
    let (files, events) =
        export(base.to_str().unwrap(), &adapter, ExportFormat::Merged, &out).unwrap();
    for shard in [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ] {
        assert!(files.contains(&PathBuf::from(shard)), "{files:?}");
        assert!(events.iter().any(|e| e.stage == format!("merging {shard}")));
    }
    assert!(!files.contains(&PathBuf::from("model.safetensors")));
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("model.safetensors.index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["weight_map"], index["weight_map"]);
    let shard_bytes: u64 = [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    .iter()
    .map(|f| candle_core::safetensors::load(out.join(f), &Device::Cpu).unwrap())
    .flat_map(|m| m.into_values())
    .map(|t| (t.elem_count() * t.dtype().size_in_bytes()) as u64)
    .sum();
    assert_eq!(written["metadata"]["total_size"], shard_bytes);
    assert_same_logits(&out, &model);
}

#[test]
fn a_bf16_base_stays_bf16_with_the_merge_rounded_once() {
    let dir = tempfile::tempdir().unwrap();
    let (base, adapter, _) = folder_with_adapter(dir.path(), &tiny::config(), &["q_proj"]);
    let f32_weights = crate::adapter::read_safetensors(&base.join("model.safetensors")).unwrap();
    let bf16: Vec<(String, Tensor)> = f32_weights
        .iter()
        .map(|(n, t)| (n.clone(), t.to_dtype(DType::BF16).unwrap()))
        .collect();
    crate::adapter::write_safetensors(&base.join("model.safetensors"), &bf16).unwrap();
    let adapter_tensors =
        crate::adapter::read_safetensors(&adapter.join("adapter_model.safetensors")).unwrap();
    let want = expected_merge(&base, &adapter_tensors);
    let out = dir.path().join("out");
    export(base.to_str().unwrap(), &adapter, ExportFormat::Merged, &out).unwrap();
    let got = crate::adapter::read_safetensors(&out.join("model.safetensors")).unwrap();
    let q = "model.layers.1.self_attn.q_proj.weight";
    assert_eq!(got[q].dtype(), DType::BF16);
    let want_q = want[q]
        .to_dtype(DType::BF16)
        .unwrap()
        .to_dtype(DType::F32)
        .unwrap();
    assert_eq!(
        max_abs_diff(&got[q].to_dtype(DType::F32).unwrap(), &want_q),
        0.0
    );
    let k = "model.layers.1.self_attn.k_proj.weight";
    let same = max_abs_diff(&got[k].to_dtype(DType::F32).unwrap(), &bf16_of(&bf16, k));
    assert_eq!(
        same, 0.0,
        "weights without an adapter are copied as they are"
    );
}

fn bf16_of(tensors: &[(String, Tensor)], name: &str) -> Tensor {
    let t = &tensors.iter().find(|(n, _)| n == name).unwrap().1;
    t.to_dtype(DType::F32).unwrap()
}

#[test]
fn other_architectures_merge_too() {
    // Phi-3's fused qkv_proj and gate_up_proj: the merge is generic.
    let dir = tempfile::tempdir().unwrap();
    let c = tiny::arch_config("phi3").unwrap();
    let (base, adapter, model) = folder_with_adapter(dir.path(), &c, &ALL);
    let out = dir.path().join("out");
    export(base.to_str().unwrap(), &adapter, ExportFormat::Merged, &out).unwrap();
    assert_same_logits(&out, &model);
}
