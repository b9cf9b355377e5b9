//! Special tokens and the chat template, as gguf-py's SpecialVocab reads
//! them: each kind's text from tokenizer_config.json's `<kind>_token`
//! (the post-processor may name BOS, CLS or EOS, see
//! [`super::post_processor`]), its id looked up among tokenizer.json's
//! added tokens, else config.json's `<kind>_token_id`; whether to add BOS
//! and EOS from the post-processor, else `add_<kind>_token`; the chat
//! template from tokenizer_config.json, else chat_template.jinja or
//! chat_template.json.

use super::metadata::Kv;
use super::post_processor;
use super::writer::Meta;
use crate::error::{Result, TrainerError};
use serde_json::Value;
use std::path::Path;

/// SpecialVocab's kinds and the keys gguf-py writes them under; `eot`
/// only when the post-processor moved EOS.
const KINDS: [(&str, &str); 8] = [
    ("bos", "bos_token_id"),
    ("eos", "eos_token_id"),
    ("unk", "unknown_token_id"),
    ("sep", "seperator_token_id"),
    ("pad", "padding_token_id"),
    ("cls", "cls_token_id"),
    ("mask", "mask_token_id"),
    ("eot", "eot_token_id"),
];

/// The kinds gguf-py writes an `add_<kind>_token` flag for.
const ADD_KINDS: [&str; 3] = ["bos", "eos", "sep"];

/// Each kind's token text, as tokenizer_config.json names it.
#[derive(Default)]
pub struct Names(Vec<(&'static str, String)>);

impl Names {
    fn read(tc: &Value) -> Self {
        let mut names = Self::default();
        for (kind, _) in KINDS {
            if let Some(t) = token_text(&tc[format!("{kind}_token")]) {
                names.set(kind, t.to_string());
            }
        }
        // A CLS without BOS serves as BOS, a SEP without EOS as EOS.
        for (missing, from) in [("bos", "cls"), ("eos", "sep")] {
            if let (None, Some(t)) = (names.get(missing), names.get(from).map(String::from)) {
                names.set(missing, t);
            }
        }
        names
    }

    pub fn get(&self, kind: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, t)| t.as_str())
    }

    pub fn set(&mut self, kind: &'static str, text: String) {
        self.0.retain(|(k, _)| *k != kind);
        self.0.push((kind, text));
    }
}

pub fn special(dir: &Path, tok: &Value, config: &Value, vocab_size: usize) -> Result<Kv> {
    let tc = read_json(dir, "tokenizer_config.json")?;
    let mut names = Names::read(&tc);
    let mut flags = post_processor::add_flags(tok, tc.is_object(), &mut names);
    let mut kv = Kv::new();
    for (kind, key) in KINDS {
        // Without tokenizer_config.json only config.json's ids count.
        let text = names.get(kind).filter(|_| tc.is_object());
        let id = text
            .and_then(|t| added_id(tok, t))
            .or_else(|| config[format!("{kind}_token_id")].as_u64())
            .filter(|id| (*id as usize) < vocab_size);
        if let Some(id) = id {
            kv.push((format!("tokenizer.ggml.{key}"), Meta::U32(id as u32)));
        }
    }
    for kind in ADD_KINDS {
        let from_config = tc[format!("add_{kind}_token")].as_bool();
        if let (None, Some(on)) = (flags.iter().find(|(k, _)| *k == kind), from_config) {
            flags.push((kind, on));
        }
    }
    flags.sort_by_key(|(k, _)| ADD_KINDS.iter().position(|a| a == k));
    for (kind, on) in flags {
        kv.push((format!("tokenizer.ggml.add_{kind}_token"), Meta::Bool(on)));
    }
    kv.extend(chat_template(dir, &tc)?);
    Ok(kv)
}

/// `{kind}_token` as a string or an AddedToken object.
pub fn token_text(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v["content"].as_str())
}

fn added_id(tok: &Value, text: &str) -> Option<u64> {
    tok["added_tokens"]
        .as_array()?
        .iter()
        .find(|a| a["content"].as_str() == Some(text))?["id"]
        .as_u64()
}

/// `tokenizer.chat_template` (and named templates, as gguf-py's
/// add_chat_template writes a list of them).
fn chat_template(dir: &Path, tc: &Value) -> Result<Kv> {
    let template = match tc.get("chat_template") {
        Some(t) => t.clone(),
        None => match std::fs::read_to_string(dir.join("chat_template.jinja")) {
            Ok(text) => Value::String(text),
            Err(_) => read_json(dir, "chat_template.json")?["chat_template"].clone(),
        },
    };
    let mut kv = Kv::new();
    match template {
        Value::String(s) => kv.push(("tokenizer.chat_template".into(), Meta::Str(s))),
        Value::Array(list) => {
            let mut names = Vec::new();
            for t in &list {
                let (Some(name), Some(text)) = (t["name"].as_str(), t["template"].as_str()) else {
                    continue;
                };
                let name: String = name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                let key = if name == "default" {
                    "tokenizer.chat_template".to_string()
                } else {
                    names.push(name.clone());
                    format!("tokenizer.chat_template.{name}")
                };
                kv.push((key, Meta::Str(text.into())));
            }
            if !names.is_empty() {
                kv.push(("tokenizer.chat_templates".into(), Meta::Strs(names)));
            }
        }
        _ => {}
    }
    Ok(kv)
}

/// A JSON file of the folder; Null when it is not there.
pub fn read_json(dir: &Path, name: &str) -> Result<Value> {
    let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
        return Ok(Value::Null);
    };
    serde_json::from_str(&text).map_err(|e| {
        TrainerError::ModelFiles(dir.to_path_buf(), format!("{name} is not valid JSON: {e}"))
    })
}
