//! What the model says at each evaluation: greedy answers to a few
//! held-out validation conversations, reported beside the dataset's own
//! answer so a person can read the adapter change, not only its loss.
//!
//! The model answers what it was trained on: the conversation cut from the
//! front to the run's sequence length, leaving room for the answer.

use crate::chat::ChatTokenizer;
use crate::error::Result;
use crate::generate::{self, Settings};
use crate::model::Llama;
use brightrun::cluster::{Sample, metrics::clip};
use brightrun::datasets::{Role, TrainingExample};
use brightrun::generation::Sampling;
use std::time::Instant;

/// The longest sample answer, in tokens: enough to read the adapter's
/// style, short enough that an evaluation stays cheap on a CPU.
pub const MAX_ANSWER_TOKENS: usize = 256;

/// A held-out conversation ready to answer.
pub struct SamplePrompt {
    /// The conversation before the target, rendered and cut to fit.
    ids: Vec<u32>,
    max_tokens: usize,
    /// The last user message, as shown beside the answer.
    shown: String,
    system: Option<String>,
    reference: String,
}

/// The first `n` held-out examples that have a user turn to answer, each
/// rendered for the model: at most `max_seq_len` tokens (and the model's
/// context) of prompt and answer together.
pub fn pick(
    chat: &ChatTokenizer,
    held_out: Vec<TrainingExample>,
    n: usize,
    max_seq_len: usize,
    model: &Llama,
) -> Vec<SamplePrompt> {
    let window = max_seq_len.min(model.context_len());
    held_out
        .into_iter()
        .filter_map(|ex| prepare(chat, &ex, window))
        .take(n)
        .collect()
}

fn prepare(chat: &ChatTokenizer, ex: &TrainingExample, window: usize) -> Option<SamplePrompt> {
    let (target, asked) = ex.messages.split_last()?;
    let shown = asked.iter().rev().find(|m| m.role == Role::User)?;
    let mut ids = chat.prompt_ids(asked).ok()?;
    let reference_tokens = chat.encode_text(&target.content).map_or(0, |t| t.len());
    let max_tokens = (reference_tokens * 3 / 2 + 16)
        .min(MAX_ANSWER_TOKENS)
        .min(window / 2);
    let keep = window.checked_sub(max_tokens).filter(|k| *k > 0)?;
    if ids.len() > keep {
        ids.drain(..ids.len() - keep);
    }
    Some(SamplePrompt {
        ids,
        max_tokens,
        shown: clip(&shown.content),
        system: asked
            .iter()
            .find(|m| m.role == Role::System)
            .map(|m| clip(&m.content)),
        reference: clip(&target.content),
    })
}

/// The model's greedy answers (adapter on) to `prompts`.
pub fn answer(
    model: &Llama,
    chat: &ChatTokenizer,
    prompts: &[SamplePrompt],
) -> Result<Vec<Sample>> {
    prompts
        .iter()
        .map(|p| {
            let settings = Settings {
                sampling: Sampling::GREEDY,
                max_tokens: p.max_tokens,
                adapter: true,
            };
            let said = generate::answer_prompt(
                model,
                chat,
                &p.ids,
                settings,
                &[],
                Instant::now(),
                &mut |_| true,
            )?;
            Ok(Sample {
                system: p.system.clone(),
                prompt: p.shown.clone(),
                reference: p.reference.clone(),
                answer: clip(&said.text),
            })
        })
        .collect()
}
