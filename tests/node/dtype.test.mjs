// dtype on load from JavaScript: quantized and half-precision weights, their memory, and how
// closely the bundled model's greedy choices follow fp32.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

import { AutoModelForCausalLM, WaxError, preflight } from '../../js/src/index.js';

const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const PARAMETERS = 5401856;

it('memory() reports the bytes each dtype keeps, and bad dtypes are refused', async () => {
  const perWeight = {};
  for (const dtype of ['fp32', 'fp16', 'q8', 'q4']) {
    const model = await AutoModelForCausalLM.from_pretrained(KJV, { dtype });
    const memory = model.memory();
    assert.equal(memory.kv_cache_bytes, 0);
    assert.ok(memory.heap_bytes >= memory.weights_bytes);
    perWeight[dtype] = memory.weights_bytes / PARAMETERS;
    model.dispose();
  }
  assert.ok(Math.abs(perWeight.fp32 - 4) < 0.01, `fp32 ${perWeight.fp32}`);
  assert.ok(Math.abs(perWeight.fp16 - 2) < 0.01, `fp16 ${perWeight.fp16}`);
  assert.ok(Math.abs(perWeight.q8 - 1.0625) < 0.01, `q8 ${perWeight.q8}`);
  assert.ok(Math.abs(perWeight.q4 - 0.5625) < 0.01, `q4 ${perWeight.q4}`);
  await assert.rejects(AutoModelForCausalLM.from_pretrained(KJV, { dtype: 'q3' }),
    (e) => e instanceof WaxError && /dtype 'q3' is not supported/.test(e.message));
});

it('q8 picks the fp32 greedy token almost everywhere on the bundled model', async () => {
  const prompt = [[1, 361, 262, 1023, 1188]]; // the ids matter less than being the same for both
  const run = async (dtype) => {
    const model = await AutoModelForCausalLM.from_pretrained(KJV, { dtype });
    try {
      // Teacher-forced on one sequence: the argmax at every position of one forward pass.
      const reference = (await model.generate({ input_ids: prompt, max_new_tokens: 60, do_sample: false, eos_token_id: [] })).tolist();
      return { model, reference };
    } catch (error) {
      model.dispose();
      throw error;
    }
  };
  const { model: full, reference } = await run('fp32');
  const ids = reference[0].map(Number);
  const argmax = async (model) => {
    const { logits } = await model.forward({ input_ids: [ids] });
    const [, seq, vocab] = logits.dims;
    return Array.from({ length: seq }, (_, t) => {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits.data[t * vocab + v] > logits.data[t * vocab + best]) best = v;
      return best;
    });
  };
  const expected = await argmax(full);
  full.dispose();
  const q8 = await AutoModelForCausalLM.from_pretrained(KJV, { dtype: 'q8' });
  const got = await argmax(q8);
  q8.dispose();
  const same = got.filter((id, i) => id === expected[i]).length / got.length;
  assert.ok(same >= 0.95, `q8 agrees with fp32 on ${(100 * same).toFixed(1)} % of positions`);
});

it('preflight estimates the weights each dtype keeps, by the model family\'s rule in the module', async () => {
  for (const dtype of ['fp32', 'fp16', 'q8', 'q4']) {
    const report = await preflight(KJV, { dtype });
    const model = await AutoModelForCausalLM.from_pretrained(KJV, { dtype });
    const kept = model.memory().weights_bytes;
    model.dispose();
    assert.ok(Math.abs(report.weight_bytes - kept) < 0.01 * kept, `${dtype}: estimated ${report.weight_bytes}, kept ${kept}`);
  }
});
