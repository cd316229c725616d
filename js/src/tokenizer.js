// Tokenizers from tokenizer.json, run by the C++ implementation in the wasm module, with
// transformers.js's calling conventions; chat templates rendered by @huggingface/jinja.
import { Callable } from './callable.js';
import { makeAsyncDisposable } from './disposable.js';
import { WaxError, badInput, describeValue, throwIfAborted } from './errors.js';
import { openSource } from './loader/source.js';
import { MAX_SEQUENCE_TOKENS, TOKENIZER_OPTIONS, checkOptions } from './options.js';
import { getRuntime } from './runtime.js';
import { Tensor, toIdArray } from './tensor.js';
import { WHISPER_LANGUAGE_NAMES, decodeAsr, decodeAsrWords, whisperLanguageCode } from './whisper-text.js';
import { loadWhereWanted } from './worker/remote.js';

/** A special token in tokenizer_config.json is a string or an AddedToken object. */
const tokenContent = (token) => (typeof token === 'string' ? token : token?.content ?? null);

let jinjaModule = null;
/** @huggingface/jinja, which tools/build.sh copies beside the .wasm: pages need no import map. */
async function loadJinja() {
  try {
    jinjaModule ??= await import('../dist/jinja.mjs');
  } catch (error) {
    throw new WaxError(`chat templates need js/dist/jinja.mjs, a copy of @huggingface/jinja that the build makes: run npm run build (${error.message})`,
      { code: 'WAX_MISSING_DEPENDENCY', cause: error });
  }
  return jinjaModule;
}

/**
 * The most ids one padded batch may hold: 2^24 (128 MiB as the int64 Tensor, several times that
 * as the JS arrays built on the way), far past any batch a model runs, short of what kills the
 * process before a WaxError can be thrown.
 */
const MAX_BATCH_TOKENS = 2 ** 24;

/** A conversation for apply_chat_template: messages with a string role and a content (or tool calls). */
function checkConversation(conversation) {
  if (!Array.isArray(conversation)) {
    throw badInput(`apply_chat_template: expected an array of messages { role, content }, got ${describeValue(conversation)}`);
  }
  conversation.forEach((message, i) => {
    if (message === null || typeof message !== 'object' || typeof message.role !== 'string') {
      throw badInput(`apply_chat_template: message ${i} is ${describeValue(message)}; expected { role: string, content: string }`);
    }
    if ((message.content === undefined || message.content === null) && message.tool_calls === undefined) {
      throw badInput(`apply_chat_template: message ${i} (role '${message.role}') has no content; expected { role, content: string }`);
    }
  });
}

/**
 * A tokenizer loaded from tokenizer.json. Call it like a function to encode texts into Tensors.
 *
 * @example
 * const tokenizer = await AutoTokenizer.from_pretrained('models/kjv-llama-5m');
 * const { input_ids, attention_mask } = tokenizer(['In the beginning', 'And God said'], { padding: true });
 * input_ids.dims; // [2, 4]
 * tokenizer.decode(input_ids.tolist()[0]); // 'In the beginning'
 */
export class PreTrainedTokenizer extends Callable {
  /** What a proxy on the page forwards to the wax worker, and copies from it (worker/remote.js). */
  static workerMethods = ['encode', '_call', 'decode', 'batch_decode', 'apply_chat_template'];
  static workerProperties = ['config', 'padding_side', 'model_max_length', 'chat_template', 'bos_token', 'eos_token', 'pad_token',
    'unk_token', 'all_special_ids'];

  constructor(runtime, handle, tokenizerJson, config) {
    super();
    this.runtime = runtime;
    this.handle = handle;
    /** The parsed tokenizer_config.json ({} when absent). */
    this.config = config;
    this.padding_side = config.padding_side ?? 'right';
    this.model_max_length = config.model_max_length ?? Infinity;
    this.chat_template = config.chat_template ?? null;
    for (const name of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token']) {
      this[name] = tokenContent(config[name]);
      this[`${name}_id`] = this[name] === null ? null : this.token_to_id(this[name]);
    }
    const added = tokenizerJson.added_tokens ?? [];
    this.all_special_ids = added.filter((t) => t.special).map((t) => t.id);
    this.all_special_tokens = added.filter((t) => t.special).map((t) => t.content);
    const post = tokenizerJson.post_processor;
    const usesTypeIds = post?.type === 'BertProcessing' ||
      (post?.type === 'TemplateProcessing' && JSON.stringify(post.pair ?? []).includes('"type_id":1'));
    this.model_input_names = config.model_input_names ?? ['input_ids', ...(usesTypeIds ? ['token_type_ids'] : []), 'attention_mask'];
  }

