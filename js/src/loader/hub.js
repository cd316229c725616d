// Step ①: where a model's files come from. A source is resolved once into one of four kinds,
// each able to read a text file and to open a binary file for header-first reading:
//   hub:    a repo id 'org/name' → env.remoteHost + env.remotePathTemplate ({model}, {revision})
//   url:    the URL of a folder (any static server, or a Hub mirror's resolve/<revision>/ URL)
//   local:  a folder on disk (Node), as given or under env.localModelPath
//   memory: files the user picked: { name: File | Blob | ArrayBuffer | Uint8Array | string },
//           a Map of the same, or an array / FileList of File objects (keyed by file.name)
import { env } from '../env.js';
import { WaxError, throwIfAborted } from '../errors.js';
import { isNode } from '../runtime.js';
import { ChunkReader } from './fetch-to-heap.js';
import { sha256FromEtag } from './sha256.js';

/** Local (disk, ArrayBuffer) reads: large enough to be fast, small enough to keep abort prompt. */
const LOCAL_CHUNK_BYTES = 16 * 1024 ** 2;
/** 'gpt2', 'org/name', 'org/name.v2' — what the Hub accepts as a repo id. */
const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** Whether `text` reads as a Hub repo id rather than a path. */
export function isRepoId(text) {
  return REPO_ID.test(text) && !text.includes('..') && !/\.(json|safetensors)$/.test(text);
}

/** The folder URL of a repo id at a revision, from env.remoteHost and env.remotePathTemplate. */
export function hubFolderUrl(model, revision = 'main') {
  const host = env.remoteHost.endsWith('/') ? env.remoteHost : `${env.remoteHost}/`;
  const path = env.remotePathTemplate
    .replaceAll('{model}', model)
    .replaceAll('{revision}', encodeURIComponent(revision));
  return new URL(path.endsWith('/') ? path : `${path}/`, host);
}

function isMemorySource(source) {
  if (typeof source === 'string' || source instanceof URL) return false;
  return source instanceof Map || Array.isArray(source) || (typeof FileList !== 'undefined' && source instanceof FileList) ||
    (typeof source === 'object' && source !== null);
}

/**
 * Resolves what the user passed to from_pretrained into a source.
 *
 * @param {string | URL | object} source
 * @param {{ revision?: string, signal?: AbortSignal }} [options]
 * @returns {Promise<HubSource | LocalSource | MemorySource>}
 */
export async function resolveSource(source, { revision = 'main', signal } = {}) {
  if (source === null || source === undefined || source === '') {
    throw new WaxError('from_pretrained: expected a repo id, a folder URL, a local path or a map of files, got nothing', { code: 'WAX_BAD_INPUT' });
  }
  if (isMemorySource(source)) return new MemorySource(source);
  const text = String(source);
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (isNode && text.startsWith('file:')) return new LocalSource(decodeURIComponent(new URL(text).pathname));
    return new RemoteSource(new URL(text.endsWith('/') ? text : `${text}/`), text);
  }
  const tried = [];
  if (isNode) {
    const { stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const candidates = [text, ...(env.allowLocalModels && env.localModelPath ? [join(env.localModelPath, text)] : [])];
    for (const path of candidates) {
      tried.push(path);
      if (await stat(path).then((info) => info.isDirectory(), () => false)) return new LocalSource(path);
    }
  } else if (!isRepoId(text)) {
    return new RemoteSource(new URL(text.endsWith('/') ? text : `${text}/`, globalThis.location?.href), text);
  } else if (env.allowLocalModels && env.localModelPath) {
    // As transformers.js: a repo id is looked for on this origin first.
    const base = new URL(`${env.localModelPath.replace(/\/?$/, '/')}${text}/`, globalThis.location?.href);
    tried.push(base.href);
    const probe = await env.fetch(new URL('config.json', base), { signal, method: 'HEAD' }).catch(() => null);
    if (probe?.ok) return new RemoteSource(base, text);
  }
  if (isRepoId(text)) {
    if (env.allowRemoteModels) return new RemoteSource(hubFolderUrl(text, revision), text);
    throw new WaxError(`'${text}': not found locally (${tried.join(', ') || 'local models are off'}) and env.allowRemoteModels is false`, { code: 'WAX_NOT_FOUND' });
  }
  // A path that does not exist: reading its config.json reports the full path.
  return new LocalSource(text);
}

// ---- Remote: the Hub, a mirror or any static server --------------------------------------------

