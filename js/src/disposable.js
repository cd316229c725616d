// `await using model = await AutoModelForCausalLM.from_pretrained(…)`: every object with a
// dispose() (in-process or a worker proxy) also answers Symbol.asyncDispose, where the runtime
// has that symbol, so scopes free wasm memory (or end the worker) the same way for both kinds.

/** Adds [Symbol.asyncDispose]() (awaiting dispose()) to `target`, a prototype or an object. */
export function makeAsyncDisposable(target) {
  if (typeof Symbol.asyncDispose !== 'symbol') return target;
  Object.defineProperty(target, Symbol.asyncDispose, {
    async value() {
      await this.dispose();
    },
    configurable: true,
    writable: true,
  });
  return target;
}
