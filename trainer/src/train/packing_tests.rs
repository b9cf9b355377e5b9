//! A packed batch trains exactly as the same examples one per row: each
//! example's loss, the batch's loss and the LoRA gradients agree (f32,
//! 1e-5), through the fused kernels, the generic ops and checkpointing.

use super::*;
use crate::chat::ChatTokenizer;
use crate::model::tiny;
use candle_core::{DType, Var};

const MAX_LEN: usize = 160;

/// EQ-12 examples of different lengths, cut to 96 tokens, so rows of 160
/// hold one long and one short example.
fn examples() -> Vec<Encoded> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/EQ-12-conversations-demo.jsonl"
    );
    let all = brightrun::datasets::training_examples(&std::fs::read(path).unwrap()).unwrap();
    let chat =
        ChatTokenizer::new(tiny::tokenizer(), None, String::new(), "<|im_end|>".into()).unwrap();
    let mut set: Vec<Encoded> = all
        .iter()
        .step_by(7)
        .take(6)
        .map(|e| chat.encode(e, 96).unwrap())
        .collect();
    // Shorter ones too: the same conversations cut harder.
    for (e, keep) in set.iter_mut().zip([96, 40, 70, 25, 96, 55]) {
        let cut = e.ids.len().saturating_sub(keep);
        e.ids.drain(..cut);
        e.target.drain(..cut);
    }
    assert!(set.iter().all(|e| e.target.iter().any(|t| *t)));
    set
}

/// The same examples with only example `j`'s targets learned.
fn learning_only(set: &[Encoded], j: usize) -> Vec<Encoded> {
    set.iter()
        .enumerate()
        .map(|(i, e)| Encoded {
            target: e.target.iter().map(|&t| t && i == j).collect(),
            ..e.clone()
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(1.0)
}

fn max_diff(a: &[Tensor], b: &[Tensor]) -> (f32, f32) {
    let (mut diff, mut scale) = (0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        let x: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let y: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
        for (p, q) in x.iter().zip(&y) {
            diff = diff.max((p - q).abs());
            scale = scale.max(p.abs());
        }
    }
    (diff, scale)
}

#[test]
fn a_packed_batch_gives_each_example_its_unpacked_loss_and_gradients() {
    let set = examples();
    let refs: Vec<&Encoded> = set.iter().collect();
    let dev = Device::Cpu;
    let (unpacked, real) = collate(&refs, None, &dev).unwrap();
    let (packed, packed_real) = collate(&refs, Some(MAX_LEN), &dev).unwrap();
    assert_eq!(real, packed_real);
    let rows = |b: &Batch| b.ids.dims2().unwrap().0;
    assert_eq!(rows(&unpacked), 6);
    assert!(rows(&packed) < 6, "packing saves rows");
    assert!(packed.labels.len() < unpacked.labels.len(), "and padding");
    let learned = |b: &Batch| b.labels.iter().filter(|&&l| l != IGNORE).count();
    assert_eq!(learned(&packed), learned(&unpacked));
    for fused in [true, false] {
        let (mut model, named) = tiny::with_every_adapter(3, &dev, DType::F32, 0.0, 4, 5).unwrap();
        model.set_fused(fused);
        let vars: Vec<Var> = named.iter().map(|(_, v)| v.clone()).collect();
        for checkpointing in [false, true] {
            let a = model
                .loss_and_grads(&unpacked, None, &vars, 1.0, checkpointing)
                .unwrap();
            let b = model
                .loss_and_grads(&packed, None, &vars, 1.0, checkpointing)
                .unwrap();
            assert!(
                close(a.loss, b.loss),
                "fused {fused}: {} vs {}",
                a.loss,
                b.loss
            );
            let (diff, scale) = max_diff(&a.grads, &b.grads);
            assert!(
                scale > 0.0 && diff <= 1e-5 * scale.max(1.0),
                "fused {fused}, checkpointing {checkpointing}: gradients differ by {diff} (largest {scale})"
            );
        }
        // Each example's own loss, packed beside the others, is its loss alone.
        for j in 0..set.len() {
            let only = learning_only(&set, j);
            let only_refs: Vec<&Encoded> = only.iter().collect();
            let (in_pack, _) = collate(&only_refs, Some(MAX_LEN), &dev).unwrap();
            let (alone, _) = collate(&[&set[j]], None, &dev).unwrap();
            let scalar = |b: &Batch| -> f64 {
                let (l, _) = model.batch_loss(b, None).unwrap();
                l.to_scalar::<f32>().unwrap() as f64
            };
            let (p, s) = (scalar(&in_pack), scalar(&alone));
            assert!(
                close(p, s),
                "fused {fused}, example {j}: packed {p}, alone {s}"
            );
        }
    }
}

/// A packed row never lets an example see the one before it: changing the
/// first example's tokens leaves the second's loss exactly as it was.
#[test]
fn an_example_never_attends_to_its_neighbour_in_the_row() {
    let mut set = examples();
    set.truncate(2);
    let dev = Device::Cpu;
    let (model, _) = tiny::with_every_adapter(3, &dev, DType::F32, 0.0, 4, 5).unwrap();
    let loss_of = |set: &[Encoded], j: usize| -> f32 {
        let masked = learning_only(set, j);
        let refs: Vec<&Encoded> = masked.iter().collect();
        let (b, _) = collate(&refs, Some(400), &dev).unwrap();
        assert_eq!(b.ids.dims2().unwrap().0, 1, "one row");
        model.batch_loss(&b, None).unwrap().0.to_scalar().unwrap()
    };
    // Whichever example comes first in the row, the other never sees it.
    for changed in [0, 1] {
        let other = 1 - changed;
        let before = loss_of(&set, other);
        let mut edited = set.clone();
        edited[changed]
            .ids
            .iter_mut()
            .for_each(|t| *t = (*t + 17) % 250);
        assert_eq!(
            loss_of(&edited, other),
            before,
            "changing example {changed}"
        );
    }
}
