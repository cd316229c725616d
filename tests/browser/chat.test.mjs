// The chat page (web/index.html, what `npm start` opens) in headless Chromium with the bundled
// models/kjv-llama-5m: it loads in the module worker with the sampling controls set from
// generation_config.json; a greedy answer streams into the assistant bubble (growing, then equal to
// Node's pipeline output for the same chat); Stop ends a long generation promptly, keeps the partial
// answer, and no main-thread task over 200 ms happened while generating (the bundled model with its
// positions raised to 8192, from the local Hub stand-in: 256 positions last under a second); a
// second prompt works;
// a model that fails to load shows a readable WaxError and the model before stays in use; the
// hint under a failed download tells no network, an unreachable server and CORS apart; served
// without COOP/COEP it works too. Leaves a screenshot at /tmp/wax-chat.png.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { pipeline } from '../../js/src/index.js';
import { startServer } from '../../tools/serve.mjs';
import { startHubServer } from '../helpers/hub-server.mjs';
import { openBrowser } from './browser.mjs';

const SCREENSHOT = process.env.WAX_CHAT_SCREENSHOT ?? '/tmp/wax-chat.png';
const MODEL = fileURLToPath(new URL('../../models/kjv-llama-5m/', import.meta.url));
const PROMPT = 'The LORD is my shepherd; I shall not want.';

