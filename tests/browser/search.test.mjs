// The semantic search demo in Chromium: sentences embedded in the wax worker with progress, then
// ranked as the user types; the page says plainly that its bundled model has random weights and
// offers a real sentence-transformers repo id, which it checks with preflight() before loading
// (from the local Hub stand-in here, which serves the tiny fixture under that id); a model that
// does not fit is refused before its weights download, and the model before stays in use.
// Leaves screenshots at /tmp/wax-search.png, /tmp/wax-search-too-large.png and /tmp/wax-search-real.png.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { hugeHeaderOnly, startHubServer } from '../helpers/hub-server.mjs';
import { openBrowser } from './browser.mjs';

const REAL_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const FIXTURE = new URL('../fixtures/bert_tiny_st/', import.meta.url);

let browser, hub, page;
before(async () => {
  browser = await openBrowser();
  hub = await startHubServer();
  const files = {};
  for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'modules.json',
    'sentence_bert_config.json', 'special_tokens_map.json', 'vocab.txt', '1_Pooling/config.json']) {
    files[name] = name.endsWith('.safetensors') ? { path: new URL(name, FIXTURE).pathname } : await readFile(new URL(name, FIXTURE));
  }
  assert.ok((await readdir(FIXTURE)).includes('1_Pooling'));
  await hub.addRepo(REAL_MODEL, files);
  const huge = { model_type: 'bert', vocab_size: 30522, hidden_size: 8192, intermediate_size: 8192, num_hidden_layers: 20, num_attention_heads: 64, max_position_embeddings: 512 };
  await hub.addRepo('wax-test/huge-bert', { 'config.json': new TextEncoder().encode(JSON.stringify(huge)), 'model.safetensors': hugeHeaderOnly() });
  page = await browser.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
});
after(async () => {
  await browser?.close();
  await hub?.close();
});

const status = () => page.textContent('#status');
/** A request for the weights themselves: to the end of model.safetensors (a header read asks for a closed range). */
const isWeightsBody = (r) => r.path.endsWith('model.safetensors') && (r.range === null || /^bytes=\d+-$/.test(r.range));
const waitForEmbedded = () => page.waitForFunction(() => /^Embedded 200 sentences/.test(document.getElementById('status').textContent), null, { timeout: 30_000 });

describe('search page', () => {
  it('embeds the sentences in the worker and ranks them by the query', async () => {
    await page.goto(browser.url('/web/search/'));
    await waitForEmbedded();
    assert.equal(await page.$eval('#progress', (p) => p.value), 100);
    assert.equal(page.workers().length >= 1, true, 'the model runs in a worker');
    await page.fill('#query', 'a bird singing after the rain');
    await page.waitForFunction(() => document.querySelectorAll('#results li').length === 10, null, { timeout: 10_000 });
    const scores = await page.$$eval('#results .score', (els) => els.map((e) => Number(e.textContent)));
    assert.deepEqual([...scores].sort((a, b) => b - a), scores, 'ranked by similarity');
    await page.screenshot({ path: '/tmp/wax-search.png', fullPage: true });
    assert.deepEqual(page.errors, []);
  });

  it('says plainly that the bundled model has random weights', async () => {
    assert.equal(await page.isVisible('#random-weights'), true);
    assert.match(await page.textContent('#random-weights'), /bundled model has random weights, so these rankings mean nothing/);
    assert.match(await page.textContent('#summary'), /^bundled random-weights model · 64 dimensions/);
    assert.equal(await page.textContent('#use-real'), REAL_MODEL);
  });

  it('a model that does not fit is refused by preflight before its weights download; the bundled one stays', async () => {
    await page.evaluate(async (host) => { (await import('/js/src/index.js')).env.remoteHost = host; }, hub.url);
    hub.requests.length = 0;
    await page.fill('#model-url', 'wax-test/huge-bert');
    await page.click('#embed');
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
    assert.match(await page.textContent('#error'), /WAX_TOO_LARGE/);
    assert.match(await page.textContent('#preflight'), /^preflight\(\): does not fit: 5\.00 GiB of weights/);
    assert.equal(await status(), 'Failed: still using the bundled model.');
    assert.ok(hub.requests.some((r) => r.path.endsWith('model.safetensors')), 'preflight read the header');
    assert.deepEqual(hub.requests.filter(isWeightsBody), [], 'no weights body was requested');
    assert.equal(await page.isEnabled('#query'), true, 'the bundled model still ranks');
    assert.equal(await page.isVisible('#random-weights'), true);
    await page.screenshot({ path: '/tmp/wax-search-too-large.png' });
  });

  it('one click loads a real sentence-transformers repo id, with preflight() first', async () => {
    hub.requests.length = 0;
    await page.click('#use-real');
    assert.equal(await page.inputValue('#model-url'), REAL_MODEL);
    await waitForEmbedded();
    assert.equal(await page.locator('#error').isVisible(), false, await page.textContent('#error'));
    assert.match(await page.textContent('#preflight'), /^preflight\(\): fits: \d+ KiB of weights, [\d.]+ MiB at the peak, of [\d.]+ (GiB|MiB)\.$/);
    assert.equal(hub.requests.filter(isWeightsBody).length, 2, 'the weights downloaded once (the Hub redirects to its CDN)');
    assert.equal(await page.isVisible('#random-weights'), false);
    assert.match(await page.textContent('#summary'), new RegExp(`^${REAL_MODEL} · 64 dimensions · pooling mean`));
    const ranked = await page.textContent('#results'); // by the query before, with this model
    await page.fill('#query', 'the museum shows old maps');
    await page.waitForFunction((before) => document.getElementById('results').textContent !== before &&
      document.querySelectorAll('#results li').length === 10, ranked, { timeout: 10_000 });
    await page.screenshot({ path: '/tmp/wax-search-real.png', fullPage: true });
  });
});
