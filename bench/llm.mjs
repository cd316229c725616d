// Language-model speed on the SmolLM2-135M shape (random weights): wax in Node against native
// llama.cpp (node-llama-cpp, CPU build) on the GGUF of the same weights and type, prompt
// processing (128 tokens) and decode (64 tokens), 1 and 2 threads, F32/Q8_0/Q4_0, medians of 5,
// each engine, type and thread count in its own process, all in one run.
//   node bench/llm.mjs [--runs 5]
// node-llama-cpp is installed into bench/.peers/llama on first use (never a dependency of wax).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { writeRandomLlama } from '../tools/random-llama.mjs';
import { toGguf } from '../tools/to-gguf.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const peers = `${root}bench/.peers/llama`;
const PROMPT = 128, DECODE = 64;
const TYPES = [['fp32', 'F32'], ['q8', 'Q8_0'], ['q4', 'Q4_0']];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const promptIds = (vocab) => Array.from({ length: PROMPT }, (_, i) => 300 + ((i * 7919) % (vocab - 300)));

async function waxRun(folder, dtype, threads, runs) {
  const { AutoModelForCausalLM, env } = await import('../js/src/index.js');
  env.wasm.numThreads = threads;
  const model = await AutoModelForCausalLM.from_pretrained(folder, { dtype });
  const ids = promptIds(model.config.vocab_size);
  const prefill = [], decode = [];
  for (let r = 0; r <= runs; r++) { // the first run warms up
    let start = performance.now();
    await model.generate({ input_ids: [ids], max_new_tokens: 1, eos_token_id: [] });
    const prompt = performance.now() - start;
    start = performance.now();
    await model.generate({ input_ids: [ids], max_new_tokens: DECODE + 1, eos_token_id: [] });
    if (r === 0) continue;
    prefill.push(PROMPT / (prompt / 1000));
    decode.push(DECODE / ((performance.now() - start - prompt) / 1000));
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  model.dispose();
  return { prefill: median(prefill), decode: median(decode), peak };
}

async function llamaRun(gguf, threads, runs, vocab) {
  const { getLlama } = await import(pathToFileURL(createRequire(`${peers}/`).resolve('node-llama-cpp')).href);
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
  const model = await llama.loadModel({ modelPath: gguf });
  const ids = promptIds(vocab);
  const prefill = [], decode = [];
  for (let r = 0; r <= runs; r++) {
    const context = await model.createContext({ contextSize: 512, threads, batchSize: 512 });
    const sequence = context.getSequence();
    let start = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(ids);
    const prompt = performance.now() - start;
    start = performance.now();
    let made = 0;
    for await (const token of sequence.evaluate([ids.at(-1)], { temperature: 0 })) { // eslint-disable-line no-unused-vars
      if (++made >= DECODE) break;
    }
    const elapsed = performance.now() - start;
    await context.dispose();
    if (r === 0) continue;
    prefill.push(PROMPT / (prompt / 1000));
    decode.push(DECODE / (elapsed / 1000));
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  await model.dispose();
  await llama.dispose();
  return { prefill: median(prefill), decode: median(decode), peak };
}

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, child: { type: 'string' } }, strict: false });
if (args.child) {
  const [engine, file, type, threads, vocab] = args.child.split(',');
  const result = engine === 'wax' ? await waxRun(file, type, Number(threads), Number(args.runs))
    : await llamaRun(file, Number(threads), Number(args.runs), Number(vocab));
  console.log(JSON.stringify(result));
} else {
  if (!existsSync(`${peers}/node_modules/node-llama-cpp`)) {
    console.log('installing node-llama-cpp@3.22.1 into bench/.peers/llama (prebuilt CPU binaries) …');
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', peers, 'node-llama-cpp@3.22.1'], { stdio: 'inherit' });
  }
  const folder = await writeRandomLlama(`${root}bench/.cache/smollm2-135m-f32`, 'smollm2-135m');
  const vocab = 49152;
  console.log(`\nLLM, SmolLM2-135M shape, random weights, ${PROMPT}-token prompt, ${DECODE} decoded tokens, medians of ${args.runs}; load ${loadavg()[0].toFixed(2)}`);
  console.log('wax: Node, .wasm; llama.cpp: native (node-llama-cpp), GGUF of the same weights converted by tools/to-gguf.mjs');
  console.log('type   threads   prefill tok/s: wax  llama.cpp  ratio    decode tok/s: wax  llama.cpp  ratio    peak MB: wax  llama.cpp');
  for (const [dtype, ggufType] of TYPES) {
    const gguf = `${root}bench/.cache/smollm2-135m-${ggufType}.gguf`;
    if (!existsSync(gguf)) await toGguf(folder, gguf, ggufType);
    for (const threads of [1, 2]) {
      const run = async (engine, file) => JSON.parse((await promisify(execFile)(process.execPath,
        [fileURLToPath(import.meta.url), '--runs', args.runs, '--child', `${engine},${file},${dtype},${threads},${vocab}`], { maxBuffer: 1 << 20 })).stdout);
      const ours = await run('wax', folder);
      const theirs = await run('llama', gguf);
      const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
      console.log(`${dtype.padEnd(6)} ${String(threads).padStart(7)}   ${ours.prefill.toFixed(1).padStart(17)} ${theirs.prefill.toFixed(1).padStart(10)} ${(ours.prefill / theirs.prefill).toFixed(2).padStart(6)}` +
        `   ${ours.decode.toFixed(1).padStart(17)} ${theirs.decode.toFixed(1).padStart(10)} ${(ours.decode / theirs.decode).toFixed(2).padStart(6)}` +
        `   ${mb(ours.peak).padStart(12)} ${mb(theirs.peak).padStart(10)}`);
    }
  }
}
