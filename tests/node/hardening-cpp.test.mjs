// The C++ side of issue 11's hardening, through the wasm module: impossible sizes (items 1, 4),
// nesting that overflowed the 1 MiB wasm stack (item 2), empty inputs (item 3), non-finite
// weights (item 7), unused tensors (item 8) and where a bad vocab string is (item 12). After every
// error the same module instance keeps working; the size and nesting cases also run threaded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { AutoModel, AutoModelForCausalLM, AutoTokenizer, WaxError } from '../../js/src/index.js';
import { getRuntime } from '../../js/src/runtime.js';
import { fixtureDir, npy, rows } from './fixtures.mjs';

const index = new URL('../../js/src/index.js', import.meta.url).href;
const KJV = fileURLToPath(new URL('../../models/kjv-llama-5m', import.meta.url));
const TIED = fixtureDir('llama_gqa_tied');

let scratch;
before(async () => { scratch = await mkdtemp(join(tmpdir(), 'wax-hardening-cpp-')); });
after(() => rm(scratch, { recursive: true, force: true }));

/** A folder under the scratch directory holding `files` (name → text or bytes). */
async function folderWith(name, files) {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
  return dir;
}

/** Runs `script` (an ES module body that prints JSON) in a fresh Node with WAX_NUM_THREADS=threads. */
async function runScript(script, threads) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WAX_NUM_THREADS: String(threads) }, timeout: 120_000, maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

