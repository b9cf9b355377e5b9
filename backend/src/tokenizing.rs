//! Real tokenizers for dataset statistics: the configured base model's
//! `tokenizer.json` (through `tokenizers`), otherwise OpenAI's cl100k_base.
//! cl100k is counted with `bpe-openai`, whose pre-tokenizer avoids
//! backtracking regexes and counts several times faster than `tiktoken-rs`;
//! a test checks the two agree token for token on the real fixtures.
//! Either way the statistics name the tokenizer. Batches of texts are
//! counted on every core (`BRIGHTRUN_TOKENIZER_THREADS`, read by the
//! configuration and passed to `set_threads`, to change it).

use bpe_openai::byte_pair_encoding::BytePairEncoding;
use brightrun::datasets::{PendingCounts, TokenCounter};
use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, mpsc};

/// cl100k_base's pre-tokenizer, as bpe-openai writes it: tiktoken's pattern
/// with the negative look-ahead `\s+(?!\S)` turned into a second pattern
/// whose last character is dropped from the match.
static CL100K_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new_many(&[
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+$",
        "\\s+\\s",
        "\\s+",
    ])
    .expect("valid cl100k pattern")
});
/// Which of the patterns above ends in a look-ahead character.
const LOOKAHEAD: [bool; 3] = [false, true, false];

/// Pieces up to this long have their counts remembered: words repeat so
/// often that a lookup saves most of the byte-pair work.
const PIECE_CACHE_MAX_LEN: usize = 24;
/// The piece cache is emptied past this many entries, so memory stays bounded.
const PIECE_CACHE_MAX_ENTRIES: usize = 1 << 18;

type PieceCache = HashMap<Box<[u8]>, u32, foldhash::fast::FixedState>;

thread_local! {
    /// Each thread searches with its own regex cache: the regex's shared
    /// pool made two counting threads wait on each other.
    static SPLIT_CACHE: RefCell<Cache> = RefCell::new(CL100K_SPLIT.create_cache());
    static PIECE_CACHE: RefCell<PieceCache> = RefCell::new(PieceCache::default());
}

/// OpenAI's cl100k_base: bpe-openai's byte-pair encoding behind our own
/// pre-tokenizer loop (the same pattern; see `CL100K_SPLIT`).
pub struct Cl100k(&'static BytePairEncoding);

impl Cl100k {
    pub fn new() -> Self {
        Self(&bpe_openai::cl100k_base().bpe)
    }
}

impl Default for Cl100k {
    fn default() -> Self {
        Self::new()
    }
}

impl Cl100k {
    /// Tokens in one pre-tokenized piece.
    fn piece(&self, piece: &[u8]) -> usize {
        if piece.len() > PIECE_CACHE_MAX_LEN {
            return self.0.count(piece);
        }
        PIECE_CACHE.with_borrow_mut(|cache| {
            if let Some(n) = cache.get(piece) {
                return *n as usize;
            }
            if cache.len() >= PIECE_CACHE_MAX_ENTRIES {
                cache.clear();
            }
            let n = self.0.count(piece);
            cache.insert(piece.into(), n as u32);
            n
        })
    }
}

impl TokenCounter for Cl100k {
    fn name(&self) -> String {
        "cl100k_base".into()
    }

    fn count(&self, text: &str) -> usize {
        SPLIT_CACHE.with_borrow_mut(|cache| {
            let mut total = 0;
            let mut at = 0;
            while at < text.len() {
                let input = Input::new(&text[at..]).anchored(Anchored::Yes);
                let Some(m) = CL100K_SPLIT.search_with(cache, &input) else {
                    break;
                };
                let mut end = at + m.end();
                if LOOKAHEAD[m.pattern().as_usize()] {
                    end -= text[at..end].chars().next_back().map_or(0, char::len_utf8);
                }
                if end == at {
                    break;
                }
                total += self.piece(&text.as_bytes()[at..end]);
                at = end;
            }
            total
        })
    }

    fn count_many(&self, texts: &[&str]) -> Vec<usize> {
        count_in_parallel(texts, Arc::new(|t| Cl100k::new().count(t)))
    }

    fn start_many(&self, texts: &[&str]) -> PendingCounts {
        start_in_parallel(texts, Arc::new(|t| Cl100k::new().count(t)))
    }
}

pub struct HfTokenizer {
    tokenizer: Arc<tokenizers::Tokenizer>,
    name: String,
}

impl HfTokenizer {
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let tokenizer = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| format!("cannot load tokenizer {}: {e}", path.display()))?;
        let name = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| format!("{} tokenizer.json", n.to_string_lossy()))
            .unwrap_or_else(|| path.display().to_string());
        Ok(Self {
            tokenizer: Arc::new(tokenizer),
            name,
        })
    }
}

