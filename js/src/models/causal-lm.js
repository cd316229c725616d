// Decoder-only language models (Llama, Qwen2, Mistral): load, forward, greedy generate, dispose.
import { WaxError, throwIfAborted } from '../errors.js';
import { openSource } from '../loader/source.js';
import { getRuntime } from '../runtime.js';
import { Tensor, toIdMatrix } from '../tensor.js';

const WEIGHTS_FILE = 'model.safetensors';

function parseJson(text, file, label) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WaxError(`${label}/${file}: not valid JSON (${error.message})`, { code: 'WAX_BAD_CONFIG', cause: error });
  }
}

/** Loads the files of `source` and builds the model in the wasm heap. */
async function loadCausalLM(source, { signal, progress_callback: progress } = {}) {
  const runtime = await getRuntime();
  const folder = openSource(source);
  const name = String(source);
  const configText = await folder.readText('config.json', { signal });
  const config = parseJson(configText, 'config.json', folder.label);
  const generationText = await folder.readText('generation_config.json', { signal, optional: true });
  const generationConfig = generationText ? parseJson(generationText, 'generation_config.json', folder.label) : {};

  progress?.({ status: 'initiate', name, file: WEIGHTS_FILE });
  progress?.({ status: 'download', name, file: WEIGHTS_FILE });
  const { ptr, size } = await folder.readIntoHeap(runtime, WEIGHTS_FILE, {
    signal,
    onProgress: (loaded, total) =>
      progress?.({ status: 'progress', name, file: WEIGHTS_FILE, loaded, total, progress: total ? (100 * loaded) / total : 0 }),
  });
  progress?.({ status: 'done', name, file: WEIGHTS_FILE });

  const weights = runtime.plain('wax_weights_new');
  let fileName = 0, configPtr = 0;
  try {
    fileName = runtime.copyString(`${folder.label.replace(/\/$/, '')}/${WEIGHTS_FILE}`, 'a file name');
    runtime.call('wax_weights_add_file', weights, fileName, ptr, size); // owns ptr from here on
  } catch (error) {
    runtime.plain('wax_weights_free', weights);
    throw error;
  } finally {
    runtime.free(fileName);
  }
  try {
    throwIfAborted(signal);
    configPtr = runtime.copyString(configText, 'config.json');
  } catch (error) {
    runtime.plain('wax_weights_free', weights);
    throw error;
  }
  try {
    const handle = runtime.call('wax_causal_lm_load', configPtr, weights); // consumes weights
    progress?.({ status: 'ready', task: 'text-generation', model: name });
    return new CausalLM(runtime, handle, config, generationConfig);
  } finally {
    runtime.free(configPtr);
  }
}

/** Reads `input_ids` and `attention_mask` into heap blocks; returns them with [batch, seq]. */
function idsToHeap(runtime, input_ids, attention_mask) {
  const ids = toIdMatrix(input_ids, 'input_ids');
  const mask = attention_mask === undefined || attention_mask === null ? null : toIdMatrix(attention_mask, 'attention_mask');
  if (mask && (mask.dims[0] !== ids.dims[0] || mask.dims[1] !== ids.dims[1])) {
    throw new WaxError(`attention_mask: dims [${mask.dims}] must equal input_ids dims [${ids.dims}]`, { code: 'WAX_BAD_INPUT' });
  }
  const idsPtr = runtime.copyIn(ids.data, 'input_ids');
  let maskPtr = 0;
  try {
    maskPtr = mask ? runtime.copyIn(mask.data, 'attention_mask') : 0;
  } catch (error) {
    runtime.free(idsPtr);
    throw error;
  }
  return { idsPtr, maskPtr, batch: ids.dims[0], seq: ids.dims[1] };
}

/** A causal language model living in the wasm heap. Create it with `AutoModelForCausalLM.from_pretrained`. */
export class CausalLM {
  constructor(runtime, handle, config, generationConfig) {
    this.runtime = runtime;
    this.handle = handle;
    /** The parsed config.json. */
    this.config = config;
    /** The parsed generation_config.json ({} when the model has none). */
    this.generation_config = generationConfig;
  }