  #live() {
    if (!this.handle) throw new WaxError('this tokenizer was disposed', { code: 'WAX_DISPOSED' });
    return this.handle;
  }

  /** The id of a token string, or null. */
  token_to_id(token) {
    if (typeof token !== 'string') throw badInput(`token_to_id: expected a string, got ${describeValue(token)}`);
    const { runtime } = this;
    const ptr = runtime.copyString(token, 'a token');
    try {
      const id = runtime.plain('wax_tokenizer_token_to_id', this.#live(), ptr);
      return id < 0 ? null : id;
    } finally {
      runtime.free(ptr);
    }
  }

  #encodeOne(text, pair, addSpecialTokens) {
    if (typeof text !== 'string') throw badInput(`tokenizer: expected a string (or a list of strings), got ${describeValue(text)}`);
    const { runtime } = this;
    const first = runtime.copyText(text, 'the text');
    let second = { ptr: 0, length: 0 };
    try {
      if (pair !== null) second = runtime.copyText(pair, 'the text pair');
      const out = runtime.call('wax_tokenizer_encode', this.#live(), first.ptr, first.length, second.ptr, second.length,
        addSpecialTokens ? 1 : 0) >>> 0;
      const n = runtime.module.HEAP32[out >>> 2];
      const packed = new Int32Array(runtime.heapU8.buffer, out + 4, 3 * n).slice();
      runtime.free(out);
      return { ids: Array.from(packed.subarray(0, n)), type_ids: Array.from(packed.subarray(n, 2 * n)) };
    } finally {
      runtime.free(first.ptr);
      runtime.free(second.ptr);
    }
  }

  /**
   * Token ids of one text (and an optional `text_pair`).
   *
   * @example
   * tokenizer.encode('In the beginning'); // [418, 262, 1862]
   */
  encode(text, options = {}) {
    checkOptions('encode', options, { text_pair: TOKENIZER_OPTIONS.text_pair, add_special_tokens: TOKENIZER_OPTIONS.add_special_tokens });
    const { text_pair = null, add_special_tokens = true } = options;
    return this.#encodeOne(text, text_pair, add_special_tokens).ids;
  }

  /**
   * Encodes one text or a batch into int64 Tensors `input_ids`, `attention_mask` (and
   * `token_type_ids` for tokenizers whose pairs use them). `padding`: true/'longest' or
   * 'max_length'; `truncation` with `max_length` (default: model_max_length) cuts from the end.
   * With `return_tensor: false`, plain arrays come back instead.
   */
  _call(text, options = {}) {
    checkOptions('tokenizer', options, TOKENIZER_OPTIONS);
    const { text_pair = null, add_special_tokens = true, padding = false, truncation = null, max_length = null,
      return_tensor = true, return_token_type_ids = null } = options;
    const batched = Array.isArray(text);
    const texts = batched ? text : [text];
    if (texts.length === 0) throw badInput('tokenizer: the list of texts is empty; expected a string or at least one');
    const pairs = text_pair === null ? texts.map(() => null) : (Array.isArray(text_pair) ? text_pair : [text_pair]);
    if (pairs.length !== texts.length) throw badInput(`tokenizer: ${texts.length} texts but ${pairs.length} text pairs`);
    let rows = texts.map((t, i) => {
      if (typeof t !== 'string') throw badInput(`tokenizer: text ${i} is ${describeValue(t)}; expected a string`);
      return this.#encodeOne(t, pairs[i], add_special_tokens);
    });

    const limit = max_length ?? (Number.isFinite(this.model_max_length) ? this.model_max_length : null);
    if (truncation && limit !== null) {
      rows = rows.map((r) => ({ ids: r.ids.slice(0, limit), type_ids: r.type_ids.slice(0, limit) }));
    }
    const longest = Math.max(...rows.map((r) => r.ids.length));
    const target = padding === 'max_length' ? Math.max(limit ?? longest, longest) : (padding ? longest : null);
    if (target > MAX_SEQUENCE_TOKENS) {
      throw badInput(`tokenizer: padding 'max_length' to ${target} tokens (${max_length === null ? "the tokenizer's model_max_length" : 'max_length'}) ` +
        `is past the ${MAX_SEQUENCE_TOKENS} positions any model in wasm32 can hold; pass a smaller max_length`);
    }
    if (target * rows.length > MAX_BATCH_TOKENS) {
      throw new WaxError(`tokenizer: padding ${rows.length} texts to ${target} tokens makes ${target * rows.length} ids, more than ` +
        `${MAX_BATCH_TOKENS} in one batch; split the batch or pass a smaller max_length`, { code: 'WAX_TOO_LARGE' });
    }
    let masks = rows.map((r) => r.ids.map(() => 1));
    if (target !== null) {
      const padId = this.pad_token_id ?? 0;
      const pad = (values, value, count) => (this.padding_side === 'left'
        ? [...Array(count).fill(value), ...values] : [...values, ...Array(count).fill(value)]);
      masks = masks.map((m) => pad(m, 0, target - m.length));
      rows = rows.map((r) => ({ ids: pad(r.ids, padId, target - r.ids.length), type_ids: pad(r.type_ids, 0, target - r.type_ids.length) }));
    }

    const withTypeIds = return_token_type_ids ?? this.model_input_names.includes('token_type_ids');
    const fields = { input_ids: rows.map((r) => r.ids), attention_mask: masks, ...(withTypeIds ? { token_type_ids: rows.map((r) => r.type_ids) } : {}) };
    if (!return_tensor) {
      return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, batched ? v : v[0]]));
    }
    const width = target ?? longest;
    if (rows.some((r) => r.ids.length !== width)) {
      throw badInput('tokenizer: the texts have different lengths; pass { padding: true } (or return_tensor: false)');
    }
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, new Tensor('int64', v.flat(), [v.length, width])]));
  }

  /**
   * Text of a sequence of ids (a Tensor, typed array or array of numbers/bigints).
   *
   * @example
   * tokenizer.decode([418, 262, 1862]); // 'In the beginning'
   */
  decode(ids, { skip_special_tokens = false } = {}) {
    const { runtime } = this;
    const data = toIdArray(ids, 'decode');
    const idsPtr = runtime.copyIn(data, 'token ids');
    try {
      const out = runtime.call('wax_tokenizer_decode', this.#live(), idsPtr, data.length, skip_special_tokens ? 1 : 0) >>> 0;
      const text = runtime.readText(out + 4, runtime.module.HEAPU32[out >>> 2]);
      runtime.free(out);
      return text;
    } finally {
      runtime.free(idsPtr);
    }
  }

  /**
   * Text as ids come, one stream a row, with constant work a token (C++ tokenizers/decode_stream.h):
   * `push(ids)` takes one new id a row and returns the text each completes, in whole characters
   * (as TextStreamer releases them); `finish()` returns what each row held back (an incomplete
   * character) and starts afresh; `dispose()` frees the streams.
   *
   * @example
   * const stream = tokenizer.decode_stream(1);
   * [418, 262, 1862].map((id) => stream.push([id])[0]).join(''); // 'In the beginning'
   * stream.dispose();
   */
  decode_stream(rows = 1, { skip_special_tokens = true } = {}) {
    const { runtime } = this;
    let streams = runtime.plain('wax_decode_streams_new', this.#live(), rows, skip_special_tokens ? 1 : 0) >>> 0;
    if (!streams) throw runtime.outOfMemory(64 * rows, 'the decode streams');
    const call = (idsPtr) => {
      this.#live();
      if (!streams) throw new WaxError('this decode stream was disposed', { code: 'WAX_DISPOSED' });
      const out = runtime.call('wax_decode_streams_push', streams, idsPtr) >>> 0;
      const texts = [];
      const view = new DataView(runtime.heapU8.buffer);
      for (let row = 0, at = out; row < rows; row++) { // [uint32 length, bytes] a row, unaligned
        const length = view.getUint32(at, true);
        texts.push(runtime.readText(at + 4, length));
        at += 4 + length;
      }
      runtime.free(out);
      return texts;
    };
    return {
      push: (ids) => {
        if (ids?.length !== rows) throw badInput(`decode_stream: push takes one id for each of the ${rows} rows, got ${describeValue(ids)}`);
        const idsPtr = runtime.copyIn(Int32Array.from(ids, Number), 'token ids');
        try {
          return call(idsPtr);
        } finally {
          runtime.free(idsPtr);
        }
      },
      finish: () => call(0),
      dispose: () => {
        if (streams) runtime.plain('wax_decode_streams_free', streams);
        streams = 0;
      },
    };
  }

  /** `decode` for each row of a 2-D Tensor or an array of id arrays. */
  batch_decode(batch, options = {}) {
    const rows = batch instanceof Tensor ? batch.tolist() : batch;
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row) || ArrayBuffer.isView(row))) {
      throw badInput(`batch_decode: expected a 2-D Tensor or an array of id arrays, got ${describeValue(batch)}`);
    }
    return rows.map((row) => this.decode(row, options));
  }

  /**
   * Renders a conversation with the model's chat template (tokenizer_config.json's
   * `chat_template`, or the `chat_template` option). With `tokenize: false` returns the text;
   * otherwise its ids as an int64 Tensor [1, n] (`return_tensor: false`: a number[]), or with
   * `return_dict: true` the whole `tokenizer()` output.
   *
   * @example
   * await tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { add_generation_prompt: true, tokenize: false });
   * // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
   */
  async apply_chat_template(conversation, { chat_template = null, add_generation_prompt = false, tokenize = true,
    padding = false, truncation = false, max_length = null, return_tensor = true, return_dict = false, tools = null,
    documents = null, ...kwargs } = {}) {
    let template = chat_template ?? this.chat_template;
    if (Array.isArray(template)) { // a list of named templates
      template = (template.find((t) => t.name === 'default') ?? template[0])?.template;
    }
    if (typeof template !== 'string') {
      throw new WaxError('apply_chat_template: this tokenizer has no chat_template (tokenizer_config.json) and none was passed',
        { code: 'WAX_BAD_TOKENIZER' });
    }
    checkConversation(conversation);
    const { Template } = await loadJinja();
    const special = Object.fromEntries(['bos_token', 'eos_token', 'pad_token', 'unk_token'].map((k) => [k, this[k]]));
    let compiled;
    try {
      compiled = new Template(template);
    } catch (error) {
      throw new WaxError(`apply_chat_template: the chat template does not parse (${error.message})`, { code: 'WAX_BAD_TOKENIZER', cause: error });
    }
    let text;
    try {
      text = compiled.render({
        messages: conversation, add_generation_prompt, ...special, ...(tools ? { tools } : {}), ...(documents ? { documents } : {}), ...kwargs,
      });
    } catch (error) {
      throw badInput(`apply_chat_template: the chat template rejected this conversation: ${error.message}`);
    }
    if (!tokenize) return text;
    const out = this._call(text, { add_special_tokens: false, padding, truncation, max_length, return_tensor });
    return return_dict ? out : out.input_ids;
  }

  /** Frees the tokenizer's wasm memory. */
  dispose() {
    if (this.handle) this.runtime.plain('wax_tokenizer_free', this.handle);
    this.handle = 0;
  }
}
makeAsyncDisposable(PreTrainedTokenizer.prototype);

