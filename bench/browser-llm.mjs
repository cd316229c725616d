// Language-model speed in headless Chromium (Debian's /usr/bin/chromium, cross-origin isolated
// pages from tools/serve.mjs): wax against wllama (llama.cpp in WebAssembly) on the same random
// weights (bench/llm-shapes.mjs): wax loads the safetensors folder with { dtype }, wllama the GGUF
// of the same type. Prompt processing (128 tokens) and decode (64 tokens), 1 and 2 threads,
// medians after a warm-up (bench/llm-timing.mjs); each engine, type and thread count in a fresh
// browser, all in one run.
//   node bench/browser-llm.mjs [--shapes 135m,1b] [--runs N] [--wllama 2.4.0,3.8.1]   (default: medians of 5 runs)
// wllama is installed into bench/.peers/wllama on first use (never a dependency of wax); 2.4.0 by
// default, the faster of the two on these machines (/work/shared/PEERS.md).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { openBrowser } from '../tests/browser/browser.mjs';
import { checkpointFolder, ggufFile, selectShapes } from './llm-shapes.mjs';
import { DECODE_TOKENS, PROMPT_TOKENS } from './llm-timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const peers = `${root}bench/.peers/wllama`;
const CONFIG_TIMEOUT_MS = 45 * 60_000; // a hung engine must not stall the table: its line shows the timeout

/** Installs the wllama versions missing from bench/.peers/wllama, each as the npm alias wllama-<version>; returns why not, or null. */
function installWllama(versions) {
  const missing = versions.filter((version) => !existsSync(`${peers}/node_modules/wllama-${version}/package.json`));
  if (!missing.length) return null;
  console.log(`installing @wllama/wllama ${missing.join(', ')} into bench/.peers/wllama …`);
  try {
    // Saved, exactly, to the prefix's package.json: later installs then neither prune nor upgrade these.
    execFileSync('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', peers,
      ...missing.map((version) => `wllama-${version}@npm:@wllama/wllama@${version}`)], { stdio: 'inherit' });
    return null;
  } catch (error) {
    return `npm install failed (${error.message.split('\n')[0]})`;
  }
}

/** Runs `bench[engine](options)` in a fresh browser; returns its speeds and the renderer's peak RSS, or { error }. */
async function inFreshBrowser(engine, options) {
  let browser, timer;
  try {
    browser = await openBrowser();
    const page = await browser.newPage();
    await page.goto(browser.url('/bench/browser-llm.html'));
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result after ${CONFIG_TIMEOUT_MS / 60_000} min`)), CONFIG_TIMEOUT_MS);
    });
    const evaluation = page.evaluate(([name, args]) => window.bench[name](args), [engine, options]);
    evaluation.catch(() => {}); // after a timeout, closing the browser rejects it: not an unhandled rejection
    const speeds = await Promise.race([evaluation, timeout]);
    return { ...speeds, peak: await browser.rendererPeakBytes() };
  } catch (error) {
    return { error: error.message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
    await browser?.close();
  }
}

const { values: args } = parseArgs({ options: {
  runs: { type: 'string' }, shapes: { type: 'string', default: '135m,1b' }, wllama: { type: 'string', default: '2.4.0' },
}, strict: false });
const shapes = selectShapes(args.shapes, args.runs);
const versions = args.wllama.split(',').map((version) => version.trim());
const installError = installWllama(versions);
const url = (file) => `/${relative(root, file)}`;
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
const cell = (value, width, digits = 1) => (value === undefined ? '-' : value.toFixed(digits)).padStart(width);

for (const shape of shapes) {
  const folder = await checkpointFolder(shape);
  console.log(`\nLLM in headless Chromium, ${shape.label} shape, random ${shape.checkpointDtype} weights, ${PROMPT_TOKENS}-token prompt, ` +
    `${DECODE_TOKENS} decoded tokens, ${shape.runsLabel}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('wax: the safetensors folder by URL with { dtype }, in its worker. wllama: the GGUF of the same weights and type ' +
    '(tools/to-gguf.mjs), n_ctx 512, n_batch 512; 2.x on the same token ids through decode/samplingSample, timed as wax; ' +
    `3.x on a ${PROMPT_TOKENS}-token text through createCompletion, by llama.cpp's own timings.`);
  console.log('peak MB: the highest VmHWM of the renderer processes, a fresh browser per engine and config (the page and its workers, ' +
    `loading included; not the browser process). load: the 1-minute load average as the line was printed (${availableParallelism()} cores).`);
  console.log('type   threads   prefill tok/s: wax  wllama  ratio    decode tok/s: wax  wllama  ratio    peak MB: wax  wllama   wllama   load');
  for (const dtype of shape.dtypes) {
    const gguf = await ggufFile(shape, dtype);
    for (const threads of [1, 2]) {
      const common = { threads, runs: shape.runs, vocab: shape.vocab };
      const ours = await inFreshBrowser('wax', { ...common, folder: url(folder), dtype });
      for (const version of versions) {
        const theirs = installError ? { error: installError } : await inFreshBrowser('wllama', { ...common, version, gguf: url(gguf) });
        const ratio = (key) => (ours[key] && theirs[key] ? cell(ours[key] / theirs[key], 6, 2) : '-'.padStart(6));
        const fallback = theirs.threadsUsed !== undefined && theirs.threadsUsed !== threads ? ` (ran on ${theirs.threadsUsed} thread)` : '';
        const errors = [ours.error && `wax: ${ours.error}`, theirs.error && `wllama: ${theirs.error}`].filter(Boolean).join('; ');
        console.log(`${dtype.padEnd(6)} ${String(threads).padStart(7)}   ${cell(ours.prefill, 17)} ${cell(theirs.prefill, 7)} ${ratio('prefill')}` +
          `   ${cell(ours.decode, 17)} ${cell(theirs.decode, 7)} ${ratio('decode')}` +
          `   ${(ours.peak ? mb(ours.peak) : '-').padStart(12)} ${(theirs.peak ? mb(theirs.peak) : '-').padStart(7)}   ${version.padEnd(6)}${fallback}` +
          `   ${loadavg()[0].toFixed(2)}${errors ? `   ${errors}` : ''}`);
      }
    }
  }
}
