// safetensors (a Llama checkpoint folder) → GGUF v3, for benchmarking llama.cpp on the same
// weights: F32, or Q8_0 / Q4_0 quantized with llama.cpp's own rules. Writes a synthetic
// SentencePiece-style vocabulary of the right size (benchmarks pass token ids, not text).
//   node tools/to-gguf.mjs <folder> <out.gguf> <F32|Q8_0|Q4_0>
import { readFile, writeFile } from 'node:fs/promises';

const TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 };
const GGML = { F32: 0, Q4_0: 2, Q8_0: 8 };
const ALIGNMENT = 32;

class Writer {
  constructor() { this.parts = []; this.length = 0; }
  bytes(b) { this.parts.push(b); this.length += b.length; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.bytes(b); }
  i32(v) { const b = Buffer.alloc(4); b.writeInt32LE(v); this.bytes(b); }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.bytes(b); }
  f32(v) { const b = Buffer.alloc(4); b.writeFloatLE(v); this.bytes(b); }
  string(s) { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  pad() { const n = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT; if (n) this.bytes(Buffer.alloc(n)); }
  buffer() { return Buffer.concat(this.parts); }
}

function f16(value) {
  const f = new Float32Array([value]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, mag = u & 0x7fffffff;
  if (mag >= 0x477ff000) return sign | 0x7c00;
  if (mag < 0x38800000) {
    if (mag < 0x33000000) return sign;
    const e = mag >>> 23, m = (mag & 0x7fffff) | 0x800000, shift = 126 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (mag - 0x38000000) >>> 13;
  const rest = mag & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** ggml's quantize_row_q8_0 / q4_0 reference rules, row by row (rows must be multiples of 32). */
function quantize(values, type) {
  const blocks = values.length / 32;
  const out = Buffer.alloc(blocks * (type === 'Q8_0' ? 34 : 18));
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    if (type === 'Q8_0') {
      let amax = 0;
      for (const v of x) amax = Math.max(amax, Math.abs(v));
      const d = amax / 127, id = d ? 1 / d : 0;
      out.writeUInt16LE(f16(d), b * 34);
      for (let j = 0; j < 32; j++) out.writeInt8(Math.round(x[j] * id) || 0, b * 34 + 2 + j);
    } else {
      let amax = 0, max = 0;
      for (const v of x) if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
      const d = max / -8, id = d ? 1 / d : 0;
      out.writeUInt16LE(f16(d), b * 18);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(x[j] * id + 8.5)), hi = Math.min(15, Math.trunc(x[j + 16] * id + 8.5));
        out[b * 18 + 2 + j] = lo | (hi << 4);
      }
    }
  }
  return out;
}

/** llama.cpp's rotary layout pairs (i, i+1) where Hugging Face pairs (i, i + d/2): permute q/k rows. */
function permuteRows(values, rows, cols, heads) {
  const out = new Float32Array(values.length), half = rows / heads / 2;
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let pair = 0; pair < 2; pair++) {
        const from = h * 2 * half + pair * half + i, to = h * 2 * half + i * 2 + pair;
        out.set(values.subarray(from * cols, (from + 1) * cols), to * cols);
      }
  return out;
}

