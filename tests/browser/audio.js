// Runs inside Chromium (tests/browser/audio.html): read_audio through the Web Audio API (a WAV
// Blob, a URL, resampling, a Blob that is not audio) and the Whisper processor on the wasm module,
// against the whisper_tiny_random oracle. Each check returns a small JSON summary for audio.test.mjs.
import { AutoProcessor, WaxError, env, read_audio, runtimeInfo } from '../../js/src/index.js';
import { amplitudeAt, maxDifference, wav } from '../helpers/audio-signals.mjs';
import { readNpy } from '../helpers/npy.mjs';

// ?threads=N runs the page on N threads.
const threads = new URLSearchParams(location.search).get('threads');
if (threads) env.wasm.numThreads = Number(threads);

const FIXTURE = new URL('../fixtures/whisper_tiny_random/', import.meta.url);

async function npy(file) {
  const response = await fetch(new URL(file, FIXTURE));
  if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
  return readNpy(await response.arrayBuffer());
}

async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return { isWaxError: error instanceof WaxError, code: error.code, message: error.message };
  }
}

window.audioChecks = {
  /** The oracle waveform as a WAV Blob and from a URL → read_audio → processor, against input_features. */
  async oracle(url) {
    const [waveform, expected] = await Promise.all([npy('waveform_16k.npy'), npy('input_features.npy')]);
    const processor = await AutoProcessor.from_pretrained(FIXTURE);
    const fromBlob = await read_audio(new Blob([wav([waveform.data], 16000, true)], { type: 'audio/wav' }), 16000);
    const fromUrl = await read_audio(url, 16000);
    const { input_features } = await processor(fromBlob);
    return {
      runtime: await runtimeInfo(),
      blobSamples: fromBlob.length,
      blobDifference: maxDifference(fromBlob, waveform.data),
      urlDifference: maxDifference(fromUrl, waveform.data),
      dims: input_features.dims,
      expectedDims: expected.dims,
      featuresDifference: maxDifference(input_features.data, expected.data),
      tokenizer: processor.tokenizer,
    };
  },

  /** 8 kHz stereo int16 → 16 kHz mono through decodeAudioData / OfflineAudioContext. */
  async resampled() {
    const tone = (amplitude) => Float32Array.from({ length: 8000 }, (_, i) => amplitude * Math.sin(2 * Math.PI * 1000 * i / 8000));
    const samples = await read_audio(new Blob([wav([tone(0.6), tone(0.2)], 8000, false)]), 16000);
    // An AudioBuffer at 8 kHz, resampled by the windowed sinc.
    const buffer = new AudioBuffer({ length: 8000, numberOfChannels: 2, sampleRate: 8000 });
    buffer.copyToChannel(tone(0.5), 0);
    buffer.copyToChannel(tone(0.1), 1);
    const fromBuffer = await read_audio(buffer, 16000);
    return {
      length: samples.length, at1k: amplitudeAt(samples, 16000, 1000), image7k: amplitudeAt(samples, 16000, 7000),
      bufferLength: fromBuffer.length, bufferAt1k: amplitudeAt(fromBuffer, 16000, 1000), bufferImage7k: amplitudeAt(fromBuffer, 16000, 7000),
    };
  },

  /** read_audio in a module worker (no Web Audio there): 8 kHz stereo WAV → 16 kHz mono, and an MP3 refused. */
  async inWorker() {
    const worker = new Worker(new URL('./audio-worker.js', import.meta.url), { type: 'module' });
    const ask = (blob) => new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.postMessage({ blob, rate: 16000 });
    });
    try {
      const tone = (amplitude) => Float32Array.from({ length: 8000 }, (_, i) => amplitude * Math.sin(2 * Math.PI * 1000 * i / 8000));
      const { samples } = await ask(new Blob([wav([tone(0.6), tone(0.2)], 8000, false)]));
      const mp3 = await ask(new Blob([new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3])]));
      return { length: samples.length, at1k: amplitudeAt(samples, 16000, 1000), image7k: amplitudeAt(samples, 16000, 7000), mp3: mp3.error };
    } finally {
      worker.terminate();
    }
  },

  async badInput() {
    return {
      notAudio: await errorOf(read_audio(new Blob(['this is text, not audio']))),
      empty: await errorOf(read_audio(new Blob([]))),
      nan: await errorOf((await AutoProcessor.from_pretrained(FIXTURE))(Float32Array.of(0, NaN, 0))),
    };
  },
};
window.audioReady = true;