let browser, page, hub;
before(async () => {
  browser = await openBrowser();
  hub = await startHubServer();
  const config = JSON.parse(await readFile(`${MODEL}config.json`, 'utf8'));
  const files = { 'config.json': new TextEncoder().encode(JSON.stringify({ ...config, max_position_embeddings: 8192 })) };
  for (const name of ['generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) files[name] = { path: `${MODEL}${name}` };
  await hub.addRepo('wax-test/kjv-llama-5m-long', files);
  page = await browser.newPage();
  await page.setViewportSize({ width: 1100, height: 1000 });
  // Main-thread tasks over 50 ms, as the browser reports them, from the first moment of the page.
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
});
after(async () => {
  await browser?.close();
  await hub?.close();
});

const state = () => page.getAttribute('body', 'data-state');
const waitForState = (...states) => page.waitForFunction((s) => s.includes(document.body.dataset.state), states, { timeout: 60_000 });
const lastAnswer = () => page.evaluate(() => document.querySelector('#log .bubble.assistant:last-of-type .text')?.textContent ?? null);

/** Sets the sampling controls (ids = generate options). */
async function setOptions({ do_sample, ...numbers }) {
  if (do_sample !== undefined) await page.setChecked('#do_sample', do_sample);
  for (const [name, value] of Object.entries(numbers)) await page.fill(`#${name}`, String(value));
}

/** Records every text the last assistant bubble shows, with the time, until the next call. */
function recordAnswer() {
  return page.evaluate(() => {
    window.answerSnapshots = [];
    const observer = new MutationObserver(() => {
      const text = document.querySelector('#log .bubble.assistant:last-of-type .text')?.textContent;
      if (text !== undefined && text !== window.answerSnapshots.at(-1)?.text) window.answerSnapshots.push({ at: performance.now(), text });
    });
    observer.observe(document.querySelector('#log'), { childList: true, subtree: true, characterData: true });
    window.stopRecording = () => observer.disconnect();
  });
}

async function send(text) {
  await page.fill('#prompt', text);
  await page.click('#send');
}

describe('chat page', () => {
  it('/ opens the chat page, which loads the bundled model in a worker with its generation_config defaults', async () => {
    await page.goto(browser.url('/'));
    assert.equal(new URL(page.url()).pathname, '/web/');
    await waitForState('ready', 'error');
    assert.equal(await state(), 'ready', await page.textContent('#error'));
    assert.match(await page.textContent('#model-summary'), /llama · 6 layers · hidden 256 · vocab 4096/);
    assert.equal(await page.inputValue('#model-url'), browser.url('/models/kjv-llama-5m/'));
    // models/kjv-llama-5m/generation_config.json: do_sample, temperature 0.8, top_k 40, max_new_tokens 100
    assert.equal(await page.isChecked('#do_sample'), true);
    assert.equal(await page.inputValue('#temperature'), '0.8');
    assert.equal(await page.inputValue('#top_k'), '40');
    assert.equal(await page.inputValue('#max_new_tokens'), '100');
    assert.equal(await page.inputValue('#top_p'), '1');
    assert.equal(await page.inputValue('#repetition_penalty'), '1');
    assert.equal(await page.isEnabled('#send'), true);
    assert.equal(await page.isEnabled('#stop'), false);
    // Nothing on the page's main thread knows wax: the model lives in the worker.
    assert.equal(await page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/js/dist/wax.wasm'))), false);
  });

  it('streams a greedy answer into the assistant bubble, equal to Node\'s pipeline output for the same chat', async (t) => {
    const maxNewTokens = 48;
    await setOptions({ do_sample: false, max_new_tokens: maxNewTokens });
    await recordAnswer();
    await send(PROMPT);
    await waitForState('ready');
    const snapshots = await page.evaluate(() => { window.stopRecording(); return window.answerSnapshots; });
    const final = await lastAnswer();
    const growing = snapshots.map((s) => s.text).filter((t) => t && t !== final);
    assert.ok(new Set(growing).size >= 2, `the answer should grow in pieces, saw ${JSON.stringify(growing)}`);
    t.diagnostic(`${snapshots.length} snapshots over ${(snapshots.at(-1).at - snapshots[0].at).toFixed(0)} ms: ${JSON.stringify(final)}`);
    for (let i = 1; i < snapshots.length; i++) assert.ok(snapshots[i].text.startsWith(snapshots[i - 1].text), 'each snapshot extends the last');

    const generator = await pipeline('text-generation', MODEL);
    try {
      const [{ generated_text }] = await generator([{ role: 'user', content: PROMPT }], { max_new_tokens: maxNewTokens, do_sample: false });
      assert.equal(final, generated_text.at(-1).content);
    } finally {
      generator.dispose();
    }
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('#log .bubble')].map((b) => b.dataset.role).join()), 'user,assistant');
    assert.equal(await page.textContent('#log .bubble.user'), PROMPT);
    assert.match(await page.textContent('#ttft'), /^\d+ ms$/);
    assert.match(await page.textContent('#speed'), /^\d+ tokens\/s$/);
    assert.equal(await page.textContent('#mode'), 'greedy');
    assert.ok(Number(await page.textContent('#tokens')) > 0);
  });

  it('Stop ends a long generation promptly, keeps the partial answer, and the page never blocked', async (t) => {
    await page.fill('#model-url', new URL('wax-test/kjv-llama-5m-long/resolve/main/', hub.url).href);
    await page.click('#load');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready.', null, { timeout: 60_000 });
    await page.click('#clear');
    assert.equal(await page.locator('#log .bubble').count(), 0);
    await setOptions({ do_sample: false, max_new_tokens: 5000 }); // greedy: this chat does not end on its own
    const startedAt = await page.evaluate(() => performance.now());
    await page.evaluate(() => { // the gaps between animation frames while generating
      window.frameGaps = [];
      window.framesDone = false;
      let last = performance.now();
      const tick = (now) => {
        window.frameGaps.push(now - last);
        last = now;
        if (!window.framesDone) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await send(PROMPT);
    await page.waitForFunction(() => (document.querySelector('#log .bubble.assistant .text')?.textContent.length ?? 0) > 200, null, { timeout: 30_000 });
    assert.equal(await state(), 'generating');
    // The page answers while the worker generates: typing into the prompt box shows at once.
    await page.fill('#prompt', 'typing while it generates');
    assert.equal(await page.inputValue('#prompt'), 'typing while it generates');
    await page.waitForTimeout(500);

    const stopClicked = Date.now();
    await page.click('#stop');
    await waitForState('ready');
    const stopMs = Date.now() - stopClicked;
    assert.ok(stopMs < 1500, `Stop took ${stopMs} ms`);
    const partial = await lastAnswer();
    assert.ok(partial.length > 200, 'the partial answer stays');
    assert.equal(await page.textContent('#log .bubble.assistant .tag.stopped'), 'stopped');
    assert.match(await page.textContent('#status'), /^Stopped after \d+ tokens\.$/);
    const tokens = Number(await page.textContent('#tokens'));
    assert.ok(tokens > 20 && tokens < 5000, `${tokens} tokens`);
    await page.waitForTimeout(300);
    assert.equal(await lastAnswer(), partial, 'nothing arrives after Stop');

    const { longTasks, frameGaps } = await page.evaluate(() => {
      window.framesDone = true;
      return { longTasks: window.longTasks, frameGaps: window.frameGaps };
    });
    const during = longTasks.filter((t) => t.start + t.duration >= startedAt);
    t.diagnostic(`stopped in ${stopMs} ms after ${tokens} tokens; ${frameGaps.length} frames, longest gap ${Math.max(...frameGaps).toFixed(0)} ms; ` +
      `long tasks while generating: ${during.length} (longest ${Math.max(0, ...during.map((task) => task.duration)).toFixed(0)} ms)`);
    assert.deepEqual(during.filter((task) => task.duration > 200), [], 'no main-thread task over 200 ms while generating');
    assert.ok(frameGaps.length > 10, `${frameGaps.length} animation frames while generating`);
    assert.ok(Math.max(...frameGaps) < 1000, `the longest gap between frames was ${Math.max(...frameGaps).toFixed(0)} ms`);
    assert.equal(await page.inputValue('#prompt'), 'typing while it generates');
  });

  it('a second prompt continues the conversation (after a stopped answer)', async () => {
    await setOptions({ do_sample: true, seed: 42, max_new_tokens: 40 });
    await send('And God said, Let there be light: and there was light.');
    await waitForState('ready');
    const roles = await page.evaluate(() => [...document.querySelectorAll('#log .bubble')].map((b) => b.dataset.role).join());
    assert.equal(roles, 'user,assistant,user,assistant');
    const answer = await lastAnswer();
    assert.ok(answer.trim().length > 0, 'a non-empty second answer');
    assert.match(await page.textContent('#status'), /^Done: \d+ tokens\.$/);
    assert.equal(await page.textContent('#mode'), 'seed 42');
    assert.equal(await page.locator('#error').isVisible(), false);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(page.errors, []);
  });

  it('a failed model switch shows a readable WaxError and keeps chatting with the model before', async () => {
    const good = await page.inputValue('#model-url');
    const summary = await page.textContent('#model-summary');
    await page.fill('#model-url', '../models/no-such-model/');
    await page.click('#load');
    await page.waitForSelector('#error:not([hidden])', { timeout: 60_000 });
    await waitForState('ready');
    assert.match(await page.textContent('#error'), /WaxError \(WAX_NOT_FOUND\)/);
    assert.match(await page.textContent('#error'), /no-such-model\/tokenizer\.json|no-such-model.*config\.json/);
    assert.match(await page.textContent('#status'), /could not be loaded: still chatting with the one before/);
    assert.equal(await page.textContent('#model-summary'), summary);
    assert.equal(await page.isVisible('#progress'), false);
    await setOptions({ do_sample: false, max_new_tokens: 20 });
    // A new chat: what the model answers then does not hang on the length of the stopped answer above.
    await page.click('#clear');
    await send(PROMPT);
    await waitForState('ready');
    assert.ok((await lastAnswer()).length > 0, 'the model before still answers');

    await page.fill('#model-url', good); // a switch that works replaces it
    await page.click('#load');
    await waitForState('ready');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready.');
    assert.equal(await page.locator('#error').isVisible(), false);
    // The new model's generation_config.json defaults (sampling, random seed) are back in the form:
    // greedy again, so that its answer is not, now and then, an end of text at once.
    await setOptions({ do_sample: false, max_new_tokens: 20 });
    await page.click('#clear');
    await send(PROMPT);
    await waitForState('ready');
    assert.ok((await lastAnswer()).length > 0);
  });

  it('a first load that fails leaves nothing to chat with', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(browser.url('/web/?model=../models/no-such-model/'));
      await other.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60_000 });
      assert.equal(await other.textContent('#status'), 'The model could not be loaded.');
      assert.match(await other.textContent('#error'), /WAX_NOT_FOUND/);
      assert.equal(await other.isEnabled('#send'), false);
    } finally {
      await other.close();
    }
  });

  it('works when served without COOP/COEP (the single-threaded build in the worker)', async () => {
    const plain = await startServer({ port: 0, isolation: false });
    const other = await browser.newPage();
    try {
      await other.goto(new URL('/web/', plain.url).href);
      await other.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
      assert.equal(await other.getAttribute('body', 'data-state'), 'ready', await other.textContent('#error'));
      assert.equal(await other.evaluate(() => globalThis.crossOriginIsolated), false);
      await other.fill('#prompt', PROMPT);
      await other.click('#send');
      await other.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelector('#log .bubble.assistant'), null, { timeout: 60_000 });
      assert.ok((await other.textContent('#log .bubble.assistant .text')).length > 0);
      assert.deepEqual(other.errors, []);
    } finally {
      await other.close();
      await plain.close();
    }
  });
});

