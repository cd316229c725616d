// Comparisons against the oracle references (tests/fixtures/ORACLE_README.md), for the tests in
// Node and in browsers alike: pure ESM, no dependencies.
//
// The oracle's rule for logits, hidden states and embeddings: a correct float32 implementation
// has  max |actual - reference| ≤ 1e-4 × max(1, max |reference|);  padded batch logits are
// compared only where the attention mask is 1.

/** Relative scale of the oracle's tolerance. */
export const ORACLE_RTOL = 1e-4;

/**
 * Which elements take part. `mask` is either a function of the flat element index, or an
 * array-like (numbers, bigints or booleans) whose length divides the data's: each of its entries
 * then covers `data.length / mask.length` consecutive elements, so an attention mask [B, T]
 * selects the rows of logits [B, T, V]. Nonzero entries (1) select, zeros skip.
 */
function selector(mask, length) {
  if (mask === undefined || mask === null) return () => true;
  if (typeof mask === 'function') return mask;
  if (mask.length === 0 || length % mask.length !== 0) {
    throw new RangeError(`mask: ${mask.length} entries do not divide ${length} elements`);
  }
  const inner = length / mask.length;
  return (i) => Number(mask[Math.floor(i / inner)]) !== 0;
}

function checkLengths(actual, reference) {
  if (actual.length !== reference.length) {
    throw new RangeError(`compare: actual has ${actual.length} elements, reference ${reference.length}`);
  }
}

/**
 * Largest |actual[i] - reference[i]| over the selected elements (NaN if either side holds a NaN
 * there; 0 when nothing is selected).
 *
 * @example
 * maxAbsDiff(new Float32Array([1, 2, 3]), [1, 2.5, 3]); // 0.5
 * maxAbsDiff([1, 2, 3, 4], [1, 2, 0, 0], [1, 0]);        // 0   (only the first half is compared)
 *
 * @param {ArrayLike<number|bigint>} actual
 * @param {ArrayLike<number|bigint>} reference
 * @param {((i: number) => boolean) | ArrayLike<number|bigint|boolean>} [mask]
 */
export function maxAbsDiff(actual, reference, mask) {
  checkLengths(actual, reference);
  const selected = selector(mask, actual.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!selected(i)) continue;
    const d = Math.abs(Number(actual[i]) - Number(reference[i]));
    if (Number.isNaN(d)) return NaN;
    if (d > max) max = d;
  }
  return max;
}

/**
 * The oracle's tolerance test. `maxAbsReference` is taken over the selected elements only (the
 * values under a zero mask are artefacts and take no part), so masked comparisons are never
 * looser than the rule. A NaN anywhere selected fails. `index` is where the largest difference
 * is (-1 when nothing is selected).
 *
 * @example
 * const r = withinTolerance(logits.data, reference.data);
 * // { ok: true, maxAbsDiff: 3.1e-6, tolerance: 0.00134, maxAbsReference: 13.4, index: 5071, compared: 6144 }
 * withinTolerance(batch.logits.data, batchReference.data, batchMask.data); // mask [B, T] over logits [B, T, V]
 *
 * @param {ArrayLike<number|bigint>} actual
 * @param {ArrayLike<number|bigint>} reference
 * @param {((i: number) => boolean) | ArrayLike<number|bigint|boolean>} [mask]
 * @param {{ rtol?: number }} [options] rtol: the relative scale, 1e-4 by default
 * @returns {{ ok: boolean, maxAbsDiff: number, tolerance: number, maxAbsReference: number, index: number, compared: number }}
 */
export function withinTolerance(actual, reference, mask, { rtol = ORACLE_RTOL } = {}) {
  checkLengths(actual, reference);
  const selected = selector(mask, actual.length);
  let maxDiff = 0, maxRef = 0, index = -1, compared = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!selected(i)) continue;
    compared++;
    const a = Number(actual[i]), r = Number(reference[i]);
    const d = Math.abs(a - r);
    if (Math.abs(r) > maxRef) maxRef = Math.abs(r);
    if (Number.isNaN(d)) {
      if (!Number.isNaN(maxDiff)) index = i; // the first NaN is the one reported
      maxDiff = NaN;
    } else if (!Number.isNaN(maxDiff) && (index === -1 || d > maxDiff)) {
      maxDiff = d;
      index = i;
    }
  }
  const tolerance = rtol * Math.max(1, maxRef);
  return { ok: maxDiff <= tolerance, maxAbsDiff: maxDiff, tolerance, maxAbsReference: maxRef, index, compared };
}

/**
 * Index of the first element where two id sequences differ, or -1 when they are equal (numbers
 * and bigints compare by value; different lengths differ at the shorter length).
 *
 * @example
 * firstMismatch(new BigInt64Array([1n, 5n, 7n]), [1, 5, 8]); // 2
 */
export function firstMismatch(actual, reference) {
  const n = Math.min(actual.length, reference.length);
  for (let i = 0; i < n; i++) if (Number(actual[i]) !== Number(reference[i])) return i;
  return actual.length === reference.length ? -1 : n;
}
