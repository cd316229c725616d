// The speech demo (web/whisper.html) in headless Chromium: the start page links to it; it loads
// the bundled models/whisper-kjv-tiny in the wax worker and says what it was trained on; a picked
// WAV of espeak-ng speech is transcribed window by window (the segments and the real-time factor update after each
// window, before the end) while the page keeps painting frames; the fake microphone of Chromium
// records a WAV and the recording is transcribed; Stop aborts a long transcription and the page
// works after; a Hub repo id (the local Hub stand-in) loads after preflight() read its header; a
// file that is no audio gives a visible WaxError, and so does Record without a microphone. The
// bundled model's transcripts must hold words of the sentence (the Hub stand-in's random weights
// say none). No console errors and no failed requests. Leaves a screenshot at /tmp/whisper-demo.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startHubServer } from '../helpers/hub-server.mjs';
import { whisperFixtureFiles } from '../helpers/whisper-test-tokenizer.mjs';
import { openBrowser } from './browser.mjs';

const SCREENSHOT = process.env.WAX_WHISPER_SCREENSHOT ?? '/tmp/whisper-demo.png';
const SENTENCE = 'In the beginning God created the heaven and the earth. And the earth was without form, and void.';
const WORDS = ['beginning', 'god', 'created', 'heaven', 'earth', 'without', 'form', 'void'];

let folder, speechWav, longWav;
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'wax-whisper-demo-'));
  speechWav = join(folder, 'speech.wav');
  longWav = join(folder, 'long.wav');
  execFileSync('espeak-ng', ['-w', join(folder, 'raw.wav'), SENTENCE]);
  execFileSync('sox', [join(folder, 'raw.wav'), '-r', '16000', speechWav, 'pad', '0.5', '0.5']);
  execFileSync('sox', [speechWav, longWav, 'repeat', '24']); // about 2.5 minutes
  await writeFile(join(folder, 'not-audio.wav'), 'this is not audio at all, only text with a .wav name\n');
});
after(async () => { await rm(folder, { recursive: true, force: true }); });