describe('chat page: why a download failed', () => {
  let plain, modelServer, other;
  before(async () => {
    plain = await startServer({ port: 0, isolation: false }); // the page, not cross-origin isolated
    modelServer = await startServer({ port: 0, isolation: false }); // another origin that sends no CORS headers
    other = await browser.newPage();
    await other.goto(new URL('/web/', plain.url).href);
    await other.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  });
  after(async () => {
    await browser.context.setOffline(false);
    await other?.close();
    await plain?.close();
    await modelServer?.close();
  });

  /** Loads `source` in the chat and returns the error card's hint once it is final. */
  async function hintFor(source) {
    await other.fill('#model-url', source);
    await other.click('#load');
    await other.waitForFunction(() => {
      const hint = document.querySelector('#error:not([hidden]) .hint')?.textContent;
      return hint && hint !== 'Checking the connection…';
    }, null, { timeout: 30_000 });
    assert.match(await other.textContent('#error'), /WAX_FETCH_FAILED/);
    return other.textContent('#error .hint');
  }

  it('a server that answers but refuses this origin: the hint says CORS', async () => {
    const hint = await hintFor(new URL('/models/kjv-llama-5m/', modelServer.url).href);
    assert.match(hint, /answered, but does not let this page read its files.*CORS/);
  });

  it('a server that is not there: the hint says it could not be reached, not CORS', async () => {
    const closed = await startServer({ port: 0, isolation: false });
    await closed.close();
    const hint = await hintFor(new URL('/models/kjv-llama-5m/', closed.url).href);
    assert.match(hint, /could not be reached: check the address and the network connection/);
    assert.doesNotMatch(hint, /CORS/);
  });

  it('no network: the hint says so', async () => {
    const closed = await startServer({ port: 0, isolation: false });
    await closed.close();
    await browser.context.setOffline(true);
    try {
      const hint = await hintFor(new URL('/models/kjv-llama-5m/', closed.url).href);
      assert.match(hint, /no network connection/);
      assert.doesNotMatch(hint, /CORS/);
    } finally {
      await browser.context.setOffline(false);
    }
    assert.equal(await other.getAttribute('body', 'data-state'), 'ready', 'the model before stays in use');
  });
});
