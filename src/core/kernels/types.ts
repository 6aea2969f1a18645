// The kernel contract shared by the SIMD WebAssembly build and the plain TypeScript fallback.
// Matrices are dense, row-major Float32Array unless a name says otherwise.
import type { CodeSweepArgs } from './codeSweep.ts';

export type { CodeSweepArgs } from './codeSweep.ts';

/** Result of projecting a tensor onto a symmetric b-bit grid. */
export interface GridProjection {
  /** Integer codes in [-2^(bits-1), 2^(bits-1) - 1], one per input value. */
  codes: Int8Array;
  /** One scale per tensor (length 1) or per output channel (length = channels). */
  scales: Float32Array;
  /** scale * code, the values the compressed layer really uses. */
  values: Float32Array;
}

export interface ProjectOptions {
  /** Per-output-channel scales: the tensor is `channels` contiguous rows. Default: per tensor. */
  channels?: number;
  /** Candidate clipping ranges in [0.2, 1.2] * max|x| (method doc). Default 200. */
  candidates?: number;
}

export interface Kernels {
  /** 'wasm-relaxed-simd' is the opt-in fused multiply-add build (see loadKernels). */
  readonly name: 'wasm-simd' | 'wasm-relaxed-simd' | 'js';
  /** C = alpha * op(A) * op(B) + beta * C; op(A) is M x K, op(B) is K x N, C is M x N. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** AᵀA of a rows x cols matrix: cols x cols. */
  gram(a: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array;
  /** Elementwise product of two equal-length arrays. */
  hadamard(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array;
  /**
   * MTTKRP of a 3-way tensor X (I x J x K, row-major, k fastest) for `mode` with the rank-R
   * factors A (I x R), B (J x R), C (K x R). Mode 0 gives X_(1) (C ⊙ B) : I x R, and so on.
   * The factor of `mode` itself is ignored.
   */
  mttkrp3(
    x: Float32Array,
    dims: readonly [number, number, number],
    factors: readonly [Float32Array, Float32Array, Float32Array],
    rank: number,
    mode: 0 | 1 | 2,
    out?: Float32Array,
  ): Float32Array;
  /** Cholesky G = L Lᵀ of an n x n SPD matrix; returns L (lower, row-major). Throws on a non-positive pivot. */
  potrf(g: Float64Array, n: number): Float64Array;
  /** Solves X G = B for X given L from potrf: B is nrhs x n row-major, overwritten by X. */
  potrs(l: Float64Array, n: number, b: Float64Array, nrhs: number): void;
  /** Symmetric b-bit projection with the MSE-searched clipping range (method doc, "project"). */
  projectToGrid(x: Float32Array, bits: number, options?: ProjectOptions): GridProjection;
  /** Same contract, by the published one-pass-per-candidate search: the baseline for benchmarks. */
  projectToGridPlain(x: Float32Array, bits: number, options?: ProjectOptions): GridProjection;
  /**
   * Optional: the polish's coordinate sweep over a factor's codes (codeSweep.ts, whose
   * function is the reference; every implementation gives its codes bit for bit). Returns the
   * number of codes moved. Callers fall back to that function where this is absent.
   */
  codeSweep?(args: CodeSweepArgs): number;
}

export class NotPositiveDefiniteError extends Error {
  constructor(readonly pivot: number) {
    super(`matrix is not positive definite (pivot ${pivot} is not positive)`);
    this.name = 'NotPositiveDefiniteError';
  }
}
