// Where downloads are kept between loads. One interface over three stores:
//   browsers: the Cache API (cache 'wax-models'), on by default (env.useBrowserCache);
//   Node:     files under env.cacheDir (env.useFSCache), written to a temporary name and renamed;
//   custom:   env.customCache when env.useCustomCache is true (as transformers.js), any object with
//             the Cache API's { match(key), put(key, response), delete?(key) }.
// Every entry records its size (and the sha256 the server's LFS metadata gave): an entry whose
// bytes do not match is never served as complete.
import { env, envNumber } from '../env.js';
import { WaxError } from '../errors.js';
import { isNode } from '../runtime.js';
import { ChunkReader } from './fetch-to-heap.js';
import { settleWithin } from './stall.js';

const BROWSER_CACHE_NAME = 'wax-models';
/** Read size for cached files on disk (Node). */
const FS_CHUNK_BYTES = 16 * 1024 ** 2;

/**
 * A Cache API body, chunk by chunk. With the default reader: Chromium's BYOB reads of a cached
 * body sometimes never resolve (a load in the wax worker hung after a few MB, about one run in
 * three on a loaded machine; the default reader never did in the same runs). A read that still
 * gives nothing for env.fetchStallTimeout fails as WAX_BAD_CACHE, which the loader answers by
 * dropping the entry and downloading the file again (shards.js), instead of hanging the load.
 */
function cachedBodyReader(body, key) {
  const timeout = envNumber('fetchStallTimeout', { min: 0 });
  const stalled = () => new WaxError(`${key}: the cached copy gave nothing for ${timeout / 1000} s (env.fetchStallTimeout)`, { code: 'WAX_BAD_CACHE' });
  return ChunkReader.fromStream(body, (read) => settleWithin(read, timeout, stalled), { byob: false });
}

/**
 * @typedef {{ size: number, sha256: string | null, reader: ChunkReader }} CachedFile
 * @typedef {{ write(chunk: Uint8Array): Promise<void>, close(): Promise<void>, abort(reason?: unknown): void }} CacheWriter
 * @typedef {{
 *   readText(key: string): Promise<string | null | typeof MISSING | typeof STALE_MISSING>,
 *   putText(key: string, text: string | typeof MISSING): Promise<void>,
 *   openFile(key: string): Promise<CachedFile | null>,
 *   writer(key: string, meta: { size: number, sha256: string | null }): Promise<CacheWriter>,
 *   delete(key: string): Promise<boolean>,
 *   has(key: string): Promise<boolean>,
 *   clear(prefix: string | null, known?: string[]): Promise<number>,
 *   sweep(prefix: string | null): Promise<number>,
 * }} ModelCache
 * `sweep` removes what interrupted writes left under `prefix` (null: everywhere) and returns how many.
 */

/**
 * A cached answer "this optional file does not exist" (the server said 404), so a load soon after
 * asks the server nothing. Trusted for MISSING_TTL_MS; after that the file is asked for again, and
 * the old answer (STALE_MISSING) stands only when the server cannot be reached.
 */
export const MISSING = Symbol('missing');
export const STALE_MISSING = Symbol('stale missing');
export const MISSING_TTL_MS = 10 * 60 * 1000;
/**
 * A temporary `.part` file (Node) older than this whose writer may still run (its pid is alive,
 * maybe reused, or it wrote from another machine sharing the folder) counts as abandoned: a live
 * download rewrites its file every chunk, and stalls for at most env.fetchStallTimeout.
 */
const ABANDONED_PART_MS = 60 * 60 * 1000;

/**
 * The files this process is writing into a cache. clear() marks those under what it clears, and
 * they are dropped instead of published when their download ends: a load that runs across a
 * clearCache() still loads, but leaves nothing in the cache.
 */
const unpublished = new Set();

function trackWrite(key) {
  const write = { key, cleared: false };
  unpublished.add(write);
  return write;
}

/** Marks the writes in flight under `prefix` (null: all) as cleared; the wax worker's are marked through remote.js. */
export function markCleared(prefix) {
  for (const write of unpublished) if (prefix === null || write.key.startsWith(prefix)) write.cleared = true;
}

