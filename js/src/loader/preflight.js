// Will a model fit? From config.json and the safetensors headers alone (no weight bytes), as the
// module computes it (the family's config reader and dtype rule live in C++ only), against
// wasm32's 4 GiB address space and, where the platform says, navigator.deviceMemory,
// performance.memory and (Node) the machine's memory.
import { WaxError } from '../errors.js';
import { RUN_BYTES } from './fetch-to-heap.js';
import { formatBytes, getRuntime, isNode, WASM32_LIMIT_BYTES } from '../runtime.js';
import { openSource } from './source.js';
import { openWeightFiles } from './shards.js';

/** The module's own memory (code, stack, allocator) before any model: -sINITIAL_MEMORY=32MB. */
const FIXED_OVERHEAD_BYTES = 32 * 1024 ** 2;
/** dtypes by the bytes per weight they keep, most first: the advice offers the smaller ones. */
const DTYPES_BY_SIZE = ['fp32', 'fp16', 'q8', 'q4'];

/** What the platform lets a wasm32 heap use: [{ name, bytes }] (the smallest wins). */
export async function memoryLimits() {
  const limits = [{ name: 'the wasm32 address space (4 GiB)', bytes: WASM32_LIMIT_BYTES }];
  const nav = globalThis.navigator;
  if (!isNode && typeof nav?.deviceMemory === 'number') {
    // deviceMemory is rounded down to a power of two and capped at 8; a tab gets about half.
    limits.push({ name: `half of navigator.deviceMemory (${nav.deviceMemory} GiB)`, bytes: nav.deviceMemory * 1024 ** 3 / 2 });
  }
  const jsLimit = globalThis.performance?.memory?.jsHeapSizeLimit;
  if (!isNode && typeof jsLimit === 'number' && jsLimit > 0) limits.push({ name: 'performance.memory.jsHeapSizeLimit', bytes: jsLimit });
  if (isNode) {
    const { totalmem } = await import('node:os');
    limits.push({ name: 'this machine\'s memory (os.totalmem)', bytes: totalmem() });
  }
  return limits;
}

/** config.json's fields the estimate reads sit this deep at most (text_config.rope_scaling.*). */
const ESTIMATE_CONFIG_DEPTH = 8;

/**
 * config.json as text for the module, without what is nested deeper than the estimate reads:
 * JSON.stringify overflows the JS stack on a file nested thousands deep, which the load then
 * refuses, naming the file.
 */
function configText(config) {
  const depths = new WeakMap();
  return JSON.stringify(config, function clip(key, value) {
    if (typeof value !== 'object' || value === null) return value;
    const depth = (depths.get(this) ?? 0) + 1;
    if (depth > ESTIMATE_CONFIG_DEPTH) return undefined;
    depths.set(value, depth);
    return value;
  });
}

/**
 * What the module says loading the model needs (C++ models/registry.h model_estimate: config.json
 * read by the family's own loader, the dtype rule, the KV cache and working memory for `length`).
 */
function moduleEstimate(runtime, configJson, filesJson, dtype, length) {
  // The headers are written once per estimateMemory; the advice asks again for other lengths.
  const request = `{"dtype": ${JSON.stringify(dtype ?? 'fp32')}, "max_length": ${length}, "files": ${filesJson}}`;
  let configPtr = 0, requestPtr = 0, resultPtr = 0;
  try {
    configPtr = runtime.copyString(configJson, 'config.json');
    requestPtr = runtime.copyString(request, 'the estimate\'s options');
    resultPtr = runtime.call('wax_model_estimate', configPtr, requestPtr) >>> 0;
    return JSON.parse(runtime.readString(resultPtr));
  } finally {
    runtime.free(configPtr);
    runtime.free(requestPtr);
    runtime.free(resultPtr);
  }
}

/**
 * The estimate from parsed config.json and headers, asked of the loaded module `runtime`; used by
 * preflight() and by from_pretrained's refusal. `headers`: [{ size, header: { tensors } }] as
 * openSafetensors gives.
 */
