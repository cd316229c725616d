// Tensors shaped like transformers.js's (type, row-major dims, flat typed-array data) with its
// common methods, and the one reader of token ids that every model call goes through.
import { badInput, describeValue } from './errors.js';

const ARRAY_TYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Token ids cross into the wasm module as int32. */
export const MAX_TOKEN_ID = 2 ** 31 - 1;

/** torch.nn.functional.normalize's floor on the norm: a zero vector stays zero instead of NaN. */
const NORM_EPSILON = 1e-12;

const product = (dims) => dims.reduce((a, b) => a * b, 1);

/** Elements between neighbours along each dimension (row-major). */
function strides(dims) {
  const out = new Array(dims.length);
  for (let d = dims.length - 1, step = 1; d >= 0; step *= dims[d], d--) out[d] = step;
  return out;
}

/** `data` as a typed array of `type`; int64 takes integers (numbers or bigints) only. */
function toTypedArray(type, data) {
  const ArrayType = ARRAY_TYPES[type];
  if (data instanceof ArrayType) return data;
  if (type !== 'int64') return ArrayType.from(data, Number);
  return BigInt64Array.from(data, (value, index) => {
    if (typeof value === 'bigint' || Number.isSafeInteger(value)) return BigInt(value);
    throw badInput(`Tensor: int64 data[${index}] is ${describeValue(value)}; expected an integer (a number or a bigint)`);
  });
}

/** A dimension that may count from the end (-1 is the last), as an index in [0, rank). */
function dimensionIndex(dim, rank, method) {
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw badInput(`Tensor.${method}: dim ${describeValue(dim)} is out of range for a ${rank}-D Tensor (expected an integer in [${-rank}, ${rank - 1}])`);
  }
  return dim < 0 ? dim + rank : dim;
}

/**
 * An n-dimensional array, shaped like transformers.js's `Tensor`: `type`, `dims` (row-major) and a
 * flat typed-array `data`.
 *
 * @example
 * const t = new Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]);
 * t.tolist();               // [[1, 2], [3, 4]]
 * t.mean(1).tolist();       // [1.5, 3.5]
 * t.slice(null, 1).tolist(); // [2, 4]
 */