function parseContentRange(value) {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

/** A WaxError for a failed response: the file, the URL, the status and the Hub's own explanation. */
async function httpError(response, url, file) {
  const hubCode = response.headers.get('x-error-code');
  let detail = response.headers.get('x-error-message') ?? '';
  if (!detail) detail = (await response.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ').trim();
  const status = `HTTP ${response.status}${hubCode ? ` ${hubCode}` : ''}${detail ? `: ${detail}` : ''}`;
  if (response.status === 404) {
    return new WaxError(`${file}: not found at ${url} (${status})`, { code: 'WAX_NOT_FOUND' });
  }
  if (response.status === 401 || response.status === 403) {
    return new WaxError(`${file}: access denied at ${url} (${status}). The repository may not exist, or be private or ` +
      'gated: check the id, or send credentials through env.fetch', { code: 'WAX_FETCH_FAILED' });
  }
  return new WaxError(`${file}: ${url} answered ${status}`, { code: 'WAX_FETCH_FAILED' });
}

class RemoteSource {
  /** @param {URL} base folder URL ending in '/' @param {string} name what the user passed */
  constructor(base, name) {
    this.kind = 'remote';
    this.base = base;
    this.name = name;
    this.label = base.href;
  }

  url(file) {
    return new URL(file, this.base);
  }

  cacheKey(file) {
    return this.url(file).href;
  }

  labelFor(file) {
    return this.url(file).href;
  }

  async #request(file, signal, init = {}) {
    throwIfAborted(signal);
    const url = this.url(file);
    try {
      return await env.fetch(url.href, { signal, ...init });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new WaxError(`${file}: request to ${url} failed (${error.cause?.message ?? error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
    }
  }

  /**
   * A byte range of a weights file. Identity encoding: a Range applies to the encoded bytes, and
   * Node's fetch would then decode a gzip slice. Past the browser's HTTP cache: wax keeps these
   * files in its own cache, and Chromium's HTTP cache cuts a body it stores at 2^31 - 1 bytes
   * (a 2.47 GB checkpoint arrived 2 GiB long).
   */
  #requestRange(file, signal, range) {
    return this.#request(file, signal, { headers: { Range: range, 'Accept-Encoding': 'identity' }, cache: 'no-store' });
  }

  /** The text of `file`, or null when `optional` and the server says 404. */
  async readText(file, { signal, optional = false } = {}) {
    const response = await this.#request(file, signal);
    if (response.status === 404 && optional) {
      response.body?.cancel().catch(() => {});
      return null;
    }
    if (!response.ok) throw await httpError(response, this.url(file), file);
    try {
      return await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new WaxError(`${file}: the body from ${this.url(file)} was cut off (${error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
    }
  }

  /**
   * Opens `file` for header-first reading: asks for bytes 0-7 with a Range request. A 206 gives
   * random access (`range` kind); a 200 (the server ignored Range) gives the whole body as a
   * stream (`stream` kind) that the caller keeps reading.
   */
  async openAccess(file, { signal } = {}) {
    const url = this.url(file);
    const response = await this.#requestRange(file, signal, 'bytes=0-7');
    if (!response.ok) throw await httpError(response, url, file);
    const sha256 = sha256FromEtag(response.headers.get('x-linked-etag')) ?? sha256FromEtag(response.headers.get('etag'));
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      const first8 = new Uint8Array(await response.arrayBuffer());
      return {
        kind: 'range', first8, size: range?.total ?? null, sha256,
        readRange: (start, end, rangeSignal) => this.#readRange(file, start, end, rangeSignal),
        openFrom: (start, bodySignal) => this.#openFrom(file, start, range?.total ?? null, bodySignal),
      };
    }
    const encoding = response.headers.get('content-encoding');
    const declared = Number(response.headers.get('content-length'));
    // content-length counts the compressed bytes when the body is encoded: a hint only, then.
    const size = (!encoding || encoding === 'identity') && declared > 0 ? declared : null;
    const reader = ChunkReader.fromStream(response.body);
    return { kind: 'stream', size, sha256, reader, close: () => reader.cancel() };
  }

  async #readRange(file, start, end, signal) {
    const response = await this.#requestRange(file, signal, `bytes=${start}-${end - 1}`);
    if (response.status === 416) return new Uint8Array(0);
    if (!response.ok) throw await httpError(response, this.url(file), file);
    if (response.status === 206) return new Uint8Array(await response.arrayBuffer());
    const reader = ChunkReader.fromStream(response.body);
    await reader.skip(start);
    const bytes = await reader.read(end - start);
    reader.cancel();
    return bytes;
  }

  async #openFrom(file, start, total, signal) {
    if (total !== null && start >= total) return ChunkReader.empty();
    const response = await this.#requestRange(file, signal, `bytes=${start}-`);
    if (response.status === 416) return ChunkReader.empty();
    if (!response.ok) throw await httpError(response, this.url(file), file);
    const reader = ChunkReader.fromStream(response.body);
    const range = response.status === 206 ? parseContentRange(response.headers.get('content-range')) : null;
    if (response.status !== 206) await reader.skip(start); // Range ignored this time: the whole file came
    else if (range && range.start !== start) throw new WaxError(`${file}: ${this.url(file)} sent bytes from ${range.start}, asked for ${start}`, { code: 'WAX_FETCH_FAILED' });
    return reader;
  }
}

// ---- Local folders (Node) ----------------------------------------------------------------------

class LocalSource {
  constructor(folder) {
    this.kind = 'local';
    this.folder = folder;
    this.name = folder;
    this.label = folder;
  }

  cacheKey() {
    return null;
  }

  labelFor(file) {
    return `${this.folder.replace(/\/$/, '')}/${file}`;
  }

  async #path(file) {
    return (await import('node:path')).join(this.folder, file);
  }

  async readText(file, { signal, optional = false } = {}) {
    throwIfAborted(signal);
    const { readFile } = await import('node:fs/promises');
    const path = await this.#path(file);
    try {
      return await readFile(path, { encoding: 'utf8', signal });
    } catch (error) {
      if (error.code === 'ENOENT') {
        if (optional) return null;
        throw new WaxError(`${path}: file not found`, { code: 'WAX_NOT_FOUND', cause: error });
      }
      throw error.name === 'AbortError' ? signal.reason ?? error : error;
    }
  }

  async openAccess(file) {
    const { open } = await import('node:fs/promises');
    const path = await this.#path(file);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw error.code === 'ENOENT' ? new WaxError(`${path}: file not found`, { code: 'WAX_NOT_FOUND', cause: error }) : error;
    }
    const { size } = await handle.stat();
    let closed = false;
    const close = () => {
      if (!closed) handle.close().catch(() => {});
      closed = true;
    };
    const readAt = async (position, length) => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    return {
      kind: 'range', size, sha256: null, close,
      readRange: (start, end) => readAt(start, Math.max(0, Math.min(end, size) - start)),
      openFrom: async (start) => {
        let position = start;
        return new ChunkReader(async () => {
          if (position >= size) {
            close();
            return null;
          }
          const bytes = await readAt(position, Math.min(LOCAL_CHUNK_BYTES, size - position));
          if (bytes.length === 0) return null; // the file shrank: the size check reports it
          position += bytes.length;
          return bytes;
        }, close);
      },
    };
  }
}

