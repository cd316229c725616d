// Loading from the web, through a local stand-in for the Hub (tests/helpers/hub-server.mjs):
// repo ids, redirects, Range header-first reads (and servers without Range), gzip, shards,
// progress events, the file cache, preflight and its refusal, abort, and every failure as a
// clear error naming the URL and the file.
import assert from 'node:assert/strict';
import { readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { AutoModelForCausalLM, AutoTokenizer, WaxError, clearCache, env, isCached, preflight } from '../../js/src/index.js';
import { ChunkReader, readHeader, streamIntoHeap, tensorRunSink } from '../../js/src/loader/fetch-to-heap.js';
import { estimateMemory } from '../../js/src/loader/preflight.js';
import { getRuntime } from '../../js/src/runtime.js';
import { withinTolerance } from '../helpers/compare.mjs';
import { splitSafetensors, hugeHeaderOnly } from '../helpers/hub-server.mjs';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir, npy, rows } from './fixtures.mjs';

const FIXTURE = 'llama_gqa_tied';
const TINY = 'wax-test/tiny';
const SHARDED = 'wax-test/sharded';
const HUGE = 'wax-test/huge';
const testHub = useTestHub('loader');

let hub, files, reference, input;

before(async () => {
  hub = await testHub.start();
  const read = (file) => readFile(join(fixtureDir(FIXTURE), file)).then((b) => new Uint8Array(b));
  files = { 'config.json': await read('config.json'), 'generation_config.json': await read('generation_config.json'), 'model.safetensors': await read('model.safetensors') };
  await hub.addRepo(TINY, files);
  const { 'model.safetensors': single, ...rest } = files;
  await hub.addRepo(SHARDED, { 'config.json': rest['config.json'], ...splitSafetensors(single, 3) });
  const hugeConfig = { model_type: 'llama', vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, max_position_embeddings: 4096 };
  await hub.addRepo(HUGE, { 'config.json': new TextEncoder().encode(JSON.stringify(hugeConfig)), 'model.safetensors': hugeHeaderOnly() });
  reference = await npy(FIXTURE, 'logits.npy');
  input = rows(await npy(FIXTURE, 'input_ids.npy'));
});

/** Loads, checks the forward logits against upstream, disposes. */
async function loadAndCheck(source, options = {}) {
  const model = await AutoModelForCausalLM.from_pretrained(source, options);
  try {
    const { logits } = await model.forward({ input_ids: input });
    const result = withinTolerance(logits.data, reference.data);
    assert.ok(result.ok, `logits: max abs diff ${result.maxAbsDiff} over tolerance ${result.tolerance}`);
  } finally {
    model.dispose();
  }
}

const bodyRequests = (file) => hub.requests.filter((r) => r.path.endsWith(file) && r.status !== 302);

