// Loads that go wrong in the user's hands (issue 11, items 5, 11, 12 and 13): a server that stops
// answering, a progress_callback that throws, a file where a folder belongs, bad env values and
// configs, local paths mistaken for repo ids, local_files_only, and ONNX-only repos. Each ends in
// a WaxError that names the thing and what to do, with nothing left allocated.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer, WaxError, env, isCached, pipeline, preflight } from '../../js/src/index.js';
import { estimateMemory } from '../../js/src/loader/preflight.js';
import { getRuntime } from '../../js/src/runtime.js';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir } from './fixtures.mjs';

const FIXTURE = 'llama_gqa_tied';
const TINY = 'wax-test/tiny';
const encode = (value) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const testHub = useTestHub('loader-faults');

let hub, files;

before(async () => {
  hub = await testHub.start();
  const read = async (file) => new Uint8Array(await readFile(join(fixtureDir(FIXTURE), file)));
  files = Object.fromEntries(await Promise.all(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']
    .map(async (file) => [file, await read(file)])));
  await hub.addRepo(TINY, files);
  const onnxFiles = { 'config.json': files['config.json'], 'tokenizer.json': files['tokenizer.json'] };
  await hub.addRepo('onnx-community/tiny-ONNX', { ...onnxFiles, 'onnx/model.onnx': new Uint8Array(64),
    'README.md': encode('---\nlibrary_name: transformers.js\nbase_model:\n- wax-test/tiny\n---\n# tiny') });
  await hub.addRepo('Xenova/tiny', { ...onnxFiles, 'onnx/model_quantized.onnx': new Uint8Array(64) });
  await hub.addRepo('wax-test/absurd', { 'config.json': encode({ ...JSON.parse(new TextDecoder().decode(files['config.json'])), hidden_size: 1e300 }), 'model.safetensors': files['model.safetensors'] });
});

async function loadAndDispose(source, options) {
  (await AutoModelForCausalLM.from_pretrained(source, options)).dispose();
}

/** env.fetch recording every URL asked for (and passing it on to the stand-in). */
function recordFetches() {
  const calls = [];
  env.fetch = (url, init) => {
    calls.push(String(url));
    return testHub.savedEnv.fetch(url, init);
  };
  return calls;
}

describe('a server that stops sending fails after env.fetchStallTimeout', () => {
  it('no response headers: WAX_FETCH_FAILED naming the URL and the setting, long before 300 s', async () => {
    env.fetchStallTimeout = 300;
    hub.options.intercept = ({ file }) => (file === 'config.json' ? 'hang' : null);
    const started = performance.now();
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e.cause?.code === 'WAX_FETCH_FAILED' && e.message.includes(`${hub.url}${TINY}/resolve/main/config.json`) &&
      /nothing arrived for 0\.3 s while waiting for the response/.test(e.message) && /env\.fetchStallTimeout is 300 ms/.test(e.message));
    assert.ok(performance.now() - started < 5000);
  });

  it('a body that stops half-way: the heap back where it was, no .part, nothing cached; the next load works', async () => {
    const runtime = await getRuntime();
    await loadAndDispose(fixtureDir(FIXTURE)); // the heap's high-water mark, before measuring
    const heapBefore = runtime.heapUsed();
    env.fetchStallTimeout = 300;
    hub.options.stallAt = 0.5;
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e.code === 'WAX_FETCH_FAILED' && e.message.includes(`${hub.url}${TINY}/resolve/main/model.safetensors`) && /waiting for the body/.test(e.message));
    assert.ok(Math.abs(runtime.heapUsed() - heapBefore) <= 64 * 1024, `heap in use ${heapBefore} → ${runtime.heapUsed()}`);
    assert.equal(await isCached(TINY), false);
    assert.deepEqual((await readdir(env.cacheDir, { recursive: true })).filter((name) => name.endsWith('.part')), []);
    hub.reset();
    await loadAndDispose(TINY);
  });

  it('a small file\'s body that stops', async () => {
    env.fetchStallTimeout = 300;
    Object.assign(hub.options, { throttled: /config\.json$/, stallAt: 0.5 });
    await assert.rejects(AutoTokenizer.from_pretrained(TINY), (e) =>
      e.code === 'WAX_FETCH_FAILED' && /tokenizer_config\.json|tokenizer\.json/.test(e.message) && /waiting for the body/.test(e.message));
  });

  it('0 turns it off (the caller\'s signal still ends the wait); a bad value names the key', async () => {
    env.fetchStallTimeout = 0;
    hub.options.intercept = ({ file }) => (file === 'config.json' ? 'hang' : null);
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { signal: AbortSignal.timeout(600) }), (e) => e.name === 'TimeoutError');
    for (const bad of ['30s', -1, NaN]) {
      env.fetchStallTimeout = bad;
      await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
        e.code === 'WAX_BAD_INPUT' && e.message.startsWith('env.fetchStallTimeout must be a number of at least 0, got'));
    }
  });
});

