// Runs inside Chromium (tests/browser/issue11-probes.html): issue 11's input probes on the bundled
// model, on this page's main thread or in the wax worker the library starts from it, and the
// loader's probes against the stand-in Hub that issue11-probes.test.mjs starts on another origin.
// Each returns JSON for the test to assert on.
import { AutoModelForCausalLM, AutoTokenizer, WaxError, clearCache, env, isCached } from '../../js/src/index.js';
import { runInputProbes } from '../helpers/input-probes.mjs';
import { clearDuringDownload } from '../helpers/loader-probes.mjs';

const BUNDLED = new URL('../../models/kjv-llama-5m/', import.meta.url).href;

function describeError(error) {
  return { waxError: error instanceof WaxError, name: error?.name, code: error?.code, message: String(error?.message) };
}

/** The greedy ids of a repo on the stand-in Hub, loaded in the wax worker (the page's default). */
async function greedyIds(repo) {
  const model = await AutoModelForCausalLM.from_pretrained(repo);
  try {
    return (await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4, do_sample: false, eos_token_id: [] })).tolist()[0].map(Number);
  } finally {
    await model.dispose();
  }
}

/** Runs `load`; returns its error (or { loaded: true }) and the good repo's ids after it. */
async function afterFailure(load) {
  let outcome;
  try {
    await (await load())?.dispose?.();
    outcome = { loaded: true };
  } catch (error) {
    outcome = describeError(error);
  }
  return { ...outcome, idsAfter: await greedyIds('probe/good') };
}

const loaderProbes = {
  /** Loads in a fresh Cache API with local_files_only: nothing may be asked of the Hub. */
  async localFilesOnly() {
    await clearCache();
    try {
      (await AutoModelForCausalLM.from_pretrained('probe/good', { local_files_only: true })).dispose();
      return { loaded: true };
    } catch (error) {
      return describeError(error);
    }
  },
  /** Aborts 300 ms into a body the Hub stalls half-way through. */
  async abortDuringStall() {
    await clearCache();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    let error = null;
    try {
      await AutoModelForCausalLM.from_pretrained('probe/good', { signal: controller.signal });
    } catch (caught) {
      error = describeError(caught);
    }
    return { error, ms: performance.now() - started, cached: await isCached('probe/good') };
  },
  /** clearCache() once the weights are downloading (slowly): the load ends, and nothing of it stays cached. */
  async clearDuringDownload(worker) {
    await clearCache();
    await clearDuringDownload('probe/good', worker);
    const keys = (await (await caches.open('wax-models')).keys()).map((request) => request.url);
    return { keys };
  },
  nestedTokenizer: () => afterFailure(() => AutoTokenizer.from_pretrained('probe/nested-tokenizer')),
  nanShard: (dtype) => afterFailure(() => AutoModelForCausalLM.from_pretrained('probe/nan-shard', { dtype })),
  goodIds: () => greedyIds('probe/good'),
};

window.probes = {
  /** The input probes; each step as it starts goes to the test's waxProbeStep (page.exposeFunction), which names a stalled one. */
  inputs: (worker) => runInputProbes({ source: BUNDLED, worker, onStep: (step) => window.waxProbeStep?.(step) }),
  /** Runs a loader probe with env pointed at the stand-in Hub (the wax worker takes env from the page). */
  loader: (name, remoteHost, ...args) => {
    Object.assign(env, { remoteHost, fetchStallTimeout: 60_000 });
    return loaderProbes[name](...args);
  },
  crossOriginIsolated: globalThis.crossOriginIsolated,
};
window.probesReady = true;
