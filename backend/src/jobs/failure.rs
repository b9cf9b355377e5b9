//! A trainer's failure in words a user can act on.

/// The reason shown on the job page for the trainer's `error`.
pub fn explain(error: &str) -> String {
    let e = error.trim();
    if let Some(rest) = e.strip_prefix("not enough memory:") {
        return format!(
            "Out of memory: reduce batch size or max sequence length ({}).",
            rest.trim()
        );
    }
    if let Some(rest) = e.strip_prefix("training diverged:") {
        return format!(
            "Training diverged ({}): lower the learning rate or raise warmup, then retry.",
            rest.trim()
        );
    }
    if let Some(rest) = e.strip_prefix("dataset:") {
        return format!(
            "The dataset could not be used: {}.",
            rest.trim().trim_end_matches('.')
        );
    }
    if let Some(rest) = e.strip_prefix("invalid spec:") {
        return format!(
            "The trainer refused the settings: {}.",
            rest.trim().trim_end_matches('.')
        );
    }
    if e.is_empty() {
        return "The trainer stopped without giving a reason; retry the job.".into();
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_failures_say_what_to_change() {
        let m = explain("not enough memory: this run needs about 900 MiB but 20 MiB is available");
        assert!(
            m.starts_with("Out of memory: reduce batch size or max sequence length"),
            "{m}"
        );
        assert!(
            explain("training diverged: loss is NaN at step 3").contains("lower the learning rate")
        );
        assert!(
            explain("dataset: the file has 3 errors").starts_with("The dataset could not be used")
        );
        assert!(explain("").contains("retry"));
        assert_eq!(
            explain("the trainer crashed: boom"),
            "the trainer crashed: boom"
        );
    }
}