describe('sources', () => {
  it('a repo id resolves to remoteHost + resolve/<revision>/, follows the CDN redirect and reads the header first', async () => {
    env.useFSCache = false;
    await loadAndCheck(TINY);
    const paths = hub.requests.map((r) => `${r.status} ${r.path} ${r.range ?? ''}`.trim());
    assert.ok(paths.includes(`200 /${TINY}/resolve/main/config.json`), paths.join('\n'));
    assert.ok(paths.includes(`302 /${TINY}/resolve/main/model.safetensors bytes=0-7`), paths.join('\n'));
    const weights = bodyRequests('model.safetensors');
    assert.equal(weights[0].range, 'bytes=0-7');
    assert.match(weights[1].range, /^bytes=8-\d+$/);
    assert.match(weights[2].range, /^bytes=\d+-$/);
    assert.ok(weights.every((r) => r.status === 206 && r.path.startsWith('/cdn/')));
    assert.equal(weights.length, 3, 'the header is not downloaded twice');
  });

  it('a revision other than main, and a folder URL', async () => {
    env.useFSCache = false;
    await hub.addRepo(TINY, files, { revision: 'v1.0' });
    await loadAndCheck(TINY, { revision: 'v1.0' });
    assert.ok(hub.requests.some((r) => r.path === `/${TINY}/resolve/v1.0/config.json`));
    await loadAndCheck(`${hub.url}cdn/${TINY}/main/`);
  });

  it('a server that ignores Range: the header comes off the one streamed body', async () => {
    env.useFSCache = false;
    hub.options.range = false;
    await loadAndCheck(TINY);
    const weights = bodyRequests('model.safetensors');
    assert.deepEqual(weights.map((r) => r.status), [200]);
  });

  it('gzip bodies whose content-length is the compressed size', async () => {
    env.useFSCache = false;
    Object.assign(hub.options, { range: false, gzip: true });
    await loadAndCheck(TINY);
  });

  it('a slow server: many progress events, still correct', async () => {
    env.useFSCache = false;
    Object.assign(hub.options, { bytesPerSecond: 4 * 1024 ** 2, chunkBytes: 32 * 1024 });
    const events = [];
    await loadAndCheck(TINY, { progress_callback: (e) => events.push(e) });
    assert.ok(events.filter((e) => e.status === 'progress' && e.file === 'model.safetensors').length > 10);
  });

  it('weights requests go past the HTTP cache (cache: no-store), small files do not; a custom env.fetch sees it', async () => {
    env.useFSCache = false;
    const seen = [];
    const plainFetch = env.fetch;
    env.fetch = (url, init = {}) => {
      seen.push({ file: url.split('/').pop(), cache: init.cache ?? 'default', range: init.headers?.Range ?? null });
      return plainFetch(url, init);
    };
    await loadAndCheck(TINY);
    const weights = seen.filter((r) => r.file === 'model.safetensors');
    assert.equal(weights.length, 3);
    assert.ok(weights.every((r) => r.cache === 'no-store' && r.range), JSON.stringify(weights));
    assert.deepEqual(seen.filter((r) => r.file.endsWith('.json')).map((r) => r.cache), ['default', 'default']);
  });

  it('a local folder, and File / Blob / ArrayBuffer maps', async () => {
    await loadAndCheck(fixtureDir(FIXTURE));
    await loadAndCheck({ 'config.json': new Blob([files['config.json']]), 'model.safetensors': new File([files['model.safetensors']], 'model.safetensors') });
    await loadAndCheck(new Map([['config.json', new TextDecoder().decode(files['config.json'])], ['model.safetensors', files['model.safetensors'].buffer.slice(0)]]));
    await loadAndCheck([new File([files['config.json']], 'config.json'), new File([files['model.safetensors']], 'model.safetensors')]);
  });

  it('env.localModelPath, and env.allowRemoteModels = false', async () => {
    env.localModelPath = join(fixtureDir(FIXTURE), '..');
    await loadAndCheck(FIXTURE);
    env.allowLocalModels = false;
    env.allowRemoteModels = false;
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) => e instanceof WaxError && e.code === 'WAX_NOT_FOUND' && /allowRemoteModels/.test(e.message));
    assert.equal(hub.requests.length, 0);
  });
});

describe('shards', () => {
  it('model.safetensors.index.json and three shards, at most maxParallelDownloads at once', async () => {
    env.useFSCache = false;
    env.maxParallelDownloads = 2;
    const events = [];
    await loadAndCheck(SHARDED, { progress_callback: (e) => events.push(e) });
    const shards = Object.keys(splitSafetensors(files['model.safetensors'], 3)).filter((f) => f.endsWith('.safetensors'));
    for (const shard of shards) assert.ok(events.some((e) => e.status === 'done' && e.file === shard), shard);
    assert.ok(hub.maxConcurrentBodies <= 2, `${hub.maxConcurrentBodies} bodies at once`);
    assert.equal(events.filter((e) => e.status === 'progress_total').at(-1).progress, 100);
  });
});

