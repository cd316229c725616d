// The wax worker: runs models in-process here and answers the page's requests (remote.js).
import { env } from '../env.js';
import { WaxError } from '../errors.js';
import { AutoModel } from '../models/encoder.js';
import { AutoModelForCausalLM } from '../models/causal-lm.js';
import { pipeline } from '../pipelines/index.js';
import { runtimeInfo } from '../runtime.js';
import { TextStreamer } from '../streamers.js';
import { AutoTokenizer } from '../tokenizer.js';
import { decode, decodeError, encode, encodeError, portOf } from './protocol.js';

const FACTORIES = {
  pipeline: (task, source, options) => pipeline(task, source, { ...options, worker: false }),
  AutoModelForCausalLM: (source, options) => AutoModelForCausalLM.from_pretrained(source, { ...options, worker: false }),
  AutoModel: (source, options) => AutoModel.from_pretrained(source, { ...options, worker: false }),
  AutoTokenizer: (source, options) => AutoTokenizer.from_pretrained(source, { ...options, worker: false }),
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

/** Plain data about an object that its proxy exposes as properties. */
function describe(object) {
  const info = {};
  for (const key of ['task', 'config', 'generation_config', 'defaults', 'hidden_size', 'max_position_embeddings',
    'padding_side', 'model_max_length', 'chat_template', 'bos_token', 'eos_token', 'pad_token', 'unk_token', 'all_special_ids']) {
    if (object[key] !== undefined && typeof object[key] !== 'function') info[key] = object[key];
  }
  for (const key of ['model', 'tokenizer']) if (object[key]) info[key] = { objectId: register(object[key]), info: describe(object[key]) };
  return info;
}

/** Calls a function of the page; resolves to what it returned, for the callers that need it. */
function callPage(id, args) {
  const reply = nextReply++;
  const answer = new Promise((resolve, reject) => replies.set(reply, { resolve, reject }));
  answer.catch(() => {}); // progress callbacks and streamers never look at the answer
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
    if (put !== undefined) return { put: resolve.callback(put), end: resolve.callback(end) };
    const streamer = new TextStreamer(objects.get(tokenizer), {
      skip_prompt, decode_kwargs, token_callback_function: tokens === null ? null : resolve.callback(tokens) });
    streamer.on_finalized_text = resolve.callback(text);
    return streamer;
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
      value = { objectId: register(object), info: { ...describe(object), runtime: await runtimeInfo() } };
    } else if (op === 'call') {
      const object = objects.get(message.objectId);
      value = encode(await object[message.method](...decode(message.args, resolve)), noHandles);
    } else if (op === 'dispose') {
      objects.get(message.objectId)?.dispose();
      objects.delete(message.objectId);
    }
    port.post({ op: 'result', id, value });
  } catch (error) {
    port.post({ op: 'result', id, error: encodeError(error) });
  } finally {
    for (const signalId of message.signals ?? []) signals.delete(signalId);
  }
});
port.post({ op: 'ready' });
