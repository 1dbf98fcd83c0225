import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor,
  tensor,
  zeros,
  randomNormal,
  InvalidArgumentError,
  ResourceExhaustedError,
} from '../src/index.js';

test('tensor infers the shape of nested arrays and copies the values', () => {
  const source = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const t = tensor(source);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...t.data], [1, 2, 3, 4, 5, 6]);
  source[0][0] = 99;
  assert.equal(t.data[0], 1);
  assert.deepEqual(t.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
});

test('tensor lays flat values and typed arrays out in the given shape', () => {
  const data = new Float32Array([1, 2, 3, 4]);
  const t = tensor(data, [2, 2]);
  data[0] = 7;
  assert.equal(t.data[0], 1, 'typed arrays are copied');
  assert.deepEqual(t.toArray(), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(tensor([1, 2, 3]).shape, [3]);
});

test('a number is a scalar, or fills a given shape', () => {
  const s = tensor(3.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.toArray(), 3.5);
  assert.deepEqual([...tensor(2, [2, 2]).data], [2, 2, 2, 2]);
});

test('shape is frozen and values are float32', () => {
  const t = tensor([0.1]);
  assert.throws(() => (t.shape as number[]).push(2));
  assert.equal(t.data[0], Math.fround(0.1));
});

test('reshape infers one -1 and keeps the values, without sharing memory', () => {
  const t = tensor([1, 2, 3, 4, 5, 6]);
  const r = t.reshape([3, -1]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.notEqual(r.data, t.data);
  assert.deepEqual([...r.data], [...t.data]);
  assert.throws(() => t.reshape([4, -1]), /reshape: shape \[4,-1\] cannot hold the 6 values of shape \[6\]/);
  assert.throws(() => t.reshape([4, 2]), /holds 8 values but the tensor of shape \[6\] has 6/);
  assert.throws(() => t.reshape([-1, -1]), InvalidArgumentError);
});

test('zeros and empty shapes', () => {
  assert.deepEqual([...zeros([2, 3]).data], [0, 0, 0, 0, 0, 0]);
  const empty = zeros([0, 3]);
  assert.equal(empty.size, 0);
  assert.deepEqual(empty.toArray(), []);
  assert.deepEqual(zeros([2, 0]).toArray(), [[], []]);
});

test('randomNormal is repeatable with a seed and has the requested moments', () => {
  const a = randomNormal([10000], { seed: 42, mean: 2, stddev: 3 });
  const b = randomNormal([10000], { seed: 42, mean: 2, stddev: 3 });
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(randomNormal([10], { seed: 43 }).data, randomNormal([10], { seed: 42 }).data);
  const mean = a.data.reduce((s, v) => s + v, 0) / a.size;
  const variance = a.data.reduce((s, v) => s + (v - mean) ** 2, 0) / a.size;
  assert.ok(Math.abs(mean - 2) < 0.1, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(variance) - 3) < 0.1, `stddev ${Math.sqrt(variance)}`);
  assert.equal(randomNormal([3], { seed: 1 }).size, 3, 'odd sizes are filled');
});

test('bad tensor input is refused with the argument and value named', () => {
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /tensor: shape \[2,2\] needs 4 values but 3 were given/);
  assert.throws(() => tensor([[1, 2], [3]]), /rectangular nested array/);
  assert.throws(
    () => tensor([1, 'a' as unknown as number]),
    /tensor: values must be numbers, found "a" at index 1/,
  );
  assert.throws(() => tensor([[1], ['x' as unknown as number]]), /found "x" at index \[1,0\]/);
  assert.throws(() => tensor(null as unknown as number), /tensor: values must be a number/);
  assert.throws(() => zeros([2, NaN]), /zeros: shape must contain non-negative integers, got \[2,NaN\]/);
  assert.throws(() => zeros([Infinity]), /got \[Infinity\]/);
  assert.throws(() => zeros([-1]), InvalidArgumentError);
  assert.throws(() => zeros([1.5]), InvalidArgumentError);
  assert.throws(() => zeros([65536, 65536]), ResourceExhaustedError);
  assert.throws(
    () => randomNormal([2], { stddev: -1 }),
    /randomNormal: stddev must be a finite number >= 0, got -1/,
  );
  assert.throws(() => new Tensor(new Float32Array(3), [2, 2]), /data has 3 values but shape \[2,2\] needs 4/);
});

test('NaN and Infinity values are kept', () => {
  const t = tensor([NaN, Infinity, -Infinity]);
  assert.ok(Number.isNaN(t.data[0]), 'Number.isNaN(t.data[0])');
  assert.equal(t.data[1], Infinity);
  assert.equal(t.toString(), '[ nan  inf -inf]');
});

test('new Tensor refuses data that is not a Float32Array (a GPU upload would read its bytes as float32)', () => {
  for (const data of [new Float64Array(3), new Int32Array(3), [1, 2, 3], new Uint8Array(12)]) {
    assert.throws(
      () => new Tensor(data as never, [3]),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /Tensor: data must be a Float32Array/.test(e.message),
      `data ${Object.prototype.toString.call(data)}`,
    );
  }
  assert.equal(new Tensor(new Float32Array(3), [3]).size, 3, 'a Float32Array is taken');
});