describe('progress events', () => {
  it('arrive in order per file, loaded never decreases, progress_total reaches 100, ready comes last', async () => {
    env.useFSCache = false;
    hub.options.chunkBytes = 16 * 1024;
    const events = [];
    await loadAndCheck(TINY, { progress_callback: (e) => events.push(e) });
    const order = { initiate: 0, download: 1, progress: 2, done: 3 };
    for (const file of ['config.json', 'generation_config.json', 'model.safetensors']) {
      const mine = events.filter((e) => e.file === file && e.status in order);
      assert.deepEqual(mine.map((e) => order[e.status]), [...mine.map((e) => order[e.status])].sort(), `${file}: ${mine.map((e) => e.status)}`);
      assert.deepEqual(mine.slice(0, 2).map((e) => e.status), ['initiate', 'download'], file);
      const loaded = mine.filter((e) => e.status === 'progress').map((e) => e.loaded);
      assert.deepEqual(loaded, [...loaded].sort((a, b) => a - b), `${file}: loaded is monotone`);
      assert.equal(mine.filter((e) => e.status === 'progress').at(-1).progress, 100);
      assert.ok(mine.every((e) => e.name === TINY));
    }
    assert.ok(events.filter((e) => e.file === 'model.safetensors' && e.status === 'progress').length > 5);
    const totals = events.filter((e) => e.status === 'progress_total');
    assert.equal(totals.at(-1).progress, 100);
    const allBytes = files['model.safetensors'].length + files['config.json'].length + files['generation_config.json'].length;
    assert.ok(totals.every((e) => e.total === allBytes), `a running total over every file from the first event: ${totals.map((e) => e.total)}`);
    const progress = totals.map((e) => e.progress);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress_total never falls back');
    assert.deepEqual(events.at(-1), { status: 'ready', task: 'text-generation', model: TINY });
  });

  it('AutoTokenizer.from_pretrained reads through the same loader: revision, progress events, cache', async () => {
    const tokenizerFiles = { 'tokenizer.json': await readFile(join(fixtureDir(FIXTURE), 'tokenizer.json')).then((b) => new Uint8Array(b)) };
    await hub.addRepo(TINY, { ...files, ...tokenizerFiles }, { revision: 'v2' });
    const events = [];
    const tokenizer = await AutoTokenizer.from_pretrained(TINY, { revision: 'v2', progress_callback: (e) => events.push(e) });
    try {
      assert.deepEqual(tokenizer.encode('Hello'), (await AutoTokenizer.from_pretrained(fixtureDir(FIXTURE))).encode('Hello'));
    } finally {
      tokenizer.dispose();
    }
    assert.ok(hub.requests.some((r) => r.path === `/${TINY}/resolve/v2/tokenizer.json`), hub.requests.map((r) => r.path).join('\n'));
    const mine = events.filter((e) => e.file === 'tokenizer.json').map((e) => e.status);
    assert.deepEqual(mine, ['initiate', 'download', 'progress', 'done']);
    assert.equal(events.filter((e) => e.status === 'progress_total').at(-1).progress, 100);
    hub.reset();
    (await AutoTokenizer.from_pretrained(TINY, { revision: 'v2' })).dispose();
    assert.deepEqual(hub.requests, [], 'cached');
  });
});

