// Audio in: whatever a user has (samples, a URL, a Blob/File, an AudioBuffer, a file path in Node)
// as mono Float32Array samples at the rate a model wants. Browsers decode any format they read with
// an OfflineAudioContext's decodeAudioData, which also resamples to the context's rate; Node and
// workers, which have no Web Audio, read WAV here. Other rates (an AudioBuffer's, a WAV file's) are
// resampled with a Kaiser-windowed sinc low-pass. The features' math is C++.
import { env } from '../env.js';
import { WaxError, badInput, describeValue, throwIfAborted } from '../errors.js';
import { watchStalls } from '../loader/stall.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const hasWebAudio = typeof globalThis.OfflineAudioContext === 'function';

const WAV_FORMATS = 'WAV (RIFF/WAVE) with PCM 8-, 16-, 24- or 32-bit integer or IEEE float 32- or 64-bit samples ' +
  '(WAVE_FORMAT_EXTENSIBLE too), at any rate and channel count';
const NOT_READ_HERE = `${isNode ? 'Node' : 'a worker (no Web Audio API there)'} reads ${WAV_FORMATS}; convert other formats to WAV ` +
  'first (ffmpeg -i in.mp3 out.wav), or decode the audio yourself and pass mono Float32Array samples';

/**
 * Reads audio as mono samples at `sampling_rate`, as transformers.js's function of the same name.
 * Channels are averaged; a different rate is resampled (browsers decode at the rate wanted;
 * otherwise a windowed-sinc low-pass, flat to 0.9 × the lower rate's Nyquist frequency, that takes
 * what lies above 1.025 × it down by more than 85 dB, so it neither aliases nor images).
 *
 * @example
 * import { read_audio } from 'wax-ml';
 * const samples = await read_audio('speech.wav', 16000); // Node: a file path; pages: a URL
 * samples.length / 16000; // the duration in seconds, e.g. 2.5
 *
 * @param {Float32Array | string | URL | Blob | AudioBuffer} source samples (returned as they are, taken to
 *   be mono at `sampling_rate`), a URL (fetched with env.fetch), a Blob or File, an AudioBuffer, or in Node
 *   a file path or file: URL
 * @param {number} [sampling_rate] the rate wanted, in Hz (default 16000)
 * @param {{ signal?: AbortSignal }} [options]
 * @returns {Promise<Float32Array>}
 */
export async function read_audio(source, sampling_rate = 16000, { signal } = {}) {
  if (!Number.isSafeInteger(sampling_rate) || sampling_rate <= 0) {
    throw badInput(`read_audio: sampling_rate must be a positive integer (Hz), got ${describeValue(sampling_rate)}`);
  }
  if (source instanceof Float32Array) return source;
  if (isAudioBuffer(source)) return audioBufferToMono(source, sampling_rate, 'read_audio: the AudioBuffer');
  const { bytes, label } = await readBytes(source, signal);
  throwIfAborted(signal);
  if (bytes.length === 0) throw badInput(`read_audio: ${label} is empty (0 bytes)`);
  if (hasWebAudio) return decodeWithWebAudio(bytes, sampling_rate, label);
  const wav = decodeWav(bytes, label);
  return resample(wav.samples, wav.sampleRate, sampling_rate);
}

function isAudioBuffer(value) {
  return value !== null && typeof value === 'object' && typeof value.getChannelData === 'function' &&
    Number.isInteger(value.numberOfChannels) && typeof value.sampleRate === 'number';
}

