/**
 * Every code a `WaxError` can carry, with what it means. index.d.ts's `WaxErrorCode` and the
 * README list the same codes (tests/node/api-errors.test.mjs checks that they agree and that every
 * code thrown in js/src and the C++ sources is here). An aborted call is no WaxError: it rejects
 * with the signal's reason (a `DOMException` named `AbortError` by default).
 *
 * @example
 * try { await model.generate({ input_ids: [[]] }); }
 * catch (e) { console.log(e.code, WAX_ERROR_CODES[e.code]); } // WAX_BAD_INPUT an argument or option of a call is wrong: …
 */
export const WAX_ERROR_CODES = Object.freeze({
  WAX_BAD_INPUT: 'an argument or option of a call is wrong: the message names it, what was expected and what was given',
  WAX_BAD_CONFIG: "config.json (or another JSON file of the model) is malformed or has a field out of range",
  WAX_BAD_SAFETENSORS: 'a .safetensors file (or its index) is malformed or truncated',
  WAX_BAD_WEIGHTS: "the weights do not fit the config (a tensor missing or of the wrong shape) or cannot be used",
  WAX_BAD_TOKENIZER: 'tokenizer.json, tokenizer_config.json or its chat template is malformed',
  WAX_BAD_CACHE: 'the download cache (env.cacheDir, the browser Cache, env.customCache) could not be used',
  WAX_UNSUPPORTED: 'the model or the request needs something wax does not do (an architecture, a dtype, a task)',
  WAX_TOO_LARGE: "what was asked for cannot fit wasm32's 4 GiB address space: a smaller model, dtype or length would",
  WAX_OUT_OF_MEMORY: 'the wasm heap could not grow for an allocation that would fit in 4 GiB: dispose other models',
  WAX_FETCH_FAILED: 'a download failed or stalled: the message names the URL and the HTTP status or network error',
  WAX_NOT_FOUND: 'a model, a folder or a file does not exist where wax looked: the message lists the places',
  WAX_WASM_LOAD_FAILED: 'the WebAssembly module or the wax worker could not be loaded (env.wasm.wasmPaths, MIME type, CSP)',
  WAX_MISSING_DEPENDENCY: 'a file that the build makes is missing (js/dist/jinja.mjs, the copy of @huggingface/jinja for chat templates): run npm run build',
  WAX_DISPOSED: 'the model, tokenizer or pipeline was disposed (or its worker ended) before or during the call',
  WAX_INTERNAL: 'a bug in wax: please report it with the message',
  WAX_ERROR: 'a WaxError constructed without a code (not thrown by wax itself)',
});

/**
 * Errors thrown by wax. Every failure of a wax call is a `WaxError` with one of the stable codes
 * of `WAX_ERROR_CODES` and a message that names the argument, file or field, what was expected
 * and what was given.
 *
 * @example
 * try { await AutoModelForCausalLM.from_pretrained('./missing'); }
 * catch (e) { console.log(e.name, e.code); } // WaxError WAX_NOT_FOUND
 */
export class WaxError extends Error {
  /** @param {string} message @param {{ code?: string, cause?: unknown }} [options] */
  constructor(message, { code = 'WAX_ERROR', cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WaxError';
    this.code = code;
  }
}

/** A WaxError with code WAX_BAD_INPUT: the caller passed something wrong. */
export function badInput(message) {
  return new WaxError(message, { code: 'WAX_BAD_INPUT' });
}

/** A short, readable rendering of a value a user passed, for error messages ('NaN', '"text"', '5n', 'an object'). */
export function describeValue(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.length}`;
  return `an object (${value.constructor?.name ?? 'no prototype'})`;
}

/** Throws the signal's reason when it has been aborted. */
export function throwIfAborted(signal) {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}