describe('cache', () => {
  it('a second load makes no request; isCached and clearCache', async () => {
    assert.equal(await isCached(TINY), false);
    await loadAndCheck(TINY);
    assert.ok(hub.requests.length > 0);
    assert.equal(await isCached(TINY), true);
    hub.reset();
    const events = [];
    await loadAndCheck(TINY, { progress_callback: (e) => events.push(e) });
    assert.deepEqual(hub.requests, [], 'the second load asked the server nothing');
    assert.ok(!events.some((e) => e.status === 'download'));
    assert.equal(events.filter((e) => e.status === 'progress_total').at(-1).progress, 100);
    assert.ok((await clearCache(TINY)) >= 3);
    assert.equal(await isCached(TINY), false);
  });

  it('sharded models and an absent optional file are remembered too', async () => {
    await loadAndCheck(SHARDED);
    assert.equal(await isCached(SHARDED), true);
    hub.reset();
    await loadAndCheck(SHARDED);
    assert.deepEqual(hub.requests, []);
  });

  it('a truncated cached file is never served as complete: it is downloaded again', async () => {
    await loadAndCheck(TINY);
    const folder = testHub.cacheFolder(TINY);
    const cached = join(folder, 'model.safetensors');
    assert.deepEqual((await readdir(folder)).filter((f) => f.endsWith('.part')), [], 'no temporary file left');
    await truncate(cached, files['model.safetensors'].length - 1000);
    hub.reset();
    await loadAndCheck(TINY);
    assert.ok(bodyRequests('model.safetensors').length > 0, 'downloaded again');
    hub.reset();
    await loadAndCheck(TINY);
    assert.deepEqual(hub.requests, [], 'and cached again');
  });

  it('a cached file whose bytes changed fails the LFS sha256 and is downloaded again', async (t) => {
    await loadAndCheck(TINY);
    const cached = join(testHub.cacheFolder(TINY), 'model.safetensors');
    const bytes = await readFile(cached);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(cached, bytes);
    const warn = t.mock.method(console, 'warn', () => {});
    hub.reset();
    await loadAndCheck(TINY);
    assert.ok(bodyRequests('model.safetensors').length > 0);
    assert.match(warn.mock.calls.map((c) => c.arguments[0]).join('\n'), /sha256/);
  });

  it('a customCache whose writes fail for quota: the load succeeds with a warning', async (t) => {
    const quota = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    env.useCustomCache = true;
    env.customCache = { match: async () => undefined, put: quota, delete: async () => false };
    const warn = t.mock.method(console, 'warn', () => {});
    await loadAndCheck(TINY);
    assert.match(warn.mock.calls.map((c) => c.arguments[0]).join('\n'), /QuotaExceededError/);
  });

  it('a cached copy whose body stops giving bytes is dropped after env.fetchStallTimeout and downloaded again', async (t) => {
    const store = new Map();
    const stalling = (response) => new Response(new ReadableStream({
      async start(controller) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        controller.enqueue(bytes.slice(0, 64 * 1024)); // the header and a little of the data, then nothing ever again
      },
    }), { headers: response.headers });
    env.useCustomCache = true;
    env.useFSCache = false;
    env.customCache = {
      match: async (key) => (key.endsWith('model.safetensors') && store.has(key) ? stalling(store.get(key).clone()) : store.get(key)?.clone()),
      put: async (key, response) => { store.set(key, new Response(await response.arrayBuffer(), { headers: response.headers })); },
      delete: async (key) => store.delete(key),
    };
    await loadAndCheck(TINY);
    hub.reset();
    env.fetchStallTimeout = 300;
    const warn = t.mock.method(console, 'warn', () => {});
    await loadAndCheck(TINY);
    assert.ok(bodyRequests('model.safetensors').length > 0, 'downloaded again');
    assert.match(warn.mock.calls.map((c) => c.arguments[0]).join('\n'), /the cached copy gave nothing for 0\.3 s.*downloading it again/);
  });

  it('a customCache that works serves the second load, only while env.useCustomCache is true (as transformers.js)', async () => {
    const store = new Map();
    env.customCache = {
      match: async (key) => store.get(key)?.clone(),
      put: async (key, response) => { store.set(key, new Response(await response.arrayBuffer(), { headers: response.headers })); },
      delete: async (key) => store.delete(key),
    };
    env.useFSCache = false;
    await loadAndCheck(TINY);
    assert.equal(store.size, 0, 'customCache is ignored while useCustomCache is false');
    env.useCustomCache = true;
    await loadAndCheck(TINY);
    assert.ok(store.size >= 3);
    hub.reset();
    await loadAndCheck(TINY);
    assert.deepEqual(hub.requests, []);
    env.customCache = null;
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), { code: 'WAX_BAD_INPUT', message: /useCustomCache/ });
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { worker: true }), { code: 'WAX_UNSUPPORTED', message: /worker: false/ });
  });
});

