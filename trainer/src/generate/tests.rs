use super::*;
use crate::model::tiny;
use brightrun::datasets::{Message, Role};
use candle_core::{DType, Device, Tensor};

fn adapted() -> Llama {
    tiny::with_every_adapter(0, &Device::Cpu, DType::F32, 0.0, 1, 2)
        .unwrap()
        .0
}

/// Greedy with a repetition penalty: a random model's plain greedy answer
/// is one token over and over, which would test little.
const PENALTY: f32 = 5.0;

fn greedy(max_tokens: usize, adapter: bool) -> Settings {
    Settings {
        sampling: Sampling {
            repetition_penalty: PENALTY,
            ..Sampling::GREEDY
        },
        max_tokens,
        adapter,
    }
}

fn run(model: &Llama, prompt: &[u32], settings: Settings) -> Vec<u32> {
    generate_ids(model, prompt, &[], settings, &mut |_| true)
        .unwrap()
        .0
}

/// Greedy decoding (with the penalty) the slow way: the whole sequence
/// through the training forward pass for every token.
fn recomputed(model: &Llama, prompt: &[u32], n: usize) -> Vec<u32> {
    let mut ids = prompt.to_vec();
    for _ in 0..n {
        let t = Tensor::from_slice(&ids, (1, ids.len()), &Device::Cpu).unwrap();
        let logits = model.forward(&t).unwrap();
        let mut last: Vec<f32> = logits
            .narrow(1, ids.len() - 1, 1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        sampling::penalize(&mut last, &ids, PENALTY);
        ids.push(sampling::argmax(&last));
    }
    ids.split_off(prompt.len())
}

fn prompt() -> Vec<u32> {
    tiny::tokenizer()
        .encode_fast("I am worried about my savings.", false)
        .unwrap()
        .get_ids()
        .to_vec()
}

#[test]
fn greedy_with_the_cache_equals_recomputing_every_step() {
    let model = adapted();
    let cached = run(&model, &prompt(), greedy(24, true));
    assert_eq!(cached.len(), 24);
    let mut distinct = cached.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 3, "a varied answer tests more: {cached:?}");
    assert_eq!(cached, recomputed(&model, &prompt(), 24));
    // The generic (any-device) ops give the same tokens.
    let mut generic = adapted();
    generic.set_fused(false);
    assert_eq!(run(&generic, &prompt(), greedy(24, true)), cached);
}

#[test]
fn a_prompt_run_at_once_or_token_by_token_gives_the_same_logits() {
    let model = adapted();
    let p = prompt();
    let mut whole = DecodeCache::new(&model);
    let at_once = model.decode(&p, &mut whole, true).unwrap();
    let mut stepwise = DecodeCache::new(&model);
    let (head, tail) = p.split_at(5);
    model.decode(head, &mut stepwise, true).unwrap();
    let mut last = vec![];
    for &id in tail {
        last = model.decode(&[id], &mut stepwise, true).unwrap();
    }
    assert_eq!(whole.len(), p.len());
    assert_eq!(stepwise.len(), p.len());
    let diff = at_once
        .iter()
        .zip(&last)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-4, "max difference {diff}");
}

#[test]
fn the_adapter_changes_the_answer_and_off_it_is_the_base_model() {
    let model = adapted();
    let with = run(&model, &prompt(), greedy(16, true));
    let without = run(&model, &prompt(), greedy(16, false));
    assert_ne!(with, without);
    let base = tiny::model_in(0, &Device::Cpu, DType::F32).unwrap();
    assert_eq!(without, run(&base, &prompt(), greedy(16, true)));
    assert_eq!(without, recomputed(&base, &prompt(), 16));
}

#[test]
fn seeded_sampling_repeats_and_another_seed_differs() {
    let model = adapted();
    let sampled = |seed| {
        let sampling = Sampling {
            temperature: 1.0,
            top_p: 0.95,
            top_k: 50,
            repetition_penalty: 1.1,
            seed,
        };
        let settings = Settings {
            sampling,
            max_tokens: 20,
            adapter: true,
        };
        run(&model, &prompt(), settings)
    };
    assert_eq!(sampled(11), sampled(11));
    assert_ne!(sampled(11), sampled(12));
}

