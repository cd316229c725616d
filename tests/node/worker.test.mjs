// { worker: true } in Node: the same API through worker_threads, with streams, aborts, progress
// and errors crossing, and a worker that is gone after dispose().
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModel, WaxError, pipeline } from '../../js/src/index.js';
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
    await assert.rejects(remote('And', { max_new_tokens: 5000, eos_token_id: [], signal: controller.signal }), { name: 'AbortError' });
    const [{ generated_text }] = await remote('And', { max_new_tokens: 3, do_sample: false });
    assert.ok(generated_text.startsWith('And'));
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
  assert.equal(typeof model[Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')], 'function');
  await model.dispose();
  await assert.rejects(model.forward({ input_ids: [[101, 102]] }), { code: 'WAX_DISPOSED' });
});
