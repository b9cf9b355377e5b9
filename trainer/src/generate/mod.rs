//! Generation: a conversation in, the model's answer out, token by token.
//! The prompt is run once into a KV cache and each new token costs one
//! incremental step; tokens are chosen by [`sampling`], turned into text by
//! [`stream`], and handed to the caller as they come. With the adapter or
//! without it, from the same loaded weights.

pub mod sampling;
pub mod stream;

use crate::chat::ChatTokenizer;
use crate::error::{Result, TrainerError};
use crate::model::Llama;
use crate::model::decode::DecodeCache;
use brightrun::generation::{FinishReason, GenerationRequest, Sampling};
use sampling::Sampler;
use std::time::{Duration, Instant};
use stream::{Piece, TextStream};

/// Token-level settings of one generation.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub sampling: Sampling,
    pub max_tokens: usize,
    pub adapter: bool,
}

/// The tokens generated after `prompt`, and why they ended. `on_token` sees
/// each token as it is chosen (not the stop token) and returns false to end
/// the generation (the caller went away): that is [`TrainerError::Cancelled`].
pub fn generate_ids(
    model: &Llama,
    prompt: &[u32],
    stop_ids: &[u32],
    settings: Settings,
    on_token: &mut dyn FnMut(u32) -> bool,
) -> Result<(Vec<u32>, FinishReason)> {
    let context = model.context_len();
    if prompt.is_empty() {
        return Err(TrainerError::Request("the prompt is empty".into()));
    }
    if prompt.len() >= context {
        return Err(TrainerError::Request(format!(
            "the prompt is {} tokens; this model reads at most {context} (prompt and answer together). Shorten the conversation or the system prompt.",
            prompt.len()
        )));
    }
    let budget = settings.max_tokens.min(context - prompt.len());
    let mut sampler = Sampler::new(settings.sampling);
    let mut cache = DecodeCache::new(model);
    let mut seen = prompt.to_vec();
    let mut out = Vec::new();
    let mut next = prompt.to_vec();
    while out.len() < budget {
        let mut logits = model.decode(&next, &mut cache, settings.adapter)?;
        let id = sampler.next(&mut logits, &seen);
        if stop_ids.contains(&id) {
            return Ok((out, FinishReason::Stop));
        }
        out.push(id);
        seen.push(id);
        if !on_token(id) {
            return Err(TrainerError::Cancelled);
        }
        next = vec![id];
    }
    Ok((out, FinishReason::Length))
}

/// A finished answer with OpenAI's usage counts and the time to its first
/// token.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub finish: FinishReason,
    pub first_token: Option<Duration>,
}

/// The model's answer to `req`, its text handed to `on_text` piece by piece
/// as it becomes final (return false to stop: the caller went away).
pub fn answer(
    model: &Llama,
    chat: &ChatTokenizer,
    req: &GenerationRequest,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<Answer> {
    req.validate()
        .map_err(|e| TrainerError::Request(e.to_string()))?;
    let started = Instant::now();
    let prompt = chat.prompt_ids(&req.messages)?;
    let settings = Settings {
        sampling: req.sampling,
        max_tokens: req.max_tokens as usize,
        adapter: req.adapter,
    };
    answer_prompt(model, chat, &prompt, settings, &req.stop, started, on_text)
}

/// The model's answer after `prompt` (token ids, already rendered), as
/// [`answer`] gives it; `started` is when the request began.
pub fn answer_prompt(
    model: &Llama,
    chat: &ChatTokenizer,
    prompt: &[u32],
    settings: Settings,
    stops: &[String],
    started: Instant,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<Answer> {
    let stop_ids = chat.stop_ids(&model.config.eos_token_ids);
    let mut text = TextStream::new(&chat.tokenizer, stops);
    let mut shown = String::new();
    let mut first_token = None;
    let mut stopped = false;
    let mut completion = 0;
    let result = generate_ids(model, prompt, &stop_ids, settings, &mut |id| {
        first_token.get_or_insert_with(|| started.elapsed());
        completion += 1;
        let (piece, stop) = match text.push(id) {
            Piece::Text(t) => (t, false),
            Piece::Stopped(t) => (t, true),
        };
        shown.push_str(&piece);
        let keep_going = piece.is_empty() || on_text(&piece);
        stopped = stop;
        keep_going && !stop
    });
    let finish = match result {
        Ok((_, finish)) => {
            let rest = text.finish();
            if !rest.is_empty() {
                on_text(&rest);
                shown.push_str(&rest);
            }
            finish
        }
        Err(TrainerError::Cancelled) if stopped => FinishReason::Stop,
        Err(e) => return Err(e),
    };
    Ok(Answer {
        text: shown,
        prompt_tokens: prompt.len(),
        completion_tokens: completion,
        finish,
        first_token,
    })
}

#[cfg(test)]
mod tests;
