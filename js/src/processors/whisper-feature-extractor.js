// Whisper's feature extractor: mono samples → log-mel input_features, computed by the wasm module
// (src/audio/log_mel.cpp, exactly transformers' WhisperFeatureExtractor) from preprocessor_config.json.
import { Callable } from '../callable.js';
import { WaxError, badInput, describeValue } from '../errors.js';
import { Tensor } from '../tensor.js';

/**
 * Turns 16 kHz mono audio into Whisper's log-mel `input_features` (a Tensor [1, feature_size,
 * 3000] for 30 s windows), as transformers.js's class of the same name: audio is padded with
 * silence or trimmed to the window. Usually reached as `processor.feature_extractor`.
 *
 * @example
 * const processor = await AutoProcessor.from_pretrained('tests/fixtures/whisper_tiny_random');
 * const { input_features } = await processor.feature_extractor(new Float32Array(16000));
 * input_features.dims; // [1, 80, 3000]
 */
export class WhisperFeatureExtractor extends Callable {
  /**
   * @param {import('../runtime.js').WaxRuntime} runtime the wasm module
   * @param {string} configText preprocessor_config.json's text, checked here by the module
   *   (WAX_BAD_CONFIG naming the field)
   */
  constructor(runtime, configText) {
    super();
    this.runtime = runtime;
    this.configText = configText;
    /** The parsed preprocessor_config.json (sampling_rate, chunk_length, feature_size, …). */
    this.config = JSON.parse(configText);
    // The module reads the config before it looks at the audio: an empty call fails on the
    // audio alone when the config is good, so a bad file fails here, at load time.
    try {
      this.#extract(new Float32Array(0));
    } catch (error) {
      if (error?.code !== 'WAX_BAD_INPUT') throw error;
    }
  }

  /**
   * @param {Float32Array | Float64Array} audio mono samples at config.sampling_rate
   * @returns {Promise<{ input_features: Tensor }>} [1, feature_size, frames]
   */
  async _call(audio) {
    if (!(audio instanceof Float32Array) && !(audio instanceof Float64Array)) {
      throw badInput(`WhisperFeatureExtractor: expected mono audio as a Float32Array (or Float64Array) at ${this.config.sampling_rate ?? 16000} Hz, ` +
        `got ${describeValue(audio)}; read_audio() reads files, URLs and Blobs`);
    }
    const { n_mels, frames, values } = this.#extract(audio instanceof Float32Array ? audio : Float32Array.from(audio));
    return { input_features: new Tensor('float32', values, [1, n_mels, frames]) };
  }

  /** wax_audio_features: { n_mels, frames, values (n_mels × frames) }. */
  #extract(samples) {
    const { runtime } = this;
    let configPtr = 0, samplesPtr = 0;
    try {
      configPtr = runtime.copyString(this.configText, 'preprocessor_config.json');
      samplesPtr = runtime.copyIn(samples, 'the audio samples');
      const out = runtime.call('wax_audio_features', configPtr, samplesPtr, samples.length) >>> 0;
      const header = new Int32Array(runtime.heapU8.buffer, out, 2);
      const [n_mels, frames] = header;
      const values = new Float32Array(runtime.heapU8.buffer, out + 8, n_mels * frames).slice();
      runtime.free(out);
      return { n_mels, frames, values };
    } finally {
      runtime.free(configPtr);
      runtime.free(samplesPtr);
    }
  }
}

/** The feature extractor that preprocessor_config.json's feature_extractor_type names. */
export function featureExtractorFor(runtime, configText, json, label) {
  const type = json?.feature_extractor_type ?? null;
  if (type !== 'WhisperFeatureExtractor') {
    throw new WaxError(`${label}: preprocessor_config.json's feature_extractor_type is ${describeValue(type)}; ` +
      "wax reads 'WhisperFeatureExtractor'", { code: type === null ? 'WAX_BAD_CONFIG' : 'WAX_UNSUPPORTED' });
  }
  return new WhisperFeatureExtractor(runtime, configText);
}
