// wax: neural networks in WebAssembly, with the names transformers.js users know.
export { pipeline } from './pipelines/index.js';
export { TextGenerationPipeline } from './pipelines/text-generation.js';
export { FeatureExtractionPipeline, cos_sim } from './pipelines/feature-extraction.js';
export { AutomaticSpeechRecognitionPipeline } from './pipelines/automatic-speech-recognition.js';
export { AutoModel, AutoModelForCausalLM, AutoModelForSpeechSeq2Seq, PreTrainedModel, WhisperForConditionalGeneration } from './models/registry.js';
export { CausalLM } from './models/causal-lm.js';
export { EncoderModel } from './models/encoder.js';
export { AutoTokenizer, PreTrainedTokenizer, WhisperTokenizer } from './tokenizer.js';
export { TextStreamer } from './streamers.js';
export { AutoProcessor, WhisperProcessor, WhisperFeatureExtractor, read_audio } from './processors/index.js';
export { Tensor } from './tensor.js';
export { env } from './env.js';
export { runtimeInfo } from './runtime.js';
export { preflight } from './loader/preflight.js';
export { clearCache, isCached } from './loader/source.js';
export { WAX_ERROR_CODES, WaxError } from './errors.js';