export class Tensor {
  /**
   * @param {keyof typeof ARRAY_TYPES} type
   * @param {ArrayLike<number|bigint>} data
   * @param {number[]} dims
   */
  constructor(type, data, dims) {
    if (!Object.hasOwn(ARRAY_TYPES, type)) {
      throw badInput(`Tensor: unknown type ${describeValue(type)} (expected one of ${Object.keys(ARRAY_TYPES).join(', ')})`);
    }
    if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      const shown = Array.isArray(dims) ? `[${dims.map(describeValue).join(', ')}]` : describeValue(dims);
      throw badInput(`Tensor: dims must be an array of non-negative integers, got ${shown}`);
    }
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
      throw badInput(`Tensor: data must be an array or a typed array, got ${describeValue(data)}`);
    }
    const size = product(dims);
    if (data.length !== size) throw badInput(`Tensor: dims [${dims}] need ${size} elements, data has ${data.length}`);
    this.type = type;
    this.data = toTypedArray(type, data);
    this.dims = [...dims];
  }

  get size() {
    return this.data.length;
  }

  /** Nested arrays following `dims` (bigints for int64, as transformers.js). */
  tolist() {
    const stride = strides(this.dims);
    const build = (offset, axis) => {
      if (axis === this.dims.length) return this.data[offset];
      return Array.from({ length: this.dims[axis] }, (_, i) => build(offset + i * stride[axis], axis + 1));
    };
    return build(0, 0);
  }

  #needsFloat(method) {
    if (this.type !== 'float32' && this.type !== 'float64') {
      throw badInput(`Tensor.${method}: needs a float32 or float64 Tensor, this one is ${this.type}`);
    }
  }

  /**
   * Sums term(x) along `dim` (an index in [0, rank)), the data viewed as (outer, dims[dim], inner):
   * the (outer, inner) sums in float64, the reduced dims (kept as 1 when `keepdim`), n and inner.
   */
  #reduce(dim, keepdim, term) {
    const n = this.dims[dim], inner = product(this.dims.slice(dim + 1)), outer = product(this.dims.slice(0, dim));
    const sums = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const row = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) sums[o * inner + i] += term(this.data[row + i]);
      }
    }
    const dims = keepdim ? this.dims.map((d, axis) => (axis === dim ? 1 : d)) : this.dims.filter((_, axis) => axis !== dim);
    return { sums, dims, n, inner };
  }

  /**
   * The mean of all elements (`dim` null: a 0-D Tensor), or along `dim` (negative counts from the
   * end), keeping it as size 1 when `keepdim`. As transformers.js's and torch's `mean`.
   *
   * @example
   * new Tensor('float32', [1, 2, 3, 4], [2, 2]).mean(0).tolist(); // [2, 3]
   */
  mean(dim = null, keepdim = false) {
    this.#needsFloat('mean');
    if (dim === null || dim === undefined) {
      let sum = 0;
      for (const value of this.data) sum += value;
      return new Tensor(this.type, [sum / this.size], keepdim ? this.dims.map(() => 1) : []);
    }
    const { sums, dims, n } = this.#reduce(dimensionIndex(dim, this.dims.length, 'mean'), keepdim, (x) => x);
    return new Tensor(this.type, sums.map((sum) => sum / n), dims);
  }

  /**
   * Lp-normalised along `dim` (default 1, as transformers.js): each vector divided by its p-norm
   * (at least 1e-12, as torch's F.normalize, so a zero vector stays zero).
   *
   * @example
   * new Tensor('float32', [3, 4], [1, 2]).normalize().tolist(); // [[0.6, 0.8]]
   */
  normalize(p = 2, dim = 1) {
    this.#needsFloat('normalize');
    if (typeof p !== 'number' || !(p > 0)) throw badInput(`Tensor.normalize: p must be a positive number, got ${describeValue(p)}`);
    const axis = dimensionIndex(dim, this.dims.length, 'normalize');
    const { sums, n, inner } = this.#reduce(axis, true, (x) => Math.abs(x) ** p);
    const norms = sums.map((sum) => Math.max(sum ** (1 / p), NORM_EPSILON));
    const out = this.data.slice();
    for (let index = 0; index < out.length; index++) {
      const outerIndex = Math.floor(index / (n * inner));
      out[index] /= norms[outerIndex * inner + (index % inner)];
    }
    return new Tensor(this.type, out, this.dims);
  }

  /**
   * A copy of part of the Tensor, as transformers.js's `slice`: one argument per leading dimension,
   * each a number (that index; the dimension goes), `[start, end]` (end exclusive; negative
   * counts from the end; null is the edge) or null/undefined (all of it).
   *
   * @example
   * const t = new Tensor('int32', [1, 2, 3, 4, 5, 6], [2, 3]);
   * t.slice(1).tolist();            // [4, 5, 6]
   * t.slice(null, [1, -1]).tolist(); // [[2], [5]]
   */
  slice(...slices) {
    const rank = this.dims.length;
    if (slices.length > rank) throw badInput(`Tensor.slice: ${slices.length} slices for a ${rank}-D Tensor`);
    const ranges = [], kept = [];
    this.dims.forEach((size, axis) => {
      const slice = slices[axis];
      if (slice === null || slice === undefined) {
        ranges.push([0, size]);
        kept.push(size);
      } else if (typeof slice === 'number') {
        const index = dimensionIndex(slice, size, 'slice');
        ranges.push([index, index + 1]);
      } else if (Array.isArray(slice) && slice.length === 2) {
        const edge = (value, fallback) => {
          if (value === null || value === undefined) return fallback;
          if (!Number.isInteger(value)) throw badInput(`Tensor.slice: dimension ${axis}: ${describeValue(value)} is not an integer`);
          return Math.min(Math.max(value < 0 ? value + size : value, 0), size);
        };
        const [start, end] = [edge(slice[0], 0), edge(slice[1], size)];
        if (start > end) throw badInput(`Tensor.slice: dimension ${axis}: [${slice}] starts after it ends`);
        ranges.push([start, end]);
        kept.push(end - start);
      } else {
        throw badInput(`Tensor.slice: dimension ${axis}: expected a number, [start, end] or null, got ${describeValue(slice)}`);
      }
    });
    const stride = strides(this.dims);
    const out = new this.data.constructor(product(kept));
    let written = 0;
    const copy = (axis, offset) => {
      if (axis === rank) {
        out[written++] = this.data[offset];
        return;
      }
      for (let i = ranges[axis][0]; i < ranges[axis][1]; i++) copy(axis + 1, offset + i * stride[axis]);
    };
    copy(0, 0);
    return new Tensor(this.type, out, kept);
  }
}

/**
 * The id `raw` as a number when it is an integer (number or bigint) in [0, limit), else -1. Ids
 * are never wrapped, truncated or converted from other types.
 */
function idValue(raw, limit) {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 && raw < limit ? raw : -1;
  if (typeof raw === 'bigint') return raw >= 0n && raw < BigInt(limit) ? Number(raw) : -1;
  return -1;
}

/**
 * A flat list of ids (a Tensor of any dims, a typed array or an array of numbers/bigints) as an
 * Int32Array, each an integer in [0, MAX_TOKEN_ID]; errors name `name`, the position and the value.
 */
export function toIdArray(value, name) {
  const values = value instanceof Tensor ? value.data : value;
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw badInput(`${name}: expected a Tensor or an array of token ids, got ${describeValue(value)}`);
  }
  const ids = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    ids[i] = idValue(values[i], MAX_TOKEN_ID + 1);
    if (ids[i] < 0) throw badInput(`${name}: position ${i} is ${describeValue(values[i])}; expected a token id (an integer in [0, ${MAX_TOKEN_ID}])`);
  }
  return ids;
}

const emptyRow = (name, row, masked) => badInput(`${name}: row ${row} has no tokens${masked ? ' (its attention_mask is all 0)' : ''}; ` +
  'every row needs at least one. A prompt that is empty after tokenization (such as \'\' with a tokenizer that adds ' +
  'no BOS token) gives such a row: pass some text.');

