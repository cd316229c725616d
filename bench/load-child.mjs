// One measured load in a fresh Node process (so its peak RSS is this load's alone), for
// bench/load.mjs:  node bench/load-child.mjs <wax|arraybuffer> <hub url> <repo id>
// Prints one JSON line: { ms, peak_rss, base_rss, weight_bytes }.
import { AutoModelForCausalLM, env } from '../js/src/index.js';
import { CausalLM } from '../js/src/models/causal-lm.js';
import { getRuntime } from '../js/src/runtime.js';

const [method, hubUrl, repo] = process.argv.slice(2);
Object.assign(env, { remoteHost: hubUrl, useFSCache: false });
const runtime = await getRuntime();
const rss = () => process.resourceUsage().maxRSS * 1024;
const base = rss();

/** transformers.js-style: the whole file as one ArrayBuffer, then copied into the heap. */
async function arrayBufferThenCopy() {
  const folder = `${hubUrl}${repo}/resolve/main/`;
  const configText = await (await fetch(`${folder}config.json`)).text();
  const buffer = await (await fetch(`${folder}model.safetensors`)).arrayBuffer();
  const ptr = runtime.malloc(buffer.byteLength, 'model.safetensors');
  runtime.heapU8.set(new Uint8Array(buffer), ptr);
  const weights = runtime.plain('wax_weights_new');
  const name = runtime.copyString('model.safetensors', 'a name');
  runtime.call('wax_weights_add_file', weights, name, ptr, buffer.byteLength);
  runtime.free(name);
  const config = runtime.copyString(configText, 'config.json');
  const handle = runtime.call('wax_causal_lm_load', config, weights);
  runtime.free(config);
  return new CausalLM(runtime, handle, JSON.parse(configText), {});
}

const start = performance.now();
const model = method === 'wax' ? await AutoModelForCausalLM.from_pretrained(repo) : await arrayBufferThenCopy();
const ms = performance.now() - start;
const weightBytes = runtime.plain('wax_causal_lm_weight_bytes', model.handle);
model.dispose();
console.log(JSON.stringify({ ms, peak_rss: rss(), base_rss: base, weight_bytes: weightBytes }));
