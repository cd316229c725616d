// Where a model's files come from: a local folder (Node) or a folder URL (fetch). Each file is
// read straight into one block of the wasm heap, chunk by chunk, never held whole in a JS buffer.
import { env } from '../env.js';
import { WaxError, throwIfAborted } from '../errors.js';
import { isNode } from '../runtime.js';

/** Chunk size for local reads: large enough to be fast, small enough to keep abort prompt. */
const LOCAL_CHUNK_BYTES = 16 * 1024 ** 2;
/** First guess when a server does not say how long a body is; the block doubles as needed. */
const UNKNOWN_LENGTH_GUESS_BYTES = 64 * 1024 ** 2;

/**
 * @param {string | URL} source a local folder path (Node) or the URL of a folder
 * @returns {{ label: string, readText(file: string, options?: { signal?: AbortSignal, optional?: boolean }): Promise<string | null>,
 *            readIntoHeap(runtime: object, file: string, options?: { signal?: AbortSignal, onProgress?: (loaded: number, total: number) => void }): Promise<{ ptr: number, size: number }> }}
 */
export function openSource(source) {
  const text = String(source);
  if (isNode && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return localFolder(text);
  if (isNode && text.startsWith('file://')) return localFolder(new URL(text).pathname);
  const base = new URL(text.endsWith('/') ? text : `${text}/`, globalThis.location?.href);
  return remoteFolder(base);
}

function localFolder(folder) {
  const pathOf = async (file) => (await import('node:path')).join(folder, file);
  const notFound = (path, cause) => new WaxError(`${path}: file not found`, { code: 'WAX_NOT_FOUND', cause });
  return {
    label: folder,
    async readText(file, { signal, optional = false } = {}) {
      throwIfAborted(signal);
      const { readFile } = await import('node:fs/promises');
      const path = await pathOf(file);
      try {
        return await readFile(path, { encoding: 'utf8', signal });
      } catch (error) {
        if (error.code === 'ENOENT') {
          if (optional) return null;
          throw notFound(path, error);
        }
        throw error.name === 'AbortError' ? signal.reason ?? error : error;
      }
    },
    async readIntoHeap(runtime, file, { signal, onProgress } = {}) {
      const { open } = await import('node:fs/promises');
      const path = await pathOf(file);
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        throw error.code === 'ENOENT' ? notFound(path, error) : error;
      }
      let ptr = 0;
      try {
        const { size } = await handle.stat();
        ptr = runtime.malloc(size, path);
        for (let loaded = 0; loaded < size;) {
          throwIfAborted(signal);
          const length = Math.min(LOCAL_CHUNK_BYTES, size - loaded);
          const { bytesRead } = await handle.read(runtime.heapU8, ptr + loaded, length, loaded);
          if (bytesRead === 0) throw new WaxError(`${path}: file shrank while reading (${loaded} of ${size} bytes)`, { code: 'WAX_FETCH_FAILED' });
          loaded += bytesRead;
          onProgress?.(loaded, size);
        }
        return { ptr, size };
      } catch (error) {
        runtime.free(ptr);
        throw error;
      } finally {
        await handle.close();
      }
    },
  };
}

async function fetchOk(url, signal, optional) {
  throwIfAborted(signal);
  let response;
  try {
    response = await env.fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new WaxError(`${url}: request failed (${error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
  }
  if (response.ok) return response;
  if (optional && response.status === 404) return null;
  throw new WaxError(`${url}: HTTP ${response.status} ${response.statusText}`.trim(), {
    code: response.status === 404 ? 'WAX_NOT_FOUND' : 'WAX_FETCH_FAILED',
  });
}

function remoteFolder(base) {
  return {
    label: base.href,
    async readText(file, { signal, optional = false } = {}) {
      const response = await fetchOk(new URL(file, base), signal, optional);
      return response && response.text();
    },
    async readIntoHeap(runtime, file, { signal, onProgress } = {}) {
      const url = new URL(file, base);
      const response = await fetchOk(url, signal, false);
      // content-length is the compressed size when the body is encoded: then it is only a hint.
      const declared = Number(response.headers.get('content-length')) || 0;
      const encoding = response.headers.get('content-encoding');
      const exact = declared > 0 && (!encoding || encoding === 'identity');
      let capacity = exact ? declared : Math.max(declared, UNKNOWN_LENGTH_GUESS_BYTES);
      let ptr = runtime.malloc(capacity, url.href);
      let loaded = 0;
      const reader = response.body.getReader();
      try {
        for (;;) {
          throwIfAborted(signal);
          const { done, value } = await reader.read();
          if (done) break;
          if (loaded + value.length > capacity) {
            capacity = Math.max(capacity * 2, loaded + value.length);
            ptr = runtime.realloc(ptr, capacity, url.href);
          }
          runtime.heapU8.set(value, ptr + loaded);
          loaded += value.length;
          onProgress?.(loaded, exact ? declared : 0);
        }
        if (exact && loaded !== declared) {
          throw new WaxError(`${url}: body ended after ${loaded} of ${declared} bytes (connection cut?)`, { code: 'WAX_FETCH_FAILED' });
        }
        return { ptr, size: loaded };
      } catch (error) {
        runtime.free(ptr);
        reader.cancel().catch(() => {});
        throw signal?.aborted ? signal.reason : error;
      }
    },
  };
}
