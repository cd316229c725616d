// One model's files for one load: resolves the source once (hub.js), opens the cache once
// (cache.js), reads text files through the cache, and reports progress (progress.js). The
// weights go through shards.js and fetch-to-heap.js.
//
//   const files = openSource('org/name', { progress_callback });
//   const { json: config } = await files.readJson('config.json');
//   const plan = await openWeightFiles(files);                    // headers only
//   const blocks = await downloadWeightFiles(files, runtime, plan); // bodies, into the heap
import { WaxError } from '../errors.js';
import { clearingCacheInWorker } from '../worker/remote.js';
import { MISSING, STALE_MISSING, openCache } from './cache.js';
import { resolveSource } from './hub.js';
import { Progress } from './progress.js';

/**
 * @param {string | URL | object} source a repo id, a folder URL, a local folder (Node) or a map of files
 * @param {{ revision?: string, progress_callback?: (event: object) => void, name?: string, local_files_only?: boolean }} [options]
 *   local_files_only: repo ids and URLs come from the cache only; nothing is fetched
 */
export function openSource(source, options = {}) {
  return new ModelFiles(source, options);
}

/** JSON.parse, or undefined when `text` is not JSON. */
function parseOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A page of HTML where JSON was asked for: a captive portal's, a login page's or a proxy's "200". */
function htmlInsteadOfJson(text, file, source) {
  return new WaxError(`${file}: ${source.labelFor(file)} sent an HTML page, not JSON (a captive portal, a login page or a proxy's ` +
    'error page?); nothing was cached: check the network and load again', { code: 'WAX_FETCH_FAILED' });
}
const looksLikeHtml = (text) => /^\s*<(!doctype|html|head|body|\?xml)?/i.test(text);

/** A failure to reach the server (network, stall, 5xx), as opposed to its answer that a file is absent. */
function unreachable(error) {
  return error?.code === 'WAX_FETCH_FAILED' || error?.cause?.code === 'WAX_FETCH_FAILED';
}

class ModelFiles {
  #source;
  #revision;
  #localFilesOnly;
  #context = null;
  constructor(source, { revision = 'main', progress_callback, name, local_files_only = false } = {}) {
    this.#source = source;
    this.#revision = revision;
    this.#localFilesOnly = !!local_files_only;
    /** For messages; the resolved folder once known. */
    this.label = typeof source === 'string' || source instanceof URL ? String(source) : 'the given files';
    this.progress = new Progress(progress_callback, name ?? (typeof source === 'string' ? source : this.label));
  }

