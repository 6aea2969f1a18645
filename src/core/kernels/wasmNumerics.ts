// Typed wrappers over the MTTKRP, Cholesky and projection exports of kernels.wasm. Each copies
// its operands in, runs, and copies results out; see wasmArena.ts for the memory rules.
import type { CodeSweepArgs } from './codeSweep.ts';
import { checkProjectArgs } from './gridProjection.ts';
import { type GridProjection, NotPositiveDefiniteError, type ProjectOptions } from './types.ts';
import type { WasmArena } from './wasmArena.ts';

export interface NumericExports {
  copyPadded(src: number, blocks: number, len: number, dst: number, stride: number): void;
  copyUnpadded(src: number, blocks: number, len: number, stride: number, dst: number): void;
  mttkrp3(
    x: number,
    ni: number,
    jp: number,
    nk: number,
    a: number,
    b: number,
    c: number,
    rp: number,
    mode: number,
    out: number,
    work: number,
  ): void;
  mttkrpWorkBytes(ni: number, jp: number, nk: number, mode: number): number;
  potrf(g: number, n: number, l: number): number;
  potrs(l: number, n: number, b: number, nrhs: number, work: number): void;
  potrsWorkBytes(n: number, nrhs: number): number;
  codeSweep(
    codes: number,
    base: number,
    mult: number,
    f: number,
    g: number,
    s: number,
    rows: number,
    rank: number,
    qMin: number,
    qMax: number,
    skipNonPositive: number,
    writeBack: number,
    grad: number,
  ): number;
  projectToGrid(
    x: number,
    total: number,
    channels: number,
    bits: number,
    candidates: number,
    plain: number,
    codes: number,
    scales: number,
    values: number,
    work: number,
  ): void;
  projectWorkBytes(rowLen: number, candidates: number): number;
}

const roundUp = (v: number, to: number) => Math.ceil(v / to) * to;

export function wasmMttkrp3(
  ex: NumericExports,
  arena: WasmArena,
  x: Float32Array,
  dims: readonly [number, number, number],
  factors: readonly [Float32Array, Float32Array, Float32Array],
  rank: number,
  mode: 0 | 1 | 2,
  out?: Float32Array,
): Float32Array {
  const [ni, nj, nk] = dims;
  if (x.length < ni * nj * nk) throw new RangeError('mttkrp3: tensor shorter than its dims');
  // The kernel wants 8-column factor rows and J in blocks of 4: pad with zeros here.
  const rp = roundUp(rank, 8);
  const jp = roundUp(nj, 4);
  const rows = [ni, jp, nk];
  const xLen = ni * nj * nk;
  const xPadded = jp !== nj;
  const [px, pxp, pStage, pa, pb, pc, po, pout, pw] = arena.layout(
    xPadded ? xLen * 4 : 0,
    // + 16: mode 2 reads X in whole vectors, up to 12 bytes past its last element.
    ni * jp * nk * 4 + 16,
    Math.max(ni, nj, nk) * rank * 4,
    ni * rp * 4,
    jp * rp * 4,
    nk * rp * 4,
    rows[mode] * rp * 4,
    dims[mode] * rank * 4,
    ex.mttkrpWorkBytes(ni, jp, nk, mode),
  );
  // X is the big operand: copy it straight into place unless J needs padding.
  arena.f32(xPadded ? px : pxp, xLen).set(x.subarray(0, xLen));
  if (xPadded) ex.copyPadded(px, ni, nj * nk, pxp, jp * nk);
  const padded = [pa, pb, pc];
  for (let f = 0; f < 3; f++) {
    if (f === mode) continue;
    const len = dims[f] * rank;
    if (factors[f].length < len) throw new RangeError(`mttkrp3: factor ${f} shorter than ${len}`);
    arena.f32(pStage, len).set(factors[f].subarray(0, len));
    ex.copyPadded(pStage, dims[f], rank, padded[f], rp);
    arena.f32(padded[f] + dims[f] * rp * 4, (rows[f] - dims[f]) * rp).fill(0);
  }
  ex.mttkrp3(pxp, ni, jp, nk, pa, pb, pc, rp, mode, po, pw);
  ex.copyUnpadded(po, dims[mode], rank, rp, pout);
  const res = out ?? new Float32Array(dims[mode] * rank);
  res.set(arena.f32(pout, dims[mode] * rank));
  return res;
}

