// Loads the wax WebAssembly module once per process, page or worker, and wraps its C exports:
// heap allocation with clear out-of-memory errors, and C++ errors turned into WaxError.
import { env } from './env.js';
import { WaxError } from './errors.js';

const isNode = typeof process === 'object' && !!process.versions?.node;

/** wasm32 addresses at most 4 GiB; Emscripten's heap is capped there (-sMAXIMUM_MEMORY=4GB). */
export const WASM32_LIMIT_BYTES = 4 * 1024 ** 3;

let runtimePromise = null;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** @returns {Promise<WaxRuntime>} the one shared module instance. */
export function getRuntime() {
  runtimePromise ??= loadModule().then(
    ({ module, threads, reason }) => new WaxRuntime(module, threads, reason),
    (error) => {
      runtimePromise = null; // a later call (say, after fixing env.wasm.wasmPaths) tries again
      throw error;
    },
  );
  return runtimePromise;
}

/**
 * How many threads to run and why: the threaded build needs SharedArrayBuffer, which browsers
 * give only to cross-origin isolated pages (COOP/COEP headers); Node always has it.
 */
async function chooseThreads() {
  const cores = isNode ? (await import('node:os')).availableParallelism() : globalThis.navigator?.hardwareConcurrency ?? 1;
  const wanted = env.wasm.numThreads ?? Math.min(4, Math.ceil(cores / 2));
  const threads = Math.max(1, Math.min(16, Math.floor(wanted)));
  if (threads === 1) {
    return { threads, reason: env.wasm.numThreads ? 'env.wasm.numThreads is 1' : `${cores} cores: the default is one thread` };
  }
  if (isNode) return { threads, reason: 'Node' };
  if (globalThis.crossOriginIsolated && typeof SharedArrayBuffer === 'function') return { threads, reason: 'cross-origin isolated' };
  const reason = 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
    'Cross-Origin-Embedder-Policy: require-corp), so wax runs on one thread';
  if (env.wasm.numThreads > 1) console.warn(`wax: ${reason}`);
  return { threads: 1, reason };
}

/** Where the module's files are: env.wasm.wasmPaths (a folder, relative to the page) or js/dist. */
function distLocation(file) {
  if (!env.wasm.wasmPaths) return new URL(`../dist/${file}`, import.meta.url);
  const folder = String(env.wasm.wasmPaths);
  return new URL(file, new URL(folder.endsWith('/') ? folder : `${folder}/`, globalThis.location?.href ?? import.meta.url));
}

async function loadModule() {
  const { threads, reason } = await chooseThreads();
  const name = threads > 1 ? 'wax-threads' : 'wax';
  const wasmUrl = distLocation(`${name}.wasm`);
  try {
    const { default: createWaxModule } = threads > 1 ? await import('../dist/wax-threads.mjs') : await import('../dist/wax.mjs');
    // Node wants file paths, not file: URLs, for the pthread worker script.
    const toPath = isNode ? (await import('node:url')).fileURLToPath : null;
    const options = {
      nThreads: threads - 1, // pthread workers beside the calling thread, started with the module
      locateFile: (file) => {
        const url = file.endsWith('.wasm') ? wasmUrl : distLocation(file);
        return toPath && url.protocol === 'file:' ? toPath(url) : url.href;
      },
    };
    if (isNode && wasmUrl.protocol === 'file:') {
      // Node's global fetch cannot read file: URLs, which the glue would try; hand it the bytes.
      const { readFile } = await import('node:fs/promises');
      options.wasmBinary = await readFile(wasmUrl);
    }
    const module = await createWaxModule(options);
    if (threads > 1) {
      module._wax_set_threads(threads);
      if (isNode) module.unrefThreads(); // idle workers must not keep Node alive
    }
    return { module, threads, reason };
  } catch (error) {
    throw new WaxError(`could not load the wax WebAssembly module from ${wasmUrl.href} (${error.message}). ` +
      'Check env.wasm.wasmPaths and that the server sends wax.wasm as application/wasm.', { code: 'WAX_WASM_LOAD_FAILED', cause: error });
  }
}

/**
 * Which build runs and why, once the module is loaded.
 *
 * @example
 * await runtimeInfo(); // { threads: 2, threaded: true, reason: 'cross-origin isolated' }
 */
export async function runtimeInfo() {
  const { threads, reason } = await getRuntime();
  return { threads, threaded: threads > 1, reason };
}

