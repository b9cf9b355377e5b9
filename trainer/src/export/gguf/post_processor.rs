//! Whether llama.cpp adds BOS and EOS, read from tokenizer.json's
//! post-processor as gguf-py's SpecialVocab reads it: a ByteLevel one adds
//! neither, RoBERTa's adds BOS, EOS and SEP, a template adds the special
//! tokens it starts and ends with (and names them BOS/CLS and EOS when
//! tokenizer_config.json does not; an EOS the template replaces becomes
//! EOT). The template's pair form (SEP for BERT-style encoders) is not
//! read: no Llama-layout tokenizer has one that matters.

use super::special::Names;
use serde_json::Value;

/// The flags the post-processor sets, by kind.
pub fn add_flags(tok: &Value, has_config: bool, names: &mut Names) -> Vec<(&'static str, bool)> {
    let mut flags: Vec<(&'static str, bool)> = Vec::new();
    let post = &tok["post_processor"];
    if !post.is_object() {
        return flags;
    }
    let processors: Vec<&Value> = match post["processors"].as_array() {
        Some(list) => list.iter().collect(),
        None => vec![post],
    };
    let mut set = |kind: &'static str, on: bool, only_if_unset: bool| match flags
        .iter_mut()
        .find(|(k, _)| *k == kind)
    {
        Some(_) if only_if_unset => {}
        Some(f) => f.1 = on,
        None => flags.push((kind, on)),
    };
    for p in processors {
        match p["type"].as_str() {
            Some("ByteLevel") => {
                set("bos", false, true);
                set("eos", false, true);
            }
            Some("RobertaProcessing") => {
                for kind in ["bos", "eos", "sep"] {
                    set(kind, true, false);
                }
            }
            Some("TemplateProcessing") => template(p, has_config, names, &mut set),
            _ => {}
        }
    }
    flags
}

/// A template's leading and trailing special tokens (when it has more
/// than one piece).
fn template(
    p: &Value,
    has_config: bool,
    names: &mut Names,
    set: &mut impl FnMut(&'static str, bool, bool),
) {
    let Some(single) = p["single"].as_array().filter(|s| s.len() > 1) else {
        return;
    };
    let special = |piece: &Value| piece["SpecialToken"]["id"].as_str().map(String::from);
    if let Some(first) = special(&single[0]) {
        let named = |n: &Names, k: &str| n.get(k) == Some(first.as_str());
        if has_config && !named(names, "bos") && !named(names, "cls") {
            for kind in ["bos", "cls"] {
                if names.get(kind).is_none() {
                    names.set(kind, first.clone());
                }
            }
        }
        set(
            "bos",
            !has_config || named(names, "bos") || named(names, "cls"),
            false,
        );
    }
    if let Some(last) = special(&single[single.len() - 1]) {
        if has_config && names.get("eos") != Some(last.as_str()) {
            if let Some(old) = names.get("eos").map(String::from) {
                names.set("eot", old);
            }
            names.set("eos", last);
        }
        set("eos", true, false);
    }
}
