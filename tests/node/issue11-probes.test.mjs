// Issue 11's probes rerun as a user would, and the variations the first fixes could have missed:
// the same bad inputs through a model, a pipeline and a tokenizer; max_new_tokens at the model's
// positions and one past; a batch whose KV cache cannot fit; ids as typed-array rows; a wrong
// attention_mask; streamers and stopping criteria that throw (or reject); a model disposed while
// it generates; a generation_config.json with bad values; deeply nested JSON in every file a load
// reads; NaN in one shard; an abort while the server stalls; local_files_only with an empty cache.
// After each failure the same module instance still runs a good model, and the heap is back.
// The input probes run in-process single-threaded, threaded (WAX_NUM_THREADS=2) and { worker: true }.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer, WaxError, clearCache, env } from '../../js/src/index.js';
import { getRuntime } from '../../js/src/runtime.js';
import { splitSafetensors } from '../helpers/hub-server.mjs';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir } from './fixtures.mjs';

const INDEX = new URL('../../js/src/index.js', import.meta.url).href;
const RUNTIME = new URL('../../js/src/runtime.js', import.meta.url).href;
const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const TIED = fixtureDir('llama_gqa_tied');

/**
 * The input probes, as an ES module body run in a fresh Node: each probe's outcome ({ ok } or the
 * error's name, code and message), whether the model still gives its greedy ids afterwards, and
 * (in-process) the heap in use after the probes against before them.
 */
