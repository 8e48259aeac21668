//! The page's whole configuration, kept in the URL's query string so a link reproduces a run.
//! Parsing never panics: a bad value is reported by name and replaced by its default.

use engine::search::revisions::RevisionSelection;
use engine::search::{Aggregation, Knobs, Selection, Verifier, bounds};

/// Link names of the arena's lanes, in [`crate::arena::LANES`] order.
pub const LANE_KEYS: [&str; 5] = ["best_of_n", "revisions", "beam", "lookahead", "compute_optimal"];

/// Budgets offered on the log-scale slider: powers of two.
pub const BUDGETS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Arena,
    Sweep,
    /// Decode throughput and a best-of-64 run on this page's backend (`?bench`).
    Bench,
    /// The shipped results of `ponder experiment`, any cell re-run live.
    Study,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendPref {
    /// WebGPU on a real GPU, with the models on the CPU as well, each run on whichever
    /// decoded its batch size faster when measured at start; the CPU alone where WebGPU is
    /// missing, fails or is a software renderer.
    Auto,
    /// As `Auto` on a real GPU, also on a software renderer: measure both, pick per batch size.
    Measure,
    Cpu,
    /// WebGPU even on a software renderer.
    WebGpu,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub view: View,
    pub backend: BackendPref,
    pub level: u8,
    /// Index of the drawn problem of that level.
    pub index: u64,
    /// A typed problem (wins over level and index when set).
    pub problem: Option<String>,
    pub budget: usize,
    pub temperature: f32,
    pub seed: u64,
    pub selection: Selection,
    pub aggregation: Aggregation,
    pub width: usize,
    pub lookahead: usize,
    /// Revision chains C (the budget is split into C chains of budget / C attempts).
    pub chains: usize,
    pub verifier: Verifier,
    /// Which arena lanes run (in [`crate::arena::LANES`] order).
    pub lanes: [bool; LANE_KEYS.len()],
    /// Sweep: problems per level and the largest budget.
    pub sweep_problems: usize,
    pub sweep_max_budget: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            view: View::Arena,
            backend: BackendPref::Auto,
            level: 2,
            index: 0,
            problem: None,
            budget: 16,
            temperature: 0.8,
            seed: 0,
            selection: Selection::Weighted,
            aggregation: Aggregation::Last,
            width: 4,
            lookahead: 1,
            chains: 4,
            verifier: Verifier::Prm,
            lanes: [true; LANE_KEYS.len()],
            sweep_problems: 3,
            sweep_max_budget: 16,
        }
    }
}

/// Percent-decoding of a query value ('+' is a space); invalid escapes are kept as typed.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            // "%2B" and the like; anything else after '%' stays as typed.
            b'%' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("25");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'%'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Longest query string read; anything longer is refused as a whole.
pub const MAX_QUERY: usize = 2000;