impl TokenCounter for HfTokenizer {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn count(&self, text: &str) -> usize {
        hf_count(&self.tokenizer, text)
    }

    fn count_many(&self, texts: &[&str]) -> Vec<usize> {
        let tokenizer = self.tokenizer.clone();
        count_in_parallel(texts, Arc::new(move |t| hf_count(&tokenizer, t)))
    }

    fn start_many(&self, texts: &[&str]) -> PendingCounts {
        let tokenizer = self.tokenizer.clone();
        start_in_parallel(texts, Arc::new(move |t| hf_count(&tokenizer, t)))
    }
}

fn hf_count(tokenizer: &tokenizers::Tokenizer, text: &str) -> usize {
    tokenizer
        .encode_fast(text, false)
        .map(|e| e.len())
        .unwrap_or_else(|_| text.len().div_ceil(4))
}

/// The configured tokenizer, or cl100k_base.
#[tracing::instrument(skip_all, fields(path = ?path))]
pub fn load(path: Option<&Path>) -> Result<Arc<dyn TokenCounter>, String> {
    match path {
        Some(p) => Ok(Arc::new(HfTokenizer::from_file(p)?)),
        None => Ok(Arc::new(Cl100k::new())),
    }
}

/// The configured counting threads (`DatasetsConfig::tokenizer_threads`),
/// set once at start, before the first batch starts the helpers.
static CONFIGURED_THREADS: OnceLock<usize> = OnceLock::new();

/// Sets the threads that count a batch (the first call wins; later ones,
/// and calls after the first batch, change nothing).
pub fn set_threads(threads: usize) {
    let _ = CONFIGURED_THREADS.set(threads.max(1));
}

/// Threads for counting a batch: the configured number, else one per core.
fn threads() -> usize {
    *CONFIGURED_THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Counts the texts in contiguous runs of about equal bytes, the first on
/// the calling thread and the others on the helpers; results keep the order.
fn count_in_parallel(texts: &[&str], count: CountFn) -> Vec<usize> {
    let threads = threads().min(texts.len());
    if threads <= 1 || bytes(texts) < MIN_PARALLEL_BYTES {
        return texts.iter().map(|t| count(t)).collect();
    }
    let runs = split_runs(texts, threads);
    let sent: Vec<_> = runs[1..]
        .iter()
        .enumerate()
        .map(|(i, run)| helpers()[i % helpers().len()].send(run, count.clone()))
        .collect();
    let mut out: Vec<usize> = runs[0].iter().map(|t| count(t)).collect();
    for batch in sent {
        out.extend(batch.wait());
    }
    out
}

/// Hands all the texts to the helpers and returns at once: the validator
/// parses its next batch on the calling thread meanwhile.
fn start_in_parallel(texts: &[&str], count: CountFn) -> PendingCounts {
    if threads() <= 1 || bytes(texts) < MIN_PARALLEL_BYTES {
        let counts = texts.iter().map(|t| count(t)).collect();
        return Box::new(move || counts);
    }
    let sent: Vec<_> = split_runs(texts, helpers().len())
        .into_iter()
        .enumerate()
        .map(|(i, run)| helpers()[i].send(run, count.clone()))
        .collect();
    Box::new(move || sent.into_iter().flat_map(Sent::wait).collect())
}

/// Below ~64 KiB handing work to another thread costs more than it saves.
const MIN_PARALLEL_BYTES: usize = 64 * 1024;

fn bytes(texts: &[&str]) -> usize {
    texts.iter().map(|t| t.len()).sum()
}

/// At most `n` contiguous runs of about the same number of bytes.
fn split_runs<'t, 's>(texts: &'t [&'s str], n: usize) -> Vec<&'t [&'s str]> {
    let share = bytes(texts).div_ceil(n.max(1));
    let mut runs = Vec::with_capacity(n);
    let (mut start, mut size) = (0, 0);
    for (i, t) in texts.iter().enumerate() {
        size += t.len();
        if size >= share && runs.len() + 1 < n {
            runs.push(&texts[start..=i]);
            (start, size) = (i + 1, 0);
        }
    }
    runs.push(&texts[start..]);
    runs
}

