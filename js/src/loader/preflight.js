// Will a model fit? From config.json and the safetensors headers alone (pure JS: no wasm, no
// weight bytes), against wasm32's 4 GiB address space and, where the platform says,
// navigator.deviceMemory, performance.memory and (Node) the machine's memory.
import { WaxError } from '../errors.js';
import { RUN_BYTES } from './fetch-to-heap.js';
import { formatBytes, isNode, WASM32_LIMIT_BYTES } from '../runtime.js';
import { openSource } from './source.js';
import { openWeightFiles } from './shards.js';

/** The module's own memory (code, stack, allocator) before any model: -sINITIAL_MEMORY=32MB. */
const FIXED_OVERHEAD_BYTES = 32 * 1024 ** 2;
/** Context assumed when no max_length is given: the model's own, at most this. */
const DEFAULT_MAX_LENGTH = 2048;
/** Bytes per weight for each dtype transformers.js names (q8/q4: blocks of 32 with an f16 scale). */
// What each dtype wax converts to keeps per weight (src/nn/matrix.h: Q8_0 and Q4_0 blocks).
const DTYPE_BYTES = { fp32: 4, auto: 4, fp16: 2, q8: 34 / 32, q4: 18 / 32 };
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

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

/** No dimension of a model wax can hold reaches 2^31: one f32 row of it would fill the wasm32 heap twice. */
const MAX_DIMENSION = 2 ** 31 - 1;

/** A size field of config.json: a positive integer below MAX_DIMENSION, or undefined when absent (null too). */
function sizeField(config, name, where) {
  const value = config[name];
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_DIMENSION) {
    throw new WaxError(`${where}: '${name}' expected a positive integer of at most ${MAX_DIMENSION}, got ${JSON.stringify(value)}`, { code: 'WAX_BAD_CONFIG' });
  }
  return value;
}

/**
 * The estimate from parsed config.json and headers: pure arithmetic, used by preflight() and by
 * from_pretrained's refusal. `headers`: [{ size, header: { tensors } }] as openSafetensors gives.
 */
