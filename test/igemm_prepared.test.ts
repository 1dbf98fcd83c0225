/**
 * igemm's prepared layouts and indirection tables (prepareIgemm): a network's igemm layers come round
 * in turn on every predict, so the cache must hold all of them (it once held 8, and every predict of
 * MobileNetV2 rebuilt its 25 tables); a geometry object is a key of its own, checked against the
 * shapes its entry was built for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry } from '../src/geometry.js';
import { prepareIgemm } from '../src/algorithms/igemm.js';

/** 1x1 and 3x3 layers of different channel counts: 30 distinct igemm geometries. */
function geometries(): ConvGeometry[] {
  const list: ConvGeometry[] = [];
  for (let i = 0; i < 15; i++) {
    list.push(convGeometry('conv2d', [1, 14, 14, 16 + 8 * i], [1, 1, 16 + 8 * i, 24], {}));
    list.push(convGeometry('conv2d', [1, 9, 11, 8], [3, 3, 8, 8 + 4 * i], { padding: 'SAME' }));
  }
  return list;
}

test("a network's worth of geometries in turn: the second round finds every entry of the first", () => {
  const layers = geometries();
  for (const inPlace of [false, true]) {
    const first = layers.map((g) => prepareIgemm(g, inPlace));
    const second = layers.map((g) => prepareIgemm(g, inPlace));
    second.forEach((entry, i) => assert.equal(entry, first[i], `layer ${i}, in place ${inPlace}`));
    // New geometry objects of the same shapes (another model, or a plan for another batch) share them.
    const again = geometries().map((g) => prepareIgemm(g, inPlace));
    again.forEach((entry, i) =>
      assert.equal(entry, first[i], `same shapes, layer ${i}, in place ${inPlace}`),
    );
  }
});

test('a geometry object changed after its entry was made gets the entry of its new shapes', () => {
  const g = convGeometry('conv2d', [1, 10, 10, 8], [3, 3, 8, 16], { padding: 'SAME' });
  const before = prepareIgemm(g);
  const other = convGeometry('conv2d', [1, 7, 12, 8], [3, 3, 8, 16], { padding: 'VALID', strides: 2 });
  Object.assign(g, other);
  const after = prepareIgemm(g);
  const fresh = prepareIgemm(
    convGeometry('conv2d', [1, 7, 12, 8], [3, 3, 8, 16], { padding: 'VALID', strides: 2 }),
  );
  assert.notEqual(after, before);
  assert.deepEqual(after.table, fresh.table);
  assert.deepEqual(after.layout, fresh.layout);
});
