//! The page's whole configuration, kept in the URL's query string so a link reproduces a run.
//! Parsing never panics: a bad value is reported by name and replaced by its default.
//! The web app keeps it in its address; the desktop app reads it from `--config`.

pub use crate::settings::{BUDGETS, BackendPref, LANE_KEYS, Settings, SweepSize};
use engine::search::bounds;
use engine::task::{ArithmeticChain, ChainProblem, Level, Task};

/// Problems drawn in the page come from this seed (index = the problem's number).
pub const DRAW_SEED: u64 = 2026;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Arena,
    Sweep,
    /// Decode throughput and a best-of-64 run on this page's backend (`?bench`).
    Bench,
    /// The shipped results of `ponder experiment`, any cell re-run live.
    Study,
    /// A guided tour in short chapters, each with one live run (`?view=lessons&chapter=N`).
    Lessons,
}

/// The lessons' chapters are numbered from 1 to this.
pub const CHAPTERS: u8 = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub view: View,
    pub backend: BackendPref,
    pub level: u8,
    /// Index of the drawn problem of that level.
    pub index: u64,
    /// A typed problem (wins over level and index when set).
    pub problem: Option<String>,
    /// The knobs, the shared settings and the verifier every run starts from.
    pub settings: Settings,
    /// Which arena lanes run (in [`crate::settings::LANES`] order).
    pub lanes: [bool; LANE_KEYS.len()],
    pub sweep: SweepSize,
    /// The lesson shown in the lessons view, 1 to [`CHAPTERS`].
    pub chapter: u8,
    /// Large type and high contrast, for a projector.
    pub projector: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            view: View::Arena,
            backend: BackendPref::Auto,
            level: 2,
            index: 0,
            problem: None,
            settings: Settings::default(),
            lanes: [true; LANE_KEYS.len()],
            sweep: SweepSize::default(),
            chapter: 1,
            projector: false,
        }
    }
}

/// The views and the backends by their names in the link.
const VIEWS: [(View, &str); 5] =
    [(View::Arena, "arena"), (View::Sweep, "sweep"), (View::Bench, "bench"), (View::Study, "study"), (View::Lessons, "lessons")];
const BACKENDS: [(BackendPref, &str); 4] =
    [(BackendPref::Auto, "auto"), (BackendPref::WebGpu, "webgpu"), (BackendPref::Cpu, "cpu"), (BackendPref::Measure, "measure")];

fn named<T: Copy>(names: &[(T, &str)], name: &str) -> Option<T> {
    names.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
}

