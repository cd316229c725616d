// The transformers.js progress events, so existing progress bars work unchanged:
//   { status: 'initiate', name, file }            a file is about to load
//   { status: 'download', name, file }            ... from the network (not from a cache or disk)
//   { status: 'progress', name, file, progress, loaded, total }   progress in percent
//   { status: 'done', name, file }
//   { status: 'progress_total', name, progress, loaded, total, files: { [file]: { loaded, total } } }
//   { status: 'ready', task, model }              (sent by the model class once built)
// For each file they come in that order, `loaded` never decreases, and progress_total ends at 100.

export class Progress {
  #callback;
  #files = {};
  constructor(callback, name) {
    this.#callback = callback ?? null;
    this.name = name;
  }

  #emit(event) {
    this.#callback?.(event);
  }

  /** Makes a file's size part of progress_total before its bytes arrive (so the total only grows). */
  expect(file, total) {
    this.#files[file] ??= { loaded: 0, total };
  }

  initiate(file) {
    this.#emit({ status: 'initiate', name: this.name, file });
  }

  download(file) {
    this.#emit({ status: 'download', name: this.name, file });
  }

  progress(file, loaded, total) {
    const entry = (this.#files[file] ??= { loaded: 0, total });
    entry.loaded = Math.max(entry.loaded, loaded);
    entry.total = Math.max(total, entry.loaded);
    this.#emit({ status: 'progress', name: this.name, file, progress: entry.total ? (100 * entry.loaded) / entry.total : 100, loaded: entry.loaded, total: entry.total });
    if (!this.#callback) return;
    let sumLoaded = 0, sumTotal = 0;
    for (const { loaded: l, total: t } of Object.values(this.#files)) {
      sumLoaded += l;
      sumTotal += t;
    }
    const files = Object.fromEntries(Object.entries(this.#files).map(([name, f]) => [name, { ...f }]));
    this.#emit({ status: 'progress_total', name: this.name, progress: sumTotal ? (100 * sumLoaded) / sumTotal : 100, loaded: sumLoaded, total: sumTotal, files });
  }

  done(file) {
    this.#emit({ status: 'done', name: this.name, file });
  }

  ready(task, model) {
    this.#emit({ status: 'ready', task, model });
  }
}