/** MISSING or STALE_MISSING by when the 404 was seen (entries from before the TTL carry no time). */
function absence(seenAt) {
  return Number.isFinite(seenAt) && Date.now() - seenAt < MISSING_TTL_MS ? MISSING : STALE_MISSING;
}

/** @returns {Promise<ModelCache | null>} the cache env selects, or null when caching is off. */
export async function openCache() {
  if (env.useCustomCache) {
    const custom = env.customCache;
    if (typeof custom?.match !== 'function' || typeof custom?.put !== 'function') {
      throw new WaxError('env.useCustomCache is true, but env.customCache is not an object with match(key) and put(key, response) ' +
        '(the Cache API\'s shape)', { code: 'WAX_BAD_INPUT' });
    }
    return responseCache(custom);
  }
  if (!isNode && env.useBrowserCache && globalThis.caches) {
    try {
      return responseCache(await globalThis.caches.open(BROWSER_CACHE_NAME));
    } catch (error) {
      console.warn(`wax: the Cache API is not available (${error.message}); loading without a cache`);
      return null;
    }
  }
  if (isNode && env.useFSCache && env.cacheDir) return fsCache(env.cacheDir);
  return null;
}

// ---- Cache API and customCache: entries are Responses with x-wax-* headers -------------------

function responseCache(store) {
  const text = (value) => new Response(value, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const withMeta = async (key) => {
    const response = await store.match(key);
    if (!response) return null;
    if (response.headers.get('x-wax-missing') === '1') return absence(Number(response.headers.get('x-wax-missing-at')));
    return response;
  };
  return {
    async readText(key) {
      const response = await withMeta(key);
      if (response === null || typeof response === 'symbol') return response;
      const value = await response.text();
      const size = Number(response.headers.get('x-wax-size') ?? NaN);
      if (Number.isFinite(size) && new TextEncoder().encode(value).length !== size) {
        await store.delete?.(key);
        return null;
      }
      return value;
    },
    async putText(key, value) {
      const response = value === MISSING
        ? new Response('', { headers: { 'x-wax-missing': '1', 'x-wax-missing-at': String(Date.now()) } })
        : new Response(value, { headers: { 'content-type': 'text/plain; charset=utf-8', 'x-wax-size': String(new TextEncoder().encode(value).length) } });
      await store.put(key, response);
    },
    async openFile(key) {
      const response = await withMeta(key);
      if (response === null || typeof response === 'symbol') return null;
      // Entries written by other tools (a shared customCache) may lack x-wax-size: then the
      // content-length, and in any case the size the safetensors header implies, are checked.
      const size = Number(response.headers.get('x-wax-size') ?? response.headers.get('content-length') ?? NaN);
      if (!response.body) return null;
      return { size: Number.isFinite(size) ? size : null, sha256: response.headers.get('x-wax-sha256'), reader: cachedBodyReader(response.body, key) };
    },
    async writer(key, { size, sha256 }) {
      const { readable, writable } = new TransformStream();
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size), 'x-wax-size': String(size) };
      if (sha256) headers['x-wax-sha256'] = sha256;
      const put = Promise.resolve().then(() => store.put(key, new Response(readable, { headers })));
      const out = writable.getWriter();
      const write = trackWrite(key);
      let failure = null;
      put.catch((error) => { failure = error; out.abort(error).catch(() => {}); });
      return {
        async write(chunk) {
          if (failure) throw failure;
          await Promise.race([out.write(chunk), put.then(() => {})]);
          if (failure) throw failure;
        },
        async close() {
          await out.close();
          await put;
          unpublished.delete(write);
          if (write.cleared) await store.delete?.(key);
        },
        abort(reason) {
          unpublished.delete(write);
          out.abort(reason).catch(() => {});
          put.then(() => store.delete?.(key), () => {}).catch(() => {});
        },
      };
    },
    async delete(key) {
      return !!(await store.delete?.(key));
    },
    async has(key) {
      const response = await withMeta(key);
      return response !== null && typeof response !== 'symbol';
    },
    /** A Cache API put of a stream that broke off stores nothing: nothing to sweep. */
    async sweep() {
      return 0;
    },
    /** Deletes every entry under `prefix` (null: all) that the store can list, and `known` keys. Returns how many. */
    async clear(prefix, known = []) {
      markCleared(prefix);
      const listed = typeof store.keys === 'function'
        ? (await store.keys()).map((request) => request.url ?? String(request)).filter((url) => prefix === null || url.startsWith(prefix))
        : [];
      let count = 0;
      for (const key of new Set([...listed, ...known])) if (await store.delete?.(key)) count++;
      return count;
    },
  };
}

