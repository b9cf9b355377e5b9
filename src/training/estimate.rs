//! Duration and cost before a run starts: tokens from the dataset's real
//! statistics × epochs ÷ throughput for the model size and GPU, plus
//! startup; cost = time × price × count. Once jobs have finished on a
//! (GPU, model) pair, their measured tokens/s replace the catalog's baseline.

use super::config::TrainingConfig;
use super::gpus::{CPU_GPU, GpuType};
use super::memory::{self, ModelShape};
use crate::datasets::DatasetStats;
use serde::{Deserialize, Serialize};

/// Parameters of the catalog's reference model.
const REFERENCE_PARAMETERS: f64 = 7e9;
/// Each extra GPU adds this share of one GPU's throughput.
const SCALING_EFFICIENCY: f64 = 0.9;
/// A validation token (forward pass only) costs about this share of a
/// training token (forward and backward).
const FORWARD_SHARE: f64 = 1.0 / 3.0;

/// Where the throughput figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Throughput {
    /// The catalog's 7B baseline scaled to the model's size.
    Baseline,
    /// The mean tokens/s of this many finished jobs on the same GPU and model.
    Calibrated { jobs: u32 },
}

/// Will the model and config fit in the chosen GPU's memory?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitCheck {
    pub needed_bytes: u64,
    /// Memory of the GPUs (or, for `cpu`, the machine) when known.
    pub available_bytes: Option<u64>,
    pub fits: bool,
    /// Set when it does not fit: what to reduce.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Estimate {
    pub total_steps: u64,
    pub training_examples: u64,
    pub tokens_per_epoch: u64,
    pub total_tokens: u64,
    /// Of those, the tokens whose loss trains the adapter (the learned
    /// assistant messages), over all epochs.
    #[serde(default)]
    pub trained_tokens: u64,
    pub tokens_per_second: f64,
    /// Validation passes: one before training, one every eval interval
    /// and one at the end.
    #[serde(default)]
    pub evaluations: u64,
    /// Tokens of one validation pass (the held-out share or the file).
    #[serde(default)]
    pub validation_tokens: u64,
    /// Time spent validating, included in the duration.
    #[serde(default)]
    pub eval_s: f64,
    pub throughput: Throughput,
    pub startup_s: f64,
    pub duration_s: f64,
    pub gpu_type: String,
    pub gpu_count: u32,
    pub price_per_hour: f64,
    pub cost: f64,
    pub fit: FitCheck,
}

/// Everything the estimate depends on.
pub struct EstimateInput<'a> {
    pub stats: &'a DatasetStats,
    pub config: &'a TrainingConfig,
    pub model: &'a ModelShape,
    pub gpu: &'a GpuType,
    pub gpu_count: u32,
    /// Measured tokens/s (per run, all its GPUs) of finished jobs, and how many.
    pub calibration: Option<(f64, u32)>,
    /// For `cpu`: the machine's memory.
    pub machine_memory_bytes: Option<u64>,
    /// A separate validation file's statistics (the config's split is then 0).
    pub validation: Option<&'a DatasetStats>,
}

/// Training tokens in one epoch: each example's tokens, cut at the maximum
/// sequence length, read from the dataset's length histogram.
pub fn tokens_per_epoch(stats: &DatasetStats, config: &TrainingConfig) -> u64 {
    let cap = config.max_seq_len.max(1) as f64;
    let examples = stats.trainable_examples;
    let all: f64 =
        if stats.histogram.iter().map(|b| b.count).sum::<u64>() == examples && examples > 0 {
            stats
                .histogram
                .iter()
                .map(|b| b.count as f64 * ((b.from + b.to) as f64 / 2.0).min(cap))
                .sum()
        } else {
            examples as f64 * stats.tokens.mean.min(cap)
        };
    let share = if examples == 0 {
        0.0
    } else {
        config.training_examples(examples) as f64 / examples as f64
    };
    (all * share).round() as u64
}

/// The share of the dataset's tokens that training learns from.
fn trained_share(stats: &DatasetStats) -> Option<f64> {
    (stats.tokens.total > 0).then(|| stats.tokens.trained as f64 / stats.tokens.total as f64)
}

