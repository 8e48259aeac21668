//! Progress bars for long phases (training, data generation, evaluation).

use engine::eval::EvalProgress;
use engine::train::TrainObserver;
use indicatif::{ProgressBar, ProgressStyle};

/// Progress bars on a terminal; where stderr is not one (a log file, CI), a plain line per
/// phase and then about every 30 seconds, so long runs still show how far they are.
#[derive(Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
    plain: Option<Plain>,
}

struct Plain {
    label: String,
    total: u64,
    /// Where this phase began (a resumed run starts part-way).
    first: u64,
    done: u64,
    /// The latest detail (loss, tokens/s).
    info: String,
    started: std::time::Instant,
    last: std::time::Instant,
}

impl Plain {
    fn report(&mut self, done: u64, force: bool) {
        self.done = done;
        if !force && self.last.elapsed().as_secs() < 30 {
            return;
        }
        self.last = std::time::Instant::now();
        let elapsed = self.started.elapsed().as_secs_f64();
        // The rate of this session's steps only: resumed ones took no time here.
        let new = done.saturating_sub(self.first);
        let eta = if new > 0 && done < self.total { format!(", ETA {:.0} s", elapsed / new as f64 * (self.total - done) as f64) } else { String::new() };
        let info = if self.info.is_empty() { String::new() } else { format!(" {}", self.info) };
        eprintln!("{}: {done}/{}{info} ({elapsed:.0} s{eta})", self.label, self.total);
    }
}

impl Bars {
    pub fn new() -> Self {
        Self::default()
    }
    fn start(&mut self, label: &str, total: u64, done: u64) {
        self.finish();
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let now = std::time::Instant::now();
            let mut plain = Plain { label: label.to_string(), total, first: done, done, info: String::new(), started: now, last: now };
            plain.report(done, true);
            self.plain = Some(plain);
            return;
        }
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
        if let Some(mut p) = self.plain.take() {
            p.report(p.done, true);
        }
    }
    fn position(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
        if let Some(p) = &mut self.plain {
            p.report(done, false);
        }
    }
}

impl TrainObserver for Bars {
    fn begin(&mut self, label: &str, total: u64, done: u64) {
        self.start(label, total, done);
    }
    fn advance(&mut self, done: u64, info: &str) {
        if let Some(p) = &mut self.plain {
            p.info = info.to_string();
        }
        self.position(done);
        if let Some(b) = &self.bar
            && !info.is_empty()
        {
            b.set_message(info.to_string());
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
        self.position(done);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}
