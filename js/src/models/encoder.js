// Encoder models (BERT; models/registry.js): forward to token states, and pooled sentence
// embeddings; the handle, memory() and dispose() are PreTrainedModel's.
import { EMBED_OPTIONS, checkOptions } from '../options.js';
import { Tensor, readModelInputs } from '../tensor.js';
import { PreTrainedModel } from './pretrained-model.js';

const POOLING = { none: 0, mean: 1, cls: 2 };

/** A BERT-style encoder in the wasm heap. Create it with `AutoModel.from_pretrained`. */
export class EncoderModel extends PreTrainedModel {
  static exports = { load: 'wax_encoder_load', free: 'wax_encoder_free' };
  static task = 'feature-extraction';
  static workerMethods = [...PreTrainedModel.workerMethods, 'embed'];
  static workerProperties = [...PreTrainedModel.workerProperties, 'hidden_size', 'max_position_embeddings'];

  constructor(runtime, handle, config) {
    super(runtime, handle, config);
    this.hidden_size = runtime.plain('wax_encoder_hidden_size', handle);
    this.max_position_embeddings = runtime.plain('wax_encoder_max_positions', handle);
  }

  #run(inputs, caller, pooling, normalize) {
    const handle = this.liveHandle();
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
}
