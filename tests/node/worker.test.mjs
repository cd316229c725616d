// { worker: true } in Node: the same API through worker_threads, with streams, aborts, progress
// and errors crossing, callable proxies, a worker that is gone after dispose(), and one that never
// keeps Node alive while idle.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, AutoTokenizer, Tensor, TextStreamer, WaxError, pipeline } from '../../js/src/index.js';
import { fixtureDir } from './fixtures.mjs';

const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));

describe("pipeline('text-generation', …, { worker: true })", () => {
  let remote, local;
  const events = [];
  before(async () => {
    remote = await pipeline('text-generation', KJV, { worker: true, progress_callback: (e) => events.push(e.status) });
    local = await pipeline('text-generation', KJV);
  });
  after(async () => {
    await remote?.dispose();
    local?.dispose();
  });

  it('gives what the in-process pipeline gives, with progress events from the worker', async () => {
    const options = { max_new_tokens: 20, do_sample: true, seed: 11 };
    assert.deepEqual(await remote('In the beginning', options), await local('In the beginning', options));
    assert.equal(events.at(-1), 'ready');
    assert.equal(remote.model.config.model_type, 'llama');
  });

  it('streams through stream() and a TextStreamer-like callback', async () => {
    let streamed = '';
    for await (const piece of remote.stream('And God said', { max_new_tokens: 15, do_sample: false })) streamed += piece;
    const [{ generated_text }] = await local('And God said', { max_new_tokens: 15, do_sample: false, return_full_text: false });
    assert.equal(streamed, generated_text);
  });

  it('aborts across the boundary and stays usable', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // 250 new tokens (the bundled model's positions allow no more) take about a second.
    await assert.rejects(remote('And', { max_new_tokens: 250, eos_token_id: [], signal: controller.signal }), { name: 'AbortError' });
    const [{ generated_text }] = await remote('And', { max_new_tokens: 3, do_sample: false });
    assert.ok(generated_text.startsWith('And'));
  });
});

describe('a worker model with objects of this side', () => {
  let model, tokenizer, input_ids;
  before(async () => {
    model = await AutoModelForCausalLM.from_pretrained(KJV, { worker: true });
    tokenizer = await AutoTokenizer.from_pretrained(KJV); // in-process, as on a page by default
    input_ids = [tokenizer.encode('In the beginning')];
  });
  after(() => {
    tokenizer?.dispose();
    return model?.dispose();
  });
  const newText = (out) => tokenizer.decode(out.tolist()[0].slice(input_ids[0].length), { skip_special_tokens: true });

  it('a signal already aborted rejects with its reason before the worker does any work', async () => {
    const controller = new AbortController();
    const reason = new Error('stopped before it began');
    controller.abort(reason);
    const calls = [];
    const streamer = { put: (ids) => calls.push(ids), end: () => calls.push('end') };
    await assert.rejects(model.generate({ input_ids, max_new_tokens: 1, streamer, signal: controller.signal }), (e) => e === reason);
    await assert.rejects(model.forward({ input_ids }, { signal: controller.signal }), (e) => e === reason);
    assert.deepEqual(calls, []);
    assert.equal((await model.generate({ input_ids, max_new_tokens: 1, streamer })).dims[1], input_ids[0].length + 1);
    assert.equal(calls.at(-1), 'end');
  });

  it('a TextStreamer over a tokenizer of this side streams what generate() returns', async () => {
    let streamed = '';
    const tokens = [];
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text) => { streamed += text; },
      token_callback_function: (ids) => tokens.push(...ids) });
    const out = await model.generate({ input_ids, max_new_tokens: 12, do_sample: false, eos_token_id: [], streamer });
    assert.equal(streamed, newText(out));
    assert.deepEqual(tokens, out.tolist()[0].slice(input_ids[0].length));
  });

  it('stopping_criteria of this side (a list of (input_ids, scores) => boolean[]) are asked after every token', async () => {
    const seen = [];
    const criterion = (ids, scores) => {
      seen.push(ids[0].length);
      return ids.map((row) => row.length >= input_ids[0].length + 3);
    };
    const out = await model.generate({ input_ids, max_new_tokens: 12, do_sample: false, eos_token_id: [], stopping_criteria: [criterion] });
    assert.deepEqual(out.dims, [1, input_ids[0].length + 3]);
    assert.deepEqual(seen, [1, 2, 3].map((n) => input_ids[0].length + n));
    const failing = () => { throw new RangeError('criterion failed'); };
    await assert.rejects(model.generate({ input_ids, max_new_tokens: 3, stopping_criteria: failing }), { message: 'criterion failed' });
  });

  it('stop_strings with a tokenizer of this side', async () => {
    const out = await model.generate({ input_ids, max_new_tokens: 30, do_sample: false, eos_token_id: [], stop_strings: ',', tokenizer });
    assert.ok(newText(out).endsWith(','), newText(out));
    await assert.rejects(model.generate({ input_ids, stop_strings: ',' }), { code: 'WAX_BAD_INPUT', message: /tokenizer/ });
  });
});

