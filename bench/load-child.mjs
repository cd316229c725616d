// One measured load in a fresh Node process (so its peak RSS is this load's alone), for
// bench/load.mjs:  node bench/load-child.mjs <wax|arraybuffer> <hub url> <repo id>
// Prints one JSON line: { ms, peak_rss, base_rss, weight_bytes }.
import { AutoModelForCausalLM, env } from '../js/src/index.js';
import { arrayBufferThenCopy } from './array-buffer-load.mjs';
import { getRuntime } from '../js/src/runtime.js';

const [method, hubUrl, repo] = process.argv.slice(2);
Object.assign(env, { remoteHost: hubUrl, useFSCache: false });
const runtime = await getRuntime();
const rss = () => process.resourceUsage().maxRSS * 1024;
const base = rss();


const start = performance.now();
const model = method === 'wax' ? await AutoModelForCausalLM.from_pretrained(repo) : await arrayBufferThenCopy(runtime, `${hubUrl}${repo}/resolve/main/`);
const ms = performance.now() - start;
const weightBytes = model.modelInfo().weight_bytes;
model.dispose();
console.log(JSON.stringify({ ms, peak_rss: rss(), base_rss: base, weight_bytes: weightBytes }));
