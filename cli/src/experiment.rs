//! `ponder experiment`: the study in miniature (see engine::study). Decodes the sample pools,
//! the larger model's greedy answers and every search run (on several threads), journals
//! each result so an interrupted run resumes where it stopped, then writes the report (JSON)
//! and its figures (SVG).

use crate::models::{self, Backend};
use crate::progress::Bars;
use crate::{figures, weights_dir};
use anyhow::{Context, Result, bail};
use clap::Args;
use engine::Device;
use engine::backend::BackendInfo;
use engine::eval::EvalProgress;
use engine::infer::CancelToken;
use engine::model::weights::{Manifest, Role};
use engine::model::{LanguageModel, ModelConfig};
use engine::models::{ModelSource, Models};
use engine::search::{SearchError, Verifier};
use engine::study::report::Allowed;
use engine::study::{self, ModelFacts, ProblemPool, SearchJob, StudyConfig};
use engine::task::{ChainProblem, Level};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

#[derive(Args)]
pub struct ExperimentArgs {
    /// The reduced run (20 problems, budgets 1–8, one seed; under two minutes here).
    #[arg(long)]
    pub quick: bool,
    /// A JSON file with the experiment's configuration (see `--print-config`), instead of
    /// the full or quick preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the configuration that would run, as JSON, and stop.
    #[arg(long)]
    pub print_config: bool,
    /// Folder for report.json and the figures; the journal that lets a stopped run resume
    /// goes beside it (<folder>.journal.jsonl). Default: results/study for the full run
    /// (the page reads it as public/study); the quick run writes files only when given.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Threads running searches side by side (1–64; default: the machine's cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: Option<u64>,
    /// Folder with manifest.json and the weights.
    #[arg(long, default_value = "public/models")]
    pub models: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
}

/// One line of the journal.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// What the journal belongs to: a journal of another configuration is not resumed; of
    /// other weights, only the entries that did not use the changed ones are kept.
    Header { config: StudyConfig, models: serde_json::Value },
    Pools(Vec<ProblemPool>),
    LargeGreedy(Vec<bool>),
    Search {
        config: usize,
        budget: usize,
        seed: u64,
        problem: usize,
        /// Absent in journals from before the verifier was a dimension: the PRM.
        #[serde(default)]
        verifier: Verifier,
        correct: bool,
    },
    /// Wall time of one session of the run (a resumed run adds its sessions up).
    Elapsed { seconds: f64 },
}

pub fn experiment(a: ExperimentArgs, cancel: CancelToken) -> Result<()> {
    let mut config = load_config(&a)?;
    if a.print_config {
        println!("{}", serde_json::to_string_pretty(&config)?);
        return Ok(());
    }
    let out = out_folder(&a);
    let threads = thread_count(&a);
    let started = Instant::now();
    let log = Log { quiet: a.json };
    let mut lab = load_lab(&a)?;
    with_available_verifiers(&mut config, &mut lab, &a, &log)?;
    let problems = config.problems();
    log.say(describe_run(&config, problems.len(), threads, &lab.info));
    let (mut journal, resumed) = open_journal(out.as_deref(), &config, &lab, &log)?;
    let ex = Experiment { config: &config, test_set: problems.iter().map(|(_, p)| p.clone()).collect(), problems: &problems, lab: &lab, threads, cancel: &cancel };
    let mut bars = Progress((!a.json).then(Bars::new));
    let pools = pools(&ex, resumed.pools, &mut journal, &mut bars)?;
    let large_greedy = large_greedy(&ex, resumed.large_greedy, &mut journal, &mut bars)?;
    let searched = searched_problems(&pools, &config);
    let mut results = resumed.results;
    let failure = run_searches(&ex, &searched, &mut results, &mut journal, &mut bars);
    drop(bars);
    let session_seconds = started.elapsed().as_secs_f64();
    journal.append(&Entry::Elapsed { seconds: session_seconds })?;
    if let Some(e) = failure {
        return Err(with_resume_hint(e, out.as_deref()));
    }
    let mut report = study::analyse_each_verifier(&config, &problems, &pools, &searched, &results, large_greedy.as_deref(), facts(&lab.manifest));
    report.run = run_record(&lab, threads, resumed.earlier_seconds + session_seconds);
    publish(&report, out.as_deref(), a.json, &log)
}

