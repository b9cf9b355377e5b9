//! The pieces on their own: the writer, the type mix, names, tokenizers.

use super::*;
use crate::export::gguf::names::{self, Place};
use crate::export::gguf::quant::{self, Facts, Mix};
use crate::export::gguf::writer::{GgufWriter, Meta, TensorInfo};
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::Value;

#[test]
fn the_writer_round_trips_through_candles_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.gguf");
    let kv = vec![
        ("a.u32".to_string(), Meta::U32(7)),
        ("a.f32".into(), Meta::F32(0.5)),
        ("a.bool".into(), Meta::Bool(true)),
        ("a.str".into(), Meta::Str("héllo".into())),
        ("a.strs".into(), Meta::Strs(vec!["x".into(), "".into()])),
        ("a.empty".into(), Meta::Strs(vec![])),
        ("a.i32s".into(), Meta::I32s(vec![-1, 3])),
    ];
    let values: Vec<f32> = (0..3 * 64).map(|i| (i as f32 * 0.37).sin()).collect();
    let infos = vec![
        TensorInfo {
            name: "w8".into(),
            shape: vec![3, 64],
            dtype: GgmlDType::Q8_0,
        },
        TensorInfo {
            name: "v".into(),
            shape: vec![5],
            dtype: GgmlDType::F32,
        },
    ];
    let mut out = crate::export::partial::Outputs::new(dir.path());
    let mut w = GgufWriter::start(out.create("t.gguf").unwrap(), &kv, infos, "t.gguf").unwrap();
    assert!(w.write("v", &[0u8; 20]).is_err(), "out of order");
    w.write("w8", &quant::encode(&values, 64, GgmlDType::Q8_0).unwrap())
        .unwrap();
    w.write(
        "v",
        &quant::encode(&[1.0, 2.0, 3.0, 4.0, 5.0], 5, GgmlDType::F32).unwrap(),
    )
    .unwrap();
    w.finish().unwrap();
    out.commit().unwrap();
    let mut g = Gguf::open(&path);
    assert_eq!(g.u32("a.u32"), 7);
    assert_eq!(g.f32("a.f32"), 0.5);
    assert!(g.content.metadata["a.bool"].to_bool().unwrap());
    assert_eq!(g.str("a.str"), "héllo");
    assert_eq!(g.content.metadata["a.strs"].to_vec().unwrap().len(), 2);
    assert!(g.content.metadata["a.empty"].to_vec().unwrap().is_empty());
    assert!(matches!(
        g.content.metadata["a.i32s"].to_vec().unwrap()[0],
        Value::I32(-1)
    ));
    assert_eq!(g.shape("w8"), [3, 64]);
    let want = Tensor::from_vec(values, (3, 64), &Device::Cpu).unwrap();
    assert!(rel_rms(&g.tensor("w8"), &want) < 1e-2);
    assert_eq!(
        g.tensor("v").to_vec1::<f32>().unwrap(),
        [1.0, 2.0, 3.0, 4.0, 5.0]
    );
    assert_eq!(g.content.tensor_data_offset % 32, 0);
}

