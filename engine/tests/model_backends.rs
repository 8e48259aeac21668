//! The model and the decoder on every native backend: burn's CPU backend (flex) and wgpu
//! (lavapipe in CI). wgpu tests run when an adapter exists; with PONDER_REQUIRE_WGPU=1 (set by
//! CI) a missing adapter is a failure instead of a skip.

use engine::backend;
use engine::infer::{CancelToken, DecodeLimits, Decoder, Generator, PrmScorer, RowStart, ScoreItem, Scorer, StopAt, right_padded};
use engine::model::weights::{random_language_model, random_reward_model};
use engine::model::{CacheAttention, HostInput, HostLanguageModel, HostRewardModel, KvCache, LanguageModel, MASK_VALUE, ModelConfig, Positions};
use engine::task::{ArithmeticChain, Level, Task, Token, Tokenizer};
use engine::Device;
use burn::tensor::{Int, Tensor, TensorData};

fn devices() -> Vec<(&'static str, Device)> {
    let mut out = vec![("cpu", backend::cpu().0)];
    match backend::wgpu() {
        Ok((d, _)) => out.push(("wgpu", d)),
        Err(e) => {
            if std::env::var("PONDER_REQUIRE_WGPU").as_deref() == Ok("1") {
                panic!("PONDER_REQUIRE_WGPU=1 but wgpu is unavailable: {e}");
            }
            eprintln!("skipping wgpu: {e}");
        }
    }
    out
}

fn config() -> ModelConfig {
    ModelConfig::small(ArithmeticChain.tokenizer().vocab_size())
}

/// The generator's shape with each way of encoding positions.
fn both_positions() -> [ModelConfig; 2] {
    [ModelConfig { positions: Positions::Learned, ..config() }, ModelConfig { positions: Positions::Rotary, ..config() }]
}

fn sample_tokens(n: usize) -> Vec<Token> {
    let t = ArithmeticChain.tokenizer();
    let p = ArithmeticChain.generate(Level::new(4).unwrap(), 1, 0);
    let mut ids = vec![Tokenizer::BOS];
    ids.extend(t.encode(&(ArithmeticChain.prompt(&p) + &ArithmeticChain.reference_solution(&p))).unwrap());
    ids.truncate(n);
    ids
}

fn ints(v: &[i64], shape: [usize; 2], d: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), d)
}

fn causal(t: usize, d: &Device) -> Tensor<4> {
    let mut m = vec![0.0f32; t * t];
    for q in 0..t {
        for k in q + 1..t {
            m[q * t + k] = MASK_VALUE;
        }
    }
    Tensor::from_data(TensorData::new(m, [1, 1, t, t]), d)
}

