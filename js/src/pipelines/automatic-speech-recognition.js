// pipeline('automatic-speech-recognition'): audio in, text (and segment timestamps) out. Long
// audio is cut into overlapping windows, each turned into log-mel features and transcribed in
// turn (so memory stays that of one window), and the windows' ids merged (whisper-text.js).
import { WaxError, badInput, describeValue, throwIfAborted } from '../errors.js';
import { pipelineProgress } from '../loader/progress.js';
import { AutoModelForSpeechSeq2Seq } from '../models/registry.js';
import { GENERATE_OPTIONS } from '../options.js';
import { AutoProcessor, read_audio } from '../processors/index.js';
import { isNode } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { WHISPER_LANGUAGE_NAMES, decodeAsr, decodeAsrWords, whisperLanguageCode } from '../whisper-text.js';
import { yieldToEventLoop } from '../yield.js';
import { Pipeline } from './pipeline.js';

const rule = (expected, test) => ({ expected, test });
const seconds = (expected, test) => rule(expected, (v) => typeof v === 'number' && Number.isFinite(v) && test(v));

/** The pipeline's options: generate's (but those of text prompts) and its own. */
export const ASR_OPTIONS = {
  ...Object.fromEntries(Object.entries(GENERATE_OPTIONS).filter(([name]) => !['tokenizer', 'stop_strings'].includes(name))),
  language: rule("a language name or code, such as 'french' or 'fr'", (v) => typeof v === 'string'),
  task: rule("'transcribe' or 'translate'", (v) => v === 'transcribe' || v === 'translate'),
  return_timestamps: rule("true, false or 'word'", (v) => typeof v === 'boolean' || v === 'word'),
  return_language: rule('true or false', (v) => typeof v === 'boolean'),
  chunk_length_s: seconds('a number of seconds ≥ 0 (0: one window)', (v) => v >= 0),
  stride_length_s: seconds('a number of seconds ≥ 0', (v) => v >= 0),
  chunk_callback: rule('a function', (v) => typeof v === 'function'),
};

/**
 * The windows transformers' chunk_iter cuts `length` samples into: `chunk` samples each, the
 * next starting `chunk - 2 * stride` later, so neighbours share `stride` samples on each side
 * (none before the first or after the last). `stride` is [window length, left stride, right
 * stride] in samples, as decodeAsr reads it.
 *
 * @returns {{ start: number, end: number, stride: [number, number, number], is_last: boolean }[]}
 */
export function audioWindows(length, chunk, stride) {
  if (chunk <= 0 || length <= chunk) return [{ start: 0, end: length, stride: [length, 0, 0], is_last: true }];
  const step = chunk - 2 * stride;
  const windows = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + chunk, length);
    const isLast = start + chunk >= length;
    const strideLeft = start === 0 ? 0 : stride;
    // A last window inside the previous one's right stride adds nothing.
    if (end - start > strideLeft) windows.push({ start, end, stride: [end - start, strideLeft, isLast ? 0 : stride], is_last: isLast });
    if (isLast) return windows;
  }
}

/** The value `read` gives, its WAX_BAD_INPUT made a WAX_BAD_CONFIG: the value came from a file. */
function fileSetting(read) {
  try {
    return read();
  } catch (error) {
    if (error?.code === 'WAX_BAD_INPUT') error.code = 'WAX_BAD_CONFIG';
    throw error;
  }
}

/** Throws a WAX_BAD_INPUT naming the first sample that is not a finite number. */
function checkSamples(audio) {
  if (audio.length === 0) throw badInput('automatic-speech-recognition: the audio is empty (0 samples); expected at least one sample');
  for (let i = 0; i < audio.length; i++) {
    if (!Number.isFinite(audio[i])) {
      throw badInput(`automatic-speech-recognition: sample ${i} of the audio is ${audio[i]}; expected finite numbers (about -1 to 1)`);
    }
  }
}

/**
 * Transcribes (or translates into English) speech with a Whisper model, its processor and its
 * tokenizer, as transformers.js's pipeline of the same name.
 *
 * @example
 * const transcriber = await pipeline('automatic-speech-recognition', 'models/whisper-kjv-tiny');
 * const { text } = await transcriber('speech.wav'); // ' In the beginning God created the heaven and the earth.'
 * const { chunks } = await transcriber(float32Audio16k, { return_timestamps: true, chunk_length_s: 30 });
 * // [{ text: ' In the beginning…', timestamp: [0, 3.2] }, …]
 */
