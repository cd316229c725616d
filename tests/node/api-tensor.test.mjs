// Tensor as transformers.js users know it: mean, slice, normalize and tolist with its semantics
// (checked against values worked out by hand, and against torch's where transformers.js follows
// it), and a constructor that refuses what it cannot hold with a WaxError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Tensor, WaxError } from '../../js/src/index.js';

// [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12 … 15], [16 … 19], [20 … 23]]]
const cube = () => new Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
const close = (actual, expected, digits = 5) => assert.deepEqual(
  JSON.parse(JSON.stringify(actual, (_, v) => (typeof v === 'number' ? Number(v.toFixed(digits)) : v))), expected);
const badInput = (pattern) => (error) => error instanceof WaxError && error.code === 'WAX_BAD_INPUT' && pattern.test(error.message);

describe('Tensor', () => {
  it('tolist nests by dims and gives bigints for int64, as transformers.js', () => {
    assert.deepEqual(new Tensor('int32', [1, 2, 3, 4, 5, 6], [2, 3]).tolist(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(new Tensor('int64', [1, 2], [1, 2]).tolist(), [[1n, 2n]]);
    assert.equal(new Tensor('float32', [7], []).tolist(), 7);
    assert.deepEqual(new Tensor('float32', [], [2, 0]).tolist(), [[], []]);
  });

  it('mean over everything, a dimension (negative counts from the end) and with keepdim', () => {
    const t = cube();
    assert.deepEqual(t.mean().dims, []);
    assert.equal(t.mean().tolist(), 11.5);
    assert.deepEqual(t.mean(0).dims, [3, 4]);
    assert.deepEqual(t.mean(0).tolist(), [[6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17]]);
    assert.deepEqual(t.mean(1).tolist(), [[4, 5, 6, 7], [16, 17, 18, 19]]);
    assert.deepEqual(t.mean(-1).tolist(), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
    assert.deepEqual(t.mean(-1, true).dims, [2, 3, 1]);
    assert.equal(t.mean(2).type, 'float32');
    assert.throws(() => t.mean(3), badInput(/Tensor\.mean: dim 3 is out of range for a 3-D Tensor/));
    assert.throws(() => new Tensor('int64', [1, 2], [2]).mean(), badInput(/mean: needs a float32 or float64 Tensor, this one is int64/));
  });

  it('slice takes numbers (the dimension goes), [start, end] with negatives and nulls, and null, as transformers.js', () => {
    const m = new Tensor('int32', Int32Array.from({ length: 28 }, (_, i) => i + 1), [4, 7]);
    // transformers.js's own example: the second to the second-last of each.
    assert.deepEqual(m.slice([1, -1], [1, -1]).tolist(), [[9, 10, 11, 12, 13], [16, 17, 18, 19, 20]]);
    assert.deepEqual(m.slice(1).tolist(), [8, 9, 10, 11, 12, 13, 14]);
    assert.deepEqual(m.slice(-1, -1).tolist(), 28);
    assert.deepEqual(m.slice(null, 0).tolist(), [1, 8, 15, 22]);
    assert.deepEqual(m.slice([2, null]).dims, [2, 7]);
    assert.deepEqual(m.slice([null, 1], [5, 100]).tolist(), [[6, 7]]);
    assert.deepEqual(m.slice([3, 3]).dims, [0, 7]);
    const t = cube();
    assert.deepEqual(t.slice(null, -1).tolist(), [[8, 9, 10, 11], [20, 21, 22, 23]]);
    assert.deepEqual(t.slice(1, [0, 2], [1, 3]).tolist(), [[13, 14], [17, 18]]);
    assert.equal(t.slice(0).type, 'float32');
    const ids = new Tensor('int64', [1, 2, 3], [1, 3]);
    assert.deepEqual(ids.slice(null, [1, null]).tolist(), [[2n, 3n]]);
    assert.throws(() => m.slice(4), badInput(/dim 4 is out of range/));
    assert.throws(() => m.slice([3, 1]), badInput(/\[3,1\] starts after it ends/));
    assert.throws(() => m.slice('a'), badInput(/expected a number, \[start, end\] or null, got "a"/));
    assert.throws(() => m.slice(0, 0, 0), badInput(/3 slices for a 2-D Tensor/));
  });

  it('normalize is Lp along a dimension (p = 2, dim = 1 by default), a zero vector staying zero as in torch', () => {
    const rows = new Tensor('float32', [3, 4, 0, 0, 1, 1], [3, 2]);
    close(rows.normalize().tolist(), [[0.6, 0.8], [0, 0], [0.70711, 0.70711]]);
    close(rows.normalize(1).tolist(), [[0.42857, 0.57143], [0, 0], [0.5, 0.5]]);
    close(rows.normalize(2, 0).tolist(), [[0.94868, 0.97014], [0, 0], [0.31623, 0.24254]]);
    const t = cube().normalize(2, -1);
    for (const row of t.tolist().flat()) close(Math.hypot(...row), 1);
    assert.throws(() => rows.normalize(0), badInput(/p must be a positive number, got 0/));
    assert.throws(() => new Tensor('int32', [1], [1, 1]).normalize(), badInput(/normalize: needs a float32/));
  });

  it('the constructor refuses a type, dims or data it cannot hold with a WaxError', () => {
    assert.throws(() => new Tensor('int65', [1], [1]), badInput(/unknown type "int65" \(expected one of float32/));
    assert.throws(() => new Tensor('int32', [1, 2], [2, -1]), badInput(/dims must be an array of non-negative integers, got \[2, -1\]/));
    assert.throws(() => new Tensor('int32', [1, 2], [1.5]), badInput(/dims must be/));
    assert.throws(() => new Tensor('int32', [1, 2], '2'), badInput(/dims must be .* got "2"/));
    assert.throws(() => new Tensor('int32', [1, 2, 3], [2, 2]), badInput(/dims \[2,2\] need 4 elements, data has 3/));
    assert.throws(() => new Tensor('int32', 5, [1]), badInput(/data must be an array or a typed array, got 5/));
    assert.throws(() => new Tensor('int64', [1, 1.5], [2]), badInput(/int64 data\[1\] is 1\.5; expected an integer/));
    assert.deepEqual(new Tensor('int64', [1, 2n], [2]).data, BigInt64Array.from([1n, 2n]));
  });
});
