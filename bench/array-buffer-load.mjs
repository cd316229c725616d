// The loading that transformers.js-style code does, for bench/load.mjs to compare against (in
// Node and, imported by URL, in a page): the whole file fetched into one ArrayBuffer, then
// copied into the wasm heap.
import { CausalLM } from '../js/src/models/causal-lm.js';

export async function arrayBufferThenCopy(runtime, folderUrl) {
  const configText = await (await fetch(`${folderUrl}config.json`)).text();
  const buffer = await (await fetch(`${folderUrl}model.safetensors`)).arrayBuffer();
  const ptr = runtime.malloc(buffer.byteLength, 'model.safetensors');
  runtime.heapU8.set(new Uint8Array(buffer), ptr);
  const weights = runtime.plain('wax_weights_new');
  const name = runtime.copyString('model.safetensors', 'a name');
  runtime.call('wax_weights_add_file', weights, name, ptr, 0, buffer.byteLength);
  runtime.free(name);
  const config = runtime.copyString(configText, 'config.json');
  const options = runtime.copyString('{}', 'load options');
  const task = runtime.copyString(CausalLM.modelTask, 'the model task');
  const handle = runtime.call('wax_model_load', config, weights, options, task, 0);
  [config, options, task].forEach((ptr) => runtime.free(ptr));
  return new CausalLM(runtime, handle, JSON.parse(configText));
}
