// The JS model and pipeline classes (issue 12, point 6): every model is a PreTrainedModel that
// the Auto classes pick through one registry; a worker proxy has the methods its class declares,
// no more; results cross the worker as moved buffers; the sentence-transformers files are read
// by the one JSON reader, where only a 404 means absent.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, CausalLM, EncoderModel, PreTrainedModel, Tensor, pipeline } from '../../js/src/index.js';
import { encode, transferablesOf } from '../../js/src/worker/protocol.js';
import { useTestHub } from '../helpers/test-hub.mjs';
import { fixtureDir } from './fixtures.mjs';

const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const BERT = fixtureDir('bert_tiny_st');

describe('PreTrainedModel and the registry', () => {
  it('the Auto classes give PreTrainedModels of the class config.json names; a class loads itself', async () => {
    const llama = await AutoModelForCausalLM.from_pretrained(KJV);
    const bert = await AutoModel.from_pretrained(BERT);
    const direct = await CausalLM.from_pretrained(KJV);
    assert.ok(llama instanceof CausalLM && llama instanceof PreTrainedModel);
    assert.ok(bert instanceof EncoderModel && bert instanceof PreTrainedModel);
    assert.deepEqual((await direct.generate({ input_ids: [[1, 2]], max_new_tokens: 3, do_sample: false })).tolist(),
      (await llama.generate({ input_ids: [[1, 2]], max_new_tokens: 3, do_sample: false })).tolist());
    assert.ok(bert.memory().heap_bytes > 0); // the encoder reports what C++ can tell it
    [llama, bert, direct].forEach((model) => model.dispose());
    assert.throws(() => bert.memory(), { code: 'WAX_DISPOSED' });
  });

  it("a model the Auto class does not run is refused by C++, naming the model_type (AutoModel on a Llama)", async () => {
    await assert.rejects(AutoModel.from_pretrained(KJV), (e) => e.code === 'WAX_UNSUPPORTED' && /model_type 'llama'/.test(e.message));
  });

  it('PreTrainedModel.from_pretrained gives the class registered for the model_type, here or in the worker', async () => {
    const bert = await PreTrainedModel.from_pretrained(BERT);
    assert.ok(bert instanceof EncoderModel);
    bert.dispose();
    const llama = await PreTrainedModel.from_pretrained(KJV, { worker: true });
    assert.equal(typeof llama.generate, 'function');
    assert.equal(llama.embed, undefined);
    await llama.dispose();
    const folder = await mkdtemp(join(tmpdir(), 'wax-gpt2-'));
    try {
      await writeFile(join(folder, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
      await assert.rejects(PreTrainedModel.from_pretrained(folder),
        (e) => e.code === 'WAX_UNSUPPORTED' && /model_type "gpt2" is not one wax runs \(it runs llama, qwen2, mistral, bert, whisper\)/.test(e.message));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('the worker protocol', () => {
  it('a proxy has the methods its class declares (static workerMethods), and no others', async () => {
    const generator = await pipeline('text-generation', KJV, { worker: true });
    assert.deepEqual(['_call', 'forward', 'memory', 'generate'].map((m) => typeof generator.model[m]), Array(4).fill('function'));
    assert.equal(generator.model.embed, undefined);
    assert.equal(typeof generator.stream, 'function'); // a page method, run here over the worker's _call
    assert.equal(typeof generator.tokenizer.apply_chat_template, 'function');
    assert.equal(generator.model.generation_config.constructor, Object);
    await generator.dispose();
    const extractor = await pipeline('feature-extraction', BERT, { worker: true });
    assert.equal(typeof extractor.model.embed, 'function');
    assert.equal(extractor.model.generate, undefined);
    assert.deepEqual(extractor.defaults, { pooling: 'mean', normalize: true });
    await extractor.dispose();
  });

  it('objects share the wax worker: disposing one leaves the others usable, and what a pipeline held goes with it', async () => {
    const [generator, encoder] = await Promise.all([pipeline('text-generation', KJV, { worker: true }),
      AutoModel.from_pretrained(BERT, { worker: true })]);
    const { model } = generator;
    await generator.dispose();
    await assert.rejects(generator('And'), { code: 'WAX_DISPOSED' });
    await assert.rejects(model.forward({ input_ids: [[1, 2]] }), { code: 'WAX_DISPOSED' }); // freed in the worker with its pipeline
    assert.deepEqual((await encoder.forward({ input_ids: [[101, 102]] })).last_hidden_state.dims, [1, 2, 64]);
    const again = await AutoModelForCausalLM.from_pretrained(KJV, { worker: true }); // in the same, still running worker
    assert.deepEqual((await again.generate({ input_ids: [[1, 2]], max_new_tokens: 2, do_sample: false })).dims, [1, 4]);
    await encoder.dispose();
    await again.dispose(); // the last: the worker ends
    await assert.rejects(again.generate({ input_ids: [[1, 2]] }), { code: 'WAX_DISPOSED' });
  });

  it("a result's tensors move in the transfer list, each buffer once; shared memory never does", () => {
    const data = new Float32Array(8);
    const result = encode({ a: new Tensor('float32', data.subarray(0, 4), [4]), b: [new Tensor('float32', data.subarray(4), [4])],
      ids: [1, 2], shared: typeof SharedArrayBuffer === 'function' ? new Tensor('float32', new Float32Array(new SharedArrayBuffer(16)), [4]) : null },
    { callback: () => 0, signal: () => 0 });
    assert.deepEqual(transferablesOf(result), [data.buffer]);
  });
});

describe("pipeline('feature-extraction') reads modules.json through the one JSON reader", () => {
  const testHub = useTestHub('models');
  let hub;
  before(async () => {
    hub = await testHub.start();
    const files = {};
    for (const entry of await readdir(BERT, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && !entry.name.endsWith('.npy')) {
        const path = join(entry.parentPath ?? entry.path, entry.name);
        files[path.slice(BERT.length + 1)] = new Uint8Array(await readFile(path));
      }
    }
    await hub.addRepo('wax-test/bert', files);
  });

  it('a 503 for modules.json fails the load instead of silently dropping the pooling', async () => {
    hub.options.intercept = ({ file }) => (file === 'modules.json' ? { status: 503, body: 'busy' } : null);
    await assert.rejects(pipeline('feature-extraction', 'wax-test/bert'), (e) => /modules\.json/.test(e.message) && /503/.test(e.message));
    hub.options.intercept = null;
    const extractor = await pipeline('feature-extraction', 'wax-test/bert');
    assert.deepEqual(extractor.defaults, { pooling: 'mean', normalize: true });
    extractor.dispose();
  });

  it('a modules.json that is not JSON names the file; one that is absent (404) means no pooling defaults', async () => {
    hub.options.intercept = ({ file }) => (file === 'modules.json' ? { status: 200, body: '[{"type": ' } : null);
    await assert.rejects(pipeline('feature-extraction', 'wax-test/bert'),
      (e) => e.code === 'WAX_BAD_CONFIG' && /modules\.json: not valid JSON/.test(e.message));
    hub.options.intercept = ({ file }) => (file === 'modules.json' ? { status: 404, body: 'Entry not found' } : null);
    const extractor = await pipeline('feature-extraction', 'wax-test/bert');
    assert.deepEqual(extractor.defaults, { pooling: 'none', normalize: false });
    extractor.dispose();
  });
});