describe('a progress_callback that throws never breaks or leaks a load', () => {
  it('throwing at \'ready\': the model loads; after dispose the heap is back; one warning names the event', async (t) => {
    const runtime = await getRuntime();
    await loadAndDispose(fixtureDir(FIXTURE));
    const heapBefore = runtime.heapUsed();
    const warn = t.mock.method(console, 'warn', () => {});
    for (let i = 0; i < 3; i++) {
      const model = await AutoModelForCausalLM.from_pretrained(fixtureDir(FIXTURE), {
        progress_callback: (e) => { if (e.status === 'ready') throw new Error('boom'); },
      });
      model.dispose();
    }
    assert.equal(runtime.heapUsed(), heapBefore);
    assert.equal(warn.mock.callCount(), 3, 'once per load');
    assert.match(warn.mock.calls[0].arguments[0], /progress_callback threw at the 'ready' event \(Error: boom\); the load goes on/);
  });

  it('throwing, or rejecting, at every event: the load completes with one warning', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    await loadAndDispose(TINY, { progress_callback: () => { throw new TypeError('bar is undefined'); } });
    assert.equal(warn.mock.callCount(), 1);
    assert.match(warn.mock.calls[0].arguments[0], /'initiate' event of config\.json \(TypeError: bar is undefined\)/);
    await loadAndDispose(TINY, { progress_callback: async () => { throw new Error('async boom'); } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(warn.mock.callCount(), 2);
    assert.match(warn.mock.calls[1].arguments[0], /async boom/);
  });
});

describe('what the user passed, named in the error', () => {
  it('a file where the folder belongs', async () => {
    const file = join(fixtureDir(FIXTURE), 'config.json');
    for (const load of [() => AutoModelForCausalLM.from_pretrained(file), () => AutoTokenizer.from_pretrained(file)]) {
      await assert.rejects(load(), (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' &&
        e.message === `'${file}' is a file, but a folder was expected: the one holding config.json (or tokenizer.json) and the weights, such as '${fixtureDir(FIXTURE)}'`);
    }
    await assert.rejects(AutoModelForCausalLM.from_pretrained(join(file, 'inside')), (e) => e.code === 'WAX_NOT_FOUND' && /no folder/.test(e.message));
  });

  it('env.maxParallelDownloads that is not an integer of at least 1', async () => {
    for (const bad of [NaN, 0, 2.5, '4']) {
      env.maxParallelDownloads = bad;
      await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
        e.code === 'WAX_BAD_INPUT' && e.message === `env.maxParallelDownloads must be an integer of at least 1, got ${typeof bad === 'string' ? `"${bad}"` : bad}`);
    }
  });

  it('a body shorter than its Content-Length on the header read: the URL, and how much came', async () => {
    hub.options.truncateAt = 4; // the 206 for bytes 0-7 announces 8 bytes, then the connection closes
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e instanceof WaxError && e.code === 'WAX_FETCH_FAILED' && e.message.includes(`${hub.url}${TINY}/resolve/main/model.safetensors`) &&
      /cut off after 4 of the 8 bytes its Content-Length announced/.test(e.message));
  });

  it('an absurd config names the field and what is expected, not a size in GiB', async () => {
    const config = { model_type: 'llama', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, vocab_size: 100 };
    const headers = [{ size: 1000, header: { tensors: {} } }];
    const limits = [{ name: 'test', bytes: 4 * 1024 ** 3 }];
    const runtime = await getRuntime(); // the module reads config.json
    for (const [field, value] of [['hidden_size', 1e300], ['vocab_size', 2 ** 40], ['num_hidden_layers', -2], ['intermediate_size', 12.5], ['num_attention_heads', '4']]) {
      assert.throws(() => estimateMemory({ runtime, config: { ...config, [field]: value }, headers, limits }), (e) =>
        e.code === 'WAX_BAD_CONFIG' && e.message === `config.json: '${field}' expected a positive integer of at most 16777216, got ${JSON.stringify(value)}`);
    }
    assert.throws(() => estimateMemory({ runtime, config: { text_config: { ...config, vocab_size: 0 } }, headers, limits }), /config\.json 'text_config': 'vocab_size'/);
    assert.throws(() => estimateMemory({ runtime, config: null, headers, limits }), { code: 'WAX_BAD_CONFIG', message: /expected a JSON object, got null/ });
    assert.throws(() => estimateMemory({ runtime, config, headers, limits, max_length: NaN }), { code: 'WAX_BAD_INPUT', message: /max_length: expected a positive integer, got NaN/ });
    await assert.rejects(preflight('wax-test/absurd'), { code: 'WAX_BAD_CONFIG', message: /'hidden_size' expected a positive integer .* got 1e\+300/ });
    await assert.rejects(AutoModelForCausalLM.from_pretrained('wax-test/absurd'), { code: 'WAX_BAD_CONFIG', message: /'hidden_size'/ });
  });
});

