//! Tokenizing conversations for training: the model's chat template
//! (minijinja, set up as transformers sets up Jinja: see `template`),
//! ChatML when it has none, and a loss mask that covers the assistant's
//! target only.

#[cfg(test)]
mod real_templates;
mod template;

use crate::error::{Result, TrainerError};
use brightrun::datasets::{Message, Role, TrainingExample};
use minijinja::{Environment, Value, context};

pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

pub struct ChatTokenizer {
    pub tokenizer: tokenizers::Tokenizer,
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

/// One example as token ids, with which positions the loss counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub ids: Vec<u32>,
    /// true where the token is part of the assistant's target.
    pub target: Vec<bool>,
    /// Tokens cut from the front to fit the maximum length.
    pub truncated: usize,
}

impl ChatTokenizer {
    pub fn new(
        tokenizer: tokenizers::Tokenizer,
        template: Option<String>,
        bos_token: String,
        eos_token: String,
    ) -> Result<Self> {
        Self::with_clock(
            tokenizer,
            template,
            bos_token,
            eos_token,
            template::local_now,
        )
    }

    /// As `new`, with `strftime_now` reading the time from `clock`.
    fn with_clock(
        tokenizer: tokenizers::Tokenizer,
        template: Option<String>,
        bos_token: String,
        eos_token: String,
        clock: template::Clock,
    ) -> Result<Self> {
        let source = template.unwrap_or_else(|| CHATML.to_string());
        let env = template::environment(source, clock)?;
        Ok(Self {
            tokenizer,
            env,
            bos_token,
            eos_token,
        })
    }

    fn render(&self, messages: &[Message], generation_prompt: bool) -> Result<String> {
        self.env
            .get_template("chat")
            .and_then(|t| t.render(self.context(messages, generation_prompt)))
            .map_err(|e| {
                TrainerError::Dataset(format!("the chat template failed on an example: {e}"))
            })
    }

    /// What transformers gives a template: the messages, the generation
    /// prompt flag, tools and documents none, and the special tokens (one
    /// the model lacks undefined).
    fn context(&self, messages: &[Message], generation_prompt: bool) -> Value {
        let messages: Vec<_> = messages
            .iter()
            .map(|m| context! { role => m.role.as_str(), content => m.content })
            .collect();
        let token = |t: &str| match t {
            "" => Value::UNDEFINED,
            t => Value::from(t),
        };
        context! {
            messages => messages,
            add_generation_prompt => generation_prompt,
            tools => Value::from(()),
            documents => Value::from(()),
            bos_token => token(&self.bos_token),
            eos_token => token(&self.eos_token),
        }
    }

    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .tokenizer
            .encode_fast(text, false)
            .map_err(|e| TrainerError::Dataset(format!("tokenizing failed: {e}")))?
            .get_ids()
            .to_vec())
    }

    /// The conversation so far, rendered for the assistant to answer next
    /// (the template's generation prompt after it), as token ids.
    pub fn prompt_ids(&self, messages: &[Message]) -> Result<Vec<u32>> {
        self.encode_text(&self.render(messages, true)?)
    }

    /// The tokens that end an answer: the end-of-text token and the special
    /// token the template puts right after an assistant's message (ChatML's
    /// `<|im_end|>`, Llama 3's `<|eot_id|>`), plus the model's own `eos`.
    pub fn stop_ids(&self, model_eos: &[u32]) -> Vec<u32> {
        let mut ids: Vec<u32> = model_eos.to_vec();
        ids.extend(self.tokenizer.token_to_id(&self.eos_token));
        ids.extend(self.end_of_turn());
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn end_of_turn(&self) -> Option<u32> {
        let reply = "Noted.";
        let turn = [
            Message::new(Role::User, "Hello"),
            Message::new(Role::Assistant, reply),
        ];
        let full = self.render(&turn, false).ok()?;
        let after = full[full.rfind(reply)? + reply.len()..].trim_start();
        let first = *self.encode_text(after).ok()?.first()?;
        self.tokenizer
            .get_added_tokens_decoder()
            .get(&first)
            .filter(|t| t.special)
            .map(|_| first)
    }

    /// Every learned assistant message (weight not 0; for brightrun pairs,
    /// the target only) marked as target, everything between as context,
    /// each piece tokenized apart, then cut from the front to `max_len`.
    pub fn encode(&self, ex: &TrainingExample, max_len: usize) -> Result<Encoded> {
        let n = ex.messages.len();
        if n == 0 || ex.messages[n - 1].role != Role::Assistant {
            return Err(TrainerError::Dataset(
                "an example does not end with the assistant's target".into(),
            ));
        }
        let mut ids = Vec::new();
        let mut mask = Vec::new();
        let mut rendered = String::new();
        let learned = ex.messages.iter().enumerate().filter(|(_, m)| m.learned());
        for i in learned.map(|(i, _)| i) {
            let (context, target) = self.turn(&ex.messages, i, &rendered)?;
            for (text, learned) in [(context.as_str(), false), (target.as_str(), true)] {
                let piece = self.encode_text(text)?;
                mask.extend(std::iter::repeat_n(learned, piece.len()));
                ids.extend(piece);
            }
            rendered.push_str(&context);
            rendered.push_str(&target);
        }
        if !mask.contains(&true) {
            return Err(TrainerError::Dataset(
                "an example has no assistant message to learn (every weight is 0)".into(),
            ));
        }
        let truncated = ids.len().saturating_sub(max_len);
        Ok(Encoded {
            ids: ids.split_off(truncated),
            target: mask.split_off(truncated),
            truncated,
        })
    }

    /// For the assistant message at `i`: the text from what is already
    /// `rendered` up to its header (context), and its content with the end
    /// marker (target).
    fn turn(&self, messages: &[Message], i: usize, rendered: &str) -> Result<(String, String)> {
        let prompt = self.render(&messages[..i], true)?;
        let full = self.render(&messages[..=i], false)?;
        let prefix_by_prefix = || {
            TrainerError::UnsupportedModel(
                "the chat template does not render the target after the prompt; BrightRun needs a template that renders conversations prefix by prefix".into(),
            )
        };
        let context = prompt.strip_prefix(rendered).ok_or_else(prefix_by_prefix)?;
        let target = full
            .strip_prefix(prompt.as_str())
            .ok_or_else(prefix_by_prefix)?;
        // A template that drops the reply (or mangles it) would train on
        // nothing but markers: refuse it rather than train silently on less.
        if !target.contains(messages[i].content.trim()) {
            return Err(TrainerError::UnsupportedModel(
                "the chat template does not render the assistant's reply as written; BrightRun needs a template that includes each message's content".into(),
            ));
        }
        Ok((context.to_string(), target.to_string()))
    }
}