describe('max_new_tokens past what the model or wasm32 can hold (items 1, 4)', () => {
  // For each model: greedy ids, then each impossible max_new_tokens and a batch whose KV cache
  // could never fit, then the greedy ids again from the same instance.
  const script = (prompt) => `
    const { AutoModelForCausalLM } = await import(${JSON.stringify(index)});
    const results = {};
    for (const dir of ${JSON.stringify([TIED, KJV])}) {
      const model = await AutoModelForCausalLM.from_pretrained(dir);
      const greedy = async () => (await model.generate({ input_ids: [${JSON.stringify(prompt)}], max_new_tokens: 12,
        do_sample: false, eos_token_id: [] })).tolist()[0].map(Number);
      const before = await greedy();
      const errors = [];
      const attempt = async (options) => {
        try { await model.generate({ do_sample: false, ...options }); errors.push(null); }
        catch (e) { errors.push({ name: e.name, code: e.code, message: e.message }); }
      };
      for (const max_new_tokens of [2 ** 26, 800000, 1e9]) await attempt({ input_ids: [${JSON.stringify(prompt)}], max_new_tokens });
      // kjv: 6145 bytes a position and row, so 3600 rows of 1 + 200 positions need 4.45 GB
      if (dir === ${JSON.stringify(KJV)}) await attempt({ input_ids: Array.from({ length: 3600 }, () => [5]), max_new_tokens: 200 });
      results[dir] = { before, errors, after: await greedy() };
      model.dispose();
    }
    console.log(JSON.stringify(results));`;

  for (const threads of [1, 2]) {
    it(`each is a WaxError and the module still generates (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const input = await npy('llama_gqa_tied', 'input_ids.npy');
      const prompt = rows(input)[0];
      const results = await runScript(script(prompt), threads);
      const expected = rows(await npy('llama_gqa_tied', 'greedy_ids.npy'))[0];
      assert.deepEqual(results[TIED].before.slice(0, expected.length), expected.slice(0, results[TIED].before.length));
      for (const dir of [TIED, KJV]) {
        const { before, errors, after } = results[dir];
        assert.deepEqual(after, before, `${dir}: the same ids after the errors`);
        for (const error of errors.slice(0, 3)) {
          assert.equal(error?.name, 'WaxError', JSON.stringify(error));
          assert.equal(error.code, 'WAX_BAD_INPUT', error.message);
          assert.match(error.message, /max_new_tokens/);
        }
        if (dir === KJV) {
          assert.equal(errors[3]?.code, 'WAX_TOO_LARGE', JSON.stringify(errors[3]));
          assert.match(errors[3].message, /max_new_tokens: 200 .*at most 193 fit/);
        }
      }
    });
  }

  it('the KV cache grows with the tokens instead of being sized for max_new_tokens', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(TIED);
    try {
      const samples = [];
      const streamer = { put() { samples.push(model.memory().kv_cache_bytes); }, end() {} };
      await model.generate({ input_ids: [[1, 404, 442, 316]], max_new_tokens: 2000, do_sample: false, eos_token_id: [],
        streamer, stopping_criteria: () => samples.length > 300 });
      const perPosition = 2 * 2 * 2 * 16 * 4 + 1; // layers · kv heads · head_dim · (keys, values) · f32, + visibility
      assert.ok(samples[1] <= perPosition * (4 + 64), `first token: ${samples[1]} bytes`);
      assert.ok(samples.at(-1) >= perPosition * 300 && samples.at(-1) < perPosition * 2 * 310, `last: ${samples.at(-1)} bytes`);
    } finally {
      model.dispose();
    }
  });
});

describe('empty inputs never reach a forward pass (item 3, the C++ invariant)', () => {
  it('the exports refuse batch or seq 0 themselves', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(TIED);
    const runtime = await getRuntime();
    try {
      const request = runtime.copyString(JSON.stringify({ task: 'forward', inputs: [{ name: 'input_ids', dtype: 'int32', dims: [1, 0] }] }), 'request');
      const inputs = runtime.copyIn(new Uint32Array(1), 'input addresses');
      try {
        assert.throws(() => runtime.call('wax_job_new', model.handle, request, inputs),
          (e) => e instanceof WaxError && e.code === 'WAX_BAD_INPUT' && /input_ids: dims \[1, 0\]/.test(e.message));
      } finally {
        runtime.free(request);
        runtime.free(inputs);
      }
      const generate = runtime.copyString(JSON.stringify({ task: 'generate', inputs: [{ name: 'input_ids', dtype: 'int32', dims: [0, 4] }] }), 'request');
      const addresses = runtime.copyIn(new Uint32Array(1), 'input addresses');
      try {
        assert.throws(() => runtime.call('wax_job_new', model.handle, generate, addresses),
          (e) => e.code === 'WAX_BAD_INPUT' && /dims \[0, 4\]/.test(e.message));
      } finally {
        runtime.free(generate);
        runtime.free(addresses);
      }
      const out = await model.generate({ input_ids: [[1, 404]], max_new_tokens: 2, do_sample: false });
      assert.deepEqual(out.dims, [1, 4]);
    } finally {
      model.dispose();
    }
  });
});

describe('nesting that overflowed the wasm stack (item 2)', () => {
  const BPE = '"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}';
  const PARTS = [
    ['normalizer', 'normalizers', '{"type": "Lowercase"}'],
    ['pre_tokenizer', 'pretokenizers', '{"type": "Whitespace"}'],
    ['post_processor', 'processors', '{"type": "ByteLevel"}'],
    ['decoder', 'decoders', '{"type": "Fuse"}'],
  ];
  /** A tokenizer.json (about 190 KB at 5000) whose `part` is a Sequence nested `depth` deep. */
  const nested = ([part, list, leaf], depth) =>
    `{${BPE}, "${part}": ${`{"type": "Sequence", "${list}": [`.repeat(depth)}${leaf}${']}'.repeat(depth)}}`;

  it('each nested tokenizer part is a WaxError, and a good tokenizer works after', async () => {
    const good = await AutoTokenizer.from_pretrained(TIED);
    const expected = good.encode('In the beginning');
    for (const part of PARTS) {
      for (const depth of [3000, 5000]) {
        const dir = await folderWith(`${part[0]}-${depth}`, { 'tokenizer.json': nested(part, depth) });
        await assert.rejects(AutoTokenizer.from_pretrained(dir), (e) => e instanceof WaxError && e.code === 'WAX_BAD_TOKENIZER' &&
          /tokenizer\.json: arrays and objects nested more than 64 levels/.test(e.message), `${part[0]} × ${depth}`);
      }
    }
    assert.deepEqual((await AutoTokenizer.from_pretrained(TIED)).encode('In the beginning'), expected);
    assert.deepEqual(good.encode('In the beginning'), expected);
  });

  it('the threaded build refuses them too and goes on', async () => {
    const dir = await folderWith('threaded-pre-tokenizer', { 'tokenizer.json': nested(PARTS[1], 5000) });
    const result = await runScript(`
      const { AutoTokenizer } = await import(${JSON.stringify(index)});
      let code = null;
      try { await AutoTokenizer.from_pretrained(${JSON.stringify(dir)}); } catch (e) { code = e.code; }
      const ids = (await AutoTokenizer.from_pretrained(${JSON.stringify(TIED)})).encode('In the beginning');
      console.log(JSON.stringify({ code, ids }));`, 2);
    assert.equal(result.code, 'WAX_BAD_TOKENIZER');
    assert.deepEqual(result.ids, (await AutoTokenizer.from_pretrained(TIED)).encode('In the beginning'));
  });

  it('a nested config.json is a WaxError naming the file', async () => {
    const config = JSON.parse(await readFile(join(TIED, 'config.json'), 'utf8'));
    const text = JSON.stringify(config).replace(/}$/, `, "extra": ${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const dir = await folderWith('nested-config', { 'config.json': text });
    await copyFile(join(TIED, 'model.safetensors'), join(dir, 'model.safetensors'));
    await assert.rejects(AutoModelForCausalLM.from_pretrained(dir),
      (e) => e.code === 'WAX_BAD_CONFIG' && /config\.json: arrays and objects nested more than 64 levels/.test(e.message));
  });
});

describe('a lone surrogate in a vocab says where it is (item 12)', () => {
  it('names the file, the line and what is wrong', async () => {
    const dir = await folderWith('lone-surrogate', {
      'tokenizer.json': '{\n  "model": {"type": "BPE", "merges": [],\n    "vocab": {"a": 0, "\\ud800": 1}}}',
    });
    await assert.rejects(AutoTokenizer.from_pretrained(dir), (e) => e.code === 'WAX_BAD_TOKENIZER' &&
      /tokenizer\.json: not valid JSON \(byte \d+\): parse error at line 3, column \d+: .*surrogate U\+D800\.\.U\+DBFF/.test(e.message));
  });
});

describe('non-finite weights (item 7)', () => {
  const CONFIG = { model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 1, head_dim: 16, max_position_embeddings: 64, tie_word_embeddings: true };
  const TENSORS = [
    ['model.embed_tokens.weight', [64, 32]], ['model.norm.weight', [32]],
    ['model.layers.0.input_layernorm.weight', [32]], ['model.layers.0.post_attention_layernorm.weight', [32]],
    ['model.layers.0.self_attn.q_proj.weight', [32, 32]], ['model.layers.0.self_attn.k_proj.weight', [16, 32]],
    ['model.layers.0.self_attn.v_proj.weight', [16, 32]], ['model.layers.0.self_attn.o_proj.weight', [32, 32]],
    ['model.layers.0.mlp.gate_proj.weight', [64, 32]], ['model.layers.0.mlp.up_proj.weight', [64, 32]],
    ['model.layers.0.mlp.down_proj.weight', [32, 64]],
  ];
  // 0.1 in each dtype, and the bits of the poisons
  const SMALL = { F32: 0x3dcccccd, F16: 0x2e66, BF16: 0x3dcd };
  const POISON = { F32: { NaN: 0x7fc00000, '+Inf': 0x7f800000 }, F16: { NaN: 0x7e00, '+Inf': 0x7c00 }, BF16: { NaN: 0x7fc0, '+Inf': 0x7f80 } };
  const BAD = 'model.layers.0.mlp.up_proj.weight';

  /** A checkpoint of TENSORS in `dtype`, every value 0.1 but element 100 of BAD, which holds `bits`. */
  function checkpoint(dtype, bits) {
    const size = dtype === 'F32' ? 4 : 2;
    const header = {};
    let offset = 0;
    for (const [name, shape] of TENSORS) {
      const bytes = shape.reduce((a, b) => a * b, 1) * size;
      header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const text = JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8, ' ');
    const file = new Uint8Array(8 + text.length + offset);
    const view = new DataView(file.buffer);
    view.setBigUint64(0, BigInt(text.length), true);
    file.set(new TextEncoder().encode(text), 8);
    const data = 8 + text.length;
    for (const [name] of TENSORS) {
      const [begin, end] = header[name].data_offsets;
      for (let at = begin; at < end; at += size) {
        const value = name === BAD && at === begin + 100 * size && bits !== undefined ? bits : SMALL[dtype];
        if (size === 4) view.setUint32(data + at, value, true);
        else view.setUint16(data + at, value, true);
      }
    }
    return file;
  }

  it('a clean hand-made checkpoint loads and generates in every dtype', async () => {
    for (const stored of ['F32', 'F16', 'BF16']) {
      const dir = await folderWith(`clean-${stored}`, { 'config.json': JSON.stringify(CONFIG), 'model.safetensors': checkpoint(stored) });
      const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'q8' });
      assert.deepEqual((await model.generate({ input_ids: [[1, 2]], max_new_tokens: 2, do_sample: false })).dims, [1, 4]);
      model.dispose();
    }
  });

  for (const stored of ['F32', 'F16', 'BF16']) {
    for (const poison of ['NaN', '+Inf']) {
      it(`${poison} in ${stored} is refused loaded as fp32, fp16, q8 and q4, naming the tensor`, async () => {
        const dir = await folderWith(`${stored}-${poison}`, {
          'config.json': JSON.stringify(CONFIG), 'model.safetensors': checkpoint(stored, POISON[stored][poison]),
        });
        for (const dtype of ['fp32', 'fp16', 'q8', 'q4']) {
          await assert.rejects(AutoModelForCausalLM.from_pretrained(dir, { dtype }), (e) => e instanceof WaxError &&
            e.code === 'WAX_BAD_WEIGHTS' && e.message.includes(`'${BAD}' holds ${poison} at element [3, 4] (index 100)`), dtype);
        }
        const good = await AutoModelForCausalLM.from_pretrained(TIED, { dtype: 'q8' });
        assert.equal((await good.generate({ input_ids: [[1, 404]], max_new_tokens: 1, do_sample: false })).dims[1], 3);
        good.dispose();
      });
    }
  }
});

