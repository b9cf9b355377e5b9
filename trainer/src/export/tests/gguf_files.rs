//! Merged GGUF files read back: names, shapes, types, metadata, values.

use super::*;
use crate::export::gguf::rotary::unpermute_rows;
use candle_core::quantized::GgmlDType;

const LAYER_TENSORS: [(&str, &str); 9] = [
    ("attn_norm", "input_layernorm"),
    ("ffn_norm", "post_attention_layernorm"),
    ("attn_q", "self_attn.q_proj"),
    ("attn_k", "self_attn.k_proj"),
    ("attn_v", "self_attn.v_proj"),
    ("attn_output", "self_attn.o_proj"),
    ("ffn_gate", "mlp.gate_proj"),
    ("ffn_up", "mlp.up_proj"),
    ("ffn_down", "mlp.down_proj"),
];

/// Every GGUF tensor name of a Llama with this config, with its Hugging
/// Face name.
fn gguf_names(c: &ModelConfig) -> Vec<(String, String)> {
    let mut names = vec![
        (
            "token_embd.weight".to_string(),
            "model.embed_tokens.weight".to_string(),
        ),
        ("output_norm.weight".into(), "model.norm.weight".into()),
    ];
    if !c.tie_word_embeddings {
        names.push(("output.weight".into(), "lm_head.weight".into()));
    }
    for i in 0..c.num_hidden_layers {
        for (g, hf) in LAYER_TENSORS {
            names.push((
                format!("blk.{i}.{g}.weight"),
                format!("model.layers.{i}.{hf}.weight"),
            ));
        }
    }
    names
}

/// What a type's rounding may cost, as RMS error over RMS value.
fn tolerance(t: GgmlDType) -> f32 {
    match t {
        GgmlDType::F32 => 1e-6,
        GgmlDType::F16 => 1e-3,
        GgmlDType::Q8_0 => 1e-2,
        GgmlDType::Q6K => 3e-2,
        GgmlDType::Q5_0 => 6e-2,
        _ => 0.12,
    }
}

/// Every tensor dequantizes close to the merged weight, q and k with
/// llama.cpp's rotary permutation undone.
fn assert_values(g: &mut Gguf, c: &ModelConfig, want: &HashMap<String, Tensor>, permuted: bool) {
    for (name, hf) in gguf_names(c) {
        let mut got = g.tensor(&name);
        if permuted && name.contains("attn_q.") {
            got = unpermute_rows(&got, c.num_attention_heads).unwrap();
        } else if permuted && name.contains("attn_k.") {
            got = unpermute_rows(&got, c.num_key_value_heads).unwrap();
        }
        let err = rel_rms(&got, &want[&hf]);
        assert!(
            err < tolerance(g.dtype(&name)),
            "{name} ({:?}) is off by {err}",
            g.dtype(&name)
        );
    }
}

/// Exports tiny-llama with its adapter in `format`; the file and the
/// merged weights it must hold.
fn tiny_gguf(dir: &Path, format: ExportFormat) -> (Gguf, HashMap<String, Tensor>) {
    let (base, adapter, _) = folder_with_adapter(dir, &tiny::config(), &ALL);
    let tensors =
        crate::adapter::read_safetensors(&adapter.join("adapter_model.safetensors")).unwrap();
    let want = expected_merge(&base, &tensors);
    let out = dir.join("out");
    let (files, _) = export(tiny::NAME, &adapter, format, &out).unwrap();
    assert_eq!(files, [PathBuf::from(format.gguf_file_name().unwrap())]);
    assert_eq!(listing(&out), [format.gguf_file_name().unwrap()]);
    (Gguf::open(&out.join(&files[0])), want)
}

