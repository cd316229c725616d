// Writes a Llama checkpoint of a given shape with random weights (config.json +
// model.safetensors, or its shards), for benchmarks that need real model sizes but no real weights.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Named real-model shapes. */
export const SHAPES = {
  // HuggingFaceTB/SmolLM2-135M
  'smollm2-135m': {
    hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3,
    intermediate_size: 1536, vocab_size: 49152, tie_word_embeddings: true, rope_theta: 100000,
  },
  // meta-llama/Llama-3.2-1B without its rope_scaling (irrelevant to speed): 1.24 B parameters,
  // 2.5 GB as BF16 (its F32, 4.9 GB, cannot fit in wasm32's 4 GiB)
  'llama-1b': {
    hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8,
    intermediate_size: 8192, vocab_size: 128256, tie_word_embeddings: true, rope_theta: 500000,
  },
};

function tensorList(c) {
  const headDim = c.hidden_size / c.num_attention_heads;
  const list = [['model.embed_tokens.weight', [c.vocab_size, c.hidden_size]], ['model.norm.weight', [c.hidden_size]]];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    list.push(
      [`${p}.input_layernorm.weight`, [c.hidden_size]],
      [`${p}.post_attention_layernorm.weight`, [c.hidden_size]],
      [`${p}.self_attn.q_proj.weight`, [c.num_attention_heads * headDim, c.hidden_size]],
      [`${p}.self_attn.k_proj.weight`, [c.num_key_value_heads * headDim, c.hidden_size]],
      [`${p}.self_attn.v_proj.weight`, [c.num_key_value_heads * headDim, c.hidden_size]],
      [`${p}.self_attn.o_proj.weight`, [c.hidden_size, c.num_attention_heads * headDim]],
      [`${p}.mlp.gate_proj.weight`, [c.intermediate_size, c.hidden_size]],
      [`${p}.mlp.up_proj.weight`, [c.intermediate_size, c.hidden_size]],
      [`${p}.mlp.down_proj.weight`, [c.hidden_size, c.intermediate_size]],
    );
  }
  if (!c.tie_word_embeddings) list.push(['lm_head.weight', [c.vocab_size, c.hidden_size]]);
  return list;
}

/** A small deterministic generator (xorshift32), so every run benchmarks the same weights. */
export function uniformSource(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 4294967296 - 0.5;
  };
}

/** A safetensors header for `tensors` ([name, shape] in file order): its text, padded, and the data's size. */
export function safetensorsHeader(tensors, dtype) {
  const elementBytes = dtype === 'F32' ? 4 : 2;
  const header = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * elementBytes;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = JSON.stringify(header);
  return { text: text + ' '.repeat((8 - (text.length % 8)) % 8), dataBytes: offset }; // the padding keeps the data 8-byte aligned
}

/** Writes one safetensors file of `tensors`, their values drawn from `random` in order. */
async function writeSafetensors(file, tensors, dtype, headerText, random) {
  const out = createWriteStream(file);
  const write = (chunk) => new Promise((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve())));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerText.length));
  await write(prefix);
  await write(Buffer.from(headerText));
  for (const [name, shape] of tensors) {
    const count = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('layernorm.weight') || name === 'model.norm.weight';
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = isNorm ? 1 + 0.1 * random() : 0.08 * random();
    if (dtype === 'F32') {
      await write(Buffer.from(values.buffer));
    } else {
      const bits = new Uint32Array(values.buffer);
      const halves = new Uint16Array(count);
      for (let i = 0; i < count; i++) halves[i] = bits[i] >>> 16; // truncation is fine for random weights
      await write(Buffer.from(halves.buffer));
    }
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}

/**
 * Writes the checkpoint into `folder` unless it is already there; returns the folder. `shape` is
 * a name from SHAPES or config.json fields of its own; `dtype` is 'F32' or 'BF16'. Past
 * `maxShardBytes` of weights the checkpoint is split as Hugging Face does (model-00001-of-0000N
 * .safetensors + model.safetensors.index.json); the weights are the same either way.
 */
export async function writeRandomLlama(folder, shape, { dtype = 'F32', seed = 1, maxShardBytes = Infinity } = {}) {
  if (dtype !== 'F32' && dtype !== 'BF16') throw new Error(`writeRandomLlama: dtype must be 'F32' or 'BF16', got '${dtype}'`);
  const config = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_act: 'silu', rms_norm_eps: 1e-5,
    max_position_embeddings: 8192, bos_token_id: 1, eos_token_id: 2, torch_dtype: dtype === 'F32' ? 'float32' : 'bfloat16',
    ...(typeof shape === 'string' ? SHAPES[shape] : shape) };
  const shards = [[]];
  let shardBytes = 0;
  for (const tensor of tensorList(config)) {
    const bytes = safetensorsHeader([tensor], dtype).dataBytes;
    if (shardBytes > 0 && shardBytes + bytes > maxShardBytes) { shards.push([]); shardBytes = 0; }
    shards.at(-1).push(tensor);
    shardBytes += bytes;
  }
  const files = shards.map((tensors, i) => {
    const name = shards.length === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const { text, dataBytes } = safetensorsHeader(tensors, dtype);
    return { name, tensors, headerText: text, dataBytes, size: 8 + text.length + dataBytes };
  });
  const sizes = await Promise.all(files.map(({ name }) => stat(join(folder, name)).then((info) => info.size, () => null)));
  if (files.every(({ size }, i) => sizes[i] === size)) return folder;

  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  // A file of the other layout would shadow or contradict this one (loaders look for model.safetensors first).
  await rm(join(folder, files.length > 1 ? 'model.safetensors' : 'model.safetensors.index.json'), { force: true });
  if (files.length > 1) {
    const weightMap = Object.fromEntries(files.flatMap(({ name, tensors }) => tensors.map(([tensor]) => [tensor, name])));
    const totalSize = files.reduce((sum, { dataBytes }) => sum + dataBytes, 0);
    await writeFile(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
  }
  const random = uniformSource(seed);
  for (const { name, tensors, headerText } of files) await writeSafetensors(join(folder, name), tensors, dtype, headerText, random);
  return folder;
}