describe('tensors a load leaves unused (item 8)', () => {
  /** Runs `load` with console.warn captured; returns what it warned. */
  async function warnings(load) {
    const warned = [];
    const original = console.warn;
    console.warn = (...args) => warned.push(args.join(' '));
    try {
      (await load()).dispose();
    } finally {
      console.warn = original;
    }
    return warned.filter((text) => text.startsWith('wax:') && text.includes('not used'));
  }

  it('a config.json with one layer fewer loads with one warning naming the unused tensors', async () => {
    const config = JSON.parse(await readFile(join(TIED, 'config.json'), 'utf8'));
    const dir = await folderWith('fewer-layers', { 'config.json': JSON.stringify({ ...config, num_hidden_layers: 1 }) });
    await copyFile(join(TIED, 'model.safetensors'), join(dir, 'model.safetensors'));
    const warned = await warnings(() => AutoModelForCausalLM.from_pretrained(dir));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0], /9 tensors/);
    assert.match(warned[0], /'model\.layers\.1\.input_layernorm\.weight'/);
    assert.match(warned[0], /4 more/);
    assert.deepEqual(await warnings(() => AutoModelForCausalLM.from_pretrained(TIED)), []);
  });

  it('an encoder warns the same way', async () => {
    const bert = fixtureDir('bert_tiny_st');
    const config = JSON.parse(await readFile(join(bert, 'config.json'), 'utf8'));
    const dir = await folderWith('bert-fewer-layers', { 'config.json': JSON.stringify({ ...config, num_hidden_layers: 1 }) });
    await copyFile(join(bert, 'model.safetensors'), join(dir, 'model.safetensors'));
    const warned = await warnings(() => AutoModel.from_pretrained(dir));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0], /'encoder\.layer\.1\./);
  });
});