/** The bytes of a URL, Blob or (Node) file, and how to name it in messages. */
async function readBytes(source, signal) {
  if (typeof Blob === 'function' && source instanceof Blob) {
    return { bytes: new Uint8Array(await source.arrayBuffer()), label: source.name ? `the file ${JSON.stringify(source.name)}` : 'the Blob' };
  }
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw badInput(`read_audio: expected a Float32Array, a URL, a Blob or File, an AudioBuffer${isNode ? ' or a file path' : ''}, ` +
      `got ${describeValue(source)}`);
  }
  const url = toUrl(source);
  if (url === null || url.protocol === 'file:') {
    const path = url === null ? source : (await import('node:url')).fileURLToPath(url);
    const { readFile } = await import('node:fs/promises');
    try {
      return { bytes: new Uint8Array(await readFile(path, { signal: signal ?? undefined })), label: `the file ${JSON.stringify(String(path))}` };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const code = error.code === 'ENOENT' ? 'WAX_NOT_FOUND' : 'WAX_BAD_INPUT';
      throw new WaxError(`read_audio: could not read the file ${JSON.stringify(String(path))} (${error.message})`, { code, cause: error });
    }
  }
  return { bytes: await fetchBytes(url, signal), label: url.href };
}

/** A URL for `source`; null for what Node takes as a file path. Pages resolve relative URLs against the page. */
function toUrl(source) {
  if (source instanceof URL) return source;
  if (isNode) return /^(https?|file|data|blob):/i.test(source) ? new URL(source) : null;
  return new URL(source, globalThis.location?.href);
}

async function fetchBytes(url, signal) {
  throwIfAborted(signal);
  const watch = watchStalls(`read_audio: ${url.href}`, signal);
  try {
    const response = await watch.within(env.fetch(url.href, { signal: watch.signal }), 'the response');
    if (!response.ok) {
      throw new WaxError(`read_audio: ${url.href} answered HTTP ${response.status}`, { code: response.status === 404 ? 'WAX_NOT_FOUND' : 'WAX_FETCH_FAILED' });
    }
    return new Uint8Array(await watch.within(response.arrayBuffer(), 'the body'));
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof WaxError) throw error;
    throw new WaxError(`read_audio: fetching ${url.href} failed (${error.cause?.message ?? error.message})`, { code: 'WAX_FETCH_FAILED', cause: error });
  }
}

/** Browsers: any format the browser decodes, decoded at (so resampled to) the context's rate. */
async function decodeWithWebAudio(bytes, samplingRate, label) {
  const context = new OfflineAudioContext(1, 1, samplingRate);
  let decoded;
  try {
    // decodeAudioData detaches the buffer it is given: hand it a copy.
    decoded = await context.decodeAudioData(bytes.slice().buffer);
  } catch (error) {
    throw new WaxError(`read_audio: ${label} could not be decoded as audio by this browser (${error?.message ?? error}); ` +
      'it may be truncated, not audio, or in a format the browser does not read', { code: 'WAX_BAD_INPUT', cause: error });
  }
  return audioBufferToMono(decoded, samplingRate, label);
}

/**
 * An AudioBuffer's channels averaged, at `samplingRate`. Not rendered through an
 * OfflineAudioContext: Chromium plays a buffer of another rate with linear interpolation, 5 % down
 * at 1 kHz from 8 kHz and its images left in; the windowed sinc keeps the band flat.
 */
function audioBufferToMono(buffer, samplingRate, label) {
  if (buffer.length === 0 || buffer.numberOfChannels === 0) throw badInput(`${label} holds no samples`);
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
  return resample(mixToMono(channels, label), buffer.sampleRate, samplingRate);
}

/** The mean of the channels (one channel: itself); a NaN or infinite sample is an error naming where. */
function mixToMono(channels, label) {
  const frames = channels[0].length;
  const mono = channels.length === 1 ? channels[0] : new Float32Array(frames);
  for (let c = 0; c < channels.length; c++) {
    const channel = channels[c];
    for (let i = 0; i < frames; i++) {
      if (!Number.isFinite(channel[i])) {
        throw badInput(`${label}: sample ${i} of channel ${c} is ${channel[i]}; expected finite values`);
      }
      if (channels.length > 1) mono[i] += channel[i] / channels.length;
    }
  }
  return mono;
}