/** A page that records console errors, failed requests and the longest gap between painted frames while transcribing. */
async function openPage(browser) {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1100, height: 1000 });
  page.failed = [];
  // Context-wide: the requests of the wax worker count too.
  browser.context.on('requestfailed', (request) => {
    // The audio player's read of the file before, cut when the next file replaces it, is no failure.
    const playerCut = request.resourceType() === 'media' && request.url().startsWith('blob:') && request.failure()?.errorText === 'net::ERR_ABORTED';
    if (!playerCut) page.failed.push(`${request.failure()?.errorText} ${request.url()}`);
  });
  browser.context.on('response', (response) => {
    if (response.status() >= 400) page.failed.push(`${response.status()} ${response.url()}`);
  });
  await page.addInitScript(() => {
    window.frameGaps = { longest: 0, frames: 0, longestTask: 0 };
    new PerformanceObserver((list) => {
      if (document.body?.dataset.state !== 'transcribing') return;
      for (const entry of list.getEntries()) window.frameGaps.longestTask = Math.max(window.frameGaps.longestTask, entry.duration);
    }).observe({ type: 'longtask', buffered: true });
    let last = null;
    const tick = (now) => {
      if (document.body?.dataset.state === 'transcribing') {
        if (last !== null) window.frameGaps.longest = Math.max(window.frameGaps.longest, now - last);
        window.frameGaps.frames++;
        last = now;
      } else {
        last = null;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  return page;
}


const waitForState = (page, ...states) => page.waitForFunction((s) => s.includes(document.body.dataset.state), states, { timeout: 120_000 });

/**
 * Runs `action` (a pick, a drop, a click) and waits until the transcription it starts has ended:
 * a short one may start and end between two polls, so the page's states are watched as they change.
 */
async function untilTranscribed(page, action) {
  await page.evaluate(() => {
    window.sawTranscribing = false;
    new MutationObserver((_, observer) => {
      if (document.body.dataset.state !== 'transcribing') return;
      window.sawTranscribing = true;
      observer.disconnect();
    }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
  });
  await action();
  await page.waitForFunction(() => window.sawTranscribing && document.body.dataset.state === 'ready', null, { timeout: 120_000 });
}

const shown = (page) => page.evaluate(() => ({
  status: document.getElementById('status').textContent,
  error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
  audio: document.getElementById('audio-seconds').textContent,
  done: document.getElementById('done-seconds').textContent,
  windows: document.getElementById('windows').textContent,
  rtf: document.getElementById('rtf').textContent,
  segments: [...document.querySelectorAll('#segments li:not(.empty)')].map((li) => ({
    time: li.querySelector('.time').textContent, text: li.querySelector('.text').textContent })),
}));

/** Records what the stats and the segment list show each time they change, until the next call. */
const recordProgress = (page) => page.evaluate(() => {
  window.progressSnapshots = [];
  const observer = new MutationObserver(() => window.progressSnapshots.push({
    state: document.body.dataset.state,
    windows: document.getElementById('windows').textContent,
    rtf: document.getElementById('rtf').textContent,
    segments: document.querySelectorAll('#segments li:not(.empty)').length,
  }));
  observer.observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
});

function assertWords(text) {
  const found = WORDS.filter((word) => text.toLowerCase().includes(word));
  assert.ok(found.length >= 3, `the bundled model heard ${JSON.stringify(text)}; expected at least 3 of ${WORDS.join(', ')}`);
}

const SEGMENT_TIME = /^\d+:\d\d\.\d\d → (\d+:\d\d\.\d\d|…)$/;

describe('speech demo page', () => {
  let browser, page;
  before(async () => {
    browser = await openBrowser();
    page = await openPage(browser);
  });
  after(async () => { await browser?.close(); });

  it('opens from the start page and loads the bundled model in the wax worker', async () => {
    await page.goto(browser.url('/web/'));
    await page.click('nav.demos a[href="whisper.html"]');
    assert.equal(new URL(page.url()).pathname, '/web/whisper.html');
    // What the chat page had in flight was cut by the navigation.
    page.failed.length = 0;
    page.errors.length = 0;
    await waitForState(page, 'ready', 'error');
    const { status, error } = await shown(page);
    assert.equal(error, null, error);
    assert.ok(page.workers().length >= 1, 'the model runs in a worker');
    assert.match(await page.textContent('#model-summary'), /^whisper · d_model \d+ · \d+\+\d+ layers · vocab \d+ · 80 mels · loaded in [\d.]+ s/);
    // One language: nothing to choose, and no task but transcribing.
    assert.equal(await page.isEnabled('#language'), false);
    assert.equal(await page.isEnabled('#task'), false);
    assert.equal(await page.$eval('#language', (select) => select.selectedOptions[0].textContent), 'English only');
    assert.equal(status, 'Ready: the bundled model.');
    assert.match(await page.textContent('#bundled-notice'), /learned from synthetic speech only/);
  });

  it('transcribes a picked WAV window by window, with segment timestamps and the real-time factor, and keeps painting', async () => {
    await page.fill('#chunk_length_s', '3'); // 6.6 s of speech: 3 windows
    await recordProgress(page);
    await untilTranscribed(page, () => page.setInputFiles('#file', speechWav));
    const result = await shown(page);
    assert.equal(result.error, null, result.error);
    assert.match(result.status, /^Done: 6\.6 s of audio in [\d.]+ s\.$/);
    assert.equal(result.audio, '6.6 s');
    assert.equal(result.windows, '3');
    assert.match(result.rtf, /^\d+\.\d×$/);
    assert.ok(result.segments.length >= 1);
    for (const { time } of result.segments) assert.match(time, SEGMENT_TIME);

    const snapshots = await page.evaluate(() => window.progressSnapshots);
    const during = snapshots.filter((s) => s.state === 'transcribing');
    assert.deepEqual([...new Set(during.map((s) => s.windows))].filter((w) => w !== '–'), ['1', '2', '3'], 'the window count grew one by one');
    assert.ok(during.some((s) => s.windows === '1' && /×$/.test(s.rtf)), 'the real-time factor was shown after the first window');
    assert.ok(during.some((s) => s.windows !== '3' && s.segments > 0), 'segments were shown before the last window');

    const { longest, frames, longestTask } = await page.evaluate(() => window.frameGaps);
    console.log(`transcribing 6.6 s in 3 windows: ${result.rtf} real time, ${frames} frames painted, worst frame gap ${longest.toFixed(0)} ms, ` +
      `longest main-thread task ${longestTask.toFixed(0)} ms`);
    assert.ok(frames > 5, `${frames} frames painted while transcribing`);
    assert.ok(longest < 400, `the page froze for ${longest.toFixed(0)} ms while transcribing`);
    assert.ok(longestTask < 200, `a main-thread task of ${longestTask.toFixed(0)} ms while transcribing`);
    assertWords(result.segments.map((s) => s.text).join(' '));

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.failed, []);
  });

  it('transcribes a dropped file', async () => {
    const bytes = [...await readFile(speechWav)];
    await untilTranscribed(page, () => page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.wav', { type: 'audio/wav' }));
      const drop = document.getElementById('drop');
      drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      drop.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes));
    assert.match(await page.textContent('#audio-name'), /^dropped\.wav · 6\.6 s at 16 kHz$/);
    assert.match(await page.textContent('#status'), /^Done: 6\.6 s of audio/);
    assert.ok((await shown(page)).segments.length >= 1);
  });

  it('Stop aborts a long transcription between windows; the page transcribes again after', async () => {
    await page.fill('#chunk_length_s', '10');
    await page.setInputFiles('#file', longWav);
    await page.waitForFunction(() => Number(document.getElementById('windows').textContent) >= 1, null, { timeout: 60_000 });
    await page.click('#stop');
    await waitForState(page, 'ready');
    const stopped = await shown(page);
    assert.equal(stopped.error, null, stopped.error);
    assert.match(stopped.status, /^Stopped after [\d.]+ s of 1\d\d\.\d s of audio\.$/);
    assert.ok(Number(stopped.windows) < 10, `${stopped.windows} windows done before the stop`);
    assert.ok(stopped.segments.length >= 1, 'the transcript so far stays');

    await page.fill('#chunk_length_s', '30');
    await page.selectOption('#return_timestamps', 'none');
    await untilTranscribed(page, () => page.setInputFiles('#file', speechWav));
    const again = await shown(page);
    assert.match(again.status, /^Done: 6\.6 s of audio/);
    assert.equal(again.windows, '1');
    assert.equal(again.segments.length, 1, 'without timestamps: the whole text in one row');
    assert.match(again.segments[0].time, /^0:00\.00 → 0:06\.\d\d$/);
    assertWords(again.segments[0].text);
    await page.selectOption('#return_timestamps', 'segments');
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.failed, []);
  });

  it('with word timestamps: a row a word, in order, inside the audio, shown window by window', async () => {
    assert.deepEqual(await page.$$eval('#return_timestamps option', (options) => options.filter((o) => !o.disabled).map((o) => o.value)),
      ['segments', 'words', 'none'], 'the bundled model has timestamp tokens and alignment heads');
    await page.fill('#chunk_length_s', '3');
    await page.selectOption('#return_timestamps', 'words');
    await recordProgress(page);
    await untilTranscribed(page, () => page.setInputFiles('#file', speechWav));
    const result = await shown(page);
    assert.equal(result.error, null, result.error);
    assert.match(result.status, /^Done: 6\.6 s/);
    const seconds = (time) => time.split(' → ').map((clock) => { const [m, s] = clock.split(':'); return 60 * Number(m) + Number(s); });
    const times = result.segments.map(({ time }) => { assert.match(time, SEGMENT_TIME); return seconds(time); });
    assert.ok(result.segments.length >= 3, `${result.segments.length} words`);
    for (const { text } of result.segments) assert.match(text, /^\S+$/, 'one word a row');
    for (let i = 0; i < times.length; i++) {
      const [start, end] = times[i];
      assert.ok(start >= 0 && start <= end && end <= 6.7, `word ${i} at ${start}-${end} s of 6.6 s`);
      if (i) assert.ok(start >= times[i - 1][0], `word ${i} starts at ${start} s, before word ${i - 1} (${times[i - 1][0]} s)`);
    }
    assertWords(result.segments.map((s) => s.text).join(' '));
    const during = (await page.evaluate(() => window.progressSnapshots)).filter((s) => s.state === 'transcribing');
    assert.ok(during.some((s) => s.windows !== '3' && s.segments > 0), 'words were shown before the last window');
    await page.selectOption('#return_timestamps', 'segments');
    await page.fill('#chunk_length_s', '30');
    assert.deepEqual(page.errors, []);
  });

  it('loads a Hub repo id after preflight(), offers its languages and task, and transcribes with them', async () => {
    const hub = await startHubServer();
    try {
      const files = await whisperFixtureFiles(browser.url('/tests/fixtures/whisper_tiny_random/'),
        browser.url('/tests/fixtures/tokenizers/whisper_multilingual/tokenizer.json'));
      const bytes = {};
      for (const [name, value] of Object.entries(files)) {
        bytes[name] = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
      }
      // Multilingual, as openai/whisper-tiny's generation_config.json (the Whisper-style tokenizer's ids).
      const generation = { ...JSON.parse(files['generation_config.json']), is_multilingual: true,
        lang_to_id: { '<|en|>': 260, '<|fr|>': 261 }, task_to_id: { translate: 262, transcribe: 263 } };
      bytes['generation_config.json'] = new TextEncoder().encode(JSON.stringify(generation));
      await hub.addRepo('wax-test/whisper-random', bytes);
      await page.evaluate(async (host) => { (await import('/js/src/index.js')).env.remoteHost = host; }, hub.url);
      await page.fill('#model-url', 'wax-test/whisper-random');
      await page.click('#load');
      await page.waitForFunction(() => /^Ready: wax-test\/whisper-random\.$/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
      assert.match(await page.textContent('#preflight'), /^preflight\(\): fits: [\d.]+ MiB of weights, [\d.]+ MiB at the peak, of [\d.]+ GiB\.$/);
      const headerFirst = hub.requests.findIndex((r) => r.path.endsWith('model.safetensors'));
      assert.ok(headerFirst >= 0 && hub.requests[headerFirst].range !== null, 'preflight read the header before the weights');
      assert.equal(await page.isVisible('#random-weights'), false);
      assert.deepEqual(await page.$$eval('#language option', (options) => options.map((o) => [o.value, o.textContent])),
        [['', 'detect'], ['en', 'english (en)'], ['fr', 'french (fr)']]);
      assert.equal(await page.isEnabled('#task'), true);
      await page.selectOption('#language', 'fr');
      await page.selectOption('#task', 'translate');
      await untilTranscribed(page, () => page.setInputFiles('#file', speechWav));
      assert.equal(await page.isVisible('#error'), false, await page.textContent('#error'));
      assert.match(await page.textContent('#status'), /^Done: 6\.6 s/);
    } finally {
      await hub.close();
    }
    // Back to the bundled model for the tests after.
    await page.fill('#model-url', '');
    await page.click('#load');
    await page.waitForFunction(() => /^Ready: the (bundled|random-weights test) model\.$/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  });

  it('with no microphone, Record says so and the page stays ready', async () => {
    await page.click('#record');
    await page.waitForSelector('#error:not([hidden])', { timeout: 10_000 });
    assert.match(await page.textContent('#error'), /The microphone could not be opened: /);
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
    assert.equal(await page.textContent('#record'), 'Record');
  });

  it('a file that is not audio shows a readable WaxError, and the next file works', async () => {
    await page.setInputFiles('#file', join(folder, 'not-audio.wav'));
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
    assert.match(await page.textContent('#error'), /WaxError \(WAX_BAD_INPUT\)/);
    assert.match(await page.textContent('#error'), /not-audio\.wav|audio/);
    assert.equal(await page.textContent('#status'), 'not-audio.wav could not be read as audio.');
    await waitForState(page, 'ready');
    await untilTranscribed(page, () => page.setInputFiles('#file', speechWav));
    assert.equal(await page.isVisible('#error'), false);
    assert.match(await page.textContent('#status'), /^Done: 6\.6 s/);
  });
});

describe('speech demo page, microphone', () => {
  let browser, page;
  before(async () => {
    browser = await openBrowser({ args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${speechWav}`] });
    page = await openPage(browser);
  });
  after(async () => { await browser?.close(); });

  it('records from the microphone, then transcribes the recording', async () => {
    await page.goto(browser.url('/web/whisper.html'));
    await waitForState(page, 'ready');
    await page.click('#record');
    await waitForState(page, 'recording');
    assert.equal(await page.textContent('#record'), 'Stop recording');
    await page.waitForFunction(() => /^Recording: [3-9]\.\d s/.test(document.getElementById('status').textContent), null, { timeout: 20_000 });
    await untilTranscribed(page, () => page.click('#record'));
    const result = await shown(page);
    assert.equal(result.error, null, result.error);
    assert.match(await page.textContent('#audio-name'), /^the recording · [3-9]\.\d s at 16 kHz$/);
    assert.match(result.status, /^Done: [3-9]\.\d s of audio in [\d.]+ s\.$/);
    assert.match(result.rtf, /^\d+\.\d×$/);
    assert.ok(result.segments.length >= 1);
    assertWords(result.segments.map((s) => s.text).join(' '));
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.failed, []);
  });
});
