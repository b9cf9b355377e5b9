//! The vocabulary as convert_hf_to_gguf.py writes a byte-level BPE
//! (`gpt2`) tokenizer: every id below the config's vocab_size with its
//! text and type (added tokens that are special, or look it, as control
//! tokens; other added tokens user-defined; holes as `[PADi]`, unused),
//! the merges (always written, even empty: llama.cpp refuses a BPE vocab
//! without them) and the pre-tokenizer's name. A folder with a
//! SentencePiece `tokenizer.model` (Llama 2, Mistral) gets that vocabulary
//! instead (`sentencepiece.rs`), as the converter prefers it.

use super::metadata::Kv;
use super::writer::Meta;
use crate::error::{Result, TrainerError};
use serde_json::Value;
use std::path::Path;

/// gguf-py's TokenType.
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const UNUSED: i32 = 5;

/// The pre-tokenizers llama.cpp names, by the Split regex their
/// tokenizer.json carries.
const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// `tokenizer.ggml.{model, pre, tokens, token_type, merges}`.
pub fn vocab(dir: &Path, tok: &Value, vocab_size: usize) -> Result<Kv> {
    if dir.join(super::sentencepiece::FILE).is_file() {
        return super::sentencepiece::vocab(dir, vocab_size);
    }
    check_byte_level(tok)?;
    let (tokens, types) = tokens(dir, tok, vocab_size)?;
    Ok(vec![
        ("tokenizer.ggml.model".into(), Meta::Str("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Meta::Str(pre_name(tok).into())),
        ("tokenizer.ggml.tokens".into(), Meta::Strs(tokens)),
        ("tokenizer.ggml.token_type".into(), Meta::I32s(types)),
        ("tokenizer.ggml.merges".into(), Meta::Strs(merges(tok))),
    ])
}

fn check_byte_level(tok: &Value) -> Result<()> {
    let model = &tok["model"];
    if model["byte_fallback"].as_bool() == Some(true) {
        return Err(TrainerError::UnsupportedModel(
            "the tokenizer is a SentencePiece vocabulary, but the model folder has no \
             tokenizer.model: add the base model's tokenizer.model to export GGUF"
                .into(),
        ));
    }
    if model["type"].as_str() != Some("BPE") {
        return Err(TrainerError::UnsupportedModel(format!(
            "the tokenizer is a {} vocabulary; GGUF export writes byte-level BPE (Llama 3, \
             Qwen2, SmolLM) and SentencePiece (Llama 2, Mistral) vocabularies. Export the \
             merged model and convert it with llama.cpp's convert_hf_to_gguf.py",
            model["type"].as_str().unwrap_or("unknown")
        )));
    }
    Ok(())
}

/// Each id's text and type, `vocab_size` of them.
fn tokens(dir: &Path, tok: &Value, vocab_size: usize) -> Result<(Vec<String>, Vec<i32>)> {
    let mut by_id: Vec<Option<(String, i32)>> = vec![None; vocab_size];
    let mut put = |id: Option<u64>, text: String, kind: i32| -> Result<()> {
        let id = id.unwrap_or(u64::MAX) as usize;
        let slot = by_id.get_mut(id).ok_or_else(|| {
            TrainerError::ModelFiles(
                dir.to_path_buf(),
                format!(
                    "tokenizer.json gives `{text}` the id {id}, beyond config.json's \
                     vocab_size {vocab_size}"
                ),
            )
        })?;
        *slot = Some((text, kind));
        Ok(())
    };
    if let Some(vocab) = tok["model"]["vocab"].as_object() {
        for (text, id) in vocab {
            put(id.as_u64(), text.clone(), NORMAL)?;
        }
    }
    for added in tok["added_tokens"].as_array().into_iter().flatten() {
        let text = added["content"].as_str().unwrap_or_default();
        let special = added["special"].as_bool().unwrap_or(false);
        let (text, kind) = if special || looks_special(text) {
            (text.to_string(), CONTROL)
        } else {
            (text.replace('\u{2581}', " "), USER_DEFINED)
        };
        put(added["id"].as_u64(), text, kind)?;
    }
    Ok(by_id
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.unwrap_or_else(|| (format!("[PAD{i}]"), UNUSED)))
        .unzip())
}

/// ModelBase.does_token_look_special.
pub(super) fn looks_special(t: &str) -> bool {
    matches!(t, "<pad>" | "<mask>" | "<2mass>" | "[@BOS@]")
        || (t.starts_with("<|") && t.ends_with("|>"))
        || (t.starts_with("<｜") && t.ends_with("｜>"))
        || (t.starts_with("<unused") && t.ends_with('>'))
}

/// `a b` strings; pairs (transformers ≥ 4.45) joined with a space, a
/// space inside a part written as U+0120 as gguf-py writes it.
fn merges(tok: &Value) -> Vec<String> {
    let part = |v: &Value| v.as_str().unwrap_or_default().replace(' ', "\u{120}");
    tok["model"]["merges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| match m {
            Value::String(s) => Some(s.clone()),
            Value::Array(p) if p.len() == 2 => Some(format!("{} {}", part(&p[0]), part(&p[1]))),
            _ => None,
        })
        .collect()
}

/// llama.cpp's name for the pre-tokenizer, read from its definition
/// (convert_hf_to_gguf.py hashes the tokenizer's output instead); one it
/// cannot name is `default`.
fn pre_name(tok: &Value) -> &'static str {
    let pre = &tok["pre_tokenizer"];
    let parts: Vec<&Value> = match pre["pretokenizers"].as_array() {
        Some(list) => list.iter().collect(),
        None if pre.is_object() => vec![pre],
        None => vec![],
    };
    let of = |t: &str| parts.iter().find(|p| p["type"].as_str() == Some(t));
    let regex = of("Split").and_then(|p| p["pattern"]["Regex"].as_str());
    let byte_level_regex = of("ByteLevel").is_some_and(|p| p["use_regex"].as_bool() != Some(false));
    let digits = of("Digits").is_some_and(|p| p["individual_digits"].as_bool() == Some(true));
    match (regex, digits, byte_level_regex, parts.len()) {
        (Some(LLAMA3_REGEX), ..) => "llama-bpe",
        (Some(QWEN2_REGEX), ..) => "qwen2",
        (None, true, true, 2) => "smollm",
        (None, false, true, 1) => "gpt-2",
        _ => "default",
    }
}