export class AutomaticSpeechRecognitionPipeline extends Pipeline {
  static callOptions = ASR_OPTIONS;
  static workerProperties = [...Pipeline.workerProperties, 'sampling_rate'];

  /**
   * On the page of a pipeline in the wax worker, audio is read here (worker/remote.js): only the
   * page has Web Audio to decode compressed files and resample, and an AudioBuffer cannot cross.
   * Node's worker reads files as well as its main thread, without copying the samples across.
   */
  static async pageArguments(pipelineProxy, args) {
    if (isNode) return args;
    const [audio, ...rest] = args;
    const read = (one) => (one instanceof Float32Array ? one : read_audio(one, pipelineProxy.sampling_rate));
    return [Array.isArray(audio) ? await Promise.all(audio.map(read)) : await read(audio), ...rest];
  }

  constructor({ processor, ...parts }) {
    super(parts);
    /** Audio → log-mel input_features (AutoProcessor). */
    this.processor = processor;
  }

  /** The audio's samples a second, as the feature extractor takes them (preprocessor_config.json). */
  get sampling_rate() {
    return this.processor.feature_extractor.config.sampling_rate;
  }

  /**
   * Loads the processor, which brings the tokenizer, then the model, with one progress_total over
   * their files (Pipeline.load's, with the processor's tokenizer instead of a second one).
   */
  static async load(task, source, { signal, revision, progress_callback, ...rest } = {}) {
    const progress = pipelineProgress(progress_callback);
    const shared = { signal, revision, local_files_only: rest.local_files_only };
    const processor = await AutoProcessor.from_pretrained(source, { ...shared, progress_callback: progress });
    try {
      if (!processor.tokenizer) {
        throw new WaxError(`pipeline('${task}'): the model has no tokenizer.json; the transcript is decoded with it`, { code: 'WAX_NOT_FOUND' });
      }
      const model = await AutoModelForSpeechSeq2Seq.from_pretrained(source, { ...shared, ...rest, progress_callback: progress });
      return new this({ task, model, tokenizer: processor.tokenizer, processor });
    } catch (error) {
      processor.dispose();
      throw error;
    }
  }