export function wasmPotrf(ex: NumericExports, arena: WasmArena, g: Float64Array, n: number) {
  if (g.length < n * n) throw new RangeError(`potrf: G has ${g.length} < ${n * n} elements`);
  const [pg, pl] = arena.layout(n * n * 8, n * n * 8);
  arena.f64(pg, n * n).set(g.subarray(0, n * n));
  const pivot = ex.potrf(pg, n, pl);
  if (pivot >= 0) throw new NotPositiveDefiniteError(pivot);
  return arena.f64(pl, n * n).slice();
}

export function wasmPotrs(
  ex: NumericExports,
  arena: WasmArena,
  l: Float64Array,
  n: number,
  b: Float64Array,
  nrhs: number,
): void {
  if (l.length < n * n || b.length < n * nrhs) throw new RangeError('potrs: arrays too short');
  const [pl, pb, pw] = arena.layout(n * n * 8, n * nrhs * 8, ex.potrsWorkBytes(n, nrhs));
  arena.f64(pl, n * n).set(l.subarray(0, n * n));
  arena.f64(pb, n * nrhs).set(b.subarray(0, n * nrhs));
  ex.potrs(pl, n, pb, nrhs, pw);
  b.set(arena.f64(pb, n * nrhs));
}

export function wasmProjectToGrid(
  ex: NumericExports,
  arena: WasmArena,
  x: Float32Array,
  bits: number,
  options: ProjectOptions | undefined,
  plain: boolean,
): GridProjection {
  const { channels, candidates, rowLen } = checkProjectArgs(x.length, bits, options);
  const n = x.length;
  const [px, pCodes, pScales, pValues, pw] = arena.layout(
    n * 4,
    n,
    channels * 4,
    n * 4,
    ex.projectWorkBytes(rowLen, candidates),
  );
  arena.f32(px, n).set(x);
  ex.projectToGrid(px, n, channels, bits, candidates, +plain, pCodes, pScales, pValues, pw);
  return {
    codes: arena.i8(pCodes, n).slice(),
    scales: arena.f32(pScales, channels).slice(),
    values: arena.f32(pValues, n).slice(),
  };
}

export function wasmCodeSweep(ex: NumericExports, arena: WasmArena, a: CodeSweepArgs): number {
  const { rows, rank } = a;
  const n = rows * rank;
  if (a.codes.length < n || a.base.length < n || a.f.length < n) {
    throw new RangeError('codeSweep: codes, base and f need rows x rank values');
  }
  if (a.g.length < rank * rank || a.scales.length < rank) {
    throw new RangeError('codeSweep: g needs rank x rank values and scales rank');
  }
  const [pg, ps, pgrad, pbase, pf, pcodes] = arena.layout(
    rank * rank * 8,
    rank * 8,
    rank * 8,
    n * 4,
    n * 4,
    n,
  );
  arena.f64(pg, rank * rank).set(a.g.subarray(0, rank * rank));
  arena.f64(ps, rank).set(a.scales.subarray(0, rank));
  arena.f32(pbase, n).set(a.base.subarray(0, n));
  arena.f32(pf, n).set(a.f.subarray(0, n));
  arena.i8(pcodes, n).set(a.codes.subarray(0, n));
  const qMax = 2 ** (a.bits - 1) - 1;
  const moved = ex.codeSweep(
    pcodes,
    pbase,
    a.mult,
    pf,
    pg,
    ps,
    rows,
    rank,
    -qMax - 1,
    qMax,
    +a.skipNonPositiveScales,
    +a.writeBack,
    pgrad,
  );
  a.codes.set(arena.i8(pcodes, n));
  if (a.writeBack) a.base.set(arena.f32(pbase, n));
  return moved;
}
