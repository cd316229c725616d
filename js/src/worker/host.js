// The wax worker: runs models in-process here and answers the page's requests (remote.js).
// What an object shows the page is what its class declares: static workerMethods (called
// through messages) and workerProperties (copied; one whose value declares workerMethods itself,
// a pipeline's model or tokenizer, becomes a proxy of its own).
import { env } from '../env.js';
import { WaxError } from '../errors.js';
import { markCleared } from '../loader/cache.js';
import { PreTrainedModel } from '../models/registry.js';
import { registeredModelClasses } from '../models/pretrained-model.js';
import { pipeline } from '../pipelines/index.js';
import { runtimeInfo } from '../runtime.js';
import { TextStreamer, UnawaitedCalls } from '../streamers.js';
import { AutoTokenizer } from '../tokenizer.js';
import { decode, decodeError, encode, encodeError, portOf, transferablesOf } from './protocol.js';

/** What the page may create here, by the name remote.js sends; all load in this thread. */
const FACTORIES = {
  pipeline: (task, source, options) => pipeline(task, source, { ...options, worker: false }),
  ...Object.fromEntries([PreTrainedModel, ...registeredModelClasses(), AutoTokenizer].map((loader) =>
    [loader.name, (source, options) => loader.from_pretrained(source, { ...options, worker: false })])),
};

const parent = typeof self === 'object' && typeof self.postMessage === 'function' && typeof window === 'undefined'
  ? self : (await import('node:worker_threads')).parentPort;
const port = portOf(parent);
const objects = new Map();
const signals = new Map();
const replies = new Map();
let nextObject = 1;
let nextReply = 1;

function register(object) {
  const id = nextObject++;
  objects.set(id, object);
  return id;
}

/** The ids of the objects a created object holds (a pipeline's model and tokenizer), freed with it. */
const held = new Map();

/**
 * The object registered, with what its class declares for its proxy (remote.js remoteObject);
 * `ids` collects the ids of it and of the objects it holds.
 */
function describe(object, ids = []) {
  const { workerMethods = [], workerProperties = [] } = object.constructor;
  const properties = {};
  const objects = {};
  for (const key of workerProperties) {
    const value = object[key];
    if (value?.constructor?.workerMethods) objects[key] = describe(value, ids);
    else if (value !== undefined && typeof value !== 'function') properties[key] = value;
  }
  const objectId = register(object);
  ids.push(objectId);
  return { objectId, methods: workerMethods, properties, objects };
}

/** Calls a function of the page; resolves to what it returned, for the callers that need it. */
function callPage(id, args) {
  const reply = nextReply++;
  const answer = new Promise((resolve, reject) => replies.set(reply, { resolve, reject }));
  answer.catch(() => {}); // a progress callback's answer goes unread; a streamer's is tracked (UnawaitedCalls)
  port.post({ op: 'callback', id, reply, args: encode(args, noHandles) });
  return answer;
}

const resolve = {
  callback: (id) => (...args) => callPage(id, args),
  signal: (id) => {
    const controller = new AbortController();
    signals.set(id, controller);
    return controller.signal;
  },
  streamer: ({ put, end, tokenizer, skip_prompt, decode_kwargs, text, tokens }) => {
    // The page's callbacks are not waited for (a round trip a token), but what they throw fails generate.
    const calls = new UnawaitedCalls();
    const pageCallback = (id) => (...args) => calls.track(callPage(id, args));
    if (put !== undefined) return calls.watch({ put: pageCallback(put), end: pageCallback(end) });
    const streamer = new TextStreamer(objects.get(tokenizer), {
      skip_prompt, decode_kwargs, token_callback_function: tokens === null ? null : pageCallback(tokens) });
    streamer.on_finalized_text = pageCallback(text);
    return calls.watch(streamer);
  },
  object: (id) => objects.get(id),
};
const noHandles = {
  callback: () => { throw new WaxError('functions cannot be returned from the wax worker', { code: 'WAX_INTERNAL' }); },
  signal: () => { throw new WaxError('signals cannot be returned from the wax worker', { code: 'WAX_INTERNAL' }); },
};

port.listen(async (message) => {
  const { op, id } = message;
  if (op === 'abort') {
    signals.get(message.signal)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
    return;
  }
  if (op === 'reply') {
    const { resolve: settle, reject } = replies.get(message.reply) ?? {};
    replies.delete(message.reply);
    if (message.error) reject?.(decodeError(message.error));
    else settle?.(message.value);
    return;
  }
  try {
    let value;
    if (op === 'create') {
      const { wasm, ...settings } = message.env ?? {};
      Object.assign(env, settings);
      Object.assign(env.wasm, wasm);
      const object = await FACTORIES[message.kind](...decode(message.args, resolve));
      const ids = [];
      value = describe(object, ids);
      held.set(value.objectId, ids);
      value.properties.runtime = await runtimeInfo();
    } else if (op === 'call') {
      const object = objects.get(message.objectId);
      if (!object) throw new WaxError('this object was disposed', { code: 'WAX_DISPOSED' });
      if (!object.constructor.workerMethods?.includes(message.method)) {
        throw new WaxError(`the wax worker has no method '${message.method}' for this object`, { code: 'WAX_INTERNAL' });
      }
      value = encode(await object[message.method](...decode(message.args, resolve)), noHandles);
    } else if (op === 'clearing-cache') {
      markCleared(message.prefix);
    } else if (op === 'dispose') {
      objects.get(message.objectId)?.dispose();
      for (const objectId of held.get(message.objectId) ?? [message.objectId]) objects.delete(objectId);
      held.delete(message.objectId);
    }
    // What a call returns is this side's no more: its tensors' buffers move instead of copying.
    port.post({ op: 'result', id, value }, transferablesOf(value));
  } catch (error) {
    port.post({ op: 'result', id, error: encodeError(error) });
  } finally {
    for (const signalId of message.signals ?? []) signals.delete(signalId);
  }
});
port.post({ op: 'ready' });
