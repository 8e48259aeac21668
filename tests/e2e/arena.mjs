// End-to-end tests of the web app in headless Chromium: WebGPU (SwiftShader) and CPU runs of
// every lane, typed-problem errors, a corrupted weight file, Stop, greedy answers against the
// native `ponder solve`, same-origin requests, and screenshots (tests/e2e/screenshots/).
//
// Usage: node arena.mjs [--dist ../../dist] [--ponder path/to/ponder]
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { extname, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const dist = resolve(arg('--dist', join(here, '../../dist')));
const ponder = arg('--ponder', process.env.PONDER_BIN);
const shots = join(here, 'screenshots');
await mkdir(shots, { recursive: true });

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = join(dist, path.endsWith('/') ? path + 'index.html' : path);
  if (!file.startsWith(dist)) { res.writeHead(403).end(); return; }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  } catch { res.writeHead(404).end('not found'); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;
console.log(`serving ${dist} at ${origin}`);

const flags = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const gpuBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...flags, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'] });
const cpuBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...flags, '--disable-features=WebGPU'] });

let failures = 0;
// --only TEXT runs the tests whose names contain TEXT.
const only = arg('--only', '');
async function test(name, body) {
  if (!name.includes(only)) return;
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}
function check(cond, message) { if (!cond) throw new Error(message); }

/// A page that records page errors and every request's origin.
async function open(browser, query, { viewport = { width: 1400, height: 1000 }, route } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.foreign = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  // The context sees the engine worker's requests as well as the page's.
  context.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) page.foreign.push(r.url()); });
  if (route) await route(page);
  await page.goto(`${origin}/${query}`);
  return page;
}

async function ready(page) {
  await page.getByTestId('models-ready').waitFor({ timeout: 120_000 });
}

/// Runs the arena and waits for every lane to finish; returns each lane's verdict and compute.
async function runArena(page, timeout = 600_000, { busyPage = false } = {}) {
  // A page busy on SwiftShader may not take a pointer click in time: click from the page then.
  if (busyPage) await page.evaluate(() => document.querySelector('[data-testid=run]').click());
  else await page.getByTestId('run').click();
  await page.waitForFunction(() => document.querySelectorAll('.lane[data-running=false] [data-testid=verdict]').length === document.querySelectorAll('.lane').length, null, { timeout, polling: 250 });
  return page.$$eval('.lane', (lanes) => lanes.map((l) => ({
    strategy: l.dataset.strategy,
    verdict: l.querySelector('[data-testid=verdict]')?.textContent,
    compute: l.querySelector('[data-testid=compute]')?.textContent,
  })));
}

/// Opens `query`, starts a run, waits for `steps` steps, then hands the engine worker to
/// `fault` (which breaks it) and returns the message the first lane shows.
async function faultMidRun(browser, query, steps, fault) {
  const workers = [];
  const page = await open(browser, query, { route: (p) => { p.on('worker', (w) => workers.push(w)); } });
  await ready(page);
  await page.getByTestId('run').click();
  await page.waitForFunction((n) => document.querySelectorAll('.lane .step').length > n, steps, { timeout: 240_000, polling: 50 });
  await fault(workers[workers.length - 1]);
  const message = await page.locator('.lane .error').first().textContent({ timeout: 60_000 });
  console.log(`     ${message.slice(0, 160)}`);
  return { page, message };
}

/// After Stop or a fault: the engine is ready again and a new run on the same page (at
/// budget 2 when `smaller`) finishes in every lane.
async function nextRunFinishes(page, after, timeout, { smaller = false } = {}) {
  await ready(page);
  if (smaller) await page.locator('#budget').fill('1');
  const lanes = await runArena(page, timeout);
  check(lanes.every((l) => /chosen/.test(l.verdict ?? '')), `the run after ${after} should finish: ${JSON.stringify(lanes)}`);
}

const runQuery = '?level=2&index=3&budget=8&seed=1&chains=2&width=2';
// Level 1: SwiftShader decodes slowly, and level-1 answers are short.
const gpuQuery = '?level=1&index=3&budget=8&seed=1&chains=2&width=2&backend=webgpu&lanes=best_of_n,revisions,beam,compute_optimal';

