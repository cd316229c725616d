// Which safetensors files make a model, their headers read first, then their bodies downloaded
// a few at a time (env.maxParallelDownloads), each into its own heap block.
//
//   model.safetensors                          one file; or
//   model.safetensors.index.json               { "weight_map": { tensor: "model-00001-of-00003.safetensors", … } }
import { envNumber } from '../env.js';
import { WaxError } from '../errors.js';
import { openSafetensors, streamIntoHeap } from './fetch-to-heap.js';
import { noWeightsError } from './hub.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The shard file names of a parsed index, in order of first appearance; names are checked. */
export function shardFiles(index, label) {
  const map = index?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new WaxError(`${label}/${INDEX_FILE}: 'weight_map' must be an object of tensor name → file name`, { code: 'WAX_BAD_CONFIG' });
  }
  const files = [...new Set(Object.values(map))];
  for (const file of files) {
    if (typeof file !== 'string' || !/^[\w.-]+\.safetensors$/.test(file) || file.startsWith('.')) {
      throw new WaxError(`${label}/${INDEX_FILE}: shard name ${JSON.stringify(file)} must be a plain file name ending in .safetensors`, { code: 'WAX_BAD_CONFIG' });
    }
  }
  if (files.length === 0) throw new WaxError(`${label}/${INDEX_FILE}: 'weight_map' lists no files`, { code: 'WAX_BAD_CONFIG' });
  return files;
}

/** A signal that aborts when `outer` does or when `abort()` is called (the first failure stops the others). */
function linkedController(outer) {
  const controller = new AbortController();
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  return controller;
}

/**
 * Runs `task(item)` for every item, at most `limit` at once. On the first failure the shared
 * signal aborts the others; once all have settled, `cleanup(results)` frees what succeeded and
 * the first real failure (the caller's abort reason when it aborted) is thrown.
 */