/// Steps, tokens, duration and cost of a run, and whether it fits.
pub fn estimate(input: &EstimateInput) -> Estimate {
    let EstimateInput {
        stats,
        config,
        gpu,
        gpu_count,
        ..
    } = *input;
    let count = gpu_count.max(1);
    let examples = stats.trainable_examples;
    // The trainer's own count: a cap cuts the tokens in proportion.
    let steps = config.steps(examples);
    let per_epoch = tokens_per_epoch(stats, config);
    let total_tokens = (per_epoch as f64 * steps.epochs_run).round() as u64;
    let trained_tokens =
        trained_share(stats).map_or(0, |s| (total_tokens as f64 * s).round() as u64);
    let (tokens_per_second, throughput) = throughput(input, count);
    let validation_tokens = validation_tokens(input, per_epoch);
    let evaluations = if validation_tokens == 0 {
        0
    } else {
        let every = u64::from(config.eval_interval.max(1));
        1 + steps.total_steps / every + u64::from(!steps.total_steps.is_multiple_of(every))
    };
    let eval_s = (evaluations * validation_tokens) as f64 * FORWARD_SHARE / tokens_per_second;
    let duration_s = gpu.startup_s + total_tokens as f64 / tokens_per_second + eval_s;
    let cost = duration_s / 3600.0 * gpu.price_per_hour * count as f64;
    Estimate {
        total_steps: steps.total_steps,
        training_examples: steps.train_examples,
        tokens_per_epoch: per_epoch,
        total_tokens,
        trained_tokens,
        tokens_per_second,
        evaluations,
        validation_tokens,
        eval_s,
        throughput,
        startup_s: gpu.startup_s,
        duration_s,
        gpu_type: gpu.id.clone(),
        gpu_count: count,
        price_per_hour: gpu.price_per_hour,
        cost,
        fit: fit_check(input),
    }
}

/// Tokens per second of the whole run: measured when finished jobs have
/// calibrated it, else the catalog's 7B baseline scaled to the model's size
/// and the GPU count.
fn throughput(input: &EstimateInput, count: u32) -> (f64, Throughput) {
    match input.calibration {
        Some((tps, jobs)) if tps > 0.0 && jobs > 0 => (tps, Throughput::Calibrated { jobs }),
        _ => {
            let size = (input.model.parameters.max(1) as f64 / REFERENCE_PARAMETERS).max(1e-6);
            let one = input.gpu.tokens_per_second_7b / size;
            (
                one * (1.0 + SCALING_EFFICIENCY * (count - 1) as f64),
                Throughput::Baseline,
            )
        }
    }
}

/// Tokens of one validation pass: the separate file, else the share held
/// out of the dataset.
fn validation_tokens(input: &EstimateInput, per_epoch: u64) -> u64 {
    let with_file = input.config.clone().with_validation_file(true);
    match input.validation {
        Some(file) => tokens_per_epoch(file, &with_file),
        None => tokens_per_epoch(input.stats, &with_file).saturating_sub(per_epoch),
    }
}

/// The run's memory against the GPU's (or, for `cpu`, the machine's).
fn fit_check(input: &EstimateInput) -> FitCheck {
    let EstimateInput {
        config, model, gpu, ..
    } = *input;
    let dtype = base_dtype(config, gpu);
    let mem = memory::estimate_run(
        model,
        &memory::RunMemory {
            batch_size: config.batch_size as u64,
            seq_len: config.max_seq_len as u64,
            lora_r: config.lora_r as u64,
            target_modules: &config.target_modules,
            base_bytes: dtype.bytes(),
            gradient_checkpointing: crate::cluster::checkpointing_on(
                config.gradient_checkpointing,
                model.parameters,
            ),
            // The fused kernels run only for f32 on the CPU.
            generic_ops: gpu.id != CPU_GPU || dtype != crate::cluster::BaseDtype::F32,
        },
    );
    let available = if gpu.id == CPU_GPU {
        input.machine_memory_bytes
    } else {
        Some(gpu.vram_gb as u64 * 1024 * 1024 * 1024)
    };
    let fits = available.is_none_or(|a| mem.total() <= a);
    let warning = (!fits).then(|| {
        let a = available.unwrap_or(0);
        format!(
            "This run needs about {:.1} GB but one {} has {:.1} GB: {}.",
            mem.total() as f64 / 1e9,
            gpu.name,
            a as f64 / 1e9,
            memory::advice(&mem, a, config.batch_size as u64, config.max_seq_len as u64)
        )
    });
    FitCheck {
        needed_bytes: mem.total(),
        available_bytes: available,
        fits,
        warning,
    }
}

