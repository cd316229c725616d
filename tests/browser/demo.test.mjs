// The oracle demo page (web/oracle/index.html) in headless Chromium: opening it runs the bundled
// checkpoint in a module worker and shows the oracle verdict, served with and without
// cross-origin isolation; Run with a bad model URL shows a readable error in the page. Leaves a
// screenshot at /tmp/wax-demo.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startServer } from '../../tools/serve.mjs';
import { openBrowser } from './browser.mjs';

const SCREENSHOT = process.env.WAX_DEMO_SCREENSHOT ?? '/tmp/wax-demo.png';

let browser;
let plainServer; // the same files without COOP/COEP
before(async () => {
  browser = await openBrowser();
  plainServer = await startServer({ port: 0, isolation: false });
});
after(async () => {
  await browser?.close();
  await plainServer?.close();
});

/** Waits for the run in progress to end (the verdict or an error); returns what the page shows. */
async function shown(page) {
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 30_000 });
  return page.evaluate(() => ({
    verdict: document.querySelector('#verdict').textContent,
    state: document.querySelector('#verdict').dataset.state ?? null,
    error: document.querySelector('#error').hidden ? null : document.querySelector('#error').textContent,
    prompt: [...document.querySelectorAll('#prompt-ids .id')].map((e) => Number(e.textContent)),
    generated: [...document.querySelectorAll('#generated-ids .id')].map((e) => Number(e.textContent)),
    oracle: [...document.querySelectorAll('#oracle-ids .id')].map((e) => Number(e.textContent)),
    loadTime: document.querySelector('#load-time').textContent,
    speed: document.querySelector('#tokens-per-second').textContent,
    where: document.querySelector('#where').textContent,
    isolated: globalThis.crossOriginIsolated,
  }));
}

/** Clicks Run (once the run in progress has ended) and waits for its outcome. */
async function run(page) {
  await page.click('#run'); // waits for the button to be enabled; the click sets the state to 'running'
  return shown(page);
}

function assertMatches(shown, where = /module worker/) {
  assert.equal(shown.error, null, `the page shows an error: ${shown.error}`);
  assert.equal(shown.state, 'match', shown.verdict);
  assert.match(shown.verdict, /matches the oracle/);
  assert.equal(shown.prompt.length, 12);
  assert.equal(shown.generated.length, 20);
  assert.deepEqual(shown.generated, shown.oracle);
  assert.match(shown.loadTime, /^\d+\.\d\d s$/);
  assert.match(shown.speed, /^\d+ tokens\/s$/);
  assert.match(shown.where, where);
}

describe('demo page', () => {
  it('the chat page links to it; opening it runs the bundled checkpoint, which matches the oracle (cross-origin isolated)', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(browser.url('/web/'));
    await page.click('nav.demos a[href="oracle/"]');
    assert.equal(new URL(page.url()).pathname, '/web/oracle/');
    const opened = await shown(page); // no click: it runs on open
    assertMatches(opened);
    assert.equal(opened.isolated, true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('a bad model URL shows a readable WaxError in the page, and Run then works again', async () => {
    const page = await browser.newPage();
    await page.goto(browser.url('/web/oracle/'));
    assertMatches(await shown(page));
    const good = await page.inputValue('#model-url');
    await page.fill('#model-url', '../../tests/fixtures/no-such-model/');
    const failed = await run(page);
    assert.match(failed.error ?? '', /WaxError \(WAX_NOT_FOUND\)/);
    assert.match(failed.error, /no-such-model\/config\.json\b.*\b404\b/s); // the file and the HTTP status
    assert.equal(await page.isVisible('#results'), false);

    await page.fill('#model-url', good);
    assertMatches(await run(page));
    await page.close();
  });

  it('works when served without COOP/COEP', async () => {
    const page = await browser.newPage();
    await page.goto(new URL('/web/oracle/', plainServer.url).href);
    const opened = await shown(page);
    assertMatches(opened);
    assert.equal(opened.isolated, false);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('runs on the main thread where no worker can start', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => { delete globalThis.Worker; });
    await page.goto(new URL('/web/oracle/', plainServer.url).href);
    assertMatches(await shown(page), /main thread/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});
