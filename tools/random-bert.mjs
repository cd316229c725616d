// Writes a BERT checkpoint of a named shape with random weights (config.json + model.safetensors,
// F32, transformers' BertModel key names without a `bert.` prefix, pooler included), for
// benchmarks that need real model sizes but no real weights.
//   node tools/random-bert.mjs [FOLDER]   (default bench/.cache/minilm-random, the MiniLM shape)
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { safetensorsHeader, uniformSource } from './random-llama.mjs';

export const BERT_SHAPES = {
  // sentence-transformers/all-MiniLM-L6-v2
  'minilm-l6': { hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522,
    max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu' },
};

function tensorList(c) {
  const h = c.hidden_size;
  const list = [
    ['embeddings.word_embeddings.weight', [c.vocab_size, h]], ['embeddings.position_embeddings.weight', [c.max_position_embeddings, h]],
    ['embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]], ['embeddings.LayerNorm.weight', [h]], ['embeddings.LayerNorm.bias', [h]],
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    for (const name of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      list.push([`${p}.${name}.weight`, [h, h]], [`${p}.${name}.bias`, [h]]);
    }
    list.push([`${p}.attention.output.LayerNorm.weight`, [h]], [`${p}.attention.output.LayerNorm.bias`, [h]],
      [`${p}.intermediate.dense.weight`, [c.intermediate_size, h]], [`${p}.intermediate.dense.bias`, [c.intermediate_size]],
      [`${p}.output.dense.weight`, [h, c.intermediate_size]], [`${p}.output.dense.bias`, [h]],
      [`${p}.output.LayerNorm.weight`, [h]], [`${p}.output.LayerNorm.bias`, [h]]);
  }
  list.push(['pooler.dense.weight', [h, h]], ['pooler.dense.bias', [h]]);
  return list;
}

/** Writes the checkpoint into `folder` unless it is already there; returns the folder. */
export async function writeRandomBert(folder, shape, { seed = 1 } = {}) {
  const config = { model_type: 'bert', architectures: ['BertModel'], hidden_act: 'gelu', layer_norm_eps: 1e-12,
    max_position_embeddings: 512, type_vocab_size: 2, position_embedding_type: 'absolute', pad_token_id: 0,
    torch_dtype: 'float32', ...(typeof shape === 'string' ? BERT_SHAPES[shape] : shape) };
  const tensors = tensorList(config);
  const { text: headerText, dataBytes: offset } = safetensorsHeader(tensors, 'F32');
  const file = join(folder, 'model.safetensors');
  if ((await stat(file).catch(() => null))?.size === 8 + headerText.length + offset) return folder;
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  const out = Buffer.alloc(8 + headerText.length + offset);
  out.writeBigUInt64LE(BigInt(headerText.length));
  out.write(headerText, 8);
  const values = new Float32Array(out.buffer, out.byteOffset + 8 + headerText.length, offset / 4);
  const random = uniformSource(seed);
  let index = 0;
  for (const [name, dims] of tensors) {
    const count = dims.reduce((a, b) => a * b, 1);
    const isNormWeight = name.endsWith('LayerNorm.weight');
    for (let i = 0; i < count; i++) values[index++] = isNormWeight ? 1 + 0.1 * random() : 0.08 * random();
  }
  await writeFile(file, out);
  return folder;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const folder = process.argv[2] ?? fileURLToPath(new URL('../bench/.cache/minilm-random', import.meta.url));
  console.log(await writeRandomBert(folder, 'minilm-l6'));
}
