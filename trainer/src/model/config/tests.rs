use super::*;

fn base() -> Value {
    serde_json::json!({
        "model_type": "llama", "vocab_size": 100, "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    })
}

#[test]
fn rope_theta_is_read_from_either_place() {
    let mut v = base();
    v["rope_parameters"] = serde_json::json!({"rope_theta": 1e6, "rope_type": "default"});
    assert_eq!(ModelConfig::from_json(&v).unwrap().rope_theta, 1e6);
    let mut v = base();
    v["rope_theta"] = 5e5.into();
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.rope_theta, 5e5);
    assert_eq!(c.num_key_value_heads, 4);
    assert_eq!(c.head_dim, 16);
}

#[test]
fn unknown_architectures_and_scalings_are_refused() {
    let mut v = base();
    v["model_type"] = "gpt2".into();
    let e = ModelConfig::from_json(&v).unwrap_err().to_string();
    assert!(e.contains("gpt2") && e.contains("Llama"), "{e}");
    let mut v = base();
    v["rope_scaling"] = serde_json::json!({"rope_type": "yarn", "factor": 4.0});
    let e = ModelConfig::from_json(&v).unwrap_err().to_string();
    assert!(e.contains("yarn"), "{e}");
    let mut v = base();
    v["num_key_value_heads"] = 3.into();
    assert!(ModelConfig::from_json(&v).is_err());
}

#[test]
fn llama3_scaling_keeps_high_frequencies_and_divides_low_ones() {
    let s = RopeScaling::Llama3 {
        factor: 8.0,
        low_freq_factor: 1.0,
        high_freq_factor: 4.0,
        original_max_position_embeddings: 8192,
    };
    let plain = RopeScaling::Default.inv_freq(64, 500_000.0);
    let scaled = s.inv_freq(64, 500_000.0);
    assert_eq!(plain[0], scaled[0]);
    assert!((scaled[31] - plain[31] / 8.0).abs() < 1e-12);
}

fn refused(v: &Value) -> String {
    ModelConfig::from_json(v).unwrap_err().to_string()
}

#[test]
fn what_the_new_architectures_ask_for_and_this_trainer_lacks_is_refused_by_name() {
    let mut v = base();
    v["model_type"] = "phi3".into();
    v["partial_rotary_factor"] = 0.75.into();
    assert!(refused(&v).contains("partial_rotary_factor"));
    let mut v = base();
    v["model_type"] = "phi3".into();
    v["rope_scaling"] =
        serde_json::json!({"type": "longrope", "short_factor": [1.0], "long_factor": [1.0]});
    assert!(refused(&v).contains("longrope"));
    let mut v = base();
    v["model_type"] = "gemma2".into();
    v["hidden_activation"] = "gelu".into();
    assert!(refused(&v).contains("hidden_activation"));
    let mut v = base();
    v["model_type"] = "gemma3_text".into();
    v["use_bidirectional_attention"] = true.into();
    assert!(refused(&v).contains("use_bidirectional_attention"));
    let mut v = base();
    v["model_type"] = "qwen3".into();
    v["use_sliding_window"] = true.into();
    assert!(refused(&v).contains("use_sliding_window"));
    let mut v = base();
    v["final_logit_softcapping"] = 30.0.into();
    assert!(refused(&v).contains("final_logit_softcapping"));
    let mut v = base();
    v["model_type"] = "gemma2".into();
    v["layer_types"] = serde_json::json!(["sliding_attention", "chunked_attention"]);
    assert!(refused(&v).contains("layer_types"));
}

#[test]
fn the_new_architectures_default_as_transformers_does() {
    let mut v = base();
    v["model_type"] = "gemma2".into();
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.head_dim, 256);
    assert!(c.tie_word_embeddings && c.arch.gemma && !c.arch.qk_norm);
    assert_eq!(c.arch.attn_logit_softcapping, Some(50.0));
    assert_eq!(c.arch.final_logit_softcapping, Some(30.0));
    assert_eq!((c.sliding(0), c.sliding(1)), (Some(4096), None));
    assert_eq!(c.attention_scale(), 1.0 / 16.0);
    v["final_logit_softcapping"] = Value::Null;
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.arch.final_logit_softcapping, None);

    // Gemma 3 with its vision tower, RoPE per layer type (transformers 5).
    let mut text = base();
    text["model_type"] = "gemma3_text".into();
    text["num_hidden_layers"] = 6.into();
    text["rope_parameters"] = serde_json::json!({
        "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6},
        "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}});
    let v = serde_json::json!({"model_type": "gemma3", "text_config": text});
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.model_type, "gemma3_text");
    assert!(c.arch.multimodal);
    let name = |n: &str| c.text_weight_name(n);
    assert_eq!(
        name("language_model.model.layers.0.mlp.up_proj.weight").as_deref(),
        Some("model.layers.0.mlp.up_proj.weight")
    );
    assert_eq!(
        name("model.language_model.norm.weight").as_deref(),
        Some("model.norm.weight")
    );
    assert_eq!(
        name("vision_tower.vision_model.post_layernorm.weight"),
        None
    );
    assert_eq!(
        name("model.vision_tower.vision_model.post_layernorm.weight"),
        None
    );
    assert_eq!(c.rope_theta, 1e6);
    assert_eq!(c.rope_scaling, RopeScaling::Linear { factor: 8.0 });
    assert_eq!(c.arch.local_rope, Some((1e4, RopeScaling::Default)));
    let sliding: Vec<bool> = (0..6).map(|i| c.sliding(i).is_some()).collect();
    assert_eq!(sliding, [true, true, true, true, true, false]);
    assert!(c.arch.qk_norm && c.arch.attn_logit_softcapping.is_none());

    let mut v = base();
    v["model_type"] = "qwen3".into();
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.head_dim, 128);
    assert!(c.arch.qk_norm && !c.attention_bias && !c.tie_word_embeddings);
    let mut v = base();
    v["model_type"] = "phi3".into();
    let c = ModelConfig::from_json(&v).unwrap();
    assert!(c.fused_projections() && c.sliding(0).is_none());
    assert_eq!(c.rms_norm_eps, 1e-5);
    let mut v = base();
    v["model_type"] = "mistral".into();
    let c = ModelConfig::from_json(&v).unwrap();
    assert_eq!(c.sliding(1), Some(4096));
    v["sliding_window"] = Value::Null;
    assert_eq!(ModelConfig::from_json(&v).unwrap().sliding(1), None);
}
