// A model's input processor (transformers.js's Processor): its feature extractor from
// preprocessor_config.json and, where the folder has one, its tokenizer, read through the
// models' loader (the same cache, revision, progress events and local_files_only).
import { Callable } from '../callable.js';
import { makeAsyncDisposable } from '../disposable.js';
import { WaxError } from '../errors.js';
import { openSource } from '../loader/source.js';
import { getRuntime } from '../runtime.js';
import { AutoTokenizer } from '../tokenizer.js';
import { featureExtractorFor } from './whisper-feature-extractor.js';

/**
 * Whisper's processor: calling it runs the feature extractor; `tokenizer` decodes what the model
 * generates. Create it with `AutoProcessor.from_pretrained`.
 *
 * @example
 * const processor = await AutoProcessor.from_pretrained('tests/fixtures/whisper_tiny_random');
 * const { input_features } = await processor(float32Audio16k);
 * input_features.dims; // [1, 80, 3000]
 */
export class WhisperProcessor extends Callable {
  /** @param {{ feature_extractor: import('./whisper-feature-extractor.js').WhisperFeatureExtractor, tokenizer: object | null }} parts */
  constructor({ feature_extractor, tokenizer }) {
    super();
    this.feature_extractor = feature_extractor;
    /** The folder's tokenizer (null when it has no tokenizer.json). */
    this.tokenizer = tokenizer;
  }

  /** The feature extractor's output for `audio` (mono samples at its sampling_rate): `{ input_features }`. */
  async _call(audio, ...args) {
    return this.feature_extractor(audio, ...args);
  }

  /** The tokenizer's batch_decode. */
  batch_decode(...args) {
    return this.#tokenizer().batch_decode(...args);
  }

  /** The tokenizer's decode. */
  decode(...args) {
    return this.#tokenizer().decode(...args);
  }

  #tokenizer() {
    if (!this.tokenizer) throw new WaxError('this processor has no tokenizer (its folder has no tokenizer.json)', { code: 'WAX_NOT_FOUND' });
    return this.tokenizer;
  }

  /** Frees the tokenizer's wasm memory (the feature extractor holds none). */
  dispose() {
    this.tokenizer?.dispose();
  }
}
makeAsyncDisposable(WhisperProcessor.prototype);

/**
 * Loads a model folder's processor, as transformers.js's class of the same name: the feature
 * extractor that preprocessor_config.json names (WhisperFeatureExtractor), with the tokenizer when
 * the folder has a tokenizer.json.
 *
 * @example
 * import { AutoProcessor, read_audio } from 'wax-ml';
 * const processor = await AutoProcessor.from_pretrained('tests/fixtures/whisper_tiny_random');
 * const { input_features } = await processor(await read_audio('speech.wav', 16000));
 * input_features.dims; // [1, 80, 3000]
 */
export class AutoProcessor {
  /**
   * @param {string | URL | object} source a Hub repo id, a folder URL, a local folder (Node) or picked files,
   *   as for the models
   * @param {{ signal?: AbortSignal, revision?: string, progress_callback?: (event: object) => void,
   *   local_files_only?: boolean }} [options]
   * @returns {Promise<WhisperProcessor>}
   */
  static async from_pretrained(source, { signal, revision, progress_callback, local_files_only } = {}) {
    const files = openSource(source, { revision, progress_callback, local_files_only });
    const [runtime, config] = await Promise.all([getRuntime(), files.readJson('preprocessor_config.json', { signal, optional: true })]);
    if (config === null) {
      throw new WaxError(`${files.label}: no preprocessor_config.json (the feature extractor's settings that transformers saves)`, { code: 'WAX_NOT_FOUND' });
    }
    const feature_extractor = featureExtractorFor(runtime, config.text, config.json, files.label);
    let tokenizer = null;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(source, { signal, revision, progress_callback, local_files_only, worker: false });
    } catch (error) {
      if (error?.code !== 'WAX_NOT_FOUND') throw error;
    }
    return new WhisperProcessor({ feature_extractor, tokenizer });
  }
}
