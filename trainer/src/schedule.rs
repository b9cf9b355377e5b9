//! Learning-rate schedules with linear warmup, as transformers defines them.

use crate::spec::Schedule;

pub fn learning_rate(schedule: Schedule, base: f64, step: u64, warmup: u64, total: u64) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let decay_steps = total.saturating_sub(warmup).max(1) as f64;
    let progress = ((step - warmup) as f64 / decay_steps).min(1.0);
    match schedule {
        Schedule::Constant => base,
        Schedule::Linear => base * (1.0 - progress),
        Schedule::Cosine => base * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_decay() {
        assert_eq!(learning_rate(Schedule::Linear, 1.0, 0, 4, 10), 0.25);
        assert_eq!(learning_rate(Schedule::Linear, 1.0, 3, 4, 10), 1.0);
        assert_eq!(learning_rate(Schedule::Linear, 1.0, 4, 4, 10), 1.0);
        assert!((learning_rate(Schedule::Linear, 1.0, 7, 4, 10) - 0.5).abs() < 1e-12);
        assert!((learning_rate(Schedule::Cosine, 1.0, 7, 4, 10) - 0.5).abs() < 1e-12);
        assert_eq!(learning_rate(Schedule::Constant, 0.3, 9, 0, 10), 0.3);
    }
}