  /**
   * @param {Float32Array | string | URL | Blob | AudioBuffer | Array<Float32Array | string | URL | Blob | AudioBuffer>} audio
   *   16 kHz mono samples, or what read_audio reads (a URL, a Blob/File, an AudioBuffer, a file path in Node);
   *   a list gives a list of results
   * @param {object} [options] `language` ('french' or 'fr'; detected from the first window when the model
   *   is multilingual and none is given), `task` ('transcribe' or 'translate'), `return_timestamps` (segment
   *   `chunks`; 'word': a chunk a word, timed by the cross-attention of the alignment heads), `return_language`, `chunk_length_s` (windows of this length; audio longer than the model's
   *   30 s is cut into 30 s windows when not given), `stride_length_s` (shared by neighbouring windows;
   *   default chunk_length_s / 6), `chunk_callback` (called with each window's `{ text, timestamp, is_last, tokens, stride }`, and its `token_timestamps` with 'word',
   *   as it is done; stride in seconds), `streamer` (each window's ids as they are generated, timestamps left out), `signal`,
   *   and generate's options (max_new_tokens, do_sample, …)
   * @returns {Promise<{ text: string, chunks?: { text: string, timestamp?: [number, number | null], language?: string | null }[] }>}
   */
  async _call(audio, options = {}) {
    this.checkCall(options);
    if (Array.isArray(audio)) {
      const results = [];
      for (const one of audio) results.push(await this.#transcribe(one, options ?? {}));
      return results;
    }
    return this.#transcribe(audio, options ?? {});
  }

  async #transcribe(audio, options) {
    const { language = null, task = null, return_timestamps = false, return_language = false, chunk_length_s = null,
      stride_length_s = null, chunk_callback = null, streamer = null, signal = null, ...generateOptions } = options;
    const { tokenizer, processor, model } = this;
    const words = return_timestamps === 'word';
    if (words && return_language) throw badInput("automatic-speech-recognition: return_language is not given with return_timestamps: 'word'");
    if (typeof tokenizer.asrVocabulary !== 'function') {
      throw new WaxError("automatic-speech-recognition: the model's tokenizer is no WhisperTokenizer (tokenizer_config.json's " +
        `tokenizer_class is ${describeValue(tokenizer.config?.tokenizer_class)}); the pipeline reads Whisper's timestamp and language tokens`,
      { code: 'WAX_UNSUPPORTED' });
    }
    const { sampling_rate: rate, chunk_length: windowSeconds } = processor.feature_extractor.config;
    const timePrecision = windowSeconds / model.config.max_source_positions;
    let chunkSeconds = chunk_length_s ?? 0;
    if (chunkSeconds > windowSeconds) {
      throw badInput(`automatic-speech-recognition: chunk_length_s must be at most the model's window of ${windowSeconds} s, got ${chunkSeconds}`);
    }
    const code = language === null ? null : whisperLanguageCode(language, 'automatic-speech-recognition: language');

    const samples = audio instanceof Float32Array ? audio : await read_audio(audio, rate, { signal });
    checkSamples(samples);
    throwIfAborted(signal);
    if (chunkSeconds === 0 && samples.length > windowSeconds * rate) chunkSeconds = windowSeconds; // never drop what a window cannot hold
    const strideSeconds = stride_length_s ?? chunkSeconds / 6;
    if (chunkSeconds > 0 && strideSeconds * 2 >= chunkSeconds) {
      throw badInput(`automatic-speech-recognition: stride_length_s (${strideSeconds}) must be less than half of chunk_length_s (${chunkSeconds}): ` +
        'each window shares stride_length_s with each neighbour');
    }
    const windows = audioWindows(samples.length, Math.round(chunkSeconds * rate), Math.round(strideSeconds * rate));

    const vocabulary = tokenizer.asrVocabulary();
    const streamerWithoutTimestamps = streamer && {
      put: (rows) => streamer.put(rows.map((row) => Array.from(row).filter((id) => Number(id) < vocabulary.timestampBegin))),
      end: () => streamer.end(),
      release: () => streamer.release?.(),
    };
    let startIds = null;
    const generated = [];
    for (const window of windows) {
      throwIfAborted(signal);
      const { input_features } = await processor(samples.subarray(window.start, window.end));
      let source = { input_features };
      // Word times come from the cross-attention, not from timestamp tokens (as transformers).
      if (startIds === null) ({ startIds, source } = await this.#startIds(source, { code, task, return_timestamps: words ? false : return_timestamps }, signal));
      const generatedWindow = await model.generate({
        max_new_tokens: this.#defaultMaxNewTokens(startIds.length),
        ...generateOptions,
        ...source,
        decoder_input_ids: new Tensor('int64', BigInt64Array.from(startIds, BigInt), [1, startIds.length]),
        return_timestamps: !words && return_timestamps, // Whisper's timestamp rules, or none whatever the file says: the start ids follow the call
        ...(words ? { return_token_timestamps: true, num_frames: Math.max(2, Math.floor((window.end - window.start) / (processor.feature_extractor.config.hop_length ?? 160))) } : {}),
        // The file's forced ids (<|notimestamps|> of English-only models) are in the start ids or were dropped from them, as transformers does.
        forced_decoder_ids: generateOptions.forced_decoder_ids ?? [],
        ...(streamerWithoutTimestamps ? { streamer: streamerWithoutTimestamps } : {}),
        ...(signal ? { signal } : {}),
      });
      const ids = words ? generatedWindow.sequences : generatedWindow;
      const tokens = Array.from(ids.data, Number);
      const tokenTimes = words ? { token_timestamps: Array.from(generatedWindow.token_timestamps.data) } : {};
      generated.push({ tokens, stride: window.stride, ...tokenTimes });
      chunk_callback?.({
        text: tokenizer.decode(tokens, { skip_special_tokens: true }),
        timestamp: [window.start / rate, window.end / rate],
        is_last: window.is_last,
        // As transformers.js gives them: the windows so far, through tokenizer._decode_asr, are the transcript so far.
        tokens,
        stride: window.stride.map((samples) => samples / rate),
        ...tokenTimes,
      });
      await yieldToEventLoop();
    }
    if (words) return decodeAsrWords(generated, vocabulary, { sampling_rate: rate });
    return decodeAsr(generated, vocabulary, { return_timestamps, return_language, time_precision: timePrecision, sampling_rate: rate });
  }

  /**
   * What a window may generate when neither the call nor generation_config.json (its
   * max_new_tokens or max_length, which generate applies) says: up to the decoder's
   * max_target_positions (transformers' default of 20 tokens would cut a 30 s window's text short).
   */
  #defaultMaxNewTokens(startLength) {
    const { generation_config: file = {}, config } = this.model;
    const fromFile = file.max_new_tokens ?? file.max_length;
    if (fromFile !== undefined && fromFile !== null) return undefined;
    const longest = config.max_target_positions;
    return Number.isInteger(longest) ? Math.max(0, longest - startLength) : undefined;
  }

