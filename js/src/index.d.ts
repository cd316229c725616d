// Types for every public export of wax (js/src/index.js), written by hand to match its behaviour.
/// <reference lib="esnext.disposable" />

export type TensorType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
type TensorData = {
  float32: Float32Array; float64: Float64Array; int32: Int32Array; int64: BigInt64Array; uint8: Uint8Array; bool: Uint8Array;
};

/** One dimension's part for `Tensor.slice`: an index (the dimension goes), [start, end) or null (all of it). */
export type TensorSlice = number | [number | null, number | null] | null | undefined;
type FloatTensorType = 'float32' | 'float64';

/** An n-dimensional array: `type`, row-major `dims` and a flat typed-array `data`. */
export class Tensor<T extends TensorType = TensorType> {
  constructor(type: T, data: ArrayLike<number | bigint>, dims: number[]);
  readonly type: T;
  readonly data: TensorData[T];
  readonly dims: number[];
  readonly size: number;
  /** Nested arrays following `dims` (bigints for int64, as transformers.js). */
  tolist(): any;
  /** The mean of all elements (a 0-D Tensor), or along `dim` (negative counts from the end). Float Tensors only. */
  mean(this: Tensor<FloatTensorType>, dim?: number | null, keepdim?: boolean): Tensor<T>;
  /** Lp-normalised along `dim` (defaults p = 2, dim = 1, as transformers.js). Float Tensors only. */
  normalize(this: Tensor<FloatTensorType>, p?: number, dim?: number): Tensor<T>;
  /** A copy of a part, one slice per leading dimension, as transformers.js's `slice`. */
  slice(...slices: TensorSlice[]): Tensor<T>;
}

/** The codes of WaxError, as `WAX_ERROR_CODES` (js/src/errors.js) lists them with their meanings. */
export type WaxErrorCode =
  | 'WAX_BAD_INPUT' | 'WAX_BAD_CONFIG' | 'WAX_BAD_SAFETENSORS' | 'WAX_BAD_WEIGHTS' | 'WAX_BAD_TOKENIZER' | 'WAX_BAD_CACHE'
  | 'WAX_UNSUPPORTED' | 'WAX_TOO_LARGE' | 'WAX_OUT_OF_MEMORY' | 'WAX_FETCH_FAILED' | 'WAX_NOT_FOUND'
  | 'WAX_WASM_LOAD_FAILED' | 'WAX_MISSING_DEPENDENCY' | 'WAX_DISPOSED' | 'WAX_INTERNAL' | 'WAX_ERROR';

/** Every WaxError code with a one-line meaning. */
export const WAX_ERROR_CODES: Readonly<Record<WaxErrorCode, string>>;

/** Every failure of a wax call; an aborted call rejects with the signal's reason instead. */
export class WaxError extends Error {
  /** `code` defaults to 'WAX_ERROR'. */
  constructor(message: string, options?: { code?: WaxErrorCode | string; cause?: unknown });
  readonly name: 'WaxError' | string;
  readonly code: WaxErrorCode | string;
}

/** The transformers.js progress events. */
export type ProgressInfo =
  | { status: 'initiate'; name: string; file: string }
  | { status: 'download'; name: string; file: string }
  | { status: 'progress'; name: string; file: string; loaded: number; total: number; progress: number }
  | { status: 'done'; name: string; file: string }
  | { status: 'progress_total'; name: string; loaded: number; total: number; progress: number; files?: Record<string, { loaded: number; total: number }> }
  | { status: 'ready'; task: string; model: string };

/** The weights' dtype after loading; 'auto' (transformers.js's name for the default) is fp32 in wax. */
export type DType = 'fp32' | 'auto' | 'fp16' | 'q8' | 'q4';
/** A model source: a repo id ('org/name'), a folder URL, a local folder (Node), or picked files. */
export type ModelSource = string | URL | Record<string, Blob | ArrayBuffer | Uint8Array | string> | Map<string, Blob | ArrayBuffer | Uint8Array | string> | ArrayLike<File>;

