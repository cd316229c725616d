// Runs inside Chromium (tests/browser/loader.html): loads models from the stand-in Hub that
// loader.test.mjs starts on another origin, and returns small JSON summaries to assert on.
import { AutoModelForCausalLM, env, isCached, clearCache, preflight } from '../../js/src/index.js';
import { getRuntime } from '../../js/src/runtime.js';
import { withinTolerance } from '../helpers/compare.mjs';
import { readNpy } from '../helpers/npy.mjs';

const FIXTURE = new URL('../fixtures/llama_gqa_tied/', import.meta.url);

async function npy(file) {
  return readNpy(await (await fetch(new URL(file, FIXTURE))).arrayBuffer());
}

function describeError(error) {
  return { name: error?.name, code: error?.code, message: error?.message };
}

/**
 * Loads `source` (a repo id on env.remoteHost) and checks its logits against upstream.
 * abortAt: a fraction of model.safetensors at which to abort.
 */
async function load(source, { remoteHost, abortAt = null, file = 'model.safetensors', useBrowserCache = true, maxParallelDownloads = 4,
  fetchStallTimeout = 30_000 } = {}) {
  Object.assign(env, { remoteHost, useBrowserCache, maxParallelDownloads, fetchStallTimeout });
  const runtime = await getRuntime();
  const heapBefore = runtime.heapUsed();
  const events = [];
  const controller = new AbortController();
  const progress_callback = (e) => {
    events.push({ status: e.status, file: e.file, loaded: e.loaded, total: e.total, progress: e.progress });
    if (abortAt !== null && e.status === 'progress' && e.file === file && e.loaded >= Math.floor(abortAt * e.total) && !controller.signal.aborted) controller.abort();
  };
  const started = performance.now();
  try {
    // The timeout only keeps a broken test from hanging: it would fail with TimeoutError.
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(30_000)]);
    // worker: false keeps the load in this page, where env is set and the heap is measured.
    const model = await AutoModelForCausalLM.from_pretrained(source, { progress_callback, signal, worker: false });
    try {
      const input = await npy('input_ids.npy');
      const reference = await npy('logits.npy');
      const { logits } = await model.forward({ input_ids: [Array.from(input.data, Number)] });
      const result = withinTolerance(logits.data, reference.data);
      return { loaded: true, logitsOk: result.ok, maxAbsDiff: result.maxAbsDiff, events, ms: performance.now() - started };
    } finally {
      model.dispose();
    }
  } catch (error) {
    return { loaded: false, error: describeError(error), events, heapBefore, heapAfter: runtime.heapUsed() };
  }
}

/** Replaces a cached file by its first `keep` bytes, keeping its headers (what a cut write leaves). */
async function truncateCached(url, keep) {
  const cache = await caches.open('wax-models');
  const response = await cache.match(url);
  if (!response) return false;
  const bytes = new Uint8Array(await response.arrayBuffer()).slice(0, keep);
  await cache.put(url, new Response(bytes, { headers: response.headers }));
  return true;
}

async function runPreflight(source, { remoteHost, ...options }) {
  env.remoteHost = remoteHost;
  try {
    return await preflight(source, options);
  } catch (error) {
    return { error: describeError(error) };
  }
}

async function cached(source, remoteHost) {
  env.remoteHost = remoteHost;
  return isCached(source);
}

async function clear(source, remoteHost) {
  env.remoteHost = remoteHost;
  return clearCache(source);
}

/**
 * A q8/q4 load of `url` in the wax worker (the default on a page), streamed run by run into the
 * quantizer: the greedy continuation of `prompt` ids and the model's memory report.
 */
async function generateQuantized(url, dtype, prompt, max_new_tokens) {
  try {
    const model = await AutoModelForCausalLM.from_pretrained(url, { dtype });
    try {
      const output = await model.generate({ input_ids: [prompt], max_new_tokens, do_sample: false });
      return { ids: Array.from(output.tolist?.()[0] ?? output[0], Number), memory: await model.memory() };
    } finally {
      await model.dispose();
    }
  } catch (error) {
    return { error: describeError(error) };
  }
}

window.loader = { load, truncateCached, generateQuantized, preflight: runPreflight, isCached: cached, clearCache: clear, crossOriginIsolated: globalThis.crossOriginIsolated };
window.loaderReady = true;