export function estimateMemory({ config, headers, dtype, max_length, limits, inUseBytes = 0 }) {
  const c = config?.text_config ?? config;
  if (!c || typeof c !== 'object' || Array.isArray(c)) {
    throw new WaxError(`config.json${c === config ? '' : ' \'text_config\''}: expected a JSON object, got ${JSON.stringify(c)?.slice(0, 80)}`, { code: 'WAX_BAD_CONFIG' });
  }
  if (max_length !== undefined && max_length !== null && !(Number.isSafeInteger(max_length) && max_length > 0)) {
    throw new WaxError(`max_length: expected a positive integer, got ${typeof max_length === 'string' ? JSON.stringify(max_length) : String(max_length)}`, { code: 'WAX_BAD_INPUT' });
  }
  // A per-module map ({ embed_tokens: 'q8', default: 'q4' }) is estimated by its default.
  const target = typeof dtype === 'object' && dtype !== null ? dtype.default ?? 'fp32' : dtype;
  if (target !== undefined && !(target in DTYPE_BYTES)) {
    throw new WaxError(`dtype '${target}' is not supported (expected fp32, fp16, q8 or q4)`, { code: 'WAX_BAD_INPUT' });
  }
  // fp32 (the default) keeps the checkpoint's tensors as they are; other dtypes convert the float
  // matrices on load, and the checkpoint's bytes are released once all are converted.
  const converting = target !== undefined && target !== 'fp32';
  // q8/q4/fp16 convert each run of tensors as it streams in (fetch-to-heap.js tensorRunSink).
  const streams = target === 'q8' || target === 'q4' || target === 'fp16';
  let fileBytes = 0, convertedBytes = 0, largestTensor = 0;
  for (const { size, header } of headers) {
    fileBytes += size;
    for (const spec of Object.values(header.tensors)) {
      const stored = spec.data_offsets[1] - spec.data_offsets[0];
      largestTensor = Math.max(largestTensor, stored);
      const numel = (spec.shape ?? []).reduce((a, b) => a * b, 1);
      const matrix = FLOAT_DTYPES.has(spec.dtype) && (spec.shape?.length ?? 0) >= 2;
      convertedBytes += converting && matrix ? Math.ceil(numel * DTYPE_BYTES[target]) : stored;
    }
  }
  const weightBytes = converting ? convertedBytes : fileBytes;
  // An absent field is estimated from the others here (the C++ reader says which are required).
  const field = (name, fallback) => sizeField(c, name, config === c ? 'config.json' : "config.json 'text_config'") ?? fallback;
  const maxLength = max_length ?? Math.min(field('max_position_embeddings', DEFAULT_MAX_LENGTH), DEFAULT_MAX_LENGTH);
  const hidden = field('hidden_size', 0), layers = field('num_hidden_layers', 0), heads = field('num_attention_heads', 1);
  const kvHeads = field('num_key_value_heads', heads), headDim = field('head_dim', hidden / heads);
  const inter = field('intermediate_size', 4 * hidden), vocab = field('vocab_size', 0);
  // The KV cache is f32: keys and values, (layers, kv_heads, max_length, head_dim).
  const kvPerToken = 2 * layers * kvHeads * headDim * 4;
  // A forward over L tokens holds (L, ·) f32 activations, one head's (L, L) scores and (L, vocab) logits.
  const workingFor = (length) => 4 * (length * (3 * hidden + heads * headDim + 2 * kvHeads * headDim + 2 * inter + vocab) + length * length);
  const fixed = FIXED_OVERHEAD_BYTES + inUseBytes;
  // Loading holds every checkpoint file in the heap, plus the converted copies while converting;
  // a streamed load holds the converted weights and one run (up to RUN_BYTES plus a tensor).
  const loadPeak = fixed + (streams ? convertedBytes + RUN_BYTES + largestTensor : fileBytes + (converting ? convertedBytes : 0));
  const peakFor = (length) => Math.max(loadPeak, fixed + weightBytes + kvPerToken * length + workingFor(length));
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
      `the ${formatBytes(fileBytes)} checkpoint (${names}), KV cache ${formatBytes(kvPerToken * maxLength)} for max_length ${maxLength}, ` +
      `working memory ${formatBytes(workingFor(maxLength) + fixed)}), more than ${formatBytes(limit)} (${limiting.name})`];
    if (!streams && fixed + fileBytes > limit) {
      const streamingFit = ['q8', 'q4'].find((name) => estimateMemory({ config, headers, dtype: name, max_length: maxLength, limits, inUseBytes }).fits);
      parts.push('the checkpoint files alone do not fit' + (streamingFit
        ? `: try dtype: '${streamingFit}' (quantized as the files stream in, which never sit whole in memory)`
        : ': try a smaller model, or a quantized checkpoint of this one'));
    } else {
      let longest = 0;
      for (let step = 2 ** 20; step >= 1; step = Math.floor(step / 2)) {
        if (longest + step < maxLength && peakFor(longest + step) <= limit) longest += step;
      }
      if (longest >= 16) parts.push(`try a smaller max_length (${longest} fits)`);
      const smaller = ['fp16', 'q8', 'q4'].filter((name) => DTYPE_BYTES[name] < DTYPE_BYTES[target ?? 'fp32']);
      const fitting = smaller.find((name) => estimateMemory({ config, headers, dtype: name, max_length: maxLength, limits, inUseBytes }).fits);
      if (fitting) parts.push(`try a quantized dtype (dtype: '${fitting}' fits with max_length ${maxLength})`);
      else if (longest < 16) parts.push('try a quantized dtype (q8, q4) with a smaller max_length, or a smaller model');
    }
    advice = parts.join('; ');
  }
  return { fits, weight_bytes: weightBytes, kv_cache_bytes: kvPerToken * maxLength, peak_bytes: peak, limit_bytes: limit, max_length: maxLength, advice };
}

/**
 * Says whether a model will fit before anything large is downloaded: reads config.json and the
 * safetensors headers only (HTTP Range requests where the server allows them), no weights, and
 * works before the wasm module is loaded.
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
  return estimateMemory({ config, headers, dtype, max_length, limits: await memoryLimits() });
}

/** from_pretrained's refusal: throws WAX_TOO_LARGE naming the model, what it needs and what to try. */
export async function assertFits({ label, config, plan, dtype, max_length, inUseBytes }) {
  const headers = plan.files.map((entry) => ({ ...entry.opened, file: entry.file }));
  const report = estimateMemory({ config, headers, dtype, max_length, limits: await memoryLimits(), inUseBytes });
  if (!report.fits) {
    plan.close();
    throw new WaxError(`${label}: this model cannot be loaded here: it ${report.advice}`, { code: 'WAX_TOO_LARGE' });
  }
  return report;
}
