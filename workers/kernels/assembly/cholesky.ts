// Cholesky factorisation and multi-right-hand-side solves in float64 (ADMM's R x R systems are
// ill-conditioned enough early on that float32 loses digits).

// @ts-ignore: decorator
@inline
function f64At(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/** Dot product of two contiguous float64 runs of length len. */
function dot(p: usize, q: usize, len: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    s0 = f64x2.add(s0, f64x2.mul(v128.load(f64At(p, k)), v128.load(f64At(q, k))));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(f64At(p, k), 16), v128.load(f64At(q, k), 16)));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; k < len; k++) r += load<f64>(f64At(p, k)) * load<f64>(f64At(q, k));
  return r;
}

/**
 * L (lower, row-major, upper triangle zeroed) with G = L Lᵀ, reading only G's lower triangle.
 * Returns -1, or the index of the first pivot that is not > 0 (L is then incomplete).
 */
export function potrf(g: usize, n: i32, l: usize): i32 {
  memory.fill(l, 0, <usize>(n * n) << 3);
  for (let i = 0; i < n; i++) {
    const li = f64At(l, i * n);
    for (let j = 0; j <= i; j++) {
      const lj = f64At(l, j * n);
      const s = load<f64>(f64At(g, i * n + j)) - dot(li, lj, j);
      if (i == j) {
        // `!(s > 0)` also catches NaN, so a bad G never produces NaNs.
        if (!(s > 0)) return i;
        store<f64>(f64At(li, i), Math.sqrt(s));
      } else {
        store<f64>(f64At(li, j), s / load<f64>(f64At(lj, j)));
      }
    }
  }
  return -1;
}

/** Scratch bytes potrs needs. */
export function potrsWorkBytes(n: i32, nrhs: i32): i32 {
  return (n * n + n * ((nrhs + 1) & ~1) + n) * 8 + 32;
}

// y[i, :] = (y[i, :] - sum_{k in [k0, k1)} m[i, k] y[k, :]) * invd[i], over ld columns (even).
function solveRow(m: usize, n: i32, y: usize, ld: i32, i: i32, k0: i32, k1: i32, d: f64): void {
  const rowI = f64At(y, i * ld);
  const invd = f64x2.splat(d);
  let c = 0;
  for (; c + 8 <= ld; c += 8) {
    let s0 = v128.load(f64At(rowI, c)), s1 = v128.load(f64At(rowI, c), 16);
    let s2 = v128.load(f64At(rowI, c), 32), s3 = v128.load(f64At(rowI, c), 48);
    let pm = f64At(m, i * n + k0);
    let py = f64At(y, k0 * ld + c);
    for (let k = k0; k < k1; k++) {
      const v = v128.load64_splat(pm);
      s0 = f64x2.sub(s0, f64x2.mul(v, v128.load(py)));
      s1 = f64x2.sub(s1, f64x2.mul(v, v128.load(py, 16)));
      s2 = f64x2.sub(s2, f64x2.mul(v, v128.load(py, 32)));
      s3 = f64x2.sub(s3, f64x2.mul(v, v128.load(py, 48)));
      pm += 8;
      py += <usize>ld << 3;
    }
    v128.store(f64At(rowI, c), f64x2.mul(s0, invd));
    v128.store(f64At(rowI, c), f64x2.mul(s1, invd), 16);
    v128.store(f64At(rowI, c), f64x2.mul(s2, invd), 32);
    v128.store(f64At(rowI, c), f64x2.mul(s3, invd), 48);
  }
  for (; c < ld; c += 2) {
    let s = v128.load(f64At(rowI, c));
    let pm = f64At(m, i * n + k0);
    let py = f64At(y, k0 * ld + c);
    for (let k = k0; k < k1; k++) {
      s = f64x2.sub(s, f64x2.mul(v128.load64_splat(pm), v128.load(py)));
      pm += 8;
      py += <usize>ld << 3;
    }
    v128.store(f64At(rowI, c), f64x2.mul(s, invd));
  }
}

/**
 * Solves X G = B (G = L Lᵀ) for B (nrhs x n, row-major) in place. B is transposed into an
 * n x nrhs block so both triangular solves run across right-hand sides in SIMD, and Lᵀ is
 * formed once so the backward solve also reads rows.
 */
export function potrs(l: usize, n: i32, b: usize, nrhs: i32, work: usize): void {
  const ld = (nrhs + 1) & ~1;
  const u = (work + 15) & ~(<usize>15);
  const y = u + (<usize>(n * n) << 3);
  const invDiag = y + (<usize>(n * ld) << 3);
  for (let i = 0; i < n; i++) {
    store<f64>(f64At(invDiag, i), 1 / load<f64>(f64At(l, i * n + i)));
    for (let k = 0; k < n; k++) store<f64>(f64At(u, i * n + k), load<f64>(f64At(l, k * n + i)));
    for (let r = 0; r < ld; r++) {
      store<f64>(f64At(y, i * ld + r), r < nrhs ? load<f64>(f64At(b, r * n + i)) : 0);
    }
  }
  for (let i = 0; i < n; i++) solveRow(l, n, y, ld, i, 0, i, load<f64>(f64At(invDiag, i)));
  for (let i = n - 1; i >= 0; i--) solveRow(u, n, y, ld, i, i + 1, n, load<f64>(f64At(invDiag, i)));
  for (let r = 0; r < nrhs; r++) {
    for (let i = 0; i < n; i++) store<f64>(f64At(b, r * n + i), load<f64>(f64At(y, i * ld + r)));
  }
}