fn full_logits(lm: &LanguageModel, tokens: &[Token], d: &Device) -> Vec<f32> {
    let t = tokens.len();
    let ids: Vec<i64> = tokens.iter().map(|&x| x as i64).collect();
    let pos: Vec<i64> = (0..t as i64).collect();
    lm.forward(ints(&ids, [1, t], d), ints(&pos, [1, t], d), causal(t, d)).into_data().iter::<f32>().collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn kv_cache_decoding_equals_full_forward() {
    for cfg in both_positions() {
        kv_cache_decoding_equals_full_forward_with(&cfg);
    }
}

fn kv_cache_decoding_equals_full_forward_with(cfg: &ModelConfig) {
    let cfg = cfg.clone();
    for (name, d) in devices() {
        let name = format!("{name}, {:?} positions", cfg.positions);
        let lm = random_language_model(&cfg, 3, &d).unwrap();
        let tokens = sample_tokens(40);
        let v = cfg.vocab_size;
        let full = full_logits(&lm, &tokens, &d);
        // prefill the first 10 tokens, then one token at a time
        let mut cache = KvCache::new(&cfg, 1, cfg.max_len, &d);
        let pre = 10;
        let ids: Vec<i64> = tokens[..pre].iter().map(|&x| x as i64).collect();
        let pos: Vec<i64> = (0..pre as i64).collect();
        let last = lm.forward_cached(ints(&ids, [1, pre], &d), ints(&pos, [1, pre], &d), causal(pre, &d), &mut cache, 0);
        let got: Vec<f32> = last.into_data().iter::<f32>().collect();
        assert!(max_diff(&got, &full[(pre - 1) * v..pre * v]) < 1e-4, "{name}: prefill logits differ");
        for (i, &tok) in tokens.iter().enumerate().skip(pre) {
            // Decode steps attend to a bucketed width; the slots past this one are masked.
            let width = cache.visible(i + 1);
            let row: Vec<f32> = (0..width).map(|j| if j <= i { 0.0 } else { engine::model::MASK_VALUE }).collect();
            let mask = Tensor::<4>::from_data(burn::tensor::TensorData::new(row, [1, 1, 1, width]), &d);
            let out = lm.forward_cached(ints(&[tok as i64], [1, 1], &d), ints(&[i as i64], [1, 1], &d), mask, &mut cache, i);
            let got: Vec<f32> = out.into_data().iter::<f32>().collect();
            let diff = max_diff(&got, &full[i * v..(i + 1) * v]);
            assert!(diff < 1e-4, "{name}: position {i} differs by {diff}");
        }
    }
}

#[test]
fn backends_agree_with_the_cpu_reference() {
    let tokens = sample_tokens(60);
    for cfg in both_positions() {
        let reference = {
            let d = backend::cpu().0;
            full_logits(&random_language_model(&cfg, 5, &d).unwrap(), &tokens, &d)
        };
        for (name, d) in devices() {
            let got = full_logits(&random_language_model(&cfg, 5, &d).unwrap(), &tokens, &d);
            let diff = max_diff(&got, &reference);
            assert!(diff < 1e-3, "{name}, {:?} positions: logits differ from the CPU reference by {diff}", cfg.positions);
            assert!(got.iter().all(|x| x.is_finite()), "{name}: non-finite logits");
        }
    }
    let cfg = config();
    // the PRM too
    let tokenizer = ArithmeticChain.tokenizer();
    let item = ScoreItem { context: tokens[..8].to_vec(), solution: tokens[8..].to_vec() };
    let mut scores = Vec::new();
    for (name, d) in devices() {
        let prm = random_reward_model(&cfg, 9, &d).unwrap();
        let mut scorer = PrmScorer::new(&prm, &cfg, &tokenizer, &d);
        let s = pollster::block_on(scorer.score(std::slice::from_ref(&item))).unwrap();
        assert!(!s[0].is_empty() && s[0].iter().all(|x| (0.0..=1.0).contains(x)), "{name}: {s:?}");
        scores.push(s[0].clone());
    }
    for s in &scores[1..] {
        assert!(max_diff(s, &scores[0]) < 1e-4);
    }
    // and its logits, which carry the solution's log-likelihood: a random model's probabilities
    // are near 0 after a few steps, so they alone would hide a difference.
    let t = tokens.len();
    let ids: Vec<i64> = tokens.iter().map(|&x| x as i64).collect();
    let pos: Vec<i64> = (0..t as i64).collect();
    let mut logits = Vec::new();
    for (name, d) in devices() {
        let prm = random_reward_model(&cfg, 9, &d).unwrap();
        let l: Vec<f32> = prm.logits(ints(&ids, [1, t], &d), ints(&pos, [1, t], &d), causal(t, &d)).into_data().iter::<f32>().collect();
        assert!(l.iter().all(|x| x.is_finite()), "{name}: non-finite PRM logits");
        logits.push((name, l));
    }
    let (_, reference) = &logits[0];
    assert!(reference.iter().any(|&x| x < -10.0), "the likelihood term should reach the logits: {reference:?}");
    for (name, l) in &logits[1..] {
        for (a, b) in l.iter().zip(reference) {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1.0), "{name}: PRM logit {a} against the CPU's {b}");
        }
    }
}

