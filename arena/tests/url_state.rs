//! Property tests of the arena's link syntax (`arena::config`), which the web app reads from
//! its address and the desktop app from `--config`.
//! `PONDER_PROPTEST_CASES` sets the cases per property (2,000 by default; `scripts/fuzz.sh`
//! runs 100,000).

use arena::{config, settings};
use config::{BUDGETS, Config, LANE_KEYS, MAX_QUERY};
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn cases() -> u32 {
    std::env::var("PONDER_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

/// Every field of a parsed configuration is inside its documented range.
fn in_range(c: &Config) -> Result<(), TestCaseError> {
    prop_assert!((1..=5).contains(&c.level));
    prop_assert!((1..=config::CHAPTERS).contains(&c.chapter));
    prop_assert!(c.index < 1_000_000);
    let (knobs, common) = (&c.settings.knobs, &c.settings.common);
    prop_assert!(BUDGETS.contains(&knobs.budget));
    prop_assert!(knobs.chains >= 1 && knobs.chains <= knobs.budget && BUDGETS.contains(&knobs.chains));
    prop_assert!((0.0..=2.0).contains(&common.temperature));
    prop_assert!(common.seed <= u32::MAX as u64);
    prop_assert!((1..=16).contains(&knobs.width));
    prop_assert!((1..=8).contains(&knobs.lookahead));
    prop_assert!((1..=20).contains(&c.sweep.problems));
    prop_assert!(BUDGETS.contains(&c.sweep.max_budget) && c.sweep.max_budget <= 64);
    if let Some(p) = &c.problem {
        prop_assert!(!p.trim().is_empty() && p.chars().count() <= 80);
    }
    Ok(())
}

const KEYS: [&str; 22] = [
    "view", "chapter", "projector", "bench", "backend", "level", "index", "problem", "budget", "temp", "seed", "sel", "agg", "width", "k", "chains", "verifier",
    "lanes", "sweep_problems", "sweep_budget", "unknown", "",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,25}",
        "-?[0-9]{1,3}(\\.[0-9]{0,3})?",
        "(NaN|inf|-inf|1e9|0x10|\\+1| 4 |%2|%ZZ|%FF%FE|%00)",
        "[a-z_,]{0,40}",
        Just(LANE_KEYS.join(",")),
    ]
}

proptest! {
    // No failure files: the module is compiled from another crate's folder.
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_query_parses_without_panic_and_stays_in_range(q in any::<String>()) {
        let t = Instant::now();
        let (c, errors) = Config::from_query(&q);
        prop_assert!(t.elapsed() < Duration::from_millis(200), "slow on {q:?}");
        in_range(&c)?;
        prop_assert!(errors.iter().all(|e| !e.is_empty()));
    }

    #[test]
    fn known_keys_with_odd_values_are_refused_by_name(pairs in proptest::collection::vec((0..KEYS.len(), value()), 0..12)) {
        // '&' would start a pair under another name; every other character stays in the value.
        let q: String = pairs.iter().map(|(k, v)| format!("{}={}", KEYS[*k], v.replace('&', ""))).collect::<Vec<_>>().join("&");
        let (c, errors) = Config::from_query(&q);
        in_range(&c)?;
        if q.len() <= MAX_QUERY {
            // Every message names the setting it refused.
            for e in &errors {
                prop_assert!(KEYS.iter().any(|k| !k.is_empty() && e.contains(k)) || e.contains("\"\""), "{e}");
            }
        } else {
            prop_assert_eq!(errors.len(), 1);
        }
    }

    #[test]
    fn every_valid_configuration_survives_its_link(
        level in 1u8..=5, index in 0u64..1_000_000, budget_i in 0..BUDGETS.len(), chains_i in 0..BUDGETS.len(),
        temp_milli in 0u32..=2000, seed in 0u64..=u32::MAX as u64, width in 1usize..=16, k in 1usize..=8,
        sel in 0..3usize, agg in 0..3usize, verifier in 0..3usize, view in 0..5usize, chapter in 1u8..=config::CHAPTERS, projector in any::<bool>(),
        lanes in proptest::array::uniform5(any::<bool>()), sweep_problems in 1usize..=20, sweep_budget_i in 0usize..7,
        problem in proptest::option::of("[0-9+*/ -]{1,40}"),
    ) {
        let budget = BUDGETS[budget_i];
        let mut c = Config {
            level, index,
            settings: settings::Settings {
                knobs: engine::search::Knobs { budget, chains: BUDGETS[chains_i].min(budget), width, lookahead: k, ..engine::search::Knobs::default() },
                common: engine::search::Common {
                    temperature: temp_milli as f32 / 1000.0, seed,
                    selection: ["majority", "weighted", "max"][sel].parse().unwrap(),
                    aggregation: ["last", "min", "product"][agg].parse().unwrap(),
                },
                ..settings::Settings::default()
            },
            sweep: settings::SweepSize { problems: sweep_problems, max_budget: BUDGETS[sweep_budget_i] },
            ..Config::default()
        };
        c.settings.verifier = ["prm", "prm_large", "oracle"][verifier].parse().unwrap();
        c.view = [config::View::Arena, config::View::Sweep, config::View::Bench, config::View::Study, config::View::Lessons][view];
        // The chapter is in the link only in the lessons view.
        if c.view == config::View::Lessons { c.chapter = chapter; }
        c.projector = projector;
        if lanes.iter().any(|&on| on) { c.lanes = lanes; }
        c.problem = problem.filter(|p| !p.trim().is_empty()).map(|p| p.trim().to_string());
        let (back, errors) = Config::from_query(&c.to_query());
        prop_assert!(errors.is_empty(), "{errors:?} from {}", c.to_query());
        prop_assert_eq!(back, c);
    }
}

#[test]
fn an_overlong_query_is_refused_whole() {
    let (c, errors) = Config::from_query(&format!("level=3&{}", "x".repeat(MAX_QUERY)));
    assert_eq!(c, Config::default());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("at most 2000"), "{}", errors[0]);
}

#[test]
fn a_chapter_link_opens_that_chapter_and_bad_chapters_are_named() {
    let (c, errors) = Config::from_query("view=lessons&chapter=4&budget=64&projector=1");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((c.view, c.chapter, c.projector, c.settings.knobs.budget), (config::View::Lessons, 4, true, 64));
    assert!(c.to_query().contains("chapter=4") && c.to_query().contains("projector=1"));
    for bad in ["chapter=0", "chapter=7", "chapter=two", "projector=maybe"] {
        let (c, errors) = Config::from_query(bad);
        assert_eq!((c.chapter, c.projector), (1, false), "{bad}");
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
    }
}
