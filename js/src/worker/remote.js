// The page's side of the wax worker: objects created in a module Worker (browsers) or a
// worker_threads Worker (Node, on request), reached through proxies with the same methods.
import { Callable } from '../callable.js';
import { makeAsyncDisposable } from '../disposable.js';
import { env } from '../env.js';
import { WaxError } from '../errors.js';
import { TextGenerationPipeline } from '../pipelines/text-generation.js';
import { decode, decodeError, encode, encodeError, portOf } from './protocol.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const onPageMainThread = typeof window === 'object' && typeof document === 'object';

/** Whether a load runs in a worker: `worker` true/false, or by default on a page's main thread. */
export function wantsWorker(options = {}) {
  if (options.worker !== undefined) return !!options.worker;
  return onPageMainThread && typeof Worker === 'function';
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
    let ready;
    this.ready = new Promise((resolve, reject) => {
      ready = resolve;
      const fail = (event) => reject(new WaxError(`the wax worker (${new URL('./host.js', import.meta.url).href}) failed to start: ` +
        `${event?.message ?? event}`, { code: 'WAX_WASM_LOAD_FAILED' }));
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
        if (signal.aborted) queueMicrotask(onAbort);
        else signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
        signals.push(handle);
        return handle;
      },
    };
    const encoded = encode(args, handles);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.holdProcessWhileBusy();
      this.port.post({ ...body, id, args: encoded, signals });
    }).finally(() => {
      callbacks.forEach((handle) => this.callbacks.delete(handle));
      cleanups.forEach((cleanup) => cleanup());
    });
  }

  close() {
    this.closed = true;
    for (const { reject } of this.pending.values()) reject(new DOMException('The wax worker was disposed.', 'AbortError'));
    this.pending.clear();
    this.worker.terminate();
  }
}

/** Methods that forward to the remote object; `owner` proxies also end the worker on dispose. */
function remoteMethods(connection, objectId, owner) {
  return {
    __remote: true,
    objectId,
    call: (method, ...args) => connection.request({ op: 'call', objectId, method }, args).then((v) => decode(v, resolveReturned)),
    async dispose() {
      if (this.disposed) return;
      this.disposed = true;
      if (owner) connection.close(); // the worker and all its memory go back to the system
      else await connection.request({ op: 'dispose', objectId });
    },
  };
}
const resolveReturned = { callback: () => null, signal: () => null, streamer: () => null, object: () => null };

/**
 * A remote model or tokenizer: its data properties, and its methods as async calls. Callable as
 * the in-process objects are: `await model(inputs)` is forward, `await tokenizer(text)` encodes.
 */
function remoteObject(connection, { objectId, info }, owner, methods) {
  const base = remoteMethods(connection, objectId, owner);
  const call = Object.setPrototypeOf((...args) => base.call('_call', ...args), null);
  const object = Object.assign(call, info, base);
  for (const method of methods) object[method] = (...args) => base.call(method, ...args);
  object.dispose = () => base.dispose.call(object);
  return makeAsyncDisposable(object);
}

const METHODS = {
  AutoModelForCausalLM: ['_call', 'forward', 'generate', 'memory'],
  AutoModel: ['_call', 'forward', 'embed'],
  AutoTokenizer: ['encode', '_call', 'decode', 'batch_decode', 'apply_chat_template'],
};

class RemotePipeline extends Callable {
  constructor(connection, created) {
    super();
    const base = remoteMethods(connection, created.objectId, true);
    Object.assign(this, created.info);
    this.objectId = base.objectId;
    this.__remote = true;
    this.base = base;
    if (created.info.model) this.model = remoteObject(connection, created.info.model, false, ['_call', 'forward', 'generate', 'embed', 'memory']);
    if (created.info.tokenizer) this.tokenizer = remoteObject(connection, created.info.tokenizer, false, METHODS.AutoTokenizer);
  }

  _call(...args) {
    return this.base.call('_call', ...args);
  }

  dispose() {
    return this.base.dispose();
  }
}
makeAsyncDisposable(RemotePipeline.prototype);
// stream() needs only _call and a tokenizer: the proxy's are remote, the loop is the same.
RemotePipeline.prototype.stream = TextGenerationPipeline.prototype.stream;

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

/** Creates `kind` ('pipeline', 'AutoModelForCausalLM', 'AutoModel', 'AutoTokenizer') in a new worker. */
export async function createRemote(kind, args) {
  if (env.useCustomCache) {
    throw new WaxError('env.customCache is an object of this side that the wax worker cannot use: load with { worker: false }',
      { code: 'WAX_UNSUPPORTED' });
  }
  const connection = await Connection.open();
  try {
    const created = await connection.request({ op: 'create', kind, env: envSnapshot() }, args);
    return kind === 'pipeline' ? new RemotePipeline(connection, created) : remoteObject(connection, created, true, METHODS[kind]);
  } catch (error) {
    connection.close();
    throw error;
  }
}