#[test]
fn f16_gguf_holds_the_merged_model_in_llama_cpp_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (mut g, want) = tiny_gguf(dir.path(), ExportFormat::GgufF16);
    let c = tiny::config();
    let mut names: Vec<String> = gguf_names(&c).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(g.names(), names, "no output.weight: the head is tied");
    for (name, hf) in gguf_names(&c) {
        let want_type = if name.ends_with("_norm.weight") {
            GgmlDType::F32
        } else {
            GgmlDType::F16
        };
        assert_eq!(g.dtype(&name), want_type, "{name}");
        assert_eq!(g.shape(&name), want[&hf].dims(), "{name}");
    }
    assert_values(&mut g, &c, &want, true);
    for (key, value) in [
        ("llama.block_count", 4),
        ("llama.context_length", 2048),
        ("llama.embedding_length", 256),
        ("llama.feed_forward_length", 688),
        ("llama.attention.head_count", 4),
        ("llama.attention.head_count_kv", 2),
        ("llama.attention.key_length", 64),
        ("llama.attention.value_length", 64),
        ("llama.rope.dimension_count", 64),
        ("llama.vocab_size", 320),
        ("general.file_type", 1),
        ("general.quantization_version", 2),
        ("general.alignment", 32),
        ("tokenizer.ggml.eos_token_id", 258),
        ("tokenizer.ggml.padding_token_id", 256),
    ] {
        assert_eq!(g.u32(key), value, "{key}");
    }
    assert_eq!(g.f32("llama.rope.freq_base"), 10_000.0);
    assert_eq!(g.f32("llama.attention.layer_norm_rms_epsilon"), 1e-6);
    assert_eq!(g.str("general.architecture"), "llama");
    assert_eq!(g.str("general.type"), "model");
    assert_tiny_tokenizer(&g);
}

fn assert_tiny_tokenizer(g: &Gguf) {
    let m = &g.content.metadata;
    assert_eq!(g.str("tokenizer.ggml.model"), "gpt2");
    assert_eq!(g.str("tokenizer.ggml.pre"), "default");
    assert_eq!(g.str("tokenizer.chat_template"), crate::chat::CHATML);
    let tokens = m["tokenizer.ggml.tokens"].to_vec().unwrap();
    let types = m["tokenizer.ggml.token_type"].to_vec().unwrap();
    assert_eq!(
        (tokens.len(), types.len()),
        (320, 320),
        "padded to vocab_size"
    );
    let tok = |i: usize| tokens[i].to_string().unwrap().clone();
    let kind = |i: usize| types[i].to_i32().unwrap();
    assert_eq!((tok(65), kind(65)), ("A".to_string(), 1));
    assert_eq!((tok(256), kind(256)), ("<|endoftext|>".to_string(), 3));
    assert_eq!((tok(258), kind(258)), ("<|im_end|>".to_string(), 3));
    assert_eq!((tok(300), kind(300)), ("[PAD300]".to_string(), 5));
    assert!(
        m["tokenizer.ggml.merges"].to_vec().unwrap().is_empty(),
        "present, empty"
    );
    assert!(
        !m.contains_key("tokenizer.ggml.bos_token_id"),
        "tiny-llama has no BOS"
    );
}

#[test]
fn q8_0_gguf_quantizes_rows_of_32_and_keeps_the_rest_f16() {
    let dir = tempfile::tempdir().unwrap();
    let (mut g, want) = tiny_gguf(dir.path(), ExportFormat::GgufQ8_0);
    let c = tiny::config();
    assert_eq!(g.dtype("blk.0.attn_q.weight"), GgmlDType::Q8_0);
    assert_eq!(g.dtype("token_embd.weight"), GgmlDType::Q8_0);
    // 688 inputs: not a multiple of 32, so F16 as convert_hf_to_gguf.py falls back.
    assert_eq!(g.dtype("blk.3.ffn_down.weight"), GgmlDType::F16);
    assert_eq!(g.dtype("blk.3.ffn_norm.weight"), GgmlDType::F32);
    assert_eq!(g.u32("general.file_type"), 7);
    assert_values(&mut g, &c, &want, true);
}

#[test]
fn q4_k_m_follows_llama_quantize_mix() {
    let dir = tempfile::tempdir().unwrap();
    let (mut g, want) = tiny_gguf(dir.path(), ExportFormat::GgufQ4KM);
    let c = tiny::config();
    // Tied head: token_embd is quantized as the output; 4 layers: 2 and 3
    // get more bits; ffn_down's 688 columns fall back to F16.
    assert_eq!(g.dtype("token_embd.weight"), GgmlDType::Q6K);
    for (i, v) in [
        (0, GgmlDType::Q4K),
        (1, GgmlDType::Q4K),
        (2, GgmlDType::Q6K),
        (3, GgmlDType::Q6K),
    ] {
        assert_eq!(g.dtype(&format!("blk.{i}.attn_v.weight")), v, "layer {i}");
        assert_eq!(g.dtype(&format!("blk.{i}.attn_q.weight")), GgmlDType::Q4K);
        assert_eq!(g.dtype(&format!("blk.{i}.ffn_down.weight")), GgmlDType::F16);
        assert_eq!(
            g.dtype(&format!("blk.{i}.attn_norm.weight")),
            GgmlDType::F32
        );
    }
    assert_eq!(g.u32("general.file_type"), 15);
    assert_values(&mut g, &c, &want, true);
}

