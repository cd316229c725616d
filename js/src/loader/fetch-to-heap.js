// Step ② of the data path: a safetensors file into ONE block of the wasm heap, one copy.
//
//   header first: bytes [0, 8) give the JSON length N (an HTTP Range request where the server
//   honours it), then [8, 8 + N) the JSON; from it the exact file size, before any weight byte.
//   body next:    one malloc(size) at the block's final place; every network (or cache, or disk)
//   chunk is copied straight into it (HEAPU8.set), never gathered in a JS ArrayBuffer first.
//
// The C++ side (wax_weights_add_file → src/io/safetensors.cpp) validates the whole file again.
import { WaxError, throwIfAborted } from '../errors.js';
import { formatBytes, getRuntime } from '../runtime.js';
import { createSha256 } from './sha256.js';

/** src/io/safetensors.h refuses headers above 100 MB (as the reference implementation): such a header is not read. */
const MAX_HEADER_BYTES = 100 * 1024 ** 2;
/** The reused buffer a byte stream is read into. */
const BYOB_CHUNK_BYTES = 1024 ** 2;
/** Bytes copied from the heap per cache write: bounds the memory a slow cache can hold. */
const CACHE_CHUNK_BYTES = 4 * 1024 ** 2;

/**
 * Reads a stream chunk by chunk, keeping what a fixed-size read overshoots for the next read.
 * `pull` resolves to the next Uint8Array, or null at the end.
 */
export class ChunkReader {
  #pull;
  #cancel;
  #pending = null;
  constructor(pull, cancel = () => {}) {
    this.#pull = pull;
    this.#cancel = cancel;
  }

  /**
   * Over a WHATWG ReadableStream (fetch bodies, Blob.stream(), Cache API responses). Byte streams
   * are read with a BYOB reader into one reused buffer, so a download leaves no trail of chunk
   * garbage behind it (in Chromium that trail reached a third of the file before GC ran).
   * A chunk is valid until the next read. `guard(read)` wraps each pending read (hub.js: the stall
   * timeout). `byob: false` takes the default reader even for a byte stream (cache.js).
   */
  static fromStream(stream, guard = (read) => read, { byob = true } = {}) {
    let reader = null;
    try {
      if (byob) reader = stream.getReader({ mode: 'byob' });
    } catch {
      // not a byte stream: the default reader
    }
    if (!reader) {
      const plain = stream.getReader();
      return new ChunkReader(async () => {
        const { done, value } = await guard(plain.read());
        return done ? null : value;
      }, (reason) => plain.cancel(reason).catch(() => {}));
    }
    let buffer = new ArrayBuffer(BYOB_CHUNK_BYTES);
    return new ChunkReader(async () => {
      const { done, value } = await guard(reader.read(new Uint8Array(buffer, 0, BYOB_CHUNK_BYTES)));
      if (done) return null;
      buffer = value.buffer; // the read transferred it; it comes back with the bytes
      return value;
    }, (reason) => reader.cancel(reason).catch(() => {}));
  }

  static empty() {
    return new ChunkReader(async () => null);
  }

  async next() {
    if (this.#pending) {
      const chunk = this.#pending;
      this.#pending = null;
      return chunk;
    }
    for (;;) {
      const chunk = await this.#pull();
      if (chunk === null || chunk.length > 0) return chunk;
    }
  }

  /** Exactly `n` bytes (a fresh array), or fewer when the stream ends first. */
  async read(n) {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = await this.next();
      if (chunk === null) return out.subarray(0, filled);
      const take = Math.min(n - filled, chunk.length);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take < chunk.length) this.#pending = chunk.subarray(take);
    }
    return out;
  }

  /** Drops `n` bytes (a server that ignored `Range: bytes=n-`). Returns how many were dropped. */
  async skip(n) {
    let skipped = 0;
    while (skipped < n) {
      const chunk = await this.next();
      if (chunk === null) break;
      const take = Math.min(n - skipped, chunk.length);
      skipped += take;
      if (take < chunk.length) this.#pending = chunk.subarray(take);
    }
    return skipped;
  }

  cancel(reason) {
    this.#pending = null;
    return this.#cancel(reason);
  }
}

/**
 * The header length that the first 8 bytes give, or 0 when there is nothing to read: fewer than 8
 * bytes, or past the cap (the module refuses both, wax_safetensors_header, unread).
 */
function headerBytesToRead(first8) {
  if (first8.length < 8) return 0;
  const length = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  return length > MAX_HEADER_BYTES ? 0 : length;
}

