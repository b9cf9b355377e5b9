//! One optimizer step as the trainer reports it: a line of
//! `metrics.jsonl`, a point of `GET /v1/jobs/{id}/metrics`, a job view's
//! latest metrics. A step that evaluated also carries the evaluation: the
//! validation loss and what the model answered to a few held-out prompts.

use serde::{Deserialize, Serialize};

/// The most samples one evaluation may carry (a job asks for 0 to this).
pub const MAX_SAMPLES: usize = 10;
/// The most characters of a sample's prompt, reference or answer kept;
/// longer text is cut (on a character boundary) and ends with `…`.
pub const SAMPLE_TEXT_CHARS: usize = 8_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    pub step: u64,
    pub total_steps: u64,
    pub epoch: f64,
    pub train_loss: f64,
    pub learning_rate: f64,
    pub grad_norm: f64,
    pub tokens_per_second: f64,
    pub elapsed_s: f64,
    pub eta_s: f64,
    pub val_loss: Option<f64>,
    /// The evaluations made since the previous line: this step's, and on
    /// a run's first line also the one before training (step 0, the base
    /// model's "before").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<Evaluation>,
}

/// One evaluation: the validation loss at `step` (0: before training) and
/// the model's greedy answers to held-out validation prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub step: u64,
    pub val_loss: f64,
    #[serde(default)]
    pub samples: Vec<Sample>,
}

/// A held-out validation conversation and the model's answer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sample {
    /// The conversation's system prompt, where it has one (the playground
    /// starts from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The conversation's last user message: what the model answered.
    pub prompt: String,
    /// The dataset's own answer.
    pub reference: String,
    /// The model's answer (greedy).
    pub answer: String,
}

impl Evaluation {
    /// The evaluation as a remote trainer may be trusted to have sent it:
    /// at most [`MAX_SAMPLES`] samples, each text at most
    /// [`SAMPLE_TEXT_CHARS`] characters. `None` when the loss is not finite.
    pub fn bounded(&self) -> Option<Evaluation> {
        if !self.val_loss.is_finite() {
            return None;
        }
        Some(Evaluation {
            step: self.step,
            val_loss: self.val_loss,
            samples: self
                .samples
                .iter()
                .take(MAX_SAMPLES)
                .map(|s| Sample {
                    system: s.system.as_deref().map(clip),
                    prompt: clip(&s.prompt),
                    reference: clip(&s.reference),
                    answer: clip(&s.answer),
                })
                .collect(),
        })
    }
}

/// `text` cut to [`SAMPLE_TEXT_CHARS`] characters.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(SAMPLE_TEXT_CHARS) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str) -> Sample {
        Sample {
            system: Some(text.into()),
            prompt: text.into(),
            reference: text.into(),
            answer: text.into(),
        }
    }

    #[test]
    fn a_line_without_evaluations_reads_and_writes_as_before() {
        let line = r#"{"step":3,"total_steps":9,"epoch":0.5,"train_loss":2.0,"learning_rate":0.001,"grad_norm":1.0,"tokens_per_second":10.0,"elapsed_s":1.0,"eta_s":2.0,"val_loss":null}"#;
        let m: StepMetrics = serde_json::from_str(line).unwrap();
        assert!(m.evaluations.is_empty());
        assert_eq!(serde_json::to_string(&m).unwrap(), line);
    }

    #[test]
    fn bounded_keeps_ten_samples_and_cuts_long_text_on_a_character() {
        let long = "é".repeat(SAMPLE_TEXT_CHARS + 5);
        let e = Evaluation {
            step: 4,
            val_loss: 1.5,
            samples: (0..12).map(|_| sample(&long)).collect(),
        };
        let b = e.bounded().unwrap();
        assert_eq!(b.samples.len(), MAX_SAMPLES);
        assert_eq!(b.samples[0].answer.chars().count(), SAMPLE_TEXT_CHARS + 1);
        assert!(b.samples[0].answer.ends_with('…'));
        assert_eq!(
            b.samples[0].system.as_ref().unwrap().chars().count(),
            SAMPLE_TEXT_CHARS + 1
        );
        let short = Evaluation {
            step: 0,
            val_loss: 2.0,
            samples: vec![sample("hi")],
        };
        assert_eq!(short.bounded().unwrap(), short);
    }

    #[test]
    fn bounded_refuses_a_loss_that_is_not_a_number() {
        let e = Evaluation {
            step: 1,
            val_loss: f64::NAN,
            samples: vec![],
        };
        assert!(e.bounded().is_none());
    }
}