#[test]
fn stop_tokens_end_the_answer_and_max_tokens_is_a_length_finish() {
    let model = adapted();
    let free = run(&model, &prompt(), greedy(10, true));
    let (cut, finish) = generate_ids(&model, &prompt(), &[free[3]], greedy(10, true), &mut |_| {
        true
    })
    .unwrap();
    let first = free.iter().position(|&t| t == free[3]).unwrap();
    assert_eq!(cut, free[..first]);
    assert_eq!(finish, FinishReason::Stop);
    let (_, finish) =
        generate_ids(&model, &prompt(), &[], greedy(10, true), &mut |_| true).unwrap();
    assert_eq!(finish, FinishReason::Length);
    let mut seen = 0;
    let stopped = generate_ids(&model, &prompt(), &[], greedy(10, true), &mut |_| {
        seen += 1;
        seen < 3
    });
    assert!(matches!(stopped, Err(TrainerError::Cancelled)));
    assert_eq!(seen, 3);
}

#[test]
fn a_prompt_longer_than_the_context_is_refused_with_its_length() {
    let model = adapted();
    let long = vec![65u32; model.context_len() + 10];
    let err = generate_ids(&model, &long, &[], greedy(4, true), &mut |_| true).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("2058 tokens") && msg.contains("at most 2048"),
        "{msg}"
    );
    // A prompt that fits leaves only the rest of the context to the answer.
    let nearly = vec![65u32; model.context_len() - 3];
    let (out, finish) =
        generate_ids(&model, &nearly, &[], greedy(50, true), &mut |_| true).unwrap();
    assert_eq!((out.len(), finish), (3, FinishReason::Length));
}

fn chat() -> ChatTokenizer {
    ChatTokenizer::new(tiny::tokenizer(), None, String::new(), "<|im_end|>".into()).unwrap()
}

fn request(max_tokens: u32, stop: Vec<String>) -> GenerationRequest {
    GenerationRequest {
        messages: vec![
            Message::new(Role::System, "You are kind."),
            Message::new(Role::User, "Should I pay off my card first?"),
        ],
        // Sampled: a random model's greedy answer can be one special token
        // over and over, which shows as no text at all.
        sampling: Sampling {
            temperature: 1.0,
            seed: 3,
            ..Sampling::default()
        },
        max_tokens,
        stop,
        adapter: true,
    }
}

#[test]
fn an_answer_streams_in_pieces_that_add_up_to_its_text() {
    let model = adapted();
    let chat = chat();
    let mut pieces = Vec::new();
    let a = answer(&model, &chat, &request(40, vec![]), &mut |p| {
        pieces.push(p.to_string());
        true
    })
    .unwrap();
    assert!(pieces.len() > 1, "{pieces:?}");
    assert_eq!(pieces.concat(), a.text);
    assert_eq!(a.completion_tokens, 40);
    assert_eq!(a.finish, FinishReason::Length);
    let prompt = chat.prompt_ids(&request(1, vec![]).messages).unwrap();
    assert_eq!(a.prompt_tokens, prompt.len());
    assert!(a.first_token.is_some());
    // ChatML's end of turn and the end of text both stop an answer.
    assert_eq!(chat.stop_ids(&[]), vec![258]);
    assert_eq!(chat.stop_ids(&[256]), vec![256, 258]);

    // A stop sequence taken from the answer ends it just before.
    let stop: String = a.text.chars().skip(5).take(3).collect();
    let cut = answer(&model, &chat, &request(40, vec![stop.clone()]), &mut |_| {
        true
    })
    .unwrap();
    assert_eq!(cut.finish, FinishReason::Stop);
    assert_eq!(cut.text, a.text[..a.text.find(&stop).unwrap()]);
}

#[test]
fn a_bad_setting_is_refused_naming_it() {
    let model = adapted();
    let mut r = request(10, vec![]);
    r.sampling.top_p = 1.5;
    let err = answer(&model, &chat(), &r, &mut |_| true).unwrap_err();
    assert!(err.to_string().contains("`top_p`"), "{err}");
}
