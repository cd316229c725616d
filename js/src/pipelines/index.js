import { WaxError, badInput } from '../errors.js';
import { loadWhereWanted } from '../worker/remote.js';
import { AutomaticSpeechRecognitionPipeline } from './automatic-speech-recognition.js';
import { FeatureExtractionPipeline } from './feature-extraction.js';
import { TextGenerationPipeline } from './text-generation.js';

/**
 * Each task's pipeline class, and the model it loads when none is named: the one bundled with
 * wax, found beside this package (so from any working directory, and on a page that serves the
 * package's folder).
 */
const TASKS = {
  'text-generation': { pipelineClass: TextGenerationPipeline, defaultModel: new URL('../../../models/kjv-llama-5m/', import.meta.url) },
  'feature-extraction': { pipelineClass: FeatureExtractionPipeline, defaultModel: null },
  'automatic-speech-recognition': { pipelineClass: AutomaticSpeechRecognitionPipeline, defaultModel: new URL('../../../models/whisper-kjv-tiny/', import.meta.url) },
};

/**
 * Builds a ready-to-call pipeline for `task` from the model at `source` (a local folder in Node
 * or a folder URL), as transformers.js's function of the same name. Without a source,
 * 'text-generation' loads the bundled models/kjv-llama-5m and 'automatic-speech-recognition' the
 * bundled models/whisper-kjv-tiny (espeak-ng speech of KJV English only); 'feature-extraction'
 * needs one named.
 *
 * @example
 * import { pipeline } from 'wax-ml';
 * const generator = await pipeline('text-generation'); // the bundled models/kjv-llama-5m
 * const [{ generated_text }] = await generator('And God said', { max_new_tokens: 20 });
 * const transcriber = await pipeline('automatic-speech-recognition', 'openai/whisper-tiny');
 * const { text, chunks } = await transcriber('speech.wav', { language: 'en', return_timestamps: true });
 *
 * On a page's main thread the pipeline runs in a module Web Worker that wax creates (the page
 * stays responsive), one for all the models and pipelines of the page; `dispose()` of the last
 * of them ends it, returning its memory. `{ worker: false }` keeps the pipeline in the page. In
 * Node it runs in-process unless `{ worker: true }` (worker_threads).
 *
 * @param {'text-generation' | 'feature-extraction' | 'automatic-speech-recognition'} task
 * @param {string | URL} [source] the model; the task's bundled one when omitted
 * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, revision?: string, dtype?: string, worker?: boolean }} [options]
 *   the tokenizer and the model load at `revision`, their files adding up to one progress_total
 */
export async function pipeline(task, source, options = {}) {
  const { pipelineClass, defaultModel } = Object.hasOwn(TASKS, task) ? TASKS[task] : {};
  if (!pipelineClass) {
    throw new WaxError(`pipeline: unsupported task '${task}' (supported: ${Object.keys(TASKS).join(', ')})`, { code: 'WAX_UNSUPPORTED' });
  }
  const model = source ?? defaultModel;
  if (!model) {
    throw badInput(`pipeline('${task}'): wax bundles no model for this task; name one, ` +
      `such as pipeline('${task}', 'sentence-transformers/all-MiniLM-L6-v2') (a Hub repo id, a folder URL or a local folder)`);
  }
  return loadWhereWanted('pipeline', model, options, () => pipelineClass.load(task, model, options),
    { args: [task], localClass: pipelineClass });
}