// ---- Files the user picked (File, Blob, ArrayBuffer) -------------------------------------------

class MemorySource {
  constructor(files) {
    this.kind = 'memory';
    const entries = files instanceof Map ? [...files]
      : Array.isArray(files) || (typeof FileList !== 'undefined' && files instanceof FileList)
        ? Array.from(files, (file) => [file.name, file])
        : Object.entries(files);
    this.files = new Map(entries.map(([name, value]) => [String(name).split('/').pop(), value]));
    this.name = this.label = `[${[...this.files.keys()].join(', ')}]`;
  }

  cacheKey() {
    return null;
  }

  labelFor(file) {
    return file;
  }

  #get(file, optional) {
    const value = this.files.get(file);
    if (value === undefined && !optional) {
      throw new WaxError(`${file}: not among the files given (${[...this.files.keys()].join(', ') || 'none'})`, { code: 'WAX_NOT_FOUND' });
    }
    return value;
  }

  async readText(file, { signal, optional = false } = {}) {
    throwIfAborted(signal);
    const value = this.#get(file, optional);
    if (value === undefined) return null;
    if (typeof value === 'string') return value;
    if (typeof Blob !== 'undefined' && value instanceof Blob) return value.text();
    return new TextDecoder().decode(toBytes(value, file));
  }

  async openAccess(file) {
    const value = this.#get(file, false);
    if (typeof Blob !== 'undefined' && value instanceof Blob) {
      return {
        kind: 'range', size: value.size, sha256: null,
        readRange: async (start, end) => new Uint8Array(await value.slice(start, end).arrayBuffer()),
        openFrom: async (start) => ChunkReader.fromStream(value.slice(start).stream()),
      };
    }
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : toBytes(value, file);
    return {
      kind: 'range', size: bytes.length, sha256: null,
      readRange: async (start, end) => bytes.slice(start, end),
      openFrom: async (start) => {
        let position = start;
        return new ChunkReader(async () => {
          if (position >= bytes.length) return null;
          const chunk = bytes.subarray(position, position + LOCAL_CHUNK_BYTES);
          position += chunk.length;
          return chunk;
        });
      },
    };
  }
}

function toBytes(value, file) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new WaxError(`${file}: expected a File, Blob, ArrayBuffer, typed array or string, got ${Object.prototype.toString.call(value)}`, { code: 'WAX_BAD_INPUT' });
}
