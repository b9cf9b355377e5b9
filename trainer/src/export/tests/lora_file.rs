//! The GGUF LoRA: two tensors per adapted projection, alpha, the layout.

use super::*;
use crate::export::gguf::rotary::unpermute_rows;
use candle_core::quantized::GgmlDType;

#[test]
fn lora_gguf_holds_a_and_b_per_projection_with_alpha() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = dir.path().join("adapter");
    let (_, tensors) = tiny_adapter(&adapter);
    let out = dir.path().join("out");
    let (files, events) = export(tiny::NAME, &adapter, ExportFormat::GgufLora, &out).unwrap();
    assert_eq!(files, [PathBuf::from("adapter-f16.gguf")]);
    assert_eq!(events.last().map(|e| e.fraction()), Some(1.0));
    let mut g = Gguf::open(&out.join("adapter-f16.gguf"));
    assert_eq!(g.str("general.type"), "adapter");
    assert_eq!(g.str("general.architecture"), "llama");
    assert_eq!(g.str("adapter.type"), "lora");
    assert_eq!(g.f32("adapter.lora.alpha"), ALPHA as f32);
    let c = tiny::config();
    assert_eq!(g.names().len(), 2 * 7 * c.num_hidden_layers);
    let pairs = [
        ("attn_q", "self_attn.q_proj", Some(c.num_attention_heads)),
        ("attn_k", "self_attn.k_proj", Some(c.num_key_value_heads)),
        ("attn_v", "self_attn.v_proj", None),
        ("attn_output", "self_attn.o_proj", None),
        ("ffn_gate", "mlp.gate_proj", None),
        ("ffn_up", "mlp.up_proj", None),
        ("ffn_down", "mlp.down_proj", None),
    ];
    for i in 0..c.num_hidden_layers {
        for (g_name, hf, heads) in pairs {
            let peft = format!("base_model.model.model.layers.{i}.{hf}");
            let (a, b) = (
                &tensors[&format!("{peft}.lora_A.weight")],
                &tensors[&format!("{peft}.lora_B.weight")],
            );
            let name = format!("blk.{i}.{g_name}.weight");
            let (ga, mut gb) = (
                g.tensor(&format!("{name}.lora_a")),
                g.tensor(&format!("{name}.lora_b")),
            );
            assert_eq!(g.shape(&format!("{name}.lora_a")), [R, a.dims()[1]]);
            assert_eq!(g.shape(&format!("{name}.lora_b")), [b.dims()[0], R]);
            assert_eq!(
                g.dtype(&format!("{name}.lora_a")),
                GgmlDType::F16,
                "the LoRA file is F16 whatever the base"
            );
            if let Some(n) = heads {
                assert!(max_abs_diff(&gb, b) > 0.0, "{name}: B's rows are permuted");
                gb = unpermute_rows(&gb, n).unwrap();
            }
            // F16 rounding: within 1e-3 of values that are about 0.05.
            assert!(max_abs_diff(&ga, a) < 1e-3, "{name}.lora_a");
            assert!(max_abs_diff(&gb, b) < 1e-3, "{name}.lora_b");
        }
    }
}

#[test]
fn lora_gguf_of_a_half_precision_base_is_f16() {
    let dir = tempfile::tempdir().unwrap();
    let (base, adapter, _) =
        folder_with_adapter(dir.path(), &tiny::config(), &["q_proj", "v_proj"]);
    let w = crate::adapter::read_safetensors(&base.join("model.safetensors")).unwrap();
    let half: Vec<(String, Tensor)> = w
        .iter()
        .map(|(n, t)| (n.clone(), t.to_dtype(DType::BF16).unwrap()))
        .collect();
    crate::adapter::write_safetensors(&base.join("model.safetensors"), &half).unwrap();
    let out = dir.path().join("out");
    export(
        base.to_str().unwrap(),
        &adapter,
        ExportFormat::GgufLora,
        &out,
    )
    .unwrap();
    let g = Gguf::open(&out.join("adapter-f16.gguf"));
    assert_eq!(g.names().len(), 2 * 2 * 4);
    assert_eq!(g.dtype("blk.0.attn_v.weight.lora_b"), GgmlDType::F16);
    assert!(
        !g.content
            .tensor_infos
            .contains_key("blk.0.attn_k.weight.lora_a")
    );
}
