/**
 * Errors thrown by wax. Every failure of a wax call is a `WaxError` with a stable `code`
 * (`WAX_BAD_SAFETENSORS`, `WAX_BAD_CONFIG`, `WAX_BAD_WEIGHTS`, `WAX_BAD_INPUT`, `WAX_UNSUPPORTED`,
 * `WAX_OUT_OF_MEMORY`, `WAX_TOO_LARGE`, `WAX_FETCH_FAILED`, `WAX_NOT_FOUND`,
 * `WAX_WASM_LOAD_FAILED`, `WAX_DISPOSED`, `WAX_BAD_CACHE`; `WAX_ERROR` when none is given); an
 * aborted call rejects with the signal's reason (a `DOMException` named `AbortError` by default).
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

/** Throws the signal's reason when it has been aborted. */
export function throwIfAborted(signal) {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}
