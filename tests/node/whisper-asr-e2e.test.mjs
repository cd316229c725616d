// pipeline('automatic-speech-recognition') end to end on the random-weight tests/fixtures/whisper_tiny_random
// (features, encoder and decoder on the .wasm): random weights say no words, so this checks the
// structure — the ids start as generation_config.json and the options say, windows and chunks are
// well-formed, abort stops it, bad audio is a WaxError, the heap stays flat over a 2-hour file's windows.
// The fixture has no tokenizer: the test gives it a byte-level Whisper-style one of its 512 ids
// (tests/helpers/whisper-test-tokenizer.mjs).
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { TextStreamer, WaxError, pipeline, read_audio } from '../../js/src/index.js';
import { wav } from '../helpers/audio-signals.mjs';
import { testAudio as audio, whisperStyleTokenizer } from '../helpers/whisper-test-tokenizer.mjs';

const MODEL = fileURLToPath(new URL('../fixtures/whisper_tiny_random/', import.meta.url));
const BYTE_LEVEL = fileURLToPath(new URL('../fixtures/tokenizers/whisper_multilingual/tokenizer.json', import.meta.url));
const RATE = 16000;

/** The fixture with the tokenizer, and its generation_config.json changed by `generation` (an object merged over it). */
async function modelFolder(generation = {}) {
  const folder = await mkdtemp(join(tmpdir(), 'wax-asr-'));
  for (const file of ['config.json', 'model.safetensors', 'preprocessor_config.json']) await copyFile(join(MODEL, file), join(folder, file));
  const config = JSON.parse(await readFile(join(MODEL, 'generation_config.json'), 'utf8'));
  await writeFile(join(folder, 'generation_config.json'), JSON.stringify({ ...config, ...generation }));
  const { tokenizer, tokenizerConfig } = whisperStyleTokenizer(JSON.parse(await readFile(BYTE_LEVEL, 'utf8')));
  await writeFile(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
  await writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  return folder;
}

/** A 16-bit mono WAV file's bytes: `block` (samples in [-1, 1]) `times` over, without the whole signal as floats. */
function repeatedWav(block, times) {
  const one = new Int16Array(new Uint8Array(wav([block], RATE, false)).slice(44).buffer);
  const bytes = new Uint8Array(44 + one.byteLength * times);
  bytes.set(new Uint8Array(wav([new Float32Array(0)], RATE, false)));
  const view = new DataView(bytes.buffer);
  view.setUint32(4, 36 + one.byteLength * times, true);
  view.setUint32(40, one.byteLength * times, true);
  for (let i = 0; i < times; i++) bytes.set(new Uint8Array(one.buffer), 44 + i * one.byteLength);
  return bytes;
}

describe('automatic-speech-recognition on whisper_tiny_random', () => {
  let folder, timedFolder, asr, timed;
  before(async () => {
    folder = await modelFolder();
    // As an English-only checkpoint's file: <|notimestamps|> forced second, unless timestamps are asked for.
    timedFolder = await modelFolder({ no_timestamps_token_id: 264, max_initial_timestamp_index: 50, forced_decoder_ids: [[1, 264]] });
    asr = await pipeline('automatic-speech-recognition', folder);
    timed = await pipeline('automatic-speech-recognition', timedFolder);
  });
  after(async () => {
    await asr?.dispose();
    await timed?.dispose();
    await rm(folder, { recursive: true, force: true });
    await rm(timedFolder, { recursive: true, force: true });
  });

  /** The ids of each window, as the streamer saw them: the start ids first. */
  const recording = () => {
    const windows = [];
    return { windows, put: (rows) => (rows[0].length > 1 || windows.length === 0 || windows.at(-1).done
      ? windows.push({ ids: rows[0].map(Number), done: false }) : windows.at(-1).ids.push(...rows[0].map(Number))),
    end: () => { windows.at(-1).done = true; } };
  };

  it('starts from decoder_start_token_id alone (a generation config without language or task) and gives text', async () => {
    const streamer = recording();
    const { text, chunks } = await asr(audio(3), { max_new_tokens: 6, streamer });
    assert.equal(typeof text, 'string');
    assert.equal(chunks, undefined);
    assert.equal(streamer.windows.length, 1);
    assert.deepEqual(streamer.windows[0].ids.slice(0, 1), [3]);
    assert.ok(streamer.windows[0].ids.length <= 1 + 6);
  });

  it('starts with the language and task tokens the call names', async () => {
    const streamer = recording();
    await asr(audio(2), { max_new_tokens: 3, language: 'french', task: 'translate', streamer });
    assert.deepEqual(streamer.windows[0].ids.slice(0, 3), [3, 261, 262]);
  });

  it('detects the language of a multilingual model from the first window, as the decoder scores the language tokens', async () => {
    const multilingualFolder = await modelFolder({ is_multilingual: true, lang_to_id: { '<|en|>': 260, '<|fr|>': 261 },
      task_to_id: { translate: 262, transcribe: 263 }, no_timestamps_token_id: 264 });
    const multilingual = await pipeline('automatic-speech-recognition', multilingualFolder);
    try {
      const streamer = recording();
      const samples = audio(2);
      await multilingual(samples, { max_new_tokens: 2, streamer });
      const { input_features } = await multilingual.processor(samples);
      const { logits } = await multilingual.model({ input_features, decoder_input_ids: [[3]] });
      const likelier = logits.data[260] >= logits.data[261] ? 260 : 261;
      assert.deepEqual(streamer.windows[0].ids.slice(0, 4), [3, likelier, 263, 264]);
    } finally {
      await multilingual.dispose();
      await rm(multilingualFolder, { recursive: true, force: true });
    }
  });

  it('adds <|notimestamps|> when generation_config.json names it and no timestamps are asked for', async () => {
    const streamer = recording();
    await timed(audio(2), { max_new_tokens: 2, streamer });
    const { chunks } = await timed(audio(2), { max_new_tokens: 8, streamer, return_timestamps: true });
    assert.deepEqual(streamer.windows[0].ids.slice(0, 2), [3, 264]);
    assert.notEqual(streamer.windows[1].ids[1], 264);
    assert.ok(streamer.windows.flatMap((w) => w.ids).every((id) => id < 265), 'the streamer gets no timestamp ids');
    // max_initial_timestamp_index 50: the first timestamp is at most 1 s in.
    assert.ok(chunks[0].timestamp[0] >= 0 && chunks[0].timestamp[0] <= 1, JSON.stringify(chunks));
    await assert.rejects(asr(audio(2), { return_timestamps: true }), (e) => e instanceof WaxError && e.code === 'WAX_BAD_CONFIG' && /no_timestamps_token_id/.test(e.message));
  });

  it('cuts 70 s into windows, one generation each, and gives well-formed segment chunks', async () => {
    const streamer = recording();
    const windows = [];
    const { text, chunks } = await timed(audio(70), { max_new_tokens: 8, chunk_length_s: 20, return_timestamps: true, streamer,
      chunk_callback: (chunk) => windows.push(chunk) });
    const step = 20 * RATE - 2 * Math.round((20 / 6) * RATE); // stride_length_s defaults to chunk_length_s / 6
    assert.deepEqual(windows.map((w) => w.timestamp), [0, 1, 2, 3, 4].map((k) => [k * step / RATE, Math.min(k * step + 20 * RATE, 70 * RATE) / RATE]));
    assert.deepEqual(windows.map((w) => w.is_last), [false, false, false, false, true]);
    assert.equal(streamer.windows.length, 5);
    assert.ok(streamer.windows.every((w) => w.ids[0] === 3 && w.done));
    assert.equal(typeof text, 'string');
    assert.ok(Array.isArray(chunks));
    for (const chunk of chunks) {
      assert.equal(typeof chunk.text, 'string');
      const [start, end] = chunk.timestamp;
      // Random weights may place timestamps past the audio's end, but not before a window's start or out of order.
      assert.ok(start === null || (Number.isFinite(start) && start >= 0), `start ${start}`);
      assert.ok(end === null || (Number.isFinite(end) && end >= (start ?? 0)), `end ${end}`);
    }
    assert.equal(chunks.map((c) => c.text).join(''), text);
  });

  it("streams each window's text through a TextStreamer as the window's own text, timestamps left out", async () => {
    const streamed = [];
    const windows = [];
    const streamer = new TextStreamer(timed.tokenizer, { skip_prompt: true, callback_function: (text) => streamed.push(text) });
    await timed(audio(25), { max_new_tokens: 8, chunk_length_s: 10, return_timestamps: true, streamer,
      chunk_callback: ({ text }) => windows.push(text) });
    assert.equal(windows.length, 4);
    assert.equal(streamed.join(''), windows.join(''));
    assert.ok(!/<\|\d+\.\d+\|>/.test(streamed.join('')), 'no timestamps in the streamed text');
  });

  it('stops within a decoder step when the signal aborts, and answers after', async () => {
    const controller = new AbortController();
    let steps = 0;
    const streamer = { put: () => { if (++steps === 3) controller.abort(); }, end() {} };
    await assert.rejects(asr(audio(60), { chunk_length_s: 30, max_new_tokens: 50, signal: controller.signal, streamer }), { name: 'AbortError' });
    assert.ok(steps <= 4, `${steps} steps streamed`);
    assert.equal(typeof (await asr(audio(1), { max_new_tokens: 2 })).text, 'string');
  });

  it('rejects empty audio, NaN samples and an unknown language with WaxErrors, and answers after', async () => {
    const badInput = (pattern) => (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' && pattern.test(e.message);
    await assert.rejects(asr(new Float32Array(0)), badInput(/empty/));
    const noisy = audio(1);
    noisy[5] = NaN;
    await assert.rejects(asr(noisy), badInput(/sample 5 of the audio is NaN/));
    await assert.rejects(asr(audio(1), { language: 'xx' }), badInput(/unknown language "xx".*'french' or 'fr'/));
    assert.equal(typeof (await asr(audio(1), { max_new_tokens: 2 })).text, 'string');
  });

  it('gives the same transcript in the wax worker (from picked files: Blobs cross), with its streamer and chunk_callback on this side', async () => {
    const picked = {};
    for (const file of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      picked[file] = await readFile(join(timedFolder, file), 'utf8');
    }
    picked['model.safetensors'] = new Blob([await readFile(join(timedFolder, 'model.safetensors'))]);
    const inWorker = await pipeline('automatic-speech-recognition', picked, { worker: true });
    try {
      const options = { max_new_tokens: 5, chunk_length_s: 10, return_timestamps: true };
      const here = await timed(audio(25), options);
      const pieces = [];
      const windows = [];
      const there = await inWorker(audio(25), { ...options, streamer: { put: (rows) => pieces.push(rows[0].length), end() {} },
        chunk_callback: (chunk) => windows.push(chunk.is_last) });
      assert.deepEqual(there, here);
      assert.ok(pieces.length >= 3);
      assert.deepEqual(windows, [false, false, false, true]);
    } finally {
      await inWorker.dispose();
    }
  });

  it('reads a 2-hour WAV file and keeps the heap flat over its 360 windows', async () => {
    const hours = 2, file = join(folder, 'two-hours.wav');
    await writeFile(file, repeatedWav(audio(60), hours * 3600 / 60));
    const samples = await read_audio(file, RATE);
    assert.equal(samples.length, hours * 3600 * RATE);
    const heap = [];
    await asr(samples, { chunk_length_s: 30, max_new_tokens: 1,
      chunk_callback: () => heap.push(asr.model.runtime.heapU8.byteLength) });
    assert.equal(heap.length, 360); // windows at 0, 20, …, 7180 s
    console.log(`2-hour file: wasm heap ${heap[0] / 2 ** 20} MiB after window 1, ${heap.at(-1) / 2 ** 20} MiB after window 360`);
    assert.equal(heap.at(-1), heap[1], `heap after window 2: ${heap[1]}, after window 360: ${heap.at(-1)}`);
  });
});
