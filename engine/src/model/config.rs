use serde::{Deserialize, Serialize};

/// How a transformer knows where a token sits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Positions {
    /// A learned embedding per absolute position, added to the token's.
    #[default]
    Learned,
    /// Queries and keys rotated by their position ([`super::rotary`]): attention reads
    /// distances, so a step reads the same wherever it sits.
    Rotary,
}

impl Positions {
    fn is_learned(&self) -> bool {
        *self == Positions::Learned
    }
}

/// Shape of a transformer. The same architecture serves the generator, its larger sibling,
/// the revision model and the PRM body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub vocab_size: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub d_ff: usize,
    /// Longest sequence (positions) the model can attend over.
    pub max_len: usize,
    /// Manifests written before rotary positions existed have no such field: learned.
    #[serde(default, skip_serializing_if = "Positions::is_learned")]
    pub positions: Positions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelConfigError {
    #[error("model config field {field} must be between {min} and {max}, got {value}")]
    OutOfRange { field: &'static str, value: usize, min: usize, max: usize },
    #[error("d_model {d_model} is not divisible by n_heads {n_heads}")]
    HeadsDoNotDivide { d_model: usize, n_heads: usize },
    #[error("rotary positions need an even head dimension, got {head_dim} (d_model / n_heads)")]
    OddRotaryHead { head_dim: usize },
}

impl ModelConfig {
    /// The small generator meant for the browser (~0.19M parameters), with rotary positions.
    pub fn small(vocab_size: usize) -> Self {
        ModelConfig { vocab_size, d_model: 72, n_layers: 3, n_heads: 4, d_ff: 288, max_len: 256, positions: Positions::Rotary }
    }
    /// The PRM body: the small generator's shape.
    pub fn prm(vocab_size: usize) -> Self {
        Self::small(vocab_size)
    }
    /// The revision model: the generator itself (rotary positions have no table to outgrow),
    /// with room for four earlier attempts.
    pub fn revision(vocab_size: usize) -> Self {
        ModelConfig { max_len: 768, ..Self::small(vocab_size) }
    }
    /// The larger sibling, about 14× the small generator's parameters.
    pub fn large(vocab_size: usize) -> Self {
        ModelConfig { vocab_size, d_model: 192, n_layers: 6, n_heads: 8, d_ff: 768, max_len: 256, positions: Positions::Rotary }
    }

    pub fn validate(&self) -> Result<(), ModelConfigError> {
        let check = |field, value: usize, min, max| {
            if value < min || value > max {
                Err(ModelConfigError::OutOfRange { field, value, min, max })
            } else {
                Ok(())
            }
        };
        check("vocab_size", self.vocab_size, 5, 4096)?;
        check("d_model", self.d_model, 4, 4096)?;
        check("n_layers", self.n_layers, 1, 64)?;
        check("n_heads", self.n_heads, 1, 64)?;
        check("d_ff", self.d_ff, 1, 16384)?;
        check("max_len", self.max_len, 2, 8192)?;
        if !self.d_model.is_multiple_of(self.n_heads) {
            return Err(ModelConfigError::HeadsDoNotDivide { d_model: self.d_model, n_heads: self.n_heads });
        }
        if self.positions == Positions::Rotary && !self.head_dim().is_multiple_of(2) {
            return Err(ModelConfigError::OddRotaryHead { head_dim: self.head_dim() });
        }
        Ok(())
    }

    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }

    /// Parameters of the transformer body (embeddings, blocks, final norm).
    pub fn body_params(&self) -> usize {
        let d = self.d_model;
        let positions = match self.positions {
            Positions::Learned => self.max_len * d,
            Positions::Rotary => 0,
        };
        let embeddings = self.vocab_size * d + positions;
        let block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * self.d_ff + self.d_ff) + (self.d_ff * d + d);
        embeddings + self.n_layers * block + 2 * d
    }
    /// Parameters of the language model (body and output head).
    pub fn lm_params(&self) -> usize {
        self.body_params() + self.d_model * self.vocab_size + self.vocab_size
    }
    /// Parameters of the reward model (body, scalar head, language-model head and the
    /// likelihood's weight).
    pub fn prm_params(&self) -> usize {
        self.body_params() + self.d_model + 1 + self.d_model * self.vocab_size + self.vocab_size + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_is_about_fourteen_times_small() {
        let v = 22;
        let ratio = ModelConfig::large(v).lm_params() as f64 / ModelConfig::small(v).lm_params() as f64;
        assert!((13.0..=15.0).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn invalid_configs_are_refused() {
        let mut c = ModelConfig::small(22);
        assert!(c.validate().is_ok());
        c.n_heads = 5;
        assert!(matches!(c.validate(), Err(ModelConfigError::HeadsDoNotDivide { .. })));
        c.n_heads = 0;
        assert!(matches!(c.validate(), Err(ModelConfigError::OutOfRange { field: "n_heads", .. })));
        let odd = ModelConfig { d_model: 60, n_heads: 4, positions: Positions::Rotary, ..ModelConfig::small(22) };
        assert_eq!(odd.validate(), Err(ModelConfigError::OddRotaryHead { head_dim: 15 }));
    }

    /// Manifests without the field read as learned positions, and learned ones write no field.
    #[test]
    fn positions_default_to_learned_and_keep_old_manifests() {
        let c = ModelConfig { positions: Positions::Learned, ..ModelConfig::small(22) };
        let json = serde_json::to_value(&c).unwrap();
        assert!(json.get("positions").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<ModelConfig>(json).unwrap().positions, Positions::Learned);
        let rotary = ModelConfig { positions: Positions::Rotary, ..c };
        let json = serde_json::to_value(&rotary).unwrap();
        assert_eq!(json["positions"], "rotary");
        assert_eq!(rotary.body_params() + rotary.max_len * rotary.d_model, c.body_params());
    }
}