impl Config {
    /// Reads a query string ("?a=1&b=2" or "a=1&b=2"). Returns the configuration and one
    /// message per value that was refused.
    pub fn from_query(query: &str) -> (Config, Vec<String>) {
        let mut c = Config::default();
        let mut errors = Vec::new();
        if query.len() > MAX_QUERY {
            errors.push(format!("the link's settings are {} characters long (at most {MAX_QUERY}): defaults used", query.len()));
            return (c, errors);
        }
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(raw);
            let v = value.trim();
            let mut bad = |allowed: &str| errors.push(format!("link setting {key}={value:?} is not valid: {allowed}"));
            match key {
                "view" => match v {
                    "arena" => c.view = View::Arena,
                    "sweep" => c.view = View::Sweep,
                    "bench" => c.view = View::Bench,
                    "study" => c.view = View::Study,
                    _ => bad("use arena, sweep, bench or study"),
                },
                // `?bench`: the benchmark mode.
                "bench" => match v {
                    "" | "1" | "true" => c.view = View::Bench,
                    _ => bad("no value (?bench)"),
                },
                "backend" => match v {
                    "auto" => c.backend = BackendPref::Auto,
                    "webgpu" => c.backend = BackendPref::WebGpu,
                    "cpu" => c.backend = BackendPref::Cpu,
                    "measure" => c.backend = BackendPref::Measure,
                    _ => bad("use auto, webgpu, cpu or measure"),
                },
                "level" => match v.parse::<u8>() {
                    Ok(l) if (1..=5).contains(&l) => c.level = l,
                    _ => bad("a level from 1 to 5"),
                },
                "index" => match v.parse::<u64>() {
                    Ok(i) if i < 1_000_000 => c.index = i,
                    _ => bad("a problem number from 0 to 999999"),
                },
                "problem" => {
                    if v.is_empty() || v.chars().count() > 80 {
                        bad("a chain of at most 80 characters");
                    } else {
                        c.problem = Some(v.to_string());
                    }
                }
                "budget" => match v.parse::<usize>() {
                    Ok(b) if BUDGETS.contains(&b) => c.budget = b,
                    _ => bad("a power of two from 1 to 256"),
                },
                "temp" => match v.parse::<f32>() {
                    Ok(t) if (0.0..=2.0).contains(&t) => c.temperature = t,
                    _ => bad("a temperature from 0 to 2"),
                },
                "seed" => match v.parse::<u64>() {
                    Ok(s) if s <= u32::MAX as u64 => c.seed = s,
                    _ => bad("a seed from 0 to 4294967295"),
                },
                "sel" => match v.parse() {
                    Ok(s) => c.selection = s,
                    Err(_) => bad("majority, weighted or max"),
                },
                "agg" => match v.parse() {
                    Ok(a) => c.aggregation = a,
                    Err(_) => bad("last, min or product"),
                },
                "width" => match v.parse::<usize>() {
                    Ok(w) if (1..=16).contains(&w) => c.width = w,
                    _ => bad("a beam width from 1 to 16"),
                },
                "k" => match v.parse::<usize>() {
                    Ok(k) if bounds::lookahead(k).is_ok() => c.lookahead = k,
                    _ => bad("lookahead steps from 1 to 8"),
                },
                "chains" => match v.parse::<usize>() {
                    Ok(n) if BUDGETS.contains(&n) => c.chains = n,
                    _ => bad("a power of two from 1 to 256"),
                },
                "verifier" => match v.parse() {
                    Ok(verifier) => c.verifier = verifier,
                    Err(_) => bad("prm or oracle"),
                },
                "lanes" => {
                    let mut lanes = [false; LANE_KEYS.len()];
                    let mut ok = !v.is_empty();
                    for name in v.split(',') {
                        match LANE_KEYS.iter().position(|k| *k == name.trim()) {
                            Some(i) => lanes[i] = true,
                            None => ok = false,
                        }
                    }
                    if ok {
                        c.lanes = lanes;
                    } else {
                        bad("a comma-separated list of best_of_n, revisions, beam, lookahead, compute_optimal");
                    }
                }
                "sweep_problems" => match v.parse::<usize>() {
                    Ok(n) if (1..=20).contains(&n) => c.sweep_problems = n,
                    _ => bad("1 to 20 problems per level"),
                },
                "sweep_budget" => match v.parse::<usize>() {
                    Ok(b) if BUDGETS.contains(&b) && b <= 64 => c.sweep_max_budget = b,
                    _ => bad("a power of two from 1 to 64"),
                },
                _ => errors.push(format!("link setting {key:?} is unknown and was ignored")),
            }
        }
        c.chains = c.chains.min(c.budget);
        (c, errors)
    }

    pub fn to_query(&self) -> String {
        let mut q = vec![
            format!("view={}", match self.view {
                View::Arena => "arena",
                View::Sweep => "sweep",
                View::Bench => "bench",
                View::Study => "study",
            }),
            format!("level={}", self.level),
            format!("index={}", self.index),
        ];
        if let Some(p) = &self.problem {
            q.push(format!("problem={}", encode(p)));
        }
        q.extend([
            format!("budget={}", self.budget),
            format!("temp={}", self.temperature),
            format!("seed={}", self.seed),
            format!("sel={}", self.selection),
            format!("agg={}", self.aggregation),
            format!("width={}", self.width),
            format!("k={}", self.lookahead),
            format!("chains={}", self.chains),
            format!("verifier={}", self.verifier),
            format!("sweep_problems={}", self.sweep_problems),
            format!("sweep_budget={}", self.sweep_max_budget),
        ]);
        if self.lanes != [true; LANE_KEYS.len()] {
            let on: Vec<&str> = LANE_KEYS.iter().zip(self.lanes).filter(|(_, on)| *on).map(|(k, _)| *k).collect();
            q.push(format!("lanes={}", on.join(",")));
        }
        match self.backend {
            BackendPref::Auto => {}
            BackendPref::Cpu => q.push("backend=cpu".into()),
            BackendPref::WebGpu => q.push("backend=webgpu".into()),
            BackendPref::Measure => q.push("backend=measure".into()),
        }
        format!("?{}", q.join("&"))
    }

    pub fn knobs(&self) -> Knobs {
        Knobs {
            budget: self.budget,
            width: self.width,
            lookahead: self.lookahead,
            max_rounds: bounds::DEFAULT_ROUNDS,
            chains: self.chains.min(self.budget),
            revision_selection: RevisionSelection::Hierarchical,
        }
    }
}