/**
 * The module's checked table of a safetensors header (src/api.h safetensors_header_table): `prefix` is
 * the file's first bytes (the 8-byte length and as much of the header as arrived), `fileSize` its
 * size when known (null: a tensor's end is not checked against it). A bad header is the module's
 * WAX_BAD_SAFETENSORS WaxError naming `label`.
 * @returns {{ data_bytes: number, tensors: Record<string, { dtype: string, shape: number[], data_offsets: [number, number] }> }}
 */
export function readHeader(runtime, label, prefix, fileSize = null) {
  let namePtr = 0, prefixPtr = 0, tablePtr = 0;
  try {
    namePtr = runtime.copyString(label, 'a file name');
    prefixPtr = runtime.copyIn(prefix, `${label} header`);
    tablePtr = runtime.call('wax_safetensors_header', namePtr, prefixPtr, prefix.length, fileSize ?? -1) >>> 0;
    return JSON.parse(runtime.readString(tablePtr));
  } finally {
    runtime.free(namePtr);
    runtime.free(prefixPtr);
    runtime.free(tablePtr);
  }
}

/**
 * Reads a safetensors file's header from a file access (see hub.js: `range` or `stream` kind);
 * the module checks it (readHeader).
 * @returns {Promise<{ label: string, prefix: Uint8Array, header: ReturnType<typeof readHeader>, size: number, sha256: string | null,
 *   openBody(signal?: AbortSignal): Promise<ChunkReader>, close(): void }>}
 *   prefix: the file's first 8 + N bytes; size: the bytes the file must have (header-implied,
 *   or larger when the server says so: safetensors allows trailing bytes).
 */
export async function openSafetensors(access, label, signal) {
  try {
    return await readHeaderFirst(await getRuntime(), access, label, signal);
  } catch (error) {
    access.close?.();
    if (signal?.aborted) throw signal.reason;
    if (error instanceof WaxError) throw error;
    throw new WaxError(`${label}: reading the header failed (${error.cause?.message ?? error.message})`,
      { code: access.fromCache ? 'WAX_BAD_CACHE' : 'WAX_FETCH_FAILED', cause: error });
  }
}

async function readHeaderFirst(runtime, access, label, signal) {
  let first8, headerBytes, openBody;
  if (access.kind === 'range') {
    first8 = access.first8 ?? await access.readRange(0, 8, signal);
    const n = headerBytesToRead(first8);
    headerBytes = n ? await access.readRange(8, 8 + n, signal) : new Uint8Array(0);
    openBody = (bodySignal) => access.openFrom(8 + n, bodySignal);
  } else {
    const reader = access.reader;
    first8 = await reader.read(8);
    headerBytes = await reader.read(headerBytesToRead(first8));
    openBody = async () => reader;
  }
  throwIfAborted(signal);
  const prefix = new Uint8Array(first8.length + headerBytes.length);
  prefix.set(first8);
  prefix.set(headerBytes, first8.length);
  const header = readHeader(runtime, label, prefix);
  const implied = prefix.length + header.data_bytes;
  return {
    label,
    prefix,
    header,
    // A file shorter than its header says is refused when its body is asked for (streamIntoHeap),
    // not here: preflight still answers from the header alone.
    size: Math.max(implied, access.size ?? 0),
    declaredSize: access.size ?? null,
    sha256: access.sha256 ?? null,
    fromCache: !!access.fromCache,
    openBody,
    close: () => access.close?.(),
  };
}

/**
 * Copies a cache writer's data out of the heap as it fills, CACHE_CHUNK_BYTES at a time, so a
 * slow cache never makes the loader hold more than one chunk. `state` is { loaded, done };
 * `sink.read(from, to)` copies what the sink still holds of [from, to). `reached(offset)`
 * resolves once the cache has everything before `offset` (or caching stopped): a sink that
 * reuses its buffer waits for it. Failures (quota) end caching with one warning, never the load.
 */
