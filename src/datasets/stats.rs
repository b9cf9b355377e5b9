//! Dataset statistics, built one example at a time so a 500 MB file needs
//! only its per-example token lengths in memory.

use super::conversation::{Role, TrainingExample};
use super::tokens::{PendingCounts, TokenCounter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

/// Texts shorter than this are counted directly; caching them costs more than it saves.
const CACHE_MIN_BYTES: usize = 64;
/// The cache is dropped and rebuilt past this many entries, so memory stays bounded.
const CACHE_MAX_ENTRIES: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenStats {
    pub total: u64,
    /// Every assistant message's tokens, learned or context.
    pub assistant: u64,
    /// The tokens training learns: assistant messages with a weight other
    /// than 0 (for brightrun pairs, the target only).
    #[serde(default)]
    pub trained: u64,
    pub min: u64,
    pub max: u64,
    pub mean: f64,
    pub median: f64,
    pub p95: u64,
    pub over_max_len: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistogramBin {
    pub from: u64,
    pub to: u64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetStats {
    pub conversations: u64,
    /// Pair records in the file, with a target or without.
    pub pairs: u64,
    /// What the file's header says it holds, when it has one.
    pub declared_pairs: Option<u64>,
    pub trainable_examples: u64,
    pub null_target_pairs: u64,
    pub turns_per_conversation_min: u64,
    pub turns_per_conversation_max: u64,
    pub turns_per_conversation_mean: f64,
    pub tokens: TokenStats,
    pub tokenizer: String,
    pub max_seq_len: u64,
    pub personas: BTreeMap<String, u64>,
    pub arcs: BTreeMap<String, u64>,
    pub topics: BTreeMap<String, u64>,
    pub histogram: Vec<HistogramBin>,
}

/// Token counts under way for a batch of texts.
pub(crate) struct Prefetch {
    keys: Vec<(u64, usize)>,
    queued: HashSet<(u64, usize)>,
    counts: Option<PendingCounts>,
}

pub(crate) struct StatsBuilder {
    lengths: Vec<u64>,
    assistant: u64,
    trained: u64,
    over: u64,
    max_seq_len: u64,
    conversation_turns: HashMap<String, u64>,
    anonymous_conversations: u64,
    personas: BTreeMap<String, u64>,
    arcs: BTreeMap<String, u64>,
    topics: BTreeMap<String, u64>,
    pub pairs: u64,
    pub null_targets: u64,
    /// Token counts by (hash, length) of the text. BrightRun pairs repeat the
    /// system prompt and the whole history on every line, so most texts are
    /// counted many times; tokenizing each distinct text once is the main
    /// saving on large files.
    token_cache: HashMap<(u64, usize), u32>,
}

impl StatsBuilder {
    pub fn new(max_seq_len: u64) -> Self {
        Self {
            lengths: Vec::new(),
            assistant: 0,
            trained: 0,
            over: 0,
            max_seq_len,
            conversation_turns: HashMap::new(),
            anonymous_conversations: 0,
            personas: BTreeMap::new(),
            arcs: BTreeMap::new(),
            topics: BTreeMap::new(),
            pairs: 0,
            null_targets: 0,
            token_cache: HashMap::new(),
        }
    }

    /// Starts counting every long text of these examples not yet in the
    /// cache; `settle` puts the counts there, after which `add` finds them.
    /// Texts `earlier` (a prefetch not yet settled) is counting are skipped.
    pub fn prefetch<'e>(
        &self,
        examples: impl Iterator<Item = &'e TrainingExample>,
        counter: &dyn TokenCounter,
        earlier: Option<&Prefetch>,
    ) -> Prefetch {
        let mut keys = Vec::new();
        let mut texts = Vec::new();
        let mut queued = HashSet::new();
        for m in examples.flat_map(|ex| &ex.messages) {
            if m.content.len() < CACHE_MIN_BYTES {
                continue;
            }
            let key = cache_key(&m.content);
            if !self.token_cache.contains_key(&key)
                && !earlier.is_some_and(|e| e.queued.contains(&key))
                && queued.insert(key)
            {
                keys.push(key);
                texts.push(m.content.as_str());
            }
        }
        let counts = (!texts.is_empty()).then(|| counter.start_many(&texts));
        Prefetch {
            keys,
            queued,
            counts,
        }
    }

    /// Waits for a prefetch and caches its counts.
    pub fn settle(&mut self, prefetch: Prefetch) {
        let Some(counts) = prefetch.counts else {
            return;
        };
        if self.token_cache.len() + prefetch.keys.len() > CACHE_MAX_ENTRIES {
            self.token_cache.clear();
        }
        for (key, n) in prefetch.keys.into_iter().zip(counts()) {
            self.token_cache
                .insert(key, n.min(u32::MAX as usize) as u32);
        }
    }

    fn count(&mut self, text: &str, counter: &dyn TokenCounter) -> u64 {
        if text.len() < CACHE_MIN_BYTES {
            return counter.count(text) as u64;
        }
        let key = cache_key(text);
        if let Some(n) = self.token_cache.get(&key) {
            return u64::from(*n);
        }
        if self.token_cache.len() >= CACHE_MAX_ENTRIES {
            self.token_cache.clear();
        }
        let n = counter.count(text);
        self.token_cache
            .insert(key, n.min(u32::MAX as usize) as u32);
        n as u64
    }

    /// Adds one example; returns its token count.
    pub fn add(&mut self, ex: &TrainingExample, counter: &dyn TokenCounter) -> u64 {
        let mut total = 0u64;
        for m in &ex.messages {
            let n = self.count(&m.content, counter);
            total += n;
            if m.role == Role::Assistant {
                self.assistant += n;
            }
            if m.learned() {
                self.trained += n;
            }
        }
        self.lengths.push(total);
        if total > self.max_seq_len {
            self.over += 1;
        }
        match &ex.conversation_id {
            Some(id) => {
                let turns = self.conversation_turns.entry(id.clone()).or_default();
                *turns = (*turns).max(ex.turns() as u64);
            }
            None => {
                self.anonymous_conversations += 1;
                self.conversation_turns.insert(
                    format!("\u{0}{}", self.anonymous_conversations),
                    ex.turns() as u64,
                );
            }
        }
        for (map, value) in [
            (&mut self.personas, &ex.persona),
            (&mut self.arcs, &ex.arc),
            (&mut self.topics, &ex.topic),
        ] {
            if let Some(v) = value {
                *map.entry(v.clone()).or_default() += 1;
            }
        }
        total
    }

    pub fn trainable(&self) -> usize {
        self.lengths.len()
    }

    /// A conversation known to exist even if none of its pairs is trainable.
    pub fn note_conversation(&mut self, id: &str) {
        self.conversation_turns.entry(id.to_string()).or_default();
    }

    pub fn finish(mut self, tokenizer: String, declared_pairs: Option<u64>) -> DatasetStats {
        self.lengths.sort_unstable();
        let n = self.lengths.len();
        let total: u64 = self.lengths.iter().sum();
        let tokens = if n == 0 {
            TokenStats::default()
        } else {
            let median = if n % 2 == 1 {
                self.lengths[n / 2] as f64
            } else {
                (self.lengths[n / 2 - 1] + self.lengths[n / 2]) as f64 / 2.0
            };
            // Nearest-rank percentile.
            let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
            TokenStats {
                total,
                assistant: self.assistant,
                trained: self.trained,
                min: self.lengths[0],
                max: self.lengths[n - 1],
                mean: round2(total as f64 / n as f64),
                median,
                p95: self.lengths[rank - 1],
                over_max_len: self.over,
            }
        };
        let turns: Vec<u64> = self.conversation_turns.values().copied().collect();
        DatasetStats {
            conversations: turns.len() as u64,
            pairs: self.pairs,
            declared_pairs,
            trainable_examples: n as u64,
            null_target_pairs: self.null_targets,
            turns_per_conversation_min: turns.iter().copied().min().unwrap_or(0),
            turns_per_conversation_max: turns.iter().copied().max().unwrap_or(0),
            turns_per_conversation_mean: if turns.is_empty() {
                0.0
            } else {
                round2(turns.iter().sum::<u64>() as f64 / turns.len() as f64)
            },
            histogram: histogram(&self.lengths),
            tokens,
            tokenizer,
            max_seq_len: self.max_seq_len,
            personas: self.personas,
            arcs: self.arcs,
            topics: self.topics,
        }
    }
}

fn cache_key(text: &str) -> (u64, usize) {
    (hash64(text), text.len())
}

/// A fast, fixed 64-bit hash (the same in every run and in the browser).
pub(crate) fn hash64<T: Hash + ?Sized>(value: &T) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6272_6967_6874).hash_one(value)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Up to 20 equal-width bins over the sorted lengths, on round boundaries.
fn histogram(sorted: &[u64]) -> Vec<HistogramBin> {
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let span = (hi - lo).max(1);
    let raw = span.div_ceil(20);
    let magnitude = 10u64.pow((raw as f64).log10().floor().max(0.0) as u32);
    let width = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|w| *w >= raw)
        .unwrap_or(raw);
    let start = lo / width * width;
    let bins = ((hi - start) / width + 1) as usize;
    let mut out: Vec<HistogramBin> = (0..bins)
        .map(|i| HistogramBin {
            from: start + i as u64 * width,
            to: start + (i as u64 + 1) * width,
            count: 0,
        })
        .collect();
    for &len in sorted {
        out[((len - start) / width) as usize].count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::conversation::Message;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);
    impl TokenCounter for Counting {
        fn name(&self) -> String {
            "words".into()
        }
        fn count(&self, text: &str) -> usize {
            self.0.fetch_add(1, Ordering::Relaxed);
            text.split_whitespace().count()
        }
    }

    #[test]
    fn repeated_long_texts_are_tokenized_once_with_the_same_result() {
        let system = "You are a kind and careful financial planner who listens first. ".repeat(3);
        let ex = |target: &str| TrainingExample {
            messages: vec![
                Message::new(Role::System, system.clone()),
                Message::new(Role::User, "hi"),
                Message::new(Role::Assistant, target),
            ],
            ..TrainingExample::default()
        };
        let counter = Counting(AtomicUsize::new(0));
        let mut b = StatsBuilder::new(10_000);
        let first = b.add(&ex("hello there"), &counter);
        let second = b.add(&ex("hello again friend"), &counter);
        assert_eq!(first, 33 + 1 + 2);
        assert_eq!(second, 33 + 1 + 3);
        // The system prompt was counted once; the short texts every time.
        assert_eq!(counter.0.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn histogram_covers_every_length_once() {
        let lengths: Vec<u64> = (0..100).map(|i| 100 + i * 7).collect();
        let bins = histogram(&lengths);
        assert!(bins.len() <= 21);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 100);
        assert!(bins[0].from <= 100 && bins.last().unwrap().to > 793);
        assert!(histogram(&[]).is_empty());
        assert_eq!(histogram(&[5, 5]).iter().map(|b| b.count).sum::<u64>(), 2);
    }
}