export async function mapBounded(items, limit, signal, task, cleanup = () => {}) {
  const controller = linkedController(signal);
  const results = new Array(items.length);
  let next = 0, failure = null;
  const worker = async () => {
    while (next < items.length && !controller.signal.aborted) {
      const i = next++;
      try {
        results[i] = await task(items[i], controller.signal);
      } catch (error) {
        failure ??= error;
        controller.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure || signal?.aborted) {
    await cleanup(results.filter(Boolean));
    throw signal?.aborted ? signal.reason : failure;
  }
  return results;
}

/** One safetensors file from the cache, its header read; null when the cache lacks it (a damaged entry is deleted). */
async function openCachedWeightFile(source, cache, file, signal) {
  const key = cache ? source.cacheKey(file) : null;
  const hit = key ? await cache.openFile(key).catch(() => null) : null;
  if (!hit) return null;
  const label = source.labelFor(file);
  try {
    const access = { kind: 'stream', size: hit.size, sha256: hit.sha256, reader: hit.reader, fromCache: true, close: () => hit.reader.cancel() };
    return { file, key, opened: await openSafetensors(access, `${label} (cached)`, signal), fromCache: true };
  } catch (error) {
    hit.reader.cancel();
    if (signal?.aborted) throw signal.reason;
    console.warn(`wax: the cached ${label} is damaged (${error.message}); downloading it again`);
    await cache.delete(key).catch(() => {});
    return null;
  }
}

/**
 * Opens one safetensors file of `source` from the source itself and reads its header. A 404 is
 * never remembered: a sharded model in the cache is found by its cached index (openWeightFiles).
 * @returns {Promise<{ file: string, key: string | null, opened: object, fromCache: boolean } | null>} null: optional and absent
 */
async function openSourceWeightFile(source, file, { signal, optional = false } = {}) {
  let access;
  try {
    access = await source.openAccess(file, { signal });
  } catch (error) {
    if (optional && error.code === 'WAX_NOT_FOUND' && !signal?.aborted) return null;
    throw error;
  }
  try {
    return { file, key: source.cacheKey(file), opened: await openSafetensors(access, source.labelFor(file), signal), fromCache: false };
  } catch (error) {
    access.close?.();
    throw signal?.aborted ? signal.reason : error;
  }
}

/** Opens one safetensors file of `source`, cache first, and reads its header. */
export async function openWeightFile(source, cache, file, { signal } = {}) {
  return await openCachedWeightFile(source, cache, file, signal) ?? openSourceWeightFile(source, file, { signal });
}

/**
 * The headers of every weight file: model.safetensors, or the shards its index lists. The cache
 * answers first for both layouts, so a cached sharded model asks nothing of the network.
 * @returns {Promise<{ files: Array<{ file, key, opened, fromCache }>, close(): void }>}
 */
export async function openWeightFiles(session, { signal } = {}) {
  const { source, cache } = await session.context(signal);
  let single = await openCachedWeightFile(source, cache, SINGLE_FILE, signal);
  let index = single ? null : await session.readJson(INDEX_FILE, { signal, cacheOnly: true });
  if (!single && !index) {
    if (source.offline) {
      throw new WaxError(`${source.label}: neither ${SINGLE_FILE} nor ${INDEX_FILE} is in the cache, and ${source.offline}: nothing was downloaded`,
        { code: 'WAX_NOT_FOUND' });
    }
    single = await openSourceWeightFile(source, SINGLE_FILE, { signal, optional: true });
    if (!single) index = await session.readJson(INDEX_FILE, { signal, optional: true, rememberAbsence: false });
  }
  let files;
  if (single) {
    files = [single];
  } else {
    if (!index) throw await noWeightsError(source, signal, [SINGLE_FILE, INDEX_FILE]);
    const names = shardFiles(index.json, source.label);
    files = await mapBounded(names, maxParallelDownloads(), signal,
      (name, shared) => openWeightFile(source, cache, name, { signal: shared }),
      (opened) => opened.forEach((entry) => entry.opened.close()));
  }
  for (const entry of files) session.progress.initiate(entry.file);
  return { files, close: () => files.forEach((entry) => entry.opened.close()) };
}

const maxParallelDownloads = () => envNumber('maxParallelDownloads', { min: 1, integer: true });

/**
 * Streams every opened weight file into its own heap block, a few at once; files that came
 * from the network are written to the cache as they arrive (from the heap, chunk by chunk).
 * A cached file that turns out damaged (size, sha256) is deleted and downloaded again; with
 * `sinkFor(opened)` (streams that hand tensors to C++ as they come) it is deleted and the error
 * thrown, since part of it is already handed over: the caller starts again.
 * @returns {Promise<Array<{ file: string, label: string, ptr: number, size: number }>>} the caller owns the blocks
 *   (with `sinkFor`: what its sinks' finish() returned)
 */
export async function downloadWeightFiles(session, runtime, plan, { signal, sinkFor = null } = {}) {
  const { source, cache } = await session.context(signal);
  const { progress } = session;
  progress.expectWeights(Object.fromEntries(plan.files.map((entry) => [entry.file, entry.opened.size])));

  /** A cache writer for a downloaded file, or null (caching off, or the cache refused: a warning). */
  const writerFor = (entry) => {
    if (entry.fromCache || !cache || !entry.key) return null;
    return cache.writer(entry.key, { size: entry.opened.size, sha256: entry.opened.sha256 }).catch((error) => {
      console.warn(`wax: could not cache ${source.labelFor(entry.file)} (${error.message}); loading without the cache`);
      return null;
    });
  };
  const load = async (entry, shared) => {
    const { file, key } = entry;
    const onProgress = (loaded, total) => progress.progress(file, loaded, total);
    if (!entry.fromCache) progress.download(file);
    let block;
    try {
      const sink = sinkFor?.(entry.opened);
      // streamIntoHeap owns the writer from here: every way out of it aborts or closes it.
      block = await streamIntoHeap(runtime, entry.opened, { signal: shared, onProgress, cacheWriter: await writerFor(entry), sink });
    } catch (error) {
      if (!entry.fromCache || error.code !== 'WAX_BAD_CACHE' || shared.aborted) throw error;
      console.warn(`wax: ${error.message}; downloading it again`);
      await cache.delete(key).catch(() => {});
      if (sinkFor) throw error;
      const fresh = await openSourceWeightFile(source, file, { signal: shared });
      progress.download(file);
      block = await streamIntoHeap(runtime, fresh.opened, { signal: shared, onProgress, cacheWriter: await writerFor(fresh) });
    }
    progress.done(file);
    return { file, label: source.labelFor(file), ...block };
  };
  return mapBounded(plan.files, maxParallelDownloads(), signal, load, (blocks) => {
    plan.close();
    blocks.forEach((block) => runtime.free(block.ptr));
  });
}
