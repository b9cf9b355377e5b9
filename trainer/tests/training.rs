//! The trainer on the real EQ-12 fixtures (shared/fixtures, CC-BY-4.0,
//! credit BrightRun) with the built-in tiny model.

use brightrun::training::{KeepAdapter, kept_adapter};
use brightrun_trainer::model::llama::IGNORE;
use brightrun_trainer::model::{folder, gradcheck, tiny};
use brightrun_trainer::rng::TrainRng;
use brightrun_trainer::{Event, HyperParams, JobSpec, Output, StepMetrics, TrainerError, train};
use candle_core::{Device, Tensor};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/EQ-12-conversations-demo.jsonl")
        .display()
        .to_string()
}

fn spec(out: &Path, h: HyperParams) -> JobSpec {
    JobSpec {
        job_id: "test".into(),
        base_model: tiny::NAME.into(),
        base_model_files: None,
        dataset: fixture(),
        validation_dataset: None,
        device: Default::default(),
        dtype: None,
        hyperparameters: h,
        output: Output::Folder(out.join("adapter").display().to_string()),
        init_adapter: None,
        report: None,
        gpu: None,
        owner: None,
    }
}

fn small(steps: u64) -> HyperParams {
    HyperParams {
        max_steps: steps,
        batch_size: 2,
        max_seq_len: 64,
        learning_rate: 1e-3,
        ..HyperParams::default()
    }
}

