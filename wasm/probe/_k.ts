import { conv2d, randomNormal, convGeometry } from '../../src/index.js';
const shapes: [number[], number[]][] = [
  [[1, 7, 7, 2048], [1, 1, 2048, 512]],
  [[1, 7, 7, 512], [1, 1, 512, 2048]],
  [[1, 14, 14, 1024], [1, 1, 1024, 256]],
  [[1, 14, 14, 256], [1, 1, 256, 1024]],
  [[1, 56, 56, 256], [1, 1, 256, 64]],
  [[1, 56, 56, 64], [1, 1, 64, 256]],
  [[1, 112, 112, 16], [1, 1, 16, 96]],
];
for (const [xs, ws] of shapes) {
  const x = randomNormal(xs, { seed: 1 });
  const w = randomNormal(ws, { seed: 2 });
  const f = convGeometry('conv2d', xs, ws, {}).flops;
  for (let r = 0; r < 5; r++) conv2d(x, w, { algorithm: 'igemm', threads: 1 });
  const t: number[] = [];
  for (let r = 0; r < 21; r++) { const t0 = performance.now(); conv2d(x, w, { algorithm: 'igemm', threads: 1 }); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  console.log(xs.join('x'), ws.join('x'), t[10].toFixed(3), 'ms', (f / t[10] / 1e6).toFixed(1), 'GFLOP/s', 'min', (f / t[0] / 1e6).toFixed(1));
}
