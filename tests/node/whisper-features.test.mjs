// AutoProcessor and WhisperFeatureExtractor on the wasm build: the oracle's log-mel features
// (transformers' WhisperFeatureExtractor on whisper_tiny_random's waveform) within 1e-4 on one
// thread and on the threaded build, other mel sizes, the tokenizer beside the features, and every
// bad input or file a WaxError after which the processor still works.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { AutoProcessor, WaxError, WhisperFeatureExtractor, read_audio } from '../../js/src/index.js';
import { fixtureDir, npy } from './fixtures.mjs';

const FIXTURE = 'whisper_tiny_random';
const index = new URL('../../js/src/index.js', import.meta.url).href;
const fixtures = new URL('./fixtures.mjs', import.meta.url).href;

let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'wax-whisper-features-')); });
after(() => rm(dir, { recursive: true, force: true }));

const maxDifference = (a, b) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);

/** A folder holding `files` ({ name: text }) and copies of `copies` ([from, name]). */
let folderCount = 0;
async function folder(files, copies = []) {
  const path = join(dir, `model-${folderCount++}`);
  await (await import('node:fs/promises')).mkdir(path);
  for (const [name, text] of Object.entries(files)) await writeFile(join(path, name), text);
  for (const [from, name] of copies) await copyFile(from, join(path, name));
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

/** The oracle comparison in a process of its own with WAX_NUM_THREADS = threads. */
async function oracleDifference(threads) {
  const script = `
    const { AutoProcessor, runtimeInfo } = await import(${JSON.stringify(index)});
    const { fixtureDir, npy } = await import(${JSON.stringify(fixtures)});
    const processor = await AutoProcessor.from_pretrained(fixtureDir(${JSON.stringify(FIXTURE)}));
    const waveform = await npy(${JSON.stringify(FIXTURE)}, 'waveform_16k.npy');
    const expected = await npy(${JSON.stringify(FIXTURE)}, 'input_features.npy');
    const { input_features } = await processor(waveform.data);
    let worst = 0;
    for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(input_features.data[i] - expected.data[i]));
    console.log(JSON.stringify({ info: await runtimeInfo(), dims: input_features.dims, expected: expected.dims, worst }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 60_000,
  });
  return JSON.parse(stdout);
}

describe('the oracle', () => {
  for (const threads of [1, 2]) {
    it(`processor(waveform) gives transformers' input_features within 1e-4 (${threads === 1 ? 'single-threaded' : 'threaded'} build)`, async () => {
      const { info, dims, expected, worst } = await oracleDifference(threads);
      assert.equal(info.threaded, threads > 1);
      assert.deepEqual(dims, expected);
      assert.ok(worst <= 1e-4, `max abs difference ${worst}`);
    });
  }

  it('read_audio of the waveform as a WAV file gives the same features', async () => {
    const waveform = await npy(FIXTURE, 'waveform_16k.npy');
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(36 + waveform.data.byteLength, 4);
    header.write('WAVEfmt ', 8, 'latin1');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(3, 20); // IEEE float
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(64000, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(32, 34);
    header.write('data', 36, 'latin1');
    header.writeUInt32LE(waveform.data.byteLength, 40);
    const path = join(dir, 'waveform.wav');
    await writeFile(path, Buffer.concat([header, Buffer.from(waveform.data.buffer, waveform.data.byteOffset, waveform.data.byteLength)]));
    const processor = await AutoProcessor.from_pretrained(fixtureDir(FIXTURE));
    const { input_features } = await processor(await read_audio(path, processor.feature_extractor.config.sampling_rate));
    assert.ok(maxDifference(input_features.data, (await npy(FIXTURE, 'input_features.npy')).data) <= 1e-4);
  });
});

