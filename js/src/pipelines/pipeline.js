// The base of every task pipeline (transformers.js's Pipeline): the task, the model and the
// tokenizer (a processor too, for the media tasks next), the options check every call starts
// with, disposal, and what crosses the wax worker. A task subclasses it with its _call and its
// loadParts, and adds a line to pipelines/index.js's table.
import { Callable } from '../callable.js';
import { makeAsyncDisposable } from '../disposable.js';
import { pipelineProgress } from '../loader/progress.js';
import { checkOptions } from '../options.js';
import { AutoTokenizer } from '../tokenizer.js';

export class Pipeline extends Callable {
  /** The options a call takes (options.js rules); checked by checkCall. */
  static callOptions = {};

  /** A call runs in the worker; pageMethods run on the page's proxy (built on the worker's _call). */
  static workerMethods = ['_call'];
  static pageMethods = [];
  static workerProperties = ['task', 'model', 'tokenizer'];

  /** @param {{ task: string, model: object, tokenizer: object }} parts */
  constructor({ task, model, tokenizer }) {
    super();
    this.task = task;
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Throws a WAX_BAD_INPUT naming the first option of a call that breaks its rule (options.js). */
  checkCall(options) {
    checkOptions(this.task, options, this.constructor.callOptions);
  }

  /**
   * Loads the tokenizer, then what `loadParts(source, options, tokenizer)` adds (the model, task
   * defaults), with one progress_total over all their files; the tokenizer is freed if the rest fails.
   * @returns {Promise<Pipeline>}
   */
  static async load(task, source, { signal, revision, progress_callback, ...rest } = {}) {
    const progress = pipelineProgress(progress_callback);
    const shared = { signal, revision, local_files_only: rest.local_files_only };
    const tokenizer = await AutoTokenizer.from_pretrained(source, { ...shared, progress_callback: progress });
    try {
      const parts = await this.loadParts(source, { ...shared, ...rest, progress_callback: progress });
      return new this({ task, tokenizer, ...parts });
    } catch (error) {
      tokenizer.dispose();
      throw error;
    }
  }

  /** Frees the model and the tokenizer. */
  dispose() {
    this.model.dispose();
    this.tokenizer.dispose();
  }
}
makeAsyncDisposable(Pipeline.prototype);