  /**
   * The decoder's first ids, as transformers' Whisper generate makes them from generation_config.json
   * (the tokenizer's ids where the file has no table): the start token, then for a multilingual
   * model the language's token (detected when not given) and the task's, then `<|notimestamps|>`
   * unless timestamps are asked for. A file without language, task or timestamp entries gives the
   * start token alone.
   */
  async #startIds(source, { code: givenCode, task: givenTask, return_timestamps }, signal) {
    const config = this.model.generation_config ?? {};
    // The call's language and task, else the file's (a fine-tuned checkpoint may set them).
    const code = givenCode ?? (config.language === undefined || config.language === null ? null : fileSetting(() =>
      whisperLanguageCode(config.language, 'generation_config.json: language')));
    const task = givenTask ?? config.task ?? null;
    if (task !== null && !ASR_OPTIONS.task.test(task)) {
      throw new WaxError(`generation_config.json: task must be 'transcribe' or 'translate', got ${describeValue(task)}`, { code: 'WAX_BAD_CONFIG' });
    }
    const tokenId = (token, table = {}) => {
      const id = table[token] ?? this.tokenizer.token_to_id(token);
      if (id === null || id === undefined) {
        throw badInput(`automatic-speech-recognition: this model's vocabulary has no ${token} token`);
      }
      return id;
    };
    const start = config.decoder_start_token_id ?? this.model.config.decoder_start_token_id ?? tokenId('<|startoftranscript|>');
    const ids = [start];
    const multilingual = config.is_multilingual ?? config.lang_to_id !== undefined;
    if ((code !== null || task !== null) && config.is_multilingual === false) {
      throw badInput(`automatic-speech-recognition: this model is English-only (generation_config.json's is_multilingual is false); ` +
        `it takes no ${code !== null ? 'language' : 'task'}`);
    }
    if (multilingual || code !== null || task !== null) {
      if (code !== null) {
        ids.push(tokenId(`<|${code}|>`, config.lang_to_id));
      } else {
        const detected = await this.#detectLanguage(source, start, signal);
        ids.push(detected.id);
        source = detected.source; // the window's encoder output, which generate then reuses
      }
      const taskName = task ?? 'transcribe';
      ids.push(config.task_to_id?.[taskName] ?? tokenId(`<|${taskName}|>`));
    }
    if (!return_timestamps && Number.isInteger(config.no_timestamps_token_id)) ids.push(config.no_timestamps_token_id);
    return { startIds: ids, source };
  }

  /**
   * The language token the model finds likeliest after the start token (transformers'
   * detect_language), and the window's encoder output it was read from, for generate to reuse.
   */
  async #detectLanguage(source, start, signal) {
    const table = this.model.generation_config?.lang_to_id;
    const candidates = table ? Object.values(table)
      : [...WHISPER_LANGUAGE_NAMES.keys()].map((code) => this.tokenizer.token_to_id(`<|${code}|>`)).filter((id) => id !== null);
    if (candidates.length === 0) {
      throw badInput("automatic-speech-recognition: no language was given and this model's vocabulary has no language tokens to detect one; pass language");
    }
    const options = signal ? { signal } : undefined;
    const { last_hidden_state } = await this.model.encode(source, options);
    const encoded = { encoder_hidden_states: last_hidden_state };
    const { logits } = await this.model({ ...encoded, decoder_input_ids: new Tensor('int64', BigInt64Array.of(BigInt(start)), [1, 1]) }, options);
    const last = logits.data.subarray(logits.data.length - logits.dims.at(-1));
    return { id: candidates.reduce((best, id) => (last[id] > last[best] ? id : best), candidates[0]), source: encoded };
  }

  /** Frees the model and the processor with its tokenizer. */
  dispose() {
    this.model.dispose();
    this.processor.dispose();
  }
}
