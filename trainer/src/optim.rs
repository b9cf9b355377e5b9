//! AdamW (decoupled weight decay, bias-corrected), with its state kept in
//! plain tensors so a checkpoint can save and restore it exactly.

use candle_core::{Tensor, Var, backprop::GradStore};

pub struct AdamW {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Optimizer steps taken.
    pub t: u64,
    pub m: Vec<Tensor>,
    pub v: Vec<Tensor>,
}

impl AdamW {
    pub fn new(vars: &[Var], weight_decay: f64) -> candle_core::Result<Self> {
        let zeros = |v: &Var| v.as_tensor().zeros_like();
        Ok(Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            t: 0,
            m: vars.iter().map(zeros).collect::<candle_core::Result<_>>()?,
            v: vars.iter().map(zeros).collect::<candle_core::Result<_>>()?,
        })
    }

    /// One update with the given (already averaged and clipped) gradients.
    pub fn step(&mut self, vars: &[Var], grads: &[Tensor], lr: f64) -> candle_core::Result<()> {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        for (i, (var, g)) in vars.iter().zip(grads).enumerate() {
            let m = ((&self.m[i] * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            let v = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m / bc1)? / ((&v / bc2)?.sqrt()? + self.eps)?)?;
            let w = var.as_tensor();
            let decayed = (w * (1.0 - lr * self.weight_decay))?;
            var.set(&(decayed - (update * lr)?)?)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }
}

/// The gradients of `vars` (zeros where a var got none).
pub fn collect(grads: &GradStore, vars: &[Var]) -> candle_core::Result<Vec<Tensor>> {
    vars.iter()
        .map(|v| match grads.get(v.as_tensor()) {
            Some(g) => Ok(g.clone()),
            None => v.as_tensor().zeros_like(),
        })
        .collect()
}

/// Global L2 norm of the gradients.
pub fn global_norm(grads: &[Tensor]) -> candle_core::Result<f64> {
    let mut sum = 0f64;
    for g in grads {
        sum += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    Ok(sum.sqrt())
}