fn load_config(a: &ExperimentArgs) -> Result<StudyConfig> {
    let config = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a valid experiment config (see ponder experiment --print-config)", path.display()))?
        }
        None if a.quick => StudyConfig::quick(),
        None => StudyConfig::full(),
    };
    config.validate().with_context(|| "invalid experiment config".to_string())?;
    Ok(config)
}

/// `--out`, else results/study for the full preset (the quick and configured runs write
/// files only where told).
fn out_folder(a: &ExperimentArgs) -> Option<PathBuf> {
    a.out.clone().or_else(|| (!a.quick && a.config.is_none()).then(|| PathBuf::from("results/study")))
}

fn thread_count(a: &ExperimentArgs) -> usize {
    a.threads.map(|t| t as usize).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Lines about the run on stderr, none under `--json` (whose report is the output).
struct Log {
    quiet: bool,
}

impl Log {
    fn say(&self, text: String) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }
}

/// The progress bars, or none under `--json`.
struct Progress(Option<Bars>);

impl EvalProgress for Progress {
    fn phase(&mut self, label: &str, total: u64) {
        if let Some(b) = &mut self.0 {
            b.phase(label, total);
        }
    }
    fn done(&mut self, done: u64) {
        if let Some(b) = &mut self.0 {
            b.done(done);
        }
    }
}

/// The trained models, loaded once for every phase, and what the journal and report say of them.
struct Lab {
    device: Device,
    info: BackendInfo,
    loaded: Models,
    manifest: Manifest,
    /// Each weights file's sha256: a journal of other weights is resumed only in part.
    hashes: serde_json::Value,
    /// The larger model and its shape, for the FLOPs-matched comparison.
    large: Option<(LanguageModel, ModelConfig)>,
}

fn load_lab(a: &ExperimentArgs) -> Result<Lab> {
    let (device, info) = models::init_backend(a.backend)?;
    if !weights_dir::has_manifest(&a.models) {
        bail!("no manifest.json in {}: the experiment needs the trained models (ponder train all)", a.models.display());
    }
    let loaded = weights_dir::load_models(&a.models, 0, &device)?;
    let ModelSource::Trained(manifest) = &loaded.source else { bail!("the experiment needs trained models") };
    let manifest = manifest.clone();
    let hashes = models::hashes(&loaded);
    let large = weights_dir::listed_language_model(&a.models, &manifest, Role::Large, &device)?;
    Ok(Lab { device, info, loaded, manifest, hashes, large })
}

/// Loads the larger verifier where the config lists it and the models have one; where they
/// have none, leaves it out of the config, saying so (the preset lists every verifier the
/// models issue ships). The first verifier must be at hand: it is the report's headline.
fn with_available_verifiers(config: &mut StudyConfig, lab: &mut Lab, a: &ExperimentArgs, log: &Log) -> Result<()> {
    if !config.verifiers.contains(&Verifier::PrmLarge) {
        return Ok(());
    }
    if lab.manifest.models.contains_key(&Role::PrmLarge) {
        weights_dir::load_large_verifier(&a.models, &mut lab.loaded)?;
        lab.hashes = models::hashes(&lab.loaded);
        return Ok(());
    }
    if config.verifiers.first() == Some(&Verifier::PrmLarge) {
        bail!("the config's first verifier is prm_large, and {} has no larger verifier (ponder train prm with a large model)", a.models.display());
    }
    config.verifiers.retain(|&v| v != Verifier::PrmLarge);
    log.say(format!("prm_large: {} has no larger verifier, so the study runs without it", a.models.display()));
    Ok(())
}

