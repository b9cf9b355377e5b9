//! The three presets, one table: what each sets, and which preset (if any)
//! a config still matches, so that editing any value shows Custom.

use super::config::{Scheduler, TrainingConfig};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Conservative,
    Balanced,
    Aggressive,
    Custom,
}

/// One row of the preset table.
pub struct PresetRow {
    pub preset: Preset,
    pub label: &'static str,
    pub summary: &'static str,
    pub learning_rate: f64,
    pub batch_size: u32,
    pub epochs: u32,
    pub lora_r: u32,
    pub lora_alpha: u32,
    pub lora_dropout: f64,
}

pub const PRESETS: &[PresetRow] = &[
    PresetRow {
        preset: Preset::Conservative,
        label: "Conservative",
        summary: "Small steps and a small adapter: safest on a small dataset.",
        learning_rate: 1e-4,
        batch_size: 4,
        epochs: 3,
        lora_r: 8,
        lora_alpha: 16,
        lora_dropout: 0.05,
    },
    PresetRow {
        preset: Preset::Balanced,
        label: "Balanced",
        summary: "The usual start: learns the style without forgetting much.",
        learning_rate: 2e-4,
        batch_size: 8,
        epochs: 5,
        lora_r: 16,
        lora_alpha: 32,
        lora_dropout: 0.1,
    },
    PresetRow {
        preset: Preset::Aggressive,
        label: "Aggressive",
        summary: "Large steps, many epochs, a big adapter: for large datasets.",
        learning_rate: 3e-4,
        batch_size: 16,
        epochs: 10,
        lora_r: 32,
        lora_alpha: 64,
        lora_dropout: 0.1,
    },
];

/// Every preset shares these: cosine schedule, 3 % warmup.
const WARMUP_RATIO: f64 = 0.03;

impl Preset {
    pub const ALL: &'static [Preset] = &[
        Self::Conservative,
        Self::Balanced,
        Self::Aggressive,
        Self::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conservative => "conservative",
            Self::Balanced => "balanced",
            Self::Aggressive => "aggressive",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    pub fn row(self) -> Option<&'static PresetRow> {
        PRESETS.iter().find(|r| r.preset == self)
    }

    pub fn label(self) -> &'static str {
        self.row().map_or("Custom", |r| r.label)
    }

    /// The full config this preset sets (Custom: Balanced's, to edit).
    pub fn config(self) -> TrainingConfig {
        let row = self.row().unwrap_or(&PRESETS[1]);
        TrainingConfig {
            learning_rate: row.learning_rate,
            batch_size: row.batch_size,
            gradient_accumulation: 1,
            epochs: row.epochs,
            lora_r: row.lora_r,
            lora_alpha: row.lora_alpha,
            lora_dropout: row.lora_dropout,
            target_modules: vec!["q_proj".into(), "v_proj".into()],
            warmup_ratio: WARMUP_RATIO,
            scheduler: Scheduler::Cosine,
            max_seq_len: 1024,
            validation_split: 0.1,
            eval_interval: 50,
            eval_samples: 3,
            early_stopping_patience: 0,
            keep_adapter: super::KeepAdapter::Best,
            seed: 42,
            max_steps: 0,
            dtype: None,
            gradient_checkpointing: None,
            packing: None,
        }
    }

    /// Applies what the preset sets to `config`, keeping the fields it does
    /// not set (target modules, sequence length, split, seed …).
    pub fn apply(self, config: &mut TrainingConfig) {
        let Some(row) = self.row() else { return };
        config.learning_rate = row.learning_rate;
        config.batch_size = row.batch_size;
        config.epochs = row.epochs;
        config.lora_r = row.lora_r;
        config.lora_alpha = row.lora_alpha;
        config.lora_dropout = row.lora_dropout;
        config.warmup_ratio = WARMUP_RATIO;
        config.scheduler = Scheduler::Cosine;
    }

    /// The preset whose values `config` has, or Custom.
    pub fn matching(config: &TrainingConfig) -> Preset {
        PRESETS
            .iter()
            .find(|r| {
                r.learning_rate == config.learning_rate
                    && r.batch_size == config.batch_size
                    && r.epochs == config.epochs
                    && r.lora_r == config.lora_r
                    && r.lora_alpha == config.lora_alpha
                    && r.lora_dropout == config.lora_dropout
                    && config.warmup_ratio == WARMUP_RATIO
                    && config.scheduler == Scheduler::Cosine
                    && config.gradient_accumulation == 1
            })
            .map_or(Preset::Custom, |r| r.preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_set_the_documented_values() {
        let c = Preset::Conservative.config();
        assert_eq!(
            (
                c.learning_rate,
                c.batch_size,
                c.epochs,
                c.lora_r,
                c.lora_alpha,
                c.lora_dropout
            ),
            (1e-4, 4, 3, 8, 16, 0.05)
        );
        let b = Preset::Balanced.config();
        assert_eq!(
            (
                b.learning_rate,
                b.batch_size,
                b.epochs,
                b.lora_r,
                b.lora_alpha,
                b.lora_dropout
            ),
            (2e-4, 8, 5, 16, 32, 0.1)
        );
        let a = Preset::Aggressive.config();
        assert_eq!(
            (
                a.learning_rate,
                a.batch_size,
                a.epochs,
                a.lora_r,
                a.lora_alpha,
                a.lora_dropout
            ),
            (3e-4, 16, 10, 32, 64, 0.1)
        );
        for p in [Preset::Conservative, Preset::Balanced, Preset::Aggressive] {
            let c = p.config();
            assert_eq!(c.scheduler, Scheduler::Cosine);
            assert_eq!(c.warmup_ratio, 0.03);
            assert_eq!(c.check(), vec![], "{p:?}");
            assert_eq!(Preset::matching(&c), p);
        }
    }

    #[test]
    fn editing_any_preset_value_makes_it_custom() {
        let mut c = Preset::Balanced.config();
        c.lora_r = 8;
        assert_eq!(Preset::matching(&c), Preset::Custom);
        let mut c = Preset::Aggressive.config();
        c.scheduler = Scheduler::Linear;
        assert_eq!(Preset::matching(&c), Preset::Custom);
        // Fields the presets do not set leave the preset as it is.
        let mut c = Preset::Conservative.config();
        c.max_seq_len = 512;
        c.seed = 7;
        assert_eq!(Preset::matching(&c), Preset::Conservative);
        // Applying a preset brings its values back.
        let mut c = Preset::Balanced.config();
        c.learning_rate = 5e-3;
        Preset::Aggressive.apply(&mut c);
        assert_eq!(Preset::matching(&c), Preset::Aggressive);
        assert_eq!(c.max_seq_len, 1024);
    }
}
