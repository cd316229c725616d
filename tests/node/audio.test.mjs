// read_audio in Node: WAV files of every sample format it reads (written here), resampling with a
// low-pass (tones keep their frequency and amplitude; images and aliases are suppressed), mixing to
// mono, the other sources (Float32Array, Blob, URL through env.fetch, file: URL, AudioBuffer-like),
// and every bad input a WaxError that says what is wrong.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { WaxError, env, read_audio } from '../../js/src/index.js';
import { amplitudeAt, maxDifference } from '../helpers/audio-signals.mjs';

let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'wax-audio-')); });
after(() => rm(dir, { recursive: true, force: true }));

/** (frames, channels) of a tone per channel: channel c is amplitudes[c] · sin(2π f t). */
function tones(frames, rate, parts) {
  return Array.from({ length: parts.length }, (_, c) => Float64Array.from({ length: frames }, (_, i) =>
    parts[c].reduce((sum, [hertz, amplitude]) => sum + amplitude * Math.sin(2 * Math.PI * hertz * i / rate), 0)));
}

/**
 * A WAV file's bytes: `channels` (arrays of samples in [-1, 1]) as `kind` ('int' or 'float') of
 * `bits`, optionally as WAVE_FORMAT_EXTENSIBLE, with a LIST chunk (odd length, padded) before the data.
 */
function wav(channels, rate, { kind = 'int', bits = 16, extensible = false, dataBytes = null } = {}) {
  const frames = channels[0].length, width = bits / 8, blockAlign = width * channels.length;
  const code = kind === 'int' ? 1 : 3;
  const fmtSize = extensible ? 40 : 16;
  const list = Buffer.from('LIST\x05\x00\x00\x00INFOx\x00', 'latin1'); // 5 bytes of body + 1 pad byte
  const data = Buffer.alloc(frames * blockAlign);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels.length; c++) {
      const at = i * blockAlign + c * width, v = channels[c][i];
      if (kind === 'float') bits === 32 ? data.writeFloatLE(v, at) : data.writeDoubleLE(v, at);
      else if (bits === 8) data.writeUInt8(Math.max(0, Math.min(255, Math.round(v * 128 + 128))), at);
      else {
        const scale = 2 ** (bits - 1);
        data.writeIntLE(Math.max(-scale, Math.min(scale - 1, Math.round(v * scale))), at, width);
      }
    }
  }
  const fmt = Buffer.alloc(8 + fmtSize);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(fmtSize, 4);
  fmt.writeUInt16LE(extensible ? 0xfffe : code, 8);
  fmt.writeUInt16LE(channels.length, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * blockAlign, 16);
  fmt.writeUInt16LE(blockAlign, 20);
  fmt.writeUInt16LE(bits, 22);
  if (extensible) {
    fmt.writeUInt16LE(22, 24); // cbSize
    fmt.writeUInt16LE(bits, 26); // valid bits
    fmt.writeUInt32LE(0, 28); // channel mask
    Buffer.from([code, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(fmt, 32); // KSDATAFORMAT_SUBTYPE_*
  }
  const header = Buffer.alloc(8);
  header.write('data', 0, 'latin1');
  header.writeUInt32LE(dataBytes ?? data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, list, header, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

let fileCount = 0;
async function file(bytes) {
  const path = join(dir, `audio-${fileCount++}.wav`);
  await writeFile(path, bytes);
  return path;
}

async function rejectsWith(promise, code, ...parts) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof WaxError, `expected a WaxError, got ${error}`);
    assert.equal(error.code, code, error.message);
    for (const part of parts) assert.match(error.message, part);
    return true;
  });
}

describe('WAV sample formats', () => {
  const rate = 16000;
  const [signal] = tones(1600, rate, [[[440, 0.5], [3000, 0.25]]]);
  const formats = [
    { kind: 'int', bits: 8, tolerance: 1 / 128 },
    { kind: 'int', bits: 16, tolerance: 1 / 32768 },
    { kind: 'int', bits: 24, tolerance: 1 / 2 ** 23 },
    { kind: 'int', bits: 32, tolerance: 1e-7 },
    { kind: 'float', bits: 32, tolerance: 1e-7 },
    { kind: 'float', bits: 64, tolerance: 1e-7 },
    { kind: 'int', bits: 24, extensible: true, tolerance: 1 / 2 ** 23 },
    { kind: 'float', bits: 32, extensible: true, tolerance: 1e-7 },
  ];
  for (const format of formats) {
    it(`${format.bits}-bit ${format.kind}${format.extensible ? ' (WAVE_FORMAT_EXTENSIBLE)' : ''}`, async () => {
      const samples = await read_audio(await file(wav([signal], rate, format)), rate);
      assert.ok(samples instanceof Float32Array);
      assert.equal(samples.length, signal.length);
      assert.ok(maxDifference(samples, signal) <= format.tolerance, `max difference ${maxDifference(samples, signal)}`);
    });
  }

  it('channels are averaged: 6 channels of 24-bit extensible', async () => {
    const channels = tones(1600, rate, [0.6, -0.2, 0.1, 0.3, 0, 0.4].map((a) => [[440, a]]));
    const samples = await read_audio(await file(wav(channels, rate, { bits: 24, extensible: true })), rate);
    const expected = channels[0].map((_, i) => channels.reduce((sum, ch) => sum + ch[i], 0) / 6);
    assert.ok(maxDifference(samples, expected) < 1e-6);
  });
});

