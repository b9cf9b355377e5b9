//! Answers from trained models, for the playground and the OpenAI-compatible
//! endpoint: one generation at a time (it uses every core), the others
//! waiting in order and told their place; loaded models kept, within a
//! memory budget, least recently used out first, so the next message does
//! not load the weights again.

use super::inputs::{self, Inputs};
use crate::chat::ChatTokenizer;
use crate::error::{Result, TrainerError};
use crate::model::{Llama, folder};
use brightrun::cluster::{DeviceRequest, GenerateEvent, GenerateSpec, GenerateUsage};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;

/// Loaded models are kept up to this many bytes of weights by default.
pub const DEFAULT_CACHE_BYTES: u64 = 8 << 30;

/// A spec this generator has admitted.
pub struct Admitted(GenerateSpec);

struct Loaded {
    model: Llama,
    chat: ChatTokenizer,
}

struct Cached {
    key: (String, Option<String>),
    loaded: Arc<Loaded>,
    bytes: u64,
    used: Instant,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<u64>,
    next: u64,
    busy: bool,
}

pub struct Generator {
    /// Fetched adapter files, a folder per adapter id.
    dir: PathBuf,
    inputs: Inputs,
    budget: u64,
    cache: Mutex<Vec<Cached>>,
    queue: Mutex<Queue>,
    turn: Condvar,
    /// Text pieces sent since start, all requests together.
    pieces: AtomicU64,
}

impl Generator {
    pub fn new(dir: PathBuf, inputs: Inputs, budget: u64) -> Self {
        Self {
            dir,
            inputs,
            budget,
            cache: Mutex::new(Vec::new()),
            queue: Mutex::new(Queue::default()),
            turn: Condvar::new(),
            pieces: AtomicU64::new(0),
        }
    }

    /// `spec` as this generator runs it (see [`inputs::admit_generate`]),
    /// or the field it may not ask for.
    pub fn admit(
        &self,
        spec: GenerateSpec,
    ) -> std::result::Result<Admitted, brightrun::cluster::SpecError> {
        inputs::admit_generate(spec, &self.inputs).map(Admitted)
    }

