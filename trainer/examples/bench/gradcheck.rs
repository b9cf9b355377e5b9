//! LoRA gradients on a device against central differences of the loss,
//! every adapter of every layer of the tiny model, in f32: the check the
//! tests run on the CPU (`model::gradcheck`), for the GPU path.

use brightrun_trainer::model::{gradcheck, tiny};
use candle_core::{DType, Device};

pub fn run(dev: &Device) {
    let (model, vars) = tiny::with_every_adapter(7, dev, DType::F32, 0.0, 1, 2).unwrap();
    let (ids, labels) = gradcheck::batch(dev).unwrap();
    let mut worst = 0f64;
    let all = gradcheck::compare(&model, &vars, &ids, &labels, 1e-2).unwrap();
    for c in &all {
        let err = (c.finite_difference - c.backprop).abs();
        // The tests' tolerance: within 5 %, or 1e-4 for small gradients.
        if !c.any_nonzero || !(err < 0.05 * c.backprop.abs() || err < 1e-4) {
            eprintln!(
                "{}[{}]: backprop {}, finite difference {}",
                c.name, c.index, c.backprop, c.finite_difference
            );
            std::process::exit(1);
        }
        if err >= 1e-4 {
            worst = worst.max(err / c.backprop.abs());
        }
    }
    println!(
        "{}",
        serde_json::json!({"checked": all.len(), "worst_relative_error": worst, "device": format!("{dev:?}")})
    );
}
