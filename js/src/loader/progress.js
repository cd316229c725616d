// The transformers.js progress events, so existing progress bars work unchanged:
//   { status: 'initiate', name, file }            a file is about to load
//   { status: 'download', name, file }            ... from the network (not from a cache or disk)
//   { status: 'progress', name, file, progress, loaded, total }   progress in percent
//   { status: 'done', name, file }
//   { status: 'progress_total', name, progress, loaded, total, files: { [file]: { loaded, total } } }
//   { status: 'ready', task, model }              (sent by the model class once built)
// For each file they come in that order and `loaded` never decreases. progress_total is one
// running total over every file of a load (a pipeline's tokenizer files included), first sent once
// the weights' sizes are known: its `loaded` and `total` never decrease, and it ends at 100.

const TALLY = Symbol('wax progress tally');

/**
 * Per-file bytes behind progress_total; `waitingForWeights` holds it back until their sizes count;
 * `callbackFailed`: the callback threw once (said once per load, or per pipeline).
 */
const newTally = (waitingForWeights) => ({ files: {}, waitingForWeights, callbackFailed: false });

/**
 * The progress_callback for the several loads of one pipeline (tokenizer, then model): they add
 * up to one progress_total, which waits for the model's weight sizes, so that the tokenizer's
 * and config's few bytes never show as 100 % before the weights start.
 */
export function pipelineProgress(callback) {
  if (!callback || callback[TALLY]) return callback;
  const shared = (event) => callback(event);
  shared[TALLY] = newTally(true);
  return shared;
}

export class Progress {
  #callback;
  #tally;
  constructor(callback, name) {
    this.#callback = callback ?? null;
    this.#tally = callback?.[TALLY] ?? newTally(false);
    this.name = name;
  }

  /**
   * A callback that throws (or rejects) never breaks or leaks a load: its first failure is said
   * once, naming the event, and the load goes on.
   */
  #emit(event) {
    if (!this.#callback) return;
    try {
      const result = this.#callback(event);
      if (typeof result?.then === 'function') result.then(undefined, (error) => this.#callbackFailed(event, error));
    } catch (error) {
      this.#callbackFailed(event, error);
    }
  }

  #callbackFailed(event, error) {
    if (this.#tally.callbackFailed) return;
    this.#tally.callbackFailed = true;
    console.warn(`wax: progress_callback threw at the '${event.status}' event${event.file ? ` of ${event.file}` : ''} ` +
      `(${error?.name ?? 'Error'}: ${error?.message ?? error}); the load goes on, and later errors of this callback are not reported`);
  }

  /**
   * A model load: its weights' sizes are known only once their headers are read, after
   * config.json; until `expectWeights` counts them, progress_total would reach 100 % too early.
   */
  awaitWeights() {
    this.#tally.waitingForWeights = true;
  }

  /** Counts the weight files' sizes before their bytes arrive, so that the total is final from here on. */
  expectWeights(sizes) {
    for (const [file, total] of Object.entries(sizes)) this.#tally.files[file] ??= { loaded: 0, total };
    this.#tally.waitingForWeights = false;
    this.#emitTotal();
  }

  initiate(file) {
    this.#emit({ status: 'initiate', name: this.name, file });
  }

  download(file) {
    this.#emit({ status: 'download', name: this.name, file });
  }

  progress(file, loaded, total) {
    const entry = (this.#tally.files[file] ??= { loaded: 0, total });
    entry.loaded = Math.max(entry.loaded, loaded);
    entry.total = Math.max(total, entry.loaded);
    this.#emit({ status: 'progress', name: this.name, file, progress: entry.total ? (100 * entry.loaded) / entry.total : 100, loaded: entry.loaded, total: entry.total });
    this.#emitTotal();
  }

  #emitTotal() {
    if (!this.#callback || this.#tally.waitingForWeights) return;
    let loaded = 0, total = 0;
    for (const file of Object.values(this.#tally.files)) {
      loaded += file.loaded;
      total += file.total;
    }
    const files = Object.fromEntries(Object.entries(this.#tally.files).map(([name, f]) => [name, { ...f }]));
    this.#emit({ status: 'progress_total', name: this.name, progress: total ? (100 * loaded) / total : 100, loaded, total, files });
  }

  done(file) {
    this.#emit({ status: 'done', name: this.name, file });
  }

  ready(task, model) {
    this.#emit({ status: 'ready', task, model });
  }
}