export async function toGguf(folder, outFile, type) {
  const config = JSON.parse(await readFile(`${folder}/config.json`, 'utf8'));
  const bytes = await readFile(`${folder}/model.safetensors`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const data = 8 + headerLength;
  const tensor = (name) => {
    const spec = header[name];
    if (spec.dtype !== 'F32') throw new Error(`${name}: only F32 checkpoints are converted`);
    const [begin, end] = spec.data_offsets;
    return { shape: spec.shape, values: new Float32Array(bytes.buffer.slice(bytes.byteOffset + data + begin, bytes.byteOffset + data + end)) };
  };
  const heads = config.num_attention_heads, kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? config.hidden_size / heads;
  const names = [['model.embed_tokens.weight', 'token_embd.weight'], ['model.norm.weight', 'output_norm.weight']];
  if (header['lm_head.weight']) names.push(['lm_head.weight', 'output.weight']);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    names.push([`${p}.input_layernorm.weight`, `blk.${i}.attn_norm.weight`], [`${p}.self_attn.q_proj.weight`, `blk.${i}.attn_q.weight`],
      [`${p}.self_attn.k_proj.weight`, `blk.${i}.attn_k.weight`], [`${p}.self_attn.v_proj.weight`, `blk.${i}.attn_v.weight`],
      [`${p}.self_attn.o_proj.weight`, `blk.${i}.attn_output.weight`], [`${p}.post_attention_layernorm.weight`, `blk.${i}.ffn_norm.weight`],
      [`${p}.mlp.gate_proj.weight`, `blk.${i}.ffn_gate.weight`], [`${p}.mlp.up_proj.weight`, `blk.${i}.ffn_up.weight`],
      [`${p}.mlp.down_proj.weight`, `blk.${i}.ffn_down.weight`]);
  }

  const w = new Writer();
  w.bytes(Buffer.from('GGUF'));
  w.u32(3);
  w.u64(names.length);
  const kv = [];
  const str = (k, v) => kv.push([k, () => { w.u32(TYPE.STRING); w.string(v); }]);
  const u32 = (k, v) => kv.push([k, () => { w.u32(TYPE.UINT32); w.u32(v); }]);
  const f32 = (k, v) => kv.push([k, () => { w.u32(TYPE.FLOAT32); w.f32(v); }]);
  const vocab = config.vocab_size;
  str('general.architecture', 'llama');
  str('general.name', 'wax-bench');
  u32('general.alignment', ALIGNMENT);
  u32('llama.context_length', config.max_position_embeddings ?? 2048);
  u32('llama.embedding_length', config.hidden_size);
  u32('llama.block_count', config.num_hidden_layers);
  u32('llama.feed_forward_length', config.intermediate_size);
  u32('llama.attention.head_count', heads);
  u32('llama.attention.head_count_kv', kvHeads);
  u32('llama.rope.dimension_count', headDim);
  u32('llama.vocab_size', vocab);
  f32('llama.rope.freq_base', config.rope_theta ?? 10000);
  f32('llama.attention.layer_norm_rms_epsilon', config.rms_norm_eps ?? 1e-6);
  str('tokenizer.ggml.model', 'llama');
  // <unk> <s> </s>, the 256 byte pieces, then placeholder pieces up to the vocabulary size.
  const tokens = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`)];
  while (tokens.length < vocab) tokens.push(`▁t${tokens.length}`);
  kv.push(['tokenizer.ggml.tokens', () => { w.u32(TYPE.ARRAY); w.u32(TYPE.STRING); w.u64(vocab); tokens.slice(0, vocab).forEach((t) => w.string(t)); }]);
  kv.push(['tokenizer.ggml.scores', () => { w.u32(TYPE.ARRAY); w.u32(TYPE.FLOAT32); w.u64(vocab); for (let i = 0; i < vocab; i++) w.f32(-i); }]);
  kv.push(['tokenizer.ggml.token_type', () => {
    w.u32(TYPE.ARRAY); w.u32(TYPE.INT32); w.u64(vocab);
    for (let i = 0; i < vocab; i++) w.i32(i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1);
  }]);
  u32('tokenizer.ggml.bos_token_id', config.bos_token_id ?? 1);
  u32('tokenizer.ggml.eos_token_id', config.eos_token_id ?? 2);
  u32('tokenizer.ggml.unknown_token_id', 0);
  w.u64(kv.length);
  for (const [key, write] of kv) { w.string(key); write(); }

  const blobs = [];
  let offset = 0;
  for (const [source, target] of names) {
    let { shape, values } = tensor(source);
    if (target.endsWith('attn_q.weight')) values = permuteRows(values, shape[0], shape[1], heads);
    if (target.endsWith('attn_k.weight')) values = permuteRows(values, shape[0], shape[1], kvHeads);
    const kind = shape.length === 2 && type !== 'F32' ? type : 'F32';
    const blob = kind === 'F32' ? Buffer.from(values.buffer, values.byteOffset, values.byteLength) : quantize(values, kind);
    w.string(target);
    w.u32(shape.length);
    for (const d of [...shape].reverse()) w.u64(d);
    w.u32(GGML[kind]);
    w.u64(offset);
    blobs.push(blob);
    offset += blob.length + ((ALIGNMENT - (blob.length % ALIGNMENT)) % ALIGNMENT);
  }
  w.pad();
  for (const blob of blobs) { w.bytes(blob); w.pad(); }
  await writeFile(outFile, w.buffer());
  return outFile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [folder, out, type = 'F32'] = process.argv.slice(2);
  await toGguf(folder, out, type);
  console.log(`wrote ${out} (${type})`);
}
