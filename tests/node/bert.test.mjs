// The oracle BERT fixture (sentence-transformers layout) through AutoModel and
// pipeline('feature-extraction') on the .wasm.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoTokenizer, Tensor, WaxError, cos_sim, pipeline } from '../../js/src/index.js';
import { withinTolerance } from '../helpers/compare.mjs';
import { fixtureDir, npy } from './fixtures.mjs';

const FIXTURE = 'bert_tiny_st';
const asTensor = ({ dims, data }) => new Tensor('int64', data, dims);

function assertClose(actual, reference, what) {
  assert.deepEqual(actual.dims, reference.dims, `${what} dims`);
  const r = withinTolerance(actual.data, reference.data);
  assert.ok(r.ok, `${what}: max abs diff ${r.maxAbsDiff} over tolerance ${r.tolerance}`);
}

describe('AutoModel on bert_tiny_st', () => {
  let model, inputs;
  before(async () => {
    model = await AutoModel.from_pretrained(fixtureDir(FIXTURE));
    const [input_ids, attention_mask, token_type_ids] = await Promise.all(
      ['input_ids.npy', 'attention_mask.npy', 'token_type_ids.npy'].map((f) => npy(FIXTURE, f)));
    inputs = { input_ids: asTensor(input_ids), attention_mask: asTensor(attention_mask), token_type_ids: asTensor(token_type_ids) };
  });
  after(() => model.dispose());

  it('last_hidden_state and pooler_output match upstream', async () => {
    const { last_hidden_state, pooler_output } = await model.forward(inputs);
    assertClose(last_hidden_state, await npy(FIXTURE, 'last_hidden_state.npy'), 'last_hidden_state');
    assertClose(pooler_output, await npy(FIXTURE, 'pooler_output.npy'), 'pooler_output');
  });

  it('mean pooling and its normalisation match upstream', async () => {
    assertClose(await model.embed(inputs, { pooling: 'mean' }), await npy(FIXTURE, 'mean_pooled.npy'), 'mean_pooled');
    assertClose(await model.embed(inputs, { pooling: 'mean', normalize: true }), await npy(FIXTURE, 'embedding_normalized.npy'), 'embedding_normalized');
  });
});

describe("pipeline('feature-extraction')", () => {
  let extractor, reference;
  before(async () => {
    extractor = await pipeline('feature-extraction', fixtureDir(FIXTURE));
    reference = JSON.parse(await readFile(join(fixtureDir(FIXTURE), 'reference.json'), 'utf8'));
  });
  after(() => extractor.dispose());

  it('reads mean pooling and normalisation from the sentence-transformers files', () => {
    assert.deepEqual(extractor.defaults, { pooling: 'mean', normalize: true });
  });

  it('embeds the reference texts as sentence-transformers does', async () => {
    const embeddings = await extractor(reference.texts);
    const expected = await npy(FIXTURE, 'embedding_normalized.npy');
    const hidden = expected.dims[1];
    const rows = reference.texts.length;
    assert.deepEqual(embeddings.dims, [rows, hidden]);
    const r = withinTolerance(embeddings.data, expected.data.subarray(0, rows * hidden));
    assert.ok(r.ok, `max abs diff ${r.maxAbsDiff}`);
    const [a, b] = embeddings.tolist();
    assert.ok(Math.abs(cos_sim(a, a) - 1) < 1e-6);
    assert.ok(cos_sim(a, b) < 1);
  });

  it('encodes the pair row like the reference tokens', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(fixtureDir(FIXTURE));
    try {
      const ids = await npy(FIXTURE, 'input_ids.npy');
      const mask = await npy(FIXTURE, 'attention_mask.npy');
      const seq = ids.dims[1];
      const row = Array.from(ids.data.subarray(3 * seq, 4 * seq), Number).slice(0, Array.from(mask.data.subarray(3 * seq, 4 * seq)).filter(Number).length);
      assert.deepEqual(tokenizer.encode(reference.pair[0], { text_pair: reference.pair[1] }), row);
    } finally {
      tokenizer.dispose();
    }
  });

  it('batches many sentences with progress and an abort', async () => {
    const texts = Array.from({ length: 70 }, (_, i) => `sentence number ${i} about a fox`);
    const events = [];
    const all = await extractor(texts, { progress_callback: (e) => events.push(e.loaded) });
    assert.deepEqual(all.dims[0], 70);
    assert.deepEqual(events, [32, 64, 70]);
    const single = await extractor(texts[40]);
    const r = withinTolerance(single.data, all.data.subarray(40 * all.dims[1], 41 * all.dims[1]));
    assert.ok(r.ok, 'padding in a batch does not change a row');
    await assert.rejects(extractor(texts, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  it('truncates inputs longer than max_position_embeddings with a warning', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const long = 'word '.repeat(400);
    const out = await extractor([long, 'short']);
    assert.equal(out.dims[0], 2);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(warn.mock.calls[0].arguments[0], /max_position_embeddings \(128 tokens\)/);
  });

  it('refuses an unknown pooling', async () => {
    await assert.rejects(extractor('x', { pooling: 'max' }), (e) => e instanceof WaxError && /pooling must be/.test(e.message));
  });
});