  #live() {
    if (!this.handle) throw new WaxError('this model was disposed', { code: 'WAX_DISPOSED' });
    return this.handle;
  }

  /**
   * One forward pass over a (left-padded) batch.
   *
   * @example
   * const { logits } = await model.forward({ input_ids: [[1, 404, 442]] });
   * logits.dims; // [1, 3, 512]
   */
  async forward({ input_ids, attention_mask } = {}) {
    const handle = this.#live();
    const { runtime } = this;
    const { idsPtr, maskPtr, batch, seq } = idsToHeap(runtime, input_ids, attention_mask);
    try {
      const vocab = runtime.plain('wax_causal_lm_vocab_size', handle);
      const logitsPtr = runtime.call('wax_causal_lm_forward', handle, idsPtr, maskPtr, batch, seq) >>> 0;
      const count = batch * seq * vocab;
      const logits = new Float32Array(runtime.heapU8.buffer, logitsPtr, count).slice();
      runtime.free(logitsPtr);
      return { logits: new Tensor('float32', logits, [batch, seq, vocab]) };
    } finally {
      runtime.free(idsPtr);
      runtime.free(maskPtr);
    }
  }

  /**
   * Greedy decoding with the KV cache. Resolves to an int64 Tensor [batch, seq + new tokens]:
   * each row's prompt followed by its continuation (rows that hit `eos_token_id` are padded
   * with `pad_token_id`). `eos_token_id` defaults to generation_config.json's; pass `[]` to
   * never stop early.
   *
   * @example
   * const out = await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4 });
   * out.dims; // [1, 7]
   */
  async generate({ input_ids, attention_mask, max_new_tokens = 20, do_sample = false, eos_token_id, pad_token_id } = {}) {
    const handle = this.#live();
    if (do_sample) {
      throw new WaxError('generate: do_sample is not supported yet; only greedy decoding (do_sample: false) is', { code: 'WAX_UNSUPPORTED' });
    }
    if (!Number.isInteger(max_new_tokens) || max_new_tokens < 0) {
      throw new WaxError(`generate: max_new_tokens must be a non-negative integer, got ${max_new_tokens}`, { code: 'WAX_BAD_INPUT' });
    }
    const eos = [eos_token_id ?? this.generation_config.eos_token_id ?? this.config.eos_token_id ?? []].flat();
    const pad = pad_token_id ?? this.generation_config.pad_token_id ?? this.config.pad_token_id ?? eos[0] ?? 0;
    const { runtime } = this;
    const { idsPtr, maskPtr, batch, seq } = idsToHeap(runtime, input_ids, attention_mask);
    let eosPtr = 0, lengthPtr = 0;
    try {
      eosPtr = runtime.copyIn(Int32Array.from(eos), 'eos_token_id');
      lengthPtr = runtime.malloc(4, 'a length slot');
      const outPtr = runtime.call('wax_causal_lm_generate_greedy', handle, idsPtr, maskPtr, batch, seq, max_new_tokens,
        eosPtr, eos.length, pad, lengthPtr) >>> 0;
      const length = runtime.module.HEAP32[lengthPtr >>> 2];
      const ids = new Int32Array(runtime.heapU8.buffer, outPtr, batch * length).slice();
      runtime.free(outPtr);
      return new Tensor('int64', BigInt64Array.from(ids, BigInt), [batch, length]);
    } finally {
      [idsPtr, maskPtr, eosPtr, lengthPtr].forEach((ptr) => runtime.free(ptr));
    }
  }

  /** Frees everything the model holds in the wasm heap. Safe to call twice. */
  dispose() {
    if (this.handle) this.runtime.plain('wax_causal_lm_free', this.handle);
    this.handle = 0;
  }
}

/**
 * Loads decoder-only language models, as transformers.js's class of the same name.
 *
 * @example
 * import { AutoModelForCausalLM } from 'wax';
 * const model = await AutoModelForCausalLM.from_pretrained('tests/fixtures/llama_gqa_tied');
 * const ids = await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 5 });
 * ids.dims; // [1, 8]
 * model.dispose();
 */
export class AutoModelForCausalLM {
  /**
   * @param {string | URL} source a local folder (Node) or the URL of a folder holding config.json and model.safetensors
   * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void }} [options]
   */
  static from_pretrained(source, options = {}) {
    return loadCausalLM(source, options);
  }
}