/// The PRM scores on the CPU through the host forward pass; its probabilities at every
/// position of right-padded sequences are those of burn's own forward pass.
#[test]
fn the_host_reward_model_matches_burn() {
    let cfg = config();
    let d = backend::cpu().0;
    let prm = random_reward_model(&cfg, 29, &d).unwrap();
    let seqs: Vec<Vec<Token>> = (0..6).map(|i| sample_tokens(10 + 7 * i)).collect();
    let rows: Vec<&[Token]> = seqs.iter().map(Vec::as_slice).collect();
    let (tokens, positions, _, t) = right_padded(&rows);
    let b = seqs.len();
    let host_tokens: Vec<Token> = tokens.iter().map(|&x| x as Token).collect();
    let fused = HostRewardModel::new(&prm, &cfg).forward(&host_tokens, t, &right_padded(&rows).2);
    let plain = prm.forward(ints(&tokens, [b, t], &d), ints(&positions, [b, t], &d), causal(t, &d).expand([b, 1, t, t]));
    let plain: Vec<f32> = plain.into_data().iter().collect();
    for (r, s) in seqs.iter().enumerate() {
        let real = r * t..r * t + s.len();
        let diff = max_diff(&fused[real.clone()], &plain[real]);
        assert!(diff < 1e-5, "row {r}: probabilities differ by {diff}");
    }
}

fn decode(lm: &LanguageModel, d: &Device, starts: Vec<RowStart>, temperature: f32) -> Vec<Vec<Token>> {
    let cfg = config();
    let mut dec = Decoder::new(lm, &cfg, &ArithmeticChain.tokenizer(), d, DecodeLimits { max_new_tokens: 30, max_step_tokens: 31, ..DecodeLimits::default() }, CancelToken::new());
    pollster::block_on(dec.start(starts)).unwrap();
    pollster::block_on(dec.extend(StopAt::AnswerEnd, temperature, None, &mut |_, _| {})).unwrap();
    dec.rows().iter().map(|r| r.generated().to_vec()).collect()
}

#[test]
fn seeded_sampling_is_deterministic_and_greedy_matches_full_forward() {
    let cfg = config();
    let prompts = [sample_tokens(12), sample_tokens(5), sample_tokens(12)];
    for (name, d) in devices() {
        let lm = random_language_model(&cfg, 11, &d).unwrap();
        let starts = || prompts.iter().enumerate().map(|(i, p)| RowStart { context: p.clone(), seed: 100 + (i % 2) as u64 }).collect::<Vec<_>>();
        let a = decode(&lm, &d, starts(), 1.0);
        let b = decode(&lm, &d, starts(), 1.0);
        assert_eq!(a, b, "{name}: same seeds gave different samples");
        assert_eq!(a[0], a[2], "{name}: same prompt and seed in one batch differ");
        let other = decode(&lm, &d, prompts.iter().map(|p| RowStart { context: p.clone(), seed: 7 }).collect(), 1.0);
        assert_ne!(a[0], other[0], "{name}: a different seed gave the same sample");
        // greedy decoding of a mixed-length, left-padded batch equals step-by-step argmax
        // of the full forward pass of each sequence alone
        let greedy = decode(&lm, &d, starts(), 0.0);
        for (p, g) in prompts.iter().zip(&greedy) {
            let mut seq = p.clone();
            for &tok in g {
                let logits = full_logits(&lm, &seq, &d);
                let v = cfg.vocab_size;
                let last = &logits[(seq.len() - 1) * v..];
                let forbidden = [Tokenizer::PAD, Tokenizer::BOS, Tokenizer::REV];
                let best = (0..v).filter(|i| !forbidden.contains(&(*i as Token))).fold(None, |b: Option<usize>, i| match b {
                    Some(b) if last[b] >= last[i] => Some(b),
                    _ => Some(i),
                });
                let best = best.unwrap();
                assert_eq!(tok, best as Token, "{name}: greedy token differs from the full forward pass");
                seq.push(tok);
            }
        }
    }
}

#[test]
fn forked_rows_continue_like_their_parent() {
    let cfg = config();
    for (name, d) in devices() {
        let lm = random_language_model(&cfg, 13, &d).unwrap();
        let mut dec = Decoder::new(&lm, &cfg, &ArithmeticChain.tokenizer(), &d, DecodeLimits::default(), CancelToken::new());
        pollster::block_on(dec.start(vec![RowStart { context: sample_tokens(9), seed: 1 }, RowStart { context: sample_tokens(14), seed: 2 }])).unwrap();
        pollster::block_on(dec.extend(StopAt::StepEnd, 0.0, None, &mut |_, _| {})).unwrap();
        dec.select(&[1, 1, 0], &[5, 6, 7]).unwrap();
        pollster::block_on(dec.extend(StopAt::AnswerEnd, 0.0, None, &mut |_, _| {})).unwrap();
        let rows = dec.rows();
        assert_eq!(rows[0].tokens, rows[1].tokens, "{name}: greedy forks diverged");
        assert_eq!(rows[0].context_len, 14);
        assert_eq!(rows[2].context_len, 9);
    }
}