/**
 * Reads ids given as a Tensor ([batch, seq] or [seq]), nested arrays or a flat array into an
 * Int32Array with its [batch, seq] dims. Every value must be an integer in [0, `limit`) (said as
 * `expected` in errors, which name the row, the position and the value); bool Tensors only where
 * `allowBool` (masks). An empty batch or row is an error: the models read each row's last token.
 */
export function toIdMatrix(value, name, { limit = MAX_TOKEN_ID + 1, expected = `a token id (an integer in [0, ${MAX_TOKEN_ID}])`,
  allowBool = false } = {}) {
  let batch, seq, read;
  if (value instanceof Tensor) {
    if (value.type === 'bool' && !allowBool) throw badInput(`${name}: a bool Tensor holds no ids; pass an int64 Tensor, each value ${expected}`);
    if (value.dims.length !== 1 && value.dims.length !== 2) throw badInput(`${name}: expected dims [batch, seq] or [seq], got [${value.dims}]`);
    [batch, seq] = value.dims.length === 1 ? [1, value.dims[0]] : value.dims;
    read = (b, t) => value.data[b * seq + t];
  } else {
    if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
      throw badInput(`${name}: expected a Tensor or an array of ids (number[] or number[][]), got ${describeValue(value)}`);
    }
    const nested = value.length > 0 && typeof value[0] === 'object' && value[0] !== null;
    const rows = nested ? value : [value];
    rows.forEach((row, b) => {
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw badInput(`${name}: row ${b} is ${describeValue(row)}; expected an array of ids`);
      if (row.length > 0 && typeof row[0] === 'object' && row[0] !== null) {
        throw badInput(`${name}: expected [batch, seq] ids (at most 2 levels of arrays), got a deeper nesting at row ${b}`);
      }
      if (row.length !== rows[0].length) {
        throw badInput(`${name}: row ${b} has ${row.length} ids, row 0 has ${rows[0].length}: pad the batch (tokenizer(texts, { padding: true }))`);
      }
    });
    [batch, seq] = [rows.length, rows[0].length];
    read = (b, t) => rows[b][t];
  }
  if (batch === 0) throw badInput(`${name}: the batch is empty; expected at least one row of ids`);
  if (seq === 0) throw emptyRow(name, 0, false);
  const data = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const raw = read(b, t);
      const id = idValue(raw, limit);
      if (id < 0) throw badInput(`${name}: row ${b}, position ${t} is ${describeValue(raw)}; expected ${expected}`);
      data[b * seq + t] = id;
    }
  }
  return { data, dims: [batch, seq] };
}

/**
 * The inputs of a model call (`forward`, `generate`, `embed`), checked in the one place every path
 * goes through: `inputs` is { input_ids, attention_mask?, token_type_ids? } whose ids are in the
 * vocabulary, masks 0 or 1, all of input_ids' dims, and every row has a token to attend to.
 * `token_type_ids` is read only for models that have them (`type_vocab_size`).
 *
 * @returns {{ batch: number, seq: number, input_ids: Int32Array, attention_mask: Int32Array | null,
 *             token_type_ids: Int32Array | null }}
 */
export function readModelInputs(inputs, caller, { vocab_size, type_vocab_size = null }) {
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs) || ArrayBuffer.isView(inputs) || inputs instanceof Tensor) {
    throw badInput(`${caller}: expected an object { input_ids, attention_mask? }, got ${describeValue(inputs)}; ` +
      `text is tokenized first (${caller}({ ...tokenizer(text) })), or use a pipeline`);
  }
  const { input_ids, attention_mask, token_type_ids } = inputs;
  if (input_ids === undefined || input_ids === null) throw badInput(`${caller}: input_ids is missing; expected { input_ids, attention_mask? }`);
  const ids = toIdMatrix(input_ids, 'input_ids', { limit: vocab_size, expected: `a token id in [0, ${vocab_size}) (the model's vocab_size)` });
  const [batch, seq] = ids.dims;
  const alongside = (value, name, rule) => {
    if (value === undefined || value === null) return null;
    const read = toIdMatrix(value, name, rule);
    if (read.dims[0] !== batch || read.dims[1] !== seq) throw badInput(`${name}: dims [${read.dims}] must equal input_ids dims [${ids.dims}]`);
    return read.data;
  };
  const mask = alongside(attention_mask, 'attention_mask', { limit: 2, expected: '0 or 1', allowBool: true });
  for (let b = 0; mask && b < batch; b++) {
    if (!mask.subarray(b * seq, (b + 1) * seq).includes(1)) throw emptyRow('input_ids', b, true);
  }
  const types = type_vocab_size === null ? null
    : alongside(token_type_ids, 'token_type_ids', { limit: type_vocab_size, expected: `a token type id in [0, ${type_vocab_size}) (type_vocab_size)` });
  return { batch, seq, input_ids: ids.data, attention_mask: mask, token_type_ids: types };
}
