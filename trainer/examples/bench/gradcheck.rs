//! LoRA gradients on a device against central differences of the loss,
//! every adapter of every layer of the tiny model, in f32: the check the
//! tests run on the CPU, for the GPU path.

use brightrun_trainer::model::llama::{IGNORE, TARGETS};
use brightrun_trainer::model::{LoraShape, tiny};
use brightrun_trainer::rng::TrainRng;
use candle_core::{DType, Device, Tensor};

pub fn run(dev: &Device) {
    let mut model = tiny::model_in(7, dev, DType::F32).unwrap();
    let targets: Vec<String> = TARGETS.iter().map(|s| s.to_string()).collect();
    let shape = LoraShape {
        r: 4,
        alpha: 8.0,
        dropout: 0.0,
    };
    let vars = model
        .add_lora(&targets, shape, &mut TrainRng::new(1))
        .unwrap();
    let mut rng = TrainRng::new(2);
    for (name, v) in &vars {
        if name.ends_with("lora_B.weight") {
            let t = Tensor::from_vec(rng.normal(v.elem_count(), 0.05), v.shape(), dev).unwrap();
            v.set(&t).unwrap();
        }
    }
    let ids: Vec<u32> = (0..24u32).map(|i| (i * 37) % 250).collect();
    let ids = Tensor::from_vec(ids, (2, 12), dev).unwrap();
    let labels: Vec<i64> = (0..24)
        .map(|i| {
            if i % 12 < 4 || i % 12 == 11 {
                IGNORE
            } else {
                ((i * 37 + 37) % 250) as i64
            }
        })
        .collect();
    let loss = |m: &brightrun_trainer::model::Llama| -> f64 {
        let (l, _) = m.loss(&ids, &labels, None).unwrap();
        l.to_device(&Device::Cpu)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64
    };
    let (l, _) = model.loss(&ids, &labels, None).unwrap();
    let grads = l.backward().unwrap();
    let (mut checked, mut worst) = (0, 0f64);
    for (name, v) in &vars {
        let g: Vec<f32> = grads
            .get(v.as_tensor())
            .expect("a gradient")
            .to_device(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let (i, &gi) = g
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        let base: Vec<f32> = v
            .as_tensor()
            .to_device(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let at = |delta: f32| {
            let mut w = base.clone();
            w[i] += delta;
            v.set(&Tensor::from_vec(w, v.shape(), dev).unwrap())
                .unwrap();
            loss(&model)
        };
        let eps = 1e-2f32;
        let fd = (at(eps) - at(-eps)) / (2.0 * eps as f64);
        v.set(&Tensor::from_vec(base, v.shape(), dev).unwrap())
            .unwrap();
        let err = (fd - gi as f64).abs();
        let rel = err / (gi.abs() as f64).max(1e-12);
        if !(err < 0.05 * gi.abs() as f64 || err < 1e-4) {
            eprintln!("{name}[{i}]: backprop {gi}, finite difference {fd}");
            std::process::exit(1);
        }
        worst = worst.max(if err < 1e-4 { 0.0 } else { rel });
        checked += 1;
    }
    println!(
        "{}",
        serde_json::json!({"checked": checked, "worst_relative_error": worst, "device": format!("{dev:?}")})
    );
}