/// Counts the launches of each kernel while installed (cubecl's launch observer).
#[derive(Default)]
struct Launches(std::sync::Mutex<std::collections::HashMap<&'static str, usize>>);

impl cubecl_runtime::logging::LaunchObserver for Launches {
    fn launched(&self, kernel: &'static str) {
        *self.0.lock().unwrap().entry(kernel).or_default() += 1;
    }
}

/// On wgpu, attention over the cache runs as one hand-written WGSL dispatch per layer
/// (`shaders/cached_attention.wgsl`); it must decode exactly as burn's operations do: a
/// left-padded batch of mixed lengths, steps that park finished rows, and forks. (The logits of
/// prefill and of single decode steps are compared with the full forward pass to 1e-4 in
/// `kv_cache_decoding_equals_full_forward`, which goes through the kernel on wgpu too.)
#[test]
fn the_wgpu_attention_kernel_decodes_like_burn_operations() {
    let Some((_, d)) = devices().into_iter().find(|(name, _)| *name == "wgpu") else { return };
    let launches = std::sync::Arc::new(Launches::default());
    for cfg in both_positions() {
        let lm = random_language_model(&cfg, 17, &d).unwrap();
        let run = |attention| {
            let limits = DecodeLimits { max_new_tokens: 30, max_step_tokens: 31, ..DecodeLimits::default() };
            let mut dec = Decoder::new(&lm, &cfg, &ArithmeticChain.tokenizer(), &d, limits, CancelToken::new()).with_cache_attention(attention);
            let starts = [sample_tokens(9), sample_tokens(14), sample_tokens(4)];
            pollster::block_on(dec.start(starts.iter().enumerate().map(|(i, c)| RowStart { context: c.clone(), seed: i as u64 }).collect())).unwrap();
            pollster::block_on(dec.extend(StopAt::StepEnd, 0.0, None, &mut |_, _| {})).unwrap();
            dec.select(&[1, 1, 0, 2], &[5, 6, 7, 8]).unwrap();
            pollster::block_on(dec.extend(StopAt::AnswerEnd, 0.0, None, &mut |_, _| {})).unwrap();
            dec.rows().iter().map(|r| r.tokens.clone()).collect::<Vec<_>>()
        };
        let by_burn = run(CacheAttention::BurnOperations);
        let watching = cubecl_runtime::logging::LaunchObservation::new(launches.clone());
        let by_kernel = run(CacheAttention::Kernel);
        drop(watching);
        assert_eq!(by_kernel, by_burn, "{:?} positions: the kernel decoded other tokens", cfg.positions);
    }
    let kernel_launches: usize = launches.0.lock().unwrap().iter().filter(|(name, _)| name.contains("CachedAttentionKernel")).map(|(_, n)| n).sum();
    assert!(kernel_launches > 0, "the WGSL attention kernel never ran: {:?}", launches.0.lock().unwrap().keys().collect::<Vec<_>>());
}

/// A row that ends at the model's last position must not stop the others: when the batch's
/// shared slots run out, the cache is rebuilt from the rows still decoding (a finished row at
/// full length once made the rebuild fail with "a context of N tokens does not fit").
#[test]
fn rows_that_end_at_the_last_position_do_not_stop_the_others() {
    use engine::infer::FinishReason;
    let cfg = ModelConfig { max_len: 24, ..config() };
    let d = backend::cpu().0;
    let mut rebuilt = 0;
    for seed in 0..12 {
        let lm = random_language_model(&cfg, seed, &d).unwrap();
        let mut dec = Decoder::new(&lm, &cfg, &ArithmeticChain.tokenizer(), &d, DecodeLimits { max_new_tokens: 100, max_step_tokens: 100, ..DecodeLimits::default() }, CancelToken::new());
        let long = sample_tokens(20);
        let short = sample_tokens(2);
        pollster::block_on(dec.start(vec![RowStart { context: long, seed }, RowStart { context: short, seed: seed + 1 }])).unwrap();
        pollster::block_on(dec.extend(StopAt::AnswerEnd, 1.0, None, &mut |_, _| {})).unwrap();
        let rows = dec.rows();
        // The long row reached the last position, and the short one decoded past the slot where
        // the batch's slots ran out: the cache was rebuilt without the finished row.
        if rows[0].finished == Some(FinishReason::Length) && rows[1].generated().len() > cfg.max_len - 19 {
            rebuilt += 1;
        }
    }
    assert!(rebuilt > 0, "no seed exercised a rebuild after a row ended at the last position");
}

/// A batch whose KV cache would pass the limit on one GPU buffer is decoded in parts, with
/// the same tokens as in one piece, also when forks move rows across parts.
#[test]
fn a_batch_past_the_cache_limit_is_split_into_parts_with_the_same_result() {
    let cfg = config();
    let row = KvCache::row_bytes(&cfg, cfg.max_len);
    for (name, d) in devices() {
        let lm = random_language_model(&cfg, 17, &d).unwrap();
        let run = |part_bytes: usize, temperature: f32| {
            let limits = DecodeLimits { max_cache_part_bytes: part_bytes, ..DecodeLimits::default() };
            let mut dec = Decoder::new(&lm, &cfg, &ArithmeticChain.tokenizer(), &d, limits, CancelToken::new());
            let starts = (0..7).map(|i| RowStart { context: sample_tokens(4 + i), seed: i as u64 }).collect();
            pollster::block_on(dec.start(starts)).unwrap();
            pollster::block_on(dec.extend(StopAt::StepEnd, temperature, None, &mut |_, _| {})).unwrap();
            dec.select(&[6, 0, 3, 3, 5, 1, 2, 4], &[10, 11, 12, 13, 14, 15, 16, 17]).unwrap();
            pollster::block_on(dec.extend(StopAt::AnswerEnd, temperature, None, &mut |_, _| {})).unwrap();
            dec.rows().iter().map(|r| r.tokens.clone()).collect::<Vec<_>>()
        };
        // Software GPUs may round a 2-row batch differently from an 8-row one; greedy
        // decoding is compared everywhere, sampling on the CPU.
        let temperatures: &[f32] = if name == "cpu" { &[0.0, 1.0] } else { &[0.0] };
        for &t in temperatures {
            assert_eq!(run(3 * row, t), run(usize::MAX, t), "{name}: parts of 3 rows decode differently (temperature {t})");
        }
    }
}

/// On burn's CPU backend the models run in host memory (`model::host`: a host cache attended
/// by a fused loop, only the decoding rows computed); that must give the logits of plain burn
/// operations over a tensor cache: left-padded prefill, decode steps with parked rows, forks
/// and a gather of rows from two caches; a small batch and one large enough to be spread over
/// threads.
#[test]
fn the_host_forward_pass_matches_burn_over_a_tensor_cache() {
    for cfg in both_positions() {
        for rows in [5, 40] {
            host_forward_matches_burn(&cfg, rows);
        }
    }
}

/// With rotary positions a model reads distances: the same tokens shifted to later positions
/// give the same logits (learned positions do not).
#[test]
fn rotary_positions_read_distances_not_places() {
    let d = backend::cpu().0;
    let tokens = sample_tokens(40);
    let t = tokens.len();
    let ids: Vec<i64> = tokens.iter().map(|&x| x as i64).collect();
    let logits_from = |lm: &LanguageModel, first: i64| -> Vec<f32> {
        let pos: Vec<i64> = (first..first + t as i64).collect();
        lm.forward(ints(&ids, [1, t], &d), ints(&pos, [1, t], &d), causal(t, &d)).into_data().iter::<f32>().collect()
    };
    let [learned, rotary] = both_positions();
    let rotary = random_language_model(&rotary, 7, &d).unwrap();
    let shift = max_diff(&logits_from(&rotary, 0), &logits_from(&rotary, 150));
    assert!(shift < 1e-3, "rotary logits move by {shift} when every position moves by 150");
    let learned = random_language_model(&learned, 7, &d).unwrap();
    assert!(max_diff(&logits_from(&learned, 0), &logits_from(&learned, 150)) > 1e-2, "learned positions should depend on the place");
}

fn host_forward_matches_burn(cfg: &ModelConfig, rows: usize) {
    let cfg = cfg.clone();
    let d = backend::cpu().0;
    let lm = random_language_model(&cfg, 23, &d).unwrap();
    let contexts: Vec<Vec<Token>> = (0..rows).map(|i| sample_tokens(6 + 3 * (i % 7))).collect();
    let t0 = contexts.iter().map(Vec::len).max().unwrap();
    let slices: Vec<&[Token]> = contexts.iter().map(Vec::as_slice).collect();
    let (tokens, positions, mask) = engine::infer::left_padded(&slices, t0);
    let mut valid: Vec<Vec<bool>> = contexts.iter().map(|c| (0..t0).map(|s| s >= t0 - c.len()).collect()).collect();
    let host_lm = HostLanguageModel::new(&lm, &cfg);
    let mut host = KvCache::host(&cfg, rows, cfg.max_len);
    let mut reference = KvCache::new(&cfg, rows, cfg.max_len, &d);
    let values = |t: Tensor<2>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    let all: Vec<usize> = (0..rows).collect();
    let host_tokens = |ids: &[i64]| -> Vec<Token> { ids.iter().map(|&x| x as Token).collect() };
    let host_positions = |ps: &[i64]| -> Vec<usize> { ps.iter().map(|&p| p as usize).collect() };
    let prefill_mask = Tensor::<4>::from_data(TensorData::new(mask.clone(), [rows, 1, t0, t0]), &d);
    let got = host_lm.forward_cached(&mut host, &HostInput { rows: &all, tokens: &host_tokens(&tokens), positions: &host_positions(&positions), mask: &mask, shared_mask: false, start: 0 });
    let want = values(lm.forward_cached(ints(&tokens, [rows, t0], &d), ints(&positions, [rows, t0], &d), prefill_mask, &mut reference, 0));
    // Padded query positions attend to nothing; only the real last positions are compared.
    assert!(max_diff(&got, &want) < 1e-5, "{rows} rows: prefill logits differ");
    let mut next: Vec<i64> = contexts.iter().map(|c| *c.last().unwrap() as i64).collect();
    let mut pos: Vec<i64> = contexts.iter().map(|c| c.len() as i64).collect();
    for step in 0..45 {
        let slot = t0 + step;
        if step == 20 {
            // Forks: row 3 repeated, row 0 dropped.
            let picks: Vec<usize> = (0..rows).map(|i| if i % 4 == 0 { 3 } else { (i + 1) % rows }).collect();
            host.select_rows(&picks, &d);
            reference.select_rows(&picks, &d);
            valid = picks.iter().map(|&r| valid[r].clone()).collect();
            next = picks.iter().map(|&r| next[r]).collect();
            pos = picks.iter().map(|&r| pos[r]).collect();
        }
        if step == 30 {
            // Rows gathered from the cache and a copy of it, in another order.
            let picks: Vec<(usize, usize)> = (0..rows).map(|i| (i % 2, rows - 1 - i)).collect();
            let whole: Vec<(usize, usize)> = (0..rows).map(|i| (0, i)).collect();
            let gather = |cache: KvCache| {
                let copy = KvCache::gather(std::slice::from_ref(&cache), &whole, &d);
                KvCache::gather(&[cache, copy], &picks, &d)
            };
            host = gather(host);
            reference = gather(reference);
            valid = picks.iter().map(|&(_, r)| valid[r].clone()).collect();
            next = picks.iter().map(|&(_, r)| next[r]).collect();
            pos = picks.iter().map(|&(_, r)| pos[r]).collect();
        }
        // Row 2 is parked on odd steps: its slot stays masked.
        let active: Vec<bool> = (0..rows).map(|r| r != 2 || step % 2 == 0).collect();
        let width = host.visible(slot + 1);
        let mut step_mask = Vec::new();
        for (r, v) in valid.iter_mut().enumerate() {
            v.push(active[r]);
            step_mask.extend(v.iter().map(|&ok| if ok { 0.0 } else { MASK_VALUE }));
            step_mask.extend(std::iter::repeat_n(MASK_VALUE, width - v.len()));
        }
        let mask = Tensor::<4>::from_data(TensorData::new(step_mask.clone(), [rows, 1, 1, width]), &d);
        let want = values(lm.forward_cached(ints(&next, [rows, 1], &d), ints(&pos, [rows, 1], &d), mask, &mut reference, slot));
        // The host pass computes the active rows alone, under a mask of the filled slots only.
        let live: Vec<usize> = (0..rows).filter(|&r| active[r]).collect();
        let pick = |xs: &[i64]| -> Vec<i64> { live.iter().map(|&r| xs[r]).collect() };
        let live_mask: Vec<f32> = live.iter().flat_map(|&r| step_mask[r * width..r * width + slot + 1].iter().copied()).collect();
        let got = host_lm.forward_cached(&mut host, &HostInput { rows: &live, tokens: &host_tokens(&pick(&next)), positions: &host_positions(&pick(&pos)), mask: &live_mask, shared_mask: false, start: slot });
        let v = cfg.vocab_size;
        let want_live: Vec<f32> = live.iter().flat_map(|&r| want[r * v..(r + 1) * v].iter().copied()).collect();
        let diff = max_diff(&got, &want_live);
        assert!(diff < 1e-5, "{rows} rows, step {step}: logits differ by {diff}");
        // The greedy token of each active row feeds the next step.
        for r in 0..rows {
            if active[r] {
                let logits = &want[r * cfg.vocab_size..(r + 1) * cfg.vocab_size];
                next[r] = (0..cfg.vocab_size).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap() as i64;
                pos[r] += 1;
            }
        }
    }
}

/// The PyTorch reference (`bench/reference.py`) computes what the engine computes with rotary
/// positions, through its full forward pass and its KV cache. Runs where python3 has torch
/// (`PONDER_REQUIRE_TORCH=1` makes a missing torch a failure); CI has none.
#[test]
fn rotary_positions_match_the_pytorch_reference() {
    use engine::model::weights::{MANIFEST_FILE, MANIFEST_FORMAT, Manifest, Role, entry_for, to_safetensors};
    let has_torch = std::process::Command::new("python3").args(["-c", "import torch, safetensors"]).output().is_ok_and(|o| o.status.success());
    if !has_torch {
        assert!(std::env::var("PONDER_REQUIRE_TORCH").is_err(), "PONDER_REQUIRE_TORCH is set but python3 cannot import torch");
        eprintln!("skipping: python3 with torch and safetensors is not installed");
        return;
    }
    let cfg = ModelConfig { positions: Positions::Rotary, ..config() };
    let d = backend::cpu().0;
    let lm = random_language_model(&cfg, 11, &d).unwrap();
    let dir = std::env::temp_dir().join(format!("ponder-rotary-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = to_safetensors(&lm, "generator.safetensors").unwrap();
    std::fs::write(dir.join("generator.safetensors"), &bytes).unwrap();
    let task = ArithmeticChain;
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        task: task.name().into(),
        alphabet: task.tokenizer().alphabet(),
        models: [(Role::Generator, entry_for(Role::Generator, &cfg, "generator.safetensors", &bytes))].into(),
    };
    std::fs::write(dir.join(MANIFEST_FILE), serde_json::to_string(&manifest).unwrap()).unwrap();
    // Two rows, the second starting at position 100: rotary angles well past the first few.
    let tokens = sample_tokens(30);
    let t = tokens.len();
    let ids: Vec<i64> = tokens.iter().chain(&tokens).map(|&x| x as i64).collect();
    let positions: Vec<i64> = (0..t as i64).chain(100..100 + t as i64).collect();
    let logits: Vec<f32> = lm.forward(ints(&ids, [2, t], &d), ints(&positions, [2, t], &d), causal(t, &d).expand([2, 1, t, t])).into_data().iter::<f32>().collect();
    let v = cfg.vocab_size;
    let nested: Vec<Vec<Vec<f32>>> = logits.chunks(t * v).map(|row| row.chunks(v).map(<[f32]>::to_vec).collect()).collect();
    let rows = |xs: &[i64]| xs.chunks(t).map(<[i64]>::to_vec).collect::<Vec<_>>();
    let check = dir.join("check.json");
    std::fs::write(&check, serde_json::json!({ "tokens": rows(&ids), "positions": rows(&positions), "logits": nested }).to_string()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/reference.py");
    let out = std::process::Command::new("python3").arg(script).args(["--models".as_ref(), dir.as_os_str(), "--check".as_ref(), check.as_os_str()]).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let verdict = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "reference: {verdict} {}", String::from_utf8_lossy(&out.stderr));
    assert!(verdict.contains("\"ok\": true") && verdict.contains("\"cache_matches_full\": true"), "{verdict}");
}