describe('AutoProcessor', () => {
  it('128 mel bins (large-v3), and a shorter window from chunk_length', async () => {
    const large = await AutoProcessor.from_pretrained(await folder({ 'preprocessor_config.json': JSON.stringify({
      feature_extractor_type: 'WhisperFeatureExtractor', feature_size: 128, sampling_rate: 16000, hop_length: 160, n_fft: 400,
      chunk_length: 30, n_samples: 480000, nb_max_frames: 3000 }) }));
    assert.ok(large.feature_extractor instanceof WhisperFeatureExtractor);
    const tone = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(2 * Math.PI * 440 * i / 16000));
    const { input_features } = await large(tone);
    assert.deepEqual(input_features.dims, [1, 128, 3000]);
    assert.equal(input_features.type, 'float32');
    const values = input_features.data;
    assert.ok(values.every(Number.isFinite));
    const highest = values.reduce((a, b) => Math.max(a, b)), lowest = values.reduce((a, b) => Math.min(a, b));
    assert.ok(Math.abs(highest - lowest - 2) < 1e-5); // the max − 8 floor, over 4

    const short = await AutoProcessor.from_pretrained(await folder({ 'preprocessor_config.json': JSON.stringify({
      feature_extractor_type: 'WhisperFeatureExtractor', feature_size: 80, chunk_length: 10 }) }));
    assert.deepEqual((await short(tone)).input_features.dims, [1, 80, 1000]);
  });

  it('carries the folder\'s tokenizer when it has one', async () => {
    const tokenizers = fixtureDir('tokenizers/whisper_multilingual');
    const path = await folder({}, [[join(fixtureDir(FIXTURE), 'preprocessor_config.json'), 'preprocessor_config.json'],
      [join(tokenizers, 'tokenizer.json'), 'tokenizer.json'], [join(tokenizers, 'tokenizer_config.json'), 'tokenizer_config.json']]);
    const processor = await AutoProcessor.from_pretrained(path);
    assert.equal(processor.tokenizer.token_to_id('<|startoftranscript|>'), 50258);
    assert.equal(processor.decode([50258, 50259, 50359, 50363], { skip_special_tokens: true }), '');
    assert.deepEqual((await processor(new Float32Array(1600))).input_features.dims, [1, 80, 3000]);
    processor.dispose();
    const bare = await AutoProcessor.from_pretrained(fixtureDir(FIXTURE));
    assert.equal(bare.tokenizer, null);
    assert.throws(() => bare.decode([1]), (error) => error.code === 'WAX_NOT_FOUND' && /no tokenizer/.test(error.message));
  });

  it('bad audio is a WaxError naming it, and the processor works after', async () => {
    const processor = await AutoProcessor.from_pretrained(fixtureDir(FIXTURE));
    await rejectsWith(processor(new Float32Array(0)), 'WAX_BAD_INPUT', /empty/);
    const broken = new Float32Array(1000);
    broken[517] = NaN;
    await rejectsWith(processor(broken), 'WAX_BAD_INPUT', /sample 517 is NaN/);
    broken[517] = 0;
    broken[3] = -Infinity;
    await rejectsWith(processor(broken), 'WAX_BAD_INPUT', /sample 3 is infinite/);
    await rejectsWith(processor([0.1, 0.2]), 'WAX_BAD_INPUT', /expected mono audio as a Float32Array/, /read_audio/);
    await rejectsWith(processor('speech.wav'), 'WAX_BAD_INPUT', /Float32Array/);
    const { input_features } = await processor(Float64Array.from({ length: 3200 }, (_, i) => Math.sin(i / 10)));
    assert.deepEqual(input_features.dims, [1, 80, 3000]);
  });

  it('a bad or missing preprocessor_config.json fails at load, naming the file and field', async () => {
    const config = (fields) => ({ 'preprocessor_config.json': JSON.stringify({ feature_extractor_type: 'WhisperFeatureExtractor', ...fields }) });
    await rejectsWith(AutoProcessor.from_pretrained(await folder(config({ feature_size: 'eighty' }))), 'WAX_BAD_CONFIG',
      /preprocessor_config\.json/, /'feature_size' expected/, /"eighty"/);
    await rejectsWith(AutoProcessor.from_pretrained(await folder(config({ n_samples: 1000 }))), 'WAX_BAD_CONFIG', /'n_samples'/);
    await rejectsWith(AutoProcessor.from_pretrained(await folder(config({ hop_length: 0 }))), 'WAX_BAD_CONFIG', /'hop_length'/);
    await rejectsWith(AutoProcessor.from_pretrained(await folder({ 'preprocessor_config.json': '{"feature_size": ' })), 'WAX_BAD_CONFIG',
      /preprocessor_config\.json/, /not valid JSON/);
    await rejectsWith(AutoProcessor.from_pretrained(await folder({ 'preprocessor_config.json': '{"feature_extractor_type": "ViTImageProcessor"}' })),
      'WAX_UNSUPPORTED', /ViTImageProcessor/, /WhisperFeatureExtractor/);
    await rejectsWith(AutoProcessor.from_pretrained(await folder({ 'config.json': '{}' })), 'WAX_NOT_FOUND', /no preprocessor_config\.json/);
  });
});