#[test]
fn q4_k_m_of_an_untied_model_puts_q6_k_on_the_head_and_more_bits_ffn_down() {
    let dir = tempfile::tempdir().unwrap();
    let c = ModelConfig {
        intermediate_size: 512,
        tie_word_embeddings: false,
        ..tiny::config()
    };
    let (base, adapter, _) = folder_with_adapter(dir.path(), &c, &["q_proj", "down_proj"]);
    let out = dir.path().join("out");
    export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufQ4KM,
        &out,
    )
    .unwrap();
    let g = Gguf::open(&out.join("model-q4_k_m.gguf"));
    assert_eq!(g.dtype("output.weight"), GgmlDType::Q6K);
    assert_eq!(g.dtype("token_embd.weight"), GgmlDType::Q4K);
    for (i, t) in [
        (0, GgmlDType::Q4K),
        (1, GgmlDType::Q4K),
        (2, GgmlDType::Q6K),
        (3, GgmlDType::Q6K),
    ] {
        assert_eq!(g.dtype(&format!("blk.{i}.ffn_down.weight")), t, "layer {i}");
    }
}

#[test]
fn qwen2_keeps_its_biases_and_hugging_face_rotary_layout() {
    let dir = tempfile::tempdir().unwrap();
    let c = tiny::arch_config("qwen2").unwrap();
    let (base, adapter, _) = folder_with_adapter(dir.path(), &c, &ALL);
    let tensors =
        crate::adapter::read_safetensors(&adapter.join("adapter_model.safetensors")).unwrap();
    let want = expected_merge(&base, &tensors);
    let out = dir.path().join("out");
    export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufF16,
        &out,
    )
    .unwrap();
    let mut g = Gguf::open(&out.join("model-f16.gguf"));
    assert_eq!(g.str("general.architecture"), "qwen2");
    assert_eq!(g.u32("qwen2.block_count"), 3);
    assert!(!g.content.metadata.contains_key("qwen2.vocab_size"));
    assert_values(&mut g, &c, &want, false);
    let bias = g.tensor("blk.2.attn_k.bias");
    assert_eq!(g.dtype("blk.2.attn_k.bias"), GgmlDType::F32);
    assert_eq!(
        max_abs_diff(&bias, &want["model.layers.2.self_attn.k_proj.bias"]),
        0.0
    );
    assert!(g.content.tensor_infos.contains_key("output.weight"));
}

#[test]
fn rope_scaling_goes_in_as_llama_cpp_reads_it() {
    use crate::model::config::RopeScaling;
    let dir = tempfile::tempdir().unwrap();
    let llama3 = ModelConfig {
        rope_scaling: RopeScaling::Llama3 {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192,
        },
        ..tiny::config()
    };
    let (base, adapter, _) = folder_with_adapter(&dir.path().join("a"), &llama3, &["q_proj"]);
    let out = dir.path().join("a/out");
    export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufQ8_0,
        &out,
    )
    .unwrap();
    let mut g = Gguf::open(&out.join("model-q8_0.gguf"));
    assert_eq!(g.dtype("rope_freqs.weight"), GgmlDType::F32);
    let f = g.tensor("rope_freqs.weight").to_vec1::<f32>().unwrap();
    assert_eq!(f.len(), 32);
    assert_eq!(
        (f[0], f[31]),
        (1.0, 8.0),
        "high frequencies kept, low ones divided by 8"
    );
    assert!(f.windows(2).all(|w| w[0] <= w[1]));
    let linear = ModelConfig {
        rope_scaling: RopeScaling::Linear { factor: 2.0 },
        ..tiny::config()
    };
    let (base, adapter, _) = folder_with_adapter(&dir.path().join("b"), &linear, &["q_proj"]);
    let out = dir.path().join("b/out");
    export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufF16,
        &out,
    )
    .unwrap();
    let g = Gguf::open(&out.join("model-f16.gguf"));
    assert_eq!(g.str("llama.rope.scaling.type"), "linear");
    assert_eq!(g.f32("llama.rope.scaling.factor"), 2.0);
    assert!(!g.content.tensor_infos.contains_key("rope_freqs.weight"));
}
