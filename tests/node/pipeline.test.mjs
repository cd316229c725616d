// Text in, text out: the oracle Llama fixtures end to end with their SentencePiece tokenizer, and
// pipeline('text-generation') with strings, chat messages, streaming, stop strings and abort.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, AutoTokenizer, TextStreamer, pipeline } from '../../js/src/index.js';
import { LLAMA_FIXTURES, fixtureDir } from './fixtures.mjs';

for (const fixture of LLAMA_FIXTURES) {
  it(`${fixture}: text → ids → greedy ids → text equals upstream`, async () => {
    const { e2e_with_tokenizer: e2e } = JSON.parse(await readFile(join(fixtureDir(fixture), 'reference.json'), 'utf8'));
    const tokenizer = await AutoTokenizer.from_pretrained(fixtureDir(fixture));
    const model = await AutoModelForCausalLM.from_pretrained(fixtureDir(fixture));
    try {
      const ids = tokenizer.encode(e2e.text);
      assert.deepEqual(ids, e2e.input_ids);
      const out = await model.generate({ input_ids: [ids], max_new_tokens: e2e.greedy_ids.length - ids.length, eos_token_id: [] });
      const generated = out.tolist()[0].map(Number);
      assert.deepEqual(generated, e2e.greedy_ids);
      // The slow tokenizer that wrote the reference drops a leading space the fast rule keeps (oracle README).
      assert.equal(tokenizer.decode(generated.slice(ids.length), { skip_special_tokens: true }).trimStart(), e2e.decoded_new_text.trimStart());
    } finally {
      model.dispose();
      tokenizer.dispose();
    }
  });
}

describe("pipeline('text-generation')", () => {
  let generator;
  before(async () => { generator = await pipeline('text-generation', fixtureDir('llama_gqa_tied')); });
  after(() => generator.dispose());

  it('continues a string and returns [{ generated_text }] with the prompt', async () => {
    const [{ generated_text }] = await generator('Once upon a time', { max_new_tokens: 8, do_sample: false });
    assert.ok(generated_text.startsWith('Once upon a time'), generated_text);
    const [{ generated_text: continuation }] = await generator('Once upon a time', { max_new_tokens: 8, do_sample: false, return_full_text: false });
    assert.equal('Once upon a time' + continuation, generated_text);
  });

  it('answers chat messages with the messages plus an assistant turn', async () => {
    const messages = [{ role: 'user', content: 'Hello' }];
    const [{ generated_text }] = await generator(messages, { max_new_tokens: 6, do_sample: false });
    assert.equal(generated_text.length, 2);
    assert.deepEqual(generated_text[0], messages[0]);
    assert.equal(generated_text[1].role, 'assistant');
    assert.equal(typeof generated_text[1].content, 'string');
  });

  it('batches strings (left-padded) like single calls', async () => {
    const options = { max_new_tokens: 6, do_sample: false, return_full_text: false, eos_token_id: [] };
    const batch = await generator(['Once upon a time', 'The license'], options);
    assert.equal(batch.length, 2);
    assert.equal(batch[0][0].generated_text, (await generator('Once upon a time', options))[0].generated_text);
    assert.equal(batch[1][0].generated_text, (await generator('The license', options))[0].generated_text);
  });

  it('streams the same text through a TextStreamer and through stream()', async () => {
    const options = { max_new_tokens: 12, do_sample: true, seed: 5, return_full_text: false, eos_token_id: [] };
    const [{ generated_text: whole }] = await generator('Once upon a time', options);
    let streamed = '';
    const streamer = new TextStreamer(generator.tokenizer, { skip_prompt: true, callback_function: (t) => { streamed += t; } });
    await generator('Once upon a time', { ...options, streamer });
    assert.equal(streamed, whole);
    let iterated = '';
    for await (const piece of generator.stream('Once upon a time', options)) iterated += piece;
    assert.equal(iterated, whole);
  });

  it('breaking out of stream() stops generation and leaves the pipeline usable', async () => {
    for await (const piece of generator.stream('Once upon a time', { max_new_tokens: 500, eos_token_id: [] })) {
      assert.equal(typeof piece, 'string');
      break;
    }
    const [{ generated_text }] = await generator('Once', { max_new_tokens: 2, do_sample: false });
    assert.ok(generated_text.startsWith('Once'));
  });

  it('stops at a stop string and keeps it, as transformers does', async () => {
    const options = { max_new_tokens: 30, do_sample: false, return_full_text: false, eos_token_id: [] };
    const [{ generated_text: free }] = await generator('Once upon a time', options);
    const stop = free.trim().slice(3, 5);
    assert.ok(stop.length === 2, `a stop string from ${JSON.stringify(free)}`);
    const [{ generated_text: stopped }] = await generator('Once upon a time', { ...options, stop_strings: stop });
    assert.ok(stopped.endsWith(stop), JSON.stringify(stopped));
    assert.ok(free.startsWith(stopped), `${JSON.stringify(stopped)} is a prefix of ${JSON.stringify(free)}`);
  });

  it('model.generate honours stop_strings given with the tokenizer, and transformers.js stopping_criteria', async () => {
    const { model, tokenizer } = generator;
    const input_ids = [tokenizer.encode('Once upon a time')];
    const options = { input_ids, max_new_tokens: 30, do_sample: false, eos_token_id: [] };
    const newText = (out) => tokenizer.decode(out.tolist()[0].slice(input_ids[0].length), { skip_special_tokens: true });
    const free = newText(await model.generate(options));
    const stop = free.trim().slice(3, 5);
    const stopped = newText(await model.generate({ ...options, stop_strings: [stop], tokenizer }));
    assert.ok(stopped.includes(stop) && stopped.length < free.length, `${JSON.stringify(stopped)} stops at ${JSON.stringify(stop)}`);
    assert.ok(free.startsWith(stopped));
    await assert.rejects(model.generate({ ...options, stop_strings: stop }), { code: 'WAX_BAD_INPUT', message: /tokenizer/ });
    // A StoppingCriteriaList is itself a criterion: one callable answering a boolean per row.
    const list = Object.assign((ids, scores) => ids.map((row) => row.length >= input_ids[0].length + 2), { criteria: [] });
    assert.deepEqual((await model.generate({ ...options, stopping_criteria: list })).dims, [1, input_ids[0].length + 2]);
    await assert.rejects(model.generate({ ...options, stopping_criteria: [{}] }), { code: 'WAX_BAD_INPUT' });
  });

  it('rejects with AbortError and stays usable', async () => {
    await assert.rejects(generator('Once', { max_new_tokens: 5, signal: AbortSignal.abort() }), { name: 'AbortError' });
    const [{ generated_text }] = await generator('Once', { max_new_tokens: 2, do_sample: false });
    assert.ok(generated_text.startsWith('Once'));
  });

  it('refuses an unknown task', async () => {
    await assert.rejects(pipeline('text-to-dance', fixtureDir('llama_gqa_tied')), /unsupported task 'text-to-dance'/);
  });
});