/// How a helper counts one text (the tokenizers share their state).
type CountFn = Arc<dyn Fn(&str) -> usize + Send + Sync>;

/// Texts end to end and where each ends.
struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    fn count_with(&self, count: &CountFn) -> Vec<usize> {
        let mut from = 0;
        self.ends
            .iter()
            .map(|&end| {
                let n = count(&self.text[from..end]);
                from = end;
                n
            })
            .collect()
    }
}

struct Job {
    batch: Arc<Batch>,
    count: CountFn,
    reply: mpsc::SyncSender<Vec<usize>>,
}

/// A batch handed to a helper.
struct Sent {
    batch: Arc<Batch>,
    count: CountFn,
    answer: Option<mpsc::Receiver<Vec<usize>>>,
}

impl Sent {
    /// The helper's counts; should the helper be gone, counted here instead.
    fn wait(self) -> Vec<usize> {
        match self.answer.and_then(|a| a.recv().ok()) {
            Some(counts) => counts,
            None => self.batch.count_with(&self.count),
        }
    }
}

/// A long-lived counting thread: it keeps its regex and piece caches warm
/// between batches. (Threads made per batch started cold every time and
/// gained nothing; a rayon pool's idle threads spin, which on two cores
/// slowed the parsing thread more than the parallel counting gained.)
struct Helper(Mutex<mpsc::Sender<Job>>);

impl Helper {
    fn send(&self, run: &[&str], count: CountFn) -> Sent {
        let mut text = String::with_capacity(bytes(run));
        let ends = run
            .iter()
            .map(|t| {
                text.push_str(t);
                text.len()
            })
            .collect();
        let batch = Arc::new(Batch { text, ends });
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            batch: batch.clone(),
            count: count.clone(),
            reply,
        };
        let sent = self.0.lock().map(|s| s.send(job).is_ok()).unwrap_or(false);
        Sent {
            batch,
            count,
            answer: sent.then_some(answer),
        }
    }
}

/// `threads() - 1` helpers (at least one), started on first use.
fn helpers() -> &'static [Helper] {
    static HELPERS: LazyLock<Vec<Helper>> = LazyLock::new(|| {
        (1..threads().max(2))
            .map(|i| {
                let (tx, rx) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name(format!("tokenize-{i}"))
                    .spawn(move || {
                        for job in rx {
                            let _ = job.reply.send(job.batch.count_with(&job.count));
                        }
                    })
                    .expect("token counting thread");
                Helper(Mutex::new(tx))
            })
            .collect()
    });
    &HELPERS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cl100k_counts_like_tiktoken() {
        let t = Cl100k::new();
        // "hello world" is two tokens in cl100k_base.
        assert_eq!(t.count("hello world"), 2);
        assert_eq!(t.count(""), 0);
        assert!(t.name().contains("cl100k"));
    }

    #[test]
    fn counting_in_parallel_keeps_order_and_counts() {
        let t = Cl100k::new();
        let texts: Vec<String> = (0..400)
            .map(|i| format!("{} hello world", "money ".repeat(i % 97 + 40)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let serial: Vec<usize> = refs.iter().map(|x| t.count(x)).collect();
        assert!(refs.iter().map(|x| x.len()).sum::<usize>() > 64 * 1024);
        assert_eq!(t.count_many(&refs), serial);
        // Handed to the helper thread and collected later: the same counts.
        let pending = t.start_many(&refs);
        assert_eq!(pending(), serial);
        assert_eq!(t.count_many(&[]), Vec::<usize>::new());
        assert_eq!(t.start_many(&[])(), Vec::<usize>::new());
        assert_eq!(
            split_runs(&refs, 3).iter().map(|r| r.len()).sum::<usize>(),
            400
        );
    }
}