fn run(
    spec: &JobSpec,
    work: &Path,
    stop_at: Option<u64>,
) -> (
    Result<brightrun_trainer::TrainOutcome, TrainerError>,
    Vec<StepMetrics>,
) {
    let cancel = AtomicBool::new(false);
    let mut steps = Vec::new();
    let r = train(
        spec,
        work,
        &mut |e| {
            if let Event::Step(m) = e {
                steps.push(m.clone());
                if Some(m.step) == stop_at {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        },
        &cancel,
    );
    (r, steps)
}

fn tiny_with_every_adapter(
    model_seed: u64,
    dropout: f32,
    lora_seed: u64,
    b_seed: u64,
) -> (
    brightrun_trainer::model::Llama,
    Vec<(String, candle_core::Var)>,
) {
    tiny::with_every_adapter(
        model_seed,
        &Device::Cpu,
        candle_core::DType::F32,
        dropout,
        lora_seed,
        b_seed,
    )
    .unwrap()
}

#[test]
fn lora_gradients_match_finite_differences_through_every_layer() {
    let dev = Device::Cpu;
    let (model, vars) = tiny_with_every_adapter(7, 0.0, 1, 2);
    let (ids, labels) = gradcheck::batch(&dev).unwrap();
    let mut checked = 0;
    for c in gradcheck::compare(&model, &vars, &ids, &labels, 1e-2).unwrap() {
        let (name, i, gi, fd) = (&c.name, c.index, c.backprop, c.finite_difference);
        // Every adapter gets a gradient: no path is cut off.
        assert!(c.any_nonzero, "{name} has a zero gradient");
        // f32 central differences: within 5%, or 1e-4 for small gradients.
        let err = (fd - gi).abs();
        assert!(
            err < 0.05 * gi.abs() || err < 1e-4,
            "{name}[{i}]: backprop {gi}, finite difference {fd}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4 * 7 * 2);
}

#[test]
fn loss_falls_on_eq12_and_the_adapter_is_peft_shaped() {
    let dir = tempfile::tempdir().unwrap();
    let h = HyperParams {
        // Max steps is a cap: four epochs of 11 steps, cut at 40.
        epochs: 4,
        max_steps: 40,
        batch_size: 4,
        max_seq_len: 64,
        learning_rate: 3e-3,
        lora_r: 8,
        lora_alpha: 16.0,
        target_modules: vec![
            "q_proj".into(),
            "v_proj".into(),
            "gate_proj".into(),
            "up_proj".into(),
            "down_proj".into(),
        ],
        validation_split: 0.1,
        eval_every: 20,
        ..HyperParams::default()
    };
    let s = spec(dir.path(), h);
    let (r, steps) = run(&s, &dir.path().join("work"), None);
    let out = r.unwrap();
    assert_eq!(out.steps, 40);
    assert_eq!(steps.len(), 40);
    let first: f64 = steps[..5].iter().map(|m| m.train_loss).sum::<f64>() / 5.0;
    let last: f64 = steps[35..].iter().map(|m| m.train_loss).sum::<f64>() / 5.0;
    assert!(last < first * 0.9, "loss {first} -> {last}");
    assert!(
        steps
            .iter()
            .all(|m| m.tokens_per_second > 0.0 && m.grad_norm.is_finite())
    );
    assert!(
        steps[19].val_loss.is_some()
            && steps[39].val_loss.is_some()
            && steps[10].val_loss.is_none()
    );
    // PEFT's layout.
    let cfg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.adapter_dir.join("adapter_config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["peft_type"], "LORA");
    assert_eq!(cfg["r"], 8);
    assert_eq!(cfg["lora_alpha"], 16);
    let bytes = std::fs::read(out.adapter_dir.join("adapter_model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    assert_eq!(names.len(), 4 * 5 * 2);
    assert!(
        names.contains(
            &"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight".to_string()
        )
    );
    assert!(
        names.contains(&"base_model.model.model.layers.3.mlp.down_proj.lora_B.weight".to_string())
    );
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(
        meta.metadata()
            .as_ref()
            .and_then(|m| m.get("format"))
            .map(String::as_str),
        Some("pt")
    );
    let a = st
        .tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        .unwrap();
    assert_eq!(a.shape(), &[8, 256]);
    let metrics = std::fs::read_to_string(out.adapter_dir.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 40);
    assert!(out.adapter_dir.join("training_args.json").is_file());
}

#[test]
fn evaluations_answer_held_out_prompts_before_and_after_training() {
    let dir = tempfile::tempdir().unwrap();
    let h = HyperParams {
        validation_split: 0.2,
        eval_every: 6,
        eval_samples: 2,
        learning_rate: 1e-2,
        target_modules: brightrun::cluster::TARGET_MODULES
            .iter()
            .map(|m| m.to_string())
            .collect(),
        ..small(12)
    };
    let s = spec(dir.path(), h);
    let (r, steps) = run(&s, &dir.path().join("work"), None);
    r.unwrap();
    let evals: Vec<_> = steps.iter().flat_map(|m| m.evaluations.clone()).collect();
    // Before training (on the first line), then every 6 steps.
    assert_eq!(evals.iter().map(|e| e.step).collect::<Vec<_>>(), [0, 6, 12]);
    assert_eq!(steps[0].evaluations[0].step, 0);
    assert_eq!(steps[5].evaluations[0].step, 6);
    assert_eq!(steps[5].val_loss, Some(evals[1].val_loss));
    let fixture = std::fs::read(fixture()).unwrap();
    let examples = brightrun::datasets::training_examples(&fixture).unwrap();
    for e in &evals {
        assert_eq!(e.samples.len(), 2, "step {}", e.step);
        for s in &e.samples {
            // The dataset's own answer and question, verbatim.
            let ex = examples
                .iter()
                .find(|x| x.target() == s.reference)
                .expect("the reference is a held-out example's target");
            assert!(ex.messages.iter().any(|m| m.content == s.prompt));
            assert_eq!(s.system.as_deref(), Some(ex.messages[0].content.as_str()));
            assert!(!s.answer.is_empty());
        }
        // The same held-out prompts every time.
        assert_eq!(e.samples[0].prompt, evals[0].samples[0].prompt);
    }
    // Training changed what the model says, and its validation loss.
    let answers = |i: usize| {
        evals[i]
            .samples
            .iter()
            .map(|s| s.answer.clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(answers(0), answers(2));
    assert!(
        evals[2].val_loss < evals[0].val_loss,
        "{} -> {}",
        evals[0].val_loss,
        evals[2].val_loss
    );
    // Written to metrics.jsonl with the step they rode on.
    let adapter = dir.path().join("adapter");
    let first: StepMetrics = serde_json::from_str(
        std::fs::read_to_string(adapter.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first.evaluations, steps[0].evaluations);
}

#[test]
fn the_same_seed_gives_the_same_curve_and_resume_continues_it() {
    let dir = tempfile::tempdir().unwrap();
    let h = HyperParams {
        checkpoint_every: 3,
        lora_dropout: 0.1,
        gradient_accumulation: 2,
        validation_split: 0.1,
        ..small(8)
    };
    let a = spec(&dir.path().join("a"), h.clone());
    let (ra, curve_a) = run(&a, &dir.path().join("a/work"), None);
    ra.unwrap();
    let b = spec(&dir.path().join("b"), h.clone());
    let (rb, curve_b) = run(&b, &dir.path().join("b/work"), None);
    rb.unwrap();
    let losses = |c: &[StepMetrics]| {
        c.iter()
            .map(|m| (m.step, m.train_loss, m.grad_norm))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&curve_a), losses(&curve_b));
    // Interrupted after step 5 (last checkpoint at 3), then run again.
    let c = spec(&dir.path().join("c"), h);
    let work = dir.path().join("c/work");
    let (rc, first) = run(&c, &work, Some(5));
    assert!(matches!(rc, Err(TrainerError::Cancelled)), "{rc:?}");
    assert_eq!(first.len(), 5);
    let (rc, rest) = run(&c, &work, None);
    rc.unwrap();
    assert_eq!(rest.first().map(|m| m.step), Some(4));
    assert_eq!(losses(&rest), losses(&curve_a[3..]));
    // The "before" evaluation is the first run's; a resumed run has none.
    assert_eq!(first[0].evaluations[0].step, 0);
    assert!(rest.iter().flat_map(|m| &m.evaluations).all(|e| e.step > 0));
    let metrics = std::fs::read_to_string(work.join("metrics.jsonl")).unwrap();
    let steps: Vec<u64> = metrics
        .lines()
        .map(|l| serde_json::from_str::<StepMetrics>(l).unwrap().step)
        .collect();
    assert_eq!(steps, (1..=8).collect::<Vec<_>>());
    // The resumed run keeps the same adapter as the uninterrupted one.
    let weights = |run: &str| {
        std::fs::read(
            dir.path()
                .join(run)
                .join("adapter/adapter_model.safetensors"),
        )
        .unwrap()
    };
    assert_eq!(weights("a"), weights("c"));
    // Different seed, different curve.
    let d = spec(
        &dir.path().join("d"),
        HyperParams {
            seed: 7,
            ..small(2)
        },
    );
    let (_, curve_d) = run(&d, &dir.path().join("d/work"), None);
    assert_ne!(curve_d[1].train_loss, curve_a[1].train_loss);
}

/// Validation losses by step, from the run's metrics.
fn evaluations(curve: &[StepMetrics]) -> Vec<(u64, f64)> {
    curve
        .iter()
        .filter_map(|m| m.val_loss.map(|v| (m.step, v)))
        .collect()
}

fn training_args(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("adapter/training_args.json")).unwrap()).unwrap()
}

/// A separate validation file: every example of the training file trains,
/// the file's examples validate and give the sample prompts.
#[test]
fn a_validation_file_is_the_validation_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture().replace(".jsonl", ".json");
    let file_examples =
        brightrun::datasets::training_examples(&std::fs::read(&file).unwrap()).unwrap();
    let h = HyperParams {
        validation_split: 0.0,
        eval_every: 2,
        eval_samples: 1,
        ..small(2)
    };
    let mut s = spec(dir.path(), h.clone());
    s.validation_dataset = Some(file.clone());
    let cancel = AtomicBool::new(false);
    let mut started = None;
    let mut evals = Vec::new();
    train(
        &s,
        &dir.path().join("work"),
        &mut |e| match e {
            Event::Started {
                examples,
                validation_examples,
                ..
            } => started = Some((*examples, *validation_examples)),
            Event::Eval(e) => evals.push(e.clone()),
            _ => {}
        },
        &cancel,
    )
    .unwrap();
    assert_eq!(started, Some((44, file_examples.len())));
    assert_eq!(evals.iter().map(|e| e.step).collect::<Vec<_>>(), [0, 2]);
    let reference = &evals[0].samples[0].reference;
    assert!(file_examples.iter().any(|e| e.target() == reference));
    // A split as well as a file is refused, naming the split.
    let mut both = spec(
        dir.path(),
        HyperParams {
            validation_split: 0.1,
            ..h
        },
    );
    both.validation_dataset = Some(file);
    let err = run(&both, &dir.path().join("both"), None)
        .0
        .unwrap_err()
        .to_string();
    assert!(err.contains("hyperparameters.validation_split"), "{err}");
}

#[test]
fn early_stopping_stops_once_validation_loss_stops_improving() {
    let dir = tempfile::tempdir().unwrap();
    // A learning rate this small moves the validation loss by far less than
    // the 0.1% an improvement needs.
    let h = HyperParams {
        validation_split: 0.2,
        eval_every: 1,
        eval_samples: 0,
        early_stopping_patience: 2,
        learning_rate: 1e-6,
        ..small(20)
    };
    let (r, curve) = run(&spec(dir.path(), h.clone()), &dir.path().join("work"), None);
    let out = r.unwrap();
    assert!(out.stopped_early);
    assert_eq!(
        (out.steps, curve.len()),
        (3, 3),
        "{:?}",
        evaluations(&curve)
    );
    let args = training_args(dir.path());
    assert_eq!(args["stopped_early"], true);
    assert_eq!(args["steps"], 3);
    // Without patience the same run goes to the end.
    let full = HyperParams {
        early_stopping_patience: 0,
        max_steps: 6,
        ..h
    };
    let other = dir.path().join("full");
    let (r, curve) = run(&spec(&other, full), &other.join("work"), None);
    assert!(!r.unwrap().stopped_early);
    assert_eq!(curve.len(), 6);
}

#[test]
fn the_best_adapter_is_the_lowest_validation_losss_weights() {
    let dir = tempfile::tempdir().unwrap();
    // A constant, large learning rate overfits the tiny model, so the
    // validation loss turns back up before the end.
    let h = HyperParams {
        validation_split: 0.2,
        eval_every: 1,
        eval_samples: 0,
        learning_rate: 1e-2,
        schedule: brightrun::training::Scheduler::Constant,
        lora_dropout: 0.0,
        ..small(12)
    };
    let best_dir = dir.path().join("best");
    let (r, curve) = run(&spec(&best_dir, h.clone()), &best_dir.join("work"), None);
    let out = r.unwrap();
    let evals = evaluations(&curve);
    let kept = kept_adapter(KeepAdapter::Best, &evals, 12);
    assert!(
        kept.step < 12,
        "the run must turn back up for this test: {evals:?}"
    );
    assert_eq!(out.adapter_step, kept.step);
    assert_eq!(out.best_val_loss, kept.val_loss);
    assert_eq!(training_args(&best_dir)["adapter_step"], kept.step);
    // The same run stopped at that step, keeping its last, wrote the same weights.
    let weights = |d: &Path| std::fs::read(d.join("adapter/adapter_model.safetensors")).unwrap();
    let at_best = dir.path().join("at-best");
    let h_at_best = HyperParams {
        max_steps: kept.step,
        keep_adapter: KeepAdapter::Last,
        ..h.clone()
    };
    run(&spec(&at_best, h_at_best), &at_best.join("work"), None)
        .0
        .unwrap();
    assert_eq!(weights(&best_dir), weights(&at_best));
    // Keeping the last gives the last step's weights instead.
    let last_dir = dir.path().join("last");
    let h_last = HyperParams {
        keep_adapter: KeepAdapter::Last,
        ..h
    };
    let last = run(&spec(&last_dir, h_last), &last_dir.join("work"), None)
        .0
        .unwrap();
    assert_eq!(last.adapter_step, 12);
    assert_ne!(weights(&best_dir), weights(&last_dir));
}

#[test]
fn bad_input_is_refused_before_training_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty_model = dir.path().join("model");
    std::fs::create_dir_all(&empty_model).unwrap();
    let mut s = spec(dir.path(), small(1));
    s.base_model = empty_model.display().to_string();
    let e = run(&s, &dir.path().join("w1"), None)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.json"), "{e}");

    tiny::write_folder(&empty_model, 0).unwrap();
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(empty_model.join("config.json")).unwrap())
            .unwrap();
    cfg["model_type"] = "gpt_neox".into();
    std::fs::write(empty_model.join("config.json"), cfg.to_string()).unwrap();
    let e = run(&s, &dir.path().join("w2"), None)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("gpt_neox"), "{e}");

    // Rows longer than the model's positions: refused before training.
    let too_long = HyperParams {
        max_seq_len: 4096,
        ..small(1)
    };
    let e = run(
        &spec(dir.path(), too_long),
        &dir.path().join("w-long"),
        None,
    )
    .0
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("max_seq_len") && e.contains("2048 positions"),
        "{e}"
    );

    let no_targets = dir.path().join("context-only.jsonl");
    std::fs::write(&no_targets, "{\"_meta\": {\"version\": \"4.0.0\", \"total_pairs\": 1}}\n{\"id\": \"a\", \"conversation_id\": \"c\", \"system_prompt\": \"s\", \"conversation_history\": [], \"current_user_input\": \"hi\", \"target_response\": null}\n").unwrap();
    let mut s = spec(dir.path(), small(1));
    s.dataset = no_targets.display().to_string();
    let e = run(&s, &dir.path().join("w3"), None)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("trainable"), "{e}");

    let mut s = spec(
        dir.path(),
        HyperParams {
            memory_limit_mb: 20,
            ..small(1)
        },
    );
    s.dataset = fixture();
    let e = run(&s, &dir.path().join("w4"), None)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("MiB") && e.contains("batch size"), "{e}");
}

