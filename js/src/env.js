/**
 * Global settings, named as in transformers.js where the meaning matches.
 *
 * @example
 * import { env } from 'wax-ml';
 * env.wasm.wasmPaths = 'https://cdn.example.com/wax/'; // where wax.wasm is served from
 * env.remoteHost = 'https://hf-mirror.example.com/';    // a Hub mirror
 * env.cacheDir = '/tmp/wax-cache';                      // Node: where downloads are kept
 */
import { WaxError } from './errors.js';

const isNodeEnv = typeof process === 'object' && !!process.versions?.node;
const isBrowserEnv = !isNodeEnv && typeof globalThis.caches === 'object';

/** Node's default cache folder: `<this package>/.cache` (as transformers.js), else `~/.cache/wax`. */
function defaultCacheDir() {
  if (!isNodeEnv) return null;
  if (process.env.WAX_CACHE_DIR) return process.env.WAX_CACHE_DIR;
  try {
    return decodeURIComponent(new URL('../../.cache/', import.meta.url).pathname);
  } catch {
    return `${process.env.HOME ?? '.'}/.cache/wax/`;
  }
}

export const env = {
  /** @type {{ wasmPaths: string | null, numThreads: number | null }} */
  wasm: {
    // Folder URL that holds wax.wasm; null: next to wax.mjs.
    wasmPaths: null,
    // Threads for matmuls and attention; null: min(4, ceil(cores / 2)) (Node: WAX_NUM_THREADS when
    // set). More than one needs SharedArrayBuffer: always in Node, in browsers only on cross-origin
    // isolated pages. Read once, when the first model or tokenizer loads.
    numThreads: isNodeEnv && process.env.WAX_NUM_THREADS ? Number(process.env.WAX_NUM_THREADS) : null,
  },
  /**
   * Whether repo ids ('org/name') may be fetched from `remoteHost`. When false, they load only from
   * `localModelPath` or the cache, as with from_pretrained's `local_files_only: true`.
   */
  allowRemoteModels: true,
  /** Where repo ids are fetched from, and how a file's path is built ({model}, {revision}). */
  remoteHost: 'https://huggingface.co/',
  remotePathTemplate: '{model}/resolve/{revision}/',
  /** Whether repo ids are looked up under `localModelPath` first (Node: on disk; browsers: same origin). */
  allowLocalModels: isNodeEnv,
  localModelPath: '/models/',
  /** Browsers: keep downloads in the Cache API (cache name 'wax-models'). */
  useBrowserCache: isBrowserEnv,
  /** Node: keep downloads as files under `cacheDir`. */
  useFSCache: isNodeEnv,
  cacheDir: defaultCacheDir(),
  /** When true, `customCache` ({ match(key), put(key, response), delete?(key) }, as the Cache API) is used instead of the above. */
  useCustomCache: false,
  customCache: null,
  /** How many files download at once (shards of one model): an integer, at least 1. */
  maxParallelDownloads: 4,
  /**
   * Milliseconds a download may go without receiving anything (its response headers, then each
   * chunk of its body) before it fails with WAX_FETCH_FAILED naming the URL; 0 or Infinity: wait as
   * long as the connection stays open (Node's fetch gives up after 300 s, browsers never). A cached
   * copy that gives nothing for as long is dropped and downloaded again.
   */
  fetchStallTimeout: 30_000,
  /** The fetch used for every download (swap it for tests or proxies). */
  fetch: (...args) => globalThis.fetch(...args),
};

/**
 * `env[key]` checked where it is read: a number of at least `min` (an integer when `integer`), else
 * a WaxError naming the key, what it must be and what it is.
 */
export function envNumber(key, { min, integer = false }) {
  const value = env[key];
  if (typeof value !== 'number' || !(value >= min) || (integer && !Number.isInteger(value))) {
    const given = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new WaxError(`env.${key} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${given}`, { code: 'WAX_BAD_INPUT' });
  }
  return value;
}
