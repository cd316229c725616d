// What crosses between the page and the wax worker: Tensors as their parts, functions and
// AbortSignals as handles the other side calls back through (a call answers with the function's
// result, so stopping criteria work across), errors with name, message and code.
import { WaxError } from '../errors.js';
import { TextStreamer } from '../streamers.js';
import { Tensor } from '../tensor.js';

const isRemote = (value) => value?.objectId !== undefined && !!value?.__remote;
/** What postMessage copies whole and Object.entries would empty: picked files' Blobs and ArrayBuffers. */
const isCloneable = (value) => value instanceof ArrayBuffer || (typeof Blob === 'function' && value instanceof Blob);

/**
 * A streamer crosses as handles to its own put() and end(), which the worker calls with each
 * step's ids. A TextStreamer over a tokenizer of the worker decodes there instead, as that
 * tokenizer's decode is a message away from here.
 */
function encodeStreamer(streamer, handles) {
  if (streamer instanceof TextStreamer && isRemote(streamer.tokenizer)) {
    const { tokenizer, skip_prompt, decode_kwargs, token_callback_function } = streamer;
    return { __streamer: { tokenizer: tokenizer.objectId, skip_prompt, decode_kwargs,
      text: handles.callback((text, streamEnd) => streamer.on_finalized_text(text, streamEnd)),
      tokens: token_callback_function ? handles.callback(token_callback_function) : null } };
  }
  return { __streamer: { put: handles.callback((ids) => streamer.put(ids)), end: handles.callback(() => streamer.end()) } };
}

/**
 * The decode streams of `tokenizer`, lent through one callback: ('new', rows, options) → an id,
 * ('push', id, ids) → the pieces, ('free', id).
 */
function lentDecodeStreams(tokenizer) {
  const streams = new Map();
  let last = 0;
  return (op, id, arg) => {
    if (op === 'new') {
      streams.set(++last, tokenizer.decode_stream(id, arg));
      return last;
    }
    if (op === 'push') return streams.get(id).push(arg);
    streams.get(id)?.dispose();
    streams.delete(id);
    return null;
  };
}

/** Encodes `value` for postMessage; functions and signals become handles registered in `handles`. */
export function encode(value, handles, depth = 0) {
  if (value instanceof Tensor) return { __tensor: { type: value.type, dims: value.dims, data: value.data } };
  if (isRemote(value)) return { __object: value.objectId };
  // A tokenizer of this side (stop_strings' tokenizer) lends the worker its decode() and, a wax
  // tokenizer, its decode streams (one message a token instead of the whole text again).
  if (typeof value?.decode === 'function' && typeof value.encode === 'function') {
    return { __decoder: handles.callback((ids, options) => value.decode(ids, options)),
      streams: typeof value.decode_stream === 'function' ? handles.callback(lentDecodeStreams(value)) : null };
  }
  if (typeof value?.put === 'function' && typeof value.end === 'function') return encodeStreamer(value, handles);
  if (typeof value === 'function') return { __callback: handles.callback(value) };
  if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return { __signal: handles.signal(value) };
  if (depth > 4 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || isCloneable(value)) return value;
  if (Array.isArray(value)) return value.map((v) => encode(v, handles, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, handles, depth + 1)]));
}

/** A tokenizer of the other side: its decode() and, when it lent them, its decode streams. */
function remoteDecoder(decode, streams) {
  if (!streams) return { decode };
  return {
    decode,
    decode_stream: async (rows, options) => {
      const id = await streams('new', rows, options);
      return { push: (ids) => streams('push', id, ids), dispose: () => streams('free', id) };
    },
  };
}

/** The inverse of `encode`; `resolve` turns handles into local functions, signals and objects. */
export function decode(value, resolve, depth = 0) {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || isCloneable(value) || depth > 5) return value;
  if (value.__tensor) return new Tensor(value.__tensor.type, value.__tensor.data, value.__tensor.dims);
  if (value.__callback !== undefined) return resolve.callback(value.__callback);
  if (value.__signal !== undefined) return resolve.signal(value.__signal);
  if (value.__streamer) return resolve.streamer(value.__streamer);
  if (value.__decoder !== undefined) return remoteDecoder(resolve.callback(value.__decoder), value.streams === null ? null : resolve.callback(value.streams));
  if (value.__object !== undefined) return resolve.object(value.__object);
  if (Array.isArray(value)) return value.map((v) => decode(v, resolve, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, resolve, depth + 1)]));
}

export function encodeError(error) {
  return { name: error?.name ?? 'Error', message: error?.message ?? String(error), code: error?.code, stack: error?.stack };
}

/** A real Error on this side with the same name, message and code. */
export function decodeError({ name, message, code, stack }) {
  if (name === 'AbortError') return new DOMException(message, 'AbortError');
  const error = code ? new WaxError(message, { code }) : new Error(message);
  error.name = name;
  if (stack) error.stack = `${name}: ${message}\n    (in the wax worker)\n${stack.split('\n').slice(1).join('\n')}`;
  return error;
}

/**
 * The buffers of the tensors in an encoded `value`, each once, for a transfer list: a result
 * of the worker moves to the page instead of being copied. A SharedArrayBuffer is never moved.
 */
export function transferablesOf(value, found = new Set(), depth = 0) {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || depth > 5) return [...found];
  const buffer = value.__tensor?.data?.buffer;
  if (buffer instanceof ArrayBuffer) found.add(buffer);
  else for (const item of Object.values(value)) transferablesOf(item, found, depth + 1);
  return [...found];
}

/** postMessage (with an optional transfer list) and message events for browser Workers, worker_threads and their parent port alike. */
export function portOf(target) {
  const post = (message, transfer = []) => target.postMessage(message, transfer);
  if (typeof target.on === 'function') return { post, listen: (fn) => target.on('message', fn) };
  return { post, listen: (fn) => target.addEventListener('message', (e) => fn(e.data)) };
}