describe('preflight', () => {
  it('reports a small model as fitting, from the headers only', async () => {
    env.useFSCache = false;
    const report = await preflight(TINY, { max_length: 128 });
    assert.equal(report.fits, true);
    assert.equal(report.weight_bytes, files['model.safetensors'].length);
    assert.ok(report.kv_cache_bytes > 0 && report.peak_bytes > report.weight_bytes);
    assert.equal(report.limit_bytes <= 4 * 1024 ** 3, true);
    assert.ok(bodyRequests('model.safetensors').every((r) => /^bytes=\d+-\d+$/.test(r.range)), 'no body request');
  });

  it('a 5 GB header does not fit, and from_pretrained refuses it before downloading the body', async () => {
    env.useFSCache = false;
    const report = await preflight(HUGE, { max_length: 1024 });
    assert.equal(report.fits, false);
    assert.ok(report.weight_bytes > 5e9, String(report.weight_bytes));
    assert.match(report.advice, /checkpoint files alone do not fit: try dtype: 'q8' \(quantized as the files stream in/);
    const q4 = await preflight(HUGE, { max_length: 1024, dtype: 'q4' });
    assert.equal(q4.fits, true, 'q4 quantizes each run of tensors as it arrives: the f32 files never sit whole in the heap');
    assert.ok(q4.weight_bytes < 0.2 * report.weight_bytes);
    hub.reset();
    await assert.rejects(AutoModelForCausalLM.from_pretrained(HUGE), (e) =>
      e instanceof WaxError && e.code === 'WAX_TOO_LARGE' && e.message.includes(HUGE) && /needs about \d+\.\d\d GiB \(weights 5\.00 GiB in the 5\.00 GiB checkpoint \(model\.safetensors\)/.test(e.message) && /quantized/.test(e.message));
    const weights = bodyRequests('model.safetensors');
    assert.deepEqual(weights.map((r) => r.range), ['bytes=0-7', `bytes=8-${hugeHeaderOnly().length - 1}`]);
  });

  it('suggests the dtype that fits when converting on load helps', async () => {
    const runtime = await getRuntime(); // the module computes the estimate
    const gb = 1e9;
    const headers = [{ size: 2 * gb, header: { tensors: { w: { dtype: 'F32', shape: [50_000, 10_000], data_offsets: [0, 2 * gb] } } } }];
    const config = { model_type: 'llama', hidden_size: 256, num_hidden_layers: 32, num_attention_heads: 8, num_key_value_heads: 8, intermediate_size: 1024, vocab_size: 1000 };
    const limits = [{ name: 'a 2.5 GB test limit', bytes: 2.5 * gb }];
    const fp32 = estimateMemory({ runtime, config, headers, max_length: 8192, limits });
    assert.equal(fp32.fits, false);
    assert.match(fp32.advice, /a 2\.5 GB test limit/);
    assert.match(fp32.advice, /try a smaller max_length \(\d+ fits\)/);
    assert.match(fp32.advice, /dtype: 'q4' fits with max_length 8192/);
    const q4 = estimateMemory({ runtime, config, headers, dtype: 'q4', max_length: 8192, limits });
    assert.equal(q4.fits, true, q4.advice);
    assert.equal(q4.weight_bytes, Math.ceil(5e8 * 18 / 32));
  });

  it('an encoder is estimated by its own family: BERT keeps no KV cache, and plans for its max_position_embeddings', async () => {
    const dir = fixtureDir('bert_tiny_st');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const report = await preflight(dir);
    assert.equal(report.fits, true, report.advice);
    assert.equal(report.kv_cache_bytes, 0);
    assert.equal(report.max_length, Math.min(config.max_position_embeddings, 2048));
    assert.ok(report.peak_bytes > report.weight_bytes);
    await assert.rejects(preflight(dir, { dtype: 'q3' }), { code: 'WAX_BAD_INPUT', message: /dtype 'q3' is not supported \(expected fp32, fp16, q8 or q4\)/ });
  });

  it('suggests a smaller max_length when the KV cache is what does not fit', async () => {
    env.useFSCache = false;
    const report = await preflight(TINY, { max_length: 200_000 });
    assert.equal(report.fits, false);
    assert.match(report.advice, /smaller max_length \(\d+ fits\)/);
  });
});

describe('abort', () => {
  for (const fraction of [0.1, 0.5, 0.99]) {
    it(`at ${fraction * 100} % of the download: AbortError, the heap back where it was, the next load works`, async () => {
      const runtime = await getRuntime();
      await loadAndCheck(fixtureDir(FIXTURE)); // the heap's high-water mark, before measuring
      const heapBefore = runtime.heapUsed();
      hub.options.stallAt = fraction;
      const controller = new AbortController();
      const size = files['model.safetensors'].length;
      let abortedAt = null;
      const progress_callback = (e) => {
        if (e.status === 'progress' && e.file === 'model.safetensors' && e.loaded >= Math.floor(fraction * size) && !abortedAt) {
          abortedAt = e.loaded;
          controller.abort();
        }
      };
      await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { signal: controller.signal, progress_callback }), (e) => e.name === 'AbortError');
      assert.ok(abortedAt >= fraction * size * 0.99 && abortedAt < size, `aborted at ${abortedAt} of ${size}`);
      assert.ok(Math.abs(runtime.heapUsed() - heapBefore) <= 64 * 1024, `heap in use ${heapBefore} → ${runtime.heapUsed()}`);
      assert.equal(await isCached(TINY), false, 'nothing half-written in the cache');
      hub.reset();
      await loadAndCheck(TINY);
    });
  }

  it('a stalled response ends with the signal\'s reason (AbortSignal.timeout)', async () => {
    hub.options.stallAt = 0.5;
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { signal: AbortSignal.timeout(300) }), (e) => e.name === 'TimeoutError');
  });
});

