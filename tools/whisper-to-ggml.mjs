// Converts a Whisper checkpoint folder (config.json, tokenizer.json and an F32 model.safetensors with
// WhisperForConditionalGeneration key names) into whisper.cpp's ggml file, F32 throughout, so that
// whisper.cpp (native and wasm) runs on the same weights as wax. The layout is the one whisper.cpp's
// models/convert-h5-to-ggml.py writes: the 'ggml' magic, eleven int32 hyperparameters, the mel filter
// bank (n_mels x 201 floats: whisper.cpp computes its own log-mel with it), the byte-level vocabulary
// below the special tokens, then each tensor as (n_dims, name length, type, dims innermost first,
// name, data) under openai/whisper's names.
//   node tools/whisper-to-ggml.mjs FOLDER [OUT.bin]   (default FOLDER/ggml-model-f32.bin)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GGML_MAGIC = 0x67676d6c;
const N_FFT = 400, SAMPLING_RATE = 16000;

/** HF module names → openai/whisper's, inside a layer (`k_proj` of the cross-attention is handled apart). */
const LAYER_NAMES = {
  'self_attn.q_proj': 'attn.query', 'self_attn.k_proj': 'attn.key', 'self_attn.v_proj': 'attn.value', 'self_attn.out_proj': 'attn.out',
  self_attn_layer_norm: 'attn_ln', 'encoder_attn.q_proj': 'cross_attn.query', 'encoder_attn.k_proj': 'cross_attn.key',
  'encoder_attn.v_proj': 'cross_attn.value', 'encoder_attn.out_proj': 'cross_attn.out', encoder_attn_layer_norm: 'cross_attn_ln',
  fc1: 'mlp.0', fc2: 'mlp.2', final_layer_norm: 'mlp_ln',
};
const TOP_NAMES = {
  'encoder.layer_norm.weight': 'encoder.ln_post.weight', 'encoder.layer_norm.bias': 'encoder.ln_post.bias',
  'encoder.embed_positions.weight': 'encoder.positional_embedding', 'decoder.embed_positions.weight': 'decoder.positional_embedding',
  'decoder.layer_norm.weight': 'decoder.ln.weight', 'decoder.layer_norm.bias': 'decoder.ln.bias',
  'decoder.embed_tokens.weight': 'decoder.token_embedding.weight',
};

export function ggmlName(hfName) {
  const name = hfName.replace(/^model\./, '');
  const layer = /^(encoder|decoder)\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (layer) {
    const mapped = LAYER_NAMES[layer[3]];
    if (!mapped) throw new Error(`${hfName}: no whisper.cpp name for ${layer[3]}`);
    return `${layer[1]}.blocks.${layer[2]}.${mapped}.${layer[4]}`;
  }
  return TOP_NAMES[name] ?? name;
}

/** The Slaney-scale mel filter bank (librosa's default, norm='slaney'), n_mels x (N_FFT/2 + 1). */
export function slaneyMelFilters(nMels) {
  const fSp = 200 / 3, minLogHz = 1000, minLogMel = minLogHz / fSp, logStep = Math.log(6.4) / 27;
  const hzToMel = (hz) => (hz < minLogHz ? hz / fSp : minLogMel + Math.log(hz / minLogHz) / logStep);
  const melToHz = (mel) => (mel < minLogMel ? mel * fSp : minLogHz * Math.exp(logStep * (mel - minLogMel)));
  const bins = N_FFT / 2 + 1, top = hzToMel(SAMPLING_RATE / 2);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz((top * i) / (nMels + 1)));
  const filters = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const norm = 2 / (edges[m + 2] - edges[m]);
    for (let k = 0; k < bins; k++) {
      const hz = (k * SAMPLING_RATE) / N_FFT;
      const rising = (hz - edges[m]) / (edges[m + 1] - edges[m]), falling = (edges[m + 2] - hz) / (edges[m + 2] - edges[m + 1]);
      filters[m * bins + k] = Math.max(0, Math.min(rising, falling)) * norm;
    }
  }
  return filters;
}

/** GPT-2's byte ↔ printable-character table, reversed: the vocabulary's characters → raw bytes. */
function unicodeToByte() {
  const printable = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Map(printable.map((b) => [String.fromCodePoint(b), b]));
  let extra = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) table.set(String.fromCodePoint(256 + extra++), b);
  return table;
}

const int32s = (...values) => Buffer.from(Int32Array.from(values).buffer);

/** Writes `outFile` from the checkpoint in `folder`; returns outFile. */
export async function whisperToGgml(folder, outFile = join(folder, 'ggml-model-f32.bin')) {
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
  const { model: { vocab } } = JSON.parse(await readFile(join(folder, 'tokenizer.json'), 'utf8'));
  const parts = [int32s(GGML_MAGIC, config.vocab_size, config.max_source_positions, config.d_model, config.encoder_attention_heads,
    config.encoder_layers, config.max_target_positions, config.d_model, config.decoder_attention_heads, config.decoder_layers,
    config.num_mel_bins, 0 /* F32 */)];
  const filters = slaneyMelFilters(config.num_mel_bins);
  parts.push(int32s(config.num_mel_bins, N_FFT / 2 + 1), Buffer.from(filters.buffer));

  const toByte = unicodeToByte();
  const words = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  words.forEach(([, id], index) => { if (id !== index) throw new Error(`tokenizer.json: vocabulary ids are not 0..${words.length - 1}`); });
  parts.push(int32s(words.length));
  for (const [word] of words) {
    const bytes = Buffer.from([...word].map((ch) => toByte.get(ch)));
    parts.push(int32s(bytes.length), bytes);
  }

  const file = await readFile(join(folder, 'model.safetensors'));
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8'));
  for (const [hfName, spec] of Object.entries(header)) {
    if (hfName === '__metadata__' || hfName === 'proj_out.weight') continue; // proj_out is the token embedding, tied
    if (spec.dtype !== 'F32') throw new Error(`${hfName}: ${spec.dtype}; only F32 checkpoints are converted`);
    const name = ggmlName(hfName);
    // whisper.cpp keeps the conv biases as [n, 1] columns
    const dims = /^encoder\.conv[12]\.bias$/.test(name) ? [spec.shape[0], 1] : spec.shape;
    const nameBytes = Buffer.from(name, 'utf8');
    parts.push(int32s(dims.length, nameBytes.length, 0), int32s(...[...dims].reverse()), nameBytes,
      file.subarray(8 + headerLength + spec.data_offsets[0], 8 + headerLength + spec.data_offsets[1]));
  }
  await writeFile(outFile, Buffer.concat(parts));
  return outFile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv[2]) throw new Error('usage: node tools/whisper-to-ggml.mjs FOLDER [OUT.bin]');
  console.log(await whisperToGgml(process.argv[2], process.argv[3]));
}
