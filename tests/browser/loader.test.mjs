// The web loader inside headless Chromium: a page on one origin (tools/serve.mjs, cross-origin
// isolated) loads from the stand-in Hub on another (tests/helpers/hub-server.mjs, with CORS):
// repo ids through redirects and Range requests, shards made here, progress events, the Cache
// API (a second load makes no request; a truncated entry is downloaded again), preflight's
// refusal of a 5 GB header, and abort with the heap back where it was.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { splitSafetensors, startHubServer, hugeHeaderOnly } from '../helpers/hub-server.mjs';
import { openBrowser } from './browser.mjs';

const fixtureFile = (file) => new URL(`../fixtures/llama_gqa_tied/${file}`, import.meta.url);
let browser, hub, page, files;


before(async () => {
  hub = await startHubServer();
  files = Object.fromEntries(await Promise.all(['config.json', 'generation_config.json', 'model.safetensors']
    .map(async (file) => [file, new Uint8Array(await readFile(fixtureFile(file)))])));
  await hub.addRepo('wax-test/tiny', files);
  await hub.addRepo('wax-test/sharded', { 'config.json': files['config.json'], ...splitSafetensors(files['model.safetensors'], 3) });
  const hugeConfig = { model_type: 'llama', vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32 };
  await hub.addRepo('wax-test/huge', { 'config.json': new TextEncoder().encode(JSON.stringify(hugeConfig)), 'model.safetensors': hugeHeaderOnly() });
  browser = await openBrowser();
  page = await browser.newPage();
  await page.goto(browser.url('/tests/browser/loader.html'));
  await page.waitForFunction(() => window.loaderReady === true, null, { timeout: 15_000 });
});
after(async () => {
  await page?.close();
  await browser?.close();
  await hub?.close();
});
beforeEach(() => hub.reset());

const call = (fn, ...args) => page.evaluate(([name, a]) => window.loader[name](...a), [fn, args]);

