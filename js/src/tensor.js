const ARRAY_TYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * An n-dimensional array, shaped like transformers.js's `Tensor`: `type`, `dims` (row-major) and a
 * flat typed-array `data`.
 *
 * @example
 * const t = new Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]);
 * t.tolist(); // [[1, 2], [3, 4]]
 */
export class Tensor {
  /**
   * @param {keyof typeof ARRAY_TYPES} type
   * @param {ArrayLike<number|bigint>} data
   * @param {number[]} dims
   */
  constructor(type, data, dims) {
    const ArrayType = ARRAY_TYPES[type];
    if (!ArrayType) throw new TypeError(`Tensor: unknown type '${type}' (expected one of ${Object.keys(ARRAY_TYPES).join(', ')})`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new RangeError(`Tensor: dims [${dims}] need ${size} elements, data has ${data.length}`);
    this.type = type;
    this.data = data instanceof ArrayType ? data : ArrayType.from(data, type === 'int64' ? (x) => BigInt(x) : undefined);
    this.dims = [...dims];
  }

  get size() {
    return this.data.length;
  }

  /** Nested arrays following `dims`. */
  tolist() {
    const build = (offset, axis) => {
      if (axis === this.dims.length) return this.data[offset];
      const stride = this.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.dims[axis] }, (_, i) => build(offset + i * stride, axis + 1));
    };
    return this.dims.length === 0 ? this.data[0] : build(0, 0);
  }
}

/**
 * Reads token ids given as a Tensor, nested arrays or a flat array into an Int32Array with its
 * [batch, seq] dims; `name` labels errors.
 */
export function toIdMatrix(value, name) {
  if (value instanceof Tensor) {
    if (value.dims.length !== 2 && value.dims.length !== 1) throw new RangeError(`${name}: expected dims [batch, seq], got [${value.dims}]`);
    const dims = value.dims.length === 1 ? [1, value.dims[0]] : value.dims;
    return { data: Int32Array.from(value.data, Number), dims };
  }
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new TypeError(`${name}: expected a Tensor or an array of token ids`);
  const rows = Array.isArray(value[0]) || ArrayBuffer.isView(value[0]) ? value : [value];
  const seq = rows[0]?.length ?? 0;
  if (rows.length === 0 || seq === 0) throw new RangeError(`${name}: must not be empty`);
  const data = new Int32Array(rows.length * seq);
  rows.forEach((row, b) => {
    if (row.length !== seq) throw new RangeError(`${name}: row ${b} has ${row.length} ids, row 0 has ${seq} (pad the batch)`);
    for (let t = 0; t < seq; t++) {
      const id = Number(row[t]);
      if (!Number.isInteger(id)) throw new TypeError(`${name}: row ${b}, position ${t} is ${row[t]}, not an integer`);
      data[b * seq + t] = id;
    }
  });
  return { data, dims: [rows.length, seq] };
}