// ---- WAV ----

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** What a file that is not WAV seems to be, for the message. */
function guessFormat(bytes) {
  const text = (start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
  if (text(0, 3) === 'ID3' || (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)) return 'MP3';
  if (text(0, 4) === 'fLaC') return 'FLAC';
  if (text(0, 4) === 'OggS') return 'Ogg';
  if (text(4, 4) === 'ftyp') return 'MP4/M4A';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'WebM/Matroska';
  if (text(0, 4) === 'RF64') return 'RF64 (WAV over 4 GiB)';
  return null;
}

/**
 * A WAV file as { samples: mono Float32Array, sampleRate, channels }. Throws WAX_BAD_INPUT naming
 * what is wrong: not WAV, truncated, a sample format it does not read, no samples, NaN/infinite floats.
 */
export function decodeWav(bytes, label = 'the WAV file') {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset) => String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    const guess = guessFormat(bytes);
    throw badInput(`read_audio: ${label} is not a WAV file${guess ? ` (it looks like ${guess})` : ''}. ${NOT_READ_HERE}`);
  }
  let format = null;
  let data = null;
  for (let offset = 12; offset + 8 <= bytes.length;) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) throw badInput(`read_audio: ${label} is truncated: its 'fmt ' chunk is cut off`);
      format = readFormat(view, body, size, label);
    } else if (id === 'data') {
      // Writers that stream (size unknown when the header was written) leave 0 or 0xFFFFFFFF: the rest of the file.
      const streamed = size === 0xffffffff || (size === 0 && body < bytes.length);
      if (!streamed && body + size > bytes.length) {
        throw badInput(`read_audio: ${label} is truncated: its data chunk announces ${size} bytes, the file holds ${bytes.length - body}`);
      }
      data = bytes.subarray(body, streamed ? bytes.length : body + size);
      if (format) break;
    }
    offset = body + size + (size & 1); // chunks are padded to an even length
  }
  if (!format) throw badInput(`read_audio: ${label} has no 'fmt ' chunk before its end (truncated, or not a WAV file)`);
  if (!data) throw badInput(`read_audio: ${label} has no data chunk (truncated, or not a WAV file)`);
  const frames = Math.floor(data.length / format.blockAlign);
  if (frames === 0) throw badInput(`read_audio: ${label} holds no samples (empty audio)`);
  const samples = readSamples(new DataView(data.buffer, data.byteOffset, frames * format.blockAlign), frames, format, label);
  return { samples, sampleRate: format.sampleRate, channels: format.channels };
}

function readFormat(view, offset, size, label) {
  let code = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const blockAlign = view.getUint16(offset + 12, true);
  const bits = view.getUint16(offset + 14, true);
  if (code === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw badInput(`read_audio: ${label}: its WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is ${size} bytes, expected 40`);
    code = view.getUint16(offset + 24, true); // the sub-format GUID begins with the format code
  }
  const kind = code === WAVE_FORMAT_PCM ? 'int' : code === WAVE_FORMAT_IEEE_FLOAT ? 'float' : null;
  const readable = kind === 'int' ? [8, 16, 24, 32].includes(bits) : kind === 'float' ? [32, 64].includes(bits) : false;
  if (!readable) {
    throw badInput(`read_audio: ${label} holds ${kind ? `${bits}-bit ${kind === 'int' ? 'PCM' : 'float'}` : `format code ${code}`} samples. ${NOT_READ_HERE}`);
  }
  if (channels === 0) throw badInput(`read_audio: ${label} has 0 channels`);
  if (sampleRate === 0) throw badInput(`read_audio: ${label} has a sample rate of 0 Hz`);
  if (blockAlign < channels * (bits / 8)) {
    throw badInput(`read_audio: ${label}: block align ${blockAlign} is less than ${channels} channels of ${bits / 8} bytes`);
  }
  return { kind, bits, channels, sampleRate, blockAlign };
}