describe('errors name the URL and the file', () => {
  it('404 EntryNotFound with the Hub\'s message', async () => {
    await hub.addRepo('wax-test/empty', { 'README.md': new Uint8Array(1) });
    await assert.rejects(AutoModelForCausalLM.from_pretrained('wax-test/empty'), (e) =>
      e.code === 'WAX_NOT_FOUND' && e.message.includes(`${hub.url}wax-test/empty/resolve/main/config.json`) && /EntryNotFound: Entry not found/.test(e.message));
  });

  it('401 RepoNotFound, also said to be no local folder (Node looks for one first)', async () => {
    await assert.rejects(AutoModelForCausalLM.from_pretrained('nobody/nothing'), (e) =>
      e.code === 'WAX_NOT_FOUND' && e.cause.code === 'WAX_FETCH_FAILED' && /^no folder 'nobody\/nothing' here \(cwd /.test(e.message) &&
      e.message.includes(`${hub.url}nobody/nothing/resolve/main/config.json`) && /401 RepoNotFound/.test(e.message) && /private or gated/.test(e.message));
  });

  it('404 RevisionNotFound', async () => {
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { revision: 'no-such-branch' }), (e) =>
      e.code === 'WAX_NOT_FOUND' && /RevisionNotFound/.test(e.message) && e.message.includes('config.json'));
  });

  it('no weights at all', async () => {
    env.useFSCache = false;
    await hub.addRepo('wax-test/config-only', { 'config.json': files['config.json'] });
    await assert.rejects(AutoModelForCausalLM.from_pretrained('wax-test/config-only'), (e) =>
      e.code === 'WAX_NOT_FOUND' && /neither model\.safetensors nor model\.safetensors\.index\.json/.test(e.message) && e.message.includes(hub.url));
  });

  for (const range of [true, false]) {
    it(`a truncated body (Range ${range ? 'on' : 'off'})`, async () => {
      Object.assign(hub.options, { range, truncateAt: 0.6 });
      const runtime = await getRuntime();
      const heapBefore = runtime.heapUsed();
      await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
        e.code === 'WAX_FETCH_FAILED' && e.message.includes(`${hub.url}${TINY}/resolve/main/model.safetensors`) && /broke off|ended after/.test(e.message));
      assert.ok(Math.abs(runtime.heapUsed() - heapBefore) <= 64 * 1024);
      assert.equal(await isCached(TINY), false);
      hub.reset();
      await loadAndCheck(TINY);
    });
  }

  it('a connection refused', async () => {
    env.remoteHost = 'http://127.0.0.1:9/';
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY), (e) =>
      e.cause.code === 'WAX_FETCH_FAILED' && e.message.includes('http://127.0.0.1:9/wax-test/tiny/resolve/main/config.json'));
  });
});

