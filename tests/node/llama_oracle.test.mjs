// The five oracle Llama fixtures through the public JS API on the .wasm: logits, greedy ids with
// the KV cache, and the left-padded batch, against upstream transformers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AutoModelForCausalLM } from '../../js/src/index.js';
import { withinTolerance } from '../helpers/compare.mjs';
import { LLAMA_FIXTURES, fixtureDir, npy, rows } from './fixtures.mjs';

for (const fixture of LLAMA_FIXTURES) {
  describe(fixture, () => {
    it('forward logits, greedy ids and the padded batch match upstream', async () => {
      const model = await AutoModelForCausalLM.from_pretrained(fixtureDir(fixture));
      try {
        const input = rows(await npy(fixture, 'input_ids.npy'));
        const { logits } = await model.forward({ input_ids: input });
        const reference = await npy(fixture, 'logits.npy');
        assert.deepEqual(logits.dims, reference.dims);
        const single = withinTolerance(logits.data, reference.data);
        assert.ok(single.ok, `logits: max abs diff ${single.maxAbsDiff} over tolerance ${single.tolerance}`);

        const greedy = rows(await npy(fixture, 'greedy_ids.npy'));
        const generated = await model.generate({ input_ids: input, max_new_tokens: greedy[0].length - input[0].length, eos_token_id: [] });
        assert.deepEqual(generated.tolist().map((row) => row.map(Number)), greedy);

        const batchIds = rows(await npy(fixture, 'batch_input_ids.npy'));
        const batchMask = rows(await npy(fixture, 'batch_attention_mask.npy'));
        const batch = await model.forward({ input_ids: batchIds, attention_mask: batchMask });
        const batchReference = await npy(fixture, 'batch_logits.npy');
        const vocab = batchReference.dims[2];
        const mask = batchMask.flat();
        const padded = withinTolerance(batch.logits.data, batchReference.data, (i) => mask[Math.floor(i / vocab)] === 1);
        assert.ok(padded.ok, `batch logits: max abs diff ${padded.maxAbsDiff} over tolerance ${padded.tolerance}`);

        const batchGreedy = rows(await npy(fixture, 'batch_greedy_ids.npy'));
        const batchGenerated = await model.generate({
          input_ids: batchIds, attention_mask: batchMask, max_new_tokens: batchGreedy[0].length - batchIds[0].length, eos_token_id: [],
        });
        assert.deepEqual(batchGenerated.tolist().map((row) => row.map(Number)), batchGreedy);
      } finally {
        model.dispose();
      }
    });
  });
}
