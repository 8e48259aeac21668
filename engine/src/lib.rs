//! Ponder's engine: the task domain, burn models, batched inference and the test-time
//! search strategies of "Scaling LLM Test-Time Compute Optimally" (arXiv 2408.03314).
//! It knows nothing of any user interface and compiles for native targets and wasm32.

pub mod backend;
pub mod infer;
pub mod model;
pub mod task;
pub mod search;
pub mod models;
pub mod names;
pub mod solve;
pub mod eval;
pub mod study;
#[cfg(feature = "train")]
pub mod train;

pub use burn::tensor::Device;