#[test]
fn the_tiny_model_written_as_a_folder_loads_back_with_the_same_logits() {
    let dir = tempfile::tempdir().unwrap();
    tiny::write_folder(dir.path(), 0).unwrap();
    let from_folder = folder::load(
        &dir.path().display().to_string(),
        &Device::Cpu,
        candle_core::DType::F32,
    )
    .unwrap();
    let built_in = folder::load(tiny::NAME, &Device::Cpu, candle_core::DType::F32).unwrap();
    let ids = Tensor::from_vec(vec![1u32, 70, 80, 90, 257, 258], (1, 6), &Device::Cpu).unwrap();
    let a: Vec<f32> = from_folder
        .model
        .forward(&ids)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let b: Vec<f32> = built_in
        .model
        .forward(&ids)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(
        from_folder.chat.encode_text("<|im_start|>hi").unwrap(),
        vec![257, 104, 105]
    );
}

#[test]
fn a_continued_run_starts_from_the_parent_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let parent_out = dir.path().join("parent");
    let parent = spec(&parent_out, small(12));
    let (r, parent_steps) = run(&parent, &parent_out.join("work"), None);
    r.unwrap();
    let fresh_first = parent_steps[0].train_loss;
    let parent_last = parent_steps.last().unwrap().train_loss;
    assert!(
        parent_last < fresh_first - 0.05,
        "the parent learned: {fresh_first} -> {parent_last}"
    );

    // The child trains on with a learning rate too small to move anything:
    // its first loss is the parent's, not a fresh adapter's.
    let child_out = dir.path().join("child");
    let mut child = spec(
        &child_out,
        HyperParams {
            learning_rate: 1e-6,
            ..small(2)
        },
    );
    let adapter = parent_out.join("adapter");
    child.init_adapter = Some(brightrun_trainer::spec::InitAdapter {
        config: adapter.join("adapter_config.json").display().to_string(),
        weights: adapter
            .join("adapter_model.safetensors")
            .display()
            .to_string(),
    });
    let (r, child_steps) = run(&child, &child_out.join("work"), None);
    r.unwrap();
    let child_first = child_steps[0].train_loss;
    assert!(
        (child_first - fresh_first).abs() > 0.05 && child_first < fresh_first,
        "child starts where the parent got to: fresh {fresh_first}, parent last {parent_last}, child first {child_first}"
    );

    // A different rank cannot take the parent's weights.
    let other_out = dir.path().join("other");
    let mut other = spec(
        &other_out,
        HyperParams {
            lora_r: 4,
            ..small(2)
        },
    );
    other.init_adapter = child.init_adapter.clone();
    let (r, _) = run(&other, &other_out.join("work"), None);
    let err = r.unwrap_err().to_string();
    assert!(
        err.contains("init_adapter") && err.contains("rank"),
        "{err}"
    );
}