describe('q8/q4 loads quantize each run of tensors as it streams in', () => {
  const logitsOf = async (model) => (await model.forward({ input_ids: input })).logits.data;

  it('runs are contiguous, hold whole tensors and carry the file\'s bytes; the cache still gets the whole file', async () => {
    const runtime = await getRuntime();
    const file = files['model.safetensors'];
    const prefixLength = 8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    const header = readHeader(runtime, 'test', file.subarray(0, prefixLength));
    let offset = 0;
    const opened = {
      label: 'test', prefix: file.slice(0, prefixLength), header, size: file.length, declaredSize: file.length, sha256: null,
      fromCache: false, close() {},
      openBody: async () => new ChunkReader(async () => {
        if (offset >= file.length) return null;
        const chunk = file.subarray(Math.max(offset, prefixLength), offset + 777); // odd chunks, across run ends
        offset = Math.max(offset, prefixLength) + chunk.length;
        return chunk;
      }),
    };
    offset = prefixLength;
    const runs = [], cached = [];
    let head = null;
    const heapBefore = runtime.heapUsed();
    const sink = tensorRunSink(runtime, opened, {
      begin: (prefix) => { head = prefix; },
      addRun: (ptr, dataBegin, size) => runs.push({ dataBegin, bytes: runtime.heapU8.slice(ptr, ptr + size) }),
      runBytes: 1000,
    });
    const cacheWriter = { write: async (chunk) => { cached.push(chunk.slice()); }, close: async () => {}, abort() {} };
    await streamIntoHeap(runtime, opened, { sink, cacheWriter });
    assert.equal(runtime.heapUsed(), heapBefore, 'the run buffer is freed');
    assert.deepEqual(head, opened.prefix);
    assert.ok(runs.length > 3, `${runs.length} runs`);
    let expected = 0;
    for (const run of runs) {
      assert.equal(run.dataBegin, expected, 'contiguous');
      assert.deepEqual(run.bytes, file.subarray(prefixLength + run.dataBegin, prefixLength + run.dataBegin + run.bytes.length));
      expected += run.bytes.length;
      for (const spec of Object.values(header.tensors)) {
        const [begin, end] = spec.data_offsets;
        if (begin >= run.dataBegin && begin < expected) assert.ok(end <= expected, 'a tensor is never cut');
      }
    }
    assert.equal(prefixLength + expected, file.length);
    assert.deepEqual(Buffer.concat(cached), Buffer.from(file));
  });

  for (const dtype of ['q8', 'q4']) {
    it(`${dtype}: the heap never holds the file; the second load comes from the cache with the same logits`, async () => {
      const runtime = await getRuntime();
      const first = await AutoModelForCausalLM.from_pretrained(TINY, { dtype });
      const expected = await logitsOf(first);
      first.dispose();
      assert.equal(await isCached(TINY), true);
      hub.reset();
      const second = await AutoModelForCausalLM.from_pretrained(TINY, { dtype });
      assert.deepEqual(hub.requests, [], 'served by the cache');
      assert.deepEqual(await logitsOf(second), expected);
      second.dispose();
      assert.ok(runtime.heapUsed() < files['model.safetensors'].length, 'nothing of the file is left behind');
    });
  }

  it('a damaged cache entry is deleted and the streamed load starts again from the network', async (t) => {
    const model = await AutoModelForCausalLM.from_pretrained(TINY, { dtype: 'q8' });
    const expected = await logitsOf(model);
    model.dispose();
    const cached = join(testHub.cacheFolder(TINY), 'model.safetensors');
    const bytes = await readFile(cached);
    bytes[bytes.length - 5] ^= 0xff; // found by the sha256 at the end, after every run was handed over
    await writeFile(cached, bytes);
    const warn = t.mock.method(console, 'warn', () => {});
    hub.reset();
    const again = await AutoModelForCausalLM.from_pretrained(TINY, { dtype: 'q8' });
    assert.deepEqual(await logitsOf(again), expected);
    again.dispose();
    assert.ok(bodyRequests('model.safetensors').length > 0, 'downloaded again');
    assert.match(warn.mock.calls.map((c) => c.arguments[0]).join('\n'), /sha256.*downloading it again/);
  });

  it('an abort half-way: AbortError, the heap back where it was, nothing cached', async () => {
    const runtime = await getRuntime();
    (await AutoModelForCausalLM.from_pretrained(TINY, { dtype: 'q4' })).dispose(); // the high-water mark
    await clearCache(TINY);
    const heapBefore = runtime.heapUsed();
    hub.reset();
    hub.options.stallAt = 0.5;
    const controller = new AbortController();
    const progress_callback = (e) => { if (e.status === 'progress' && e.file === 'model.safetensors' && e.loaded >= files['model.safetensors'].length / 2) controller.abort(); };
    await assert.rejects(AutoModelForCausalLM.from_pretrained(TINY, { dtype: 'q4', signal: controller.signal, progress_callback }), (e) => e.name === 'AbortError');
    assert.ok(Math.abs(runtime.heapUsed() - heapBefore) <= 64 * 1024, `heap in use ${heapBefore} → ${runtime.heapUsed()}`);
    assert.equal(await isCached(TINY), false);
  });
});
