// The page's side of the wax worker: objects created in a module Worker (browsers) or a
// worker_threads Worker (Node, on request), reached through proxies with the same methods. One
// worker serves every object this side creates while any of them lives (one wasm heap and one
// thread pool, as one module in-process; a new load needs no new worker, even offline); it ends,
// returning all its memory, when the last of them is disposed.
// Which methods and properties a proxy has is declared by the class of the object in the worker
// (static workerMethods and workerProperties) and arrives with it; a class's pageMethods (a
// text-generation pipeline's stream(), built on its _call) run here on the proxy.
import { makeAsyncDisposable } from '../disposable.js';
import { env } from '../env.js';
import { WaxError } from '../errors.js';
import { decode, decodeError, encode, encodeError, portOf } from './protocol.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const onPageMainThread = typeof window === 'object' && typeof document === 'object';

/** Whether a load runs in a worker: `worker` true/false, or by default on a page's main thread. */
export function wantsWorker(options = {}) {
  if (options.worker !== undefined) return !!options.worker;
  return onPageMainThread && typeof Worker === 'function';
}

/**
 * `load()` here, or, when `options` want the worker (wantsWorker), the same load in the wax
 * worker as `kind` (a name worker/host.js creates: 'pipeline', an Auto class, a model class),
 * given `args` (default: [source, options]) with `worker` left out and URLs as strings.
 */
export async function loadWhereWanted(kind, source, options, load, { args = [], localClass = null } = {}) {
  if (!wantsWorker(options)) return load();
  const { worker, ...rest } = options;
  return createRemote(kind, [...args, source instanceof URL ? source.href : source, rest], localClass);
}

class Connection {
  static async open() {
    const url = new URL('./host.js', import.meta.url);
    // A worker inherits Node's flags, and refuses --input-type (`node --input-type=module -e …`).
    const execArgv = isNode ? process.execArgv.filter((flag) => !flag.startsWith('--input-type')) : null;
    const worker = isNode ? new (await import('node:worker_threads')).Worker(url, { execArgv })
      : new Worker(url, { type: 'module', name: 'wax' });
    const connection = new Connection(worker);
    await connection.ready;
    connection.holdProcessWhileBusy();
    return connection;
  }

  constructor(worker) {
    this.worker = worker;
    this.port = portOf(worker);
    this.pending = new Map();
    this.callbacks = new Map();
    this.next = 1;
    /** The live objects created through this connection (remoteObject's owners). */
    this.owners = 0;
    let ready;
    this.ready = new Promise((resolve, reject) => {
      ready = resolve;
      // A browser says only "error" when the module could not be fetched or parsed.
      const fail = (event) => reject(new WaxError(`the wax worker (${new URL('./host.js', import.meta.url).href}) failed to start: ` +
        `${event?.message || 'its module could not be loaded (the network, a server error or a MIME type)'}`, { code: 'WAX_WASM_LOAD_FAILED' }));
      if (isNode) worker.once('error', fail);
      else worker.addEventListener('error', fail, { once: true });
    });
    this.port.listen((message) => {
      if (message.op === 'ready') ready();
      else if (message.op === 'callback') this.answer(message);
      else if (message.op === 'result') {
        const { resolve, reject } = this.pending.get(message.id) ?? {};
        this.pending.delete(message.id);
        this.holdProcessWhileBusy();
        if (message.error) reject?.(decodeError(message.error));
        else resolve?.(message.value);
      }
    });
  }

  /**
   * A Node worker keeps the process alive only while a call is in flight, so a model that is
   * never disposed does not stop Node from exiting (a browser's Worker has no ref/unref).
   */
  holdProcessWhileBusy() {
    if (typeof this.worker.ref !== 'function') return;
    if (this.pending.size) this.worker.ref();
    else this.worker.unref();
  }

  /**
   * Runs a callback the worker called and sends back its result (awaited), which the worker
   * awaits where it matters (stopping criteria, a tokenizer's decode) and otherwise drops.
   */
  async answer({ id, reply, args }) {
    try {
      const value = await this.callbacks.get(id)?.(...decode(args, {}));
      this.port.post({ op: 'reply', reply, value });
    } catch (error) {
      this.port.post({ op: 'reply', reply, error: encodeError(error) });
    }
  }

