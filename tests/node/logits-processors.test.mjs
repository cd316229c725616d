// suppress_tokens, begin_suppress_tokens and forced_decoder_ids reach the C++ processor list, from
// the call's options and from generation_config.json, with transformers' meaning of each.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AutoModelForCausalLM } from '../../js/src/index.js';
import { fixtureDir } from './fixtures.mjs';

const input_ids = [[1, 404, 442]];
let model, greedy;

before(async () => {
  model = await AutoModelForCausalLM.from_pretrained(fixtureDir('llama_gqa_tied'));
  greedy = (await model.generate({ input_ids, max_new_tokens: 3 })).tolist()[0].map(Number);
});
after(() => model.dispose());

const continuation = async (options) => (await model.generate({ input_ids, max_new_tokens: 3, ...options })).tolist()[0].map(Number).slice(3);

describe('logits processors from options', () => {
  it('suppress_tokens: a suppressed id is never chosen', async () => {
    const ids = await continuation({ suppress_tokens: greedy.slice(3) });
    assert.ok(ids.every((id) => !greedy.slice(3).includes(id)), `${ids}`);
  });

  it('begin_suppress_tokens: only the first new token avoids them', async () => {
    const [first] = await continuation({ begin_suppress_tokens: [greedy[3]] });
    assert.notEqual(first, greedy[3]);
  });

  it('forced_decoder_ids: when a row holds `index` ids, the next one is forced', async () => {
    assert.deepEqual((await continuation({ forced_decoder_ids: [[3, 7], [4, 9]] })).slice(0, 2), [7, 9]);
    assert.deepEqual(await continuation({ forced_decoder_ids: [[3, null]] }), greedy.slice(3));
  });

  it('come from generation_config.json too, and a bad one is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wax-suppress-'));
    const fixture = fixtureDir('llama_gqa_tied');
    for (const file of ['config.json', 'model.safetensors']) await copyFile(join(fixture, file), join(dir, file));
    await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ suppress_tokens: [greedy[3]] }));
    const suppressing = await AutoModelForCausalLM.from_pretrained(dir);
    try {
      assert.deepEqual(suppressing.generation_config, { suppress_tokens: [greedy[3]] });
      const first = (await suppressing.generate({ input_ids, max_new_tokens: 1 })).tolist()[0].map(Number)[3];
      assert.notEqual(first, greedy[3]);
    } finally {
      suppressing.dispose();
      await rm(dir, { recursive: true });
    }
    await assert.rejects(continuation({ forced_decoder_ids: [[1]] }), (e) => e.code === 'WAX_BAD_INPUT' && /forced_decoder_ids/.test(e.message));
    await assert.rejects(continuation({ suppress_tokens: [-1] }), (e) => e.code === 'WAX_BAD_INPUT' && /suppress_tokens/.test(e.message));
  });
});
