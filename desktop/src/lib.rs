//! Ponder's arena in a native window: the page's controls and lanes drawn with egui, the
//! arena crate's lane model, and the engine on its own thread (wgpu where an adapter exists,
//! else the CPU).

pub mod app;
pub mod engine_thread;
mod lane_view;
