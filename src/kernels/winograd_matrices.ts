/**
 * The Winograd (Toom-Cook) matrices of F(m x m, r x r): m x m outputs of an r x r correlation from one
 * alpha x alpha input tile, alpha = m + r - 1, with alpha x alpha multiplications instead of r^2 m^2.
 * r = 3 for 3x3 filters (m = 2, 4, 5, 6); r = 4 and 5 with m = 4 for 4x4 and 5x5 filters; r = 2 with
 * m = 5 for the 2x2 filters that 3x3 and 4x4 stride-2 filters become after space-to-depth
 * (src/algorithms/space_to_depth.ts; a 7x7 one becomes 4x4).
 *
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A        g: r x r filter, d: alpha x alpha tile, (.) elementwise
 *
 * Derivation (1-D, F(m, r); the 2-D form nests it). Take n = alpha - 1 distinct finite points p_i and the
 * point at infinity. With M(x) = prod_j (x - p_j), M_i(x) = M(x) / (x - p_i) and N_i = M_i(p_i):
 *   - row i < n of B^T holds the coefficients of M_i(x), lowest power first (padded with a 0), and the
 *     last row holds those of M(x): the input is "evaluated" through the residues. B^T depends on the
 *     points only, so F(4,4) and F(5,3) (the same 6 points) share it, and their input transform;
 *   - row i < n of G is [1, p_i, ..., p_i^(r-1)] / N_i (the filter polynomial evaluated at p_i, with the
 *     CRT weight folded in), and the last row is [0, ..., 0, 1] (the leading coefficient: the point at
 *     infinity);
 *   - column i < n of A^T is [1, p_i, p_i^2, ..., p_i^(m-1)] and the last column is [0, ..., 0, 1].
 * Any row of B^T may be scaled by s if the same row of G (or column of A^T) is divided by s; the tables
 * below use the scalings that give small integers in B^T (as Lavin & Gray and NNPACK do); F(2,3) keeps
 * the sign of its last row of B^T (-M(x)) in the last column of A^T.
 *
 * Points: F(2,3): 0, 1, -1. F(4,3): 0, 1, -1, 2, -2. F(5,3): 0, 1, -1, 2, -2, 1/2.
 * F(6,3): 0, 1, -1, 2, -2, 1/2, -1/2. Small integers and fractions exact in binary (1/2, 1/4, 21/4,
 * 17/4, ...) are the only constants in B^T and A^T, so the input and output transforms in
 * wasm/assembly/winograd.ts round only in their additions. G (1/6, 2/9, ...) is applied once per
 * filter, in float64, and rounded to float32 once.
 *
 * test/winograd_matrices.test.ts checks, in float64, that every table computes the correlation exactly
 * (up to float64 rounding), and that each table is the construction above from its points.
 */

export interface WinogradMatrices {
  /** Outputs per tile side. */
  m: number;
  /** Filter taps per side. */
  r: number;
  /** Input tile side: m + r - 1. */
  alpha: number;
  /** The finite interpolation points, in the order of the rows of G (the point at infinity is last). */
  points: readonly number[];
  /** alpha x alpha: input transform (rows applied to a column of the tile). */
  BT: readonly (readonly number[])[];
  /** alpha x r: filter transform. */
  G: readonly (readonly number[])[];
  /** m x alpha: output transform. */
  AT: readonly (readonly number[])[];
}

