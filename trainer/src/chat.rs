//! Tokenizing conversations for training: the model's chat template
//! (minijinja, with Python string methods), ChatML when it has none, and a
//! loss mask that covers the assistant's target only.

use crate::error::{Result, TrainerError};
use brightrun::datasets::{Message, Role, TrainingExample};
use minijinja::{Environment, context};

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
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> std::result::Result<String, minijinja::Error> {
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    msg,
                ))
            },
        );
        env.add_template_owned("chat", template.unwrap_or_else(|| CHATML.to_string()))
            .map_err(|e| {
                TrainerError::UnsupportedModel(format!("the chat template does not parse: {e}"))
            })?;
        Ok(Self {
            tokenizer,
            env,
            bos_token,
            eos_token,
        })
    }

    fn render(&self, messages: &[Message], generation_prompt: bool) -> Result<String> {
        let messages: Vec<_> = messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                context! { role => role, content => m.content }
            })
            .collect();
        self.env
            .get_template("chat")
            .and_then(|t| {
                t.render(context! {
                    messages => messages,
                    add_generation_prompt => generation_prompt,
                    bos_token => self.bos_token,
                    eos_token => self.eos_token,
                })
            })
            .map_err(|e| {
                TrainerError::Dataset(format!("the chat template failed on an example: {e}"))
            })
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
            Message {
                role: Role::User,
                content: "Hello".into(),
            },
            Message {
                role: Role::Assistant,
                content: reply.into(),
            },
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

    /// The prompt (everything before the target, with the assistant header)
    /// and the target (its content and end marker) tokenized apart, then
    /// cut from the front to `max_len`.
    pub fn encode(&self, ex: &TrainingExample, max_len: usize) -> Result<Encoded> {
        let n = ex.messages.len();
        if n == 0 || ex.messages[n - 1].role != Role::Assistant {
            return Err(TrainerError::Dataset(
                "an example does not end with the assistant's target".into(),
            ));
        }
        let prompt = self.render(&ex.messages[..n - 1], true)?;
        let full = self.render(&ex.messages, false)?;
        let Some(target) = full.strip_prefix(prompt.as_str()) else {
            return Err(TrainerError::UnsupportedModel(
                "the chat template does not render the target after the prompt; BrightRun needs a template that renders conversations prefix by prefix".into(),
            ));
        };
        // A template that drops the reply (or mangles it) would train on
        // nothing but markers: refuse it rather than train silently on less.
        let reply = ex.messages[n - 1].content.trim();
        if !target.contains(reply) {
            return Err(TrainerError::UnsupportedModel(
                "the chat template does not render the assistant's reply as written; BrightRun needs a template that includes each message's content".into(),
            ));
        }
        let p = self.encode_text(&prompt)?;
        let t = self.encode_text(target)?;
        let mut ids = p.clone();
        ids.extend(&t);
        let mut mask = vec![false; p.len()];
        mask.extend(std::iter::repeat_n(true, t.len()));
        let truncated = ids.len().saturating_sub(max_len);
        Ok(Encoded {
            ids: ids.split_off(truncated),
            target: mask.split_off(truncated),
            truncated,
        })
    }
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
                Message {
                    role: Role::System,
                    content: String::new(),
                },
                Message {
                    role: Role::Assistant,
                    content: "a".into(),
                },
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

    #[test]
    fn only_the_target_is_marked_and_truncation_keeps_the_end() {
        let tok = crate::model::tiny::tokenizer();
        let chat = ChatTokenizer::new(tok, None, String::new(), "<|im_end|>".into()).unwrap();
        let ex = TrainingExample {
            messages: vec![
                Message {
                    role: Role::System,
                    content: "Be kind.".into(),
                },
                Message {
                    role: Role::User,
                    content: "I am worried about money.".into(),
                },
                Message {
                    role: Role::Assistant,
                    content: "That sounds hard.".into(),
                },
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