// SwiftShader is a software renderer: the page picks the CPU over it unless told otherwise,
// so this test asks for WebGPU and runs the four lanes the issue names (lookahead is slow there).
await test('WebGPU: adapter shown, models verified, four strategies run at budget 8', async () => {
  const page = await open(gpuBrowser, gpuQuery);
  const backend = await page.getByTestId('backend').textContent({ timeout: 60_000 });
  console.log(`     ${backend}`);
  check(/WebGPU/.test(backend), `expected a WebGPU backend, got: ${backend}`);
  check(/swiftshader/i.test(backend), `expected the SwiftShader adapter, got: ${backend}`);
  await ready(page);
  // SwiftShader keeps the page's main thread busy for seconds at a time (shader compilation
  // and autotuning on first use), longer than a Playwright click waits for its input event.
  await page.evaluate(() => document.querySelector('[data-testid=run]').click());
  await page.waitForFunction(() => [...document.querySelectorAll('.lane .step')].length > 10, null, { timeout: 300_000, polling: 500 });
  await page.screenshot({ path: join(shots, 'arena-mid-run-webgpu.png'), fullPage: true });
  await page.waitForFunction(() => document.querySelectorAll('.lane[data-running=false] [data-testid=verdict]').length === document.querySelectorAll('.lane').length, null, { timeout: 1_200_000, polling: 1000 });
  const lanes = await page.$$eval('.lane', (ls) => ls.map((l) => ({ s: l.dataset.strategy, v: l.querySelector('[data-testid=verdict]')?.textContent, c: l.querySelector('[data-testid=compute]')?.textContent })));
  for (const l of lanes) {
    console.log(`     ${l.s}: ${l.v} | ${l.c}`);
    check(/chosen .* · true \d+/.test(l.v), `${l.s}: no chosen answer`);
    check(/^8 \/ 8 generations/.test(l.c), `${l.s}: compute should show 8 of 8 generations, got ${l.c}`);
  }
  await page.screenshot({ path: join(shots, 'arena-finished-webgpu.png'), fullPage: true });
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  check(page.foreign.length === 0, `requests left the origin: ${page.foreign.join(', ')}`);
  await page.context().close();
});

