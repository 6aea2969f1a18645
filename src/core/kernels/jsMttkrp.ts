// MTTKRP of a 3-way tensor without forming the Khatri-Rao product (it would be J*K x R, larger
// than X itself for the ranks we use). Float64 accumulation.

/** X (I x J x K, k fastest) times the Khatri-Rao product of the two factors other than `mode`. */
export function mttkrp3(
  x: Float32Array,
  dims: readonly [number, number, number],
  factors: readonly [Float32Array, Float32Array, Float32Array],
  rank: number,
  mode: 0 | 1 | 2,
  out?: Float32Array,
): Float32Array {
  const [ni, nj, nk] = dims;
  if (x.length < ni * nj * nk) throw new RangeError('mttkrp3: tensor shorter than its dims');
  const acc = new Float64Array(dims[mode] * rank);
  if (mode === 2) mttkrpMode2(x, dims, factors[0], factors[1], rank, acc);
  else mttkrpMode01(x, dims, factors, rank, mode, acc);
  const res = out ?? new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) res[i] = acc[i];
  return res;
}

// Modes 0 and 1 share t[r] = sum_k X[i,j,k] C[k,r]; mode 0 then weights it by B[j,r] into row
// i, mode 1 by A[i,r] into row j.
function mttkrpMode01(
  x: Float32Array,
  [ni, nj, nk]: readonly [number, number, number],
  [fa, fb, fc]: readonly [Float32Array, Float32Array, Float32Array],
  rank: number,
  mode: 0 | 1,
  acc: Float64Array,
): void {
  const t = new Float64Array(rank);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      t.fill(0);
      const xij = (i * nj + j) * nk;
      for (let k = 0; k < nk; k++) {
        const v = x[xij + k];
        for (let r = 0; r < rank; r++) t[r] += v * fc[k * rank + r];
      }
      const w = mode === 0 ? fb : fa;
      const wRow = (mode === 0 ? j : i) * rank;
      const oRow = (mode === 0 ? i : j) * rank;
      for (let r = 0; r < rank; r++) acc[oRow + r] += w[wRow + r] * t[r];
    }
  }
}

function mttkrpMode2(
  x: Float32Array,
  [ni, nj, nk]: readonly [number, number, number],
  fa: Float32Array,
  fb: Float32Array,
  rank: number,
  acc: Float64Array,
): void {
  const w = new Float64Array(rank);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let r = 0; r < rank; r++) w[r] = fa[i * rank + r] * fb[j * rank + r];
      const xij = (i * nj + j) * nk;
      for (let k = 0; k < nk; k++) {
        const v = x[xij + k];
        for (let r = 0; r < rank; r++) acc[k * rank + r] += v * w[r];
      }
    }
  }
}