/**
 * Timestamps that go back in time start a new 30 s window of 1500 encoder positions (WhisperTokenizer's
 * segment_size): a single ending timestamp then means the window was read to its end.
 */
const WHISPER_WINDOW_POSITIONS = 1500;

/**
 * Whisper's tokenizer (tokenizer_config.json's tokenizer_class WhisperTokenizer): decoding drops
 * timestamp tokens (`<|0.00|>` … `<|30.00|>`, the ids from `timestamp_begin` on) unless
 * `decode_with_timestamps`, gives segment offsets with `output_offsets`, and `skip_special_tokens`
 * also drops a `<|startofprev|>` prompt, as transformers' WhisperTokenizer.
 *
 * @example
 * const tokenizer = await AutoTokenizer.from_pretrained('openai/whisper-tiny');
 * const ids = [50258, 50259, 50359, 50364, 2425, 1002, 13, 50439, 50257];
 * tokenizer.decode(ids, { skip_special_tokens: true }); // ' Hello world.'
 * tokenizer.decode(ids, { decode_with_timestamps: true }); // '<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello world.<|1.50|><|endoftext|>'
 * tokenizer.decode(ids, { output_offsets: true }).offsets; // [{ text: ' Hello world.', timestamp: [0, 1.5] }]
 */