/** Interleaved frames → the mean of the channels, each sample scaled to [-1, 1). */
function readSamples(view, frames, { kind, bits, channels, blockAlign }, label) {
  const width = bits / 8;
  const read = kind === 'float'
    ? (bits === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true))
    : {
      8: (at) => (view.getUint8(at) - 128) / 128,
      16: (at) => view.getInt16(at, true) / 32768,
      24: (at) => ((view.getUint8(at + 2) << 24 | view.getUint8(at + 1) << 16 | view.getUint8(at) << 8) >> 8) / 8388608,
      32: (at) => view.getInt32(at, true) / 2147483648,
    }[bits];
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const value = read(i * blockAlign + c * width);
      if (!Number.isFinite(value)) throw badInput(`read_audio: ${label}: sample ${i} of channel ${c} is ${value}; expected finite values`);
      sum += value;
    }
    mono[i] = sum / channels;
  }
  return mono;
}

// ---- Resampling ----

/** The pass band ends at this fraction of the lower rate's Nyquist frequency (0.9 × 8 kHz at 16 kHz). */
const ROLLOFF = 0.9;
/** Zero crossings of the low-pass's sinc on each side: its length, so its transition width (0.1 × Nyquist here). */
const ZERO_CROSSINGS = 24;
/** Kaiser window β for about 85 dB of stop-band attenuation. */
const KAISER_BETA = 8.6;
/** Filter phases at most; a ratio with more (not a ratio of usual rates) takes the nearest of these. */
const MAX_PHASES = 4096;

const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));

/** The zeroth-order modified Bessel function of the first kind (the Kaiser window's), by its series. */
function besselI0(x) {
  let sum = 1, term = 1;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * `input` at `fromRate` → `toRate` by polyphase filtering with a Kaiser-windowed sinc (band-limited
 * interpolation): output sample n sits at input position n · fromRate / toRate, and each rational
 * phase of that position has its own row of taps, so a common ratio (44.1 → 16 kHz: 160 phases)
 * costs one dot product of 2 · ZERO_CROSSINGS / cutoff taps a sample.
 */
export function resample(input, fromRate, toRate) {
  if (fromRate === toRate) return input;
  if (!Number.isSafeInteger(fromRate) || fromRate <= 0) throw badInput(`read_audio: the audio's sample rate must be a positive integer, got ${describeValue(fromRate)}`);
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor, down = fromRate / divisor;
  const cutoff = ROLLOFF * Math.min(1, up / down); // of the input's Nyquist frequency
  const half = Math.ceil(ZERO_CROSSINGS / cutoff); // taps on each side, in input samples
  const width = 2 * half;
  const phases = Math.min(up, MAX_PHASES);
  const taps = new Float32Array(phases * width); // (phases, width)
  const windowNorm = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const x = k - (half - 1) - p / phases; // distance from the output position, in input samples
      const r = x / half;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
      const value = Math.abs(r) >= 1 ? 0 : cutoff * sinc * besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / windowNorm;
      taps[p * width + k] = value;
      sum += value;
    }
    for (let k = 0; k < width; k++) taps[p * width + k] /= sum; // unit gain at DC in every phase
  }
  const output = new Float32Array(Math.ceil(input.length * up / down));
  for (let n = 0; n < output.length; n++) {
    const position = n * down; // in 1/up input samples: exact below 2^53
    let base = Math.floor(position / up);
    let phase = position - base * up;
    if (phases !== up) {
      phase = Math.round(phase * phases / up);
      if (phase === phases) base++, phase = 0;
    }
    const start = base - half + 1;
    const row = phase * width;
    let sum = 0;
    if (start >= 0 && start + width <= input.length) {
      for (let k = 0; k < width; k++) sum += input[start + k] * taps[row + k];
    } else {
      for (let k = Math.max(0, -start); k < width && start + k < input.length; k++) sum += input[start + k] * taps[row + k];
    }
    output[n] = sum;
  }
  return output;
}
