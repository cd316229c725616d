// Bad input gives a WaxError naming the file, the field or tensor, the expected and the actual
// value, and the same module instance loads and runs a good model afterwards. The malformed
// files are made here from a good fixture.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AutoModelForCausalLM, WaxError } from '../../js/src/index.js';
import { fixtureDir, npy, rows } from './fixtures.mjs';

const GOOD = 'llama_gqa_tied';
let scratch;
let goodConfig;
let goodFile;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'wax-errors-'));
  goodConfig = JSON.parse(await readFile(join(fixtureDir(GOOD), 'config.json'), 'utf8'));
  goodFile = new Uint8Array(await readFile(join(fixtureDir(GOOD), 'model.safetensors')));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** The good file split into its parsed header and data section. */
function splitSafetensors(bytes) {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.subarray(8 + length) };
}

function joinSafetensors(headerText, data) {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** The good file with its header changed by `edit`. */
function withHeader(edit) {
  const { header, data } = splitSafetensors(goodFile);
  edit(header);
  return joinSafetensors(JSON.stringify(header), data);
}

let folders = 0;
async function modelFolder({ config = JSON.stringify(goodConfig), safetensors = goodFile } = {}) {
  const folder = join(scratch, `model-${folders++}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(folder));
  await writeFile(join(folder, 'config.json'), config);
  await writeFile(join(folder, 'model.safetensors'), safetensors);
  return folder;
}

async function expectLoadError(files, code, ...fragments) {
  const folder = await modelFolder(files);
  const error = await AutoModelForCausalLM.from_pretrained(folder).then(
    (model) => { model.dispose(); return null; },
    (e) => e,
  );
  assert.ok(error instanceof WaxError, `expected a WaxError, got ${error}`);
  assert.equal(error.code, code, error.message);
  for (const fragment of fragments) assert.ok(error.message.includes(fragment), `'${error.message}' should mention '${fragment}'`);
  return error;
}

async function assertGoodModelRuns() {
  const model = await AutoModelForCausalLM.from_pretrained(fixtureDir(GOOD));
  try {
    const input = rows(await npy(GOOD, 'input_ids.npy'));
    const greedy = rows(await npy(GOOD, 'greedy_ids.npy'));
    const out = await model.generate({ input_ids: input, max_new_tokens: greedy[0].length - input[0].length, eos_token_id: [] });
    assert.deepEqual(out.tolist().map((row) => row.map(Number)), greedy);
  } finally {
    model.dispose();
  }
}

describe('malformed safetensors', () => {
  const headerLength = () => Number(new DataView(goodFile.buffer).getBigUint64(0, true));

  it('truncated inside the length prefix', () =>
    expectLoadError({ safetensors: goodFile.subarray(0, 5) }, 'WAX_BAD_SAFETENSORS', 'model.safetensors', '5 bytes'));
  it('truncated inside the header', () =>
    expectLoadError({ safetensors: goodFile.subarray(0, 8 + headerLength() / 2) }, 'WAX_BAD_SAFETENSORS', 'header length', 'past the end'));
  it('truncated right after the header', () =>
    expectLoadError({ safetensors: goodFile.subarray(0, 8 + headerLength()) }, 'WAX_BAD_SAFETENSORS', 'past the data section'));
  it('truncated inside the data', () =>
    expectLoadError({ safetensors: goodFile.subarray(0, goodFile.length - 100) }, 'WAX_BAD_SAFETENSORS', 'past the data section', 'truncated'));
  it('huge header length', () => {
    const bytes = goodFile.slice();
    new DataView(bytes.buffer).setBigUint64(0, 1n << 62n, true);
    return expectLoadError({ safetensors: bytes }, 'WAX_BAD_SAFETENSORS', 'exceeds');
  });
  it('header that is not JSON', () => {
    const bytes = goodFile.slice();
    bytes[8] = 0x5b; // '{' becomes '['
    return expectLoadError({ safetensors: bytes }, 'WAX_BAD_SAFETENSORS', 'not valid JSON');
  });
  it('unknown dtype', () =>
    expectLoadError({ safetensors: withHeader((h) => { h['model.norm.weight'].dtype = 'F33'; }) },
      'WAX_BAD_SAFETENSORS', "'model.norm.weight'", 'unknown dtype "F33"'));
  it('dtype whose size does not fit the span', () =>
    expectLoadError({ safetensors: withHeader((h) => { h['model.norm.weight'].dtype = 'F16'; }) },
      'WAX_BAD_SAFETENSORS', "'model.norm.weight'", 'needs 192 bytes', 'span 384'));
  it('overlapping spans', () =>
    expectLoadError({
      safetensors: withHeader((h) => { h['model.norm.weight'].data_offsets = [...h['model.layers.0.input_layernorm.weight'].data_offsets]; }),
    }, 'WAX_BAD_SAFETENSORS', 'overlap', "'model.norm.weight'"));
  it('flipped header bytes give WaxErrors or valid files, never a crash', async () => {
    const length = headerLength();
    for (let at = 8; at < 8 + length; at += 11) {
      const bytes = goodFile.slice();
      bytes[at] ^= 0x5a;
      const folder = await modelFolder({ safetensors: bytes });
      await AutoModelForCausalLM.from_pretrained(folder).then(
        (model) => model.dispose(),
        (error) => assert.ok(error instanceof WaxError, `byte ${at}: ${error}`),
      );
    }
  });
});

describe('weights that do not fit the config', () => {
  it('missing tensor', () =>
    expectLoadError({ safetensors: withHeader((h) => { delete h['model.norm.weight']; }) },
      'WAX_BAD_WEIGHTS', "missing tensor 'model.norm.weight'", '(96,)'));
  it('wrong shape', () =>
    expectLoadError({ safetensors: withHeader((h) => { h['model.layers.1.mlp.down_proj.weight'].shape.reverse(); }) },
      'WAX_BAD_WEIGHTS', "'model.layers.1.mlp.down_proj.weight'", 'expected shape (96, 256), got (256, 96)'));
});

describe('bad config.json', () => {
  it('not JSON', () => expectLoadError({ config: '{"model_type": ' }, 'WAX_BAD_CONFIG', 'config.json', 'not valid JSON'));
  it('unsupported model_type', () =>
    expectLoadError({ config: JSON.stringify({ ...goodConfig, model_type: 'gpt2' }) }, 'WAX_UNSUPPORTED', "model_type 'gpt2'", 'llama'));
  it('missing field', () => {
    const { hidden_size, ...config } = goodConfig;
    return expectLoadError({ config: JSON.stringify(config) }, 'WAX_BAD_CONFIG', "'hidden_size'", 'positive integer');
  });
  it('field of the wrong type', () =>
    expectLoadError({ config: JSON.stringify({ ...goodConfig, num_attention_heads: 'six' }) },
      'WAX_BAD_CONFIG', "'num_attention_heads'", 'got "six"'));
  it('unsupported rope_scaling', () =>
    expectLoadError({ config: JSON.stringify({ ...goodConfig, rope_scaling: { rope_type: 'yarn', factor: 4 } }) },
      'WAX_UNSUPPORTED', "rope_scaling type 'yarn'"));
});

describe('limits and missing files', () => {
  it('a model larger than wasm32 can hold is refused before reading it', async () => {
    const folder = await modelFolder();
    await truncate(join(folder, 'model.safetensors'), 5 * 1024 ** 3); // sparse: no disk used
    const started = performance.now();
    await assert.rejects(AutoModelForCausalLM.from_pretrained(folder), (e) =>
      e instanceof WaxError && e.code === 'WAX_TOO_LARGE' && e.message.includes('model.safetensors') && e.message.includes('5.00 GiB'));
    assert.ok(performance.now() - started < 2000, 'refused without reading the file');
  });
  it('missing config.json names the path', async () =>
    assert.rejects(AutoModelForCausalLM.from_pretrained(join(scratch, 'nowhere')), (e) =>
      e instanceof WaxError && e.code === 'WAX_NOT_FOUND' && e.message.includes(join(scratch, 'nowhere', 'config.json'))));
  it('out-of-vocabulary ids and ragged batches', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(fixtureDir(GOOD));
    try {
      await assert.rejects(model.forward({ input_ids: [[1, 512]] }), (e) => e.code === 'WAX_BAD_INPUT' && e.message.includes('512'));
      await assert.rejects(model.forward({ input_ids: [[1, 2], [3]] }), /row 1 has 1 ids/);
    } finally {
      model.dispose();
    }
    await assert.rejects(model.forward({ input_ids: [[1]] }), (e) => e.code === 'WAX_DISPOSED');
  });
});

it('a WaxError made without a code has the code WAX_ERROR; given codes are kept', () => {
  assert.equal(new WaxError('plain').code, 'WAX_ERROR');
  assert.equal(new WaxError('plain', {}).code, 'WAX_ERROR');
  const cause = new Error('under');
  const error = new WaxError('bad', { code: 'WAX_BAD_INPUT', cause });
  assert.equal(error.code, 'WAX_BAD_INPUT');
  assert.equal(error.cause, cause);
});

it('the same instance loads and runs a good model after every error above', assertGoodModelRuns);
