// WhisperForConditionalGeneration (AutoModelForSpeechSeq2Seq) through the public JS API on the
// .wasm, against the oracle whisper_tiny_random (upstream transformers): the encoder output, the
// decoder logits and 15 greedy ids with the KV cache, with one thread and with two; then inputs
// that do not fit, an abort, and a q8 load.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

import { AutoModelForSpeechSeq2Seq, PreTrainedModel, Tensor, WhisperForConditionalGeneration } from '../../js/src/index.js';
import { withinTolerance } from '../helpers/compare.mjs';
import { fixtureDir, npy, rows } from './fixtures.mjs';

const FIXTURE = 'whisper_tiny_random';

/** The oracle checks, run in a process of their own with WAX_NUM_THREADS `threads`. */
async function oracleChecks(threads) {
  const url = (path) => JSON.stringify(new URL(path, import.meta.url).href);
  const script = `
    const { AutoModelForSpeechSeq2Seq, Tensor } = await import(${url('../../js/src/index.js')});
    const { runtimeInfo } = await import(${url('../../js/src/runtime.js')});
    const { withinTolerance } = await import(${url('../helpers/compare.mjs')});
    const { fixtureDir, npy, rows } = await import(${url('./fixtures.mjs')});
    const fixture = ${JSON.stringify(FIXTURE)};
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(fixtureDir(fixture));
    const features = await npy(fixture, 'input_features.npy');
    const input_features = new Tensor('float32', features.data, features.dims);
    const decoder_input_ids = rows(await npy(fixture, 'decoder_input_ids.npy'));
    const compare = (tensor, reference) => ({ dims: tensor.dims, ...withinTolerance(tensor.data, reference.data) });
    const { last_hidden_state } = await model.encode({ input_features });
    const { logits } = await model({ input_features, decoder_input_ids });
    const fromStates = await model({ encoder_hidden_states: last_hidden_state, decoder_input_ids });
    const greedy = rows(await npy(fixture, 'greedy_ids.npy'));
    const ids = await model.generate({ input_features, max_new_tokens: greedy[0].length - 1, eos_token_id: [] });
    model.dispose();
    console.log(JSON.stringify({
      info: await runtimeInfo(),
      encoder: compare(last_hidden_state, await npy(fixture, 'encoder_last_hidden_state.npy')),
      logits: compare(logits, await npy(fixture, 'logits.npy')),
      logitsFromStates: compare(fromStates.logits, await npy(fixture, 'logits.npy')),
      ids: ids.tolist().map((row) => row.map(Number)), greedy,
    }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 60_000,
  });
  return JSON.parse(stdout);
}

describe('whisper_tiny_random', () => {
  for (const threads of [1, 2]) {
    it(`encoder output, logits and greedy ids match upstream (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const result = await oracleChecks(threads);
      assert.equal(result.info.threads, threads);
      for (const name of ['encoder', 'logits', 'logitsFromStates']) {
        assert.ok(result[name].ok, `${name}: max abs diff ${result[name].maxAbsDiff} over tolerance ${result[name].tolerance}`);
      }
      assert.deepEqual(result.encoder.dims, [1, 1500, 64]);
      assert.deepEqual(result.logits.dims, [1, 9, 512]);
      assert.deepEqual(result.ids, result.greedy); // the start token (3), then 15 argmax steps
    });
  }

  it('loads as its own class through every name, and refuses inputs that do not fit, naming them', async () => {
    const model = await PreTrainedModel.from_pretrained(fixtureDir(FIXTURE));
    try {
      assert.ok(model instanceof WhisperForConditionalGeneration);
      assert.equal(model.generation_config.decoder_start_token_id, 3);
      const features = await npy(FIXTURE, 'input_features.npy');
      const input_features = new Tensor('float32', features.data, features.dims);
      const refused = async (call, code, ...parts) => {
        const error = await call().then(() => null, (e) => e);
        assert.ok(error, 'expected a rejection');
        assert.equal(error.code, code, error.message);
        for (const part of parts) assert.match(error.message, new RegExp(part.replace(/[()[\]]/g, '\\$&')));
      };
      const short = new Tensor('float32', new Float32Array(80 * 100), [1, 80, 100]);
      await refused(() => model.encode({ input_features: short }), 'WAX_BAD_INPUT', 'input_features', '(1, 80, 100)', '3000');
      const wrongBins = new Tensor('float32', new Float32Array(40 * 3000), [1, 40, 3000]);
      await refused(() => model({ input_features: wrongBins, decoder_input_ids: [[3]] }), 'WAX_BAD_INPUT', 'input_features', '80');
      await refused(() => model.encode({ input_features: [[1, 2]] }), 'WAX_BAD_INPUT', 'input_features', 'float32 Tensor');
      await refused(() => model({ input_features, decoder_input_ids: [[3, 512]] }), 'WAX_BAD_INPUT', 'decoder_input_ids', '512');
      await refused(() => model({ input_features }), 'WAX_BAD_INPUT', 'decoder_input_ids');
      await refused(() => model.generate({ input_features, max_new_tokens: 448 }), 'WAX_BAD_INPUT', 'max_new_tokens', 'max_target_positions');
      // This random model's generation_config.json has no timestamp tokens to apply the rules to.
      await refused(() => model.generate({ input_features, return_timestamps: true }), 'WAX_BAD_CONFIG', 'no_timestamps_token_id');
      await refused(() => model.generate({ input_features, return_timestamps: 'yes' }), 'WAX_BAD_INPUT', 'return_timestamps');
      // The instance answers after every refusal; while it generates, memory() counts the self- and
      // cross-attention caches (2 layers × keys and values × 1500 positions × 64 floats at least).
      let held = 0;
      const ids = await model.generate({ input_features, max_new_tokens: 2, eos_token_id: [],
        streamer: { put: () => { held = Math.max(held, model.memory().kv_cache_bytes); }, end: () => {} } });
      assert.deepEqual(ids.dims, [1, 3]);
      assert.equal(ids.data[0], 3n);
      assert.ok(held >= 2 * 2 * 1500 * 64 * 4, `kv_cache_bytes ${held} during the generation`);
      assert.equal(model.memory().kv_cache_bytes, 0);
      // max_length, as transformers reads it from a call or generation_config.json, counts the start ids.
      assert.deepEqual((await model.generate({ input_features, max_length: 5, eos_token_id: [] })).dims, [1, 5]);
    } finally {
      model.dispose();
    }
  });

  it('an AbortSignal stops a generation between steps, before its first token, and the model answers after', async () => {
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(fixtureDir(FIXTURE));
    try {
      const features = await npy(FIXTURE, 'input_features.npy');
      const input_features = new Tensor('float32', features.data, features.dims);
      const controller = new AbortController();
      const reason = new Error('stop');
      const streamed = [];
      const pending = model.generate({
        input_features, max_new_tokens: 10, signal: controller.signal,
        streamer: { put: (ids) => streamed.push(ids), end: () => {} },
      });
      controller.abort(reason);
      await assert.rejects(pending, (error) => error === reason);
      assert.deepEqual(streamed, [[[3n]]], 'the start token alone: no new token came');
      const { logits } = await model({ input_features, decoder_input_ids: rows(await npy(FIXTURE, 'decoder_input_ids.npy')) });
      assert.ok(withinTolerance(logits.data, (await npy(FIXTURE, 'logits.npy')).data).ok);
    } finally {
      model.dispose();
    }
  });

  it('runs in the wax worker as in-process: encode, the logits and generate cross it', async () => {
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(fixtureDir(FIXTURE), { worker: true });
    try {
      const features = await npy(FIXTURE, 'input_features.npy');
      const input_features = new Tensor('float32', features.data, features.dims);
      const { last_hidden_state } = await model.encode({ input_features });
      assert.ok(withinTolerance(last_hidden_state.data, (await npy(FIXTURE, 'encoder_last_hidden_state.npy')).data).ok);
      const { logits } = await model({ input_features, decoder_input_ids: rows(await npy(FIXTURE, 'decoder_input_ids.npy')) });
      assert.ok(withinTolerance(logits.data, (await npy(FIXTURE, 'logits.npy')).data).ok);
      const greedy = rows(await npy(FIXTURE, 'greedy_ids.npy'));
      const ids = await model.generate({ input_features, max_new_tokens: greedy[0].length - 1, eos_token_id: [] });
      assert.deepEqual(ids.tolist().map((row) => row.map(Number)), greedy);
    } finally {
      await model.dispose();
    }
  });

  it('dtype q8 quantizes the matrices, keeps embed_positions f32, and still follows upstream', async () => {
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(fixtureDir(FIXTURE), { dtype: 'q8' });
    try {
      const features = await npy(FIXTURE, 'input_features.npy');
      const input_features = new Tensor('float32', features.data, features.dims);
      const { logits } = await model({ input_features, decoder_input_ids: rows(await npy(FIXTURE, 'decoder_input_ids.npy')) });
      const reference = (await npy(FIXTURE, 'logits.npy')).data;
      let scale = 0;
      let worst = 0;
      reference.forEach((value, i) => {
        scale = Math.max(scale, Math.abs(value));
        worst = Math.max(worst, Math.abs(logits.data[i] - value));
      });
      assert.ok(worst <= 0.1 * scale, `q8 logits: max abs diff ${worst} of ${scale}`);
      assert.ok(worst > 0, 'q8 changed the matrices');
    } finally {
      model.dispose();
    }
  });
});
