// Writes a Whisper checkpoint of a named shape with random weights (config.json,
// generation_config.json, preprocessor_config.json, the real multilingual Whisper tokenizer and
// model.safetensors, F32, WhisperForConditionalGeneration key names, the encoder's sinusoidal
// positions as openai/whisper computes them), for benchmarks that need real model sizes but no real
// weights. Random weights would end a transcription at a random step; so that every engine decodes
// the same number of tokens, <|endoftext|> and the timestamp tokens can never be the greedy choice:
// their (tied) embedding rows hold -1 in channel 0, every other row 0 there, and the decoder's final
// LayerNorm bias is 20 in channel 0, so their logits sit about 20 below the others.
//   node tools/random-whisper.mjs [SHAPE] [FOLDER]   (default whisper-tiny, bench/.cache/<shape>-random)
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { safetensorsHeader, uniformSource } from './random-llama.mjs';

const TOKENIZER = fileURLToPath(new URL('../tests/fixtures/tokenizers/whisper_multilingual', import.meta.url));
const EOT = 50257, START_OF_TRANSCRIPT = 50258, TRANSLATE = 50358, TRANSCRIBE = 50359, NO_TIMESTAMPS = 50363, FIRST_TIMESTAMP = 50364;
const COMMON = { vocab_size: 51865, num_mel_bins: 80, max_source_positions: 1500, max_target_positions: 448 };
export const WHISPER_SHAPES = {
  'whisper-tiny': { ...COMMON, d_model: 384, encoder_layers: 4, decoder_layers: 4, encoder_attention_heads: 6, decoder_attention_heads: 6,
    encoder_ffn_dim: 1536, decoder_ffn_dim: 1536 },
  'whisper-base': { ...COMMON, d_model: 512, encoder_layers: 6, decoder_layers: 6, encoder_attention_heads: 8, decoder_attention_heads: 8,
    encoder_ffn_dim: 2048, decoder_ffn_dim: 2048 },
};

function tensorList(c) {
  const d = c.d_model;
  const list = [
    ['model.encoder.conv1.weight', [d, c.num_mel_bins, 3]], ['model.encoder.conv1.bias', [d]],
    ['model.encoder.conv2.weight', [d, d, 3]], ['model.encoder.conv2.bias', [d]],
    ['model.encoder.embed_positions.weight', [c.max_source_positions, d]],
    ['model.decoder.embed_tokens.weight', [c.vocab_size, d]], ['model.decoder.embed_positions.weight', [c.max_target_positions, d]],
  ];
  const norm = (prefix) => list.push([`${prefix}.weight`, [d]], [`${prefix}.bias`, [d]]);
  const attention = (prefix) => {
    for (const name of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      list.push([`${prefix}.${name}.weight`, [d, d]]);
      if (name !== 'k_proj') list.push([`${prefix}.${name}.bias`, [d]]);
    }
  };
  const feedForward = (prefix, ffn) => {
    norm(`${prefix}.final_layer_norm`);
    list.push([`${prefix}.fc1.weight`, [ffn, d]], [`${prefix}.fc1.bias`, [ffn]], [`${prefix}.fc2.weight`, [d, ffn]], [`${prefix}.fc2.bias`, [d]]);
  };
  for (let i = 0; i < c.encoder_layers; i++) {
    const p = `model.encoder.layers.${i}`;
    norm(`${p}.self_attn_layer_norm`);
    attention(`${p}.self_attn`);
    feedForward(p, c.encoder_ffn_dim);
  }
  norm('model.encoder.layer_norm');
  for (let i = 0; i < c.decoder_layers; i++) {
    const p = `model.decoder.layers.${i}`;
    norm(`${p}.self_attn_layer_norm`);
    attention(`${p}.self_attn`);
    norm(`${p}.encoder_attn_layer_norm`);
    attention(`${p}.encoder_attn`);
    feedForward(p, c.decoder_ffn_dim);
  }
  norm('model.decoder.layer_norm');
  return list;
}