it('a pipeline reports its tokenizer files too, in one progress_total that never falls back', async () => {
  const events = [];
  const generator = await pipeline('text-generation', fixtureDir('llama_gqa_tied'), { progress_callback: (e) => events.push(e) });
  await generator.dispose();
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'model.safetensors']) {
    assert.ok(events.some((e) => e.status === 'done' && e.file === file), file);
  }
  const totals = events.filter((e) => e.status === 'progress_total');
  assert.ok(totals.length > 0);
  for (const key of ['loaded', 'total', 'progress']) {
    const values = totals.map((e) => e[key]);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `${key} never decreases: ${values}`);
  }
  assert.ok('tokenizer.json' in totals[0].files && 'model.safetensors' in totals[0].files, Object.keys(totals[0].files).join());
  assert.equal(totals.at(-1).progress, 100);
  assert.equal(events.at(-1).status, 'ready');
});

it('models, tokenizers and pipelines in-process answer Symbol.asyncDispose (await using) as the worker proxies do', async () => {
  const model = await AutoModelForCausalLM.from_pretrained(fixtureDir('llama_gqa_tied'));
  const tokenizer = await AutoTokenizer.from_pretrained(fixtureDir('llama_gqa_tied'));
  const encoder = await AutoModel.from_pretrained(fixtureDir('bert_tiny_st'));
  const generator = await pipeline('text-generation', fixtureDir('llama_gqa_tied'));
  const extractor = await pipeline('feature-extraction', fixtureDir('bert_tiny_st'));
  for (const object of [model, tokenizer, encoder, generator, extractor]) await object[Symbol.asyncDispose]();
  await assert.rejects(model.forward({ input_ids: [[1]] }), { code: 'WAX_DISPOSED' });
  await assert.rejects(encoder.forward({ input_ids: [[101]] }), { code: 'WAX_DISPOSED' });
  assert.throws(() => tokenizer.encode('x'), { code: 'WAX_DISPOSED' });
  await assert.rejects(generator('x'), { code: 'WAX_DISPOSED' });
  await assert.rejects(extractor('x'), { code: 'WAX_DISPOSED' });
});

describe('pipeline(task) without a model', () => {
  it("'text-generation' loads the bundled models/kjv-llama-5m, found beside the package from any folder", async () => {
    const program = `
      import { pipeline } from ${JSON.stringify(new URL('../../js/src/index.js', import.meta.url).href)};
      const generator = await pipeline('text-generation');
      const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 8, do_sample: false });
      console.log(JSON.stringify({ generated_text, vocab: generator.model.config.vocab_size }));
      generator.dispose();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program], { cwd: tmpdir(), timeout: 30_000 });
    const { generated_text, vocab } = JSON.parse(stdout);
    assert.equal(vocab, 4096);
    const bundled = await pipeline('text-generation', fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url)));
    try {
      assert.deepEqual([{ generated_text }], await bundled('In the beginning', { max_new_tokens: 8, do_sample: false }));
    } finally {
      bundled.dispose();
    }
  });

  it("'feature-extraction' has no bundled model: the error says to name one", async () => {
    await assert.rejects(pipeline('feature-extraction'), { code: 'WAX_BAD_INPUT', message: /bundles no model for this task; name one/ });
    await assert.rejects(pipeline('feature-extraction', null, { worker: true }), { code: 'WAX_BAD_INPUT' });
  });
});
