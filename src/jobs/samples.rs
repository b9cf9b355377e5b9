//! What a job's model said: the evaluation before training (step 0, the
//! base model) and the latest one after it, each with the validation loss
//! and the answers to the same held-out prompts. The job monitor shows the
//! latest beside the reference; the model page all three side by side.

use crate::cluster::{Evaluation, Sample};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobSamples {
    /// Step 0: the base model before any training.
    pub before: Option<Evaluation>,
    /// The latest evaluation after step 0.
    pub latest: Option<Evaluation>,
}

/// One held-out prompt as the model page compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison<'a> {
    pub prompt: &'a str,
    pub reference: &'a str,
    /// The base model's answer (before training), where it was recorded.
    pub base: Option<&'a str>,
    /// The trained adapter's answer.
    pub adapter: &'a str,
}

impl JobSamples {
    /// `evaluations` in step order: the first at step 0 and the last after it.
    pub fn from_evaluations(evaluations: Vec<Evaluation>) -> Self {
        let before = evaluations.iter().find(|e| e.step == 0).cloned();
        let latest = evaluations.into_iter().rfind(|e| e.step > 0);
        Self { before, latest }
    }

    /// The system prompt of the held-out conversations, where they have one.
    pub fn system_prompt(&self) -> Option<&str> {
        [&self.latest, &self.before]
            .into_iter()
            .flatten()
            .flat_map(|e| &e.samples)
            .find_map(|s| s.system.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.before.is_none() && self.latest.is_none()
    }

    /// Each prompt of the latest evaluation with the base model's answer to
    /// the same prompt (matched by prompt and reference, not position).
    pub fn comparisons(&self) -> Vec<Comparison<'_>> {
        let Some(latest) = &self.latest else {
            return Vec::new();
        };
        let base_of = |s: &Sample| {
            self.before.as_ref().and_then(|b| {
                b.samples
                    .iter()
                    .find(|x| x.prompt == s.prompt && x.reference == s.reference)
                    .map(|x| x.answer.as_str())
            })
        };
        latest
            .samples
            .iter()
            .map(|s| Comparison {
                prompt: &s.prompt,
                reference: &s.reference,
                base: base_of(s),
                adapter: &s.answer,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(step: u64, answers: &[(&str, &str)]) -> Evaluation {
        Evaluation {
            step,
            val_loss: 3.0 - step as f64 / 10.0,
            samples: answers
                .iter()
                .map(|(p, a)| Sample {
                    system: None,
                    prompt: p.to_string(),
                    reference: format!("ref {p}"),
                    answer: a.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn before_is_step_zero_and_latest_the_last_after_it() {
        let s = JobSamples::from_evaluations(vec![
            eval(0, &[("a", "base a")]),
            eval(5, &[("a", "mid a")]),
            eval(10, &[("a", "end a")]),
        ]);
        assert_eq!(s.before.as_ref().unwrap().step, 0);
        assert_eq!(s.latest.as_ref().unwrap().step, 10);
        let only_before = JobSamples::from_evaluations(vec![eval(0, &[])]);
        assert!(only_before.latest.is_none() && !only_before.is_empty());
        assert!(JobSamples::from_evaluations(vec![]).is_empty());
    }

    #[test]
    fn comparisons_pair_answers_by_prompt_not_position() {
        let s = JobSamples::from_evaluations(vec![
            eval(0, &[("a", "base a"), ("b", "base b")]),
            eval(4, &[("b", "tuned b"), ("c", "tuned c")]),
        ]);
        let c = s.comparisons();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            Comparison {
                prompt: "b",
                reference: "ref b",
                base: Some("base b"),
                adapter: "tuned b"
            }
        );
        assert_eq!(c[1].base, None);
        assert!(JobSamples::default().comparisons().is_empty());
    }

    #[test]
    fn the_system_prompt_is_the_held_out_conversations_own() {
        let mut s =
            JobSamples::from_evaluations(vec![eval(0, &[("a", "x")]), eval(3, &[("a", "y")])]);
        assert_eq!(s.system_prompt(), None);
        s.before.as_mut().unwrap().samples[0].system = Some("You coach.".into());
        assert_eq!(s.system_prompt(), Some("You coach."));
    }
}
