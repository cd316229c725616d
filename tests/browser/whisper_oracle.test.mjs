// The oracle whisper_tiny_random inside headless Chromium, through AutoModelForSpeechSeq2Seq on
// the .wasm served by tools/serve.mjs (cross-origin isolated): encoder output, decoder logits and
// greedy ids with the KV cache against upstream transformers, in the wax worker (where a page runs
// its models), single-threaded and on the threaded build.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openBrowser } from './browser.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

function assertOracle(summary) {
  assert.deepEqual(summary.encoder.dims, [1, 1500, 64]);
  assert.ok(summary.encoder.ok, `encoder: max abs diff ${summary.encoder.maxAbsDiff} over tolerance ${summary.encoder.tolerance}`);
  assert.deepEqual(summary.logits.dims, [1, 9, 512]);
  assert.ok(summary.logits.ok, `logits: max abs diff ${summary.logits.maxAbsDiff} over tolerance ${summary.logits.tolerance}`);
  assert.deepEqual(summary.greedyDims, [1, 16]);
  assert.equal(summary.greedyMismatch, -1, `greedy ids differ at ${summary.greedyMismatch}`);
}

for (const threads of [1, 2]) {
  describe(`whisper_tiny_random in Chromium (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    let page;
    before(async () => {
      page = await browser.newPage();
      await page.goto(browser.url(`/tests/browser/whisper.html${threads > 1 ? `?threads=${threads}` : ''}`));
      await page.waitForFunction(() => window.whisperReady === true, null, { timeout: 15_000 });
    });
    after(async () => { await page?.close(); });

    it('encoder output, logits and greedy ids match upstream in the wax worker', async () => {
      const summary = await page.evaluate(() => window.whisperChecks.check());
      assertOracle(summary);
      if (threads > 1) assert.deepEqual(summary.runtime, { threads: 2, threaded: true, reason: 'cross-origin isolated' });
      assert.deepEqual(page.errors, []);
    });
  });
}
