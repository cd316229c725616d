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
import { clearDuringDownload } from '../helpers/loader-probes.mjs';
import { inputProbeTests } from '../helpers/input-probe-checks.mjs';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir } from './fixtures.mjs';

const PROBES = new URL('../helpers/input-probes.mjs', import.meta.url).href;
const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const TIED = fixtureDir('llama_gqa_tied');

/** runInputProbes (tests/helpers/input-probes.mjs) in a fresh Node with WAX_NUM_THREADS=threads. */
async function runProbes({ threads, worker }) {
  const script = `const { runInputProbes } = await import(${JSON.stringify(PROBES)});
    console.log(JSON.stringify(await runInputProbes({ source: ${JSON.stringify(KJV)}, worker: ${worker} })));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 240_000, maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

for (const mode of [{ threads: 1, worker: false }, { threads: 2, worker: false }, { threads: 1, worker: true }]) {
  const label = mode.worker ? 'the wax worker' : `in-process, ${mode.threads} thread${mode.threads > 1 ? 's' : ''}`;
  describe(`bad inputs through model, pipeline and tokenizer (${label})`, () => {
    let run;
    before(async () => { run = await runProbes(mode); });
    inputProbeTests(() => run, { heapUsed: !mode.worker });
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
      ['{"do_sample": "yes"}', /generation_config\.json: 'do_sample' expected true or false, got "yes"; fix the file, or pass do_sample to override it/],
      ['{"eos_token_id": [1e12]}', /generation_config\.json: 'eos_token_id' expected a token id .*got an array of 1/],
      ['{"pad_token_id": -3}', /generation_config\.json: 'pad_token_id' expected a token id \(an integer in \[0, 2\^31\)\), got -3/],
      ['{"top_k": -5}', /generation_config\.json: 'top_k' expected a non-negative integer/],
      ['{"temperature": "hot"}', /generation_config\.json: 'temperature' expected a number, got "hot"/],
      ['{"top_p": 1.5}', /generation_config\.json: 'top_p' expected a number in \(0, 1\], got 1\.5/],
      ['"greedy"', /generation_config\.json: expected a JSON object, got "greedy"/],
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

  it('JSON nested 5000 deep: the shard index is read by JSON.parse and loads; config.json, generation_config.json, tokenizer_config.json and a safetensors header are refused by C++', async () => {
    const model = await AutoModelForCausalLM.from_pretrained('probe/nested-index');
    assert.deepEqual((await model.generate({ input_ids: [[1, 404, 442]], max_new_tokens: 4, do_sample: false, eos_token_id: [] })).tolist(), await goodIds());
    model.dispose();
    await assertFailsAndRecovers(() => AutoModelForCausalLM.from_pretrained('probe/nested-config'), (e) =>
      e.code === 'WAX_BAD_CONFIG' && /config\.json: arrays and objects nested more than 64 levels deep/.test(e.message));
    await assertFailsAndRecovers(() => AutoModelForCausalLM.from_pretrained('probe/nested-generation-config'), (e) =>
      e.code === 'WAX_BAD_CONFIG' && /generation_config\.json: arrays and objects nested more than 64 levels deep/.test(e.message));
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

  for (const worker of [false, true]) {
    it(`clearCache() while the weights download${worker ? ' in the wax worker' : ''}: the load finishes, and nothing it wrote stays in the cache`, async () => {
      hub.options.bytesPerSecond = 400_000;
      await clearDuringDownload('probe/good', worker);
      const left = (await readdir(env.cacheDir, { recursive: true }).catch(() => [])).filter((name) => /\.(json|safetensors|part)$/.test(name));
      assert.deepEqual(left, []);
    });
  }
});

describe('a local path that does not exist, from another folder', () => {
  it('names each folder looked at once (from /, \'../x\' and env.localModelPath\'s \'/models/../x\' are one folder)', async () => {
    const script = `const { AutoModelForCausalLM } = await import(${JSON.stringify(new URL('../../js/src/index.js', import.meta.url).href)});
      try { await AutoModelForCausalLM.from_pretrained('../wax-no-such-folder/x'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: '/', timeout: 60_000 });
    const { code, message } = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.equal(code, 'WAX_NOT_FOUND', message);
    assert.match(message, /no folder '\.\.\/wax-no-such-folder\/x' here \(cwd \/; looked at \/wax-no-such-folder\/x\)/);
  });
});
