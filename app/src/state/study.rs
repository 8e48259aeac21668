//! The study on the page's side: the results of `ponder experiment` shipped with the page
//! (fetched once), and a live re-run of any of its cells, a [`Job`] the engine worker runs.

use crate::protocol::{StudyGroup, ToWorker};
use crate::state::job::Job;
use engine::search::Recipe;
use engine::study::StudyReport;
use engine::study::report::{BinKind, ComputeOptimalCurve};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub const REPORT_URL: &str = "study/report.json";

/// A live re-run of one cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rerun {
    /// What runs, at which budget, on how many problems and seeds.
    pub label: String,
    /// The cell's value in the report.
    pub shipped: f64,
    pub right: usize,
    pub tried: usize,
    pub total: usize,
}

/// One configuration a re-run runs, and the bin whose searched problems it runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pick {
    pub config: Recipe,
    /// 1 to 5; 0: every bin.
    pub bin: usize,
    /// Whether `bin` is a predicted bin (else an oracle one).
    pub predicted: bool,
}

impl Pick {
    /// The compute-optimal picks of `curve` at budget index `i` in `bin` (0: each bin's own).
    pub fn compute_optimal(curve: &ComputeOptimalCurve, i: usize, bin: usize) -> Vec<Pick> {
        let predicted = curve.bins == BinKind::Predicted;
        let bins: Vec<usize> = if bin == 0 { (1..=curve.choices.len()).collect() } else { vec![bin] };
        bins.into_iter().filter_map(|b| Some(Pick { config: curve.choices.get(b - 1)?.get(i)?.as_ref()?.0, bin: b, predicted })).collect()
    }
}

/// What a cell of the report re-runs: `picks` at `budget`, named `what`; `shipped` is the
/// cell's value in the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub what: String,
    pub budget: usize,
    pub shipped: f64,
    pub picks: Vec<Pick>,
}

#[derive(Clone, Copy)]
pub struct StudyRun {
    /// None until fetched.
    pub report: RwSignal<Option<Result<StudyReport, String>>>,
    pub rerun: Job<Rerun>,
}

async fn fetch_report() -> Result<StudyReport, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(REPORT_URL)).await.map_err(|e| format!("download failed: {e:?}"))?.unchecked_into();
    if !response.ok() {
        return Err(format!("the server answered {} for {REPORT_URL}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    let text = text.as_string().ok_or("the report is not text")?;
    serde_json::from_str(&text).map_err(|e| format!("{REPORT_URL} is not a study report: {e}"))
}

impl StudyRun {
    pub fn new() -> Self {
        StudyRun { report: RwSignal::new(None), rerun: Job::new() }
    }

    /// Fetches the report, the first time only.
    pub fn load(&self) {
        if self.report.with_untracked(|r| r.is_some()) {
            return;
        }
        let report = self.report;
        leptos::task::spawn_local(async move { report.set(Some(fetch_report().await)) });
    }

    /// Re-runs a cell: each pick at the request's budget on its bin's searched problems, with
    /// the report's seeds.
    pub fn start(&self, request: &Request) {
        self.report.with_untracked(|r| {
            if let Some(Ok(r)) = r {
                self.start_in(r, request);
            }
        });
    }

    fn start_in(&self, r: &StudyReport, Request { what, budget, shipped, picks }: &Request) {
        let (budget, shipped) = (*budget, *shipped);
        let Some(config) = &r.config else { return };
        let groups: Vec<StudyGroup> = picks
            .iter()
            .filter_map(|pick| {
                let info = r.sweeps.configs.iter().find(|c| c.config == pick.config)?;
                let problems = r
                    .sweeps
                    .search_problems
                    .iter()
                    .filter_map(|&i| r.problems.get(i))
                    .filter(|p| pick.bin == 0 || (if pick.predicted { p.predicted_bin } else { p.oracle_bin }) == pick.bin)
                    .map(|p| p.expression.clone())
                    .collect();
                Some(StudyGroup { config: info.config, problems })
            })
            .collect();
        let problems: usize = groups.iter().map(|g| g.problems.len()).sum();
        let rerun = Rerun {
            label: format!("{what} at N={budget} ({problems} problems × {} seeds)", config.seeds.len()),
            shipped,
            total: problems * config.seeds.len(),
            ..Rerun::default()
        };
        let seeds = config.seeds.clone();
        // The view shows why, when the message cannot be sent.
        let _ = self.rerun.send(rerun, |generation| ToWorker::StudyCell { generation, budget, seeds, groups });
    }

    /// One run of the re-run cell, right or wrong.
    pub fn on_run(&self, generation: u64, right: bool) {
        self.rerun.update(generation, |s| {
            s.tried += 1;
            s.right += right as usize;
        });
    }
}
