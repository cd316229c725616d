// One model's files for one load: resolves the source once (hub.js), opens the cache once
// (cache.js), reads text files through the cache, and reports progress (progress.js). The
// weights go through shards.js and fetch-to-heap.js.
//
//   const files = openSource('org/name', { progress_callback });
//   const config = await files.readText('config.json');
//   const plan = await openWeightFiles(files);                    // headers only
//   const blocks = await downloadWeightFiles(files, runtime, plan); // bodies, into the heap
import { WaxError } from '../errors.js';
import { MISSING, openCache } from './cache.js';
import { resolveSource } from './hub.js';
import { Progress } from './progress.js';

/**
 * @param {string | URL | object} source a repo id, a folder URL, a local folder (Node) or a map of files
 * @param {{ revision?: string, progress_callback?: (event: object) => void, name?: string }} [options]
 */
export function openSource(source, options = {}) {
  return new ModelFiles(source, options);
}

class ModelFiles {
  #source;
  #revision;
  #context = null;
  constructor(source, { revision = 'main', progress_callback, name } = {}) {
    this.#source = source;
    this.#revision = revision;
    /** For messages; the resolved folder once known. */
    this.label = typeof source === 'string' || source instanceof URL ? String(source) : 'the given files';
    this.progress = new Progress(progress_callback, name ?? (typeof source === 'string' ? source : this.label));
  }

  /** The resolved source and the cache (null for local files, or when caching is off). */
  context(signal) {
    this.#context ??= (async () => {
      const source = await resolveSource(this.#source, { revision: this.#revision, signal });
      this.label = source.label;
      const cache = source.cacheKey('config.json') ? await openCache() : null;
      return { source, cache };
    })();
    this.#context.catch(() => { this.#context = null; });
    return this.#context;
  }

  /** The text of `file`, through the cache; null when `optional` and absent. */
  async readText(file, { signal, optional = false } = {}) {
    const { source, cache } = await this.context(signal);
    const key = source.cacheKey(file);
    const { progress } = this;
    if (cache && key) {
      const hit = await cache.readText(key).catch(() => null);
      if (hit === MISSING) {
        if (optional) return null;
        throw new WaxError(`${file}: not found at ${source.labelFor(file)} (remembered by the cache; clearCache() forgets it)`, { code: 'WAX_NOT_FOUND' });
      }
      if (hit !== null) {
        const bytes = new TextEncoder().encode(hit).length;
        progress.initiate(file);
        progress.progress(file, bytes, bytes);
        progress.done(file);
        return hit;
      }
    }
    const text = await source.readText(file, { signal, optional });
    if (text === null) {
      if (cache && key) await cache.putText(key, MISSING).catch(() => {});
      return null;
    }
    const bytes = new TextEncoder().encode(text).length;
    progress.initiate(file);
    if (source.kind === 'remote') progress.download(file);
    progress.progress(file, bytes, bytes);
    progress.done(file);
    if (cache && key) {
      await cache.putText(key, text).catch((error) => console.warn(`wax: could not cache ${source.labelFor(file)} (${error.message}); loading without the cache`));
    }
    return text;
  }
}

/** The cache keys of a remote model's files that the cache knows of (shards from a cached index). */
async function cachedKeys(source, cache) {
  const { INDEX_FILE, SINGLE_FILE, shardFiles } = await import('./shards.js');
  const names = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', SINGLE_FILE, INDEX_FILE];
  const indexText = await cache.readText(source.cacheKey(INDEX_FILE)).catch(() => null);
  if (typeof indexText === 'string') {
    try {
      names.push(...shardFiles(indexText, source.label));
    } catch {
      // a damaged index: its own entry is still deleted
    }
  }
  return names.map((file) => source.cacheKey(file));
}

/**
 * Whether a model's config.json and all its weights are in the cache, so that loading it makes
 * no network request.
 *
 * @param {string | URL} source a repo id or a folder URL (local folders and files are never cached)
 * @param {{ revision?: string }} [options]
 * @returns {Promise<boolean>}
 *
 * @example
 * import { isCached } from 'wax-ml';
 * await isCached('HuggingFaceTB/SmolLM2-135M'); // false before the first load, true after
 */
export async function isCached(source, { revision = 'main' } = {}) {
  const resolved = await resolveSource(source, { revision });
  if (!resolved.cacheKey('config.json')) return false;
  const cache = await openCache();
  if (!cache || !(await cache.has(resolved.cacheKey('config.json')))) return false;
  const { INDEX_FILE, SINGLE_FILE, shardFiles } = await import('./shards.js');
  const single = await cache.openFile(resolved.cacheKey(SINGLE_FILE)).catch(() => null);
  if (single && single !== MISSING) {
    single.reader.cancel();
    return true;
  }
  const indexText = await cache.readText(resolved.cacheKey(INDEX_FILE)).catch(() => null);
  if (typeof indexText !== 'string') return false;
  for (const shard of shardFiles(indexText, resolved.label)) {
    const hit = await cache.openFile(resolved.cacheKey(shard)).catch(() => null);
    if (!hit || hit === MISSING) return false;
    hit.reader.cancel();
  }
  return true;
}

/**
 * Deletes a model's files from the cache, or, without a source, everything wax cached.
 *
 * @param {string | URL} [source] a repo id or a folder URL
 * @param {{ revision?: string }} [options]
 * @returns {Promise<number>} how many entries were deleted
 *
 * @example
 * import { clearCache } from 'wax-ml';
 * await clearCache('HuggingFaceTB/SmolLM2-135M'); // 3
 * await clearCache();                              // every model
 */
export async function clearCache(source, { revision = 'main' } = {}) {
  const cache = await openCache();
  if (!cache) return 0;
  if (source === undefined || source === null) return cache.clear(null);
  const resolved = await resolveSource(source, { revision });
  if (!resolved.cacheKey('config.json')) return 0;
  return cache.clear(resolved.base.href, await cachedKeys(resolved, cache));
}