  /** The resolved source and the cache (null for local files, or when caching is off). */
  context(signal) {
    this.#context ??= (async () => {
      const source = await resolveSource(this.#source, { revision: this.#revision, signal, local_files_only: this.#localFilesOnly });
      this.label = source.label;
      const cache = source.cacheKey('config.json') ? await openCache() : null;
      // What killed or failed downloads of this model left behind goes before this load writes.
      await cache?.sweep(source.base.href).catch(() => {});
      return { source, cache };
    })();
    this.#context.catch(() => { this.#context = null; });
    return this.#context;
  }

  /**
   * The one reader of a model's JSON files: the file through the cache, as { text, json }; null
   * when `optional` and absent (a 404: a 5xx or a network failure is never taken for absence).
   * Not JSON: a WaxError with `code` (default WAX_BAD_CONFIG) naming the file, and nothing cached
   * (WAX_FETCH_FAILED for a page of HTML from a server). `rememberAbsence` (default: `optional`)
   * records a 404 for MISSING_TTL_MS. `cacheOnly`: the cache's answer, null when it has none.
   * @returns {Promise<{ text: string, json: any } | null>}
   */
  async readJson(file, { code = 'WAX_BAD_CONFIG', ...options } = {}) {
    const read = await this.#read(file, options);
    if (read === null || read.json !== undefined) return read;
    const { source } = await this.context();
    try {
      JSON.parse(read.text);
    } catch (error) {
      throw new WaxError(`${source.labelFor(file)}: not valid JSON (${error.message})`, { code, cause: error });
    }
  }

  /** The text of a file through the cache; null when `optional` and absent. JSON files go through readJson. */
  async readText(file, options = {}) {
    return (await this.#read(file, options))?.text ?? null;
  }

  /** { text, json }: json is the parsed *.json file, undefined when it is not valid JSON (then it is not cached). */
  async #read(file, { signal, optional = false, rememberAbsence = optional, cacheOnly = false } = {}) {
    const { source, cache } = await this.context(signal);
    const key = cache ? source.cacheKey(file) : null;
    const isJson = file.endsWith('.json');
    const hit = key ? await cache.readText(key).catch(() => null) : null;
    if (typeof hit === 'string') {
      const json = isJson ? parseOrUndefined(hit) : undefined;
      if (!isJson || json !== undefined) {
        source.notLocal = null; // loaded before: the user meant this repo
        this.#reported(file, hit, false);
        return { text: hit, json };
      }
      await cache.delete(key).catch(() => {}); // kept by a wax that cached before parsing
    }
    // A 404 seen before stands while fresh, and, stale, when the server may not be asked.
    if (cacheOnly || (optional && (hit === MISSING || (hit === STALE_MISSING && source.offline)))) return null;
    let text;
    try {
      text = await source.readText(file, { signal, optional });
    } catch (error) {
      // The server said 404 before and cannot be reached now: that answer still stands.
      if (hit === STALE_MISSING && optional && unreachable(error) && !signal?.aborted) return null;
      throw error;
    }
    if (text === null) {
      if (key && rememberAbsence) await cache.putText(key, MISSING).catch(() => {});
      return null;
    }
    const json = isJson ? parseOrUndefined(text) : undefined;
    if (isJson && json === undefined && source.kind === 'remote' && looksLikeHtml(text)) throw htmlInsteadOfJson(text, file, source);
    this.#reported(file, text, source.kind === 'remote');
    if (key && (!isJson || json !== undefined)) {
      await cache.putText(key, text).catch((error) => console.warn(`wax: could not cache ${source.labelFor(file)} (${error.message}); loading without the cache`));
    }
    return { text, json };
  }

  #reported(file, text, downloaded) {
    const bytes = new TextEncoder().encode(text).length;
    this.progress.initiate(file);
    if (downloaded) this.progress.download(file);
    this.progress.progress(file, bytes, bytes);
    this.progress.done(file);
  }
}

/** The cache keys of a remote model's files that the cache knows of (shards from a cached index). */
async function cachedKeys(source, cache) {
  const { INDEX_FILE, SINGLE_FILE, shardFiles } = await import('./shards.js');
  const names = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', SINGLE_FILE, INDEX_FILE];
  const indexText = await cache.readText(source.cacheKey(INDEX_FILE)).catch(() => null);
  if (typeof indexText === 'string') {
    try {
      names.push(...shardFiles(parseOrUndefined(indexText), source.label));
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
  if (!cache) return false;
  const config = await cache.readText(resolved.cacheKey('config.json')).catch(() => null);
  if (typeof config !== 'string' || parseOrUndefined(config) === undefined) return false;
  const { INDEX_FILE, SINGLE_FILE, shardFiles } = await import('./shards.js');
  const single = await cache.openFile(resolved.cacheKey(SINGLE_FILE)).catch(() => null);
  if (single) {
    single.reader.cancel();
    return true;
  }
  const indexText = await cache.readText(resolved.cacheKey(INDEX_FILE)).catch(() => null);
  if (typeof indexText !== 'string') return false;
  for (const shard of shardFiles(parseOrUndefined(indexText), resolved.label)) {
    const hit = await cache.openFile(resolved.cacheKey(shard)).catch(() => null);
    if (!hit) return false;
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
  if (source === undefined || source === null) {
    await clearingCacheInWorker(null);
    return cache.clear(null);
  }
  const resolved = await resolveSource(source, { revision });
  if (!resolved.cacheKey('config.json')) return 0;
  await clearingCacheInWorker(resolved.base.href);
  return cache.clear(resolved.base.href, await cachedKeys(resolved, cache));
}