#[test]
fn more_bits_go_to_the_ends_and_every_third_layer() {
    let more: Vec<usize> = (0..32).filter(|&i| quant::use_more_bits(i, 32)).collect();
    assert_eq!(
        more,
        [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
    );
    let four: Vec<usize> = (0..4).filter(|&i| quant::use_more_bits(i, 4)).collect();
    assert_eq!(four, [2, 3]);
}

#[test]
fn types_fall_back_as_llama_quantize_does() {
    let f = Facts {
        n_layer: 32,
        has_output: true,
        is_70b: false,
    };
    let q4 = |name: &str, cols: usize| quant::choose(Mix::Q4KM, name, &[64, cols], &f);
    assert_eq!(q4("blk.5.attn_q.weight", 4096), GgmlDType::Q4K);
    assert_eq!(q4("blk.5.attn_q.weight", 2080), GgmlDType::Q5_0);
    assert_eq!(q4("blk.5.attn_q.weight", 2072), GgmlDType::F16);
    assert_eq!(
        q4("blk.6.ffn_down.weight", 2080),
        GgmlDType::Q8_0,
        "Q6_K falls back to Q8_0"
    );
    assert_eq!(q4("blk.5.ffn_down.weight", 14336), GgmlDType::Q4K);
    assert_eq!(q4("output.weight", 4096), GgmlDType::Q6K);
    assert_eq!(q4("token_embd.weight", 4096), GgmlDType::Q4K);
    let big = Facts {
        n_layer: 80,
        has_output: true,
        is_70b: true,
    };
    assert_eq!(
        quant::choose(Mix::Q4KM, "blk.11.attn_v.weight", &[1024, 8192], &big),
        GgmlDType::Q5K
    );
    assert_eq!(
        quant::choose(Mix::Q8_0, "blk.0.attn_q.bias", &[4096], &f),
        GgmlDType::F32
    );
    assert_eq!(
        quant::choose(Mix::F16, "output_norm.weight", &[4096], &f),
        GgmlDType::F32
    );
}

#[test]
fn hugging_face_names_map_to_llama_cpp_names() {
    let c = tiny::config();
    let name = |hf: &str| names::place(hf, &c);
    let as_ = |s: &str| Some(Place::As(s.into()));
    assert_eq!(
        name("model.layers.3.mlp.down_proj.weight"),
        as_("blk.3.ffn_down.weight")
    );
    assert_eq!(
        name("model.layers.0.self_attn.q_proj.bias"),
        as_("blk.0.attn_q.bias")
    );
    assert_eq!(
        name("model.layers.1.post_attention_layernorm.weight"),
        as_("blk.1.ffn_norm.weight")
    );
    assert_eq!(name("lm_head.weight"), Some(Place::Skip), "tied");
    assert_eq!(
        name("model.layers.0.self_attn.rotary_emb.inv_freq"),
        Some(Place::Skip)
    );
    assert_eq!(
        name("model.layers.4.mlp.up_proj.weight"),
        None,
        "beyond the layers"
    );
    assert_eq!(name("model.layers.0.self_attn.q_norm.weight"), None);
}

fn tokenizer_with(pre: serde_json::Value) -> serde_json::Value {
    let mut tok = tiny::tokenizer_json();
    tok["pre_tokenizer"] = pre;
    tok
}

#[test]
fn pre_tokenizers_are_named_from_their_definition() {
    let llama3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    let split = |regex: &str| {
        serde_json::json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]})
    };
    let smollm = serde_json::json!({"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": true},
        {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]});
    let qwen2 = llama3.replace(r"\p{N}{1,3}", r"\p{N}");
    for (pre, want) in [
        (split(llama3), "llama-bpe"),
        (split(&qwen2), "qwen2"),
        (smollm, "smollm"),
        (tiny::tokenizer_json()["pre_tokenizer"].clone(), "default"),
    ] {
        let kv =
            crate::export::gguf::vocab::vocab(Path::new("."), &tokenizer_with(pre), 320).unwrap();
        assert!(
            kv.contains(&("tokenizer.ggml.pre".to_string(), Meta::Str(want.into()))),
            "{want}"
        );
    }
}

#[test]
fn bos_is_added_when_the_template_starts_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut tok = tiny::tokenizer_json();
    tok["post_processor"] = serde_json::json!({"type": "Sequence", "processors": [
        {"type": "ByteLevel"},
        {"type": "TemplateProcessing", "single": [
            {"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]}]});
    let mut tc = tiny::tokenizer_config_json();
    tc["bos_token"] = "<|im_start|>".into();
    std::fs::write(dir.path().join("tokenizer_config.json"), tc.to_string()).unwrap();
    let config = serde_json::json!({"bos_token_id": 1, "eos_token_id": 2, "unk_token_id": 3});
    let kv = crate::export::gguf::special::special(dir.path(), &tok, &config, 320).unwrap();
    let has = |k: &str, v: Meta| kv.contains(&(format!("tokenizer.ggml.{k}"), v));
    assert!(
        has("bos_token_id", Meta::U32(257)),
        "tokenizer_config.json wins: {kv:?}"
    );
    assert!(has("eos_token_id", Meta::U32(258)));
    assert!(
        has("unknown_token_id", Meta::U32(3)),
        "config.json fills the rest"
    );
    assert!(has("add_bos_token", Meta::Bool(true)));
}

#[test]
fn the_post_processor_decides_before_tokenizer_config() {
    let dir = tempfile::tempdir().unwrap();
    let run = |post: serde_json::Value, tc: serde_json::Value| {
        let mut tok = tiny::tokenizer_json();
        tok["post_processor"] = post;
        std::fs::write(dir.path().join("tokenizer_config.json"), tc.to_string()).unwrap();
        crate::export::gguf::special::special(dir.path(), &tok, &serde_json::Value::Null, 320)
            .unwrap()
    };
    let has =
        |kv: &[(String, Meta)], k: &str, v: Meta| kv.contains(&(format!("tokenizer.ggml.{k}"), v));
    // ByteLevel adds nothing, whatever tokenizer_config.json says.
    let mut tc = tiny::tokenizer_config_json();
    tc["add_bos_token"] = true.into();
    let kv = run(
        serde_json::json!({"type": "ByteLevel", "use_regex": false}),
        tc,
    );
    assert!(has(&kv, "add_bos_token", Meta::Bool(false)), "{kv:?}");
    assert!(has(&kv, "add_eos_token", Meta::Bool(false)));
    // A template's leading token that tokenizer_config.json does not name becomes BOS.
    let template = serde_json::json!({"type": "TemplateProcessing", "single": [
        {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]});
    let kv = run(template, tiny::tokenizer_config_json());
    assert!(has(&kv, "bos_token_id", Meta::U32(256)), "{kv:?}");
    assert!(has(&kv, "add_bos_token", Meta::Bool(true)));
    assert!(has(&kv, "eos_token_id", Meta::U32(258)));
}
