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
import { watchStalls } from './stall.js';

/** Local (disk, ArrayBuffer) reads: large enough to be fast, small enough to keep abort prompt. */
const LOCAL_CHUNK_BYTES = 16 * 1024 ** 2;
/** 'gpt2', 'org/name', 'org/name.v2' — what the Hub accepts as a repo id. */
const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
/** Where transformers.js's ONNX exports (Xenova/*, onnx-community/*) keep their weights. */
const ONNX_FILES = ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'model.onnx'];

/** Whether `text` reads as a Hub repo id rather than a path. */
export function isRepoId(text) {
  return REPO_ID.test(text) && !text.includes('..') && !/\.(json|safetensors)$/.test(text);
}

/** The folder URL of a repo id at a revision, from env.remoteHost and env.remotePathTemplate. */
export function hubFolderUrl(model, revision = 'main') {
  try {
    const host = env.remoteHost.endsWith('/') ? env.remoteHost : `${env.remoteHost}/`;
    const path = env.remotePathTemplate
      .replaceAll('{model}', model)
      .replaceAll('{revision}', encodeURIComponent(revision));
    return new URL(path.endsWith('/') ? path : `${path}/`, host);
  } catch (error) {
    throw new WaxError(`env.remoteHost ${JSON.stringify(env.remoteHost)} with env.remotePathTemplate ${JSON.stringify(env.remotePathTemplate)} ` +
      `is not a URL (${error.message}); expected e.g. 'https://huggingface.co/' and '{model}/resolve/{revision}/'`, { code: 'WAX_BAD_INPUT', cause: error });
  }
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
 * @param {{ revision?: string, signal?: AbortSignal, local_files_only?: boolean }} [options]
 *   local_files_only: repo ids and URLs are read from the cache only, never the network (as
 *   env.allowRemoteModels = false does for repo ids)
 * @returns {Promise<RemoteSource | LocalSource | MemorySource>}
 */
export async function resolveSource(source, { revision = 'main', signal, local_files_only = false } = {}) {
  if (source === null || source === undefined || source === '') {
    throw new WaxError('from_pretrained: expected a repo id, a folder URL, a local path or a map of files, got nothing', { code: 'WAX_BAD_INPUT' });
  }
  if (isMemorySource(source)) return new MemorySource(source);
  const text = String(source);
  const offline = local_files_only ? 'local_files_only is true' : null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (isNode && text.startsWith('file:')) return resolveNodePath(decodeURIComponent(new URL(text).pathname), revision, offline);
    return new RemoteSource(new URL(text.endsWith('/') ? text : `${text}/`), text, { offline });
  }
  if (isNode) return resolveNodePath(text, revision, offline);
  if (!isRepoId(text)) return new RemoteSource(new URL(text.endsWith('/') ? text : `${text}/`, globalThis.location?.href), text, { offline });
  if (env.allowLocalModels && env.localModelPath) {
    // As transformers.js: a repo id is looked for on this origin first.
    const base = new URL(`${env.localModelPath.replace(/\/?$/, '/')}${text}/`, globalThis.location?.href);
    const probe = await env.fetch(new URL('config.json', base), { signal, method: 'HEAD' }).catch(() => null);
    if (probe?.ok) return new RemoteSource(base, text);
  }
  return hubSource(text, revision, offline, null);
}

function hubSource(text, revision, offline, notLocal) {
  const reason = offline ?? (env.allowRemoteModels ? null : 'env.allowRemoteModels is false');
  return new RemoteSource(hubFolderUrl(text, revision), text, { offline: reason, notLocal });
}

/**
 * Node: `text` as a folder on disk (as given, then under env.localModelPath); else, when it reads as
 * a repo id, the Hub, whose failure then also says which folders were looked at.
 */
async function resolveNodePath(text, revision, offline) {
  const { stat } = await import('node:fs/promises');
  const { dirname, isAbsolute, join } = await import('node:path');
  const tried = [text];
  if (env.allowLocalModels && env.localModelPath && !isAbsolute(text)) tried.push(join(env.localModelPath, text));
  for (const path of tried) {
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) return new LocalSource(path);
    if (info) {
      throw new WaxError(`'${path}' is a file, but a folder was expected: the one holding config.json (or tokenizer.json) and the ` +
        `weights, such as '${dirname(path)}'`, { code: 'WAX_BAD_INPUT' });
    }
  }
  const notLocal = await noFolderHere(text, tried);
  return isRepoId(text) ? hubSource(text, revision, offline, notLocal) : new LocalSource(text, { notLocal });
}

/** "no folder 'x' here (cwd …; looked at …)", with the folder the user probably meant when only the case differs. */
async function noFolderHere(text, tried) {
  const { readdir } = await import('node:fs/promises');
  const { basename, dirname, join, resolve } = await import('node:path');
  let hint = '';
  for (const path of tried) {
    const name = basename(path);
    const near = (await readdir(dirname(resolve(path))).catch(() => [])).find((other) => other !== name && other.toLowerCase() === name.toLowerCase());
    if (near) {
      hint = `; did you mean '${join(dirname(path), near)}'?`;
      break;
    }
  }
  return `no folder '${text}' here (cwd ${process.cwd()}; looked at ${[...new Set(tried.map((path) => resolve(path)))].join(', ')}${hint})`;
}

