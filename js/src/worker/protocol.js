// What crosses between the page and the wax worker: Tensors as their parts, functions and
// AbortSignals as handles the other side calls back through, errors with name, message and code.
import { WaxError } from '../errors.js';
import { TextStreamer } from '../streamers.js';
import { Tensor } from '../tensor.js';

/** Encodes `value` for postMessage; functions and signals become handles registered in `handles`. */
export function encode(value, handles, depth = 0) {
  if (value instanceof Tensor) return { __tensor: { type: value.type, dims: value.dims, data: value.data } };
  if (typeof value === 'function') return { __callback: handles.callback(value) };
  if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return { __signal: handles.signal(value) };
  if (value instanceof TextStreamer || value?.__remoteStreamer) {
    return { __streamer: { tokenizer: value.tokenizer?.objectId ?? null, skip_prompt: value.skip_prompt,
      decode_kwargs: value.decode_kwargs, callback: handles.callback((text) => value.callback_function(text)) } };
  }
  if (value?.objectId !== undefined && value?.__remote) return { __object: value.objectId };
  if (depth > 4 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => encode(v, handles, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, handles, depth + 1)]));
}

/** The inverse of `encode`; `resolve` turns handles into local functions, signals and objects. */
export function decode(value, resolve, depth = 0) {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || depth > 5) return value;
  if (value.__tensor) return new Tensor(value.__tensor.type, value.__tensor.data, value.__tensor.dims);
  if (value.__callback !== undefined) return resolve.callback(value.__callback);
  if (value.__signal !== undefined) return resolve.signal(value.__signal);
  if (value.__streamer) return resolve.streamer(value.__streamer);
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

/** postMessage / message events for browser Workers, worker_threads and their parent port alike. */
export function portOf(target) {
  if (typeof target.on === 'function') {
    return { post: (m) => target.postMessage(m), listen: (fn) => target.on('message', fn) };
  }
  return { post: (m) => target.postMessage(m), listen: (fn) => target.addEventListener('message', (e) => fn(e.data)) };
}
