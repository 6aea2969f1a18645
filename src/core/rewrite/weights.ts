// Weight arithmetic of the rewrite: dequantized factors exactly as DequantizeLinear computes
// them, their reconstruction, transposes into the conv layouts, and the per-channel quantization
// of the layers that are not factorized.
import type { FactorResult, LayerResult } from '../factor/types.ts';
import { RewriteError } from './types.ts';

export interface QuantizedTensor {
  codes: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
  axis: number;
  /** fround(code * scale): what DequantizeLinear produces. */
  values: Float32Array;
}

/**
 * The factor's values as the runtime sees them: DequantizeLinear multiplies the float32 code by
 * the float32 scale in float32, so the reference must round the same way to compare at 1e-4.
 */
export function dequantFactor(f: FactorResult): Float32Array {
  if (!f.codes) return f.values;
  const out = new Float32Array(f.rows * f.cols);
  if (f.scales && f.scales.length === f.rows) {
    for (let i = 0; i < f.rows; i++) {
      const s = Math.fround(f.scales[i]);
      for (let j = 0; j < f.cols; j++) out[i * f.cols + j] = f.codes[i * f.cols + j] * s;
    }
    return out;
  }
  if (f.scale === undefined) throw new RewriteError('a factor with codes has no scale');
  const s = Math.fround(f.scale);
  for (let i = 0; i < out.length; i++) out[i] = f.codes[i] * s;
  return out;
}

/** rows x cols row-major -> cols x rows row-major. */
export function transpose<T extends Float32Array | Int8Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as { new (n: number): T })(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** The dense weight the compressed layer computes, in the layer's stored layout. */
export function reconstructWeight(result: LayerResult): Float32Array {
  const f = result.factors.map(dequantFactor);
  if (result.method === 'ptq' || result.factors.length === 1) return Float32Array.from(f[0]);
  const rank = result.rank;
  const dims = result.factors.map((x) => x.rows);
  if (result.factors.length === 2) return cpReconstruct2(f[0], f[1], dims[0], dims[1], rank);
  if (result.factors.length === 3) return cpReconstruct3(f, dims, rank);
  throw new RewriteError(
    `layer ${result.name}: ${result.factors.length} factors are not supported`,
  );
}

function cpReconstruct2(a: Float32Array, b: Float32Array, ni: number, nj: number, rank: number) {
  const out = new Float32Array(ni * nj);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += a[i * rank + r] * b[j * rank + r];
      out[i * nj + j] = s;
    }
  }
  return out;
}

function cpReconstruct3(f: Float32Array[], dims: number[], rank: number) {
  const [ni, nj, nk] = dims;
  const [a, b, c] = f;
  const out = new Float32Array(ni * nj * nk);
  const ab = new Float64Array(rank);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let r = 0; r < rank; r++) ab[r] = a[i * rank + r] * b[j * rank + r];
      for (let k = 0; k < nk; k++) {
        let s = 0;
        for (let r = 0; r < rank; r++) s += ab[r] * c[k * rank + r];
        out[(i * nj + j) * nk + k] = s;
      }
    }
  }
  return out;
}

/** Symmetric per-channel b-bit quantization with max-abs scales (plenty at 8 bits). */
export function quantizePerChannel(
  w: Float32Array,
  shape: readonly number[],
  axis: number,
  bits: number,
): QuantizedTensor {
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = w.length / (channels * inner);
  const qmax = 2 ** (bits - 1) - 1;
  const qmin = -(2 ** (bits - 1));
  const maxAbs = new Float64Array(channels);
  forEachChannel(outer, channels, inner, (idx, c) => {
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[idx]));
  });
  // An all-zero channel still needs a positive scale; its codes are 0 whatever it is.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / qmax : 1));
  const codes = new Int8Array(w.length);
  const values = new Float32Array(w.length);
  forEachChannel(outer, channels, inner, (idx, c) => {
    const q = Math.min(qmax, Math.max(qmin, Math.round(w[idx] / scales[c])));
    codes[idx] = q;
    values[idx] = q * scales[c];
  });
  return { codes, scales, axis, values };
}

function forEachChannel(
  outer: number,
  channels: number,
  inner: number,
  visit: (index: number, channel: number) => void,
): void {
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) visit(base + i, c);
    }
  }
}

export function relativeError(x: Float32Array, y: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += x[i] ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : 0;
}
