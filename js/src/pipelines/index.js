import { WaxError, badInput } from '../errors.js';
import { createRemote, wantsWorker } from '../worker/remote.js';
import { loadFeatureExtraction } from './feature-extraction.js';
import { loadTextGeneration } from './text-generation.js';

const TASKS = {
  'text-generation': loadTextGeneration,
  'feature-extraction': loadFeatureExtraction,
};

/**
 * The model a task loads when none is named: the one bundled with wax, found beside this package
 * (so from any working directory, and on a page that serves the package's folder).
 */
const DEFAULT_MODELS = {
  'text-generation': new URL('../../../models/kjv-llama-5m/', import.meta.url),
};

/**
 * Builds a ready-to-call pipeline for `task` from the model at `source` (a local folder in Node
 * or a folder URL), as transformers.js's function of the same name. Without a source,
 * 'text-generation' loads the bundled models/kjv-llama-5m; 'feature-extraction' has no bundled
 * model and needs one named.
 *
 * @example
 * import { pipeline } from 'wax-ml';
 * const generator = await pipeline('text-generation'); // the bundled models/kjv-llama-5m
 * const [{ generated_text }] = await generator('And God said', { max_new_tokens: 20 });
 *
 * On a page's main thread the pipeline runs in a module Web Worker that wax creates (the page
 * stays responsive; `dispose()` ends the worker); `{ worker: false }` keeps it in the page. In
 * Node it runs in-process unless `{ worker: true }` (worker_threads).
 *
 * @param {'text-generation' | 'feature-extraction'} task
 * @param {string | URL} [source] the model; the task's bundled one when omitted
 * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, revision?: string, dtype?: string, worker?: boolean }} [options]
 *   the tokenizer and the model load at `revision`, their files adding up to one progress_total
 */
export function pipeline(task, source, options = {}) {
  const load = TASKS[task];
  if (!load) {
    return Promise.reject(new WaxError(`pipeline: unsupported task '${task}' (supported: ${Object.keys(TASKS).join(', ')})`, { code: 'WAX_UNSUPPORTED' }));
  }
  const model = source ?? DEFAULT_MODELS[task];
  if (!model) {
    return Promise.reject(badInput(`pipeline('${task}'): wax bundles no model for this task; name one, ` +
      `such as pipeline('${task}', 'sentence-transformers/all-MiniLM-L6-v2') (a Hub repo id, a folder URL or a local folder)`));
  }
  if (wantsWorker(options)) {
    const { worker, ...rest } = options;
    return createRemote('pipeline', [task, model instanceof URL ? model.href : model, rest]);
  }
  return load(task, model, options);
}
