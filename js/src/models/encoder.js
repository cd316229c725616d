// Encoder models (BERT; models/registry.js): forward to token states, and pooled sentence
// embeddings; the handle, memory() and dispose() are PreTrainedModel's.
import { EMBED_OPTIONS, FORWARD_OPTIONS, checkOptions } from '../options.js';
import { readModelInputs } from '../tensor.js';
import { PreTrainedModel } from './pretrained-model.js';

/** A BERT-style encoder in the wasm heap. Create it with `AutoModel.from_pretrained`. */
export class EncoderModel extends PreTrainedModel {
  static modelTask = 'encoder';
  static task = 'feature-extraction';
  static workerMethods = [...PreTrainedModel.workerMethods, 'embed'];
  static workerProperties = [...PreTrainedModel.workerProperties, 'hidden_size', 'max_position_embeddings'];

  constructor(runtime, handle, config) {
    super(runtime, handle, config);
    ({ hidden_size: this.hidden_size, max_position_embeddings: this.max_position_embeddings } = this.modelInfo());
  }

  /** The checked inputs of a forward or embed call (tensor.js readModelInputs), as job inputs. */
  #inputs(inputs, caller) {
    this.liveHandle();
    // vocab_size and type_vocab_size as the C++ loader read and checked them from config.json.
    const { batch, seq, input_ids, token_type_ids, attention_mask } = readModelInputs(inputs, caller,
      { vocab_size: this.config.vocab_size, type_vocab_size: this.config.type_vocab_size ?? 2 });
    const input = (data) => data && { data, dims: [batch, seq] };
    return { input_ids: input(input_ids), token_type_ids: input(token_type_ids), attention_mask: input(attention_mask) };
  }

  /**
   * The encoder's outputs for a (right-padded) batch. The model is callable: `await model(inputs)`
   * is the same, as in transformers.js. `options.signal` (an AbortSignal) aborts between layers,
   * rejecting with its reason.
   *
   * @example
   * const { last_hidden_state, pooler_output } = await model.forward({ input_ids: [[101, 7592, 102]] });
   * last_hidden_state.dims; // [1, 3, 64]
   */
  async forward(inputs, options = {}) {
    checkOptions('forward', options, FORWARD_OPTIONS);
    return this.runJob('forward', this.#inputs(inputs, 'forward'), { signal: options?.signal });
  }

  /**
   * Sentence embeddings: `pooling` 'mean' (over the attention mask), 'cls' or 'none' (token states),
   * L2-normalised when `normalize`. Pooling runs in the wasm module, so only [batch, hidden] comes back.
   * `signal` (an AbortSignal) aborts between layers, rejecting with its reason.
   */
  async embed(inputs, options = {}) {
    checkOptions('embed', options, EMBED_OPTIONS);
    const { pooling = 'mean', normalize = false, signal } = options ?? {};
    const { embeddings } = await this.runJob('embed', this.#inputs(inputs, 'embed'), { options: { pooling, normalize }, signal });
    return embeddings;
  }
}