export const WINOGRAD_F2: WinogradMatrices = {
  m: 2,
  r: 3,
  alpha: 4,
  points: [0, 1, -1],
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [1 / 2, 1 / 2, 1 / 2],
    [1 / 2, -1 / 2, 1 / 2],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

export const WINOGRAD_F4: WinogradMatrices = {
  m: 4,
  r: 3,
  alpha: 6,
  points: [0, 1, -1, 2, -2],
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** Points 0, +-1, +-2, 1/2: not symmetric, so B^T has no +- row pairs; rows scaled by 2 to integers. */
export const WINOGRAD_F5: WinogradMatrices = {
  m: 5,
  r: 3,
  alpha: 7,
  points: [0, 1, -1, 2, -2, 1 / 2],
  BT: [
    [-4, 8, 5, -10, -1, 2, 0],
    [0, 4, -4, -9, 1, 2, 0],
    [0, -4, 12, -7, -3, 2, 0],
    [0, 2, -3, -4, 3, 2, 0],
    [0, -2, 5, 0, -5, 2, 0],
    [0, 4, 0, -5, 0, 1, 0],
    [0, -4, 8, 5, -10, -1, 2],
  ],
  G: [
    [-1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [1 / 18, -1 / 18, 1 / 18],
    [1 / 72, 2 / 72, 4 / 72],
    [-1 / 120, 2 / 120, -4 / 120],
    [32 / 45, 16 / 45, 8 / 45],
    [0, 0, 1 / 2],
  ],
  AT: [
    [1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, 0],
    [0, 1, 1, 16, 16, 1 / 16, 1],
  ],
};

export const WINOGRAD_F6: WinogradMatrices = {
  m: 6,
  r: 3,
  alpha: 8,
  points: [0, 1, -1, 2, -2, 1 / 2, -1 / 2],
  BT: [
    [1, 0, -21 / 4, 0, 21 / 4, 0, -1, 0],
    [0, 1, 1, -17 / 4, -17 / 4, 1, 1, 0],
    [0, -1, 1, 17 / 4, -17 / 4, -1, 1, 0],
    [0, 1 / 2, 1 / 4, -5 / 2, -5 / 4, 2, 1, 0],
    [0, -1 / 2, 1 / 4, 5 / 2, -5 / 4, -2, 1, 0],
    [0, 2, 4, -5 / 2, -5, 1 / 2, 1, 0],
    [0, -2, 4, 5 / 2, -5, -1 / 2, 1, 0],
    [0, -1, 0, 21 / 4, 0, -21 / 4, 0, 1],
  ],
  G: [
    [1, 0, 0],
    [-2 / 9, -2 / 9, -2 / 9],
    [-2 / 9, 2 / 9, -2 / 9],
    [1 / 90, 1 / 45, 2 / 45],
    [1 / 90, -1 / 45, 2 / 45],
    [32 / 45, 16 / 45, 8 / 45],
    [32 / 45, -16 / 45, 8 / 45],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, -1 / 8, 0],
    [0, 1, 1, 16, 16, 1 / 16, 1 / 16, 0],
    [0, 1, -1, 32, -32, 1 / 32, -1 / 32, 1],
  ],
};

/**
 * F(4x4, 4x4): F(5,3)'s points and B^T; G's rows are F(5,3)'s scaled to [1, p, p^2, p^3]; A^T is the
 * first four powers of the points, the point at infinity now reaching output 3.
 */
export const WINOGRAD_F4_R4: WinogradMatrices = {
  m: 4,
  r: 4,
  alpha: 7,
  points: WINOGRAD_F5.points,
  BT: WINOGRAD_F5.BT,
  G: [
    [-1 / 4, 0, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6, -1 / 6],
    [1 / 18, -1 / 18, 1 / 18, -1 / 18],
    [1 / 72, 2 / 72, 4 / 72, 8 / 72],
    [-1 / 120, 2 / 120, -4 / 120, 8 / 120],
    [32 / 45, 16 / 45, 8 / 45, 4 / 45],
    [0, 0, 0, 1 / 2],
  ],
  AT: [
    [1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, 1],
  ],
};

/**
 * F(4x4, 5x5): F(6,3)'s points and B^T; G's rows are F(6,3)'s scaled to [1, p, ..., p^4]; A^T is the
 * first four powers of the points, the point at infinity reaching output 3.
 */
export const WINOGRAD_F4_R5: WinogradMatrices = {
  m: 4,
  r: 5,
  alpha: 8,
  points: WINOGRAD_F6.points,
  BT: WINOGRAD_F6.BT,
  G: [
    [1, 0, 0, 0, 0],
    [-2 / 9, -2 / 9, -2 / 9, -2 / 9, -2 / 9],
    [-2 / 9, 2 / 9, -2 / 9, 2 / 9, -2 / 9],
    [1 / 90, 2 / 90, 4 / 90, 8 / 90, 16 / 90],
    [1 / 90, -2 / 90, 4 / 90, -8 / 90, 16 / 90],
    [32 / 45, 16 / 45, 8 / 45, 4 / 45, 2 / 45],
    [32 / 45, -16 / 45, 8 / 45, -4 / 45, 2 / 45],
    [0, 0, 0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, -1 / 8, 1],
  ],
};

/**
 * F(5x5, 2x2), for the 2x2 filters that 3x3 and 4x4 stride-2 filters become after space-to-depth:
 * F(4,3)'s points and B^T; G's rows are F(4,3)'s scaled to [1, p]; A^T is the first five powers of the
 * points, the point at infinity reaching output 4. (Larger tiles, F(6,2) and F(7,2), measured faster on
 * 4x4 stride-2 filters by 6% at most, with up to 2.8x the error.)
 */
export const WINOGRAD_F5_R2: WinogradMatrices = {
  m: 5,
  r: 2,
  alpha: 6,
  points: WINOGRAD_F4.points,
  BT: WINOGRAD_F4.BT,
  G: [
    [1 / 4, 0],
    [-1 / 6, -1 / 6],
    [-1 / 6, 1 / 6],
    [1 / 24, 1 / 12],
    [1 / 24, -1 / 12],
    [0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 0],
    [0, 1, 1, 16, 16, 1],
  ],
};

/** Outputs per tile side, m; which m exist depends on the filter size r (see winogradMatrices). */
export type WinogradTile = 2 | 4 | 5 | 6;

/** The tables of 3x3 filters by tile size. */
export const WINOGRAD_MATRICES: Record<WinogradTile, WinogradMatrices> = {
  2: WINOGRAD_F2,
  4: WINOGRAD_F4,
  5: WINOGRAD_F5,
  6: WINOGRAD_F6,
};

/** Every table, for tests. */
export const ALL_WINOGRAD_MATRICES: readonly WinogradMatrices[] = [
  WINOGRAD_F2,
  WINOGRAD_F4,
  WINOGRAD_F5,
  WINOGRAD_F6,
  WINOGRAD_F4_R4,
  WINOGRAD_F4_R5,
  WINOGRAD_F5_R2,
];

/** Tile sizes with a table for r x r filters, smallest first: 2, 4, 5, 6 for r = 3; 4 for r = 4 and 5; 5 for r = 2. */
export function winogradTilesFor(r: number): readonly WinogradTile[] {
  if (r === 3) return [2, 4, 5, 6];
  if (r === 2) return [5];
  if (r === 4 || r === 5) return [4];
  return [];
}

/** The table of F(tile x tile, r x r); throws when there is none (see winogradTilesFor). */
export function winogradMatrices(tile: WinogradTile, r: number): WinogradMatrices {
  if (r === 3) return WINOGRAD_MATRICES[tile];
  if (r === 2 && tile === 5) return WINOGRAD_F5_R2;
  if (r === 4 && tile === 4) return WINOGRAD_F4_R4;
  if (r === 5 && tile === 4) return WINOGRAD_F4_R5;
  throw new Error(`winograd: no F(${tile}x${tile},${r}x${r}) table`);
}