const inputProbes = (worker) => `
  const { AutoModelForCausalLM, AutoTokenizer, TextStreamer, Tensor, WaxError, pipeline } = await import(${JSON.stringify(INDEX)});
  const { getRuntime } = await import(${JSON.stringify(RUNTIME)});
  const options = { worker: ${worker} };
  const model = await AutoModelForCausalLM.from_pretrained(${JSON.stringify(KJV)}, options);
  const tokenizer = await AutoTokenizer.from_pretrained(${JSON.stringify(KJV)}, options);
  const generator = await pipeline('text-generation', ${JSON.stringify(KJV)}, options);
  const greedy = async () => (await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 6, do_sample: false, eos_token_id: [] })).tolist()[0].map(Number);
  const expected = await greedy();
  const runtime = ${worker} ? null : await getRuntime();
  const heapBefore = runtime?.heapUsed();
  const unhandled = [];
  process.on('unhandledRejection', (error) => unhandled.push(String(error)));
  const results = {};
  const probe = async (name, run) => {
    let outcome;
    try {
      const value = await run();
      outcome = { ok: true, value: value?.dims ?? value };
    } catch (error) {
      outcome = { ok: false, waxError: error instanceof WaxError, name: error?.name, code: error?.code, message: String(error?.message) };
    }
    outcome.stillGreedy = JSON.stringify(await greedy()) === JSON.stringify(expected);
    outcome.heapGrowth = runtime ? runtime.heapUsed() - heapBefore : 0; // since before the first round
    results[name] = outcome;
  };
  const generate = (input_ids, more = {}) => model.generate({ input_ids, max_new_tokens: 2, do_sample: false, eos_token_id: [], ...more });
  const newTokens = async (run) => { const out = await run(); return out.dims[1]; };
  const throwing = (what) => () => { throw new Error(what + ' threw'); };
  const silent = { put() {}, end() {} };

  // Twice: the first round leaves what is kept for reuse (scratch sized by the largest batch, the
  // tokenizer's caches); the second must end with the heap where the first left it.
  const heapAfterRound = [];
  for (let round = 0; round < 2; round++) {
    await probe('max_new_tokens 256 (the positions)', () => newTokens(() => generate([[1]], { max_new_tokens: 256 })));
    await probe('max_new_tokens 257', () => generate([[1]], { max_new_tokens: 257 }));
    await probe('pipeline max_new_tokens 257', () => generator('In the', { max_new_tokens: 257 }));
    await probe('pipeline max_new_tokens 1e9', () => generator('In the', { max_new_tokens: 1e9 }));
    await probe('pipeline empty prompt', () => generator(''));
    await probe('pipeline temperature NaN', () => generator('In the', { do_sample: true, temperature: NaN }));
    await probe('pipeline chat without content', () => generator([{ role: 'user' }]));
    await probe('KV cache of 200000 rows', () => generate(Array.from({ length: 200000 }, () => [5]), { max_new_tokens: 200 }));
    for (const Type of [Int32Array, Float64Array, BigInt64Array, Uint16Array]) {
      const row = Type === BigInt64Array ? BigInt64Array.from([1n, 404n, 442n]) : Type.from([1, 404, 442]);
      await probe(Type.name + ' rows', async () => (await generate([row, row])).tolist().map((r) => r.map(Number)));
    }
    await probe('Float64Array row with 404.5', () => generate([Float64Array.from([1, 404.5])]));
    await probe('BigInt64Array row with 2^33', () => generate([BigInt64Array.from([1n, 2n ** 33n])]));
    await probe('ids as number[][] for reference', async () => (await generate([[1, 404, 442], [1, 404, 442]])).tolist().map((r) => r.map(Number)));
    await probe('attention_mask a string', () => generate([[1, 404]], { attention_mask: 'yes' }));
    await probe('attention_mask a float32 Tensor of 0.5', () => generate([[1, 404]], { attention_mask: new Tensor('float32', [1, 0.5], [1, 2]) }));
    await probe('attention_mask of 2', () => generate([[1, 404]], { attention_mask: [[1, 2]] }));
    await probe('attention_mask all 0', () => generate([[1, 404]], { attention_mask: [[0, 0]] }));
    await probe('streamer put throws', () => generate([[1, 404]], { max_new_tokens: 8, streamer: { put: throwing('put'), end() {} } }));
    await probe('streamer end throws', () => generate([[1, 404]], { streamer: { put() {}, end: throwing('end') } }));
    await probe('streamer put rejects', () => generate([[1, 404]], { streamer: { async put() { throw new Error('async put rejected'); }, end() {} } }));
    await probe('TextStreamer callback throws', () => generate([[1, 404]], { streamer: new TextStreamer(tokenizer, { callback_function: throwing('callback_function') }) }));
    await probe('pipeline TextStreamer callback throws', () => generator('In the', { max_new_tokens: 3, streamer: new TextStreamer(generator.tokenizer, { callback_function: throwing('pipeline callback_function') }) }));
    await probe('stopping_criteria throws', () => generate([[1, 404]], { stopping_criteria: throwing('stopping_criteria') }));
    await probe('pipeline stopping_criteria throws', () => generator('In the', { max_new_tokens: 3, stopping_criteria: throwing('pipeline stopping_criteria') }));
    await probe('tokenizer max_length 1e9', () => tokenizer('In the', { padding: 'max_length', max_length: 1e9 }));
    await probe('tokenizer empty batch', () => tokenizer([]));
    await probe('tokenizer number', () => tokenizer(['In', 5]));
    await probe('disposed while generating', async () => {
      const doomed = await AutoModelForCausalLM.from_pretrained(${JSON.stringify(KJV)}, options);
      let puts = 0;
      return doomed.generate({ input_ids: [[1, 2]], max_new_tokens: 200, do_sample: false, eos_token_id: [],
        streamer: { put() { if (++puts === 3) doomed.dispose(); }, end() {} } });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    heapAfterRound.push(runtime?.heapUsed());
  }
  const afterAll = await greedy();
  console.log(JSON.stringify({ expected, afterAll, results, unhandled, heapAfterRound }));
  await model.dispose(); await generator.dispose(); await tokenizer.dispose?.();`;

