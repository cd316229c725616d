// Runs in Chromium for bench/browser-llm.mjs: loads one engine and one model into this page and
// times it (bench/llm-timing.mjs). Each engine computes in its own workers, as on a real page.
import { AutoModelForCausalLM, env } from '../js/src/index.js';
import { DECODE_TOKENS, PROMPT_TOKENS, medianSpeeds, promptIds, waxOnce } from './llm-timing.mjs';

/** More than one thread needs SharedArrayBuffer, which only cross-origin isolated pages get. */
function requireIsolation(threads) {
  if (threads > 1 && !globalThis.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no threads');
}

/** wax from the checkpoint folder's URL, quantized at load to `dtype`. */
async function wax({ folder, dtype, threads, runs, vocab }) {
  requireIsolation(threads);
  env.wasm.numThreads = threads;
  env.useBrowserCache = false; // every config runs in a fresh browser: caching would only write gigabytes to disk
  const model = await AutoModelForCausalLM.from_pretrained(new URL(folder, location.href).href, { dtype });
  try {
    const ids = promptIds(vocab);
    return await medianSpeeds(runs, () => waxOnce(model, ids));
  } finally {
    await model.dispose();
  }
}

/**
 * wllama (an npm alias wllama-<version> under bench/.peers/wllama) on the GGUF's URL. 2.x: its
 * low-level API (kvClear, decode, samplingSample) on the same ids as wax, timed here as wax is;
 * 3.x: createCompletion on a text of as many tokens, timed by llama.cpp's own counters (3.x has no
 * low-level calls).
 */
async function wllama({ version, gguf, threads, runs, vocab }) {
  requireIsolation(threads);
  const base = new URL(`/bench/.peers/wllama/node_modules/wllama-${version}/esm/`, location.href).href;
  const { Wllama } = await import(`${base}index.js`);
  const silent = { debug() {}, log() {}, warn() {}, error: console.error };
  const settings = { n_threads: threads, n_ctx: 512, n_batch: 512, useCache: false };
  const ggufUrl = new URL(gguf, location.href).href; // wllama fetches from its worker, which has no base URL
  let engine, once;
  if (version.startsWith('2.')) {
    engine = new Wllama({ 'single-thread/wllama.wasm': `${base}single-thread/wllama.wasm`, 'multi-thread/wllama.wasm': `${base}multi-thread/wllama.wasm` },
      { suppressNativeLog: true, logger: silent });
    await engine.loadModelFromUrl(ggufUrl, settings);
    const ids = promptIds(vocab);
    once = async () => {
      await engine.kvClear();
      await engine.samplingInit({ temp: 0 }); // greedy, as wax's
      let start = performance.now();
      await engine.decode(ids, {});
      const promptMs = performance.now() - start;
      start = performance.now();
      for (let i = 0; i < DECODE_TOKENS; i++) {
        const { token } = await engine.samplingSample();
        await engine.samplingAccept([token]);
        await engine.decode([token], {});
      }
      return { promptMs, decodeMs: performance.now() - start };
    };
  } else {
    engine = new Wllama({ default: `${base}wasm/wllama.wasm` }, { suppressNativeLog: true, logger: silent });
    await engine.loadModelFromUrl(ggufUrl, { ...settings, n_gpu_layers: 0, n_parallel: 1 }); // else it looks for WebGPU
    // 3.x takes text only (token ids break its message encoding). Letters have no piece in the
    // GGUF's synthetic vocabulary: each becomes one byte token, after <s> and the 3 bytes of '▁'.
    const prompt = Array.from({ length: PROMPT_TOKENS - 4 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    once = async () => {
      const { timings } = await engine.createCompletion({ prompt, max_tokens: DECODE_TOKENS, temperature: 0, ignore_eos: true, cache_prompt: false });
      if (timings.prompt_n !== PROMPT_TOKENS || timings.predicted_n !== DECODE_TOKENS) {
        throw new Error(`wllama processed ${timings.prompt_n} prompt tokens and decoded ${timings.predicted_n}, not ${PROMPT_TOKENS} and ${DECODE_TOKENS}`);
      }
      return { promptMs: timings.prompt_ms, decodeMs: timings.predicted_ms };
    };
  }
  try {
    return { ...(await medianSpeeds(runs, once)), threadsUsed: engine.getNumThreads() };
  } finally {
    await engine.exit();
  }
}

window.bench = { wax, wllama };
window.benchReady = true;
