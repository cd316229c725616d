// Every forward runs in steps of one layer (C++ jobs, src/models/job.h; decode too, as src/api.h's generate job),
// so an AbortSignal stops a BERT forward, a Llama forward and a decode step mid-way: the call
// rejects with the signal's reason before the next layer runs, the model answers as before and
// the heap is back where it was (issue 12, point 3).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, AutoTokenizer, pipeline } from '../../js/src/index.js';
import { getRuntime } from '../../js/src/runtime.js';
import { fixtureDir } from './fixtures.mjs';

const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));

/**
 * Runs `run(signal)` with runtime.call watched: `abortAt(name, result, calls)` is asked after
 * every call and aborts the signal (with a reason of our own) when it answers true. Resolves to
 * the step calls made after the abort (0 when the abort landed before the next layer).
 */
async function abortWhen(run, abortAt) {
  const runtime = await getRuntime();
  const controller = new AbortController();
  const reason = new Error('stopped by the test');
  const { call } = runtime;
  const calls = [];
  let afterAbort = 0;
  runtime.call = function watched(name, ...args) {
    const result = call.call(this, name, ...args);
    if (controller.signal.aborted && name.endsWith('_step')) afterAbort++;
    calls.push({ name, result });
    if (!controller.signal.aborted && abortAt(name, result, calls)) controller.abort(reason);
    return result;
  };
  try {
    await assert.rejects(run(controller.signal), (error) => error === reason);
  } finally {
    runtime.call = call;
  }
  return { afterAbort, steps: calls.filter((c) => c.name.endsWith('_step')).length };
}

/**
 * The heap is back where it was: within 64 bytes, since dlmalloc hands out a whole free chunk when
 * the rest would be under 16 bytes, so the buffers a model keeps shift by 8 with the heap's layout;
 * a leaked job or generator holds its activations, kilobytes at least.
 */
function assertHeapBack(runtime, before) {
  const now = runtime.heapUsed();
  assert.ok(Math.abs(now - before) <= 64, `heap in use ${now} bytes, before the aborted call ${before}`);
}

/** Aborts after the `n`th call of `stepName` (mid-way when the work has more steps). */
const afterSteps = (stepName, n) => (name, result, calls) => name === stepName && calls.filter((c) => c.name === stepName).length === n;

/** The number of `stepName` calls that `run()` makes when left alone. */
async function stepsOf(run, stepName) {
  const runtime = await getRuntime();
  const { call } = runtime;
  let steps = 0;
  runtime.call = function counted(name, ...args) {
    if (name === stepName) steps++;
    return call.call(this, name, ...args);
  };
  try {
    await run();
  } finally {
    runtime.call = call;
  }
  return steps;
}

describe('aborting a BERT forward mid-way', () => {
  let model, tokenizer, runtime, batch;
  before(async () => {
    model = await AutoModel.from_pretrained(fixtureDir('bert_tiny_st'));
    tokenizer = await AutoTokenizer.from_pretrained(fixtureDir('bert_tiny_st'));
    runtime = await getRuntime();
    const long = Array.from({ length: 40 }, (_, i) => `sentence ${i} about the quick brown fox and the lazy dog`);
    batch = tokenizer(long, { padding: true, truncation: true });
  });
  after(() => model?.dispose());

  for (const [what, run] of [
    ['forward', (signal) => model.forward(batch, { signal })],
    ['model(inputs, options)', (signal) => model(batch, { signal })],
    ['embed', (signal) => model.embed(batch, { pooling: 'mean', normalize: true, signal })],
  ]) {
    it(`${what}: rejects with the reason before the next layer, then answers the same with the heap back`, async () => {
      const expected = await run();
      const heap = runtime.heapUsed();
      const layers = await stepsOf(run, 'wax_job_step');
      assert.equal(layers, model.config.num_hidden_layers);
      const { afterAbort } = await abortWhen(run, afterSteps('wax_job_step', 1));
      assert.equal(afterAbort, 0);
      assertHeapBack(runtime, heap);
      const again = await run();
      const pick = (out) => (out.last_hidden_state ?? out).data;
      assert.deepEqual(pick(again), pick(expected));
    });
  }

  it('an already aborted signal rejects before any work', async () => {
    const reason = new Error('already');
    const steps = await stepsOf(() => assert.rejects(model.embed(batch, { signal: AbortSignal.abort(reason) }), (e) => e === reason),
      'wax_job_step');
    assert.equal(steps, 0);
  });

  it('the feature-extraction pipeline passes its signal to each batch', async () => {
    const extractor = await pipeline('feature-extraction', fixtureDir('bert_tiny_st'));
    try {
      const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
      const expected = await extractor(texts);
      const heap = runtime.heapUsed();
      const { afterAbort } = await abortWhen((signal) => extractor(texts, { signal }), afterSteps('wax_job_step', 1));
      assert.equal(afterAbort, 0);
      assertHeapBack(runtime, heap);
      assert.deepEqual((await extractor(texts)).data, expected.data);
    } finally {
      await extractor.dispose();
    }
  });
});

describe('aborting a Llama forward and a decode step mid-way', () => {
  let model, runtime;
  const prompt = [Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 4000))];
  before(async () => {
    model = await AutoModelForCausalLM.from_pretrained(KJV);
    runtime = await getRuntime();
  });
  after(() => model?.dispose());

  it('forward of a long prompt: one decoder layer a step, aborted after the second', async () => {
    const run = (signal) => model.forward({ input_ids: prompt }, { signal });
    const expected = await run();
    const heap = runtime.heapUsed();
    assert.equal(await stepsOf(run, 'wax_job_step'), model.config.num_hidden_layers);
    const { afterAbort } = await abortWhen(run, afterSteps('wax_job_step', 2));
    assert.equal(afterAbort, 0);
    assertHeapBack(runtime, heap);
    assert.deepEqual((await run()).logits.data, expected.logits.data);
  });

  it('decode: aborted between the layers of a step after the first new token', async () => {
    const run = (signal) => model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 8, do_sample: false, eos_token_id: [], signal });
    const expected = await run();
    const heap = runtime.heapUsed();
    // Abort once a token is out and the next step's first layer has run (state 0: a layer done).
    const midDecode = (name, result, calls) => name === 'wax_job_step' && result === 0 &&
      calls.some((c) => c.name === 'wax_job_step' && c.result === 1);
    const { afterAbort } = await abortWhen(run, midDecode);
    assert.equal(afterAbort, 0);
    assertHeapBack(runtime, heap);
    assert.deepEqual((await run()).tolist(), expected.tolist());
  });
});

describe('aborting a forward in the wax worker', () => {
  it('the signal crosses: a long forward rejects with an AbortError and the model answers after', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(KJV, { worker: true });
    try {
      const input_ids = [Array.from({ length: 256 }, (_, i) => 1 + ((i * 37) % 4000))];
      const controller = new AbortController();
      const running = model.forward({ input_ids }, { signal: controller.signal });
      controller.abort();
      await assert.rejects(running, { name: 'AbortError' });
      assert.deepEqual((await model.forward({ input_ids: [[1, 404, 442]] })).logits.dims, [1, 3, 4096]);
    } finally {
      await model.dispose();
    }
  });
});