describe('loading from the stand-in Hub in Chromium', () => {
  it('a repo id, cross-origin: header first with Range, then the body; events in order; progress_total 100', async () => {
    const result = await call('load', 'wax-test/tiny', { remoteHost: hub.url, useBrowserCache: false });
    assert.ok(result.loaded, JSON.stringify(result.error));
    assert.ok(result.logitsOk, `max abs diff ${result.maxAbsDiff}`);
    const weights = hub.requests.filter((r) => r.path.endsWith('model.safetensors') && r.status !== 302 && r.method === 'GET');
    assert.deepEqual(weights.map((r) => r.status), [206, 206, 206]);
    const mine = result.events.filter((e) => e.file === 'model.safetensors');
    assert.deepEqual([...new Set(mine.map((e) => e.status))], ['initiate', 'download', 'progress', 'done']);
    const loaded = mine.filter((e) => e.status === 'progress').map((e) => e.loaded);
    assert.deepEqual(loaded, [...loaded].sort((a, b) => a - b));
    assert.equal(result.events.filter((e) => e.status === 'progress_total').at(-1).progress, 100);
    assert.equal(result.events.at(-1).status, 'ready');
    assert.deepEqual(page.errors, []);
  });

  it('shards made by the test, without Range support', async () => {
    hub.options.range = false;
    const result = await call('load', 'wax-test/sharded', { remoteHost: hub.url, useBrowserCache: false, maxParallelDownloads: 2 });
    assert.ok(result.loaded && result.logitsOk, JSON.stringify(result.error));
    assert.ok(hub.maxConcurrentBodies <= 2);
  });

  it('the Cache API: the second load makes no request; a truncated entry is downloaded again', async () => {
    assert.equal(await call('isCached', 'wax-test/tiny', hub.url), false);
    assert.ok((await call('load', 'wax-test/tiny', { remoteHost: hub.url })).logitsOk);
    assert.equal(await call('isCached', 'wax-test/tiny', hub.url), true);
    hub.reset();
    const second = await call('load', 'wax-test/tiny', { remoteHost: hub.url });
    assert.ok(second.logitsOk);
    assert.deepEqual(hub.requests, [], 'no request on the second load');
    assert.ok(!second.events.some((e) => e.status === 'download'));

    const url = `${hub.url}wax-test/tiny/resolve/main/model.safetensors`;
    assert.ok(await call('truncateCached', url, files['model.safetensors'].length - 4096));
    hub.reset();
    const third = await call('load', 'wax-test/tiny', { remoteHost: hub.url });
    assert.ok(third.loaded && third.logitsOk, JSON.stringify(third.error));
    assert.ok(hub.requests.some((r) => r.path.endsWith('model.safetensors')), 'downloaded again');
    assert.ok((await call('clearCache', 'wax-test/tiny', hub.url)) >= 3);
    assert.equal(await call('isCached', 'wax-test/tiny', hub.url), false);
  });

  it('preflight says a 5 GB header does not fit, and the load is refused without the body', async () => {
    const report = await call('preflight', 'wax-test/huge', { remoteHost: hub.url, max_length: 1024 });
    assert.equal(report.fits, false, JSON.stringify(report));
    assert.ok(report.weight_bytes > 5e9);
    const result = await call('load', 'wax-test/huge', { remoteHost: hub.url, useBrowserCache: false });
    assert.equal(result.loaded, false);
    assert.equal(result.error.code, 'WAX_TOO_LARGE', result.error.message);
    assert.match(result.error.message, /wax-test\/huge.*GiB.*quantized/s);
    assert.ok(hub.requests.filter((r) => r.path.endsWith('model.safetensors')).every((r) => /^bytes=\d+-\d+$/.test(r.range ?? '')));
  });

  for (const fraction of [0.1, 0.5, 0.99]) {
    it(`abort at ${fraction * 100} %: AbortError, the heap back where it was, the next load works`, async () => {
      hub.options.stallAt = fraction;
      const result = await call('load', 'wax-test/tiny', { remoteHost: hub.url, abortAt: fraction });
      assert.equal(result.loaded, false);
      assert.equal(result.error.name, 'AbortError', result.error.message);
      assert.ok(Math.abs(result.heapAfter - result.heapBefore) <= 64 * 1024, `heap ${result.heapBefore} → ${result.heapAfter}`);
      assert.equal(await call('isCached', 'wax-test/tiny', hub.url), false);
      hub.reset();
      const next = await call('load', 'wax-test/tiny', { remoteHost: hub.url });
      assert.ok(next.loaded && next.logitsOk, JSON.stringify(next.error));
      await call('clearCache', 'wax-test/tiny', hub.url);
    });
  }

  it('a captive portal\'s HTML "200" is never cached; a server that stops sending fails after env.fetchStallTimeout', async () => {
    hub.options.intercept = ({ file }) => (file === 'config.json' ? { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<!DOCTYPE html><html>Sign in</html>' } : null);
    const portal = await call('load', 'wax-test/tiny', { remoteHost: hub.url });
    assert.equal(portal.error?.code, 'WAX_FETCH_FAILED', JSON.stringify(portal.error));
    assert.match(portal.error.message, /config\.json: .* sent an HTML page, not JSON/);
    assert.equal(await call('isCached', 'wax-test/tiny', hub.url), false);
    hub.reset();
    hub.options.stallAt = 0.5;
    const stalled = await call('load', 'wax-test/tiny', { remoteHost: hub.url, fetchStallTimeout: 500 });
    assert.equal(stalled.error?.code, 'WAX_FETCH_FAILED', JSON.stringify(stalled.error));
    assert.ok(stalled.error.message.includes(`${hub.url}wax-test/tiny/resolve/main/model.safetensors`), stalled.error.message);
    assert.match(stalled.error.message, /nothing arrived for 0\.5 s while waiting for the body/);
    assert.ok(Math.abs(stalled.heapAfter - stalled.heapBefore) <= 64 * 1024, `heap ${stalled.heapBefore} → ${stalled.heapAfter}`);
    hub.reset();
    const next = await call('load', 'wax-test/tiny', { remoteHost: hub.url });
    assert.ok(next.loaded && next.logitsOk, JSON.stringify(next.error));
    await call('clearCache', 'wax-test/tiny', hub.url);
  });

  it('a 404 names the URL and the file', async () => {
    const result = await call('load', 'nobody/nothing', { remoteHost: hub.url, useBrowserCache: false });
    assert.equal(result.error.code, 'WAX_FETCH_FAILED');
    assert.ok(result.error.message.includes(`${hub.url}nobody/nothing/resolve/main/config.json`), result.error.message);
    assert.match(result.error.message, /RepoNotFound/);
  });
});

describe('q8/q4 in Chromium, streamed run by run into the quantizer in the wax worker', () => {
  for (const dtype of ['q8', 'q4']) {
    it(`${dtype}: the bundled model's greedy continuation is Node's, its weights ${dtype === 'q8' ? '1.06' : '0.56'} bytes a parameter`, async () => {
      const { AutoModelForCausalLM } = await import('../../js/src/index.js');
      const folder = new URL('../../models/kjv-llama-5m/', import.meta.url);
      const prompt = [1, 400, 401, 402, 403, 404, 405, 406];
      const inNode = await AutoModelForCausalLM.from_pretrained(fileURLToPath(folder), { dtype });
      const expected = (await inNode.generate({ input_ids: [prompt], max_new_tokens: 12, do_sample: false })).tolist()[0].map(Number);
      inNode.dispose();
      const errorsBefore = page.errors.length; // earlier tests log their 404s on purpose
      const result = await call('generateQuantized', browser.url('/models/kjv-llama-5m/'), dtype, prompt, 12);
      assert.ok(!result.error, JSON.stringify(result.error));
      assert.deepEqual(result.ids, expected);
      const perParameter = result.memory.weights_bytes / 5401856;
      assert.ok(Math.abs(perParameter - (dtype === 'q8' ? 1.0625 : 0.5625)) < 0.01, String(perParameter));
      assert.deepEqual(page.errors.slice(errorsBefore), []);
    });
  }
});
