// read_audio and the Whisper processor inside headless Chromium (tests/browser/audio.js): a WAV
// Blob and a URL decoded by the Web Audio API, 8 kHz stereo resampled by it, the processor's
// features against the whisper_tiny_random oracle on the plain and the threaded build, bad input.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { readNpy } from '../helpers/npy.mjs';
import { openBrowser } from './browser.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

/** The oracle waveform as a 16 kHz float WAV, served at /speech.wav by the page's route. */
async function speechWav() {
  const { data } = readNpy(await readFile(new URL('../fixtures/whisper_tiny_random/waveform_16k.npy', import.meta.url)));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.byteLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(3, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(64000, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(32, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.byteLength, 40);
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

async function audioPage(query = '') {
  const page = await browser.newPage();
  const body = await speechWav();
  await page.route('**/speech.wav', (route) => route.fulfill({ body, contentType: 'audio/wav' }));
  await page.goto(browser.url(`/tests/browser/audio.html${query}`));
  await page.waitForFunction(() => window.audioReady === true, null, { timeout: 15_000 });
  return page;
}

for (const threads of [1, 2]) {
  describe(`read_audio and the Whisper processor in Chromium (${threads === 1 ? 'one thread' : 'threaded build, 2 threads'})`, () => {
    let page;
    before(async () => { page = await audioPage(`?threads=${threads}`); });
    after(async () => { await page?.close(); });

    it('a WAV Blob and a URL decode to the waveform, and the processor gives the oracle features within 1e-4', async () => {
      const result = await page.evaluate((url) => window.audioChecks.oracle(url), browser.url('/speech.wav'));
      assert.equal(result.runtime.threads, threads);
      assert.equal(result.blobSamples, 40000);
      assert.ok(result.blobDifference < 1e-7, `Blob samples differ by ${result.blobDifference}`);
      assert.ok(result.urlDifference < 1e-7, `URL samples differ by ${result.urlDifference}`);
      assert.deepEqual(result.dims, result.expectedDims);
      assert.ok(result.featuresDifference <= 1e-4, `features differ by ${result.featuresDifference}`);
      assert.equal(result.tokenizer, null); // the fixture has no tokenizer.json
    });

    if (threads === 1) {
      it('8 kHz stereo int16 (a WAV Blob, an AudioBuffer) is resampled to 16 kHz mono by the browser, the tone kept and its image removed', async () => {
        const result = await page.evaluate(() => window.audioChecks.resampled());
        assert.equal(result.length, 16000);
        assert.ok(Math.abs(result.at1k - 0.4) < 0.01, `1 kHz amplitude ${result.at1k}`);
        assert.ok(result.image7k < 4e-3, `7 kHz image ${result.image7k}`);
        assert.equal(result.bufferLength, 16000);
        assert.ok(Math.abs(result.bufferAt1k - 0.3) < 0.003, `AudioBuffer: 1 kHz amplitude ${result.bufferAt1k}`);
        assert.ok(result.bufferImage7k < 3e-4, `AudioBuffer: 7 kHz image ${result.bufferImage7k}`);
      });

      it('in a worker (no Web Audio API) WAV is read and resampled by wax, and other formats are refused naming what it reads', async () => {
        const { length, at1k, image7k, mp3 } = await page.evaluate(() => window.audioChecks.inWorker());
        assert.equal(length, 16000);
        assert.ok(Math.abs(at1k - 0.4) < 0.004, `1 kHz amplitude ${at1k}`);
        assert.ok(image7k < 4e-4, `7 kHz image ${image7k}`);
        assert.deepEqual([mp3.name, mp3.code], ['WaxError', 'WAX_BAD_INPUT']);
        assert.match(mp3.message, /looks like MP3/);
        assert.match(mp3.message, /a worker \(no Web Audio API there\) reads WAV/);
      });

      it('a Blob that is not audio, an empty one and NaN samples are WaxErrors', async () => {
        const { notAudio, empty, nan } = await page.evaluate(() => window.audioChecks.badInput());
        assert.deepEqual([notAudio.isWaxError, notAudio.code], [true, 'WAX_BAD_INPUT']);
        assert.match(notAudio.message, /could not be decoded as audio/);
        assert.deepEqual([empty.code, /empty/.test(empty.message)], ['WAX_BAD_INPUT', true]);
        assert.deepEqual([nan.code, /sample 1 is NaN/.test(nan.message)], ['WAX_BAD_INPUT', true]);
      });
    }
  });
}
