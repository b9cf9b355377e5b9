//! Reading a `config.json` object leniently: a field may be absent (the
//! caller supplies transformers' default), but one that is present with
//! the wrong kind of value is an error naming it. What the trainer does not
//! implement is refused through [`refuse`], by the field's name.

use crate::error::{Result, TrainerError};
use serde_json::Value;

/// One `config.json` object (the text model's, for a multimodal one).
#[derive(Clone, Copy)]
pub(super) struct Fields<'a>(pub &'a Value);

impl<'a> Fields<'a> {
    pub fn get(&self, k: &str) -> Option<&'a Value> {
        self.0.get(k)
    }

    /// A required count: a positive whole number.
    pub fn num(&self, k: &str) -> Result<usize> {
        self.count(k)
            .filter(|n| *n > 0)
            .ok_or_else(|| TrainerError::spec(k, "must be a positive whole number"))
    }

    /// An optional whole number.
    pub fn count(&self, k: &str) -> Option<usize> {
        self.get(k).and_then(Value::as_u64).map(|n| n as usize)
    }

    pub fn flag(&self, k: &str) -> Option<bool> {
        self.get(k).and_then(Value::as_bool)
    }

    pub fn float(&self, k: &str) -> Option<f64> {
        self.get(k).and_then(Value::as_f64)
    }

    /// A token id or a list of them (`eos_token_id` is either).
    pub fn token_ids(&self, k: &str) -> Vec<u32> {
        match self.get(k) {
            Some(Value::Number(n)) => n.as_u64().map(|n| vec![n as u32]).unwrap_or_default(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_u64)
                .map(|n| n as u32)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A field asking for what this trainer does not implement.
pub(super) fn refuse(field: &str, why: String) -> TrainerError {
    TrainerError::UnsupportedModel(format!(
        "config.json field `{field}` {why}; this trainer does not implement it"
    ))
}
