// Runs inside Chromium (tests/browser/audio.html): read_audio through the Web Audio API (a WAV
// Blob, a URL, resampling, a Blob that is not audio) and the Whisper processor on the wasm module,
// against the whisper_tiny_random oracle. Each check returns a small JSON summary for audio.test.mjs.
import { AutoProcessor, WaxError, env, read_audio, runtimeInfo } from '../../js/src/index.js';
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

/** A WAV file's bytes of channels (arrays in [-1, 1]) as 16-bit PCM or 32-bit float. */
function wav(channels, rate, float) {
  const frames = channels[0].length, width = float ? 4 : 2, blockAlign = width * channels.length;
  const view = new DataView(new ArrayBuffer(44 + frames * blockAlign));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + frames * blockAlign, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, float ? 3 : 1, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, width * 8, true);
  text(36, 'data');
  view.setUint32(40, frames * blockAlign, true);
  for (let i = 0; i < frames; i++) {
    channels.forEach((channel, c) => {
      const at = 44 + i * blockAlign + c * width;
      if (float) view.setFloat32(at, channel[i], true);
      else view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(channel[i] * 32768))), true);
    });
  }
  return view.buffer;
}

function amplitudeAt(x, rate, hertz) {
  const begin = Math.floor(x.length / 4), end = Math.floor(3 * x.length / 4);
  let s = 0, c = 0;
  for (let i = begin; i < end; i++) {
    s += x[i] * Math.sin(2 * Math.PI * hertz * i / rate);
    c += x[i] * Math.cos(2 * Math.PI * hertz * i / rate);
  }
  return 2 * Math.hypot(s, c) / (end - begin);
}

const maxDifference = (a, b) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);

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
