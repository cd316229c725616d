// Media in (audio.js) and the processors that turn it into a model's inputs.
export { read_audio } from './audio.js';
export { AutoProcessor, WhisperProcessor } from './processor.js';
export { WhisperFeatureExtractor } from './whisper-feature-extractor.js';
