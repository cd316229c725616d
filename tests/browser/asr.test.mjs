// pipeline('automatic-speech-recognition') in headless Chromium (tests/browser/asr.js): in the
// page's wax worker it gives what the same pipeline gives on the page, for a WAV Blob and an
// 8 kHz stereo AudioBuffer read on the page; abort and a WaxError cross back; the worker answers after.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { openBrowser } from './browser.mjs';

let browser, page;
before(async () => {
  browser = await openBrowser();
  page = await browser.newPage();
  await page.goto(browser.url('/tests/browser/asr.html'));
  await page.waitForFunction(() => window.asrReady === true, null, { timeout: 15_000 });
});
after(async () => { await browser?.close(); });

it('transcribes in the wax worker as on the page: a WAV Blob, an AudioBuffer, abort and errors', async () => {
  const result = await page.evaluate(() => window.asrChecks.workerAgainstPage());
  assert.equal(result.remote, true);
  assert.deepEqual(result.fromBlob, result.blobExpected);
  assert.ok(Array.isArray(result.fromBlob.chunks));
  assert.deepEqual(result.fromBuffer, result.bufferExpected);
  assert.equal(result.aborted, 'AbortError');
  // The page hears of steps a message late, and the worker of the abort a message later; on a loaded
  // machine a tiny model's window (up to 40 steps) can finish in between. The 25 s of audio are 4
  // windows (up to 160 steps): stopping within the first two is stopping early, not at the end.
  assert.ok(result.stepsAtAbort < 80, `${result.stepsAtAbort} steps streamed`);
  assert.deepEqual([result.unknownLanguage.isWaxError, result.unknownLanguage.code], [true, 'WAX_BAD_INPUT']);
  assert.match(result.unknownLanguage.message, /unknown language "xx".*'french' or 'fr'/);
  assert.equal(result.afterwards, 'string');
  assert.deepEqual(page.errors, []);
});