export class WhisperTokenizer extends PreTrainedTokenizer {
  static workerMethods = [...PreTrainedTokenizer.workerMethods, '_decode_asr', 'get_decoder_prompt_ids'];
  static workerProperties = [...PreTrainedTokenizer.workerProperties, 'timestamp_begin'];

  /** The language name of each language token's id, built on first use. */
  #languageOfId = null;

  constructor(...args) {
    super(...args);
    /** The id of `<|0.00|>`: ids from it on are timestamps, one every time_precision seconds (Infinity: none). */
    this.timestamp_begin = this.token_to_id('<|0.00|>') ?? Infinity;
  }

  /**
   * Text of ids. Options beyond PreTrainedTokenizer's: `decode_with_timestamps` writes timestamp
   * tokens as `<|1.08|>`; `output_offsets` returns `{ text, offsets: [{ text, timestamp: [start, end] }] }`
   * with the text between each pair of timestamps; `time_precision` (default 0.02) is the seconds a
   * timestamp token stands for.
   */
  decode(ids, { skip_special_tokens = false, decode_with_timestamps = false, output_offsets = false, time_precision = 0.02 } = {}) {
    if (!(typeof time_precision === 'number' && time_precision > 0 && Number.isFinite(time_precision))) {
      throw badInput(`decode: time_precision must be a finite number > 0, got ${describeValue(time_precision)}`);
    }
    const all = Array.from(toIdArray(ids, 'decode'));
    const kept = skip_special_tokens ? this.#withoutPrompt(all) : all;
    const text = decode_with_timestamps
      ? this.#decodeWithTimestamps(kept, skip_special_tokens, time_precision)
      : super.decode(kept.filter((id) => id < this.timestamp_begin), { skip_special_tokens });
    return output_offsets ? { text, offsets: this.#offsets(all, time_precision) } : text;
  }

  /** Ids from `<|startoftranscript|>` on when they open with a `<|startofprev|>` prompt (none without it). */
  #withoutPrompt(ids) {
    if (ids.length === 0 || ids[0] !== this.token_to_id('<|startofprev|>')) return ids;
    const start = ids.indexOf(this.token_to_id('<|startoftranscript|>'));
    return start < 0 ? [] : ids.slice(start);
  }

