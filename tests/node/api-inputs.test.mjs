// What a model call accepts, checked in JS before anything reaches the wasm module: empty rows,
// ids that would wrap, truncate or leave the vocabulary, options that JSON would turn into null
// (the default) or into an impossible allocation, and calls of the wrong shape. Each is a
// WAX_BAD_INPUT WaxError naming the argument, and the model answers the next call.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, AutoTokenizer, Tensor, WaxError, pipeline } from '../../js/src/index.js';
import { fixtureDir } from './fixtures.mjs';

// The bundled model: vocab_size 4096, max_position_embeddings 256, a tokenizer that adds no BOS.
const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const VOCAB = 4096;

/** Runs `call` and checks it fails with a WAX_BAD_INPUT whose message matches every pattern. */
async function rejectsBadInput(call, ...patterns) {
  const error = await Promise.resolve().then(call).then(() => null, (e) => e);
  assert.ok(error instanceof WaxError, `expected a WaxError, got ${error?.stack ?? 'success'}`);
  assert.equal(error.code, 'WAX_BAD_INPUT', error.message);
  for (const pattern of patterns) assert.match(error.message, pattern);
  return error;
}

describe('a causal LM refuses what it cannot run', () => {
  let model;
  before(async () => { model = await AutoModelForCausalLM.from_pretrained(KJV); });
  after(() => model.dispose());

  const stillWorks = async () => assert.deepEqual((await model.generate({ input_ids: [[5, 6]], max_new_tokens: 2, eos_token_id: [] })).dims, [1, 4]);
  const calls = {
    forward: (input_ids, extra = {}) => model.forward({ input_ids, ...extra }),
    'model(inputs)': (input_ids, extra = {}) => model({ input_ids, ...extra }),
    generate: (input_ids, extra = {}) => model.generate({ input_ids, max_new_tokens: 2, ...extra }),
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`${name}: an empty row (array, Tensor, or all masked) never reaches C++`, async () => {
      await rejectsBadInput(() => call(new Tensor('int64', [], [1, 0])), /input_ids: row 0 has no tokens/, /empty after tokenization/);
      await rejectsBadInput(() => call([]), /row 0 has no tokens/);
      await rejectsBadInput(() => call([[]]), /row 0 has no tokens/);
      await rejectsBadInput(() => call(new Tensor('int64', [], [0, 3])), /the batch is empty/);
      await rejectsBadInput(() => call([[5, 6], [7, 8]], { attention_mask: [[1, 1], [0, 0]] }), /row 1 has no tokens \(its attention_mask is all 0\)/);
      await stillWorks();
    });
  }

  it('ids that would wrap, truncate, turn into 0 or leave the vocabulary name the row, position and value', async () => {
    const cases = [
      [[[5, 2 ** 32 + 5]], /row 0, position 1 is 4294967301/],
      [[[5, 6], [7, 2n ** 32n]], /row 1, position 1 is 4294967296n/],
      [new Tensor('int64', [2n ** 40n], [1, 1]), /row 0, position 0 is 1099511627776n/],
      [new Tensor('float64', [5, 2 ** 32 + 1], [1, 2]), /position 1 is 4294967297/],
      [new Tensor('float32', [5, 1.5], [2]), /position 1 is 1\.5/],
      [[[5, NaN]], /position 1 is NaN/],
      [[[-1]], /position 0 is -1/],
      [[[VOCAB]], /position 0 is 4096; expected a token id in \[0, 4096\)/],
      [[[5, true]], /position 1 is true/],
      [[['5']], /position 0 is "5"/],
      [new Tensor('bool', [1, 0], [1, 2]), /a bool Tensor holds no ids/],
    ];
    for (const [input_ids, pattern] of cases) {
      for (const call of Object.values(calls)) await rejectsBadInput(() => call(input_ids), /input_ids/, pattern);
    }
    await rejectsBadInput(() => model.forward({ input_ids: [[5, 6]], attention_mask: [[1, 2]] }), /attention_mask: row 0, position 1 is 2; expected 0 or 1/);
    assert.deepEqual((await model.forward({ input_ids: [[5, 6]], attention_mask: new Tensor('bool', [1, 1], [1, 2]) })).logits.dims, [1, 2, VOCAB]);
    await stillWorks();
  });

  it('calls of the wrong shape are WaxErrors that say what was expected', async () => {
    await rejectsBadInput(() => model.generate('In the beginning'), /generate: expected an object \{ input_ids/, /got "In the beginning"/, /tokeniz/);
    await rejectsBadInput(() => model.generate(null), /generate: expected an object/);
    await rejectsBadInput(() => model.forward(), /forward: expected an object/);
    await rejectsBadInput(() => model.forward({ attention_mask: [[1]] }), /input_ids is missing/);
    await rejectsBadInput(() => model.forward({ input_ids: [[5, 6], [7]] }), /row 1 has 1 ids, row 0 has 2: pad the batch/);
    await rejectsBadInput(() => model.forward({ input_ids: [[[5, 6]]] }), /\[batch, seq\]/, /deeper nesting/);
    await rejectsBadInput(() => model.forward({ input_ids: new Tensor('int64', [5, 6], [1, 1, 2]) }), /expected dims \[batch, seq\] or \[seq\], got \[1,1,2\]/);
    await rejectsBadInput(() => model.forward({ input_ids: [[5, 6]], attention_mask: [[1]] }), /attention_mask: dims \[1,1\] must equal input_ids dims \[1,2\]/);
    await rejectsBadInput(() => model.forward({ input_ids: 'ids' }), /input_ids: expected a Tensor or an array of ids/);
    await stillWorks();
  });

  it('generation options that JSON would turn into null (the default) are refused, naming the option and the value', async () => {
    const input_ids = [[5, 6]];
    for (const [option, value] of [['max_new_tokens', NaN], ['temperature', NaN], ['temperature', Infinity], ['top_p', NaN],
      ['top_k', NaN], ['min_p', NaN], ['repetition_penalty', Infinity], ['seed', NaN], ['seed', -Infinity]]) {
      await rejectsBadInput(() => model.generate({ input_ids, do_sample: true, [option]: value }), new RegExp(`generate: ${option} must be .*, got ${value}`));
    }
    await rejectsBadInput(() => model.generate({ input_ids, max_new_tokens: 1.5 }), /max_new_tokens must be an integer in \[0, 1048576\], got 1\.5/);
    await rejectsBadInput(() => model.generate({ input_ids, max_new_tokens: -1 }), /max_new_tokens/);
    await rejectsBadInput(() => model.generate({ input_ids, top_p: 1.5 }), /top_p must be a number in \(0, 1\], got 1\.5/);
    await rejectsBadInput(() => model.generate({ input_ids, do_sample: 'yes' }), /do_sample must be true or false, got "yes"/);
    await rejectsBadInput(() => model.generate({ input_ids, eos_token_id: [2, 2.5] }), /eos_token_id/);
    await rejectsBadInput(() => model.generate({ input_ids, streamer: {} }), /streamer must be a streamer/);
    await stillWorks();
  });

  it('max_new_tokens of 1e9 is refused before anything is allocated, naming the option', async () => {
    await rejectsBadInput(() => model.generate({ input_ids: [[5, 6]], max_new_tokens: 1e9 }), /max_new_tokens must be an integer in \[0, 1048576\], got 1000000000/);
    assert.equal(model.memory().kv_cache_bytes, 0);
    await stillWorks();
  });

  it('an option generate does not know is warned about once', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    await model.generate({ input_ids: [[5, 6]], max_new_tokens: 1, num_beams_for_a_test: 4 });
    await model.generate({ input_ids: [[5, 6]], max_new_tokens: 1, num_beams_for_a_test: 4 });
    const warnings = warn.mock.calls.map((c) => c.arguments[0]).filter((m) => m.includes('num_beams_for_a_test'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /generate ignores the option 'num_beams_for_a_test'/);
  });
});

