// A module worker for tests/browser/audio.js: read_audio where there is no Web Audio API (the wax
// worker, where pipelines run on a page), so WAV is read and resampled by wax's own code.
import { read_audio } from '../../js/src/index.js';

self.onmessage = async ({ data: { blob, rate } }) => {
  try {
    const samples = await read_audio(blob, rate);
    self.postMessage({ samples });
  } catch (error) {
    self.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
  }
};
