// Decoder-only language models (Llama, Qwen2, Mistral; models/registry.js): forward, and generate
// (greedy or sampled) with the KV cache; the handle, memory() and dispose() are PreTrainedModel's.
import { WaxError, throwIfAborted } from '../errors.js';
import { FORWARD_OPTIONS, GENERATE_OPTIONS, checkOptions } from '../options.js';
import { Tensor, readModelInputs } from '../tensor.js';
import { UnawaitedCalls } from '../streamers.js';
import { sliceTimer } from '../yield.js';
import { PreTrainedModel } from './pretrained-model.js';

/**
 * The criterion of `stop_strings`, as transformers' generate: a row is done once its new text
 * contains one of `stops`. The text comes from the tokenizer's decode_stream (a wax tokenizer,
 * here or across the wax worker) one piece a token, and only the end that a new piece can
 * complete is searched, so the work a token stays the same however long the text grows. A
 * tokenizer with decode() alone has its rows' new text decoded again after every token.
 * `dispose()` frees the streams.
 */
function stopStringCriterion(tokenizer, stops, batch, promptLength) {
  const keep = Math.max(...stops.map((stop) => stop.length)) - 1;
  const tails = new Array(batch).fill('');
  const found = (row, piece) => {
    const text = tails[row] + piece;
    tails[row] = text.slice(Math.max(0, text.length - keep));
    return stops.some((stop) => text.includes(stop));
  };
  if (typeof tokenizer.decode_stream !== 'function') {
    return {
      criterion: (input_ids) => Promise.all(input_ids.map(async (ids) => {
        const text = await tokenizer.decode(ids.slice(promptLength), { skip_special_tokens: true });
        return stops.some((stop) => text.includes(stop));
      })),
      dispose: () => {},
    };
  }
  let streams = null;
  return {
    criterion: async (input_ids) => {
      streams ??= await tokenizer.decode_stream(batch, { skip_special_tokens: true });
      const pieces = await streams.push(input_ids.map((ids) => Number(ids.at(-1))));
      return pieces.map((piece, row) => found(row, piece));
    },
    dispose: () => streams?.dispose(),
  };
}

/**
 * The criteria generate asks after every token, as transformers.js: `stopping_criteria` is one
 * criterion (called with (input_ids, scores), answering a boolean per row), a list of them, or a
 * StoppingCriteriaList (itself such a criterion); `stop_strings`, as transformers' generate,
 * needs the `tokenizer` to read each row's new text (stopStringCriterion). Answers may be
 * promises: a criterion or a tokenizer on the other side of the wax worker answers through a
 * message. `dispose()` frees what the stop strings' criterion holds.
 */
function stoppingCriteria({ stopping_criteria, stop_strings, tokenizer }, batch, promptLength) {
  const criteria = stopping_criteria === undefined || stopping_criteria === null ? [] : [stopping_criteria].flat();
  const stops = stop_strings === undefined || stop_strings === null ? [] : [stop_strings].flat();
  if (!stops.length) return { criteria, dispose: () => {} };
  if (typeof tokenizer?.decode !== 'function') {
    throw new WaxError('stop_strings: pass the tokenizer too, generate({ stop_strings, tokenizer }), to read the generated text',
      { code: 'WAX_BAD_INPUT' });
  }
  const { criterion, dispose } = stopStringCriterion(tokenizer, stops, batch, promptLength);
  return { criteria: [...criteria, criterion], dispose };
}

/** Marks the rows that `criteria` call done (a single boolean speaks for every row); true when all are. */
async function allRowsDone(criteria, sequences, done) {
  for (const criterion of criteria) {
    const answer = await criterion(sequences, undefined);
    done.forEach((rowDone, row) => { done[row] = rowDone || !!(Array.isArray(answer) ? answer[row] : answer); });
  }
  return done.every(Boolean);
}

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
    let kv = 0;
    for (const job of this.#generations) kv += this.jobInfo(job).held_bytes;
    return { kv_cache_bytes: kv };
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
   * Options follow transformers' generate: `max_new_tokens` (default 20), `do_sample`,
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
    const { runtime } = this;
    const read = this.#inputs(inputs, 'generate');
    // token_type_ids, which some tokenizers return, mean nothing to a decoder.
    const { input_ids, attention_mask, token_type_ids, ...given } = inputs;
    checkOptions('generate', given, GENERATE_OPTIONS);
    const { streamer: userStreamer, signal, stopping_criteria, stop_strings, tokenizer, ...options } = given;
    const streamer = userStreamer && new UnawaitedCalls().watch(userStreamer);
    // C++ merges the call's options over generation_config.json's over transformers' defaults and
    // config.json's eos (generate_options_from_request); an option given as undefined or null means the default.
    const request = Object.fromEntries(Object.entries(options).filter(([name]) => Object.hasOwn(GENERATE_OPTIONS, name))
      .map(([name, value]) => [name, value ?? null]));
    throwIfAborted(signal);
    const { batch, seq, input_ids: promptIds } = read;
    const { criteria, dispose: disposeCriteria } = stoppingCriteria({ stopping_criteria, stop_strings, tokenizer }, batch, seq);
    const dims = [batch, seq];
    const promptRows = () => Array.from({ length: batch }, (_, b) => Array.from(promptIds.subarray(b * seq, (b + 1) * seq), BigInt));
    let job = 0;
    try {
      job = this.newJob('generate', { input_ids: { data: promptIds, dims }, attention_mask: read.attention_mask && { data: read.attention_mask, dims } },
        request);
      this.#generations.add(job);
      const { max_new_tokens: newTokens, eos_token_id: eos } = this.jobInfo(job);
      this.#warnPastPositions(seq + newTokens, `the prompt (${seq} tokens) and max_new_tokens (${newTokens}) reach ${seq + newTokens} positions`);
      streamer?.put(promptRows());
      const pause = sliceTimer();
      const sequences = promptRows();
      const eosIds = new Set(eos);
      const done = new Array(batch).fill(false);
      let tokens = null; // the job's (batch, 1) new tokens, read in place (none when max_new_tokens is 0)
      for (let state = 0; state !== 2;) {
        await pause();
        throwIfAborted(signal);
        this.liveHandle();
        state = runtime.call('wax_job_step', job);
        if (state === 0) continue;
        tokens ??= this.jobOutputs(job).tokens;
        if (tokens.dims[1] === 0) continue;
        const ids = new Int32Array(runtime.heapU8.buffer, tokens.data, batch).slice();
        streamer?.put(Array.from(ids, (id) => [BigInt(id)]));
        ids.forEach((id, b) => {
          sequences[b].push(BigInt(id));
          done[b] ||= eosIds.has(id);
        });
        if (criteria.length && await allRowsDone(criteria, sequences, done)) break;
      }
      await streamer?.end();
      this.liveHandle();
      return new Tensor('int64', BigInt64Array.from(sequences.flat()), [batch, sequences[0].length]);
    } finally {
      if (job) {
        this.#generations.delete(job);
        this.freeJob(job);
      }
      streamer?.release();
      await disposeCriteria();
    }
  }}
