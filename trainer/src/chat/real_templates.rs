//! The published chat templates of the model families BrightRun trains
//! (tests/data/chat_templates, sources in its README) rendered through this
//! module exactly as transformers' `apply_chat_template` renders them: text
//! and token ids against the golden files `bench/chat_templates.py` writes,
//! with a byte-level tokenizer that has each family's special tokens.

use super::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Family {
    family: String,
    bos: Option<String>,
    eos: String,
    special: Vec<String>,
    #[serde(default)]
    added: Vec<String>,
}

#[derive(Deserialize)]
struct Conversation {
    name: String,
    messages: Vec<Message>,
}

/// transformers' render of the first `upto` messages of a conversation.
#[derive(Deserialize)]
struct Render {
    conversation: String,
    upto: usize,
    add_generation_prompt: bool,
    text: Option<String>,
    ids: Option<Vec<u32>>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Golden {
    now: String,
    renders: Vec<Render>,
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat_templates")
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn families() -> Vec<Family> {
    read(&data().join("families.json"))
}

fn conversations() -> Vec<Conversation> {
    read(&data().join("expected/conversations.json"))
}

/// The time the golden files were rendered at (Python's clock patched).
const NOW: &str = "2026-01-15T09:30:00";

fn pinned() -> chrono::NaiveDateTime {
    NOW.parse().unwrap()
}

/// The tiny model's byte-level tokenizer.json with the family's special
/// (and plain added) tokens after ChatML's.
fn tokenizer_json(f: &Family) -> serde_json::Value {
    let mut json = crate::model::tiny::tokenizer_json();
    let added = json["added_tokens"].as_array_mut().unwrap();
    let tokens = f.special.iter().map(|t| (t, true));
    for (token, special) in tokens.chain(f.added.iter().map(|t| (t, false))) {
        if added.iter().any(|a| a["content"] == token.as_str()) {
            continue;
        }
        added.push(
            serde_json::json!({"id": 256 + added.len(), "content": token,
            "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
            "special": special}),
        );
    }
    json
}

fn chat(f: &Family) -> ChatTokenizer {
    let tokenizer = tokenizer_json(f).to_string().parse().unwrap();
    let path = data().join(format!("{}.jinja", f.family));
    let template = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let bos = f.bos.clone().unwrap_or_default();
    ChatTokenizer::with_clock(tokenizer, Some(template), bos, f.eos.clone(), pinned).unwrap()
}

/// bench/chat_templates.sh runs this to give transformers the same tokenizers.
#[test]
#[ignore = "writes the tokenizers for bench/chat_templates.py"]
fn write_family_tokenizers() {
    let dir = std::env::var("CHAT_TEMPLATES_TOKENIZERS").expect("CHAT_TEMPLATES_TOKENIZERS");
    std::fs::create_dir_all(&dir).unwrap();
    for f in families() {
        let path = Path::new(&dir).join(format!("{}.json", f.family));
        std::fs::write(path, tokenizer_json(&f).to_string()).unwrap();
    }
}

fn golden(f: &Family) -> Golden {
    let golden: Golden = read(&data().join(format!("expected/{}.json", f.family)));
    assert_eq!(golden.now, NOW, "{}: rendered at another time", f.family);
    golden
}

/// How chat.rs's render of `r` differs from transformers', if it does.
fn difference(chat: &ChatTokenizer, messages: &[Message], r: &Render) -> Option<String> {
    let ours = chat.render(&messages[..r.upto], r.add_generation_prompt);
    match (ours, &r.text, &r.error) {
        (Ok(text), Some(want), _) if &text != want => Some(format!("text {text:?}, not {want:?}")),
        (Ok(text), Some(_), _) => {
            let ids = chat.encode_text(&text).unwrap();
            (Some(&ids) != r.ids.as_ref()).then(|| format!("ids {ids:?}, not {:?}", r.ids))
        }
        (Ok(text), None, error) => {
            Some(format!("rendered {text:?}; transformers raised {error:?}"))
        }
        (Err(e), _, Some(want)) if e.to_string().contains(want.as_str()) => None,
        (Err(e), _, want) => Some(format!("failed ({e}); transformers: {want:?}")),
    }
}

#[test]
fn every_family_renders_as_transformers_does() {
    let conversations = conversations();
    let mut differences = Vec::new();
    for f in families() {
        let chat = chat(&f);
        for r in golden(&f).renders {
            let c = conversations
                .iter()
                .find(|c| c.name == r.conversation)
                .unwrap();
            if let Some(d) = difference(&chat, &c.messages, &r) {
                let (name, upto, prompt) = (&c.name, r.upto, r.add_generation_prompt);
                differences.push(format!(
                    "{} {name} [..{upto}] generation prompt {prompt}: {d}",
                    f.family
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// What every family's template puts around an assistant's reply when it
/// is the last message: the target chat.rs marks.
fn around_reply(family: &str) -> (&'static str, &'static str) {
    match family {
        "llama3.1" | "llama3.2" => ("", "<|eot_id|>"),
        "qwen2.5" => ("", "<|im_end|>\n"),
        // Qwen3 writes an empty thinking block before the last reply.
        "qwen3" => ("<think>\n\n</think>\n\n", "<|im_end|>\n"),
        "gemma2" | "gemma3" => ("", "<end_of_turn>\n"),
        // Phi-3.5 ends a conversation with eos after the last <|end|>.
        "phi3.5" => ("", "<|end|>\n<|endoftext|>"),
        "phi4" => ("", "<|im_end|>"),
        "mistral-v0.3" => (" ", "</s>"),
        other => panic!("no target shape for {other}"),
    }
}

/// The conversations a family's template cannot train on, and why: Gemma 2
/// refuses a system message; Mistral v0.3 moves the system message to the
/// last user turn (so the prompt is not a prefix of the conversation);
/// Phi-3.5 puts eos after the last turn only, and Qwen3 drops the thinking
/// block of every turn but the last (so earlier turns render differently
/// once a later one follows).
fn refusal(family: &str, conversation: &str) -> Option<&'static str> {
    match (family, conversation) {
        ("gemma2", "lora-v4" | "multi-turn") => Some("System role not supported"),
        ("mistral-v0.3", "lora-v4" | "multi-turn") => Some("prefix by prefix"),
        ("phi3.5" | "qwen3", "multi-turn") => Some("prefix by prefix"),
        _ => None,
    }
}

/// The target: each assistant reply, trimmed (as every template here trims
/// or keeps it), inside the family's markers.
fn expected_target(family: &str, messages: &[Message]) -> String {
    let (before, after) = around_reply(family);
    let replies = messages.iter().filter(|m| m.role == Role::Assistant);
    replies
        .map(|m| format!("{before}{}{after}", m.content.trim()))
        .collect()
}

#[test]
fn encode_marks_exactly_the_replies_or_refuses_for_every_family() {
    for f in families() {
        let chat = chat(&f);
        for c in conversations() {
            let ex = TrainingExample {
                messages: c.messages.clone(),
                ..Default::default()
            };
            let encoded = chat.encode(&ex, 1 << 20);
            let what = format!("{} {}", f.family, c.name);
            match (refusal(&f.family, &c.name), encoded) {
                (Some(why), Err(e)) => assert!(e.to_string().contains(why), "{what}: {e}"),
                (Some(why), Ok(_)) => panic!("{what}: trained, though {why:?}"),
                (None, Err(e)) => panic!("{what}: {e}"),
                (None, Ok(e)) => {
                    assert_eq!(
                        decode_marked(&chat, &e, true),
                        expected_target(&f.family, &c.messages),
                        "{what}"
                    );
                    let whole = chat.tokenizer.decode(&e.ids, false).unwrap();
                    assert_eq!(whole, chat.render(&c.messages, false).unwrap(), "{what}");
                }
            }
        }
    }
}
