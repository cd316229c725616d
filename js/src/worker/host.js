// The wax worker: runs models in-process here and answers the page's requests (remote.js).
import { env } from '../env.js';
import { AutoModel } from '../models/encoder.js';
import { AutoModelForCausalLM } from '../models/causal-lm.js';
import { pipeline } from '../pipelines/index.js';
import { runtimeInfo } from '../runtime.js';
import { TextStreamer } from '../streamers.js';
import { AutoTokenizer } from '../tokenizer.js';
import { decode, encode, encodeError, portOf } from './protocol.js';

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
let nextObject = 1;

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

const resolve = {
  callback: (id) => (...args) => port.post({ op: 'callback', id, args: encode(args, noHandles) }),
  signal: (id) => {
    const controller = new AbortController();
    signals.set(id, controller);
    return controller.signal;
  },
  streamer: ({ tokenizer, skip_prompt, decode_kwargs, callback }) =>
    new TextStreamer(objects.get(tokenizer), { skip_prompt, decode_kwargs, callback_function: resolve.callback(callback) }),
  object: (id) => objects.get(id),
};
const noHandles = {
  callback: () => { throw new Error('functions cannot be returned from the wax worker'); },
  signal: () => { throw new Error('signals cannot be returned from the wax worker'); },
};

port.listen(async (message) => {
  const { op, id } = message;
  if (op === 'abort') {
    signals.get(message.signal)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
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