/// The fused CPU kernels (RMSNorm, RoPE, grouped-query attention in row
/// blocks, SwiGLU, LoRA linear with dropout, head + cross-entropy on
/// labelled rows) against candle's generic ops on the same model: same loss, same gradient for every
/// adapter. 150 positions cover full and partial attention blocks; the
/// tiny model has 2 query heads per key/value head.
#[test]
fn the_fused_kernels_give_the_generic_ops_loss_and_gradients() {
    let dev = Device::Cpu;
    let (mut model, vars) = tiny_with_every_adapter(11, 0.1, 3, 4);
    let t = 150;
    let ids: Vec<u32> = (0..2 * t as u32).map(|i| (i * 53 + 7) % 300).collect();
    let labels: Vec<i64> = (0..2 * t)
        .map(|i| {
            if i % 7 < 2 {
                IGNORE
            } else {
                ((i * 53 + 60) % 300) as i64
            }
        })
        .collect();
    let ids = Tensor::from_vec(ids, (2, t), &dev).unwrap();
    let mut run = |fused: bool| {
        model.set_fused(fused);
        // The same dropout masks both times.
        let (loss, counted) = model
            .loss(&ids, &labels, Some(&mut TrainRng::new(9)))
            .unwrap();
        let grads = loss.backward().unwrap();
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let g: Vec<Vec<f32>> = vars
            .iter()
            .map(|(_, v)| flat(grads.get(v.as_tensor()).expect("a gradient")))
            .collect();
        (loss.to_scalar::<f32>().unwrap(), counted, g)
    };
    let (fused_loss, fused_n, fused_g) = run(true);
    let (loss, n, g) = run(false);
    assert_eq!(fused_n, n);
    assert!(
        (fused_loss - loss).abs() < 1e-5 * loss.abs(),
        "fused loss {fused_loss}, generic {loss}"
    );
    for ((name, _), (a, b)) in vars.iter().zip(fused_g.iter().zip(&g)) {
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{name} has a zero gradient");
        let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            worst < 1e-4 * scale,
            "{name}: fused and generic gradients differ by {worst} (largest {scale})"
        );
    }
}