/**
 * The repo's original model, when the README's front matter names it (`base_model: org/name`, or
 * the first of a list): where ONNX exports point to their source.
 */
function baseModelOf(readme) {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme ?? '')?.[1] ?? '';
  return /^base_model:[ \t]*(?:\r?\n[ \t]*-[ \t]*)?['"]?([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)/m.exec(front)?.[1] ?? null;
}

/**
 * The error for a source without safetensors weights: an ONNX export (transformers.js's kind)
 * is named as such, with where its safetensors usually live.
 */
export async function noWeightsError(source, signal, tried) {
  let onnx = null;
  for (const file of ONNX_FILES) {
    if (await source.has(file, signal).catch(() => false)) {
      onnx = file;
      break;
    }
  }
  if (!onnx) return new WaxError(`${source.label}: neither ${tried.join(' nor ')} was found (${source.labelFor(tried[0])})`, { code: 'WAX_NOT_FOUND' });
  const base = baseModelOf(await source.readText('README.md', { signal, optional: true }).catch(() => null));
  return new WaxError(`${source.label}: ${source.labelFor(onnx)} is there, but neither ${tried.join(' nor ')}: this is an ONNX export, ` +
    'as transformers.js\'s Xenova/* and onnx-community/* repos are. wax reads safetensors: load the original model\'s repo instead' +
    (base ? `, '${base}' (the README's base_model)` : ' (the model card usually names it as base_model), which holds model.safetensors'),
  { code: 'WAX_UNSUPPORTED' });
}

// ---- Remote: the Hub, a mirror or any static server --------------------------------------------

function parseContentRange(value) {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

/** Body chunks read under the stall watch: a server that stops sending fails the read. */
const bodyReader = (response, watch) => ChunkReader.fromStream(response.body, (read) => watch.within(read, 'the body'));

/**
 * A whole (small) body under the stall watch. A body cut short (a connection closed before its
 * Content-Length, which fetch reports as `TypeError: terminated`) is a WAX_FETCH_FAILED naming `what`.
 */
async function readBody(response, watch, what, signal) {
  if (!response.body) return new Uint8Array(0);
  const reader = bodyReader(response, watch);
  const parts = [];
  let length = 0;
  try {
    for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) {
      parts.push(chunk.slice()); // a chunk lives until the next read
      length += chunk.length;
    }
  } catch (error) {
    reader.cancel(error);
    if (signal?.aborted) throw signal.reason;
    if (error instanceof WaxError) throw error;
    const announced = response.headers.get('content-length');
    throw new WaxError(`${what}: the body was cut off after ${length}${announced ? ` of the ${announced} bytes its Content-Length announced` : ' bytes'} ` +
      `(${error.cause?.message ?? error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** A WaxError for a failed response: the file, the URL, the status and the Hub's own explanation. */
async function httpError(response, watch, url, file) {
  const hubCode = response.headers.get('x-error-code');
  let detail = response.headers.get('x-error-message') ?? '';
  if (!detail) {
    const body = await readBody(response, watch, file).catch(() => new Uint8Array(0));
    detail = new TextDecoder().decode(body).slice(0, 300).replace(/\s+/g, ' ').trim();
  }
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
  #answered = false;
  /**
   * @param {URL} base folder URL ending in '/' @param {string} name what the user passed
   * @param {{ offline?: string | null, notLocal?: string | null }} [options] offline: why the network
   *   is not to be used (only the cache serves); notLocal: which local folders were looked at first
   *   (Node), said when the first request fails
   */
  constructor(base, name, { offline = null, notLocal = null } = {}) {
    this.kind = 'remote';
    this.base = base;
    this.name = name;
    this.label = base.href;
    this.offline = offline;
    this.notLocal = notLocal;
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

  /** One request, its headers awaited under the stall watch: { response, watch } (the watch reads the body). */
  async #request(file, signal, init = {}) {
    throwIfAborted(signal);
    const url = this.url(file);
    if (this.offline) throw new WaxError(`${file}: not in the cache, and ${this.offline}: ${url} was not asked`, { code: 'WAX_NOT_FOUND' });
    const watch = watchStalls(`${file} from ${url}`, signal);
    let response;
    try {
      response = await watch.within(env.fetch(url.href, { ...init, signal: watch.signal }), 'the response');
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof WaxError) throw error;
      throw new WaxError(`${file}: request to ${url} failed (${error.cause?.message ?? error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
    }
    if (response.ok) this.#answered = true;
    return { response, watch };
  }

  /**
   * A failure before the server ever answered, for a name that was also looked for as a local
   * folder (Node): says both, as the user may have meant either.
   */
  #explain(error) {
    const fromServer = error?.code === 'WAX_FETCH_FAILED' || error?.code === 'WAX_NOT_FOUND';
    if (this.#answered || !this.notLocal || !fromServer) return error;
    return new WaxError(`${this.notLocal}; as a Hub repo id it failed because: ${error.message}`, { code: 'WAX_NOT_FOUND', cause: error });
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
    try {
      const { response, watch } = await this.#request(file, signal);
      if (response.status === 404 && optional) {
        response.body?.cancel().catch(() => {});
        return null;
      }
      if (!response.ok) throw await httpError(response, watch, this.url(file), file);
      return new TextDecoder().decode(await readBody(response, watch, `${file} from ${this.url(file)}`, signal));
    } catch (error) {
      throw this.#explain(error);
    }
  }

  /** Whether the server has `file` (a HEAD request). */
  async has(file, signal) {
    if (this.offline) return false;
    const { response } = await this.#request(file, signal, { method: 'HEAD' });
    response.body?.cancel().catch(() => {});
    return response.ok;
  }

  /**
   * Opens `file` for header-first reading: asks for bytes 0-7 with a Range request. A 206 gives
   * random access (`range` kind); a 200 (the server ignored Range) gives the whole body as a
   * stream (`stream` kind) that the caller keeps reading.
   */
  async openAccess(file, { signal } = {}) {
    const url = this.url(file);
    try {
      const { response, watch } = await this.#requestRange(file, signal, 'bytes=0-7');
      if (!response.ok) throw await httpError(response, watch, url, file);
      const sha256 = sha256FromEtag(response.headers.get('x-linked-etag')) ?? sha256FromEtag(response.headers.get('etag'));
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        const first8 = await readBody(response, watch, `${file} from ${url}`, signal);
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
      const reader = bodyReader(response, watch);
      return { kind: 'stream', size, sha256, reader, close: () => reader.cancel() };
    } catch (error) {
      throw this.#explain(error);
    }
  }

  async #readRange(file, start, end, signal) {
    const { response, watch } = await this.#requestRange(file, signal, `bytes=${start}-${end - 1}`);
    if (response.status === 416) return new Uint8Array(0);
    if (!response.ok) throw await httpError(response, watch, this.url(file), file);
    if (response.status === 206) return readBody(response, watch, `${file} from ${this.url(file)}`, signal);
    const reader = bodyReader(response, watch);
    await reader.skip(start);
    const bytes = await reader.read(end - start);
    reader.cancel();
    return bytes;
  }

  async #openFrom(file, start, total, signal) {
    if (total !== null && start >= total) return ChunkReader.empty();
    const { response, watch } = await this.#requestRange(file, signal, `bytes=${start}-`);
    if (response.status === 416) return ChunkReader.empty();
    if (!response.ok) throw await httpError(response, watch, this.url(file), file);
    const reader = bodyReader(response, watch);
    const range = response.status === 206 ? parseContentRange(response.headers.get('content-range')) : null;
    if (response.status !== 206) await reader.skip(start); // Range ignored this time: the whole file came
    else if (range && range.start !== start) {
      reader.cancel();
      throw new WaxError(`${file}: ${this.url(file)} sent bytes from ${range.start}, asked for ${start}`, { code: 'WAX_FETCH_FAILED' });
    }
    return reader;
  }
}

