// Language-model speed on named shapes (random weights; bench/llm-shapes.mjs): wax in Node against
// native llama.cpp (node-llama-cpp, CPU build) on the GGUF of the same weights and type, prompt
// processing (128 tokens) and decode (64 tokens), 1 and 2 threads, medians (bench/llm-timing.mjs),
// each engine, type and thread count in its own process, all in one run.
//   node bench/llm.mjs [--shapes 135m,1b] [--runs N]    (default: medians of 5 runs)
// node-llama-cpp is installed into bench/.peers/llama on first use (never a dependency of wax).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { checkpointFolder, ggufFile, selectShapes } from './llm-shapes.mjs';
import { DECODE_TOKENS, PROMPT_TOKENS, medianSpeeds, promptIds, waxOnce } from './llm-timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const peers = `${root}bench/.peers/llama`;

async function waxRun(folder, dtype, threads, runs) {
  const { AutoModelForCausalLM, env } = await import('../js/src/index.js');
  env.wasm.numThreads = threads;
  const model = await AutoModelForCausalLM.from_pretrained(folder, { dtype });
  const ids = promptIds(model.config.vocab_size);
  const speeds = await medianSpeeds(runs, () => waxOnce(model, ids));
  const peak = process.resourceUsage().maxRSS * 1024;
  model.dispose();
  return { ...speeds, peak };
}

async function llamaRun(gguf, threads, runs, vocab) {
  const { getLlama } = await import(pathToFileURL(createRequire(`${peers}/`).resolve('node-llama-cpp')).href);
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
  const model = await llama.loadModel({ modelPath: gguf });
  const ids = promptIds(vocab);
  const speeds = await medianSpeeds(runs, async () => {
    const context = await model.createContext({ contextSize: 512, threads, batchSize: 512 });
    const sequence = context.getSequence();
    let start = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(ids);
    const promptMs = performance.now() - start;
    start = performance.now();
    let made = 0;
    for await (const token of sequence.evaluate([ids.at(-1)], { temperature: 0 })) { // eslint-disable-line no-unused-vars
      if (++made >= DECODE_TOKENS) break;
    }
    const decodeMs = performance.now() - start;
    await context.dispose();
    return { promptMs, decodeMs };
  });
  const peak = process.resourceUsage().maxRSS * 1024;
  await model.dispose();
  await llama.dispose();
  return { ...speeds, peak };
}

const { values: args } = parseArgs({ options: {
  runs: { type: 'string' }, shapes: { type: 'string', default: '135m,1b' }, child: { type: 'string' },
}, strict: false });
if (args.child) {
  const [engine, file, type, threads, vocab] = args.child.split(',');
  const result = engine === 'wax' ? await waxRun(file, type, Number(threads), Number(args.runs))
    : await llamaRun(file, Number(threads), Number(args.runs), Number(vocab));
  console.log(JSON.stringify(result));
} else {
  const shapes = selectShapes(args.shapes, args.runs);
  if (!existsSync(`${peers}/node_modules/node-llama-cpp`)) {
    console.log('installing node-llama-cpp@3.22.1 into bench/.peers/llama (prebuilt CPU binaries) …');
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', peers, 'node-llama-cpp@3.22.1'], { stdio: 'inherit' });
  }
  for (const shape of shapes) {
    const folder = await checkpointFolder(shape);
    console.log(`\nLLM, ${shape.label} shape, random ${shape.checkpointDtype} weights, ${PROMPT_TOKENS}-token prompt, ${DECODE_TOKENS} decoded tokens, ` +
      `${shape.runsLabel}; load ${loadavg()[0].toFixed(2)}`);
    console.log('wax: Node, .wasm; llama.cpp: native (node-llama-cpp), GGUF of the same weights converted by tools/to-gguf.mjs');
    console.log('type   threads   prefill tok/s: wax  llama.cpp  ratio    decode tok/s: wax  llama.cpp  ratio    peak MB: wax  llama.cpp');
    for (const dtype of shape.dtypes) {
      const gguf = await ggufFile(shape, dtype);
      for (const threads of [1, 2]) {
        const run = async (engine, file) => JSON.parse((await promisify(execFile)(process.execPath,
          [fileURLToPath(import.meta.url), '--runs', String(shape.runs), '--child', `${engine},${file},${dtype},${threads},${shape.vocab}`], { maxBuffer: 1 << 20 })).stdout);
        const ours = await run('wax', folder);
        const theirs = await run('llama', gguf);
        const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
        console.log(`${dtype.padEnd(6)} ${String(threads).padStart(7)}   ${ours.prefill.toFixed(1).padStart(17)} ${theirs.prefill.toFixed(1).padStart(10)} ${(ours.prefill / theirs.prefill).toFixed(2).padStart(6)}` +
          `   ${ours.decode.toFixed(1).padStart(17)} ${theirs.decode.toFixed(1).padStart(10)} ${(ours.decode / theirs.decode).toFixed(2).padStart(6)}` +
          `   ${mb(ours.peak).padStart(12)} ${mb(theirs.peak).padStart(10)}`);
      }
    }
  }
}