fn facts(manifest: &Manifest) -> Option<ModelFacts> {
    let tokens = |role: Role| manifest.models.get(&role)?.training.as_ref()?.get("tokens")?.as_u64();
    Some(ModelFacts {
        small_params: manifest.models.get(&Role::Generator)?.parameters as u64,
        large_params: manifest.models.get(&Role::Large)?.parameters as u64,
        small_tokens: tokens(Role::Generator)?,
        large_tokens: tokens(Role::Large)?,
    })
}

fn describe_run(config: &StudyConfig, problems: usize, threads: usize, info: &BackendInfo) -> String {
    format!(
        "experiment: {} problems, {} samples each, budgets {:?}, {} seed(s), {} searched problems per bin; on {} with {threads} thread(s)",
        problems,
        config.oracle_samples,
        config.budgets,
        config.seeds.len(),
        config.search_problems_per_bin,
        info.adapter
    )
}

/// What every phase of the run reads.
struct Experiment<'a> {
    config: &'a StudyConfig,
    problems: &'a [(Level, ChainProblem)],
    /// The problems without their levels, as the decoding functions take them.
    test_set: Vec<ChainProblem>,
    lab: &'a Lab,
    threads: usize,
    cancel: &'a CancelToken,
}

/// What an earlier session of the same run left in the journal.
#[derive(Default)]
struct Resumed {
    pools: Option<Vec<ProblemPool>>,
    large_greedy: Option<Vec<bool>>,
    results: Vec<(SearchJob, bool)>,
    earlier_seconds: f64,
}

impl Resumed {
    /// Takes in one journal line; whether it still holds (it parses, and the weights it used
    /// did not change).
    fn take(&mut self, line: &str, config: &StudyConfig, changed: &dyn Fn(Role) -> bool) -> bool {
        match serde_json::from_str::<Entry>(line) {
            Ok(Entry::Pools(p)) if !changed(Role::Generator) && config.verifiers.iter().all(|&v| verifier_roles(v).iter().all(|&r| !changed(r))) => {
                self.pools = Some(p);
                true
            }
            Ok(Entry::LargeGreedy(g)) if !changed(Role::Large) => {
                self.large_greedy = Some(g);
                true
            }
            Ok(Entry::Search { config: c, budget, seed, problem, verifier, correct })
                if config.verifiers.contains(&verifier) && config.configs.get(c).is_some_and(|sc| search_roles(sc, verifier).iter().all(|&r| !changed(r))) =>
            {
                self.results.push((SearchJob { config: c, budget, seed, problem, verifier }, correct));
                true
            }
            Ok(Entry::Elapsed { seconds }) => {
                self.earlier_seconds += seconds;
                true
            }
            _ => false,
        }
    }
}

struct Journal {
    file: Option<std::fs::File>,
}

impl Journal {
    /// Appends to what an earlier session wrote (`resume`), or starts afresh under `header`.
    fn open(path: &Path, resume: bool, header: &Entry) -> Result<Self> {
        let mut file = std::fs::OpenOptions::new().create(true).append(resume).write(true).truncate(!resume).open(path)?;
        if !resume {
            serde_json::to_writer(&mut file, header)?;
            file.write_all(b"\n")?;
        }
        Ok(Journal { file: Some(file) })
    }

    fn append(&mut self, entry: &Entry) -> Result<()> {
        if let Some(f) = &mut self.file {
            serde_json::to_writer(&mut *f, entry)?;
            f.write_all(b"\n")?;
            f.flush()?;
        }
        Ok(())
    }
}

/// The journal beside `out` (none without `out`), and what it holds when it belongs to this
/// configuration and weights.
fn open_journal(out: Option<&Path>, config: &StudyConfig, lab: &Lab, log: &Log) -> Result<(Journal, Resumed)> {
    let Some(dir) = out else { return Ok((Journal { file: None }, Resumed::default())) };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = journal_path(dir);
    let header = Entry::Header { config: config.clone(), models: lab.hashes.clone() };
    let resumed = if path.exists() { resume(&path, &header, config, lab, log)? } else { None };
    let journal = Journal::open(&path, resumed.is_some(), &header)?;
    Ok((journal, resumed.unwrap_or_default()))
}