  /** Sends a request with its arguments encoded; handles live until the answer comes. */
  request(body, args = []) {
    if (this.closed) return Promise.reject(new WaxError('this model was disposed (its worker has ended)', { code: 'WAX_DISPOSED' }));
    const id = this.next++;
    const signals = [];
    const callbacks = [];
    const cleanups = [];
    let aborted = null; // a signal given already aborted: the request is never sent
    const handles = {
      callback: (fn) => {
        const handle = this.next++;
        this.callbacks.set(handle, fn);
        callbacks.push(handle);
        return handle;
      },
      signal: (signal) => {
        const handle = this.next++;
        const onAbort = () => this.port.post({ op: 'abort', signal: handle });
        if (signal.aborted) aborted ??= signal;
        else signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
        signals.push(handle);
        return handle;
      },
    };
    const encoded = encode(args, handles);
    return new Promise((resolve, reject) => {
      // As in-process (throwIfAborted), before any work: posted after the call, the abort could come too late.
      if (aborted) throw aborted.reason ?? new DOMException('The operation was aborted.', 'AbortError');
      this.pending.set(id, { resolve, reject });
      this.holdProcessWhileBusy();
      this.port.post({ ...body, id, args: encoded, signals });
    }).finally(() => {
      callbacks.forEach((handle) => this.callbacks.delete(handle));
      cleanups.forEach((cleanup) => cleanup());
    });
  }

  close() {
    if (shared?.connection === this) shared = null;
    this.closed = true;
    for (const { reject } of this.pending.values()) reject(new DOMException('The wax worker was disposed.', 'AbortError'));
    this.pending.clear();
    this.worker.terminate();
  }
}

/** The connection every object of this side is created through: { opening, connection }. */
let shared = null;

/** The shared connection, opened on first use, with one more owner counted. */
async function connect() {
  shared ??= { opening: Connection.open(), connection: null };
  const current = shared;
  try {
    current.connection = await current.opening;
  } catch (error) {
    if (shared === current) shared = null;
    throw error;
  }
  if (current.connection.closed) return connect(); // its last owner let go meanwhile
  current.connection.owners++;
  return current.connection;
}

/**
 * Tells the wax worker, when one runs, that the cache under `prefix` (null: all of it) is being
 * cleared: its downloads in flight there are then not published when they end (cache.js).
 */
export async function clearingCacheInWorker(prefix) {
  const connection = shared?.connection;
  if (connection && !connection.closed) await connection.request({ op: 'clearing-cache', prefix });
}

/** One owner fewer; the last one ends the worker. */
function release(connection) {
  if (--connection.owners === 0) connection.close();
}

/**
 * A proxy of an object in the worker (`created`: worker/host.js describe()): its declared data
 * properties and objects, and its declared methods as async calls; callable as the in-process
 * objects are (`await model(inputs)` is forward, `await tokenizer(text)` encodes). An `owner`
 * proxy's dispose() frees its object and the objects it holds there, and ends the worker if it
 * was the last; a nested proxy's (a pipeline's model) frees only its object.
 */
function remoteObject(connection, { objectId, methods, properties, objects }, owner, localClass = null) {
  let disposed = false;
  const call = (method, args) => (disposed
    ? Promise.reject(new WaxError('this object was disposed', { code: 'WAX_DISPOSED' }))
    : connection.request({ op: 'call', objectId, method }, args).then((v) => decode(v, resolveReturned)));
  const object = Object.setPrototypeOf((...args) => (localClass?.pageArguments // what only this side can read (Web Audio)
    ? localClass.pageArguments(object, args).then((ready) => call('_call', ready)) : call('_call', args)), null);
  Object.assign(object, properties, { __remote: true, objectId });
  for (const [key, nested] of Object.entries(objects)) object[key] = remoteObject(connection, nested, false);
  for (const method of methods) object[method] = (...args) => call(method, args);
  for (const method of localClass?.pageMethods ?? []) object[method] = localClass.prototype[method];
  object.dispose = async () => {
    if (disposed) return;
    disposed = true;
    try {
      if (!owner || connection.owners > 1) await connection.request({ op: 'dispose', objectId });
    } finally {
      if (owner) release(connection);
    }
  };
  return makeAsyncDisposable(object);
}
const resolveReturned = { callback: () => null, signal: () => null, streamer: () => null, object: () => null };

/**
 * The env settings the worker adopts: everything that survives structured cloning. A custom
 * env.fetch or env.customCache stays on this side: use { worker: false } with those.
 */
function envSnapshot() {
  const copy = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === 'function' || (value && typeof value === 'object' && key !== 'wasm')) continue;
    copy[key] = key === 'wasm' ? { ...value } : value;
  }
  if (copy.wasm?.wasmPaths) copy.wasm.wasmPaths = new URL(String(copy.wasm.wasmPaths), globalThis.location?.href ?? import.meta.url).href;
  return copy;
}

/** Creates `kind` (a name of worker/host.js's table) from `args` in the wax worker; its proxy. */
async function createRemote(kind, args, localClass) {
  if (env.useCustomCache) {
    throw new WaxError('env.customCache is an object of this side that the wax worker cannot use: load with { worker: false }',
      { code: 'WAX_UNSUPPORTED' });
  }
  const connection = await connect();
  try {
    const created = await connection.request({ op: 'create', kind, env: envSnapshot() }, args);
    return remoteObject(connection, created, true, localClass);
  } catch (error) {
    release(connection);
    throw error;
  }
}