/// The dtype the base weights train in on this GPU type: the job's
/// choice, else the device's default (f32 on the CPU, bf16 on a GPU that
/// has it, f16 on one that does not).
pub fn base_dtype(
    config: &TrainingConfig,
    gpu: &super::gpus::GpuType,
) -> crate::cluster::BaseDtype {
    use crate::cluster::{BaseDtype, DeviceKind};
    let kind = if gpu.id == CPU_GPU {
        DeviceKind::Cpu
    } else {
        DeviceKind::Cuda
    };
    config
        .dtype
        .unwrap_or(BaseDtype::default_for(kind, gpu.bf16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{HistogramBin, TokenStats};
    use crate::training::{GpuCatalog, Preset};

    fn stats() -> DatasetStats {
        DatasetStats {
            trainable_examples: 40,
            tokens: TokenStats {
                mean: 300.0,
                total: 12_000,
                trained: 3_000,
                ..TokenStats::default()
            },
            // 30 short examples (mid 200) and 10 long (mid 2000).
            histogram: vec![
                HistogramBin {
                    from: 100,
                    to: 300,
                    count: 30,
                },
                HistogramBin {
                    from: 1900,
                    to: 2100,
                    count: 10,
                },
            ],
            ..DatasetStats::default()
        }
    }

    fn seven_b() -> ModelShape {
        ModelShape {
            parameters: 7_000_000_000,
            vocab_size: 32_000,
            hidden_size: 4096,
            intermediate_size: 11_008,
            num_hidden_layers: 32,
            num_attention_heads: 32,
            num_key_value_heads: 32,
            head_dim: 128,
        }
    }

    #[test]
    fn tokens_come_from_the_histogram_cut_at_max_length() {
        let mut c = Preset::Balanced.config();
        c.validation_split = 0.0;
        c.max_seq_len = 1024;
        // 30 × 200 + 10 × 1024.
        assert_eq!(tokens_per_epoch(&stats(), &c), 16_240);
        c.validation_split = 0.25;
        assert_eq!(tokens_per_epoch(&stats(), &c), 12_180);
    }

    #[test]
    fn duration_and_cost_follow_tokens_throughput_price_and_count() {
        let catalog = GpuCatalog::default();
        let gpu = catalog.get("a100-80gb").unwrap();
        let mut c = Preset::Balanced.config();
        c.validation_split = 0.0;
        c.max_seq_len = 1024;
        c.batch_size = 4;
        let (s, m) = (stats(), seven_b());
        let input = |count, calibration| EstimateInput {
            stats: &s,
            config: &c,
            model: &m,
            gpu,
            gpu_count: count,
            calibration,
            machine_memory_bytes: None,
            validation: None,
        };
        let one = estimate(&input(1, None));
        assert_eq!(one.total_tokens, 16_240 * 5);
        assert_eq!(one.total_steps, 50);
        assert_eq!(one.tokens_per_second, gpu.tokens_per_second_7b);
        let expect = gpu.startup_s + 81_200.0 / gpu.tokens_per_second_7b;
        assert!((one.duration_s - expect).abs() < 1e-9);
        assert!((one.cost - expect / 3600.0 * gpu.price_per_hour).abs() < 1e-9);
        assert_eq!(one.throughput, Throughput::Baseline);
        // A quarter of the dataset's tokens are learned ones.
        assert_eq!(one.trained_tokens, 81_200 / 4);
        // No split and no file: nothing to validate.
        assert_eq!((one.evaluations, one.eval_s), (0, 0.0));

        let two = estimate(&input(2, None));
        assert!((two.tokens_per_second - 1.9 * gpu.tokens_per_second_7b).abs() < 1e-9);
        assert!(two.duration_s < one.duration_s);

        let cal = estimate(&input(1, Some((100.0, 3))));
        assert_eq!(cal.throughput, Throughput::Calibrated { jobs: 3 });
        assert!((cal.duration_s - (gpu.startup_s + 812.0)).abs() < 1e-9);
    }

    /// Validation passes cost a third of a training token each: before
    /// training, every eval interval and at the end, over the held-out
    /// share or the separate file.
    #[test]
    fn validation_adds_its_forward_passes_from_the_split_or_the_file() {
        let catalog = GpuCatalog::default();
        let gpu = catalog.get("a100-80gb").unwrap();
        let mut c = Preset::Balanced.config();
        c.max_seq_len = 1024;
        c.batch_size = 4;
        c.validation_split = 0.25;
        c.eval_interval = 4;
        let (s, m) = (stats(), seven_b());
        let file = DatasetStats {
            trainable_examples: 10,
            tokens: TokenStats {
                mean: 100.0,
                ..TokenStats::default()
            },
            ..DatasetStats::default()
        };
        let input = |config, validation| EstimateInput {
            stats: &s,
            config,
            model: &m,
            gpu,
            gpu_count: 1,
            calibration: None,
            machine_memory_bytes: None,
            validation,
        };
        let split = estimate(&input(&c, None));
        // 30 train examples, 8 steps an epoch, 5 epochs: 40 steps, 10 passes + before.
        assert_eq!(split.total_steps, 40);
        assert_eq!(split.evaluations, 11);
        assert_eq!(split.validation_tokens, 16_240 - 12_180);
        let tps = gpu.tokens_per_second_7b;
        assert!((split.eval_s - 11.0 * 4_060.0 / 3.0 / tps).abs() < 1e-9);
        let train_s = split.total_tokens as f64 / tps;
        assert!((split.duration_s - (gpu.startup_s + train_s + split.eval_s)).abs() < 1e-9);
        // A file: all 40 examples train, the file's 1,000 tokens validate.
        let on_file = c.clone().with_validation_file(true);
        let with_file = estimate(&input(&on_file, Some(&file)));
        assert_eq!(with_file.training_examples, 40);
        assert_eq!(with_file.validation_tokens, 1_000);
        assert_eq!(
            with_file.evaluations,
            1 + with_file.total_steps / 4 + u64::from(!with_file.total_steps.is_multiple_of(4))
        );
    }

    #[test]
    fn a_capped_run_costs_its_share_and_a_big_batch_warns_about_memory() {
        let catalog = GpuCatalog::default();
        let t4 = catalog.get("t4").unwrap();
        let mut c = Preset::Aggressive.config();
        c.validation_split = 0.0;
        c.max_seq_len = 2048;
        let full = estimate(&EstimateInput {
            stats: &stats(),
            config: &c,
            model: &seven_b(),
            gpu: t4,
            gpu_count: 1,
            calibration: None,
            machine_memory_bytes: None,
            validation: None,
        });
        assert!(!full.fit.fits);
        // In f16 (the T4 has no bf16) the 7B weights fit; the batch does not.
        let w = full.fit.warning.as_deref().unwrap();
        assert!(
            w.contains("NVIDIA T4") && w.contains("batch size (16)"),
            "{w}"
        );
        let mut f32_weights = c.clone();
        f32_weights.dtype = Some(crate::cluster::BaseDtype::F32);
        let f32_run = estimate(&EstimateInput {
            stats: &stats(),
            config: &f32_weights,
            model: &seven_b(),
            gpu: t4,
            gpu_count: 1,
            calibration: None,
            machine_memory_bytes: None,
            validation: None,
        });
        let w = f32_run.fit.warning.as_deref().unwrap();
        assert!(w.contains("smaller model"), "{w}");
        c.max_steps = full.total_steps as u32 / 2;
        let half = estimate(&EstimateInput {
            stats: &stats(),
            config: &c,
            model: &seven_b(),
            gpu: t4,
            gpu_count: 1,
            calibration: None,
            machine_memory_bytes: None,
            validation: None,
        });
        assert_eq!(half.total_tokens * 2, full.total_tokens);
    }

    #[test]
    fn the_fit_check_counts_the_base_dtype_and_checkpointing_on_the_chosen_device() {
        let catalog = GpuCatalog::default();
        let a100 = catalog.get("a100-80gb").unwrap();
        let t4 = catalog.get("t4").unwrap();
        let cpu = catalog.get(CPU_GPU).unwrap();
        let mut c = Preset::Balanced.config();
        assert_eq!(base_dtype(&c, a100), crate::cluster::BaseDtype::Bf16);
        assert_eq!(base_dtype(&c, t4), crate::cluster::BaseDtype::F16);
        assert_eq!(base_dtype(&c, cpu), crate::cluster::BaseDtype::F32);
        let (s, m) = (stats(), seven_b());
        let needed = |c: &TrainingConfig| {
            estimate(&EstimateInput {
                stats: &s,
                config: c,
                model: &m,
                gpu: a100,
                gpu_count: 1,
                calibration: None,
                machine_memory_bytes: None,
                validation: None,
            })
            .fit
            .needed_bytes
        };
        // 7B is over the checkpointing threshold: on by default.
        let default = needed(&c);
        c.gradient_checkpointing = Some(false);
        let without = needed(&c);
        assert!(without > default, "{without} vs {default}");
        c.dtype = Some(crate::cluster::BaseDtype::F32);
        let f32_without = needed(&c);
        // The weights alone grow by 7B × 2 bytes.
        assert!(
            f32_without >= without + 14_000_000_000,
            "{f32_without} vs {without}"
        );
    }
}
