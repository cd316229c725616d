// Generation beyond greedy: seeded sampling that agrees with the native build, streaming, and
// aborts during prefill and decode that land quickly and leave the model usable.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer } from '../../js/src/index.js';
import { writeRandomLlama } from '../../tools/random-llama.mjs';
import { fixtureDir } from './fixtures.mjs';

const NATIVE_GENERATE = fileURLToPath(new URL('../../build/native/wax_generate', import.meta.url));
const PROMPT = [1, 404, 442, 316, 312];
const SAMPLING = { max_new_tokens: 24, do_sample: true, temperature: 0.9, top_k: 40, top_p: 0.95, min_p: 0.01, repetition_penalty: 1.2, eos_token_id: [] };

describe('seeded sampling', () => {
  let model;
  before(async () => { model = await AutoModelForCausalLM.from_pretrained(fixtureDir('llama_gqa_tied')); });
  after(() => model.dispose());

  const sample = async (seed) => (await model.generate({ input_ids: [PROMPT], ...SAMPLING, seed })).tolist()[0].map(Number);

  it('repeats for a seed and changes with it', async () => {
    const first = await sample(7);
    assert.deepEqual(await sample(7), first);
    assert.notDeepEqual(await sample(8), first);
    assert.equal(first.length, PROMPT.length + SAMPLING.max_new_tokens);
  });

  it('gives the same text as the native build (examples/generate.cpp: text in, text out through src/api.h)', { skip: !existsSync(NATIVE_GENERATE) && 'build/native/wax_generate is not built' }, async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(fixtureDir('llama_gqa_tied'));
    const prompt = tokenizer.decode(PROMPT, { skip_special_tokens: true });
    for (const seed of [1, 7, 123456]) {
      const { stdout } = await promisify(execFile)(NATIVE_GENERATE,
        [fixtureDir('llama_gqa_tied'), prompt, JSON.stringify({ ...SAMPLING, seed })]);
      const ids = (await model.generate({ input_ids: [tokenizer.encode(prompt)], ...SAMPLING, seed })).tolist()[0].map(Number);
      assert.ok(ids.length > tokenizer.encode(prompt).length, `seed ${seed}: new tokens`);
      assert.equal(stdout, `${tokenizer.decode(ids, { skip_special_tokens: true })}\n`, `seed ${seed}`);
    }
    tokenizer.dispose?.();
  });

  it('streams the prompt, then every new token, then ends', async () => {
    const puts = [];
    let ended = false;
    const out = await model.generate({ input_ids: [PROMPT], ...SAMPLING, seed: 3, streamer: { put: (ids) => puts.push(ids), end: () => { ended = true; } } });
    assert.deepEqual(puts[0][0].map(Number), PROMPT);
    assert.deepEqual(puts.slice(1).map((ids) => Number(ids[0][0])), out.tolist()[0].slice(PROMPT.length).map(Number));
    assert.ok(ended);
  });

  it('stops a row at eos and pads it', async () => {
    const greedy = (await model.generate({ input_ids: [PROMPT], max_new_tokens: 10, eos_token_id: [] })).tolist()[0].map(Number);
    const eos = greedy[PROMPT.length + 2];
    const stopped = (await model.generate({ input_ids: [PROMPT], max_new_tokens: 10, eos_token_id: eos })).tolist()[0].map(Number);
    assert.deepEqual(stopped, greedy.slice(0, PROMPT.length + 3));
  });
});

describe('abort', () => {
  let scratch, model;
  // Large enough that prefill and decode take a while in wasm, small enough to write in a second.
  const shape = { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, intermediate_size: 768, vocab_size: 2048, tie_word_embeddings: true };
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'wax-abort-'));
    model = await AutoModelForCausalLM.from_pretrained(await writeRandomLlama(scratch, shape));
  });
  after(async () => {
    model.dispose();
    await rm(scratch, { recursive: true, force: true });
  });

  async function abortAfter(ms, options) {
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, ms);
    const error = await model.generate({ ...options, signal: controller.signal }).then(() => null, (e) => e);
    return { error, latency: performance.now() - abortedAt, abortedAt };
  }

  it('during prefill rejects with AbortError within 50 ms, and the model still works', async () => {
    const prompt = Array.from({ length: 1024 }, (_, i) => (i * 37) % shape.vocab_size);
    const { error, latency, abortedAt } = await abortAfter(30, { input_ids: [prompt], max_new_tokens: 1, eos_token_id: [] });
    assert.ok(abortedAt > 0, 'the abort fired before prefill finished');
    assert.equal(error?.name, 'AbortError');
    assert.ok(latency < 50, `rejected ${latency.toFixed(1)} ms after the signal`);
    const out = await model.generate({ input_ids: [[1, 2, 3]], max_new_tokens: 3, eos_token_id: [] });
    assert.deepEqual(out.dims, [1, 6]);
  });

  it('during decode rejects with AbortError within 50 ms, and the model still works', async () => {
    const { error, latency } = await abortAfter(100, { input_ids: [[1, 2, 3]], max_new_tokens: 4000, eos_token_id: [] });
    assert.equal(error?.name, 'AbortError');
    assert.ok(latency < 50, `rejected ${latency.toFixed(1)} ms after the signal`);
    const out = await model.generate({ input_ids: [[1, 2, 3]], max_new_tokens: 3, eos_token_id: [] });
    assert.deepEqual(out.dims, [1, 6]);
  });

  it('an already-aborted signal rejects at once', async () => {
    await assert.rejects(model.generate({ input_ids: [[1]], signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});
