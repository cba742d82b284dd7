//! A multi-layer perceptron with LeakyReLU activations.

use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// Negative slope of the LeakyReLU activations (PyTorch's default).
pub const LEAKY_SLOPE: f64 = 0.01;

/// Linear layers `input → hidden[0] → … → output` with LeakyReLU between them (none after the last).
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// Builds the layers under `vb` as `l0`, `l1`, ….
    ///
    /// # Errors
    /// Variable creation errors from candle.
    pub fn new(
        input: usize,
        hidden: &[usize],
        output: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let sizes: Vec<usize> = std::iter::once(input)
            .chain(hidden.iter().copied())
            .chain([output])
            .collect();
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| linear(w[0], w[1], vb.pp(format!("l{i}"))))
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { layers })
    }

    /// The linear layers, input first.
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// The same network with weights detached from autograd (for sampling without a graph).
    pub fn detached(&self) -> Self {
        let layers = self
            .layers
            .iter()
            .map(|l| Linear::new(l.weight().detach(), l.bias().map(Tensor::detach)))
            .collect();
        Self { layers }
    }
}

impl Module for Mlp {
    /// `(B, input)` → `(B, output)`.
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let last = self.layers.len() - 1;
        let mut h = xs.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i < last {
                h = candle_nn::ops::leaky_relu(&h, LEAKY_SLOPE)?;
            }
        }
        Ok(h)
    }
}
