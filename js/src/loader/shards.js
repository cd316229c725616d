// Which safetensors files make a model, their headers read first, then their bodies downloaded
// a few at a time (env.maxParallelDownloads), each into its own heap block.
//
//   model.safetensors                          one file; or
//   model.safetensors.index.json               { "weight_map": { tensor: "model-00001-of-00003.safetensors", … } }
import { env } from '../env.js';
import { WaxError } from '../errors.js';
import { MISSING } from './cache.js';
import { openSafetensors, streamIntoHeap } from './fetch-to-heap.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The shard file names of an index, in order of first appearance; names are checked. */
export function shardFiles(indexText, label) {
  let index;
  try {
    index = JSON.parse(indexText);
  } catch (error) {
    throw new WaxError(`${label}/${INDEX_FILE}: not valid JSON (${error.message})`, { code: 'WAX_BAD_CONFIG', cause: error });
  }
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

/**
 * Opens one safetensors file of `source` (cache first) and reads its header.
 * @returns {Promise<{ file: string, key: string | null, opened: object, fromCache: boolean } | null>} null: optional and absent
 */
export async function openWeightFile(source, cache, file, { signal, optional = false } = {}) {
  const key = source.cacheKey(file);
  const label = source.labelFor(file);
  if (cache && key) {
    const hit = await cache.openFile(key).catch(() => null);
    if (hit === MISSING) {
      if (optional) return null;
      throw new WaxError(`${file}: not found at ${label} (remembered by the cache; clearCache() forgets it)`, { code: 'WAX_NOT_FOUND' });
    }
    if (hit) {
      try {
        const access = { kind: 'stream', size: hit.size, sha256: hit.sha256, reader: hit.reader, fromCache: true, close: () => hit.reader.cancel() };
        return { file, key, opened: await openSafetensors(access, `${label} (cached)`, signal), fromCache: true };
      } catch (error) {
        hit.reader.cancel();
        if (signal?.aborted) throw signal.reason;
        console.warn(`wax: the cached ${label} is damaged (${error.message}); downloading it again`);
        await cache.delete(key).catch(() => {});
      }
    }
  }
  let access;
  try {
    access = await source.openAccess(file, { signal });
  } catch (error) {
    if (error.code !== 'WAX_NOT_FOUND') throw error;
    if (cache && key) await cache.putText(key, MISSING).catch(() => {});
    if (optional) return null;
    throw error;
  }
  try {
    return { file, key, opened: await openSafetensors(access, label, signal), fromCache: false };
  } catch (error) {
    access.close?.();
    throw signal?.aborted ? signal.reason : error;
  }
}

/**
 * The headers of every weight file: model.safetensors, or the shards its index lists.
 * @returns {Promise<{ files: Array<{ file, key, opened, fromCache }>, close(): void }>}
 */
export async function openWeightFiles(session, { signal } = {}) {
  const { source, cache } = await session.context(signal);
  const single = await openWeightFile(source, cache, SINGLE_FILE, { signal, optional: true });
  let files;
  if (single) {
    files = [single];
  } else {
    const indexText = await session.readText(INDEX_FILE, { signal, optional: true });
    if (indexText === null) {
      throw new WaxError(`${source.label}: neither ${SINGLE_FILE} nor ${INDEX_FILE} was found (${source.labelFor(SINGLE_FILE)})`, { code: 'WAX_NOT_FOUND' });
    }
    const names = shardFiles(indexText, source.label);
    files = await mapBounded(names, env.maxParallelDownloads, signal,
      (name, shared) => openWeightFile(source, cache, name, { signal: shared }),
      (opened) => opened.forEach((entry) => entry.opened.close()));
  }
  for (const entry of files) session.progress.initiate(entry.file);
  return { files, close: () => files.forEach((entry) => entry.opened.close()) };
}

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

  const load = async (entry, shared) => {
    const { file, key } = entry;
    const onProgress = (loaded, total) => progress.progress(file, loaded, total);
    if (!entry.fromCache) progress.download(file);
    let writer = null;
    if (!entry.fromCache && cache && key) {
      writer = await cache.writer(key, { size: entry.opened.size, sha256: entry.opened.sha256 }).catch((error) => {
        console.warn(`wax: could not cache ${source.labelFor(file)} (${error.message}); loading without the cache`);
        return null;
      });
    }
    let block;
    try {
      block = await streamIntoHeap(runtime, entry.opened, { signal: shared, onProgress, cacheWriter: writer, sink: sinkFor?.(entry.opened) });
    } catch (error) {
      if (!entry.fromCache || error.code !== 'WAX_BAD_CACHE' || shared.aborted) throw error;
      console.warn(`wax: ${error.message}; downloading it again`);
      await cache.delete(key).catch(() => {});
      if (sinkFor) throw error;
      const fresh = await openWeightFile(source, null, file, { signal: shared });
      progress.download(file);
      writer = await cache.writer(key, { size: fresh.opened.size, sha256: fresh.opened.sha256 }).catch(() => null);
      block = await streamIntoHeap(runtime, fresh.opened, { signal: shared, onProgress, cacheWriter: writer });
    }
    progress.done(file);
    return { file, label: source.labelFor(file), ...block };
  };
  return mapBounded(plan.files, env.maxParallelDownloads, signal, load, (blocks) => {
    plan.close();
    blocks.forEach((block) => runtime.free(block.ptr));
  });
}