// ---- Local folders (Node) ----------------------------------------------------------------------

class LocalSource {
  /** @param {string} folder @param {{ notLocal?: string | null }} [options] notLocal: set when the folder does not exist */
  constructor(folder, { notLocal = null } = {}) {
    this.kind = 'local';
    this.folder = folder;
    this.name = folder;
    this.label = folder;
    this.notLocal = notLocal;
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

  /**
   * A file that could not be opened: null when `optional` and absent from a folder that exists;
   * otherwise the WaxError to throw (a missing folder is said even for an optional file).
   */
  #openFailed(path, error, optional) {
    if (this.notLocal) return new WaxError(`${path}: not found: ${this.notLocal}`, { code: 'WAX_NOT_FOUND', cause: error });
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      return optional ? null : new WaxError(`${path}: file not found`, { code: 'WAX_NOT_FOUND', cause: error });
    }
    return new WaxError(`${path}: could not be read (${error.code ?? error.name}: ${error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
  }

  async readText(file, { signal, optional = false } = {}) {
    throwIfAborted(signal);
    const { readFile } = await import('node:fs/promises');
    const path = await this.#path(file);
    try {
      return await readFile(path, { encoding: 'utf8', signal });
    } catch (error) {
      if (error.name === 'AbortError') throw signal?.reason ?? error;
      const failure = this.#openFailed(path, error, optional);
      if (failure) throw failure;
      return null;
    }
  }

  async has(file) {
    const { stat } = await import('node:fs/promises');
    return !!(await stat(await this.#path(file)).catch(() => null))?.isFile();
  }

  async openAccess(file) {
    const { open } = await import('node:fs/promises');
    const path = await this.#path(file);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw this.#openFailed(path, error, false);
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

  /** Files are keyed by their names without folders ('onnx/model.onnx' is 'model.onnx'). */
  async has(file) {
    return this.files.has(file.split('/').pop());
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
