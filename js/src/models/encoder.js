// Encoder models (BERT): load, forward to token states, pooled sentence embeddings, dispose.
import { makeAsyncDisposable } from '../disposable.js';
import { WaxError } from '../errors.js';
import { Tensor, toIdMatrix } from '../tensor.js';
import { createRemote, wantsWorker } from '../worker/remote.js';
import { loadCheckpoint } from './checkpoint.js';

const POOLING = { none: 0, mean: 1, cls: 2 };

/** A BERT-style encoder in the wasm heap. Create it with `AutoModel.from_pretrained`. */
export class EncoderModel {
  constructor(runtime, handle, config) {
    this.runtime = runtime;
    this.handle = handle;
    /** The parsed config.json. */
    this.config = config;
    this.hidden_size = runtime.plain('wax_encoder_hidden_size', handle);
    this.max_position_embeddings = runtime.plain('wax_encoder_max_positions', handle);
  }

  #live() {
    if (!this.handle) throw new WaxError('this model was disposed', { code: 'WAX_DISPOSED' });
    return this.handle;
  }

  #run({ input_ids, attention_mask, token_type_ids }, pooling, normalize) {
    const handle = this.#live();
    const { runtime } = this;
    const ids = toIdMatrix(input_ids, 'input_ids');
    const [batch, seq] = ids.dims;
    const extra = (value, name) => {
      if (value === undefined || value === null) return null;
      const m = toIdMatrix(value, name);
      if (m.dims[0] !== batch || m.dims[1] !== seq) {
        throw new WaxError(`${name}: dims [${m.dims}] must equal input_ids dims [${ids.dims}]`, { code: 'WAX_BAD_INPUT' });
      }
      return m.data;
    };
    const blocks = [ids.data, extra(token_type_ids, 'token_type_ids'), extra(attention_mask, 'attention_mask')];
    const ptrs = [];
    try {
      for (const block of blocks) ptrs.push(block ? runtime.copyIn(block, 'encoder inputs') : 0);
      ptrs.push(runtime.malloc(4, 'a row count'));
      const out = runtime.call('wax_encoder_forward', handle, ptrs[0], ptrs[1], ptrs[2], batch, seq, POOLING[pooling],
        normalize ? 1 : 0, ptrs[3]) >>> 0;
      const poolerRows = runtime.module.HEAP32[ptrs[3] >>> 2];
      const rows = pooling === 'none' ? batch * seq : batch;
      const values = new Float32Array(runtime.heapU8.buffer, out, (rows + poolerRows) * this.hidden_size).slice();
      runtime.free(out);
      return { values, batch, seq, poolerRows };
    } finally {
      ptrs.forEach((ptr) => runtime.free(ptr));
    }
  }

  /**
   * The encoder's outputs for a (right-padded) batch.
   *
   * @example
   * const { last_hidden_state, pooler_output } = await model.forward({ input_ids: [[101, 7592, 102]] });
   * last_hidden_state.dims; // [1, 3, 64]
   */
  async forward(inputs = {}) {
    const { values, batch, seq, poolerRows } = this.#run(inputs, 'none', false);
    const states = batch * seq * this.hidden_size;
    const result = { last_hidden_state: new Tensor('float32', values.subarray(0, states), [batch, seq, this.hidden_size]) };
    if (poolerRows) result.pooler_output = new Tensor('float32', values.subarray(states), [batch, this.hidden_size]);
    return result;
  }

  /**
   * Sentence embeddings: `pooling` 'mean' (over the attention mask), 'cls' or 'none' (token states),
   * L2-normalised when `normalize`. Pooling runs in the wasm module, so only [batch, hidden] comes back.
   */
  async embed(inputs, { pooling = 'mean', normalize = false } = {}) {
    if (!(pooling in POOLING)) throw new WaxError(`pooling must be 'mean', 'cls' or 'none', got '${pooling}'`, { code: 'WAX_BAD_INPUT' });
    const { values, batch, seq } = this.#run(inputs, pooling, normalize);
    const dims = pooling === 'none' ? [batch, seq, this.hidden_size] : [batch, this.hidden_size];
    return new Tensor('float32', values.subarray(0, dims.reduce((a, b) => a * b, 1)), dims);
  }

  /** Frees everything the model holds in the wasm heap. Safe to call twice. */
  dispose() {
    if (this.handle) this.runtime.plain('wax_encoder_free', this.handle);
    this.handle = 0;
  }
}
makeAsyncDisposable(EncoderModel.prototype);

/**
 * Loads encoder models (model_type bert), as transformers.js's AutoModel does.
 *
 * @example
 * import { AutoModel } from 'wax';
 * const model = await AutoModel.from_pretrained('tests/fixtures/bert_tiny_st');
 * const { last_hidden_state } = await model.forward({ input_ids: [[101, 7592, 102]], attention_mask: [[1, 1, 1]] });
 * model.dispose();
 */
export class AutoModel {
  /**
   * @param {string | URL} source a local folder (Node), a folder URL or a Hugging Face repo id
   * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, dtype?: string, revision?: string, worker?: boolean }} [options]
   *   On a page's main thread the model runs in a wax-made module Worker unless `worker: false`.
   */
  static async from_pretrained(source, options = {}) {
    if (wantsWorker(options)) {
      const { worker, ...rest } = options;
      return createRemote('AutoModel', [source instanceof URL ? source.href : source, rest]);
    }
    const { runtime, handle, config } = await loadCheckpoint(source, { ...options, task: 'feature-extraction' },
      (rt, weights, configPtr, optionsPtr) => rt.call('wax_encoder_load', configPtr, weights, optionsPtr));
    return new EncoderModel(runtime, handle, config);
  }
}