describe('past max_position_embeddings a Llama warns once, as BERT does', () => {
  const prompt = (n) => [Array.from({ length: n }, (_, i) => 10 + (i % 100))];

  it('forward with a prompt longer than the positions', async (t) => {
    const model = await AutoModelForCausalLM.from_pretrained(KJV);
    try {
      const warn = t.mock.method(console, 'warn', () => {});
      assert.deepEqual((await model.forward({ input_ids: prompt(200) })).logits.dims, [1, 200, VOCAB]);
      assert.equal(warn.mock.callCount(), 0);
      await model.forward({ input_ids: prompt(300) });
      await model.forward({ input_ids: prompt(300) });
      assert.equal(warn.mock.callCount(), 1);
      assert.match(warn.mock.calls[0].arguments[0], /input_ids has 300 positions, more than this model's max_position_embeddings \(256\)/);
    } finally {
      model.dispose();
    }
  });

  it('generate whose prompt and max_new_tokens reach past them', async (t) => {
    const model = await AutoModelForCausalLM.from_pretrained(KJV);
    try {
      const warn = t.mock.method(console, 'warn', () => {});
      await model.generate({ input_ids: prompt(240), max_new_tokens: 10, eos_token_id: [] });
      assert.equal(warn.mock.callCount(), 0);
      const out = await model.generate({ input_ids: prompt(250), max_new_tokens: 10, eos_token_id: [] });
      assert.deepEqual(out.dims, [1, 260]);
      assert.equal(warn.mock.callCount(), 1);
      assert.match(warn.mock.calls[0].arguments[0], /the prompt \(250 tokens\) and max_new_tokens \(10\) reach 260 positions, more than .*max_position_embeddings \(256\)/);
    } finally {
      model.dispose();
    }
  });
});

describe('an encoder refuses what it cannot run', () => {
  let model;
  before(async () => { model = await AutoModel.from_pretrained(fixtureDir('bert_tiny_st')); });
  after(() => model.dispose());

  it('empty rows, ids outside the vocabulary and token types outside type_vocab_size, in forward, model() and embed', async () => {
    const vocab = model.config.vocab_size;
    for (const call of [(inputs) => model.forward(inputs), (inputs) => model(inputs), (inputs) => model.embed(inputs)]) {
      await rejectsBadInput(() => call({ input_ids: new Tensor('int64', [], [1, 0]) }), /row 0 has no tokens/);
      await rejectsBadInput(() => call({ input_ids: [[101, 102]], attention_mask: [[0, 0]] }), /row 0 has no tokens/);
      await rejectsBadInput(() => call({ input_ids: [[101, vocab]] }), new RegExp(`position 1 is ${vocab}; expected a token id in \\[0, ${vocab}\\)`));
      await rejectsBadInput(() => call({ input_ids: [[101, 2 ** 32 + 101]] }), /position 1 is 4294967397/);
      await rejectsBadInput(() => call({ input_ids: [[101, 102]], token_type_ids: [[0, 2]] }), /token_type_ids: row 0, position 1 is 2; expected a token type id in \[0, 2\)/);
      await rejectsBadInput(() => call('hello'), /expected an object \{ input_ids/);
    }
    const { last_hidden_state } = await model({ input_ids: [[101, 102]] });
    assert.deepEqual(last_hidden_state.dims, [1, 2, model.hidden_size]);
  });

  it('embed and the feature-extraction pipeline check their options', async () => {
    await rejectsBadInput(() => model.embed({ input_ids: [[101, 102]] }, { pooling: 'max' }), /embed: pooling must be one of "none", "mean", "cls", got "max"/);
    await rejectsBadInput(() => model.embed({ input_ids: [[101, 102]] }, { normalize: 'yes' }), /normalize must be true or false/);
    const extractor = await pipeline('feature-extraction', fixtureDir('bert_tiny_st'));
    try {
      await rejectsBadInput(() => extractor('hello', { pooling: 'max' }), /feature-extraction: pooling must be/);
      await rejectsBadInput(() => extractor([]), /the list of texts is empty/);
      await rejectsBadInput(() => extractor(['hello', 42]), /text 1 is 42; expected a string/);
      assert.deepEqual((await extractor('hello', { pooling: 'mean', normalize: true })).dims, [1, model.hidden_size]);
    } finally {
      extractor.dispose();
    }
  });
});

describe("pipeline('text-generation') with the bundled model", () => {
  let generator;
  before(async () => { generator = await pipeline('text-generation', KJV); });
  after(() => generator.dispose());

  it("'' is empty after tokenization (no BOS): refused with what to do, alone or in a batch", async () => {
    await rejectsBadInput(() => generator(''), /row 0 has no tokens/, /empty after tokenization/, /pass some text/);
    await rejectsBadInput(() => generator(['In the beginning', '']), /row 1 has no tokens \(its attention_mask is all 0\)/);
    await rejectsBadInput(() => generator([]), /the list of prompts is empty/);
    await rejectsBadInput(() => generator('In the beginning', { return_full_text: 'no' }), /text-generation: return_full_text must be true or false/);
    await rejectsBadInput(() => generator('In the beginning', { temperature: NaN, do_sample: true }), /temperature must be a finite number > 0, got NaN/);
    const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 3, do_sample: false });
    assert.ok(generated_text.startsWith('In the beginning'));
  });
});