/// The tokens `encode` marked as target (`want` true) or context, decoded.
#[cfg(test)]
fn decode_marked(chat: &ChatTokenizer, e: &Encoded, want: bool) -> String {
    let ids: Vec<u32> = e
        .ids
        .iter()
        .zip(&e.target)
        .filter(|(_, t)| **t == want)
        .map(|(i, _)| *i)
        .collect();
    chat.tokenizer.decode(&ids, false).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by scripts/fuzz (fuzz_chat): a template whose assistant branch
    /// is broken rendered the reply as nothing, and the example was accepted
    /// with no target token.
    #[test]
    fn a_template_that_drops_the_reply_is_refused() {
        let broken = "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
        let chat = ChatTokenizer::new(
            crate::model::tiny::tokenizer(),
            Some(broken.into()),
            String::new(),
            "</s>".into(),
        )
        .unwrap();
        let ex = TrainingExample {
            messages: vec![
                Message::new(Role::System, String::new()),
                Message::new(Role::Assistant, "a"),
            ],
            ..TrainingExample::default()
        };
        let err = chat.encode(&ex, 64).unwrap_err().to_string();
        assert!(
            err.contains("does not render the assistant's reply"),
            "{err}"
        );
        // The same conversation through ChatML trains on the reply.
        let chatml = ChatTokenizer::new(
            crate::model::tiny::tokenizer(),
            None,
            String::new(),
            "</s>".into(),
        )
        .unwrap();
        let ok = chatml.encode(&ex, 64).unwrap();
        assert!(ok.target.iter().any(|&t| t));
    }

    /// OpenAI chat: every assistant turn is learned unless its weight is 0;
    /// the pieces together are the whole conversation as the template
    /// renders it, up to the last learned turn.
    #[test]
    fn every_learned_assistant_turn_is_marked() {
        let tok = crate::model::tiny::tokenizer();
        let chat = ChatTokenizer::new(tok, None, String::new(), "<|im_end|>".into()).unwrap();
        let mut skipped = Message::new(Role::Assistant, "Skip me.");
        skipped.weight = Some(0);
        let mut last = Message::new(Role::Assistant, "Not this either.");
        last.weight = Some(0);
        let ex = TrainingExample {
            messages: vec![
                Message::new(Role::System, "Be kind."),
                Message::new(Role::User, "Hi."),
                Message::new(Role::Assistant, "Hello there."),
                Message::new(Role::User, "Money?"),
                skipped,
                Message::new(Role::User, "Really?"),
                Message::new(Role::Assistant, "Yes, really."),
                Message::new(Role::User, "Ok."),
                last,
            ],
            ..Default::default()
        };
        let e = chat.encode(&ex, 10_000).unwrap();
        assert_eq!(
            decode_marked(&chat, &e, true),
            "Hello there.<|im_end|>\nYes, really.<|im_end|>\n"
        );
        let whole = chat.tokenizer.decode(&e.ids, false).unwrap();
        let expected = chat.render(&ex.messages[..7], false).unwrap();
        assert_eq!(whole, expected);
        // Every weight 0: nothing to learn, said plainly.
        let mut silent = ex.clone();
        silent.messages = ex.messages[3..5].to_vec();
        let err = chat.encode(&silent, 100).unwrap_err().to_string();
        assert!(err.contains("every weight is 0"), "{err}");
    }

    #[test]
    fn only_the_target_is_marked_and_truncation_keeps_the_end() {
        let tok = crate::model::tiny::tokenizer();
        let chat = ChatTokenizer::new(tok, None, String::new(), "<|im_end|>".into()).unwrap();
        let ex = TrainingExample {
            messages: vec![
                Message::new(Role::System, "Be kind."),
                Message::new(Role::User, "I am worried about money."),
                Message::new(Role::Assistant, "That sounds hard."),
            ],
            ..Default::default()
        };
        let e = chat.encode(&ex, 1000).unwrap();
        assert_eq!(e.truncated, 0);
        let target: Vec<u32> = e
            .ids
            .iter()
            .zip(&e.target)
            .filter(|(_, t)| **t)
            .map(|(i, _)| *i)
            .collect();
        let text = chat.tokenizer.decode(&target, false).unwrap();
        assert_eq!(text, "That sounds hard.<|im_end|>\n");
        let short = chat.encode(&ex, 10).unwrap();
        assert_eq!(short.ids.len(), 10);
        assert_eq!(short.truncated, e.ids.len() - 10);
        assert_eq!(short.ids[..], e.ids[e.ids.len() - 10..]);
    }
}
