// Whisper (models/registry.js; src/models/whisper.cpp), as transformers.js's
// WhisperForConditionalGeneration: the encoder over log-mel input_features, the decoder's logits
// for decoder_input_ids, and generate from the decoder start; the handle, memory() and dispose()
// are PreTrainedModel's, the token loop models/generation.js's.
import { badInput, describeValue, throwIfAborted } from '../errors.js';
import { FORWARD_OPTIONS, GENERATE_OPTIONS, checkOptions } from '../options.js';
import { Tensor, toIdMatrix } from '../tensor.js';
import { kvCacheBytes, streamGeneration } from './generation.js';
import { PreTrainedModel } from './pretrained-model.js';

/** generate's options: CausalLM's, and Whisper's return_timestamps and word timing. */
const WHISPER_GENERATE_OPTIONS = {
  ...GENERATE_OPTIONS,
  return_timestamps: { expected: 'true or false', test: (value) => typeof value === 'boolean' },
  return_token_timestamps: { expected: 'true or false', test: (value) => typeof value === 'boolean' },
  num_frames: { expected: "the audio's log-mel frame count (an integer ≥ 2)", test: (value) => Number.isSafeInteger(value) && value >= 2 },
};

/**
 * Whisper living in the wasm heap. Create it with `AutoModelForSpeechSeq2Seq.from_pretrained` (or
 * this class's own). Sizes and the decoder start come from config.json as C++ read them.
 */
export class WhisperForConditionalGeneration extends PreTrainedModel {
  static modelTask = 'seq2seq';
  static loadsGenerationConfig = true;
  static task = 'automatic-speech-recognition';
  static workerMethods = [...PreTrainedModel.workerMethods, 'encode', 'generate'];
  static workerProperties = [...PreTrainedModel.workerProperties, 'generation_config'];

  constructor(runtime, handle, config) {
    super(runtime, handle, config);
    const info = this.modelInfo();
    this.#vocabSize = info.vocab_size;
    /** generation_config.json as C++ read it at load ({} when the model has none). */
    this.generation_config = info.generation_config ?? {};
  }

  /** As the C++ loader read and checked it from config.json. */
  #vocabSize;

  /** Generate jobs in flight, for memory(). */
  #generations = new Set();

