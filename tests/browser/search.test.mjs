// The semantic search demo in Chromium: sentences embedded in the wax worker with progress, then
// ranked as the user types.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { openBrowser } from './browser.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

it('embeds the sentences in the worker and ranks them by the query', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(browser.url('/web/search/'));
  await page.waitForFunction(() => /^Embedded 200 sentences/.test(document.getElementById('status').textContent), null, { timeout: 30_000 });
  assert.equal(await page.$eval('#progress', (p) => p.value), 100);
  assert.equal(page.workers().length >= 1, true, 'the model runs in a worker');
  await page.fill('#query', 'a bird singing after the rain');
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 10, null, { timeout: 10_000 });
  const scores = await page.$$eval('#results .score', (els) => els.map((e) => Number(e.textContent)));
  assert.deepEqual([...scores].sort((a, b) => b - a), scores, 'ranked by similarity');
  await page.screenshot({ path: '/tmp/wax-search.png', fullPage: true });
  assert.deepEqual(errors, []);
});
