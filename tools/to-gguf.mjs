// safetensors (a Llama checkpoint folder, F32 or BF16, one file or shards) → GGUF v3, for benchmarking llama.cpp on
// the same weights: F32, or Q8_0 / Q4_0 quantized with llama.cpp's own rules. Streams: one chunk of
// rows in memory at a time, so a 2.5 GB BF16 checkpoint converts in a few hundred MB. Writes a
// synthetic SentencePiece-style vocabulary of the right size (benchmarks pass token ids, not text).
//   node tools/to-gguf.mjs <folder> <out.gguf> <F32|Q8_0|Q4_0>
import { createWriteStream } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';

const TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 };
const GGML = { F32: 0, Q4_0: 2, Q8_0: 8 };
const ALIGNMENT = 32;
const BLOCK_BYTES = { Q8_0: 34, Q4_0: 18 }; // per 32 values: an f16 scale, then 32 int8 or 16 bytes of nibbles
const SOURCE_ELEMENT_BYTES = { F32: 4, BF16: 2 };
const CHUNK_BYTES = 32 * 2 ** 20; // source bytes converted at a time

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

const f16Input = new Float32Array(1), f16InputBits = new Uint32Array(f16Input.buffer);

function f16(value) {
  f16Input[0] = value;
  const u = f16InputBits[0];
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
  const blocks = values.length / 32, blockBytes = BLOCK_BYTES[type];
  const out = new Uint8Array(blocks * blockBytes);
  const scales = new DataView(out.buffer), quants = new Int8Array(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32), at = b * blockBytes;
    if (type === 'Q8_0') {
      let amax = 0;
      for (const v of x) amax = Math.max(amax, Math.abs(v));
      const d = amax / 127, id = d ? 1 / d : 0;
      scales.setUint16(at, f16(d), true);
      for (let j = 0; j < 32; j++) quants[at + 2 + j] = Math.round(x[j] * id);
    } else {
      let amax = 0, max = 0;
      for (const v of x) if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
      const d = max / -8, id = d ? 1 / d : 0;
      scales.setUint16(at, f16(d), true);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(x[j] * id + 8.5)), hi = Math.min(15, Math.trunc(x[j + 16] * id + 8.5));
        out[at + 2 + j] = lo | (hi << 4);
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

/** Reads exactly `bytes.length` bytes at `position` (one read may return fewer). */
async function readFully(file, bytes, position) {
  for (let done = 0; done < bytes.length;) {
    const { bytesRead } = await file.read(bytes, done, bytes.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return bytes;
}

/** The tensor table of an open safetensors file, and where its data starts. */
async function readSafetensorsHeader(file) {
  const length = Number(Buffer.from(await readFully(file, new Uint8Array(8), 0)).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(await readFully(file, new Uint8Array(length), 8)).toString('utf8'));
  return { header, dataStart: 8 + length };
}

/**
 * The tensors of a checkpoint folder, one model.safetensors or the shards its
 * model.safetensors.index.json names: name → its header entry plus the open file and where that
 * file's data starts. close() closes the files.
 */
async function openCheckpoint(folder) {
  const index = await readFile(`${folder}/model.safetensors.index.json`, 'utf8').then(JSON.parse, () => null);
  const names = index ? [...new Set(Object.values(index.weight_map))] : ['model.safetensors'];
  const files = [], tensors = {};
  const close = () => Promise.all(files.map((file) => file.close()));
  try {
    for (const name of names) {
      const file = await open(`${folder}/${name}`);
      files.push(file);
      const { header, dataStart } = await readSafetensorsHeader(file);
      for (const [tensor, spec] of Object.entries(header)) if (tensor !== '__metadata__') tensors[tensor] = { ...spec, file, dataStart };
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { tensors, close };
}

/** `rows` rows of a 2-D (or 1-D: one row) F32 or BF16 tensor from `firstRow` on, as F32 values. */
async function readRows(spec, firstRow, rows, cols) {
  const elementBytes = SOURCE_ELEMENT_BYTES[spec.dtype];
  const bytes = await readFully(spec.file, new Uint8Array(rows * cols * elementBytes), spec.dataStart + spec.data_offsets[0] + firstRow * cols * elementBytes);
  if (spec.dtype === 'F32') return new Float32Array(bytes.buffer);
  const halves = new Uint16Array(bytes.buffer), bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16; // BF16 is the top half of an F32
  return new Float32Array(bits.buffer);
}

/** Converts the checkpoint in `folder` into `outFile` as 'F32', 'Q8_0' or 'Q4_0'; returns outFile. */
export async function toGguf(folder, outFile, type) {
  const config = JSON.parse(await readFile(`${folder}/config.json`, 'utf8'));
  const { tensors, close } = await openCheckpoint(folder);
  try {
    await writeGguf(config, tensors, outFile, type);
  } finally {
    await close();
  }
  return outFile;
}

/** Writes the GGUF: header and tensor table first (their offsets follow from the shapes), then the data, tensor by tensor. */
async function writeGguf(config, header, outFile, type) {
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

  // (rows, cols) row-major; a 1-D tensor is one row. Q8_0/Q4_0 only for matrices, as llama.cpp.
  const tensors = names.map(([source, target]) => {
    const spec = header[source];
    if (!SOURCE_ELEMENT_BYTES[spec.dtype]) throw new Error(`${source}: dtype ${spec.dtype} is not converted (F32 or BF16 only)`);
    const [rows, cols] = spec.shape.length === 2 ? spec.shape : [1, spec.shape[0]];
    const permuteHeads = target.endsWith('attn_q.weight') ? heads : target.endsWith('attn_k.weight') ? kvHeads : 0;
    const kind = spec.shape.length === 2 && type !== 'F32' ? type : 'F32';
    return { spec, target, rows, cols, permuteHeads, kind, bytes: kind === 'F32' ? rows * cols * 4 : (rows * cols / 32) * BLOCK_BYTES[kind] };
  });
  const padding = (length) => Buffer.alloc((ALIGNMENT - (length % ALIGNMENT)) % ALIGNMENT);
  let offset = 0;
  for (const { spec, target, kind, bytes } of tensors) {
    w.string(target);
    w.u32(spec.shape.length);
    for (const d of [...spec.shape].reverse()) w.u64(d);
    w.u32(GGML[kind]);
    w.u64(offset);
    offset += bytes + padding(bytes).length;
  }
  w.pad();

  // A partial file must not pass for a finished one: write beside it, rename at the end.
  const partial = `${outFile}.partial`;
  const out = createWriteStream(partial);
  const write = (chunk) => new Promise((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve())));
  await write(w.buffer());
  for (const { spec, rows, cols, permuteHeads, kind, bytes } of tensors) {
    // The head permutation moves rows across the whole tensor (q/k are small): read those whole.
    const rowsPerChunk = permuteHeads ? rows : Math.max(1, Math.floor(CHUNK_BYTES / (cols * SOURCE_ELEMENT_BYTES[spec.dtype])));
    for (let firstRow = 0; firstRow < rows; firstRow += rowsPerChunk) {
      let values = await readRows(spec, firstRow, Math.min(rowsPerChunk, rows - firstRow), cols);
      if (permuteHeads) values = permuteRows(values, rows, cols, permuteHeads);
      await write(kind === 'F32' ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : quantize(values, kind));
    }
    if (padding(bytes).length) await write(padding(bytes));
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  await rename(partial, outFile);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [folder, out, type = 'F32'] = process.argv.slice(2);
  await toGguf(folder, out, type);
  console.log(`wrote ${out} (${type})`);
}
