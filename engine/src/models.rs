//! The set of models a run uses, loaded from shipped weights or randomly initialised.

use crate::model::weights::{self, Manifest, Role, WeightsError};
use crate::model::{LanguageModel, ModelConfig, RewardModel};
use crate::task::{ArithmeticChain, Task};
use burn::tensor::Device;

/// Where the weights came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSource {
    /// Trained weights described by a manifest.
    Trained(Manifest),
    /// Randomly initialised with this seed (no trained weights available).
    Random { seed: u64 },
}

pub struct Models {
    pub device: Device,
    pub generator: (LanguageModel, ModelConfig),
    pub prm: (RewardModel, ModelConfig),
    pub revision: (LanguageModel, ModelConfig),
    /// The larger verifier, loaded only when asked for ([`Models::load_large_verifier`]).
    pub prm_large: Option<(RewardModel, ModelConfig)>,
    pub source: ModelSource,
}

impl Models {
    /// Randomly initialised generator, PRM and revision model of the default shapes; the same
    /// weights on every device for one seed.
    pub fn random(device: &Device, seed: u64) -> Result<Self, WeightsError> {
        let vocab = ArithmeticChain.tokenizer().vocab_size();
        let g = Role::Generator.default_config(vocab);
        let p = Role::Prm.default_config(vocab);
        let r = Role::Revision.default_config(vocab);
        Ok(Models {
            device: device.clone(),
            generator: (weights::random_language_model(&g, seed, device)?, g),
            prm: (weights::random_reward_model(&p, seed.wrapping_add(1), device)?, p),
            revision: (weights::random_language_model(&r, seed.wrapping_add(2), device)?, r),
            prm_large: None,
            source: ModelSource::Random { seed },
        })
    }

    /// Loads generator, PRM and revision model named by `manifest`, reading each file with
    /// `read` (from disk natively, from the network or a cache in the browser).
    pub fn from_manifest(manifest: Manifest, mut read: impl FnMut(&str) -> Result<Vec<u8>, WeightsError>, device: &Device) -> Result<Self, WeightsError> {
        let alphabet = ArithmeticChain.tokenizer().alphabet();
        if manifest.alphabet != alphabet {
            return Err(WeightsError::Manifest {
                file: weights::MANIFEST_FILE.into(),
                detail: format!("alphabet {:?} does not match the task's {:?}", manifest.alphabet, alphabet),
            });
        }
        let vocab = ArithmeticChain.tokenizer().vocab_size();
        let lm = |role: Role, read: &mut dyn FnMut(&str) -> Result<Vec<u8>, WeightsError>| -> Result<(LanguageModel, ModelConfig), WeightsError> {
            let entry = manifest.entry(role)?;
            check_vocab(entry.config.vocab_size, vocab, &entry.file)?;
            Ok((weights::load_language_model(role, entry, read(&entry.file)?, device)?, entry.config.clone()))
        };
        let generator = lm(Role::Generator, &mut read)?;
        let revision = lm(Role::Revision, &mut read)?;
        let entry = manifest.entry(Role::Prm)?;
        check_vocab(entry.config.vocab_size, vocab, &entry.file)?;
        let prm = (weights::load_reward_model(entry, read(&entry.file)?, device)?, entry.config.clone());
        Ok(Models { device: device.clone(), generator, prm, revision, prm_large: None, source: ModelSource::Trained(manifest) })
    }

    /// Loads the larger verifier named by the manifest these models came from, reading its
    /// files with `read`: the large model's weights (its body) and its own head. Randomly
    /// initialised models get a random one of the same shape.
    pub fn load_large_verifier(&mut self, mut read: impl FnMut(&str) -> Result<Vec<u8>, WeightsError>) -> Result<(), WeightsError> {
        if self.prm_large.is_some() {
            return Ok(());
        }
        let model = match &self.source {
            ModelSource::Random { seed } => {
                let c = Role::PrmLarge.default_config(ArithmeticChain.tokenizer().vocab_size());
                (weights::random_reward_model(&c, seed.wrapping_add(3), &self.device)?, c)
            }
            ModelSource::Trained(manifest) => {
                let entry = manifest.entry(Role::PrmLarge)?;
                check_vocab(entry.config.vocab_size, ArithmeticChain.tokenizer().vocab_size(), &entry.file)?;
                let model = match entry.body {
                    Some(body_role) => {
                        let body_entry = manifest.entry(body_role)?;
                        let body = weights::load_language_model(body_role, body_entry, read(&body_entry.file)?, &self.device)?;
                        weights::load_reward_model_on(entry, read(&entry.file)?, body, &self.device)?
                    }
                    None => weights::load_reward_model(entry, read(&entry.file)?, &self.device)?,
                };
                (model, entry.config.clone())
            }
        };
        self.prm_large = Some(model);
        Ok(())
    }
}

fn check_vocab(found: usize, expected: usize, file: &str) -> Result<(), WeightsError> {
    if found != expected {
        return Err(WeightsError::InvalidConfig { file: file.into(), detail: format!("vocabulary of {found} tokens, the task has {expected}") });
    }
    Ok(())
}
