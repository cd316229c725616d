import { WaxError } from '../errors.js';
import { createRemote, wantsWorker } from '../worker/remote.js';
import { loadFeatureExtraction } from './feature-extraction.js';
import { loadTextGeneration } from './text-generation.js';

const TASKS = {
  'text-generation': loadTextGeneration,
  'feature-extraction': loadFeatureExtraction,
};

/**
 * Builds a ready-to-call pipeline for `task` from the model at `source` (a local folder in Node
 * or a folder URL), as transformers.js's function of the same name.
 *
 * @example
 * import { pipeline } from 'wax';
 * const generator = await pipeline('text-generation', 'models/kjv-llama-5m');
 * const [{ generated_text }] = await generator('And God said', { max_new_tokens: 20 });
 *
 * On a page's main thread the pipeline runs in a module Web Worker that wax creates (the page
 * stays responsive; `dispose()` ends the worker); `{ worker: false }` keeps it in the page. In
 * Node it runs in-process unless `{ worker: true }` (worker_threads).
 *
 * @param {'text-generation' | 'feature-extraction'} task
 * @param {string | URL} source
 * @param {{ signal?: AbortSignal, progress_callback?: (event: object) => void, revision?: string, dtype?: string, worker?: boolean }} [options]
 *   the tokenizer and the model load at `revision`, their files adding up to one progress_total
 */
export function pipeline(task, source, options = {}) {
  const load = TASKS[task];
  if (!load) {
    return Promise.reject(new WaxError(`pipeline: unsupported task '${task}' (supported: ${Object.keys(TASKS).join(', ')})`, { code: 'WAX_UNSUPPORTED' }));
  }
  if (source === undefined || source === null) {
    return Promise.reject(new WaxError(`pipeline('${task}'): a model source (folder path or URL) is required`, { code: 'WAX_BAD_INPUT' }));
  }
  if (wantsWorker(options)) {
    const { worker, ...rest } = options;
    return createRemote('pipeline', [task, source instanceof URL ? source.href : source, rest]);
  }
  return load(task, source, options);
}
