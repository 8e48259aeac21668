//! `ponder experiment`: the study in miniature (see engine::study). Decodes the sample pools,
//! the larger model's greedy answers and every search run (on several threads), journals
//! each result so an interrupted run resumes where it stopped, then writes the report (JSON)
//! and its figures (SVG).

use crate::models::{self, Backend};
use crate::{figures, weights_dir};
use crate::progress::Bars;
use anyhow::{Context, Result, bail};
use clap::Args;
use engine::eval::EvalProgress;
use engine::infer::CancelToken;
use engine::model::weights::{Manifest, Role};
use engine::models::ModelSource;
use engine::study::report::Allowed;
use engine::study::{self, ModelFacts, ProblemPool, SearchJob, StudyConfig};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    Search { config: usize, budget: usize, seed: u64, problem: usize, correct: bool },
    /// Wall time of one session of the run (a resumed run adds its sessions up).
    Elapsed { seconds: f64 },
}

struct Journal {
    file: Option<std::fs::File>,
}

impl Journal {
    fn append(&mut self, entry: &Entry) -> Result<()> {
        if let Some(f) = &mut self.file {
            serde_json::to_writer(&mut *f, entry)?;
            f.write_all(b"\n")?;
            f.flush()?;
        }
        Ok(())
    }
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

fn facts(manifest: &Manifest) -> Option<ModelFacts> {
    let tokens = |role: Role| manifest.models.get(&role)?.training.as_ref()?.get("tokens")?.as_u64();
    Some(ModelFacts {
        small_params: manifest.models.get(&Role::Generator)?.parameters as u64,
        large_params: manifest.models.get(&Role::Large)?.parameters as u64,
        small_tokens: tokens(Role::Generator)?,
        large_tokens: tokens(Role::Large)?,
    })
}

pub fn experiment(a: ExperimentArgs, cancel: CancelToken) -> Result<()> {
    let config = load_config(&a)?;
    if a.print_config {
        println!("{}", serde_json::to_string_pretty(&config)?);
        return Ok(());
    }
    let out = a.out.clone().or_else(|| (!a.quick && a.config.is_none()).then(|| PathBuf::from("results/study")));
    let threads = a.threads.map(|t| t as usize).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let started = Instant::now();
    let (device, info) = models::init_backend(a.backend)?;
    if !weights_dir::has_manifest(&a.models) {
        bail!("no manifest.json in {}: the experiment needs the trained models (ponder train all)", a.models.display());
    }
    let loaded = weights_dir::load_models(&a.models, 0, &device)?;
    let ModelSource::Trained(manifest) = &loaded.source else { bail!("the experiment needs trained models") };
    let manifest = manifest.clone();
    let hashes = models::hashes(&loaded);
    let large = weights_dir::listed_language_model(&a.models, &manifest, Role::Large, &device)?;
    let problems = config.problems();
    // The problems without their levels, as the decoding functions take them.
    let test_set: Vec<_> = problems.iter().map(|(_, p)| p.clone()).collect();
    let log = |text: String| {
        if !a.json {
            eprintln!("{text}");
        }
    };
    log(format!(
        "experiment: {} problems, {} samples each, budgets {:?}, {} seed(s), {} searched problems per bin; on {} with {threads} thread(s)",
        problems.len(),
        config.oracle_samples,
        config.budgets,
        config.seeds.len(),
        config.search_problems_per_bin,
        info.adapter
    ));

    // The journal: resume what it holds when it belongs to this configuration and weights.
    let mut pools: Option<Vec<ProblemPool>> = None;
    let mut large_greedy: Option<Vec<bool>> = None;
    let mut results: Vec<(SearchJob, bool)> = Vec::new();
    let mut earlier_seconds = 0.0;
    let mut journal = Journal { file: None };
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = journal_path(dir);
        let header = Entry::Header { config: config.clone(), models: hashes.clone() };
        let mut resumed = false;
        if path.exists() {
            let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&path)?).lines().collect::<Result<_, _>>()?;
            let old_models = match lines.first().and_then(|l| serde_json::from_str::<Entry>(l).ok()) {
                Some(Entry::Header { config: c, models }) if c == config => Some(models),
                _ => None,
            };
            if let Some(old_models) = old_models {
                // Weights retrained since: only what used them runs again.
                let changed = |role: Role| {
                    manifest.models.get(&role).is_none_or(|e| old_models.get(&e.file) != hashes.get(&e.file))
                };
                let kept_before = lines.len();
                let mut kept: Vec<&String> = Vec::new();
                // A line cut short by a kill is dropped; everything before it is kept.
                for line in &lines[1..] {
                    let keep = match serde_json::from_str::<Entry>(line) {
                        Ok(Entry::Pools(p)) if !changed(Role::Generator) && !changed(Role::Prm) => {
                            pools = Some(p);
                            true
                        }
                        Ok(Entry::LargeGreedy(g)) if !changed(Role::Large) => {
                            large_greedy = Some(g);
                            true
                        }
                        Ok(Entry::Search { config: c, budget, seed, problem, correct })
                            if config.configs.get(c).is_some_and(|sc| search_roles(sc).iter().all(|&r| !changed(r))) =>
                        {
                            results.push((SearchJob { config: c, budget, seed, problem }, correct));
                            true
                        }
                        Ok(Entry::Elapsed { seconds }) => {
                            earlier_seconds += seconds;
                            true
                        }
                        _ => false,
                    };
                    if keep {
                        kept.push(line);
                    }
                }
                if kept.len() + 1 < kept_before {
                    // Rewrite the journal under the new weights' header with what still holds.
                    let tmp = path.with_extension("jsonl.tmp");
                    let mut text = serde_json::to_string(&header)? + "\n";
                    for line in &kept {
                        text.push_str(line);
                        text.push('\n');
                    }
                    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
                    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
                    log(format!("{}: {} entries used weights retrained since and run again", path.display(), kept_before - 1 - kept.len()));
                }
                resumed = true;
                log(format!("resuming {}: {} search runs already done", path.display(), results.len()));
            } else {
                log(format!("{} belongs to another configuration: starting afresh", path.display()));
            }
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(resumed).write(true).truncate(!resumed).open(&path)?;
        if !resumed {
            serde_json::to_writer(&mut file, &header)?;
            file.write_all(b"\n")?;
        }
        journal.file = Some(file);
    }
    let mut bars = if a.json { None } else { Some(Bars::new()) };
    let mut phase = |label: &str, total: usize| {
        if let Some(b) = &mut bars {
            b.phase(label, total as u64);
        }
    };

    let pools = match pools {
        Some(p) if p.len() == problems.len() => p,
        _ => {
            phase("pools: sampling and scoring", problems.len() * config.oracle_samples);
            let p = sample_pools_in_parallel(&loaded, &test_set, config.oracle_samples, threads, &cancel, &mut |d| {
                if let Some(b) = &mut bars {
                    b.done(d as u64)
                }
            })?;
            journal.append(&Entry::Pools(p.clone()))?;
            p
        }
    };
    let large_greedy = match (&large, large_greedy) {
        (Some(_), Some(g)) if g.len() == problems.len() => Some(g),
        (Some((model, lconfig)), _) => {
            if let Some(b) = &mut bars {
                b.phase("larger model: greedy", problems.len() as u64);
            }
            let g = pollster::block_on(study::greedy_correct(model, lconfig, &test_set, &device, &cancel, &mut |d| {
                if let Some(b) = &mut bars {
                    b.done(d as u64)
                }
            }))?;
            journal.append(&Entry::LargeGreedy(g.clone()))?;
            Some(g)
        }
        (None, _) => None,
    };

    // Search runs, on `threads` threads; each result is journalled as it arrives.
    let pass: Vec<f64> = pools.iter().map(|p| p.pass_at_1()).collect();
    let searched = study::pick_search_problems(&study::quantile_bins(&pass), &pass, config.search_problems_per_bin);
    let done: std::collections::HashSet<SearchJob> = results.iter().map(|(j, _)| *j).collect();
    let jobs: Vec<SearchJob> = config.search_jobs(&searched).into_iter().filter(|j| !done.contains(j)).collect();
    if let Some(b) = &mut bars {
        b.phase("searches", (jobs.len() + results.len()) as u64);
        b.done(results.len() as u64);
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len().max(1)) {
            let tx = tx.clone();
            let (jobs, next, loaded, config, problems, cancel) = (&jobs, &next, &loaded, &config, &problems, &cancel);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = pollster::block_on(study::run_job(loaded, &config.configs[job.config], job, &problems[job.problem].1, cancel));
                    let stop = r.is_err();
                    if tx.send(r.map(|c| (*job, c))).is_err() || stop {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for r in rx {
            match r {
                Ok((job, correct)) => {
                    if let Err(e) = journal.append(&Entry::Search { config: job.config, budget: job.budget, seed: job.seed, problem: job.problem, correct }) {
                        failure.get_or_insert(e);
                        cancel.cancel();
                    }
                    results.push((job, correct));
                    if let Some(b) = &mut bars {
                        b.done(results.len() as u64);
                    }
                }
                Err(e) => {
                    failure.get_or_insert(e.into());
                    cancel.cancel();
                }
            }
        }
    });
    drop(bars);
    let session_seconds = started.elapsed().as_secs_f64();
    journal.append(&Entry::Elapsed { seconds: session_seconds })?;
    if let Some(e) = failure {
        if let Some(dir) = &out {
            return Err(e.context(format!("the finished runs are journalled in {}: run the same command again to resume", dir.display())));
        }
        return Err(e);
    }

    let mut report = study::analyse(&config, &problems, &pools, &searched, &results, large_greedy.as_deref(), facts(&manifest));
    report.run = serde_json::json!({
        "backend": info,
        "machine": crate::host::machine(),
        "threads": threads,
        // Every session's wall time, summed over a resumed run's sessions.
        "seconds": earlier_seconds + session_seconds,
        "ponder_version": env!("CARGO_PKG_VERSION"),
        "model_sha256": hashes,
        "command": std::env::args().collect::<Vec<_>>().join(" "),
    });
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(dir) = &out {
        write_outputs(dir, &report, &json)?;
        log(format!("wrote {} and its figures", dir.join("report.json").display()));
    }
    if a.json {
        println!("{json}");
    } else {
        print_summary(&report);
    }
    Ok(())
}

/// The pools of `problems`, in `threads` contiguous slices decoded side by side (the seeds
/// follow each problem's index, so the pools do not depend on the thread count).
fn sample_pools_in_parallel(
    models: &engine::models::Models,
    problems: &[engine::task::ChainProblem],
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
fn search_roles(config: &engine::search::Recipe) -> &'static [Role] {
    match config {
        engine::search::Recipe::Revisions { .. } => &[Role::Revision, Role::Prm],
        _ => &[Role::Generator, Role::Prm],
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
    Ok(())
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
    println!("findings:");
    for f in &r.findings {
        println!("  [{}] {} — {}", f.verdict, f.claim, f.measured);
    }
}
