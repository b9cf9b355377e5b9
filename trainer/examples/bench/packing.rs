//! `bench packing SHAPE DIR STEPS BATCH SEQ`: the trainer on EQ-12 with
//! packing off and on (the same steps, examples and seed), timing each
//! optimizer step; prints, per setting, real (non-padding) tokens/s, real
//! tokens and computed positions per step, as JSON lines.

use brightrun_trainer::train::Trainer;
use brightrun_trainer::{HyperParams, JobSpec, Output};
use std::path::Path;
use std::time::Instant;

pub fn run(shape: &str, dir: &Path, steps: u64, batch: usize, seq: usize) {
    use brightrun_trainer::model::tiny;
    // The shape with room for whole EQ-12 examples in its byte-level tokens.
    let mut c = match shape {
        "tiny" => tiny::config(),
        "100m" => tiny::config_100m(),
        other => panic!("unknown shape {other}"),
    };
    c.max_position_embeddings = 16_384;
    let folder = dir.join(format!("model-{shape}"));
    if !folder.join("config.json").is_file() {
        tiny::write_random_folder(&folder, &c, 0).unwrap();
    }
    let base = folder.display().to_string();
    let dataset = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/EQ-12-conversations-demo.jsonl"
    );
    for packing in [false, true] {
        let work = dir.join(format!("{shape}-packing-{packing}"));
        let _ = std::fs::remove_dir_all(&work);
        let spec = JobSpec {
            job_id: format!("bench-{shape}-{packing}"),
            base_model: base.clone(),
            base_model_files: None,
            dataset: dataset.into(),
            validation_dataset: None,
            device: Default::default(),
            dtype: None,
            hyperparameters: HyperParams {
                max_steps: steps,
                batch_size: batch,
                max_seq_len: seq,
                eval_samples: 0,
                packing: Some(packing),
                gradient_checkpointing: Some(true),
                ..HyperParams::default()
            },
            output: Output::Folder(work.join("adapter").display().to_string()),
            init_adapter: None,
            report: None,
            gpu: None,
            owner: None,
        };
        let mut trainer = Trainer::new(&spec, &work).unwrap();
        let (mut real, mut positions, mut seconds) = (0usize, 0usize, 0.0);
        while !trainer.done() {
            let t0 = Instant::now();
            let r = trainer.step().unwrap();
            seconds += t0.elapsed().as_secs_f64();
            real += r.tokens;
            positions += r.padded;
        }
        let n = trainer.step_count() as f64;
        println!(
            "{}",
            serde_json::json!({
                "shape": shape, "packing": packing, "steps": n, "batch": batch, "max_seq_len": seq,
                "real_tokens_per_step": real as f64 / n,
                "positions_per_step": positions as f64 / n,
                "padding_share": 1.0 - real as f64 / positions as f64,
                "tokens_per_second": real as f64 / seconds,
                "seconds_per_step": seconds / n,
            })
        );
    }
}
