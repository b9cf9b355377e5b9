//! Fuzzes the chat encoder (run by `scripts/fuzz`, not by the tests): any
//! conversation — roles in any order, any text, control tokens in the
//! content — through ChatML, real chat templates and mutated templates, at
//! any maximum length. Properties:
//! - it never panics (a template or an example may be refused with an error);
//! - ids and the target mask have one length, at most `max_len`;
//! - cutting to `max_len` keeps the end of the untruncated encoding, and
//!   `truncated` says how much went;
//! - an example accepted untruncated marks at least one target token when
//!   its target renders to any text.
//!
//! `cargo run --release -p brightrun-trainer --example fuzz_chat -- SECONDS`

use brightrun::datasets::{Message, Role, TrainingExample};
use brightrun_trainer::chat::{CHATML, ChatTokenizer};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::time::{Duration, Instant};

const LLAMA3: &str = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const MISTRAL: &str = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}{% elif (message['role'] == 'user') != (loop.index0 % 2 == 0) and messages[0]['role'] != 'system' %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
const GEMMA: &str = "{{ bos_token }}{% for message in messages %}{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}{{ '<start_of_turn>' + role + '\\n' + message['content'].strip() + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-z ]{0,40}",
        1 => prop::sample::select(vec![
            "<|im_start|>", "<|im_end|>", "{{", "{%", "\n", "", " ", "\u{0}", "é", "🙂", "[INST]",
        ]).prop_map(str::to_string),
    ]
}

fn example() -> impl Strategy<Value = TrainingExample> {
    let role = prop::sample::select(vec![Role::System, Role::User, Role::Assistant]);
    prop::collection::vec((role, text()), 0..8).prop_map(|messages| TrainingExample {
        messages: messages
            .into_iter()
            .map(|(role, content)| Message::new(role, content))
            .collect(),
        ..TrainingExample::default()
    })
}

fn template() -> impl Strategy<Value = Option<String>> {
    let real = prop::sample::select(vec![CHATML, LLAMA3, MISTRAL, GEMMA]);
    prop_oneof![
        2 => Just(None),
        3 => real.clone().prop_map(|t| Some(t.to_string())),
        2 => (real, any::<usize>(), any::<usize>(), text()).prop_map(|(t, a, b, insert)| {
            let mut t = t.to_string();
            let at = t.char_indices().nth(a % t.chars().count()).map_or(0, |(i, _)| i);
            let len = t[at..].chars().take(b % 8).map(char::len_utf8).sum::<usize>();
            t.replace_range(at..at + len, &insert);
            Some(t)
        }),
    ]
}

fn check(
    tokenizer: &tokenizers::Tokenizer,
    template: Option<String>,
    ex: &TrainingExample,
    max_len: usize,
) -> Result<(), TestCaseError> {
    let Ok(chat) = ChatTokenizer::new(tokenizer.clone(), template, "<s>".into(), "</s>".into())
    else {
        return Ok(()); // a template that does not parse is refused, not a crash
    };
    let Ok(full) = chat.encode(ex, usize::MAX) else {
        prop_assert!(
            chat.encode(ex, max_len).is_err(),
            "refused untruncated, accepted cut"
        );
        return Ok(());
    };
    prop_assert_eq!(full.ids.len(), full.target.len());
    prop_assert_eq!(full.truncated, 0);
    let cut = chat.encode(ex, max_len).map_err(|e| {
        TestCaseError::fail(format!("accepted untruncated, refused at {max_len}: {e}"))
    })?;
    prop_assert_eq!(cut.ids.len(), cut.target.len());
    prop_assert!(cut.ids.len() <= max_len);
    prop_assert_eq!(cut.truncated + cut.ids.len(), full.ids.len());
    prop_assert_eq!(&full.ids[cut.truncated..], &cut.ids[..]);
    prop_assert_eq!(&full.target[cut.truncated..], &cut.target[..]);
    let target_text = &ex.messages.last().unwrap().content;
    if !target_text.trim().is_empty() {
        prop_assert!(
            full.target.iter().any(|&t| t),
            "a non-empty target marked no token"
        );
    }
    Ok(())
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let tokenizer = brightrun_trainer::model::tiny::tokenizer();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut executions, mut findings, mut round) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        round += 1;
        let mut runner = TestRunner::new(Config {
            cases: 500,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(round),
            ..Config::default()
        });
        let strategy = (template(), example(), 1usize..256);
        let result = runner.run(&strategy, |(t, ex, max_len)| {
            check(&tokenizer, t, &ex, max_len)
        });
        executions += 500;
        if let Err(e) = result {
            findings += 1;
            println!("FINDING (round {round}): {e}");
            if findings >= 5 {
                break;
            }
        }
    }
    println!("fuzz_chat: {executions} executions in {seconds} s, {findings} findings");
    std::process::exit(i32::from(findings > 0));
}