class WaxRuntime {
  constructor(module, threads, reason) {
    this.module = module;
    this.threads = threads;
    this.reason = reason;
  }

  /** Current byte view of the heap (views go stale whenever the heap grows: never keep one). */
  get heapU8() {
    return this.module.HEAPU8;
  }

  heapBytes() {
    return this.module.HEAPU8.length;
  }

  /** Bytes malloc has handed out and not taken back (not public: the loader's fit check and tests). */
  heapUsed() {
    return this.module._wax_heap_used ? this.module._wax_heap_used() : 0;
  }

  /** malloc that throws a WaxError naming `what` instead of returning 0. Pointers are unsigned. */
  malloc(bytes, what) {
    if (bytes > WASM32_LIMIT_BYTES - 64 * 1024 ** 2) {
      throw new WaxError(`${what} needs ${formatBytes(bytes)}, more than wasm32's 4 GiB address space can hold. ` +
        'Try a smaller model or a quantized dtype.', { code: 'WAX_TOO_LARGE' });
    }
    const ptr = this.module._malloc(Math.max(bytes, 1)) >>> 0;
    if (ptr === 0) throw this.outOfMemory(bytes, what);
    return ptr;
  }

  outOfMemory(bytes, what) {
    return new WaxError(`out of memory: ${what} needs ${formatBytes(bytes)} and the wasm heap (${formatBytes(this.heapBytes())} ` +
      'in use, 4 GiB at most) cannot provide it. Dispose other models or try a smaller one.', { code: 'WAX_OUT_OF_MEMORY' });
  }

  /** Grows a block from malloc, keeping its bytes; throws like malloc. */
  realloc(ptr, bytes, what) {
    const grown = this.module._realloc(ptr, bytes) >>> 0;
    if (grown === 0) {
      this.free(ptr);
      throw this.outOfMemory(bytes, what);
    }
    return grown;
  }

  free(ptr) {
    if (ptr) this.module._free(ptr);
  }

  /** Copies a typed array into a fresh heap block; returns its pointer. */
  copyIn(typedArray, what) {
    const ptr = this.malloc(typedArray.byteLength, what);
    this.heapU8.set(new Uint8Array(typedArray.buffer, typedArray.byteOffset, typedArray.byteLength), ptr);
    return ptr;
  }

  /**
   * A NUL-terminated UTF-8 copy of `text` in the heap. TextEncoder, not the glue's encoder: it
   * turns lone surrogates into U+FFFD where the glue would mangle the characters after them.
   */
  copyString(text, what) {
    const bytes = utf8Encoder.encode(text);
    const ptr = this.malloc(bytes.length + 1, what);
    const heap = this.heapU8;
    heap.set(bytes, ptr);
    heap[ptr + bytes.length] = 0;
    return ptr;
  }

  /** UTF-8 bytes of `text` in a fresh heap block (NULs kept): { ptr, length }. */
  copyText(text, what) {
    const bytes = utf8Encoder.encode(text);
    const ptr = this.malloc(bytes.length, what);
    this.heapU8.set(bytes, ptr);
    return { ptr, length: bytes.length };
  }

  /** The UTF-8 text of `length` bytes at `ptr` (copied out: browsers' TextDecoder refuses views of the threaded build's shared heap). */
  readText(ptr, length) {
    return utf8Decoder.decode(this.heapU8.slice(ptr, ptr + length));
  }

  /** The NUL-terminated UTF-8 string at `ptr`. */
  readString(ptr) {
    const heap = this.heapU8;
    const end = heap.indexOf(0, ptr);
    return utf8Decoder.decode(heap.slice(ptr, end));
  }

  /**
   * Calls the C export `name` with `args` and a trailing `char** error_out`; throws the C++
   * error as a WaxError. Returns the export's result.
   */
  call(name, ...args) {
    const errorSlot = this.malloc(4, 'an error slot');
    try {
      const result = this.module[`_${name}`](...args, errorSlot);
      const errorPtr = this.module.HEAPU32[errorSlot >>> 2];
      if (errorPtr) {
        const { code, message } = JSON.parse(this.readString(errorPtr));
        this.module._free(errorPtr);
        throw new WaxError(message, { code });
      }
      return result;
    } finally {
      this.module._free(errorSlot);
    }
  }

  /** Calls a C export that needs no error slot. */
  plain(name, ...args) {
    return this.module[`_${name}`](...args);
  }
}

export function formatBytes(bytes) {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

export { isNode };
