// Writes a Llama checkpoint of a given shape with random weights (config.json +
// model.safetensors), for benchmarks that need real model sizes but no real weights.
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Named real-model shapes. */
export const SHAPES = {
  // HuggingFaceTB/SmolLM2-135M
  'smollm2-135m': {
    hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3,
    intermediate_size: 1536, vocab_size: 49152, tie_word_embeddings: true, rope_theta: 100000,
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
function uniformSource(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 4294967296 - 0.5;
  };
}

/**
 * Writes the checkpoint into `folder` unless it is already there; returns the folder. `shape` is
 * a name from SHAPES or config.json fields of its own.
 */
export async function writeRandomLlama(folder, shape, { dtype = 'F32', seed = 1 } = {}) {
  const config = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_act: 'silu', rms_norm_eps: 1e-5,
    max_position_embeddings: 8192, bos_token_id: 1, eos_token_id: 2, torch_dtype: dtype === 'F32' ? 'float32' : 'bfloat16',
    ...(typeof shape === 'string' ? SHAPES[shape] : shape) };
  const file = join(folder, 'model.safetensors');
  const tensors = tensorList(config);
  const elementBytes = dtype === 'F32' ? 4 : 2;
  const header = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * elementBytes;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8); // keeps the data 8-byte aligned
  const expectedSize = 8 + headerText.length + offset;
  if ((await stat(file).catch(() => null))?.size === expectedSize) return folder;

  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  const out = createWriteStream(file);
  const write = (chunk) => new Promise((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve())));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerText.length));
  await write(prefix);
  await write(Buffer.from(headerText));
  const random = uniformSource(seed);
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
  return folder;
}