/// What the journal at `path` holds, or `None` when it belongs to another configuration.
/// Entries that used weights retrained since are left out, and the journal rewritten without them.
fn resume(path: &Path, header: &Entry, config: &StudyConfig, lab: &Lab, log: &Log) -> Result<Option<Resumed>> {
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(path)?).lines().collect::<Result<_, _>>()?;
    let (old_config, old_models) = match lines.first().and_then(|l| serde_json::from_str::<Entry>(l).ok()) {
        // Each search names its verifier: a verifier added or dropped keeps the others' runs.
        Some(Entry::Header { config: c, models }) if c.same_but_verifiers(config) => (c, models),
        _ => {
            log.say(format!("{} belongs to another configuration: starting afresh", path.display()));
            return Ok(None);
        }
    };
    // Weights retrained since: only what used them runs again.
    let changed = |role: Role| lab.manifest.models.get(&role).is_none_or(|e| old_models.get(&e.file) != lab.hashes.get(&e.file));
    let mut resumed = Resumed::default();
    // A line cut short by a kill is dropped; everything before it is kept.
    let kept: Vec<&String> = lines[1..].iter().filter(|line| resumed.take(line, config, &changed)).collect();
    if kept.len() + 1 < lines.len() || old_config != *config {
        rewrite_journal(path, header, &kept)?;
        log.say(format!("{}: {} entries used weights retrained since (or a verifier no longer in the config) and are dropped", path.display(), lines.len() - 1 - kept.len()));
    }
    log.say(format!("resuming {}: {} search runs already done", path.display(), resumed.results.len()));
    Ok(Some(resumed))
}

/// The journal under the new weights' header, with the entries that still hold.
fn rewrite_journal(path: &Path, header: &Entry, kept: &[&String]) -> Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut text = serde_json::to_string(header)? + "\n";
    for line in kept {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Every problem's pool of scored samples: the journal's, or sampled now and journalled.
fn pools(ex: &Experiment, resumed: Option<Vec<ProblemPool>>, journal: &mut Journal, bars: &mut Progress) -> Result<Vec<ProblemPool>> {
    if let Some(p) = resumed
        && p.len() == ex.problems.len()
        && p.iter().all(|pool| ex.config.verifiers.iter().all(|&v| pool.scored_by(v)))
    {
        return Ok(p);
    }
    bars.phase("pools: sampling and scoring", (ex.problems.len() * ex.config.oracle_samples) as u64);
    let p = sample_pools_in_parallel(&ex.lab.loaded, &ex.test_set, ex.config.oracle_samples, ex.threads, ex.cancel, &mut |d| bars.done(d as u64))?;
    journal.append(&Entry::Pools(p.clone()))?;
    Ok(p)
}

/// Whether the larger model's greedy answer is right, per problem (when there is a larger
/// model): the journal's, or decoded now and journalled.
fn large_greedy(ex: &Experiment, resumed: Option<Vec<bool>>, journal: &mut Journal, bars: &mut Progress) -> Result<Option<Vec<bool>>> {
    let Some((model, config)) = &ex.lab.large else { return Ok(None) };
    if let Some(g) = resumed
        && g.len() == ex.problems.len()
    {
        return Ok(Some(g));
    }
    bars.phase("larger model: greedy", ex.problems.len() as u64);
    let g = pollster::block_on(study::greedy_correct(model, config, &ex.test_set, &ex.lab.device, ex.cancel, &mut |d| bars.done(d as u64)))?;
    journal.append(&Entry::LargeGreedy(g.clone()))?;
    Ok(Some(g))
}

/// The problems the searches run on: so many per oracle difficulty bin (pass@1 quantiles).
fn searched_problems(pools: &[ProblemPool], config: &StudyConfig) -> Vec<usize> {
    let pass: Vec<f64> = pools.iter().map(|p| p.pass_at_1()).collect();
    study::pick_search_problems(&study::quantile_bins(&pass), &pass, config.search_problems_per_bin)
}

/// Runs the search jobs not yet in `results` on the experiment's threads, journalling each
/// result as it arrives. The first failure cancels the rest and is returned.
fn run_searches(ex: &Experiment, searched: &[usize], results: &mut Vec<(SearchJob, bool)>, journal: &mut Journal, bars: &mut Progress) -> Option<anyhow::Error> {
    let done: HashSet<SearchJob> = results.iter().map(|(j, _)| *j).collect();
    let jobs: Vec<SearchJob> = ex.config.search_jobs(searched).into_iter().filter(|j| !done.contains(j)).collect();
    bars.phase("searches", (jobs.len() + results.len()) as u64);
    bars.done(results.len() as u64);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..ex.threads.min(jobs.len().max(1)) {
            let (tx, jobs, next) = (tx.clone(), &jobs, &next);
            scope.spawn(move || search_worker(ex, jobs, next, tx));
        }
        drop(tx);
        for r in rx {
            match r {
                Ok((job, correct)) => {
                    if let Err(e) = journal.append(&Entry::Search { config: job.config, budget: job.budget, seed: job.seed, problem: job.problem, verifier: job.verifier, correct }) {
                        failure.get_or_insert(e);
                        ex.cancel.cancel();
                    }
                    results.push((job, correct));
                    bars.done(results.len() as u64);
                }
                Err(e) => {
                    failure.get_or_insert(e.into());
                    ex.cancel.cancel();
                }
            }
        }
    });
    failure
}

