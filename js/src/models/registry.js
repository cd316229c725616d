// config.json's model_type → the model class that runs it, and the Auto classes, which load
// through it. A new family whose C++ model is one of these task interfaces adds a line here; a
// new interface (seq2seq, detector, segmenter) adds its class, its lines and its Auto class.
// Whether a model_type can be built is C++'s to say: a type not listed here loads as the Auto
// class's own kind, and its C++ loader refuses it, naming the types it builds.
import { CausalLM } from './causal-lm.js';
import { EncoderModel } from './encoder.js';
import { PreTrainedModel, registerModelClass } from './pretrained-model.js';
import { WhisperForConditionalGeneration } from './whisper.js';

registerModelClass('llama', CausalLM);
registerModelClass('qwen2', CausalLM);
registerModelClass('mistral', CausalLM);
registerModelClass('bert', EncoderModel);
registerModelClass('whisper', WhisperForConditionalGeneration);

/**
 * Loads decoder-only language models, as transformers.js's class of the same name.
 *
 * @example
 * import { AutoModelForCausalLM } from 'wax-ml';
 * const model = await AutoModelForCausalLM.from_pretrained('tests/fixtures/llama_gqa_tied');
 * const ids = await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 5 });
 * ids.dims; // [1, 8]
 * model.dispose();
 */
export class AutoModelForCausalLM {
  /**
   * @param {string | URL | object} source a Hub repo id ('org/name', fetched from env.remoteHost at
   *   `revision`), the URL of a folder, a local folder (Node), or the files the user picked
   *   ({ 'config.json': File, 'model.safetensors': File, … }, a Map, or an array of File). The
   *   folder holds config.json and model.safetensors, or model.safetensors.index.json and its shards.
   * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, revision?: string, max_length?: number,
   *   dtype?: 'fp32' | 'auto' | 'fp16' | 'q8' | 'q4' | object, worker?: boolean }} [options]
   *   signal: aborts downloads and parsing, freeing what was allocated; progress_callback: the
   *   transformers.js events (initiate, download, progress, done, progress_total, ready);
   *   max_length: the longest sequence planned, for the fit check made before downloading
   *   (default: the model's, at most 2048); dtype: the weights' dtype after loading ('auto', as
   *   transformers.js's default, is fp32), or one per module ({ embed_tokens: 'q8', default: 'q4' }). On a page's
   *   main thread the model runs in a wax-made module Worker unless `worker: false`.
   * @returns {Promise<CausalLM>}
   */
  static from_pretrained(source, options = {}) {
    return CausalLM.from_pretrained(source, options);
  }
}

/**
 * Loads encoder models (model_type bert), as transformers.js's AutoModel does.
 *
 * @example
 * import { AutoModel } from 'wax-ml';
 * const model = await AutoModel.from_pretrained('tests/fixtures/bert_tiny_st');
 * const { last_hidden_state } = await model.forward({ input_ids: [[101, 7592, 102]], attention_mask: [[1, 1, 1]] });
 * model.dispose();
 */
export class AutoModel {
  /**
   * @param {string | URL} source a local folder (Node), a folder URL or a Hugging Face repo id
   * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, dtype?: string, revision?: string, worker?: boolean }} [options]
   *   On a page's main thread the model runs in a wax-made module Worker unless `worker: false`.
   * @returns {Promise<EncoderModel>}
   */
  static from_pretrained(source, options = {}) {
    return EncoderModel.from_pretrained(source, options);
  }
}

/**
 * Loads speech-to-text encoder-decoder models (model_type whisper), as transformers.js's class of
 * the same name.
 *
 * @example
 * import { AutoModelForSpeechSeq2Seq, AutoProcessor } from 'wax-ml';
 * const model = await AutoModelForSpeechSeq2Seq.from_pretrained('tests/fixtures/whisper_tiny_random');
 * const processor = await AutoProcessor.from_pretrained('tests/fixtures/whisper_tiny_random');
 * const { input_features } = await processor(new Float32Array(16000));
 * const ids = await model.generate({ input_features, max_new_tokens: 5 });
 * ids.dims; // [1, 6]: the decoder start token, then 5 new ids (fewer if the end of text comes first)
 * model.dispose();
 */
export class AutoModelForSpeechSeq2Seq {
  /**
   * @param {string | URL | object} source as AutoModelForCausalLM.from_pretrained's
   * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, dtype?: string, revision?: string, worker?: boolean }} [options]
   *   dtype: 'fp32', 'fp16', 'q8' or 'q4' for the matrices (the embed_positions tables stay f32).
   *   On a page's main thread the model runs in a wax-made module Worker unless `worker: false`.
   * @returns {Promise<WhisperForConditionalGeneration>}
   */
  static from_pretrained(source, options = {}) {
    return WhisperForConditionalGeneration.from_pretrained(source, options);
  }
}

export { PreTrainedModel, WhisperForConditionalGeneration };
