// Runs inside Chromium (tests/browser/asr.html): pipeline('automatic-speech-recognition') on the
// page's wax worker against the same pipeline on the page, over the random-weight
// whisper_tiny_random given as picked files with a Whisper-style tokenizer
// (tests/helpers/whisper-test-tokenizer.mjs). Audio the worker cannot read itself — a WAV Blob
// (Web Audio decodes it on the page), an 8 kHz stereo AudioBuffer — is read on the page first.
import { WaxError, pipeline, read_audio } from '../../js/src/index.js';
import { wav } from '../helpers/audio-signals.mjs';
import { testAudio, whisperFixtureFiles } from '../helpers/whisper-test-tokenizer.mjs';

const FIXTURE = new URL('../fixtures/whisper_tiny_random/', import.meta.url);
const TOKENIZER = new URL('../fixtures/tokenizers/whisper_multilingual/tokenizer.json', import.meta.url);

window.asrChecks = {
  async workerAgainstPage() {
    const files = await whisperFixtureFiles(FIXTURE, TOKENIZER);
    const inWorker = await pipeline('automatic-speech-recognition', files); // a page's default: the wax worker
    const inPage = await pipeline('automatic-speech-recognition', files, { worker: false });
    try {
      const options = { max_new_tokens: 6, chunk_length_s: 10, return_timestamps: true };
      const blob = new Blob([wav([testAudio(25)], 16000, true)], { type: 'audio/wav' });
      const fromBlob = await inWorker(blob, options);
      const blobExpected = await inPage(await read_audio(blob, 16000), options);

      const buffer = new AudioBuffer({ length: 3 * 8000, numberOfChannels: 2, sampleRate: 8000 });
      buffer.copyToChannel(testAudio(3, 8000), 0);
      buffer.copyToChannel(testAudio(3, 8000).map((v) => -v / 2), 1);
      const fromBuffer = await inWorker(buffer, { max_new_tokens: 4 });
      const bufferExpected = await inPage(await read_audio(buffer, 16000), { max_new_tokens: 4 });

      const controller = new AbortController();
      let steps = 0;
      const streamer = { put: () => { if (++steps === 3) controller.abort(); }, end() {} };
      const aborted = await inWorker(testAudio(25), { max_new_tokens: 40, chunk_length_s: 10, signal: controller.signal, streamer })
        .then(() => 'finished', (error) => error.name);
      const stepsAtAbort = steps;
      const unknownLanguage = await inWorker(testAudio(1), { language: 'xx' })
        .then(() => null, (error) => ({ isWaxError: error instanceof WaxError, code: error.code, message: error.message }));
      const afterwards = await inWorker(testAudio(1), { max_new_tokens: 2 });
      return { remote: inWorker.__remote === true, fromBlob, blobExpected, fromBuffer, bufferExpected, aborted, stepsAtAbort,
        unknownLanguage, afterwards: typeof afterwards.text };
    } finally {
      await inWorker.dispose();
      await inPage.dispose();
    }
  },
};
window.asrReady = true;
