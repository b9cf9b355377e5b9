//! `brightrun-trainer export` as the server runs it: JSON progress lines,
//! the files at the end, exit 1 with the reason on stderr.

use brightrun_trainer::HyperParams;
use brightrun_trainer::model::{llama::TARGETS, tiny};
use candle_core::{DType, Device, Tensor};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn write_adapter(dir: &Path) {
    let (_, vars) = tiny::with_every_adapter(0, &Device::Cpu, DType::F32, 0.0, 1, 2).unwrap();
    let tensors: Vec<(String, Tensor)> = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let h = HyperParams {
        lora_r: 4,
        lora_alpha: 8.0,
        target_modules: TARGETS.iter().map(|t| t.to_string()).collect(),
        ..HyperParams::default()
    };
    brightrun_trainer::adapter::write(dir, tiny::NAME, &h, &tensors).unwrap();
}

fn export(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brightrun-trainer"))
        .arg("export")
        .args(args)
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn export_prints_progress_then_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    write_adapter(&adapter);
    let out_dir = dir.path().join("out");
    let (a, o) = (adapter.to_str().unwrap(), out_dir.to_str().unwrap());
    let out = export(&[
        "--base",
        tiny::NAME,
        "--adapter",
        a,
        "--format",
        "gguf-lora",
        "--out",
        o,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = lines(&out);
    let (last, progress) = events.split_last().unwrap();
    assert_eq!(last["event"], "done");
    assert_eq!(last["files"], serde_json::json!(["adapter-f16.gguf"]));
    assert!(out_dir.join("adapter-f16.gguf").is_file());
    assert!(progress.len() > 2);
    for p in progress {
        assert_eq!(p["event"], "progress", "{p}");
        assert!(
            p["stage"].is_string() && p["done"].as_u64() <= p["total"].as_u64(),
            "{p}"
        );
    }
    assert_eq!(
        progress.last().unwrap()["done"],
        progress.last().unwrap()["total"]
    );
}

#[test]
fn a_failed_export_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-adapter");
    let o = dir.path().join("out");
    let (a, o) = (missing.to_str().unwrap(), o.to_str().unwrap());
    let out = export(&[
        "--base",
        tiny::NAME,
        "--adapter",
        a,
        "--format",
        "merged",
        "--out",
        o,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("adapter_config.json"), "{stderr}");
    assert!(lines(&out).iter().all(|l| l["event"] != "done"));
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let out = export(&[
        "--base",
        "x",
        "--adapter",
        "y",
        "--format",
        "onnx",
        "--out",
        "z",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--format `onnx`") && stderr.contains("gguf-q4_k_m"),
        "{stderr}"
    );
}