describe('resampling', () => {
  it('8 kHz stereo int16 → 16 kHz mono: the tone keeps its frequency and amplitude, its image above 4 kHz is gone', async () => {
    const channels = tones(8000, 8000, [[[1000, 0.6]], [[1000, 0.2]]]); // mono: 0.4 at 1 kHz
    const samples = await read_audio(await file(wav(channels, 8000)), 16000);
    assert.equal(samples.length, 16000);
    assert.ok(Math.abs(amplitudeAt(samples, 16000, 1000) - 0.4) < 0.004, `1 kHz amplitude ${amplitudeAt(samples, 16000, 1000)}`);
    // Zero-stuffing or a poor interpolator leaves an image at 8 − 1 = 7 kHz.
    assert.ok(amplitudeAt(samples, 16000, 7000) < 0.4e-3, `7 kHz image ${amplitudeAt(samples, 16000, 7000)}`);
    // And the tone is where it was: a 1 kHz sine sample by sample, away from the ends.
    const expected = Float32Array.from({ length: 16000 }, (_, i) => 0.4 * Math.sin(2 * Math.PI * 1000 * i / 16000));
    assert.ok(maxDifference(samples.subarray(400, 15600), expected.subarray(400, 15600)) < 0.01);
  });

  it('48 kHz → 16 kHz: what lies above 8 kHz does not alias into the band', async () => {
    const [signal] = tones(48000, 48000, [[[1000, 0.3], [12000, 0.3], [9000, 0.3]]]);
    const samples = await read_audio(await file(wav([signal], 48000, { kind: 'float', bits: 32 })), 16000);
    assert.equal(samples.length, 16000);
    assert.ok(Math.abs(amplitudeAt(samples, 16000, 1000) - 0.3) < 0.003);
    // Plain decimation would fold 12 kHz onto 4 kHz and 9 kHz onto 7 kHz at full strength.
    assert.ok(amplitudeAt(samples, 16000, 4000) < 0.3e-3, `4 kHz alias ${amplitudeAt(samples, 16000, 4000)}`);
    assert.ok(amplitudeAt(samples, 16000, 7000) < 0.3e-3, `7 kHz alias ${amplitudeAt(samples, 16000, 7000)}`);
  });

  it('44.1 kHz → 16 kHz (160 phases) keeps a 440 Hz tone in place', async () => {
    const [signal] = tones(44100, 44100, [[[440, 0.5]]]);
    const samples = await read_audio(await file(wav([signal], 44100)), 16000);
    assert.equal(samples.length, 16000);
    const expected = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(2 * Math.PI * 440 * i / 16000));
    assert.ok(maxDifference(samples.subarray(400, 15600), expected.subarray(400, 15600)) < 0.002);
  });
});