async function runProbes({ threads, worker }) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', inputProbes(worker)], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 240_000, maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** Asserts a probe failed with a WaxError of `code` whose message matches `pattern`, and the model still ran. */
function assertWaxError(results, name, code, pattern) {
  const outcome = results[name];
  assert.ok(outcome, `no probe '${name}'`);
  assert.equal(outcome.ok, false, `${name}: succeeded with ${JSON.stringify(outcome.value)}`);
  assert.ok(outcome.waxError, `${name}: ${outcome.name}: ${outcome.message}`);
  assert.equal(outcome.code, code, `${name}: ${outcome.message}`);
  assert.match(outcome.message, pattern, name);
  assert.equal(outcome.stillGreedy, true, `${name}: the model's greedy ids changed after it`);
}

/** Asserts a probe rejected with the error the user's own callback threw, unchanged. */
function assertUserError(results, name, message) {
  const outcome = results[name];
  assert.equal(outcome.ok, false, `${name}: succeeded with ${JSON.stringify(outcome.value)}`);
  assert.equal(outcome.message, message, name);
  assert.equal(outcome.stillGreedy, true, name);
}

for (const mode of [{ threads: 1, worker: false }, { threads: 2, worker: false }, { threads: 1, worker: true }]) {
  const label = mode.worker ? 'the wax worker' : `in-process, ${mode.threads} thread${mode.threads > 1 ? 's' : ''}`;
  describe(`bad inputs through model, pipeline and tokenizer (${label})`, () => {
    let run;
    before(async () => { run = await runProbes(mode); });

    it('max_new_tokens up to the model\'s 256 positions runs; one past is WAX_BAD_INPUT naming it and the limit', () => {
      const { results } = run;
      const { ok, value } = results['max_new_tokens 256 (the positions)'];
      assert.deepEqual({ ok, value }, { ok: true, value: 257 });
      assertWaxError(results, 'max_new_tokens 257', 'WAX_BAD_INPUT', /max_new_tokens: 257 is more than the model's max_position_embeddings \(256\); ask for at most 256/);
      assertWaxError(results, 'pipeline max_new_tokens 257', 'WAX_BAD_INPUT', /max_new_tokens: 257 .*\(256\)/);
      assertWaxError(results, 'pipeline max_new_tokens 1e9', 'WAX_BAD_INPUT', /text-generation: max_new_tokens must be an integer in \[0, 1048576\], got 1000000000/);
      assertWaxError(results, 'KV cache of 200000 rows', 'WAX_TOO_LARGE', /max_new_tokens: 200 new tokens after 200000 × 1 prompt tokens .*4\.00 GiB .*at most \d+ fit/);
    });

    it('empty and non-finite inputs through the pipeline and tokenizer', () => {
      const { results } = run;
      assertWaxError(results, 'pipeline empty prompt', 'WAX_BAD_INPUT', /input_ids: row 0 has no tokens/);
      assertWaxError(results, 'pipeline temperature NaN', 'WAX_BAD_INPUT', /text-generation: temperature must be a finite number > 0, got NaN/);
      assertWaxError(results, 'pipeline chat without content', 'WAX_BAD_INPUT', /message 0 \(role 'user'\) has no content/);
      assertWaxError(results, 'tokenizer max_length 1e9', 'WAX_BAD_INPUT', /max_length must be an integer in \[1, 1048576\], got 1000000000/);
      assertWaxError(results, 'tokenizer empty batch', 'WAX_BAD_INPUT', /the list of texts is empty/);
      assertWaxError(results, 'tokenizer number', 'WAX_BAD_INPUT', /text 1 is 5; expected a string/);
    });

    it('typed-array rows give the ids number[][] gives; a fraction or an id past 2^32 is refused naming where', () => {
      const { results } = run;
      const reference = results['ids as number[][] for reference'];
      assert.equal(reference.ok, true);
      for (const type of ['Int32Array', 'Float64Array', 'BigInt64Array', 'Uint16Array']) {
        assert.deepEqual(results[`${type} rows`].value, reference.value, type);
      }
      assertWaxError(results, 'Float64Array row with 404.5', 'WAX_BAD_INPUT', /input_ids: row 0, position 1 is 404\.5; expected a token id in \[0, 4096\)/);
      assertWaxError(results, 'BigInt64Array row with 2^33', 'WAX_BAD_INPUT', /input_ids: row 0, position 1 is 8589934592n; expected a token id/);
    });

    it('an attention_mask of the wrong type or values names attention_mask and what it wants', () => {
      const { results } = run;
      assertWaxError(results, 'attention_mask a string', 'WAX_BAD_INPUT', /attention_mask: expected a Tensor or an array .*got "yes"/);
      assertWaxError(results, 'attention_mask a float32 Tensor of 0.5', 'WAX_BAD_INPUT', /attention_mask: row 0, position 1 is 0\.5; expected 0 or 1/);
      assertWaxError(results, 'attention_mask of 2', 'WAX_BAD_INPUT', /attention_mask: row 0, position 1 is 2; expected 0 or 1/);
      assertWaxError(results, 'attention_mask all 0', 'WAX_BAD_INPUT', /row 0 has no tokens \(its attention_mask is all 0\)/);
    });

    it('a throwing or rejecting streamer or stopping criterion rejects generate with its own error, never an unhandled rejection', () => {
      const { results, unhandled } = run;
      assertUserError(results, 'streamer put throws', 'put threw');
      assertUserError(results, 'streamer end throws', 'end threw');
      assertUserError(results, 'streamer put rejects', 'async put rejected');
      assertUserError(results, 'TextStreamer callback throws', 'callback_function threw');
      assertUserError(results, 'pipeline TextStreamer callback throws', 'pipeline callback_function threw');
      assertUserError(results, 'stopping_criteria throws', 'stopping_criteria threw');
      assertUserError(results, 'pipeline stopping_criteria throws', 'pipeline stopping_criteria threw');
      assert.deepEqual(unhandled, []);
    });

    it('a model disposed while it generates rejects with WAX_DISPOSED; the module goes on, its heap back', () => {
      const { results, expected, afterAll, heapAfterRound } = run;
      assertWaxError(results, 'disposed while generating', 'WAX_DISPOSED', /disposed/);
      assert.deepEqual(afterAll, expected);
      const growth = Object.entries(results).map(([name, { heapGrowth }]) => `${name}: ${heapGrowth}`).join('\n');
      // A few bytes come and go with the allocator's bookkeeping; a leak would be a block a probe.
      if (!mode.worker) {
        assert.ok(Math.abs(heapAfterRound[1] - heapAfterRound[0]) <= 1024,
          `heap in use after the second round of probes ${heapAfterRound[1]}, after the first ${heapAfterRound[0]}; the second round:\n${growth}`);
      }
    });
  });
}

describe('files a load reads: generation_config.json values, nesting, a NaN shard, stalls, offline', () => {
  const testHub = useTestHub('issue11-probes');
  const encode = (value) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
  const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);
  /** A JSON object's text with one more field nested `depth` deep (JSON.stringify itself overflows at 5000). */
  const withNested = (bytes, depth) => encode(new TextDecoder().decode(bytes).replace(/}\s*$/, `, "extra": ${nested(depth)}}`));
  let hub, files, shards, poisoned;

  before(async () => {
    hub = await testHub.start();
    const names = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
    files = Object.fromEntries(await Promise.all(names.map(async (file) => [file, new Uint8Array(await readFile(join(TIED, file)))])));
    await hub.addRepo('probe/good', files);
    await hub.addRepo('probe/nested-generation-config', { ...files, 'generation_config.json': withNested(files['generation_config.json'], 5000) });
    await hub.addRepo('probe/nested-config', { ...files, 'config.json': withNested(files['config.json'], 5000) });
    await hub.addRepo('probe/nested-tokenizer-config', { ...files, 'tokenizer_config.json': withNested(files['tokenizer_config.json'], 5000) });
    shards = splitSafetensors(files['model.safetensors'], 3);
    await hub.addRepo('probe/nested-index', { 'config.json': files['config.json'], ...shards,
      'model.safetensors.index.json': withNested(shards['model.safetensors.index.json'], 5000) });
    // NaN as element 3 of the first tensor of the second shard
    const shardName = Object.keys(shards).filter((file) => file.endsWith('.safetensors'))[1];
    const shard = shards[shardName].slice();
    const view = new DataView(shard.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(shard.subarray(8, 8 + headerLength)));
    const [tensor, { dtype, data_offsets }] = Object.entries(header).find(([name]) => name !== '__metadata__');
    assert.equal(dtype, 'F32');
    view.setUint32(8 + headerLength + data_offsets[0] + 3 * 4, 0x7fc00000, true);
    poisoned = { tensor, shardName };
    await hub.addRepo('probe/nan-shard', { 'config.json': files['config.json'], ...shards, [shardName]: shard });
    const safetensorsHeader = encode(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": ${nested(5000)}}}`);
    const deepSafetensors = new Uint8Array(8 + safetensorsHeader.length + 4);
    new DataView(deepSafetensors.buffer).setBigUint64(0, BigInt(safetensorsHeader.length), true);
    deepSafetensors.set(safetensorsHeader, 8);
    await hub.addRepo('probe/nested-safetensors-header', { 'config.json': files['config.json'], 'model.safetensors': deepSafetensors });
  });

  /** The greedy ids of the good repo: after every failure the same instance still gives them. */
  async function goodIds() {
    const model = await AutoModelForCausalLM.from_pretrained('probe/good');
    try {
      return (await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4, do_sample: false, eos_token_id: [] })).tolist();
    } finally {
      model.dispose();
    }
  }

  /** Asserts `load` fails as `check` says, with the heap back and the good model still running. */
  async function assertFailsAndRecovers(load, check) {
    const runtime = await getRuntime();
    const expected = await goodIds();
    const heapBefore = runtime.heapUsed();
    await assert.rejects(load(), (e) => e instanceof WaxError && check(e));
    assert.equal(runtime.heapUsed(), heapBefore, 'heap in use');
    assert.deepEqual(await goodIds(), expected);
  }

  /** A local folder of the tied fixture with generation_config.json replaced by `text`. */
  async function withGenerationConfig(name, text) {
    const dir = join(testHub.scratch, `generation-config-${name}`);
    await mkdir(dir, { recursive: true });
    for (const file of ['config.json', 'model.safetensors']) await copyFile(join(TIED, file), join(dir, file));
    await writeFile(join(dir, 'generation_config.json'), text);
    return dir;
  }

  it('bad generation_config.json values are WAX_BAD_CONFIG naming the file and the field, not silently used', async () => {
    const cases = [
      ['{"do_sample": "yes"}', /generation_config\.json: do_sample must be true or false, got "yes"; fix the file, or pass do_sample to override it/],
      ['{"eos_token_id": [1e12]}', /generation_config\.json: eos_token_id must be a token id .*got an array of 1/],
      ['{"pad_token_id": -3}', /generation_config\.json: pad_token_id must be an integer in \[0, \d+\], got -3/],
      ['{"top_k": -5}', /generation_config\.json: top_k must be an integer/],
      ['{"temperature": "hot"}', /generation_config\.json: temperature must be a finite number > 0, got "hot"/],
      ['"greedy"', /generation_config\.json: expected an object of settings, got "greedy"/],
    ];
    for (const [text, pattern] of cases) {
      const model = await AutoModelForCausalLM.from_pretrained(await withGenerationConfig(cases.findIndex(([t]) => t === text), text));
      try {
        await assert.rejects(model.generate({ input_ids: [[1, 404]], max_new_tokens: 2 }),
          (e) => e instanceof WaxError && e.code === 'WAX_BAD_CONFIG' && pattern.test(e.message), text);
      } finally {
        model.dispose();
      }
    }
  });

  it('a generation_config.json value the call overrides is not in the way; a max_new_tokens past the positions says where it came from', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(await withGenerationConfig('override', '{"do_sample": "yes", "max_new_tokens": 5000}'));
    try {
      const out = await model.generate({ input_ids: [[1, 404]], max_new_tokens: 2, do_sample: false });
      assert.deepEqual(out.dims, [1, 4]);
      await assert.rejects(model.generate({ input_ids: [[1, 404]], do_sample: false }), (e) => e.code === 'WAX_BAD_INPUT' &&
        /max_new_tokens: 5000 is more than the model's max_position_embeddings \(2048\).*\(generation_config\.json sets max_new_tokens 5000: pass max_new_tokens to override it\)/.test(e.message));
    } finally {
      model.dispose();
    }
  });

  it('JSON nested 5000 deep: generation_config.json and the shard index are read by JSON.parse and load; config.json, tokenizer_config.json and a safetensors header are refused', async () => {
    for (const repo of ['probe/nested-generation-config', 'probe/nested-index']) {
      const model = await AutoModelForCausalLM.from_pretrained(repo);
      assert.deepEqual((await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4, do_sample: false, eos_token_id: [] })).tolist(), await goodIds(), repo);
      model.dispose();
    }
    await assertFailsAndRecovers(() => AutoModelForCausalLM.from_pretrained('probe/nested-config'), (e) =>
      e.code === 'WAX_BAD_CONFIG' && /config\.json: arrays and objects nested more than 64 levels deep/.test(e.message));
    await assertFailsAndRecovers(() => AutoTokenizer.from_pretrained('probe/nested-tokenizer-config'), (e) =>
      e.code === 'WAX_BAD_TOKENIZER' && /tokenizer_config\.json: arrays and objects nested more than 64 levels deep/.test(e.message));
    await assertFailsAndRecovers(() => AutoModelForCausalLM.from_pretrained('probe/nested-safetensors-header'), (e) =>
      e.code === 'WAX_BAD_SAFETENSORS' && /probe\/nested-safetensors-header\/resolve\/main\/model\.safetensors: header: arrays and objects nested more than 64 levels deep/.test(e.message));
  });

  it('NaN in one shard of a sharded checkpoint is WAX_BAD_WEIGHTS naming the shard and the tensor, as fp32 and as q8', async () => {
    for (const dtype of ['fp32', 'q8']) {
      await assertFailsAndRecovers(() => AutoModelForCausalLM.from_pretrained('probe/nan-shard', { dtype }), (e) =>
        e.code === 'WAX_BAD_WEIGHTS' && e.message.includes(`probe/nan-shard/resolve/main/${poisoned.shardName}`) &&
        e.message.includes(`tensor '${poisoned.tensor}' holds NaN at element [0, 3] (index 3)`));
    }
  });

  it('an abort while the server stalls ends the load at once; nothing is left half-written and the next load works', async () => {
    const expected = await goodIds();
    await clearCache('probe/good');
    env.fetchStallTimeout = 60_000;
    hub.options.stallAt = 0.5;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    await assert.rejects(AutoModelForCausalLM.from_pretrained('probe/good', { signal: controller.signal }), (e) => e.name === 'AbortError');
    assert.ok(performance.now() - started < 3000, `aborted after ${performance.now() - started} ms`);
    hub.reset();
    assert.deepEqual((await readdir(env.cacheDir, { recursive: true })).filter((name) => name.endsWith('.part')), []);
    assert.deepEqual(await goodIds(), expected);
  });

  it('local_files_only with an empty cache: WAX_NOT_FOUND saying so, and no request', async () => {
    const requests = hub.requests.length;
    await assert.rejects(AutoModelForCausalLM.from_pretrained('probe/good', { local_files_only: true }), (e) =>
      e instanceof WaxError && e.code === 'WAX_NOT_FOUND' && /config\.json: not in the cache, and local_files_only is true/.test(e.message));
    assert.equal(hub.requests.length, requests);
  });

  it('clearCache() while a download runs: the load finishes, and nothing it wrote stays in the cache', async () => {
    hub.options.bytesPerSecond = 400_000;
    const loading = AutoModelForCausalLM.from_pretrained('probe/good');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await clearCache();
    (await loading).dispose();
    const left = (await readdir(env.cacheDir, { recursive: true }).catch(() => [])).filter((name) => /\.(json|safetensors|part)$/.test(name));
    assert.deepEqual(left, []);
  });
});