function startCachePump(state, sink, writer, label) {
  let wake = null;
  let stopped = false;
  let aborted = null; // the writer's abort, once: a load that failed, or a cache write that did
  let written = 0;
  let waiters = [];
  const settleWaiters = () => {
    waiters = waiters.filter(({ offset, resolve }) => (stopped || written >= offset ? (resolve(), false) : true));
  };
  const waitForData = () => new Promise((resolve) => { wake = resolve; });
  const run = (async () => {
    try {
      for (;;) {
        while (!stopped && written >= state.loaded && !state.done) await waitForData();
        if (stopped) return;
        if (written >= state.loaded && state.done) break;
        const chunk = sink.read(written, Math.min(state.loaded, written + CACHE_CHUNK_BYTES)); // synchronously after the stop check
        if (chunk.length === 0) { // a run sink between runs: the next one is not filled yet
          if (state.done) break; // or bytes past the file's announced end, which it drops
          await waitForData();
          continue;
        }
        await writer.write(chunk);
        written += chunk.length;
        settleWaiters();
      }
      await writer.close();
    } catch (error) {
      if (!aborted) { // not the load's own failure (stop() closed the writer under a write)
        aborted = writer.abort(error);
        console.warn(`wax: could not cache ${label} (${error?.name ?? 'Error'}: ${error?.message ?? error}); loading without the cache`);
      }
      stopped = true;
    } finally {
      stopped = true;
      settleWaiters();
    }
  })();
  return {
    notify() {
      wake?.();
      wake = null;
    },
    reached(offset) {
      return new Promise((resolve) => {
        waiters.push({ offset, resolve });
        settleWaiters();
      });
    },
    /** Ends caching for a failed load: the writer is aborted (its temporary file removed) when this resolves. */
    stop() {
      if (!stopped && !aborted) aborted = writer.abort(new Error('load failed'));
      stopped = true;
      wake?.();
      settleWaiters();
      return aborted;
    },
    finished: run,
  };
}

/**
 * Where the default sink puts tensor data: on a cache line, so that the kernels' 16-byte loads of
 * weights never straddle two (malloc gives 8-byte alignment; a decode step in wasm ran about 4%
 * slower when the data section started 8 bytes before a line).
 */
const DATA_ALIGNMENT = 64;

/**
 * The default sink: the whole file in one heap block, handed to C++ after, placed `offset` bytes
 * into the block so that its data section (after the 8-byte length and the header) starts on a
 * cache line. Returns { ptr, offset, size }; the caller owns ptr, the block (free it, or hand it
 * to wax_weights_add_file).
 */