// ---- Node: files under cacheDir --------------------------------------------------------------

/** URL → path under cacheDir: <host>/<path>, each segment kept to safe characters. */
async function pathFor(cacheDir, key) {
  const { join } = await import('node:path');
  const url = new URL(key);
  const safe = (part) => part.replace(/[^A-Za-z0-9._=+@-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/^\.+$/, (dots) => '%2e'.repeat(dots.length));
  const parts = url.pathname.split('/').filter(Boolean).map((part) => safe(decodeURIComponent(part)));
  return join(cacheDir, safe(url.host), ...parts);
}

/** The temporary files this process is writing: never swept while their writer runs. */
const writing = new Set();

/** `<path>.<pid>-<thread>.<random>.part`: where a file is written before the rename that publishes it. */
async function tempPath(path) {
  const { threadId } = await import('node:worker_threads');
  return `${path}.${process.pid}-${threadId}.${Math.random().toString(36).slice(2)}.part`;
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM'; // alive, owned by another user
  }
}

/**
 * Whether a `.part` file was abandoned: written by this thread but no longer being written (a
 * failed write), by a process that is gone (killed mid-download), or untouched for ABANDONED_PART_MS
 * (the writer's pid may have been reused, or be another thread's, or another machine's).
 */
async function abandoned(path, modifiedMs) {
  if (writing.has(path)) return false;
  const [, pidText, threadText] = /\.(\d+)(?:-(\d+))?\.[a-z0-9]*\.part$/.exec(path) ?? [];
  const pid = Number(pidText);
  if (pid === process.pid) {
    const { threadId } = await import('node:worker_threads');
    if (threadText === undefined || Number(threadText) === threadId) return true;
  } else if (Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid)) {
    return true;
  }
  return Date.now() - modifiedMs > ABANDONED_PART_MS;
}

