use super::*;
use crate::training::{Preset, TrainingConfig};

fn point(step: u32, eval: bool) -> MetricPoint {
    MetricPoint {
        step,
        epoch: None,
        train_loss: Some(2.0 / f64::from(step + 1)),
        eval_loss: eval.then_some(1.5),
        learning_rate: None,
        tokens_per_second: None,
        grad_norm: None,
    }
}

fn parts() -> VersionParts {
    VersionParts {
        status: JobStatus::Running,
        current_step: 10,
        cost_so_far: 0.25,
        updated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        cluster_seen_at: DateTime::from_timestamp(1_700_000_005, 0),
        model_id: None,
        last_point: Some(10),
        last_evaluation: Some(8),
    }
}

fn detail(steps: std::ops::RangeInclusive<u32>) -> JobDetail {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    JobDetail {
        job: Job {
            id: Uuid::nil(),
            name: "j".into(),
            dataset_id: Uuid::nil(),
            dataset_name: "d".into(),
            base_model: "tiny-llama".into(),
            status: JobStatus::Running,
            backend: "local".into(),
            gpu_type: "cpu".into(),
            gpu_count: 1,
            preset: Preset::Balanced,
            current_step: *steps.end(),
            total_steps: Some(10_000),
            current_epoch: None,
            current_metrics: None,
            eta_s: None,
            cost_so_far: 0.0,
            estimated_cost: None,
            error_message: None,
            retry_count: 0,
            model_id: None,
            parent_model_id: None,
            validation_dataset_id: None,
            budget_override: false,
            created_at: now,
            started_at: Some(now),
            finished_at: None,
        },
        config: TrainingConfig::default(),
        estimate: None,
        metric_count: *steps.end(),
        metrics: steps.clone().map(|s| point(s, s % 4 == 0)).collect(),
        eval_points: steps
            .filter(|s| s % 4 == 0)
            .map(|s| point(s, true))
            .collect(),
        samples: JobSamples::default(),
    }
}

fn updates(steps: std::ops::RangeInclusive<u32>, progress: JobProgress) -> JobUpdates {
    JobUpdates {
        version: "v".into(),
        progress,
        metric_count: *steps.end(),
        metrics: steps.clone().map(|s| point(s, s % 4 == 0)).collect(),
        eval_points: steps
            .filter(|s| s % 4 == 0)
            .map(|s| point(s, true))
            .collect(),
        log: String::new(),
        log_offset: 0,
        log_is_tail: false,
        samples: None,
    }
}

#[test]
fn the_version_changes_with_every_part_and_only_then() {
    let base = parts();
    assert_eq!(base.version(), parts().version());
    assert_eq!(base.version().len(), 16);
    let edits: [fn(&mut VersionParts); 8] = [
        |p| p.status = JobStatus::Completed,
        |p| p.current_step += 1,
        |p| p.cost_so_far += 0.0001,
        |p| p.updated_at += chrono::Duration::microseconds(1),
        |p| p.cluster_seen_at = None,
        |p| p.model_id = Some(Uuid::from_u128(1)),
        |p| p.last_point = Some(11),
        |p| p.last_evaluation = None,
    ];
    for edit in edits {
        let mut p = parts();
        edit(&mut p);
        assert_ne!(p.version(), base.version(), "{p:?}");
    }
}

#[test]
fn if_none_match_takes_weak_strong_lists_and_star() {
    let v = parts().version();
    assert!(matches_version(&etag(&v), &v));
    assert!(matches_version(&format!("\"{v}\""), &v));
    assert!(matches_version(&format!("W/\"other\", W/\"{v}\""), &v));
    assert!(matches_version("*", &v));
    assert!(!matches_version("W/\"other\"", &v));
    assert!(!matches_version("", &v));
}

#[test]
fn applying_updates_appends_new_points_once_and_takes_the_new_status() {
    let mut d = detail(1..=10);
    let mut progress = JobProgress::from(&d.job);
    progress.current_step = 14;
    progress.status = JobStatus::Completed;
    progress.model_id = Some(Uuid::from_u128(7));
    // Steps 9 and 10 again (a poll that raced a page load) are not doubled.
    d.apply(updates(9..=14, progress));
    let steps: Vec<u32> = d.metrics.iter().map(|p| p.step).collect();
    assert_eq!(steps, (1..=14).collect::<Vec<_>>());
    let evals: Vec<u32> = d.eval_points.iter().map(|p| p.step).collect();
    assert_eq!(evals, [4, 8, 12]);
    assert_eq!(d.metric_count, 14);
    assert_eq!(d.job.current_step, 14);
    assert_eq!(d.job.status, JobStatus::Completed);
    assert_eq!(d.job.model_id, Some(Uuid::from_u128(7)));
    // What a poll does not carry stays.
    assert_eq!(d.job.name, "j");
}

#[test]
fn a_long_run_stays_a_thinned_series_with_its_ends() {
    let mut d = detail(1..=CHART_POINTS as u32);
    let mut to = CHART_POINTS as u32;
    for _ in 0..50 {
        let progress = JobProgress::from(&d.job);
        d.apply(updates(to + 1..=to + 20, progress));
        to += 20;
        assert!(d.metrics.len() <= 2 * CHART_POINTS);
    }
    assert_eq!(d.metrics.first().unwrap().step, 1);
    assert_eq!(d.last_step(), Some(to));
    assert!(d.metrics.windows(2).all(|w| w[0].step < w[1].step));
}

#[test]
fn the_log_is_appended_or_replaced_and_keeps_its_last_lines() {
    let mut log = String::from("old\n");
    append_log(&mut log, "step 1\n", false);
    assert_eq!(log, "old\nstep 1\n");
    append_log(&mut log, "tail\n", true);
    assert_eq!(log, "tail\n");
    let line = "x".repeat(99) + "\n";
    for _ in 0..400 {
        append_log(&mut log, &line, false);
    }
    assert!(log.len() <= TAIL_BYTES as usize);
    assert!(log.starts_with('x') && log.ends_with('\n'));
}