export interface PretrainedOptions {
  signal?: AbortSignal;
  progress_callback?: (event: ProgressInfo) => void;
  revision?: string;
  /** Never use the network: repo ids and URLs load from the cache only (as transformers.js; env.allowRemoteModels = false does it for repo ids). */
  local_files_only?: boolean;
  /** Weights as stored, or converted on load; a map names modules ({ embed_tokens: 'q8', default: 'q4' }). */
  dtype?: DType | Record<string, DType>;
  /** Positions the KV cache must hold, for the fit check. */
  max_length?: number;
  /** On a page's main thread the model runs in a wax-made module Worker unless `false`; in Node `true` uses worker_threads. */
  worker?: boolean;
}

/** In-process objects and worker proxies alike: `dispose()`, or `await using` (Symbol.asyncDispose). */
export interface Disposable extends AsyncDisposable {
  /** Frees the wasm memory (a worker-hosted object: and ends the page's wax worker when it was the last object there). */
  dispose(): void | Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type Ids = Tensor | ArrayLike<number | bigint> | ArrayLike<ArrayLike<number | bigint>>;

export interface Streamer {
  put(value: bigint[][]): void;
  end(): void;
}

/**
 * transformers.js's stopping criterion, asked after every token with each row's ids so far (the
 * prompt included): a boolean per row, true when that row is done (a single boolean: every row).
 * A StoppingCriteriaList is one too. Across the wax worker it is called here, its answer awaited.
 */
export type StoppingCriterion = (input_ids: bigint[][], scores?: unknown) => boolean[] | boolean | Promise<boolean[] | boolean>;

/**
 * Checked before anything runs: a wrong type or range (NaN, Infinity, a fraction, top_p outside
 * (0, 1]) is a WAX_BAD_INPUT naming the option and the value; a name generate does not know is
 * warned about once.
 */
export interface GenerationOptions {
  /** An integer in [0, 2^20], and at most the model's max_position_embeddings. */
  max_new_tokens?: number;
  /** The longest sequence, prompt included, when max_new_tokens is not given (generation_config.json's, when the call gives neither). */
  max_length?: number;
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repetition_penalty?: number;
  /** The same seed gives the same ids natively, in Node and in browsers. */
  seed?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
  /** Ids never chosen (generation_config.json's name). */
  suppress_tokens?: number[];
  /** Ids not chosen as the first new token. */
  begin_suppress_tokens?: number[];
  /** [index, id] pairs: when a row holds `index` ids, its next one is `id` (null: no forcing), as transformers. */
  forced_decoder_ids?: Array<[number, number | null]>;
  streamer?: Streamer;
  signal?: AbortSignal;
  /** Generation ends once every row is done, by a criterion or its eos. */
  stopping_criteria?: StoppingCriterion | StoppingCriterion[] | null;
  /** A row is done once its new text contains one; model.generate needs `tokenizer` with it. */
  stop_strings?: string | string[] | null;
}

export interface MemoryReport { weights_bytes: number; kv_cache_bytes: number; scratch_bytes: number; heap_bytes: number }

/**
 * The base of every model class, as transformers.js's: the parsed config.json, memory(), dispose(),
 * and `await model(inputs)` (forward). `from_pretrained` gives the class registered for config.json's
 * model_type: `PreTrainedModel.from_pretrained(source)` whichever runs the model,
 * `CausalLM.from_pretrained(source)` a CausalLM (as AutoModelForCausalLM), or WAX_UNSUPPORTED.
 */
export class PreTrainedModel implements Disposable {
  readonly config: Record<string, any>;
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<PreTrainedModel>;
  /**
   * Bytes held in the wasm heap; the fields C++ does not report for this kind of model are left
   * out (heap_bytes is always there). A model in the wax worker answers with a Promise.
   */
  memory(): Partial<MemoryReport> & { heap_bytes: number } | Promise<Partial<MemoryReport> & { heap_bytes: number }>;
  dispose(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface CausalLMInputs { input_ids: Ids; attention_mask?: Ids }
/** Callable as in transformers.js: `await model(inputs)` is `model.forward(inputs)`. */
export interface CausalLM {
  (inputs: CausalLMInputs, options?: { signal?: AbortSignal }): Promise<{ logits: Tensor<'float32'> }>;
}
export class CausalLM extends PreTrainedModel {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<CausalLM>;
  readonly generation_config: Record<string, any>;
  /** `signal` aborts between decoder layers, rejecting with its reason. */
  forward(inputs: CausalLMInputs, options?: { signal?: AbortSignal }): Promise<{ logits: Tensor<'float32'> }>;
  /** `tokenizer` reads the new text for `stop_strings`, as transformers' generate(stop_strings, tokenizer). */
  generate(inputs: { input_ids: Ids; attention_mask?: Ids; tokenizer?: PreTrainedTokenizer } & GenerationOptions): Promise<Tensor<'int64'>>;
  /**
   * Bytes held: weights, the KV caches of generations in flight, scratch buffers, the whole wasm
   * heap. A model in the wax worker (a page's main thread) answers with a Promise of the same
   * object: `await model.memory()` works for both.
   */
  memory(): MemoryReport | Promise<MemoryReport>;
}

export class AutoModelForCausalLM {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<CausalLM>;
}

export type Pooling = 'none' | 'mean' | 'cls';

export interface EncoderInputs { input_ids: Ids; attention_mask?: Ids; token_type_ids?: Ids }
/** Callable as in transformers.js: `await model(inputs)` is `model.forward(inputs)`. */
export interface EncoderModel {
  (inputs: EncoderInputs, options?: { signal?: AbortSignal }): Promise<{ last_hidden_state: Tensor<'float32'>; pooler_output?: Tensor<'float32'> }>;
}
export class EncoderModel extends PreTrainedModel {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<EncoderModel>;
  readonly hidden_size: number;
  readonly max_position_embeddings: number;
  /** `signal` aborts between layers, rejecting with its reason. */
  forward(inputs: EncoderInputs, options?: { signal?: AbortSignal }): Promise<{ last_hidden_state: Tensor<'float32'>; pooler_output?: Tensor<'float32'> }>;
  embed(inputs: EncoderInputs, options?: { pooling?: Pooling; normalize?: boolean; signal?: AbortSignal }): Promise<Tensor<'float32'>>;
}

export class AutoModel {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<EncoderModel>;
}

/** Whisper's inputs: log-mel features (the processor's output), or the encoder's output given back. */
export interface WhisperSourceInputs { input_features?: Tensor<'float32'>; encoder_hidden_states?: Tensor<'float32'> }
/** Callable as in transformers.js: `await model(inputs)` is `model.forward(inputs)`. */
export interface WhisperForConditionalGeneration {
  (inputs: WhisperSourceInputs & { decoder_input_ids: Ids }, options?: { signal?: AbortSignal }): Promise<{ logits: Tensor<'float32'> }>;
}
export class WhisperForConditionalGeneration extends PreTrainedModel {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<WhisperForConditionalGeneration>;
  readonly generation_config: Record<string, any>;
  /** The encoder's output [batch, max_source_positions, d_model]; `signal` aborts between layers. */
  encode(inputs: { input_features: Tensor<'float32'> }, options?: { signal?: AbortSignal }): Promise<{ last_hidden_state: Tensor<'float32'> }>;
  /** The decoder's logits [batch, n, vocab_size] for decoder_input_ids [batch, n]. */
  forward(inputs: WhisperSourceInputs & { decoder_input_ids: Ids }, options?: { signal?: AbortSignal }): Promise<{ logits: Tensor<'float32'> }>;
  /** Ids [batch, n + new tokens], from decoder_input_ids or else the decoder start token alone. */
  /** With return_token_timestamps: each token's start in seconds beside the ids (num_frames: the audio's samples / hop_length). */
  generate(inputs: WhisperSourceInputs & { decoder_input_ids?: Ids; return_timestamps?: boolean; return_token_timestamps: true; num_frames?: number } & GenerationOptions): Promise<{ sequences: Tensor<'int64'>; token_timestamps: Tensor<'float32'> }>;
  generate(inputs: WhisperSourceInputs & { decoder_input_ids?: Ids; tokenizer?: PreTrainedTokenizer; return_timestamps?: boolean; return_token_timestamps?: false; num_frames?: number } & GenerationOptions): Promise<Tensor<'int64'>>;
  memory(): MemoryReport | Promise<MemoryReport>;
}

export class AutoModelForSpeechSeq2Seq {
  static from_pretrained(source: ModelSource, options?: PretrainedOptions): Promise<WhisperForConditionalGeneration>;
}

export interface Message {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface TokenizerCallOptions {
  text_pair?: string | string[] | null;
  add_special_tokens?: boolean;
  padding?: boolean | 'longest' | 'max_length';
  truncation?: boolean | null;
  max_length?: number | null;
  return_token_type_ids?: boolean | null;
}
export interface BatchEncoding {
  input_ids: Tensor<'int64'>;
  attention_mask: Tensor<'int64'>;
  token_type_ids?: Tensor<'int64'>;
}
export interface ChatTemplateOptions {
  chat_template?: string | null;
  add_generation_prompt?: boolean;
  padding?: boolean;
  truncation?: boolean;
  max_length?: number | null;
  return_tensor?: boolean;
  return_dict?: boolean;
  tools?: unknown[] | null;
  documents?: unknown[] | null;
  [key: string]: unknown;
}

export interface PreTrainedTokenizer extends Disposable {
  (text: string | string[], options?: TokenizerCallOptions & { return_tensor?: true }): BatchEncoding;
  (text: string | string[], options: TokenizerCallOptions & { return_tensor: false }): Record<string, number[] | number[][]>;
}
export class PreTrainedTokenizer {
  readonly config: Record<string, any>;
  padding_side: 'left' | 'right';
  readonly model_max_length: number;
  readonly chat_template: string | Array<{ name: string; template: string }> | null;
  readonly bos_token: string | null; readonly eos_token: string | null; readonly pad_token: string | null;
  readonly unk_token: string | null; readonly sep_token: string | null; readonly cls_token: string | null; readonly mask_token: string | null;
  readonly bos_token_id: number | null; readonly eos_token_id: number | null; readonly pad_token_id: number | null;
  readonly all_special_ids: number[];
  readonly all_special_tokens: string[];
  readonly model_input_names: string[];
  token_to_id(token: string): number | null;
  encode(text: string, options?: { text_pair?: string | null; add_special_tokens?: boolean }): number[];
  decode(ids: Tensor | ArrayLike<number | bigint>, options?: { skip_special_tokens?: boolean }): string;
  batch_decode(batch: Tensor | ArrayLike<ArrayLike<number | bigint>>, options?: { skip_special_tokens?: boolean }): string[];
  /**
   * Text as ids come, one stream a row, with constant work a token: `push` takes one new id a
   * row and returns the text each completes, in whole characters; `finish` what each row held
   * back (an incomplete character), starting afresh. skip_special_tokens defaults to true.
   */
  decode_stream(rows?: number, options?: { skip_special_tokens?: boolean }): {
    push(ids: ArrayLike<number | bigint>): string[];
    finish(): string[];
    dispose(): void;
  };
  apply_chat_template(conversation: Message[], options: ChatTemplateOptions & { tokenize: false }): Promise<string>;
  apply_chat_template(conversation: Message[], options: ChatTemplateOptions & { return_dict: true }): Promise<BatchEncoding>;
  apply_chat_template(conversation: Message[], options?: ChatTemplateOptions & { return_tensor?: true }): Promise<Tensor<'int64'>>;
  apply_chat_template(conversation: Message[], options: ChatTemplateOptions & { return_tensor: false }): Promise<number[]>;
  dispose(): void;
}

export interface WhisperDecodeOptions {
  skip_special_tokens?: boolean;
  /** Write timestamp tokens as `<|1.08|>` (they are dropped otherwise). */
  decode_with_timestamps?: boolean;
  /** Return `{ text, offsets }`: the text between each pair of timestamps. */
  output_offsets?: boolean;
  /** Seconds a timestamp token stands for (default 0.02). */
  time_precision?: number;
}
export interface AsrChunk { text: string; timestamp?: [number, number | null]; language?: string | null }

/** Whisper's tokenizer (tokenizer_config.json's tokenizer_class WhisperTokenizer): timestamp-aware decoding. */
export interface WhisperTokenizer extends PreTrainedTokenizer {}
export class WhisperTokenizer extends PreTrainedTokenizer {
  /** The id of `<|0.00|>`: ids from it on are timestamps (Infinity when the vocabulary has none). */
  readonly timestamp_begin: number;
  decode(ids: Tensor | ArrayLike<number | bigint>, options: WhisperDecodeOptions & { output_offsets: true }): { text: string; offsets: Array<{ text: string; timestamp: [number, number] }> };
  decode(ids: Tensor | ArrayLike<number | bigint>, options?: WhisperDecodeOptions & { output_offsets?: false }): string;
  /** Merges overlapping windows' ids (strides in seconds) as transformers.js's _decode_asr; 'word' reads each window's token_timestamps. */
  _decode_asr(sequences: Array<{ tokens: ArrayLike<number | bigint>; stride?: [number, number, number]; token_timestamps?: ArrayLike<number> }>,
    options: { return_timestamps?: boolean | 'word'; return_language?: boolean; time_precision: number }): [string, { chunks?: AsrChunk[] }];
  /** [position, id] pairs of the language, task and <|notimestamps|> tokens after <|startoftranscript|>. */
  get_decoder_prompt_ids(options?: { language?: string | null; task?: 'transcribe' | 'translate' | null; no_timestamps?: boolean }): Array<[number, number]>;
}

export class AutoTokenizer {
  static from_pretrained(source: ModelSource, options?: Pick<PretrainedOptions, 'signal' | 'progress_callback' | 'revision' | 'local_files_only' | 'worker'>): Promise<PreTrainedTokenizer>;
}

/**
 * Reads audio as mono samples at `sampling_rate` (default 16000), channels averaged and resampled:
 * a Float32Array is returned as it is; a URL is fetched with env.fetch; pages decode any format the
 * browser reads, Node (and workers) read WAV (PCM 8/16/24/32-bit, float 32/64, WAVE_FORMAT_EXTENSIBLE).
 */
export function read_audio(source: AudioInput, sampling_rate?: number, options?: { signal?: AbortSignal }): Promise<Float32Array>;

/** Whisper's log-mel features from preprocessor_config.json, computed in the wasm module. */
export interface WhisperFeatureExtractor {
  (audio: Float32Array | Float64Array): Promise<{ input_features: Tensor<'float32'> }>;
}
export class WhisperFeatureExtractor {
  /** preprocessor_config.json as parsed. */
  readonly config: { feature_size?: number; sampling_rate?: number; hop_length?: number; n_fft?: number; chunk_length?: number;
    n_samples?: number; nb_max_frames?: number; [key: string]: unknown };
}

/** A Whisper processor: `await processor(audio)` → `{ input_features }` [1, n_mels, 3000]; `tokenizer` when the folder has one. */
export interface WhisperProcessor extends Disposable {
  (audio: Float32Array | Float64Array): Promise<{ input_features: Tensor<'float32'> }>;
}
export class WhisperProcessor {
  readonly feature_extractor: WhisperFeatureExtractor;
  readonly tokenizer: PreTrainedTokenizer | null;
  decode(ids: Tensor | ArrayLike<number | bigint>, options?: { skip_special_tokens?: boolean }): string;
  batch_decode(batch: Tensor | ArrayLike<ArrayLike<number | bigint>>, options?: { skip_special_tokens?: boolean }): string[];
  dispose(): void;
}

export class AutoProcessor {
  static from_pretrained(source: ModelSource, options?: Pick<PretrainedOptions, 'signal' | 'progress_callback' | 'revision' | 'local_files_only'>): Promise<WhisperProcessor>;
}

export class TextStreamer implements Streamer {
  constructor(tokenizer: PreTrainedTokenizer, options?: {
    skip_prompt?: boolean; skip_special_tokens?: boolean; callback_function?: ((text: string) => void) | null;
    token_callback_function?: ((ids: bigint[]) => void) | null; decode_kwargs?: Record<string, unknown>;
  });
  put(value: bigint[][]): void;
  end(): void;
  /** Frees the tokenizer's decode stream without giving out what it holds (generate calls it when it fails). */
  release(): void;
  /** Receives each piece of text (calls `callback_function`); override it in a subclass as in transformers.js. */
  on_finalized_text(text: string, stream_end?: boolean): void;
}

export interface TextGenerationCallOptions extends GenerationOptions {
  return_full_text?: boolean;
  add_special_tokens?: boolean;
}

export interface TextGenerationPipeline extends Disposable {
  (text: string, options?: TextGenerationCallOptions): Promise<[{ generated_text: string }]>;
  (texts: string[], options?: TextGenerationCallOptions): Promise<Array<[{ generated_text: string }]>>;
  (messages: Message[], options?: TextGenerationCallOptions): Promise<[{ generated_text: Message[] }]>;
  (conversations: Message[][], options?: TextGenerationCallOptions): Promise<Array<[{ generated_text: Message[] }]>>;
}
export class TextGenerationPipeline {
  readonly task: 'text-generation';
  readonly model: CausalLM;
  readonly tokenizer: PreTrainedTokenizer;
  /** The new text as it is generated; breaking out of the loop stops generation. */
  stream(texts: string | string[] | Message[] | Message[][], options?: TextGenerationCallOptions): AsyncGenerator<string, void, undefined>;
  dispose(): void | Promise<void>;
}

export interface FeatureExtractionCallOptions {
  pooling?: Pooling;
  normalize?: boolean;
  signal?: AbortSignal;
  progress_callback?: (event: { status: 'progress'; loaded: number; total: number; progress: number }) => void;
}
export interface FeatureExtractionPipeline extends Disposable {
  (texts: string | string[], options?: FeatureExtractionCallOptions): Promise<Tensor<'float32'>>;
}
export class FeatureExtractionPipeline {
  readonly task: 'feature-extraction';
  readonly model: EncoderModel;
  readonly tokenizer: PreTrainedTokenizer;
  /** Pooling and normalisation from the model's sentence-transformers files. */
  readonly defaults: { pooling: Pooling; normalize: boolean };
  dispose(): void | Promise<void>;
}

/** Audio a speech pipeline reads: 16 kHz mono samples, a URL, a Blob/File, an AudioBuffer, or (Node) a file path. */
export type AudioInput = Float32Array | string | URL | Blob | AudioBuffer;

export interface AutomaticSpeechRecognitionCallOptions extends Omit<GenerationOptions, 'stop_strings'> {
  /** A Whisper language by name or code ('french' or 'fr'); detected from the first window when not given. */
  language?: string | null;
  task?: 'transcribe' | 'translate' | null;
  /** Segment-level `chunks` with [start, end] times in seconds; 'word': a chunk a word, timed by the alignment heads' cross-attention. */
  return_timestamps?: boolean | 'word';
  /** Each chunk's language name. */
  return_language?: boolean;
  /** Windows of this many seconds (at most the model's 30); longer audio is cut into 30 s windows when not given. */
  chunk_length_s?: number;
  /** Seconds each window shares with each neighbour; default chunk_length_s / 6. */
  stride_length_s?: number;
  /** Each window as it is done, with its own text and its place in the audio; its tokens and stride (seconds), and with 'word' its token_timestamps, are what tokenizer._decode_asr merges. */
  chunk_callback?: (chunk: { text: string; timestamp: [number, number]; is_last: boolean; tokens: number[]; stride: [number, number, number]; token_timestamps?: number[] }) => void;
}
export interface AutomaticSpeechRecognitionOutput { text: string; chunks?: AsrChunk[] }

export interface AutomaticSpeechRecognitionPipeline extends Disposable {
  (audio: AudioInput, options?: AutomaticSpeechRecognitionCallOptions): Promise<AutomaticSpeechRecognitionOutput>;
  (audios: AudioInput[], options?: AutomaticSpeechRecognitionCallOptions): Promise<AutomaticSpeechRecognitionOutput[]>;
}
export class AutomaticSpeechRecognitionPipeline {
  readonly task: 'automatic-speech-recognition';
  readonly model: WhisperForConditionalGeneration;
  readonly tokenizer: WhisperTokenizer;
  readonly processor: WhisperProcessor;
  /** The samples a second the processor takes (preprocessor_config.json's sampling_rate). */
  readonly sampling_rate: number;
  dispose(): void | Promise<void>;
}

/**
 * Without a source, 'text-generation' loads the bundled models/kjv-llama-5m and
 * 'automatic-speech-recognition' the bundled models/whisper-kjv-tiny; 'feature-extraction' needs one named.
 */
export function pipeline(task: 'text-generation', source?: ModelSource | null, options?: PretrainedOptions): Promise<TextGenerationPipeline>;
export function pipeline(task: 'feature-extraction', source: ModelSource, options?: PretrainedOptions): Promise<FeatureExtractionPipeline>;
export function pipeline(task: 'automatic-speech-recognition', source?: ModelSource | null, options?: PretrainedOptions): Promise<AutomaticSpeechRecognitionPipeline>;

export function cos_sim(a: ArrayLike<number>, b: ArrayLike<number>): number;

export interface PreflightReport {
  fits: boolean;
  weight_bytes: number;
  kv_cache_bytes: number;
  peak_bytes: number;
  limit_bytes: number;
  advice: string;
}
export function preflight(source: ModelSource, options?: { dtype?: DType | Record<string, DType>; max_length?: number; revision?: string; local_files_only?: boolean; signal?: AbortSignal }): Promise<PreflightReport>;
export function isCached(source: ModelSource, options?: { revision?: string }): Promise<boolean>;
/** Removes the cached files of `source`, or of every model when it is omitted; resolves to how many were removed. */
export function clearCache(source?: ModelSource, options?: { revision?: string }): Promise<number>;

export function runtimeInfo(): Promise<{ threads: number; threaded: boolean; reason: string }>;

export interface Env {
  wasm: { wasmPaths: string | null; numThreads: number | null };
  allowRemoteModels: boolean;
  remoteHost: string;
  remotePathTemplate: string;
  allowLocalModels: boolean;
  localModelPath: string;
  useBrowserCache: boolean;
  useFSCache: boolean;
  cacheDir: string | null;
  /** customCache is used only while this is true (as transformers.js); not with the wax worker: use { worker: false }. */
  useCustomCache: boolean;
  customCache: { match(key: string): Promise<Response | undefined>; put(key: string, response: Response): Promise<void>; delete?(key: string): Promise<boolean> } | null;
  maxParallelDownloads: number;
  /** Milliseconds a download may receive nothing (headers, then each body chunk) before WAX_FETCH_FAILED (a cached copy that stalls as long is downloaded again); 0 or Infinity: no limit. Default 30000. */
  fetchStallTimeout: number;
  fetch: typeof fetch;
}
export const env: Env;