/// One search thread: runs the next job not taken until none is left, or one fails.
fn search_worker(ex: &Experiment, jobs: &[SearchJob], next: &AtomicUsize, tx: mpsc::Sender<Result<(SearchJob, bool), SearchError>>) {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { break };
        let r = pollster::block_on(study::run_job(&ex.lab.loaded, &ex.config.configs[job.config], job, &ex.problems[job.problem].1, ex.cancel));
        let stop = r.is_err();
        if tx.send(r.map(|c| (*job, c))).is_err() || stop {
            break;
        }
    }
}

/// A failed run's error, saying where its finished runs wait to be resumed.
fn with_resume_hint(e: anyhow::Error, out: Option<&Path>) -> anyhow::Error {
    match out {
        Some(dir) => e.context(format!("the finished runs are journalled in {}: run the same command again to resume", dir.display())),
        None => e,
    }
}

/// How the report was made: backend, machine, threads, seconds, weights and command.
fn run_record(lab: &Lab, threads: usize, seconds: f64) -> serde_json::Value {
    serde_json::json!({
        "backend": lab.info,
        "machine": crate::host::machine(),
        "threads": threads,
        // Every session's wall time, summed over a resumed run's sessions.
        "seconds": seconds,
        "ponder_version": env!("CARGO_PKG_VERSION"),
        "model_sha256": lab.hashes,
        "command": std::env::args().collect::<Vec<_>>().join(" "),
    })
}

/// The report written to `out` (with its figures and policy) and printed: as JSON, or a summary.
fn publish(report: &study::StudyReport, out: Option<&Path>, json: bool, log: &Log) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    if let Some(dir) = out {
        write_outputs(dir, report, &text)?;
        log.say(format!("wrote {} and its figures", dir.join("report.json").display()));
    }
    if json {
        println!("{text}");
    } else {
        print_summary(report);
    }
    Ok(())
}

