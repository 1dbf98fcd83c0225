/**
 * Probe: the float32 rounding error of Winograd F(m, r) for a choice of interpolation points, before
 * writing any kernel. Emulates the whole pipeline on random 2-D tiles in float32 (Math.fround after
 * every operation: B^T d B, the elementwise products summed over K channels, A^T M A; G g G^T in
 * float64, rounded once, as convkit does) and prints max |err| / max |exact| against float64. The
 * tables are the Toom-Cook construction of src/kernels/winograd_matrices.ts, unscaled.
 *
 *   node --import tsx wasm/probe/winograd_float32.ts [K=256] [trials=10]
 *
 * It is how F(7x7, 3x3) was ruled out: with 64 channels and 30 tiles every candidate eighth point gives
 * 1.1e-4 to 2.1e-4, over the 1e-4 bound, where F(6x6, 3x3) gives 8.4e-6 (the emulation reads about 2x
 * below the kernels' measured error).
 */
const f = Math.fround;
const K = Number(process.argv[2] ?? 256);
const TRIALS = Number(process.argv[3] ?? 10);

function polyMul(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j] += x * y)));
  return out;
}

/** Coefficients of the product of (x - p) over the points except index `skip`. */
function residue(points: number[], skip: number): number[] {
  return points.reduce((p, q, j) => (j === skip ? p : polyMul(p, [-q, 1])), [1]);
}

function tables(points: number[], m: number) {
  const n = points.length;
  const alpha = n + 1;
  const r = alpha - m + 1;
  const BT: number[][] = [];
  const G: number[][] = [];
  const AT = Array.from({ length: m }, () => new Array<number>(alpha).fill(0));
  for (let i = 0; i < n; i++) {
    BT.push([...residue(points, i), 0]);
    const N = residue(points, i).reduce((s, c, e) => s + c * points[i] ** e, 0);
    G.push(Array.from({ length: r }, (_, e) => points[i] ** e / N));
    for (let o = 0; o < m; o++) AT[o][i] = points[i] ** o;
  }
  BT.push(residue(points, -1));
  G.push(Array.from({ length: r }, (_, e) => (e === r - 1 ? 1 : 0)));
  AT[m - 1][n] = 1;
  return { BT, G, AT, alpha, r };
}

let seed = 7;
function normal(): number {
  const u = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) + 1) / 2 ** 32;
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** M v with float32 rounding after each multiply and add. */
function apply32(M: number[][], v: number[]): number[] {
  return M.map((row) => row.reduce((s, c, i) => (c === 0 ? s : f(s + f(f(c) * v[i]))), 0));
}

const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));

function relativeError(points: number[], m: number): number {
  const { BT, G, AT, alpha, r } = tables(points, m);
  let [worst, scale] = [0, 0];
  for (let t = 0; t < TRIALS; t++) {
    const acc = Array.from({ length: alpha }, () => new Array<number>(alpha).fill(0));
    const exact = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    for (let k = 0; k < K; k++) {
      const d = Array.from({ length: alpha }, () => Array.from({ length: alpha }, () => f(normal())));
      const g = Array.from({ length: r }, () => Array.from({ length: r }, () => f(normal())));
      const V = transpose(transpose(d).map((col) => apply32(BT, col))).map((row) => apply32(BT, row));
      const Gg = G.map((row) => g[0].map((_, x) => row.reduce((s, c, y) => s + c * g[y][x], 0)));
      const U = Gg.map((row) => G.map((gr) => f(gr.reduce((s, c, x) => s + c * row[x], 0))));
      for (let i = 0; i < alpha; i++)
        for (let j = 0; j < alpha; j++) acc[i][j] = f(acc[i][j] + f(V[i][j] * U[i][j]));
      for (let o = 0; o < m; o++) {
        for (let c = 0; c < m; c++) {
          for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) exact[o][c] += d[o + a][c + b] * g[a][b];
        }
      }
    }
    const Y = transpose(transpose(acc).map((col) => apply32(AT, col))).map((row) => apply32(AT, row));
    for (let o = 0; o < m; o++) {
      for (let c = 0; c < m; c++) {
        worst = Math.max(worst, Math.abs(Y[o][c] - exact[o][c]));
        scale = Math.max(scale, Math.abs(exact[o][c]));
      }
    }
  }
  return worst / scale;
}

const F6 = [0, 1, -1, 2, -2, 0.5, -0.5];
const CANDIDATES: [string, number[], number][] = [
  ['F(4,3)', [0, 1, -1, 2, -2], 4],
  ['F(6,3)', F6, 6],
  ...[3, 4, 1.5, 0.25, -0.25].map((p): [string, number[], number] => [`F(7,3) +${p}`, [...F6, p], 7]),
  ['F(5,2)', [0, 1, -1, 2, -2], 5],
  ['F(7,2)', F6, 7],
];
console.log(`float32 emulation, ${K} channels, ${TRIALS} tiles: max|err| / max|exact|`);
for (const [name, points, m] of CANDIDATES) {
  console.log(`${name.padEnd(16)} ${relativeError(points, m).toExponential(2)}`);
}