export function estimateMemory({ runtime, config, headers, dtype, max_length, limits, inUseBytes = 0 }) {
  if (max_length !== undefined && max_length !== null && !(Number.isSafeInteger(max_length) && max_length > 0)) {
    throw new WaxError(`max_length: expected a positive integer, got ${typeof max_length === 'string' ? JSON.stringify(max_length) : String(max_length)}`, { code: 'WAX_BAD_INPUT' });
  }
  // A per-module map ({ embed_tokens: 'q8', default: 'q4' }) is estimated tensor by tensor in C++.
  const target = typeof dtype === 'object' && dtype !== null ? dtype.default ?? 'fp32' : dtype ?? 'fp32';
  const filesJson = JSON.stringify(headers.map(({ size, header }) => ({ size, tensors: header.tensors })));
  const configJson = configText(config);
  const estimateFor = (length) => moduleEstimate(runtime, configJson, filesJson, dtype, length);
  const estimate = estimateFor(max_length ?? null); // null: the model's own, at most 2048
  const maxLength = estimate.max_length;
  // fp32 (the default) keeps the checkpoint's tensors as they are; fp16/q8/q4 convert the family's
  // float matrices as each run of tensors streams in (fetch-to-heap.js tensorRunSink).
  const converting = estimate.converts;
  const fileBytes = estimate.file_bytes, weightBytes = estimate.weight_bytes;
  const fixed = FIXED_OVERHEAD_BYTES + inUseBytes;
  // Loading holds every checkpoint file in the heap; a streamed load holds the converted weights
  // and one run (up to RUN_BYTES plus a tensor).
  const loadPeak = fixed + (converting ? weightBytes + RUN_BYTES + estimate.largest_tensor_bytes : fileBytes);
  const peakFor = (length) => {
    const { kv_cache_bytes, working_bytes } = length === maxLength ? estimate : estimateFor(length);
    return Math.max(loadPeak, fixed + weightBytes + kv_cache_bytes + working_bytes);
  };
  const limit = Math.min(...limits.map((l) => l.bytes));
  const limiting = limits.find((l) => l.bytes === limit);
  const peak = peakFor(maxLength);
  const fits = peak <= limit;

  let advice;
  if (fits) {
    advice = `fits: about ${formatBytes(peak)} of ${formatBytes(limit)} (${limiting.name})`;
  } else {
    const names = headers.length <= 3 ? headers.map((h) => h.file).join(', ') : `${headers.length} files`;
    const parts = [`needs about ${formatBytes(peak)} (weights ${formatBytes(weightBytes)}${converting ? ` as ${target}, converted from` : ' in'} ` +
      `the ${formatBytes(fileBytes)} checkpoint (${names}), KV cache ${formatBytes(estimate.kv_cache_bytes)} for max_length ${maxLength}, ` +
      `working memory ${formatBytes(estimate.working_bytes + fixed)}), more than ${formatBytes(limit)} (${limiting.name})`];
    if (!converting && fixed + fileBytes > limit) {
      const streamingFit = ['q8', 'q4'].find((name) => estimateMemory({ runtime, config, headers, dtype: name, max_length: maxLength, limits, inUseBytes }).fits);
      parts.push('the checkpoint files alone do not fit' + (streamingFit
        ? `: try dtype: '${streamingFit}' (quantized as the files stream in, which never sit whole in memory)`
        : ': try a smaller model, or a quantized checkpoint of this one'));
    } else {
      let longest = 0;
      for (let step = 2 ** 20; step >= 1; step = Math.floor(step / 2)) {
        if (longest + step < maxLength && peakFor(longest + step) <= limit) longest += step;
      }
      if (longest >= 16) parts.push(`try a smaller max_length (${longest} fits)`);
      const smaller = DTYPES_BY_SIZE.slice(Math.max(DTYPES_BY_SIZE.indexOf(target), 0) + 1);
      const fitting = smaller.find((name) => estimateMemory({ runtime, config, headers, dtype: name, max_length: maxLength, limits, inUseBytes }).fits);
      if (fitting) parts.push(`try a quantized dtype (dtype: '${fitting}' fits with max_length ${maxLength})`);
      else if (longest < 16) parts.push('try a quantized dtype (q8, q4) with a smaller max_length, or a smaller model');
    }
    advice = parts.join('; ');
  }
  return { fits, weight_bytes: weightBytes, kv_cache_bytes: estimate.kv_cache_bytes, peak_bytes: peak, limit_bytes: limit, max_length: maxLength, advice };
}

/**
 * Says whether a model will fit before anything large is downloaded: reads config.json and the
 * safetensors headers only (HTTP Range requests where the server allows them), no weights; the
 * wasm module (loaded once, as for any model) computes the estimate.
 *
 * @param {string | URL | object} source as for from_pretrained: a repo id, a folder URL, a local folder or a map of files
 * @param {{ dtype?: 'fp32'|'fp16'|'q8'|'q4', max_length?: number, revision?: string, local_files_only?: boolean, signal?: AbortSignal }} [options]
 *   dtype: as from_pretrained's (default fp32: the checkpoint's tensors as stored); max_length: the longest
 *   sequence to plan the KV cache for (default: the model's, at most 2048); local_files_only: from the cache only
 * @returns {Promise<{ fits: boolean, weight_bytes: number, kv_cache_bytes: number, peak_bytes: number, limit_bytes: number, advice: string }>}
 *
 * @example
 * import { preflight } from 'wax-ml';
 * const report = await preflight('HuggingFaceTB/SmolLM2-135M', { max_length: 1024 });
 * report.fits;   // true
 * report.advice; // 'fits: about 624.1 MiB of 4.00 GiB (the wasm32 address space (4 GiB))'
 */
export async function preflight(source, { dtype, max_length, revision, signal, local_files_only } = {}) {
  const session = openSource(source, { revision, local_files_only });
  const { json: config } = await session.readJson('config.json', { signal });
  const plan = await openWeightFiles(session, { signal });
  plan.close();
  const headers = plan.files.map((entry) => ({ ...entry.opened, file: entry.file }));
  return estimateMemory({ runtime: await getRuntime(), config, headers, dtype, max_length, limits: await memoryLimits() });
}

/** from_pretrained's refusal: throws WAX_TOO_LARGE naming the model, what it needs and what to try. */
export async function assertFits({ label, config, plan, dtype, max_length, inUseBytes }) {
  const headers = plan.files.map((entry) => ({ ...entry.opened, file: entry.file }));
  const report = estimateMemory({ runtime: await getRuntime(), config, headers, dtype, max_length, limits: await memoryLimits(), inUseBytes });
  if (!report.fits) {
    plan.close();
    throw new WaxError(`${label}: this model cannot be loaded here: it ${report.advice}`, { code: 'WAX_TOO_LARGE' });
  }
  return report;
}
