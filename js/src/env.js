/**
 * Global settings, named as in transformers.js where the meaning matches.
 *
 * @example
 * import { env } from 'wax';
 * env.wasm.wasmPaths = 'https://cdn.example.com/wax/'; // where wax.wasm is served from
 */
export const env = {
  /** @type {{ wasmPaths: string | null }} */
  wasm: {
    // Folder URL that holds wax.wasm; null: next to wax.mjs.
    wasmPaths: null,
  },
  /** The fetch used for every download (swap it for tests or proxies). */
  fetch: (...args) => globalThis.fetch(...args),
};