function fsCache(cacheDir) {
  const fs = () => import('node:fs/promises');
  /** The entry's metadata; the data file is trusted only when its size matches. */
  const readMeta = async (path) => {
    try {
      return JSON.parse(await (await fs()).readFile(`${path}.wax.json`, 'utf8'));
    } catch {
      return null;
    }
  };
  /** Write to a temporary name, then rename: a reader never sees a half-written file. */
  const atomicWrite = async (path, data) => {
    const { mkdir, rename, rm, writeFile } = await fs();
    const { dirname } = await import('node:path');
    await mkdir(dirname(path), { recursive: true });
    const temp = await tempPath(path);
    writing.add(temp);
    try {
      await writeFile(temp, data);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw error;
    } finally {
      writing.delete(temp);
    }
  };
  const remove = async (path) => {
    const { rm } = await fs();
    await rm(`${path}.wax.json`, { force: true });
    await rm(path, { force: true });
  };
  const open = async (key) => {
    const path = await pathFor(cacheDir, key);
    const meta = await readMeta(path);
    if (!meta) return { path, meta: null };
    if (meta.missing) return { path, meta };
    try {
      const { size } = await (await fs()).stat(path);
      if (size === meta.size) return { path, meta };
    } catch {
      // the data file is gone: a miss
    }
    await remove(path); // truncated or replaced behind our back: never served as complete
    return { path, meta: null };
  };
  const folderOf = async (prefix) => (prefix === null ? cacheDir : pathFor(cacheDir, prefix));

  return {
    async readText(key) {
      const { path, meta } = await open(key);
      if (!meta) return null;
      if (meta.missing) return absence(meta.at);
      return (await fs()).readFile(path, 'utf8');
    },
    async putText(key, value) {
      const path = await pathFor(cacheDir, key);
      await remove(path);
      if (value === MISSING) return atomicWrite(`${path}.wax.json`, JSON.stringify({ missing: true, at: Date.now() }));
      const bytes = new TextEncoder().encode(value);
      await atomicWrite(path, bytes);
      await atomicWrite(`${path}.wax.json`, JSON.stringify({ size: bytes.length }));
    },
    async openFile(key) {
      const { path, meta } = await open(key);
      if (!meta || meta.missing) return null;
      const handle = await (await fs()).open(path, 'r');
      let position = 0;
      const reader = new ChunkReader(async () => {
        const buffer = new Uint8Array(Math.min(FS_CHUNK_BYTES, Math.max(meta.size - position, 0)) || 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        if (bytesRead === 0) {
          await handle.close().catch(() => {});
          return null;
        }
        return buffer.subarray(0, bytesRead);
      }, () => handle.close().catch(() => {}));
      return { size: meta.size, sha256: meta.sha256 ?? null, reader };
    },
    /** Streams into `<path>.<pid>.<random>.part`, renamed into place by close(); abort() removes it. */
    async writer(key, { size, sha256 }) {
      const { mkdir, open: openFile, rename, rm } = await fs();
      const { dirname } = await import('node:path');
      const path = await pathFor(cacheDir, key);
      await mkdir(dirname(path), { recursive: true });
      const temp = await tempPath(path);
      writing.add(temp);
      let handle;
      try {
        handle = await openFile(temp, 'w');
      } catch (error) {
        writing.delete(temp);
        throw error;
      }
      const write = trackWrite(key);
      let finished = false; // closed and renamed, or aborted
      const discard = async () => {
        finished = true;
        unpublished.delete(write);
        await handle.close().catch(() => {});
        await rm(temp, { force: true }).catch(() => {});
        writing.delete(temp);
      };
      return {
        async write(chunk) {
          await handle.write(chunk, 0, chunk.length);
        },
        async close() {
          if (write.cleared) return discard();
          unpublished.delete(write);
          try {
            await handle.close();
            await remove(path);
            await rename(temp, path);
          } catch (error) {
            await discard();
            throw error;
          }
          finished = true;
          writing.delete(temp);
          await atomicWrite(`${path}.wax.json`, JSON.stringify({ size, ...(sha256 ? { sha256 } : {}) }));
        },
        abort() {
          return finished ? undefined : discard();
        },
      };
    },
    async delete(key) {
      const path = await pathFor(cacheDir, key);
      const existed = !!(await readMeta(path));
      await remove(path);
      return existed;
    },
    async has(key) {
      const { meta } = await open(key);
      return !!meta && !meta.missing;
    },
    /** Deletes the entries under `prefix` (null: every entry wax wrote), and abandoned `.part` files. Returns how many entries. */
    async clear(prefix) {
      markCleared(prefix);
      const { readdir } = await fs();
      const { join } = await import('node:path');
      const folder = await folderOf(prefix);
      const names = await readdir(folder, { recursive: true }).catch(() => []);
      const entries = names.filter((name) => name.endsWith('.wax.json'));
      for (const name of entries) await remove(join(folder, name.slice(0, -'.wax.json'.length)));
      await this.sweep(prefix);
      return entries.length;
    },
    async sweep(prefix) {
      const { readdir, rm, stat } = await fs();
      const { join } = await import('node:path');
      const folder = await folderOf(prefix);
      const parts = (await readdir(folder, { recursive: true }).catch(() => [])).filter((name) => name.endsWith('.part'));
      let count = 0;
      for (const name of parts) {
        const path = join(folder, name);
        const info = await stat(path).catch(() => null);
        if (info && await abandoned(path, info.mtimeMs)) {
          await rm(path, { force: true }).catch(() => {});
          count++;
        }
      }
      return count;
    },
  };
}