  #isTimestamp = (id) => id >= this.timestamp_begin;

  #decodeWithTimestamps(ids, skip_special_tokens, time_precision) {
    const pieces = [[]]; // id lists and rendered timestamps, alternating
    let latest = 0, beforeLatest = 0, windowsBefore = 0;
    ids.forEach((id, i) => {
      if (!this.#isTimestamp(id)) {
        pieces.at(-1).push(id);
        return;
      }
      const time = (id - this.timestamp_begin) * time_precision;
      if (time < latest) { // the next 30 s window has started
        if (i >= 2 && !(this.#isTimestamp(ids[i - 1]) && this.#isTimestamp(ids[i - 2]))) {
          windowsBefore += time_precision * WHISPER_WINDOW_POSITIONS;
        } else { // the pair before it closed the window: its second timestamp is where this one starts
          latest = beforeLatest;
          windowsBefore += beforeLatest;
          pieces.splice(-2);
        }
      }
      beforeLatest = latest;
      latest = time;
      pieces.push(`<|${(time + windowsBefore).toFixed(2)}|>`, []);
    });
    return pieces.map((piece) => (typeof piece === 'string' ? piece : super.decode(piece, { skip_special_tokens }))).join('');
  }

  /** The text between consecutive timestamps, with their times: WhisperTokenizer._compute_offsets. */
  #offsets(ids, time_precision) {
    const positions = ids.flatMap((id, i) => (this.#isTimestamp(id) ? [i] : []));
    const cuts = positions.filter((i) => i > 0 && this.#isTimestamp(ids[i - 1])); // the second of each pair
    if (cuts.length === 0 && positions.length <= 1) return [];
    if (!cuts.includes(positions.at(-1) + 1)) cuts.push(positions.at(-1) + 1);
    const offsets = [];
    let from = positions[0], latest = 0, windowsBefore = 0;
    for (const to of cuts) {
      const slice = ids.slice(from, to);
      if (slice.length > 1) {
        const start = slice[0] - this.timestamp_begin;
        const end = slice.at(-1) - this.timestamp_begin;
        if (start < latest) { // the next 30 s window has started
          const singleEnding = from >= 2 && !(this.#isTimestamp(ids[from - 2]) && this.#isTimestamp(ids[from - 1]));
          windowsBefore += singleEnding ? WHISPER_WINDOW_POSITIONS : latest;
        }
        latest = end;
        offsets.push({
          text: super.decode(slice.filter((id) => !this.#isTimestamp(id))),
          timestamp: [start * time_precision + windowsBefore * time_precision, end * time_precision + windowsBefore * time_precision],
        });
      }
      from = to;
    }
    return offsets;
  }

  /** The language name ('english') of a language token's id, or null. */
  #languageOf(id) {
    if (!this.#languageOfId) {
      this.#languageOfId = new Map();
      for (const [code, name] of WHISPER_LANGUAGE_NAMES) {
        const languageId = this.token_to_id(`<|${code}|>`);
        if (languageId !== null) this.#languageOfId.set(languageId, name);
      }
    }
    return this.#languageOfId.get(id) ?? null;
  }

  /**
   * Merges the ids generated for consecutive, overlapping audio windows into one transcript, as
   * transformers.js's WhisperTokenizer._decode_asr (whisper-text.js decodeAsr). With
   * `return_timestamps: 'word'` each window also carries `token_timestamps` (what the pipeline's
   * chunk_callback gives in that mode), and the chunks are its words (decodeAsrWords).
   *
   * @param {{ tokens: ArrayLike<number | bigint>, stride?: [number, number, number], token_timestamps?: ArrayLike<number> }[]} sequences
   *   each window's ids and its [length, left stride, right stride] in seconds
   * @param {{ return_timestamps?: boolean | 'word', return_language?: boolean, time_precision: number }} options
   * @returns {[string, { chunks?: { text: string, timestamp?: [number, number | null], language?: string | null }[] }]}
   */
  _decode_asr(sequences, { return_timestamps = false, return_language = false, time_precision = null } = {}) {
    const expected = '_decode_asr: sequences must be an array of { tokens, stride } windows';
    if (!Array.isArray(sequences)) throw badInput(`${expected}, got ${describeValue(sequences)}`);
    const notWindow = sequences.findIndex((sequence) => sequence?.tokens?.length === undefined);
    if (notWindow >= 0) throw badInput(`${expected}, got ${describeValue(sequences[notWindow])} at ${notWindow}`);
    if (return_timestamps === 'word') {
      if (return_language) throw badInput("_decode_asr: return_language is not given with return_timestamps: 'word'");
      const { text, chunks } = decodeAsrWords(sequences, this.asrVocabulary());
      return [text, { chunks }];
    }
    const { text, ...optional } = decodeAsr(sequences, this.asrVocabulary(), { return_timestamps, return_language, time_precision });
    return [text, optional];
  }

  /** How decodeAsr reads this vocabulary. */
  asrVocabulary() {
    return {
      decode: (ids) => this.decode(ids),
      specialIds: this.all_special_ids,
      timestampBegin: this.timestamp_begin,
      languageOf: (id) => this.#languageOf(id),
    };
  }

  /**
   * The decoder's forced start ids after `<|startoftranscript|>`, as [position, id] pairs: the
   * language's token (`language`: a name or code; none to let the model detect it), the task's
   * (`task`: 'transcribe' or 'translate'), and `<|notimestamps|>` unless `no_timestamps` is false.
   *
   * @example
   * tokenizer.get_decoder_prompt_ids({ language: 'french', task: 'transcribe' }); // [[1, 50265], [2, 50359], [3, 50363]]
   */
  get_decoder_prompt_ids({ language = null, task = null, no_timestamps = true } = {}) {
    const idOf = (token, what) => {
      const id = this.token_to_id(token);
      if (id === null) throw badInput(`get_decoder_prompt_ids: this vocabulary has no ${token} token for the ${what}`);
      return id;
    };
    const forced = [];
    forced.push(language === null ? null : idOf(`<|${whisperLanguageCode(language, 'get_decoder_prompt_ids: language')}|>`, 'language'));
    if (task !== null && task !== 'transcribe' && task !== 'translate') {
      throw badInput(`get_decoder_prompt_ids: task must be 'transcribe' or 'translate', got ${describeValue(task)}`);
    }
    forced.push(task === null ? null : idOf(`<|${task}|>`, 'task'));
    if (no_timestamps) forced.push(idOf('<|notimestamps|>', 'no_timestamps option'));
    return forced.map((id, i) => [i + 1, id]).filter(([, id]) => id !== null);
  }
}

/**
 * Loads the tokenizer of a model folder (tokenizer.json, and tokenizer_config.json when present).
 *
 * @example
 * import { AutoTokenizer } from 'wax-ml';
 * const tokenizer = await AutoTokenizer.from_pretrained('models/kjv-llama-5m');
 */
export class AutoTokenizer {
  /**
   * @param {string | URL | object} source a Hub repo id, a folder URL, a local folder (Node) or picked files,
   *   as for the models
   * @param {{ signal?: AbortSignal, revision?: string, progress_callback?: (event: object) => void, local_files_only?: boolean,
   *   worker?: boolean }} [options]
   *   read through the models' loader: the same cache, `revision` (default 'main'), progress events and
   *   `local_files_only` (nothing fetched: repo ids and URLs come from the cache)
   */
  static from_pretrained(source, { signal, revision, progress_callback, local_files_only, worker = false } = {}) {
    // Tokenizers are light and their methods synchronous: in-process unless asked otherwise.
    const options = { signal, revision, progress_callback, local_files_only, worker };
    return loadWhereWanted('AutoTokenizer', source, options, () => loadTokenizer(source, options));
  }
}

async function loadTokenizer(source, { signal, revision, progress_callback, local_files_only }) {
  const runtime = await getRuntime();
  const folder = openSource(source, { revision, progress_callback, local_files_only });
  const read = { signal, optional: true, code: 'WAX_BAD_TOKENIZER' };
  const tokenizerFile = await folder.readJson('tokenizer.json', read);
  if (tokenizerFile === null) {
    throw new WaxError(`${folder.label}: no tokenizer.json (wax reads the fast-tokenizer file that transformers saves)`, { code: 'WAX_NOT_FOUND' });
  }
  const configFile = await folder.readJson('tokenizer_config.json', read);
  throwIfAborted(signal);
  const jsonPtr = runtime.copyString(tokenizerFile.text, 'tokenizer.json');
  let configPtr = 0;
  try {
    configPtr = runtime.copyString(configFile?.text ?? '', 'tokenizer_config.json');
    const handle = runtime.call('wax_tokenizer_new', jsonPtr, configPtr) >>> 0;
    const config = configFile?.json ?? {};
    const tokenizerClass = /^WhisperTokenizer(Fast)?$/.test(config.tokenizer_class) ? WhisperTokenizer : PreTrainedTokenizer;
    return new tokenizerClass(runtime, handle, tokenizerFile.json, config);
  } finally {
    runtime.free(jsonPtr);
    runtime.free(configPtr);
  }
}
