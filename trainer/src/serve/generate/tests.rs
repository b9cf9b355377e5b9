use super::*;
use crate::model::tiny;
use brightrun::cluster::{HyperParams, InitAdapter};
use brightrun::datasets::{Message, Role};
use brightrun::generation::{GenerationRequest, Sampling};
use candle_core::{DType, Device};
use tokio::sync::mpsc::Receiver;

/// A rank-4 adapter on every projection, written as PEFT writes it.
fn adapter(dir: &std::path::Path) -> InitAdapter {
    let (_, vars) = tiny::with_every_adapter(0, &Device::Cpu, DType::F32, 0.0, 1, 2).unwrap();
    let tensors: Vec<_> = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let h = HyperParams {
        lora_r: 4,
        lora_alpha: 8.0,
        target_modules: crate::model::llama::TARGETS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..HyperParams::default()
    };
    crate::adapter::write(dir, tiny::NAME, &h, &tensors).unwrap();
    InitAdapter {
        config: dir.join(crate::adapter::CONFIG_FILE).display().to_string(),
        weights: dir.join(crate::adapter::WEIGHTS_FILE).display().to_string(),
    }
}

fn spec(adapter: Option<(&InitAdapter, &str)>, use_adapter: bool, max_tokens: u32) -> GenerateSpec {
    GenerateSpec {
        base_model: tiny::NAME.into(),
        adapter: adapter.map(|a| a.0.clone()),
        adapter_id: adapter.map(|a| a.1.to_string()),
        request: GenerationRequest {
            messages: vec![Message::new(
                Role::User,
                "Can I afford a holiday this year?",
            )],
            sampling: Sampling {
                temperature: 1.0,
                seed: 9,
                ..Sampling::default()
            },
            max_tokens,
            stop: vec![],
            adapter: use_adapter,
        },
    }
}

async fn all(mut rx: Receiver<GenerateEvent>) -> Vec<GenerateEvent> {
    let mut out = Vec::new();
    while let Some(e) = rx.recv().await {
        out.push(e);
    }
    out
}

fn text(events: &[GenerateEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            GenerateEvent::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn generator(dir: &std::path::Path, budget: u64) -> Arc<Generator> {
    Arc::new(Generator::new(
        dir.join("generate"),
        Inputs::Trusted,
        budget,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_message_uses_the_cached_model_and_the_base_answers_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let a = adapter(&tmp.path().join("a"));
    let g = generator(tmp.path(), DEFAULT_CACHE_BYTES);
    let first = all(g.spawn(spec(Some((&a, "m1")), true, 30)).unwrap()).await;
    assert_eq!(first[0], GenerateEvent::Loading, "{first:?}");
    assert!(
        first
            .iter()
            .filter(|e| matches!(e, GenerateEvent::Text { .. }))
            .count()
            > 1
    );
    let Some(GenerateEvent::Done(usage)) = first.last() else {
        panic!("ends with done: {first:?}");
    };
    assert_eq!(usage.completion_tokens, 30);
    assert!(usage.prompt_tokens > 10);
    let second = all(g.spawn(spec(Some((&a, "m1")), true, 30)).unwrap()).await;
    assert!(!second.contains(&GenerateEvent::Loading), "{second:?}");
    assert_eq!(
        text(&second),
        text(&first),
        "the same seed, the same answer"
    );
    let base = all(g.spawn(spec(Some((&a, "m1")), false, 30)).unwrap()).await;
    assert!(!base.contains(&GenerateEvent::Loading));
    assert_ne!(text(&base), text(&first));
    assert_eq!(g.cached(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_model_leaves_a_full_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let a = adapter(&tmp.path().join("a"));
    let one_model = (tiny::config().parameter_count() * 4) as u64;
    let g = generator(tmp.path(), one_model * 3 / 2);
    all(g.spawn(spec(Some((&a, "m1")), true, 2)).unwrap()).await;
    all(g.spawn(spec(Some((&a, "m2")), true, 2)).unwrap()).await;
    assert_eq!(g.cached(), 1);
    // m1 was dropped: it loads again.
    let again = all(g.spawn(spec(Some((&a, "m1")), true, 2)).unwrap()).await;
    assert_eq!(again[0], GenerateEvent::Loading);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_requests_hear_their_place_and_leave_when_their_page_closes() {
    let tmp = tempfile::tempdir().unwrap();
    let g = generator(tmp.path(), DEFAULT_CACHE_BYTES);
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let busy = g.wait_turn(&tx).unwrap();
    let mut b = g.spawn(spec(None, false, 3)).unwrap();
    assert_eq!(b.recv().await, Some(GenerateEvent::Queued { position: 1 }));
    let mut c = g.spawn(spec(None, false, 3)).unwrap();
    assert_eq!(c.recv().await, Some(GenerateEvent::Queued { position: 2 }));
    drop(b);
    assert_eq!(c.recv().await, Some(GenerateEvent::Queued { position: 1 }));
    drop(busy);
    let rest = all(c).await;
    assert_eq!(rest[0], GenerateEvent::Loading);
    assert!(
        matches!(rest.last(), Some(GenerateEvent::Done(_))),
        "{rest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_page_stops_its_generation() {
    let tmp = tempfile::tempdir().unwrap();
    let g = generator(tmp.path(), DEFAULT_CACHE_BYTES);
    let mut rx = g.spawn(spec(None, false, 2000)).unwrap();
    while !matches!(rx.recv().await, Some(GenerateEvent::Text { .. })) {}
    drop(rx);
    let start = Instant::now();
    while !g.is_idle() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still generating"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        g.pieces_sent() < 100,
        "{} pieces after the page closed",
        g.pieces_sent()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_caller_names_no_local_path_and_a_bad_setting_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = adapter(&tmp.path().join("a"));
    let remote = Generator::new(
        tmp.path().join("generate"),
        Inputs::Remote {
            models_dir: tmp.path().join("models"),
        },
        DEFAULT_CACHE_BYTES,
    );
    let err = remote.admit(spec(Some((&a, "m1")), true, 5)).err().unwrap();
    assert_eq!(err.field, "adapter.config");
    let mut bad = spec(None, false, 5);
    bad.request.sampling.temperature = -1.0;
    let err = generator(tmp.path(), DEFAULT_CACHE_BYTES)
        .spawn(bad)
        .err()
        .unwrap();
    assert_eq!(err.field, "temperature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_longer_than_the_model_reads_is_an_error_of_the_request() {
    let tmp = tempfile::tempdir().unwrap();
    let g = generator(tmp.path(), DEFAULT_CACHE_BYTES);
    let mut long = spec(None, false, 5);
    long.request.messages[0].content = "money ".repeat(500);
    let events = all(g.spawn(long).unwrap()).await;
    let Some(GenerateEvent::Error {
        message,
        invalid_request,
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert!(invalid_request);
    assert!(message.contains("at most 2048"), "{message}");
}
