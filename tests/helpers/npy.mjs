// A reader for numpy's .npy files (format versions 1, 2 and 3), for the tests in Node and in
// browsers alike: pure ESM, no dependencies, no Node built-ins.
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//   magic "\x93NUMPY", major, minor, header length (uint16 LE in v1, uint32 LE in v2/v3),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (1, 12), } padded
//   with spaces to a multiple of 64 bytes, then the array's bytes.
// Only little-endian (or one-byte) dtypes in C order are read; anything else is an Error that
// names what was found.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** descr → the typed array that holds it. '<' is little endian, '|' "not applicable" (one byte). */
const DTYPES = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i8': BigInt64Array,
  '<i4': Int32Array,
  '|b1': Uint8Array,
  '|u1': Uint8Array,
};

/**
 * Parses a .npy file.
 *
 * `data` is a view over the input's bytes when they are suitably aligned (the usual case, as
 * numpy pads the header to 64 bytes) and a copy otherwise; copy it yourself before mutating
 * the input. Booleans ('|b1') come back as 0/1 bytes. A 0-d array has `dims` [] and one element.
 *
 * @example
 * // Node
 * import { readFile } from 'node:fs/promises';
 * const { dims, data } = readNpy(await readFile('tests/fixtures/llama_gqa_tied/input_ids.npy'));
 * dims;            // [1, 12]
 * data.constructor; // BigInt64Array
 * // Browser
 * const logits = readNpy(await (await fetch('/tests/fixtures/llama_gqa_tied/logits.npy')).arrayBuffer());
 * logits.dims;     // [1, 12, 512]  (data: Float32Array)
 *
 * @param {ArrayBuffer | ArrayBufferView} input the whole file (a Node Buffer is a Uint8Array)
 * @returns {{ dims: number[], data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array, descr: string }}
 */
export function readNpy(input) {
  const bytes = input instanceof ArrayBuffer
    ? new Uint8Array(input)
    : ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : null;
  if (!bytes) throw new TypeError(`readNpy: expected an ArrayBuffer or a Uint8Array, got ${Object.prototype.toString.call(input)}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error('readNpy: not a .npy file (it does not start with "\\x93NUMPY")');
  }

  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart, headerLength;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error('readNpy: file ends inside the header length');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new Error(`readNpy: format version ${major}.${bytes[7]} is not supported (expected 1.x, 2.x or 3.x)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new Error(`readNpy: the header claims ${headerLength} bytes but the file has only ${bytes.length - headerStart} after it`);
  }
  // v1/v2 headers are latin-1, v3 headers UTF-8; the fields we read are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, dims } = parseHeader(header);

  const ArrayType = DTYPES[descr];
  if (!ArrayType) {
    throw new Error(`readNpy: dtype '${descr}' is not supported (expected one of ${Object.keys(DTYPES).join(', ')})`);
  }
  if (fortranOrder && dims.filter((d) => d > 1).length > 1) {
    throw new Error(`readNpy: Fortran-order arrays are not supported (shape [${dims}]); save with numpy.ascontiguousarray`);
  }

  const count = dims.reduce((a, b) => a * b, 1);
  const byteLength = count * ArrayType.BYTES_PER_ELEMENT;
  if (dataStart + byteLength > bytes.length) {
    throw new Error(`readNpy: shape [${dims}] of '${descr}' needs ${byteLength} data bytes, the file holds ${bytes.length - dataStart}`);
  }
  const offset = bytes.byteOffset + dataStart;
  const data = offset % ArrayType.BYTES_PER_ELEMENT === 0
    ? new ArrayType(bytes.buffer, offset, count)
    : new ArrayType(bytes.slice(dataStart, dataStart + byteLength).buffer);
  return { dims, data, descr };
}

/** Reads 'descr', 'fortran_order' and 'shape' out of the header's Python dict literal. */
function parseHeader(header) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new Error(`readNpy: header lacks 'descr', 'fortran_order' or 'shape': ${header.trim()}`);
  }
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const d = Number(s.replace(/L$/, '')); // Python 2 wrote longs as 12L
    if (!Number.isInteger(d) || d < 0) throw new Error(`readNpy: bad shape (${shape}) in header`);
    return d;
  });
  return { descr, fortranOrder: fortran === 'True', dims };
}