fn name_of<T: PartialEq>(names: &[(T, &'static str)], value: T) -> &'static str {
    names.iter().find(|(v, _)| *v == value).map_or("", |(_, n)| n)
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
        let (knobs, common) = (&mut c.settings.knobs, &mut c.settings.common);
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
                "view" => match named(&VIEWS, v) {
                    Some(view) => c.view = view,
                    None => bad("use arena, sweep, bench, study or lessons"),
                },
                // `?bench`: the benchmark mode.
                "bench" => match v {
                    "" | "1" | "true" => c.view = View::Bench,
                    _ => bad("no value (?bench)"),
                },
                "backend" => match named(&BACKENDS, v) {
                    Some(backend) => c.backend = backend,
                    None => bad("use auto, webgpu, cpu or measure"),
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
                    Ok(b) if BUDGETS.contains(&b) => knobs.budget = b,
                    _ => bad("a power of two from 1 to 256"),
                },
                "temp" => match v.parse::<f32>() {
                    Ok(t) if (0.0..=2.0).contains(&t) => common.temperature = t,
                    _ => bad("a temperature from 0 to 2"),
                },
                "seed" => match v.parse::<u64>() {
                    Ok(s) if s <= u32::MAX as u64 => common.seed = s,
                    _ => bad("a seed from 0 to 4294967295"),
                },
                "sel" => match v.parse() {
                    Ok(s) => common.selection = s,
                    Err(_) => bad("majority, weighted or max"),
                },
                "agg" => match v.parse() {
                    Ok(a) => common.aggregation = a,
                    Err(_) => bad("last, min or product"),
                },
                "width" => match v.parse::<usize>() {
                    Ok(w) if (1..=16).contains(&w) => knobs.width = w,
                    _ => bad("a beam width from 1 to 16"),
                },
                "k" => match v.parse::<usize>() {
                    Ok(k) if bounds::lookahead(k).is_ok() => knobs.lookahead = k,
                    _ => bad("lookahead steps from 1 to 8"),
                },
                "chains" => match v.parse::<usize>() {
                    Ok(n) if BUDGETS.contains(&n) => knobs.chains = n,
                    _ => bad("a power of two from 1 to 256"),
                },
                "verifier" => match v.parse() {
                    Ok(verifier) => c.settings.verifier = verifier,
                    _ => bad("prm, prm_large or oracle"),
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
                    Ok(n) if (1..=20).contains(&n) => c.sweep.problems = n,
                    _ => bad("1 to 20 problems per level"),
                },
                "sweep_budget" => match v.parse::<usize>() {
                    Ok(b) if BUDGETS.contains(&b) && b <= 64 => c.sweep.max_budget = b,
                    _ => bad("a power of two from 1 to 64"),
                },
                "chapter" => match v.parse::<u8>() {
                    Ok(n) if (1..=CHAPTERS).contains(&n) => c.chapter = n,
                    _ => bad(&format!("a chapter from 1 to {CHAPTERS}")),
                },
                "projector" => match v {
                    "" | "1" | "true" | "on" => c.projector = true,
                    "0" | "false" | "off" => c.projector = false,
                    _ => bad("1 (on) or 0 (off)"),
                },
                _ => errors.push(format!("link setting {key:?} is unknown and was ignored")),
            }
        }
        let knobs = &mut c.settings.knobs;
        knobs.chains = knobs.chains.min(knobs.budget);
        (c, errors)
    }

    pub fn to_query(&self) -> String {
        let mut q = vec![
            format!("view={}", name_of(&VIEWS, self.view)),
            format!("level={}", self.level),
            format!("index={}", self.index),
        ];
        if let Some(p) = &self.problem {
            q.push(format!("problem={}", encode(p)));
        }
        let Settings { knobs, common, verifier } = &self.settings;
        q.extend([
            format!("budget={}", knobs.budget),
            format!("temp={}", common.temperature),
            format!("seed={}", common.seed),
            format!("sel={}", common.selection),
            format!("agg={}", common.aggregation),
            format!("width={}", knobs.width),
            format!("k={}", knobs.lookahead),
            format!("chains={}", knobs.chains),
            format!("verifier={verifier}"),
            format!("sweep_problems={}", self.sweep.problems),
            format!("sweep_budget={}", self.sweep.max_budget),
        ]);
        if self.lanes != [true; LANE_KEYS.len()] {
            let on: Vec<&str> = LANE_KEYS.iter().zip(self.lanes).filter(|(_, on)| *on).map(|(k, _)| *k).collect();
            q.push(format!("lanes={}", on.join(",")));
        }
        if self.view == View::Lessons {
            q.push(format!("chapter={}", self.chapter));
        }
        if self.projector {
            q.push("projector=1".into());
        }
        if self.backend != BackendPref::Auto {
            q.push(format!("backend={}", name_of(&BACKENDS, self.backend)));
        }
        format!("?{}", q.join("&"))
    }

    /// The configured problem (the typed one, else the drawn one), or the parser's message.
    pub fn problem_to_solve(&self) -> Result<ChainProblem, String> {
        let task = ArithmeticChain;
        match &self.problem {
            Some(text) => task.parse(text).map_err(|e| e.to_string()),
            None => Level::new(self.level).map(|l| task.generate(l, DRAW_SEED, self.index)).map_err(|e| e.to_string()),
        }
    }
}