/** The multilingual checkpoints' generation settings: language and task tokens, timestamps, suppression. */
async function generationConfig(config) {
  const { added_tokens: added } = JSON.parse(await readFile(join(TOKENIZER, 'tokenizer.json'), 'utf8'));
  const lang_to_id = Object.fromEntries(added.filter((t) => t.id > START_OF_TRANSCRIPT && t.id < TRANSLATE).map((t) => [t.content, t.id]));
  return { decoder_start_token_id: config.decoder_start_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.pad_token_id,
    bos_token_id: config.bos_token_id, is_multilingual: true, lang_to_id, task_to_id: { transcribe: TRANSCRIBE, translate: TRANSLATE },
    no_timestamps_token_id: NO_TIMESTAMPS, max_initial_timestamp_index: 50, begin_suppress_tokens: [220, EOT], suppress_tokens: [],
    max_length: config.max_target_positions };
}

/** openai/whisper's sinusoids(length, channels): sin then cos, timescales up to 10000. */
function sinusoids(values, length, channels) {
  const half = channels / 2;
  const increment = Math.log(10000) / (half - 1);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.exp(-increment * i);
      values[t * channels + i] = Math.sin(angle);
      values[t * channels + half + i] = Math.cos(angle);
    }
  }
}

/** Writes the checkpoint into `folder` unless it is already there; returns the folder. */
export async function writeRandomWhisper(folder, shape, { seed = 1 } = {}) {
  const config = { model_type: 'whisper', architectures: ['WhisperForConditionalGeneration'], activation_function: 'gelu',
    scale_embedding: false, decoder_start_token_id: 50258, eos_token_id: 50257, pad_token_id: 50257, bos_token_id: 50257,
    torch_dtype: 'float32', ...(typeof shape === 'string' ? WHISPER_SHAPES[shape] : shape) };
  const tensors = tensorList(config);
  const { text: headerText, dataBytes: offset } = safetensorsHeader(tensors, 'F32');
  const file = join(folder, 'model.safetensors');
  const written = (await stat(file).catch(() => null))?.size === 8 + headerText.length + offset;
  if (written && (await stat(join(folder, 'preprocessor_config.json')).catch(() => null))) return folder;
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(join(folder, 'generation_config.json'), JSON.stringify(await generationConfig(config), null, 2));
  await writeFile(join(folder, 'preprocessor_config.json'), JSON.stringify({ feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: config.num_mel_bins, sampling_rate: 16000, hop_length: 160, n_fft: 400, chunk_length: 30, n_samples: 480000,
    nb_max_frames: 3000, padding_side: 'right', padding_value: 0.0, return_attention_mask: false, processor_class: 'WhisperProcessor' }, null, 2));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(join(TOKENIZER, name), join(folder, name));
  const out = Buffer.alloc(8 + headerText.length + offset);
  out.writeBigUInt64LE(BigInt(headerText.length));
  out.write(headerText, 8);
  const values = new Float32Array(out.buffer, out.byteOffset + 8 + headerText.length, offset / 4);
  const random = uniformSource(seed);
  let index = 0;
  for (const [name, dims] of tensors) {
    const count = dims.reduce((a, b) => a * b, 1);
    const tensor = values.subarray(index, index + count);
    if (name === 'model.encoder.embed_positions.weight') sinusoids(tensor, dims[0], dims[1]);
    else {
      const isNormWeight = name.endsWith('layer_norm.weight');
      for (let i = 0; i < count; i++) tensor[i] = isNormWeight ? 1 + 0.1 * random() : 0.08 * random();
    }
    if (name === 'model.decoder.embed_tokens.weight') {
      for (let token = 0; token < dims[0]; token++) tensor[token * dims[1]] = token === EOT || token >= FIRST_TIMESTAMP ? -1 : 0;
    }
    if (name === 'model.decoder.layer_norm.bias') tensor[0] = 20;
    index += count;
  }
  await writeFile(file, out);
  return folder;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const shape = process.argv[2] ?? 'whisper-tiny';
  if (!WHISPER_SHAPES[shape]) throw new Error(`unknown shape ${shape}; known: ${Object.keys(WHISPER_SHAPES).join(', ')}`);
  const folder = process.argv[3] ?? fileURLToPath(new URL(`../bench/.cache/${shape}-random`, import.meta.url));
  console.log(await writeRandomWhisper(folder, shape));
}