describe('sources', () => {
  const [signal] = tones(800, 16000, [[[440, 0.5]]]);
  const bytes = wav([signal], 16000, { kind: 'float', bits: 32 });

  it('a Float32Array is returned as it is', async () => {
    const samples = new Float32Array(10);
    assert.equal(await read_audio(samples), samples);
  });

  it('a Blob, a file: URL, and a URL fetched through env.fetch', async () => {
    assert.ok(maxDifference(await read_audio(new Blob([bytes])), signal) < 1e-7);
    assert.ok(maxDifference(await read_audio(pathToFileURL(await file(bytes))), signal) < 1e-7);
    // A pipeline without an AbortSignal passes { signal: null }: a file path still reads.
    assert.ok(maxDifference(await read_audio(await file(bytes), 16000, { signal: null }), signal) < 1e-7);
    const saved = env.fetch;
    const asked = [];
    env.fetch = async (url) => {
      asked.push(url);
      return url.endsWith('/missing.wav') ? new Response('no', { status: 404 }) : new Response(bytes);
    };
    try {
      assert.ok(maxDifference(await read_audio('https://example.com/speech.wav'), signal) < 1e-7);
      await rejectsWith(read_audio('https://example.com/missing.wav'), 'WAX_NOT_FOUND', /missing\.wav/, /404/);
    } finally {
      env.fetch = saved;
    }
    assert.deepEqual(asked, ['https://example.com/speech.wav', 'https://example.com/missing.wav']);
  });

  it('an AudioBuffer (its interface) is mixed and resampled', async () => {
    const channels = tones(8000, 8000, [[[500, 0.5]], [[500, 0.1]]]).map((c) => Float32Array.from(c));
    const buffer = { numberOfChannels: 2, sampleRate: 8000, length: 8000, duration: 1, getChannelData: (c) => channels[c] };
    const samples = await read_audio(buffer, 16000);
    assert.equal(samples.length, 16000);
    assert.ok(Math.abs(amplitudeAt(samples, 16000, 500) - 0.3) < 0.003);
  });
});

describe('bad input', () => {
  const [signal] = tones(1000, 16000, [[[440, 0.5]]]);
  const good = wav([signal], 16000);

  it('truncated files', async () => {
    await rejectsWith(read_audio(await file(good.subarray(0, good.length - 100))), 'WAX_BAD_INPUT', /truncated/, /announces 2000 bytes/);
    await rejectsWith(read_audio(await file(good.subarray(0, 30))), 'WAX_BAD_INPUT', /truncated/);
    await rejectsWith(read_audio(await file(good.subarray(0, 45))), 'WAX_BAD_INPUT', /no data chunk/);
  });

  it('files that are not WAV name the formats Node reads', async () => {
    await rejectsWith(read_audio(await file(Buffer.from('hello, this is text and not audio at all'))), 'WAX_BAD_INPUT',
      /not a WAV file/, /Node reads WAV/, /PCM 8-, 16-, 24- or 32-bit/, /float 32- or 64-bit/);
    await rejectsWith(read_audio(await file(Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00rest of an mp3', 'latin1'))), 'WAX_BAD_INPUT', /looks like MP3/);
    await rejectsWith(read_audio(await file(Buffer.from('OggS\x00\x02rest', 'latin1'))), 'WAX_BAD_INPUT', /looks like Ogg/);
  });

  it('empty files and empty audio', async () => {
    await rejectsWith(read_audio(await file(Buffer.alloc(0))), 'WAX_BAD_INPUT', /empty/);
    await rejectsWith(read_audio(await file(wav([new Float64Array(0)], 16000))), 'WAX_BAD_INPUT', /no samples/);
    await rejectsWith(read_audio(new Blob([])), 'WAX_BAD_INPUT', /empty/);
  });

  it('NaN or infinite float samples, named', async () => {
    const broken = Float64Array.from(signal);
    broken[123] = NaN;
    await rejectsWith(read_audio(await file(wav([broken], 16000, { kind: 'float', bits: 32 }))), 'WAX_BAD_INPUT', /sample 123 of channel 0 is NaN/);
    broken[123] = 0;
    broken[7] = Infinity;
    await rejectsWith(read_audio(await file(wav([signal, broken], 16000, { kind: 'float', bits: 64 }))), 'WAX_BAD_INPUT', /sample 7 of channel 1 is Infinity/);
  });

  it('sample formats it does not read', async () => {
    const alaw = Buffer.from(good);
    alaw.writeUInt16LE(6, 20); // WAVE_FORMAT_ALAW
    await rejectsWith(read_audio(await file(alaw)), 'WAX_BAD_INPUT', /format code 6/, /Node reads WAV/);
    const twelveBit = Buffer.from(good);
    twelveBit.writeUInt16LE(12, 34);
    await rejectsWith(read_audio(await file(twelveBit)), 'WAX_BAD_INPUT', /12-bit PCM/);
  });

  it('bad arguments and missing files', async () => {
    await rejectsWith(read_audio(join(dir, 'nothing-here.wav')), 'WAX_NOT_FOUND', /nothing-here\.wav/);
    await rejectsWith(read_audio(42), 'WAX_BAD_INPUT', /expected a Float32Array, a URL, a Blob/);
    await rejectsWith(read_audio(new Float32Array(4), 0), 'WAX_BAD_INPUT', /sampling_rate must be a positive integer/);
    await rejectsWith(read_audio(new Float32Array(4), 16000.5), 'WAX_BAD_INPUT', /sampling_rate/);
  });
});
