// Loading a ~500 MB safetensors (the SmolLM2-135M-shaped f32 checkpoint, 538 MB) from the local
// stand-in Hub (tests/helpers/hub-server.mjs): wax's loader (Range header-first, streamed into one
// heap block) against transformers.js-style loading (response.arrayBuffer(), then a copy into the
// heap), each in a fresh Node process and a fresh Chromium, caches off. Prints load time and peak
// memory (Node: peak RSS; Chromium: the renderer's VmHWM) with the ratios. Median of --runs.
//   node bench/load.mjs [--runs 3] [--no-browser]
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { openBrowser } from '../tests/browser/browser.mjs';
import { startHubServer } from '../tests/helpers/hub-server.mjs';
import { writeRandomLlama } from '../tools/random-llama.mjs';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'no-browser': { type: 'boolean', default: false } } });
const runs = Number(args.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes) => (bytes / 1e6).toFixed(0);

const folder = await writeRandomLlama(`${root}bench/.cache/smollm2-135m-f32`, 'smollm2-135m');
const fileBytes = (await stat(`${folder}/model.safetensors`)).size;
const hub = await startHubServer();
const REPO = 'bench/smollm2-135m';
await hub.addRepo(REPO, { 'config.json': new Uint8Array(await readFile(`${folder}/config.json`)), 'model.safetensors': { path: `${folder}/model.safetensors` } });
hub.options.lfsSha256 = false; // time the loading, not hashing (both methods alike)

async function nodeRun(method) {
  const { stdout } = await promisify(execFile)(process.execPath, [`${root}bench/load-child.mjs`, method, hub.url, REPO], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function browserRun(method) {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(browser.url('/tests/browser/loader.html'));
    await page.waitForFunction(() => window.loaderReady === true, null, { timeout: 15_000 });
    const base = await browser.rendererPeakBytes();
    const ms = await page.evaluate(async ([kind, hubUrl, repo]) => {
      const { AutoModelForCausalLM, env } = await import('/js/src/index.js');
      const { getRuntime } = await import('/js/src/runtime.js');
      Object.assign(env, { remoteHost: hubUrl, useBrowserCache: false });
      const runtime = await getRuntime();
      const start = performance.now();
      let model;
      if (kind === 'wax') {
        model = await AutoModelForCausalLM.from_pretrained(repo, { worker: false }); // in the page, as the arrayBuffer() path
      } else {
        const { arrayBufferThenCopy } = await import('/bench/array-buffer-load.mjs');
        model = await arrayBufferThenCopy(runtime, `${hubUrl}${repo}/resolve/main/`);
      }
      const elapsed = performance.now() - start;
      model.dispose();
      return elapsed;
    }, [method, hub.url, REPO]);
    return { ms, peak_rss: await browser.rendererPeakBytes(), base_rss: base };
  } finally {
    await browser.close();
  }
}

async function measure(label, run) {
  const results = { wax: [], arraybuffer: [] };
  for (let i = 0; i < runs; i++) for (const method of ['wax', 'arraybuffer']) results[method].push(await run(method));
  const summary = (method) => ({
    ms: median(results[method].map((r) => r.ms)),
    peak: median(results[method].map((r) => r.peak_rss)),
    over: median(results[method].map((r) => r.peak_rss - r.base_rss)),
  });
  const wax = summary('wax'), copy = summary('arraybuffer');
  console.log(`\n${label}: ${mb(fileBytes)} MB safetensors from the local Hub stand-in, median of ${runs} (fresh process each)`);
  console.log(`${''.padEnd(34)} ${'load ms'.padStart(9)} ${'peak MB'.padStart(9)} ${'peak - base MB'.padStart(15)} ${'(peak-base)/file'.padStart(17)}`);
  const row = (name, r) => console.log(`${name.padEnd(34)} ${r.ms.toFixed(0).padStart(9)} ${mb(r.peak).padStart(9)} ${mb(r.over).padStart(15)} ${(r.over / fileBytes).toFixed(2).padStart(17)}`);
  row('wax (Range + stream into heap)', wax);
  row('arrayBuffer() then copy', copy);
  console.log(`ratios wax / arrayBuffer-then-copy:  load time ${(wax.ms / copy.ms).toFixed(2)}, peak memory ${(wax.peak / copy.peak).toFixed(2)}, ` +
    `memory above baseline ${(wax.over / copy.over).toFixed(2)}`);
  return { wax, copy };
}

try {
  await measure('Node (peak RSS)', nodeRun);
  if (!args['no-browser']) await measure('Chromium (renderer peak RSS, VmHWM)', browserRun);
} finally {
  await hub.close();
}