await test('WebGPU off: the CPU banner shows and the same run completes', async () => {
  const page = await open(cpuBrowser, runQuery);
  const banner = await page.getByTestId('cpu-banner').textContent({ timeout: 60_000 });
  check(/no WebGPU|WebGPU found no GPU/.test(banner), `the banner should say WebGPU is missing: ${banner}`);
  await ready(page);
  await page.getByTestId('run').click();
  await page.waitForFunction(() => document.querySelectorAll('.lane .step').length > 30, null, { timeout: 120_000, polling: 100 });
  await page.screenshot({ path: join(shots, 'arena-mid-run.png'), fullPage: true });
  await page.waitForFunction(() => document.querySelectorAll('.lane[data-running=false] [data-testid=verdict]').length === document.querySelectorAll('.lane').length, null, { timeout: 600_000, polling: 250 });
  const lanes = await page.$$eval('.lane', (ls) => ls.map((l) => ({ strategy: l.dataset.strategy, verdict: l.querySelector('[data-testid=verdict]')?.textContent })));
  for (const l of lanes) check(/chosen .* · true \d+/.test(l.verdict), `${l.strategy}: no chosen answer on the CPU`);
  // The compute-optimal lane names the bin it predicted and what the measured policy picked.
  const prediction = page.locator('.lane[data-strategy=ComputeOptimal] .prediction');
  const [said, source] = [await prediction.textContent(), await prediction.getAttribute('title')];
  check(/predicted difficulty: bin [1-5] of 5 .* → \S/.test(said), `the compute-optimal lane should show its prediction: ${said}`);
  check(/measured by `ponder experiment`/.test(source ?? ''), `the prediction should name the measured policy: ${source}`);
  await page.screenshot({ path: join(shots, 'arena-finished.png'), fullPage: true });
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

// backend=measure does on SwiftShader what the default does on a real GPU: both backends
// measured per batch size at start, each run on the faster one.
await test('backend=measure: both backends measured per batch size, and runs go to the faster one', async () => {
  const page = await open(gpuBrowser, '?level=1&index=3&budget=4&seed=1&chains=2&width=2&backend=measure&lanes=best_of_n,revisions');
  const plan = await page.getByTestId('backend-plan').textContent({ timeout: 300_000 });
  console.log(`     ${plan}`);
  for (const batch of ['1 row', '16 rows', '64 rows']) check(plan.includes(`${batch} →`), `no measurement for ${batch}: ${plan}`);
  check(/CPU \d+, WebGPU \d+ tokens\/s/.test(plan), `the plan should give both rates: ${plan}`);
  await ready(page);
  const lanes = await runArena(page, 300_000);
  for (const l of lanes) check(/chosen .* · true \d+/.test(l.verdict ?? ''), `${l.strategy}: no chosen answer: ${l.verdict}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

await test('a malformed typed problem shows an inline error and nothing crashes', async () => {
  const page = await open(gpuBrowser, '?budget=1');
  await ready(page);
  await page.fill('#problem', '12/3+');
  const error = await page.getByTestId('problem-error').textContent();
  check(/division/.test(error), `unexpected message: ${error}`);
  check(await page.getByTestId('run').isDisabled(), 'Run should be disabled for a malformed problem');
  await page.fill('#problem', '12+3*2');
  check(await page.getByTestId('run').isEnabled(), 'Run should come back for a valid problem');
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

await test('a second visit loads the weights from the cache, without the network', async () => {
  const page = await open(gpuBrowser, '?budget=1');
  await ready(page);
  let refused = 0;
  await page.route('**/models/*.safetensors', (route) => { refused++; return route.abort(); });
  await page.reload();
  await ready(page);
  const status = await page.getByTestId('models-ready').textContent();
  check(refused === 0, `the second visit asked the network for ${refused} weight files`);
  console.log(`     ${status}`);
  await page.context().close();
});

await test('the larger verifier loads only when chosen, with its own progress bar, and runs', async () => {
  const fetched = [];
  const page = await open(cpuBrowser, '?level=1&index=2&budget=4&width=2&lanes=best_of_n,beam,compute_optimal', {
    route: (p) => p.context().on('request', (r) => fetched.push(new URL(r.url()).pathname)),
  });
  await ready(page);
  check(!fetched.some((f) => /large/.test(f)), `the page fetched the larger verifier before it was chosen: ${fetched.join(', ')}`);
  // Held back a moment, so the progress bar can be seen.
  await page.route('**/models/large.safetensors', async (route) => { await new Promise((ok) => setTimeout(ok, 1500)); return route.continue(); });
  await page.selectOption('#verifier', 'prm_large');
  await page.getByTestId('large-verifier-loading').waitFor({ timeout: 30_000 });
  check(await page.getByTestId('run').isDisabled(), 'Run should wait for the larger verifier');
  await page.screenshot({ path: join(shots, 'large-verifier-loading.png') });
  await page.getByTestId('large-verifier-ready').waitFor({ timeout: 180_000 });
  check(/verifier=prm_large/.test(page.url()), `the link should carry the verifier: ${page.url()}`);
  const lanes = await runArena(page, 300_000);
  check(lanes.every((l) => /chosen/.test(l.verdict ?? '')), `the run should finish on the larger verifier: ${JSON.stringify(lanes)}`);
  const bodies = fetched.filter((f) => f.endsWith('/models/large.safetensors'));
  check(bodies.length === 1, `large.safetensors fetched ${bodies.length} times: ${fetched.join(', ')}`);
  // Stop restarts the engine: the larger verifier is built again, from the files the page holds.
  await page.locator('#budget').fill('3');
  await page.getByTestId('run').click();
  await page.getByTestId('stop').click();
  await ready(page);
  const again = await runArena(page, 300_000);
  check(again.every((l) => /chosen/.test(l.verdict ?? '')), `the run after Stop should finish: ${JSON.stringify(again)}`);
  await page.screenshot({ path: join(shots, 'large-verifier.png'), fullPage: true });
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
  // A link that names it loads it once the models are ready.
  const linked = await open(cpuBrowser, '?level=1&index=2&budget=2&lanes=beam&verifier=prm_large');
  await linked.getByTestId('large-verifier-ready').waitFor({ timeout: 180_000 });
  await ready(linked);
  const linkedLanes = await runArena(linked, 300_000);
  check(linkedLanes.every((l) => /chosen/.test(l.verdict ?? '')), `a run from the link should finish: ${JSON.stringify(linkedLanes)}`);
  await linked.context().close();
});

await test('a larger verifier that cannot be downloaded is named, and the other verifiers still run', async () => {
  const page = await open(cpuBrowser, '?level=1&index=2&budget=1&lanes=best_of_n', {
    route: (p) => p.route('**/models/large.safetensors', (route) => route.fulfill({ status: 404, body: 'not found' })),
  });
  await ready(page);
  await page.selectOption('#verifier', 'prm_large');
  const message = await page.getByTestId('large-verifier-error').textContent({ timeout: 30_000 });
  console.log(`     ${message.slice(0, 160)}`);
  check(/large\.safetensors/.test(message), `the message should name the file: ${message}`);
  check(await page.getByTestId('run').isDisabled(), 'Run should be off while the chosen verifier is missing');
  await page.selectOption('#verifier', 'prm');
  const lanes = await runArena(page, 120_000);
  check(lanes.every((l) => /chosen/.test(l.verdict ?? '')), `the run on the PRM should finish: ${JSON.stringify(lanes)}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

await test('a corrupted weight file gives a message that names it', async () => {
  const page = await open(gpuBrowser, '', {
    route: (p) => p.route('**/models/prm.safetensors', async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[body.length - 1] ^= 0xff;
      await route.fulfill({ response, body });
    }),
  });
  const message = await page.getByTestId('models-error').textContent({ timeout: 120_000 });
  check(/prm\.safetensors/.test(message), `the message should name the file: ${message}`);
  await page.fill('#problem', '5+5');
  check(!(await page.getByTestId('problem-error').count()), 'the page should still validate problems');
  await page.context().close();
});

await test('a failed download is retried with backoff; one that keeps failing gives a message naming it', async () => {
  let tries = 0;
  const page = await open(cpuBrowser, '?level=1&index=2&budget=1&lanes=best_of_n', {
    route: (p) => p.route('**/models/generator.safetensors', (route) => (++tries <= 2 ? route.abort('connectionreset') : route.continue())),
  });
  await ready(page);
  check(tries === 3, `two failed tries, then the third should load: ${tries} tries`);
  await page.context().close();
  const failing = await open(cpuBrowser, '', { route: (p) => p.route('**/models/prm.safetensors', (route) => route.abort('connectionreset')) });
  const message = await failing.getByTestId('models-error').textContent({ timeout: 60_000 });
  console.log(`     ${message.slice(0, 160)}`);
  check(/prm\.safetensors/.test(message), `the message should name the file: ${message}`);
  await failing.context().close();
});

await test('full storage: the weights still load and run, and the page says they were not cached', async () => {
  const page = await open(cpuBrowser, '?level=1&index=2&budget=1&lanes=best_of_n', {
    route: (p) => p.addInitScript(() => {
      Cache.prototype.put = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    }),
  });
  await ready(page);
  const note = await page.getByTestId('cache-note').textContent({ timeout: 10_000 });
  console.log(`     ${note.slice(0, 160)}`);
  check(/quota/i.test(note), `the note should give the browser's reason: ${note}`);
  const lanes = await runArena(page, 120_000);
  check(lanes.every((l) => /chosen/.test(l.verdict ?? '')), `the run should finish: ${JSON.stringify(lanes)}`);
  await page.context().close();
});

await test('Stop halts a budget-256 run within half a second, and the next run starts afresh', async () => {
  const page = await open(cpuBrowser, '?level=3&budget=256&chains=16');
  await ready(page);
  await page.getByTestId('run').click();
  await page.waitForFunction(() => document.querySelectorAll('.lane .step').length > 20, null, { timeout: 120_000, polling: 50 });
  // Past the first second, when the batch's cache is filled and decoding is in full swing.
  await page.waitForTimeout(3000);
  const started = Date.now();
  await page.getByTestId('stop').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=stop]').disabled && !document.querySelector('.lane[data-running=true]'), null, { timeout: 10_000, polling: 20 });
  const ms = Date.now() - started;
  console.log(`     stopped in ${ms} ms (target: 500 ms)`);
  check(ms <= 500, `Stop took ${ms} ms`);
  check(/stopped/.test(await page.locator('.lane .error').first().textContent()), 'the lanes should say they stopped');
  // The engine worker was ended mid-step and started afresh.
  await nextRunFinishes(page, 'Stop', 300_000, { smaller: true });
  await page.context().close();
});

await test('a lost GPU device ends the run with a message, and the next run starts afresh', async () => {
  // worker.js keeps the engine's GPU devices; destroying one is what a driver reset does.
  const { page, message } = await faultMidRun(gpuBrowser, '?level=1&index=3&budget=4&backend=webgpu&lanes=best_of_n', 0, async (worker) => {
    const destroyed = await worker.evaluate(() => { self.ponderDevices.forEach((d) => d.destroy()); return self.ponderDevices.length; });
    check(destroyed > 0, 'the engine worker should have a GPU device');
  });
  check(/starts afresh/.test(message), `the lane should say the run failed and the next starts afresh: ${message}`);
  await nextRunFinishes(page, 'the lost device', 300_000);
  await page.context().close();
});

await test('a crash in the engine ends the run with a message, and the engine restarts', async () => {
  // An uncaught error in the worker: what a panic in its wasm becomes once the hook has run.
  const { page, message } = await faultMidRun(cpuBrowser, '?level=3&budget=64&lanes=best_of_n,beam', 10, (worker) =>
    worker.evaluate(() => { setTimeout(() => { throw new Error('injected fault'); }, 0); }));
  check(/injected fault/.test(message) && /starts afresh/.test(message), `the lane should name the crash: ${message}`);
  await nextRunFinishes(page, 'the crash', 120_000, { smaller: true });
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

// On WebGPU the decoder attends through the hand-written WGSL kernel (shaders/), on the wasm
// CPU backend through the host forward pass: both must give the native CPU's greedy answers.
await test('greedy answers in the browser match `ponder solve`, on the wasm CPU backend and on WebGPU', async () => {
  if (!ponder) { console.log('     skipped: no --ponder binary given'); return; }
  const problems = ['7+8', '12+9-4', '23-15+8', '6*3+5', '41+17-9'];
  const native = Object.fromEntries(problems.map((problem) => {
    const out = JSON.parse(execFileSync(ponder, ['solve', '--problem', problem, '--strategy', 'best-of-n', '--budget', '1', '--temperature', '0', '--backend', 'cpu', '--models', join(here, '../../public/models'), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return [problem, out.result.chosen ?? 'none'];
  }));
  for (const [browser, backendQuery, expectBackend] of [[cpuBrowser, 'cpu', /CPU/], [gpuBrowser, 'webgpu', /WebGPU/]]) {
    const page = await open(browser, `?budget=1&temp=0&lanes=best_of_n&backend=${backendQuery}`);
    const backend = await page.getByTestId('backend').textContent({ timeout: 60_000 });
    check(expectBackend.test(backend), `expected ${expectBackend} for backend=${backendQuery}, got: ${backend}`);
    await ready(page);
    for (const problem of problems) {
      await page.fill('#problem', problem);
      const lanes = await runArena(page, 180_000, { busyPage: backendQuery === 'webgpu' });
      const got = lanes.find((l) => l.strategy === 'BestOfN').verdict.match(/chosen (\S+)/)[1];
      console.log(`     ${backendQuery} ${problem}: native ${native[problem]}, browser ${got}`);
      check(got === native[problem], `${backendQuery}, ${problem}: browser ${got} but native ${native[problem]}`);
    }
    await page.context().close();
  }
});

await test('benchmark mode (?bench): decode throughput and a best-of-64 run, on the wasm CPU backend and on WebGPU', async () => {
  for (const [browser, query, name] of [[cpuBrowser, '?bench&backend=cpu', 'cpu'], [gpuBrowser, '?bench&backend=webgpu', 'webgpu']]) {
    const page = await open(browser, query);
    const message = await page.getByTestId('bench-done').textContent({ timeout: 1_200_000 });
    const backend = await page.getByTestId('backend').textContent();
    const rows = await page.$$eval('[data-testid=bench-table] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    console.log(`     ${backend}`);
    for (const r of rows) console.log(`     ${r.join(' | ')}`);
    check(/complete/.test(message), `the benchmark should complete: ${message}`);
    check(rows.length === 4, `three decode rows and one best-of-64 row: ${JSON.stringify(rows)}`);
    for (const r of rows.slice(0, 3)) {
      check(Number(r[1]) > 0, `${r[0]}: no throughput`);
      check(Number(r[2]) <= 1.0, `${r[0]}: ${r[2]} read-backs per step (at most one for the whole batch)`);
    }
    check(Number(rows[3][3]) > 0, `best-of-64: no wall time`);
    await page.screenshot({ path: join(shots, `bench-${name}.png`), fullPage: true });
    await page.context().close();
  }
});

await test('study view: the shipped experiment results, and sweep, compute-optimal and FLOPs-matched cells re-run live', async () => {
  const page = await open(cpuBrowser, '?view=study&backend=cpu');
  await ready(page);
  const findings = await page.$$eval('[data-testid=study-findings] tbody tr', (trs) => trs.map((tr) => tr.textContent));
  check(findings.length === 5, `five findings of the study: ${JSON.stringify(findings)}`);
  check(await page.getByTestId('study-flops').count() === 1, 'the FLOPs-matched table');
  const policy = await page.$$eval('[data-testid=study-policy] tbody tr', (trs) => trs.map((tr) => tr.textContent));
  check(policy.length === 5 && policy.every((row) => /from N=1: /.test(row)), `the arena's policy, one row per bin: ${JSON.stringify(policy)}`);
  const shipped = await page.getByTestId('study-cell-best_of_n_weighted-1').textContent();
  await page.getByTestId('study-cell-best_of_n_weighted-1').click();
  const line = await page.getByTestId('study-rerun-done').textContent({ timeout: 600_000 });
  console.log(`     shipped ${shipped}; ${line}`);
  check(/re-run complete/.test(line), `the re-run should complete: ${line}`);
  const [, right, tried, total] = line.match(/(\d+) of (\d+) right so far .* out of (\d+) runs/) || [];
  check(Number(tried) > 0 && tried === total, `every run of the cell reported: ${line}`);
  // Derived cells re-run their parts: compute-optimal over all bins runs each bin's pick on its
  // bin, and a FLOPs-matched cell runs the bin's pick at the matched budget.
  for (const id of ['study-co-oracle-1', 'study-flops-22-4']) {
    await page.getByTestId(id).click();
    const done = await page.getByTestId('study-rerun-done').textContent({ timeout: 600_000 });
    console.log(`     ${done}`);
    const [, , tried, all] = done.match(/(\d+) of (\d+) right so far .* out of (\d+) runs/) || [];
    check(/re-run complete/.test(done) && Number(tried) > 0 && tried === all, `${id}: every run reported: ${done}`);
  }
  check(page.errors.length === 0, `page errors: ${page.errors}`);
  await page.screenshot({ path: join(shots, 'study.png'), fullPage: true });
  await page.context().close();
});

await test('sweep view and phone layout (screenshots)', async () => {
  const page = await open(gpuBrowser, '?view=sweep&sweep_problems=1&sweep_budget=2');
  await ready(page);
  await page.getByTestId('sweep-run').click();
  await page.waitForFunction(() => /sweep complete/.test(document.querySelector('[data-testid=sweep-progress]').textContent), null, { timeout: 600_000, polling: 500 });
  const dots = await page.$$eval('.chart circle', (c) => c.length);
  check(dots === 5 * 5 * 2, `expected 50 points (5 levels × 5 series × 2 budgets), got ${dots}`);
  await page.screenshot({ path: join(shots, 'sweep.png'), fullPage: true });
  await checkFigure(page, 'sweep-level-1');
  await page.context().close();
  const phone = await open(gpuBrowser, runQuery, { viewport: { width: 390, height: 844 } });
  await ready(phone);
  await runArena(phone);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page is ${overflow}px wider than a 390px phone`);
  await phone.screenshot({ path: join(shots, 'phone.png'), fullPage: false });
  await phone.context().close();
});


/// The lesson's lanes have all finished and the run's "what to notice" line is shown.
async function lessonRunEnds(page, timeout = 600_000) {
  await page.waitForFunction(() => {
    const lanes = document.querySelectorAll('.lesson .lane');
    return lanes.length > 0 && document.querySelectorAll('.lesson .lane[data-running=false] [data-testid=verdict]').length === lanes.length
      && document.querySelector('[data-testid=lesson-notice-run]');
  }, null, { timeout, polling: 250 });
  return {
    title: await page.getByTestId('lesson-title').textContent(),
    report: await page.getByTestId('lesson-notice-report').textContent(),
    run: await page.getByTestId('lesson-notice-run').textContent(),
  };
}

/// Reads a download the page offers when `button` is clicked.
async function download(page, testid) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: await readFile(path) };
}

/// An SVG that a browser parses, and a PNG with a real size.
async function checkFigure(page, name) {
  const svg = await download(page, `download-svg-${name}`);
  const text = svg.bytes.toString('utf8');
  check(svg.name === `${name}.svg`, `the SVG's file name: ${svg.name}`);
  check(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/.test(text) && text.trim().endsWith('</svg>'), `${name}.svg is not a standalone SVG: ${text.slice(0, 120)}`);
  const parsed = await page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    return !doc.querySelector('parsererror') && doc.documentElement.nodeName === 'svg';
  }, text);
  check(parsed, `${name}.svg does not parse as SVG`);
  const png = await download(page, `download-png-${name}`);
  const b = png.bytes;
  check(png.name === `${name}.png` && b.length > 1000, `${name}.png: ${png.name}, ${b.length} bytes`);
  check(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${name}.png has no PNG signature`);
  const [w, h] = [b.readUInt32BE(16), b.readUInt32BE(20)];
  check(w >= 300 && h >= 200, `${name}.png is ${w}×${h}`);
  console.log(`     ${name}: SVG ${svg.bytes.length} bytes, PNG ${w}×${h}`);
}

await test('lessons: every chapter runs its live example to the end on the CPU, stepping by keyboard', async () => {
  const page = await open(cpuBrowser, '?view=lessons&chapter=1&backend=cpu');
  await ready(page);
  for (let n = 1; n <= 6; n++) {
    const title = await page.getByTestId('lesson-title').textContent();
    check(title.startsWith(`${n}. `), `chapter ${n} expected, the page shows ${title}`);
    // Small budgets keep the CPU runs short; chapter 2's only control is the verifier.
    if (await page.locator('#budget').count()) await page.locator('#budget').fill('2');
    const controls = await page.$$eval('.lesson-controls .field', (f) => f.length);
    check(controls <= 3, `chapter ${n} shows ${controls} fields (its one or two controls and the problem)`);
    await page.getByTestId('run').click();
    const seen = await lessonRunEnds(page);
    console.log(`     ${seen.title}\n       report: ${seen.report}\n       run: ${seen.run}`);
    check(/\d+%/.test(seen.report), `chapter ${n}: the report's line has no numbers: ${seen.report}`);
    check(/\d/.test(seen.run), `chapter ${n}: the run's line has no numbers: ${seen.run}`);
    await page.screenshot({ path: join(shots, `lesson-${n}.png`), fullPage: true });
    if (n === 1) await checkFigure(page, 'lesson-1-chart');
    // Space steps from the page (focus off the Run button), → from anywhere else.
    if (n % 2) { await page.getByTestId('lesson-title').click(); await page.keyboard.press(' '); }
    else await page.keyboard.press('ArrowRight');
    if (n < 6) await page.waitForFunction((m) => document.querySelector('[data-testid=lesson-title]').textContent.startsWith(`${m}. `), n + 1, { timeout: 10_000 });
  }
  for (let n = 5; n >= 1; n--) {
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((m) => document.querySelector('[data-testid=lesson-title]').textContent.startsWith(`${m}. `), n, { timeout: 10_000 });
  }
  check(/chapter=1/.test(page.url()), `the link should name the chapter: ${page.url()}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  check(page.foreign.length === 0, `requests left the origin: ${page.foreign.join(', ')}`);
  await page.context().close();
});

await test('lessons on WebGPU (SwiftShader): a chapter runs to the end', async () => {
  const page = await open(gpuBrowser, '?view=lessons&chapter=1&backend=webgpu&level=1&budget=4');
  const backend = await page.getByTestId('backend').textContent({ timeout: 60_000 });
  check(/WebGPU/.test(backend), `expected WebGPU, got ${backend}`);
  await ready(page);
  await page.evaluate(() => document.querySelector('[data-testid=run]').click());
  const seen = await lessonRunEnds(page, 1_200_000);
  console.log(`     run: ${seen.run}`);
  check(/\d/.test(seen.run), `the run's line has no numbers: ${seen.run}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

await test('lessons: a chapter link opens that chapter with its settings; projector mode and phone (screenshots)', async () => {
  const page = await open(cpuBrowser, '?view=lessons&chapter=4&budget=8&chains=2&projector=1');
  const title = await page.getByTestId('lesson-title').textContent({ timeout: 60_000 });
  check(title.startsWith('4. '), `chapter 4 expected, got ${title}`);
  const budget = await page.locator('label[for=budget]').textContent();
  check(/Budget: 8 /.test(budget), `the link's budget should hold: ${budget}`);
  const chains = await page.locator('#chains').inputValue();
  check(chains === '2', `the link's chains should hold: ${chains}`);
  check(await page.evaluate(() => document.documentElement.classList.contains('projector')), 'projector=1 should turn projector mode on');
  await page.getByTestId('projector').click();
  check(!(await page.evaluate(() => document.documentElement.classList.contains('projector'))) && !/projector=1/.test(page.url()), 'the toggle turns it off, in the link too');
  await page.getByTestId('projector').click();
  check(/projector=1/.test(page.url()), `the toggle is in the link: ${page.url()}`);
  for (let n = 1; n <= 6; n++) {
    await page.getByTestId(`chapter-${n}`).click();
    await page.screenshot({ path: join(shots, `lesson-${n}-projector.png`), fullPage: false });
  }
  await page.context().close();
  const phone = await open(cpuBrowser, '?view=lessons&chapter=1', { viewport: { width: 390, height: 844 } });
  await phone.getByTestId('lesson-title').waitFor({ timeout: 60_000 });
  for (let n = 1; n <= 6; n++) {
    await phone.getByTestId(`chapter-${n}`).click();
    await phone.getByTestId('lesson-notice-report').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `chapter ${n} is ${overflow}px wider than a 390px phone`);
    await phone.screenshot({ path: join(shots, `lesson-${n}-phone.png`), fullPage: true });
  }
  check(phone.errors.length === 0, `page errors: ${phone.errors.join('; ')}`);
  await phone.context().close();
});

await test('a first visit opens on a problem the study found contrasting, with one sentence and a link to the lessons', async () => {
  const page = await open(cpuBrowser, '');
  const welcome = await page.getByTestId('welcome').textContent({ timeout: 60_000 });
  const typed = await page.locator('#problem').inputValue();
  console.log(`     ${welcome}`);
  const plain = welcome.replace(/ /g, '').replace(/−/g, '-').replace(/×/g, '*');
  check(typed && plain.includes(typed.replace(/ /g, '')), `the problem box (${typed}) should hold the problem the sentence names: ${welcome}`);
  const banner = await page.getByTestId('cpu-banner').textContent({ timeout: 60_000 });
  check(/^Running on the CPU: [^.]*WebGPU[^.]*\. Everything works, only slower\.$/.test(banner) && !/WgpuDevice|adapter available/.test(banner), `the banner should be one plain sentence: ${banner}`);
  await page.getByText('Take the lessons').click();
  const title = await page.getByTestId('lesson-title').textContent({ timeout: 10_000 });
  check(title.startsWith('1. ') && /view=lessons/.test(page.url()), `the link should open chapter 1: ${title} ${page.url()}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

await test('study figures download as SVG and PNG', async () => {
  const page = await open(cpuBrowser, '?view=study');
  await page.getByTestId('study-findings').waitFor({ timeout: 60_000 });
  await page.locator('.figures summary').click();
  await checkFigure(page, 'study-sweeps');
  await page.context().close();
});

await gpuBrowser.close();
await cpuBrowser.close();
server.close();
console.log(failures ? `${failures} end-to-end test(s) failed` : 'all end-to-end tests passed');
process.exit(failures ? 1 : 0);