export function wholeFileSink(runtime, opened) {
  let capacity = opened.size + DATA_ALIGNMENT;
  let ptr = runtime.malloc(capacity, opened.label);
  const offset = (DATA_ALIGNMENT - ((ptr + opened.prefix.length) % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
  return {
    async write(chunk, at) {
      if (offset + at + chunk.length > capacity) {
        // More bytes than the header and the server announced: keep them (the C++ parser decides).
        capacity = Math.max(capacity * 1.25, offset + at + chunk.length);
        ptr = runtime.realloc(ptr, capacity, opened.label);
      }
      runtime.heapU8.set(chunk, ptr + offset + at);
    },
    read: (from, to) => runtime.heapU8.slice(ptr + offset + from, ptr + offset + to),
    async finish(size) {
      return { ptr, offset, size };
    },
    free: () => runtime.free(ptr),
  };
}

/** Tensors are handed to C++ in runs of about this many bytes (a larger tensor is a run of its own). */
export const RUN_BYTES = 16 * 1024 ** 2;

/**
 * A sink for loads that convert weights (dtype q8/q4): the data section goes through one reused
 * heap buffer in runs of whole tensors, each handed to `addRun(ptr, dataBegin, size)` (C++
 * quantizes or copies it) before the next overwrites it, so the heap never holds the file.
 * `begin(prefix)` gets the 8-byte length and the header first. Returns nothing to own.
 * `runBytes`: the tests make runs small.
 */
export function tensorRunSink(runtime, opened, { begin, addRun, runBytes = RUN_BYTES }) {
  const headBytes = opened.prefix.length;
  const starts = Object.values(opened.header.tensors).map((spec) => spec.data_offsets[0]).sort((a, b) => a - b);
  const runs = []; // file offsets [start, end): contiguous, padding included, the last to the file's end
  for (const start of starts) {
    if (runs.length === 0 || headBytes + start - runs.at(-1).start >= runBytes) runs.push({ start: headBytes + start });
  }
  if (runs.length === 0) runs.push({ start: headBytes });
  runs[0].start = headBytes;
  runs.forEach((run, i) => { run.end = i + 1 < runs.length ? runs[i + 1].start : opened.size; });
  let ptr = runtime.malloc(Math.max(...runs.map((run) => run.end - run.start)), `${opened.label} (a run of tensors)`);
  let current = 0, began = false;
  let filledTo = headBytes; // the file offset up to which the current run's buffer holds bytes
  const free = () => {
    runtime.free(ptr);
    ptr = 0;
  };
  const handOver = async (pump) => {
    const run = runs[current];
    await pump?.reached(run.end);
    addRun(ptr, run.start - headBytes, run.end - run.start);
    current++;
    filledTo = runs[current]?.start ?? run.end;
  };
  return {
    async write(chunk, offset, pump) {
      if (!began) {
        begin(opened.prefix);
        began = true;
      }
      let from = Math.max(offset, headBytes);
      while (from < offset + chunk.length && current < runs.length) {
        const run = runs[current];
        const to = Math.min(offset + chunk.length, run.end);
        runtime.heapU8.set(chunk.subarray(from - offset, to - offset), ptr + from - run.start);
        from = filledTo = to;
        pump?.notify();
        if (to === run.end) await handOver(pump);
      }
    },
    read(from, to) {
      if (from < headBytes) return opened.prefix.slice(from, Math.min(to, headBytes));
      const run = runs[current] ?? runs.at(-1);
      return runtime.heapU8.slice(ptr + from - run.start, ptr + Math.max(from, Math.min(to, filledTo)) - run.start);
    },
    async finish(size, pump) {
      while (current < runs.length) await handOver(pump); // a run that ends where the file does
      free();
      return { size };
    },
    free,
  };
}

/**
 * Streams an opened safetensors file into `sink` (by default one heap block of its exact size).
 *
 * @param {object} runtime the WaxRuntime (malloc, heapU8)
 * @param {Awaited<ReturnType<typeof openSafetensors>>} opened
 * @param {{ signal?: AbortSignal, onProgress?: (loaded: number, total: number) => void,
 *   cacheWriter?: { write(chunk: Uint8Array): Promise<void>, close(): Promise<void>, abort(reason?): void } | null,
 *   sink?: ReturnType<typeof wholeFileSink> }} [options]
 * @returns {Promise<object>} what the sink's finish() returns: { ptr, offset, size } for the default sink
 */
export async function streamIntoHeap(runtime, opened, { signal, onProgress, cacheWriter = null, sink = null } = {}) {
  const { label, prefix } = opened;
  const state = { loaded: 0, done: false };
  let pump = null, body = null;
  // From here on every exit frees the sink, closes the file and aborts the cache writer.
  try {
    throwIfAborted(signal);
    if (opened.declaredSize !== null && opened.declaredSize < opened.size) {
      // Shorter than its header says: the module names the tensor past the end.
      try {
        readHeader(runtime, label, prefix, opened.declaredSize);
      } catch (error) {
        if (opened.fromCache && error instanceof WaxError) error.code = 'WAX_BAD_CACHE';
        throw error;
      }
    }
    sink ??= wholeFileSink(runtime, opened);
    pump = cacheWriter ? startCachePump(state, sink, cacheWriter, label) : null;
    const hash = opened.sha256 ? await createSha256() : null;
    await sink.write(prefix, 0, pump);
    hash?.update(prefix);
    state.loaded = prefix.length;
    onProgress?.(state.loaded, opened.size);
    body = await opened.openBody(signal);
    for (;;) {
      throwIfAborted(signal);
      const chunk = await body.next();
      if (chunk === null) break;
      hash?.update(chunk);
      const offset = state.loaded;
      state.loaded += chunk.length;
      pump?.notify();
      await sink.write(chunk, offset, pump);
      onProgress?.(state.loaded, Math.max(opened.size, state.loaded));
    }
    throwIfAborted(signal);
    if (state.loaded < opened.size) {
      throw new WaxError(`${label}: body ended after ${state.loaded} of ${opened.size} bytes (connection cut, or a truncated ${opened.fromCache ? 'cache entry' : 'file'})`,
        { code: opened.fromCache ? 'WAX_BAD_CACHE' : 'WAX_FETCH_FAILED' });
    }
    if (hash) {
      const actual = hash.hex();
      if (actual !== opened.sha256) {
        throw new WaxError(`${label}: sha256 is ${actual}, but the server's LFS metadata says ${opened.sha256} (corrupt ${opened.fromCache ? 'cache entry' : 'download'})`,
          { code: opened.fromCache ? 'WAX_BAD_CACHE' : 'WAX_FETCH_FAILED' });
      }
    }
    state.done = true;
    pump?.notify();
    const result = await sink.finish(state.loaded, pump);
    await pump?.finished;
    return result;
  } catch (error) {
    await (pump ? pump.stop() : cacheWriter?.abort(error));
    (body ?? opened).cancel?.(error);
    opened.close();
    sink?.free();
    if (signal?.aborted) throw signal.reason;
    if (error instanceof WaxError) throw error;
    throw new WaxError(`${label}: the ${opened.fromCache ? 'cache read' : 'download'} broke off after ${state.loaded} of ${opened.size} bytes ` +
      `(${error.cause?.message ?? error.message})`, { code: opened.fromCache ? 'WAX_BAD_CACHE' : 'WAX_FETCH_FAILED', cause: error });
  }
}

export { formatBytes };