describe('a tokenizer refuses sizes it cannot allocate, naming the option', () => {
  let tokenizer;
  before(async () => { tokenizer = await AutoTokenizer.from_pretrained(KJV); });
  after(() => tokenizer.dispose());

  it("padding 'max_length' to 1e9 is a WaxError, not a fatal out-of-memory", async () => {
    await rejectsBadInput(() => tokenizer('In the beginning', { padding: 'max_length', max_length: 1e9 }),
      /tokenizer: max_length must be an integer in \[1, 1048576\], got 1000000000/);
    await rejectsBadInput(() => tokenizer('In the beginning', { truncation: true, max_length: 0 }), /max_length must be/);
    await rejectsBadInput(() => tokenizer('In the beginning', { padding: 'max' }), /padding must be one of true, false, "longest", "max_length", got "max"/);
  });

  it("padding 'max_length' by a model_max_length that is no real length (transformers' 1e30) says to pass max_length", async () => {
    const saved = tokenizer.model_max_length;
    tokenizer.model_max_length = 1e30;
    try {
      await rejectsBadInput(() => tokenizer('In the beginning', { padding: 'max_length' }), /model_max_length/, /pass a smaller max_length/);
    } finally {
      tokenizer.model_max_length = saved;
    }
  });

  it('a padded batch past 2^24 ids is WAX_TOO_LARGE', () => {
    const error = (() => { try { tokenizer(Array(20).fill('And'), { padding: 'max_length', max_length: 2 ** 20 }); } catch (e) { return e; } })();
    assert.ok(error instanceof WaxError && error.code === 'WAX_TOO_LARGE', String(error));
    assert.match(error.message, /padding 20 texts to 1048576 tokens makes 20971520 ids/);
  });

  it("padding 'max_length' and truncation give [batch, max_length]", () => {
    const { input_ids, attention_mask } = tokenizer(['In the beginning', 'And'], { padding: 'max_length', max_length: 6 });
    assert.deepEqual(input_ids.dims, [2, 6]);
    assert.deepEqual(attention_mask.tolist().map((row) => row.map(Number)), [[1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]]);
    assert.deepEqual(tokenizer('In the beginning God created', { truncation: true, max_length: 2 }).input_ids.dims, [1, 2]);
  });
});
