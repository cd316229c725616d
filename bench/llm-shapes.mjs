// The model shapes of the LLM benchmarks (bench/llm.mjs in Node, bench/browser-llm.mjs in Chromium)
// and the files both read, made once into bench/.cache: a checkpoint of random weights per shape
// (tools/random-llama.mjs) and, per type, the GGUF of the same weights (tools/to-gguf.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { SHAPES, writeRandomLlama } from '../tools/random-llama.mjs';
import { toGguf } from '../tools/to-gguf.mjs';

const cache = fileURLToPath(new URL('.cache/', import.meta.url));

/** Timed runs for a median worth the name on these noisy machines. */
const FULL_RUNS = 5;

/** wax dtype → the GGUF type of the same precision. */
export const GGUF_TYPES = { fp32: 'F32', q8: 'Q8_0', q4: 'Q4_0' };

/**
 * By --shapes key, each with its default number of timed runs (medians of 5 for both: the 1B
 * lines make `npm run bench` about an hour on two cores, wllama's 1B runs taking most of it).
 * The 1B checkpoint is BF16 and runs as q8/q4 only: its fp32 (4.9 GB) cannot fit wasm32's 4 GiB.
 * It is one 2.47 GB file, as the real model's: wax streams files above 1 GiB in runs of tensors
 * (one malloc past 2 GiB fails in Emscripten 3.1.6).
 */
export const LLM_SHAPES = {
  '135m': { name: 'smollm2-135m', label: 'SmolLM2-135M', checkpointDtype: 'F32', dtypes: ['fp32', 'q8', 'q4'], runs: FULL_RUNS },
  '1b': { name: 'llama-1b', label: 'Llama-3.2-1B', checkpointDtype: 'BF16', dtypes: ['q8', 'q4'], runs: FULL_RUNS },
};

/**
 * The shapes named by a --shapes list ('135m,1b'), each with its vocabulary size, its run count
 * (`runs` overrides the defaults) and `runsLabel`, which says how speeds were summarized.
 */
export function selectShapes(list, runs) {
  return list.split(',').map((key) => {
    const shape = LLM_SHAPES[key.trim()];
    if (!shape) throw new Error(`--shapes: unknown shape '${key}' (known: ${Object.keys(LLM_SHAPES).join(', ')})`);
    const count = runs === undefined ? shape.runs : Number(runs);
    const runsLabel = (count === 1 ? '1 timed run' : `medians of ${count} runs`) + ' after a warm-up' +
      (runs === undefined && count < FULL_RUNS ? ' (fewer by default at this size, where runs take minutes; --runs N sets it)' : '');
    return { ...shape, vocab: SHAPES[shape.name].vocab_size, runs: count, runsLabel };
  });
}

/** The checkpoint folder (config.json + model.safetensors), written on first use. */
export function checkpointFolder(shape) {
  return writeRandomLlama(`${cache}${shape.name}-${shape.checkpointDtype.toLowerCase()}`, shape.name, { dtype: shape.checkpointDtype, maxShardBytes: shape.maxShardBytes });
}

/** The GGUF of the checkpoint's weights as `dtype`, converted on first use. */
export async function ggufFile(shape, dtype) {
  const type = GGUF_TYPES[dtype];
  const file = `${cache}${shape.name}-${type}.gguf`;
  if (!existsSync(file)) await toGguf(await checkpointFolder(shape), file, type);
  return file;
}
