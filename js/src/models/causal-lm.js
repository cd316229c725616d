// Decoder-only language models (Llama, Qwen2, Mistral; models/registry.js): forward, and generate
// (greedy or sampled) with the KV cache; the handle, memory() and dispose() are PreTrainedModel's,
// the token loop models/generation.js's.
import { throwIfAborted } from '../errors.js';
import { FORWARD_OPTIONS, GENERATE_OPTIONS, checkOptions } from '../options.js';
import { readModelInputs } from '../tensor.js';
import { kvCacheBytes, streamGeneration } from './generation.js';
import { PreTrainedModel } from './pretrained-model.js';

/** A causal language model living in the wasm heap. Create it with `AutoModelForCausalLM.from_pretrained`. */
export class CausalLM extends PreTrainedModel {
  static modelTask = 'causal_lm';
  static loadsGenerationConfig = true;
  static task = 'text-generation';
  static workerMethods = [...PreTrainedModel.workerMethods, 'generate'];
  static workerProperties = [...PreTrainedModel.workerProperties, 'generation_config'];

  constructor(runtime, handle, config) {
    super(runtime, handle, config);
    const info = this.modelInfo();
    this.#vocabSize = info.vocab_size;
    this.#maxPositions = info.max_position_embeddings;
    /**
     * generation_config.json as C++ read it at load ({} when the model has none); generate's
     * defaults come from C++'s copy, checked there as each is used.
     */
    this.generation_config = info.generation_config;
  }

  /** As the C++ loader read and checked them from config.json. */
  #vocabSize;
  #maxPositions;

  /** Generate jobs in flight, for memory(). */
  #generations = new Set();

  heldBytes() {
    return { kv_cache_bytes: kvCacheBytes(this, this.#generations) };
  }

  #warnedPastPositions = false;

  /**
   * Warns once, as the feature-extraction pipeline does for BERT, when a call runs past the
   * positions the model was trained on (RoPE runs on, the output degrades).
   */
  #warnPastPositions(positions, what) {
    const limit = this.#maxPositions;
    if (this.#warnedPastPositions || !(positions > limit)) return;
    this.#warnedPastPositions = true;
    console.warn(`wax: ${what}, more than this model's max_position_embeddings (${limit}): ` +
      'positions past it were never trained and the output may degrade');
  }

  /** The checked ids, mask and dims of a forward or generate call (tensor.js readModelInputs). */
  #inputs(inputs, caller) {
    return readModelInputs(inputs, caller, { vocab_size: (this.liveHandle(), this.#vocabSize) });
  }

  /**
   * One forward pass over a (left-padded) batch. The model is callable: `await model(inputs)` is
   * the same, as in transformers.js. `options.signal` (an AbortSignal) aborts between decoder
   * layers, rejecting with its reason.
   *
   * @example
   * const { logits } = await model.forward({ input_ids: [[1, 404, 442]] });
   * logits.dims; // [1, 3, 512]
   */
  async forward(inputs, options = {}) {
    checkOptions('forward', options, FORWARD_OPTIONS);
    const { batch, seq, input_ids, attention_mask } = this.#inputs(inputs, 'forward');
    this.#warnPastPositions(seq, `input_ids has ${seq} positions`);
    const dims = [batch, seq];
    return this.runJob('forward', { input_ids: { data: input_ids, dims }, attention_mask: attention_mask && { data: attention_mask, dims } },
      { signal: options?.signal });
  }

  /**
   * Generates continuations with the KV cache: greedy, or sampled with `do_sample: true`.
   * Options follow transformers' generate: `max_new_tokens` (default 20; or `max_length`, the
   * prompt included, as generation_config.json may set it), `do_sample`,
   * `temperature`, `top_k` (default 50 when sampling), `top_p`, `min_p`, `repetition_penalty`,
   * `seed` (the same seed gives the same ids in Node and browsers), `eos_token_id` (number or
   * list; default from generation_config.json; `[]` never stops early), `pad_token_id`; defaults
   * come from generation_config.json. `streamer` receives `put(ids)` with the prompt, then each
   * new token as `[[id], …]`, then `end()`. `signal` aborts between layers, rejecting with its
   * reason. `stopping_criteria` (a function `(input_ids: bigint[][], scores) => boolean[]` given
   * every row's ids so far, a list of them, or a StoppingCriteriaList, as in transformers.js) is
   * asked after every token; `stop_strings` (a string or a list) with `tokenizer` stops a row once
   * its new text contains one, as transformers' generate. Generation ends when every row is done
   * (by a criterion or its eos). Resolves to an int64 Tensor [batch, seq + new tokens]; rows that
   * stopped early are padded with `pad_token_id`. Options are checked first (options.js
   * GENERATE_OPTIONS): a wrong type or range is a WAX_BAD_INPUT naming the option.
   *
   * @example
   * const out = await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4, do_sample: false });
   * out.dims; // [1, 7]
   */
  async generate(inputs) {
    this.liveHandle();
    const read = this.#inputs(inputs, 'generate');
    // token_type_ids, which some tokenizers return, mean nothing to a decoder.
    const { input_ids, attention_mask, token_type_ids, ...given } = inputs;
    checkOptions('generate', given, GENERATE_OPTIONS);
    const { streamer, signal, stopping_criteria, stop_strings, tokenizer, ...options } = given;
    // C++ merges the call's options over generation_config.json's over transformers' defaults and
    // config.json's eos (generate_options_from_request); an option given as undefined or null means the default.
    const request = Object.fromEntries(Object.entries(options).filter(([name]) => Object.hasOwn(GENERATE_OPTIONS, name))
      .map(([name, value]) => [name, value ?? null]));
    throwIfAborted(signal);
    const { batch, seq, input_ids: promptIds } = read;
    const dims = [batch, seq];
    const start = () => {
      const job = this.newJob('generate', { input_ids: { data: promptIds, dims }, attention_mask: read.attention_mask && { data: read.attention_mask, dims } },
        request);
      const { max_new_tokens: newTokens } = this.jobInfo(job);
      this.#warnPastPositions(seq + newTokens, `the prompt (${seq} tokens) and max_new_tokens (${newTokens}) reach ${seq + newTokens} positions`);
      return { job, prompt: { data: promptIds, dims } };
    };
    return streamGeneration(this, this.#generations, start, { streamer, signal, stopping_criteria, stop_strings, tokenizer });
  }}