    /// Starts answering `spec` on a blocking thread; its events arrive on
    /// the receiver, and dropping the receiver stops it. Needs a tokio runtime.
    pub fn spawn(
        self: &Arc<Self>,
        spec: GenerateSpec,
    ) -> std::result::Result<
        tokio::sync::mpsc::Receiver<GenerateEvent>,
        brightrun::cluster::SpecError,
    > {
        let admitted = self.admit(spec)?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.run(admitted, &tx));
        Ok(rx)
    }

    /// Answers `spec`, sending its events to `events` until the answer ends
    /// or the receiver goes away (the page closed), which stops it. Blocks:
    /// call it from a blocking thread.
    pub fn run(&self, spec: Admitted, events: &Sender<GenerateEvent>) {
        let started = Instant::now();
        let send = |e: GenerateEvent| events.blocking_send(e).is_ok();
        let Some(_turn) = self.wait_turn(events) else {
            return;
        };
        match self.answer(spec.0, started, &send) {
            Ok(usage) => {
                send(GenerateEvent::Done(usage));
            }
            Err(TrainerError::Cancelled) => {}
            Err(e) => {
                let invalid_request =
                    matches!(e, TrainerError::Request(_) | TrainerError::Spec { .. });
                send(GenerateEvent::Error {
                    message: e.to_string(),
                    invalid_request,
                });
            }
        }
    }

    fn answer(
        &self,
        spec: GenerateSpec,
        started: Instant,
        send: &dyn Fn(GenerateEvent) -> bool,
    ) -> Result<GenerateUsage> {
        // The answer's own clock starts after the wait and the load.
        let queued = started.elapsed();
        let loaded = self.loaded(&spec, send)?;
        let answer =
            crate::generate::answer(&loaded.model, &loaded.chat, &spec.request, &mut |t| {
                self.pieces.fetch_add(1, Ordering::Relaxed);
                send(GenerateEvent::Text { text: t.into() })
            })?;
        Ok(GenerateUsage {
            prompt_tokens: answer.prompt_tokens as u32,
            completion_tokens: answer.completion_tokens as u32,
            finish_reason: answer.finish,
            first_token_ms: answer.first_token.map_or(0, |d| d.as_millis() as u64)
                + queued.as_millis() as u64,
            total_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The model for `spec`, from the cache or loaded (and cached).
    fn loaded(
        &self,
        spec: &GenerateSpec,
        send: &dyn Fn(GenerateEvent) -> bool,
    ) -> Result<Arc<Loaded>> {
        let key = (spec.base_model.clone(), spec.adapter_id.clone());
        {
            let mut cache = self.cache.lock().expect("cache lock");
            if let Some(c) = cache.iter_mut().find(|c| c.key == key) {
                c.used = Instant::now();
                return Ok(c.loaded.clone());
            }
        }
        if !send(GenerateEvent::Loading) {
            return Err(TrainerError::Cancelled);
        }
        let placed = crate::device::resolve(DeviceRequest::Auto, None, crate::device::detected())?;
        let base = folder::load(
            &spec.base_model,
            &placed.device,
            crate::train::candle_dtype(placed.dtype),
        )?;
        let mut model = base.model;
        if let (Some(adapter), Some(id)) = (&spec.adapter, &spec.adapter_id) {
            let files = crate::train::fetch_adapter(
                adapter,
                "the adapter",
                &self.dir.join(id),
                &mut |m| tracing::info!("{m}"),
            )?;
            crate::adapter::apply_files(
                &mut model,
                std::path::Path::new(&files.config),
                std::path::Path::new(&files.weights),
            )?;
        }
        let bytes = model
            .base_weights()
            .iter()
            .map(|(_, t)| (t.elem_count() * t.dtype().size_in_bytes()) as u64)
            .sum();
        let loaded = Arc::new(Loaded {
            model,
            chat: base.chat,
        });
        self.keep(key, loaded.clone(), bytes);
        Ok(loaded)
    }

    /// Caches a loaded model, dropping the least recently used ones until
    /// the cached weights fit the budget (the newest is always kept).
    fn keep(&self, key: (String, Option<String>), loaded: Arc<Loaded>, bytes: u64) {
        let mut cache = self.cache.lock().expect("cache lock");
        cache.sort_by_key(|c| std::cmp::Reverse(c.used));
        let mut total = bytes;
        cache.retain(|c| {
            total += c.bytes;
            total <= self.budget
        });
        cache.push(Cached {
            key,
            loaded,
            bytes,
            used: Instant::now(),
        });
    }

    /// Text pieces sent since start, all requests together.
    pub fn pieces_sent(&self) -> u64 {
        self.pieces.load(Ordering::Relaxed)
    }

    /// Whether no generation is running now.
    pub fn is_idle(&self) -> bool {
        !self.queue.lock().expect("queue lock").busy
    }

    /// How many models are cached, for tests and health.
    pub fn cached(&self) -> usize {
        self.cache.lock().expect("cache lock").len()
    }

    /// Waits for this request's turn, telling the caller its place as it
    /// changes; None when the caller went away while waiting.
    fn wait_turn(&self, events: &Sender<GenerateEvent>) -> Option<Turn<'_>> {
        let mut q = self.queue.lock().expect("queue lock");
        let ticket = q.next;
        q.next += 1;
        q.waiting.push_back(ticket);
        let mut told = None;
        loop {
            let position =
                q.waiting.iter().position(|&t| t == ticket).unwrap_or(0) + usize::from(q.busy);
            if position == 0 {
                q.waiting.pop_front();
                q.busy = true;
                return Some(Turn(self));
            }
            if told != Some(position) {
                told = Some(position);
                if events
                    .try_send(GenerateEvent::Queued { position })
                    .is_err_and(|e| matches!(e, tokio::sync::mpsc::error::TrySendError::Closed(_)))
                {
                    break;
                }
            }
            if events.is_closed() {
                break;
            }
            q = self
                .turn
                .wait_timeout(q, Duration::from_millis(250))
                .expect("queue lock")
                .0;
        }
        q.waiting.retain(|&t| t != ticket);
        drop(q);
        self.turn.notify_all();
        None
    }
}

/// The one generation running; ends it when dropped, even by a panic.
struct Turn<'a>(&'a Generator);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut q = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.busy = false;
        drop(q);
        self.0.turn.notify_all();
    }
}

#[cfg(test)]
mod tests;