it('errors from the worker keep their name, message and code', async () => {
  const error = await pipeline('text-generation', '/no/such/model', { worker: true }).then(() => null, (e) => e);
  assert.ok(error instanceof WaxError);
  assert.equal(error.code, 'WAX_NOT_FOUND');
  assert.match(error.message, /\/no\/such\/model/);
});

it('a remote encoder returns Tensors, and dispose() ends its worker', async () => {
  const model = await AutoModel.from_pretrained(fixtureDir('bert_tiny_st'), { worker: true });
  const { last_hidden_state } = await model.forward({ input_ids: [[101, 759, 102]] });
  assert.deepEqual(last_hidden_state.dims, [1, 3, 64]);
  await model[Symbol.asyncDispose]();
  await assert.rejects(model.forward({ input_ids: [[101, 102]] }), { code: 'WAX_DISPOSED' });
});

describe('worker proxies are callable and check their inputs in the worker', () => {
  let model, tokenizer, encoder;
  before(async () => {
    [model, tokenizer, encoder] = await Promise.all([AutoModelForCausalLM.from_pretrained(KJV, { worker: true }),
      AutoTokenizer.from_pretrained(KJV, { worker: true }), AutoModel.from_pretrained(fixtureDir('bert_tiny_st'), { worker: true })]);
  });
  after(() => Promise.all([model, tokenizer, encoder].map((object) => object?.dispose())));

  it('await model(inputs) is forward, for a causal LM and an encoder; await tokenizer(text) encodes', async () => {
    const { input_ids } = await tokenizer('In the beginning');
    assert.deepEqual(input_ids.dims, [1, 3]);
    assert.deepEqual((await model({ input_ids })).logits.data, (await model.forward({ input_ids })).logits.data);
    assert.deepEqual((await encoder({ input_ids: [[101, 102]] })).last_hidden_state.data,
      (await encoder.forward({ input_ids: [[101, 102]] })).last_hidden_state.data);
  });

  it('NaN options, empty rows and a 1e9 max_length are WAX_BAD_INPUT across the boundary, and the worker goes on', async () => {
    await assert.rejects(model.generate({ input_ids: [[5, 6]], do_sample: true, temperature: NaN }),
      { code: 'WAX_BAD_INPUT', message: /temperature must be a finite number > 0, got NaN/ });
    await assert.rejects(model({ input_ids: new Tensor('int64', [], [1, 0]) }), { code: 'WAX_BAD_INPUT', message: /row 0 has no tokens/ });
    await assert.rejects(tokenizer('In the beginning', { padding: 'max_length', max_length: 1e9 }),
      { code: 'WAX_BAD_INPUT', message: /max_length must be an integer in \[1, 1048576\], got 1000000000/ });
    assert.deepEqual((await model.generate({ input_ids: [[5, 6]], max_new_tokens: 2, eos_token_id: [] })).dims, [1, 4]);
  });
});

it('a { worker: true } model that is never disposed lets Node exit by itself', async () => {
  const program = `
    import { AutoModelForCausalLM, pipeline } from ${JSON.stringify(new URL('../../js/src/index.js', import.meta.url).href)};
    const model = await AutoModelForCausalLM.from_pretrained(${JSON.stringify(KJV)}, { worker: true });
    const out = await model.generate({ input_ids: [[5, 6]], max_new_tokens: 3, eos_token_id: [] });
    const generator = await pipeline('text-generation', ${JSON.stringify(KJV)}, { worker: true });
    const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 3 });
    console.log(out.dims.join('x'), generated_text.startsWith('In the beginning'));`;
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program], { timeout: 20_000 });
  assert.equal(stdout.trim(), '1x5 true');
  // Loading and generating take well under a second; a worker that held the process would hit the timeout.
  assert.ok(performance.now() - started < 15_000, `exited after ${(performance.now() - started).toFixed(0)} ms`);
});
