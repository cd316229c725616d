// Forward-pass speed of a SmolLM2-135M-shaped random Llama: native build against the .wasm in
// Node, measured in one run (these machines are shared and noisy: compare the ratio, not times).
//   node bench/run.mjs [--runs 5 --prompt 128 --decode 64] [--shapes 135m,1b --wllama 2.4.0]
// (--runs, --shapes and --wllama reach the scripts imported at the end, which read them themselves)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { AutoModelForCausalLM, env } from '../js/src/index.js';
import { writeRandomLlama } from '../tools/random-llama.mjs';

const { values: args } = parseArgs({ options: {
  runs: { type: 'string', default: '5' }, prompt: { type: 'string', default: '128' }, decode: { type: 'string', default: '64' },
  shapes: { type: 'string' }, wllama: { type: 'string' },
} });
const runs = Number(args.runs), promptTokens = Number(args.prompt), decodeTokens = Number(args.decode);
const root = fileURLToPath(new URL('..', import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function nativeSpeed(folder) {
  const { stdout } = await promisify(execFile)(`${root}build/native/wax_bench_llama`,
    [folder, String(promptTokens), String(decodeTokens), String(runs)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

async function wasmSpeed(folder) {
  const model = await AutoModelForCausalLM.from_pretrained(folder);
  const vocab = model.config.vocab_size;
  const prompt = [Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 1) % vocab)];
  const first = [[prompt[0][0]]];
  const prefill = [], decode = [];
  try {
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      await model.forward({ input_ids: prompt });
      prefill.push(promptTokens / ((performance.now() - start) / 1000));

      start = performance.now();
      await model.generate({ input_ids: first, max_new_tokens: 1, eos_token_id: [] });
      const one = performance.now() - start;
      start = performance.now();
      await model.generate({ input_ids: first, max_new_tokens: decodeTokens + 1, eos_token_id: [] });
      decode.push(decodeTokens / ((performance.now() - start - one) / 1000));
    }
  } finally {
    model.dispose();
  }
  return { prefill_tokens_per_s: median(prefill), decode_tokens_per_s: median(decode) };
}

env.wasm.numThreads = 1; // the native run below uses one thread too
const folder = await writeRandomLlama(`${root}bench/.cache/smollm2-135m-f32`, 'smollm2-135m');
console.log(`SmolLM2-135M shape, random f32 weights, 1 thread, ${promptTokens}-token prompt, ${decodeTokens} decoded tokens, median of ${runs}`);
const native = await nativeSpeed(folder);
const wasm = await wasmSpeed(folder);
const row = (label, key) => `${label.padEnd(22)} ${native[key].toFixed(1).padStart(10)} ${wasm[key].toFixed(1).padStart(12)} ${(wasm[key] / native[key]).toFixed(2).padStart(12)}`;
console.log(`${'tokens/s'.padEnd(22)} ${'native'.padStart(10)} ${'wasm (Node)'.padStart(12)} ${'wasm/native'.padStart(12)}`);
console.log(row('prefill (forward)', 'prefill_tokens_per_s'));
console.log(row('decode (KV cache)', 'decode_tokens_per_s'));
await import('./tokenizer.mjs'); // tokenizer throughput against @huggingface/tokenizers
await import('./bert.mjs'); // embeddings against onnxruntime-web
await import('./llm.mjs'); // LLM prefill/decode against native llama.cpp
await import('./browser-llm.mjs'); // the same in Chromium against wllama
await import('./whisper.mjs'); // speech recognition against whisper.cpp (native and wasm) and onnxruntime-web
