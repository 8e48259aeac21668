//! Progress bars for long phases (training, data generation, evaluation).

use engine::eval::EvalProgress;
use engine::train::TrainObserver;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
}

impl Bars {
    pub fn new() -> Self {
        Self::default()
    }
    fn start(&mut self, label: &str, total: u64, done: u64) {
        self.finish();
        let bar = ProgressBar::new(total.max(1));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>34} [{bar:30}] {pos}/{len} {msg} · {elapsed} elapsed, ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        bar.set_position(done);
        bar.reset_eta();
        self.bar = Some(bar);
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}

impl TrainObserver for Bars {
    fn begin(&mut self, label: &str, total: u64, done: u64) {
        self.start(label, total, done);
    }
    fn advance(&mut self, done: u64, info: &str) {
        if let Some(b) = &self.bar {
            b.set_position(done);
            if !info.is_empty() {
                b.set_message(info.to_string());
            }
        }
    }
    fn message(&mut self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }
    fn end(&mut self) {
        self.finish();
    }
}

impl EvalProgress for Bars {
    fn phase(&mut self, label: &str, total: u64) {
        self.start(label, total, 0);
    }
    fn done(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}