/// The pools of `problems`, in `threads` contiguous slices decoded side by side (the seeds
/// follow each problem's index, so the pools do not depend on the thread count).
fn sample_pools_in_parallel(
    models: &Models,
    problems: &[ChainProblem],
    per_problem: usize,
    threads: usize,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<ProblemPool>> {
    let slice = problems.len().div_ceil(threads.max(1)).max(1);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, usize)>();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = problems
            .chunks(slice)
            .enumerate()
            .map(|(k, part)| {
                let tx = tx.clone();
                scope.spawn(move || pollster::block_on(study::sample_pools(models, part, k * slice, per_problem, cancel, &mut |d| {
                    let _ = tx.send((k, d));
                })))
            })
            .collect();
        drop(tx);
        let mut done = vec![0usize; handles.len()];
        for (k, d) in rx {
            done[k] = d;
            progress(done.iter().sum());
        }
        handles.into_iter().map(|h| h.join().expect("a pool thread panicked")).collect::<Vec<_>>()
    });
    let mut pools = Vec::with_capacity(problems.len());
    for r in results {
        pools.extend(r?);
    }
    Ok(pools)
}

/// The weights a search run's result depends on.
fn search_roles(config: &engine::search::Recipe, verifier: Verifier) -> Vec<Role> {
    let model = match config {
        engine::search::Recipe::Revisions { .. } => Role::Revision,
        _ => Role::Generator,
    };
    [model].into_iter().chain(verifier_roles(verifier).iter().copied()).collect()
}

/// The weights a verifier's scores come from (the larger verifier's head sits on the large
/// model's body; the exact checker has none).
fn verifier_roles(verifier: Verifier) -> &'static [Role] {
    match verifier {
        Verifier::Prm => &[Role::Prm],
        Verifier::PrmLarge => &[Role::PrmLarge, Role::Large],
        Verifier::Oracle => &[],
    }
}

/// The journal sits beside the output folder (`results/study.journal.jsonl`), so the
/// folder itself holds only what is published.
fn journal_path(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "study".into());
    dir.with_file_name(format!("{name}.journal.jsonl"))
}

fn write_outputs(dir: &Path, report: &study::StudyReport, json: &str) -> Result<()> {
    std::fs::write(dir.join("report.json"), json)?;
    // The policy the compute-optimal strategy runs (the engine builds the committed one in).
    if let Some(policy) = study::measured_policy(report) {
        std::fs::write(dir.join("policy.json"), serde_json::to_string_pretty(&policy)? + "\n")?;
    }
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir)?;
    for (name, svg) in figures::all(report) {
        std::fs::write(figures_dir.join(name), svg)?;
    }
    // The folder's README carries the findings table, generated from the report.
    let readme = dir.join("README.md");
    if let Ok(text) = std::fs::read_to_string(&readme)
        && let Some(updated) = with_findings_table(&text, report)
    {
        std::fs::write(&readme, updated)?;
    }
    Ok(())
}

const FINDINGS_BEGIN: &str = "<!-- findings: generated by ponder experiment -->";
const FINDINGS_END: &str = "<!-- /findings -->";

/// `readme` with the text between the findings markers replaced by the report's findings
/// table (None where the markers are missing).
fn with_findings_table(readme: &str, r: &study::StudyReport) -> Option<String> {
    let (start, end) = (readme.find(FINDINGS_BEGIN)? + FINDINGS_BEGIN.len(), readme.find(FINDINGS_END)?);
    (start <= end).then(|| format!("{}\n{}{}", &readme[..start], findings_table(r), &readme[end..]))
}