  heldBytes() {
    return { kv_cache_bytes: kvCacheBytes(this, this.#generations) };
  }

  /**
   * A float32 Tensor of `name` as a job input; its dims (batch, num_mel_bins, frames) are C++'s to
   * check, naming it.
   */
  #floatInput(value, name, caller) {
    if (!(value instanceof Tensor) || !(value.data instanceof Float32Array)) {
      throw badInput(`${caller}: ${name} must be a float32 Tensor (the processor's output), got ${describeValue(value)}`);
    }
    return { data: value.data, dims: value.dims };
  }

  /** input_features, or else encoder_hidden_states (the encoder's output, given back). */
  #sourceInputs(inputs, caller) {
    this.liveHandle();
    const { input_features, encoder_hidden_states } = inputs ?? {};
    if (input_features !== undefined && input_features !== null) {
      return { input_features: this.#floatInput(input_features, 'input_features', caller) };
    }
    if (encoder_hidden_states !== undefined && encoder_hidden_states !== null && caller !== 'encode') {
      return { encoder_hidden_states: this.#floatInput(encoder_hidden_states, 'encoder_hidden_states', caller) };
    }
    throw badInput(`${caller}: pass input_features (a float32 Tensor [batch, num_mel_bins, frames], the processor's output)`);
  }

  #decoderIds(value, caller) {
    return toIdMatrix(value, `${caller}: decoder_input_ids`,
      { limit: this.#vocabSize, expected: `a token id (an integer in [0, ${this.#vocabSize - 1}])` });
  }

  /**
   * The encoder's output for log-mel features, one layer a step (`signal` aborts between them).
   *
   * @example
   * const { last_hidden_state } = await model.encode({ input_features });
   * last_hidden_state.dims; // [1, 1500, 384]
   */
  async encode(inputs, options = {}) {
    checkOptions('encode', options ?? {}, FORWARD_OPTIONS);
    return this.runJob('encode', this.#sourceInputs(inputs, 'encode'), { signal: options?.signal });
  }

  /**
   * The decoder's logits for `decoder_input_ids` over the audio of `input_features` (or over
   * `encoder_hidden_states`, encode()'s output). The model is callable: `await model(inputs)` is
   * the same, as in transformers.js. `options.signal` aborts between layers.
   *
   * @example
   * const { logits } = await model({ input_features, decoder_input_ids: [[50258]] });
   * logits.dims; // [1, 1, 51865]
   */
  async forward(inputs, options = {}) {
    checkOptions('forward', options ?? {}, FORWARD_OPTIONS);
    const source = this.#sourceInputs(inputs, 'forward');
    if (inputs.decoder_input_ids === undefined || inputs.decoder_input_ids === null) {
      throw badInput('forward: pass decoder_input_ids (the decoder\'s ids, [batch, n])');
    }
    const { logits } = await this.runJob('forward', { ...source, decoder_input_ids: this.#decoderIds(inputs.decoder_input_ids, 'forward') },
      { signal: options?.signal });
    return { logits };
  }

  /**
   * Generates token ids from the audio of `input_features`: the encoder runs first (in steps, so
   * `signal` aborts it too), then the decoder from `decoder_input_ids` ([batch, n], the start of
   * every row) or, without them, from generation_config.json's decoder_start_token_id alone.
   * Options as CausalLM.generate's (max_new_tokens, do_sample, suppress_tokens, forced_decoder_ids,
   * eos_token_id, streamer, stopping_criteria, …), over generation_config.json's; `return_timestamps:
   * true` applies Whisper's timestamp rules (pairs, monotonic, max_initial_timestamp_index; the
   * start ids must then leave out <|notimestamps|>). Resolves to an
   * int64 Tensor [batch, n + new tokens] that starts with the start ids. With
   * `return_token_timestamps: true` it resolves, as transformers.js's, to `{ sequences,
   * token_timestamps }`: a float32 Tensor of the same dims with each token's start in seconds,
   * aligned by dynamic time warping over the cross-attention of generation_config.json's
   * alignment_heads; `num_frames` (the audio's samples / hop_length) keeps the alignment inside
   * the audio of a window that padding filled up to 30 s. The generation must run to its end
   * (no stopping_criteria or stop_strings).
   *
   * @example
   * const ids = await model.generate({ input_features, max_new_tokens: 20 });
   * ids.dims; // [1, 21]
   */
  async generate(inputs = {}) {
    const { input_features, encoder_hidden_states, decoder_input_ids, ...given } = inputs ?? {};
    checkOptions('generate', given, WHISPER_GENERATE_OPTIONS);
    const source = this.#sourceInputs({ input_features, encoder_hidden_states }, 'generate');
    const start = decoder_input_ids === undefined || decoder_input_ids === null ? null : this.#decoderIds(decoder_input_ids, 'generate');
    const { streamer, signal, stopping_criteria, stop_strings, tokenizer, ...options } = given;
    // C++ merges the call's options over generation_config.json's (generate_options_from_request);
    // an option given as undefined or null means the default.
    const request = Object.fromEntries(Object.entries(options).filter(([name]) => Object.hasOwn(WHISPER_GENERATE_OPTIONS, name))
      .map(([name, value]) => [name, value ?? null]));
    if (options.return_token_timestamps && (stopping_criteria || stop_strings)) {
      throw badInput('generate: return_token_timestamps aligns the whole generation, which stopping_criteria and stop_strings would cut short; pass one or the other');
    }
    throwIfAborted(signal);
    const begin = () => {
      const job = this.newJob('generate', { ...source, decoder_input_ids: start }, request);
      // The start ids C++ settled on: decoder_input_ids, or the decoder start token for each row.
      const startIds = Int32Array.from(this.jobInfo(job).decoder_input_ids);
      const batch = (source.input_features ?? source.encoder_hidden_states).dims[0];
      return { job, prompt: { data: startIds, dims: [batch, startIds.length / batch] } };
    };
    return streamGeneration(this, this.#generations, begin, { streamer, signal, stopping_criteria, stop_strings, tokenizer },
      options.return_token_timestamps ? ['token_timestamps'] : []);
  }
}