describe('local folders and repo ids', () => {
  it('a typo in a local path: no such folder here, the near match, and why the Hub said no', async () => {
    await assert.rejects(AutoModelForCausalLM.from_pretrained('models/kjv-llama-5M'), (e) =>
      e.code === 'WAX_NOT_FOUND' && e.message.startsWith(`no folder 'models/kjv-llama-5M' here (cwd ${process.cwd()}; looked at ${join(process.cwd(), 'models/kjv-llama-5M')}, /models/models/kjv-llama-5M; ` +
        'did you mean \'models/kjv-llama-5m\'?); as a Hub repo id it failed because: config.json: access denied') && e.message.includes(hub.url));
  });

  it('the README\'s relative path from another folder says which cwd it was looked for in', async () => {
    const cwd = process.cwd();
    process.chdir(testHub.scratch);
    try {
      await assert.rejects(pipeline('text-generation', 'models/kjv-llama-5m'), (e) =>
        e.code === 'WAX_NOT_FOUND' && e.message.startsWith(`no folder 'models/kjv-llama-5m' here (cwd ${testHub.scratch}; looked at ${join(testHub.scratch, 'models/kjv-llama-5m')}`) &&
        /as a Hub repo id it failed because/.test(e.message));
      await assert.rejects(AutoTokenizer.from_pretrained('./missing'), (e) =>
        e.code === 'WAX_NOT_FOUND' && e.message === `missing/tokenizer.json: not found: no folder './missing' here (cwd ${testHub.scratch}; looked at ${join(testHub.scratch, 'missing')}, /models/missing)`);
    } finally {
      process.chdir(cwd);
    }
  });

  it('local_files_only never touches the network: it loads from the cache, or says what is missing', async () => {
    const calls = recordFetches();
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { local_files_only: true }), (e) =>
      e.code === 'WAX_NOT_FOUND' && /config\.json: not in the cache, and local_files_only is true/.test(e.message));
    await assert.rejects(pipeline('text-generation', TINY, { local_files_only: true }), (e) => e.code === 'WAX_NOT_FOUND' && /local_files_only/.test(e.message));
    await assert.rejects(preflight(TINY, { local_files_only: true }), { code: 'WAX_NOT_FOUND' });
    assert.deepEqual(calls, []);
    await loadAndDispose(TINY);
    (await AutoTokenizer.from_pretrained(TINY)).dispose();
    calls.length = 0;
    await loadAndDispose(TINY, { local_files_only: true });
    (await pipeline('text-generation', TINY, { local_files_only: true })).dispose();
    env.allowRemoteModels = false;
    await loadAndDispose(TINY);
    assert.deepEqual(calls, []);
  });

  it('an ONNX-only repo: wax reads safetensors, and the original model\'s repo is named', async () => {
    await assert.rejects(AutoModelForCausalLM.from_pretrained('onnx-community/tiny-ONNX'), (e) =>
      e.code === 'WAX_UNSUPPORTED' && e.message.includes('onnx-community/tiny-ONNX/resolve/main/onnx/model.onnx is there, but neither model.safetensors nor model.safetensors.index.json') &&
      /ONNX export.*wax reads safetensors: load the original model's repo instead, 'wax-test\/tiny' \(the README's base_model\)/.test(e.message));
    await assert.rejects(preflight('Xenova/tiny'), (e) =>
      e.code === 'WAX_UNSUPPORTED' && /onnx\/model_quantized\.onnx is there/.test(e.message) && /usually names it as base_model\), which holds model\.safetensors/.test(e.message));
    await assert.rejects(AutoModelForCausalLM.from_pretrained({ 'config.json': files['config.json'], 'model.onnx': new Uint8Array(8) }), { code: 'WAX_UNSUPPORTED' });
  });
});
