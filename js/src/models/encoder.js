// Encoder models (BERT): load, forward to token states, pooled sentence embeddings, dispose.
import { Callable } from '../callable.js';
import { makeAsyncDisposable } from '../disposable.js';
import { WaxError } from '../errors.js';
import { EMBED_OPTIONS, checkOptions } from '../options.js';
import { Tensor, readModelInputs } from '../tensor.js';
import { createRemote, wantsWorker } from '../worker/remote.js';
import { loadCheckpoint } from './checkpoint.js';

const POOLING = { none: 0, mean: 1, cls: 2 };

/** A BERT-style encoder in the wasm heap. Create it with `AutoModel.from_pretrained`. */
export class EncoderModel extends Callable {
  constructor(runtime, handle, config) {
    super();
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

  #run(inputs, caller, pooling, normalize) {
    const handle = this.#live();
    const { runtime } = this;
    // vocab_size and type_vocab_size as the C++ loader read and checked them from config.json.
    const { batch, seq, input_ids, token_type_ids, attention_mask } = readModelInputs(inputs, caller,
      { vocab_size: this.config.vocab_size, type_vocab_size: this.config.type_vocab_size ?? 2 });
    const blocks = [input_ids, token_type_ids, attention_mask];
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
   * The encoder's outputs for a (right-padded) batch. The model is callable: `await model(inputs)`
   * is the same, as in transformers.js.
   *
   * @example
   * const { last_hidden_state, pooler_output } = await model.forward({ input_ids: [[101, 7592, 102]] });
   * last_hidden_state.dims; // [1, 3, 64]
   */
  async forward(inputs) {
    const { values, batch, seq, poolerRows } = this.#run(inputs, 'forward', 'none', false);
    const states = batch * seq * this.hidden_size;
    const result = { last_hidden_state: new Tensor('float32', values.subarray(0, states), [batch, seq, this.hidden_size]) };
    if (poolerRows) result.pooler_output = new Tensor('float32', values.subarray(states), [batch, this.hidden_size]);
    return result;
  }

  /** `model(inputs)`: forward, as transformers.js's models. */
  _call(inputs) {
    return this.forward(inputs);
  }

  /**
   * Sentence embeddings: `pooling` 'mean' (over the attention mask), 'cls' or 'none' (token states),
   * L2-normalised when `normalize`. Pooling runs in the wasm module, so only [batch, hidden] comes back.
   */
  async embed(inputs, options = {}) {
    checkOptions('embed', options, EMBED_OPTIONS);
    const { pooling = 'mean', normalize = false } = options;
    const { values, batch, seq } = this.#run(inputs, 'embed', pooling, normalize);
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
 * import { AutoModel } from 'wax-ml';
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