/// The findings as Markdown: the headline verifier's table (claim, what was measured with
/// every difference's 95% interval, verdict), then, where the run had more than one verifier,
/// each claim's verdict with each of them.
pub fn findings_table(r: &study::StudyReport) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let headline = r.verifier.unwrap_or_default();
    let mut t = format!("With {headline} ({}):\n\n", headline.description());
    t += "| the study's claim | measured here (differences in points, 95% intervals) | verdict | figure |\n| --- | --- | --- | --- |\n";
    for f in &r.findings {
        let figure = f.figure.rsplit('/').next().unwrap_or(&f.figure);
        t += &format!("| {} | {} | **{}** | [{figure}]({}) |\n", cell(&f.claim), cell(&f.measured), f.verdict, f.figure);
    }
    if r.by_verifier.is_empty() {
        return t;
    }
    let each: Vec<_> = r.each_verifier().collect();
    t += "\nEach claim with each verifier (the searches, weighted votes and predicted bins use it):\n\n| the study's claim |";
    t += &each.iter().map(|(v, _)| format!(" {v} |")).collect::<String>();
    t += &format!("\n| --- |{}\n", " --- |".repeat(each.len()));
    for (i, f) in r.findings.iter().enumerate() {
        t += &format!("| {} |", cell(&f.claim));
        for (_, report) in &each {
            let verdict = report.findings.get(i).filter(|g| g.claim == f.claim).map(|g| g.verdict.to_string()).unwrap_or_else(|| "–".into());
            t += &format!(" {verdict} |");
        }
        t += "\n";
    }
    t
}

fn print_summary(r: &study::StudyReport) {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let d = &r.difficulty;
    println!("difficulty: oracle and predicted bins agree on {} of problems ({} within one bin)", pct(d.agreement), pct(d.within_one));
    for (b, range) in d.oracle_pass_at_1_range.iter().enumerate() {
        println!("  bin {}: pass@1 {}–{}, levels {:?}", b + 1, pct(range[0]), pct(range[1]), d.levels_by_bin[b]);
    }
    println!("accuracy over the searched problems (all bins), by budget {:?}:", r.sweeps.budgets);
    for c in &r.sweeps.configs {
        let row: Vec<String> = r.sweeps.budgets.iter().map(|&b| r.sweeps.cells.iter().find(|x| x.config.0 == c.config && x.bin == 0 && x.budget == b).map(|x| pct(x.accuracy)).unwrap_or("-".into())).collect();
        println!("  {:<28}{}", c.label, row.iter().map(|s| format!("{s:>6}")).collect::<String>());
    }
    for curve in r.compute_optimal.curves.iter().filter(|c| c.family == Allowed::All) {
        println!("  {:<28}{}", format!("compute-optimal ({})", curve.bins), curve.overall.iter().map(|&x| format!("{:>6}", pct(x))).collect::<String>());
    }
    for m in r.compute_optimal.matches.iter().filter(|m| m.family == Allowed::All) {
        println!(
            "compute-optimal ({} bins) matches best-of-N@{} ({}) at {}",
            m.bins,
            m.target_budget,
            pct(m.best_of_n_accuracy),
            m.budget.map(|b| format!("N={b}; best-of-N first reaches it at N={} ({:.1}× the budget)", m.best_of_n_budget, m.saving.unwrap_or(0.0))).unwrap_or("no swept budget".into())
        );
        if let Some(i) = m.saving_interval {
            println!("  saving 95% interval {:.1}×–{:.1}×", i.low, i.high);
        }
    }
    if let Some(f) = &r.flops_matched {
        for row in &f.rows {
            println!(
                "FLOPs matched, R={}: budget ×{:.1} → N={}; by bin test-time vs larger model: {}",
                row.r,
                row.multiplier,
                row.budget.map(|b| b.to_string()).unwrap_or("-".into()),
                row.by_bin.iter().map(|b| format!("{}/{}", b.test_time.map(pct).unwrap_or("-".into()), pct(b.large_greedy))).collect::<Vec<_>>().join(" ")
            );
            println!(
                "  over all of each bin's problems, best-of-N weighted vs larger model: {}",
                row.by_bin
                    .iter()
                    .zip(&f.large_greedy_all_problems)
                    .map(|(b, large)| format!("{}/{}", b.best_of_n_all_problems.map(pct).unwrap_or("-".into()), pct(*large)))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    for (verifier, report) in r.each_verifier() {
        println!("findings with {verifier}:");
        for f in &report.findings {
            println!("  [{}] {} — {}", f.verdict, f.claim, f.measured);
        }
    }
}
