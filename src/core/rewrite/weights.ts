// Weight arithmetic of the rewrite: factors dequantized exactly as DequantizeLinear computes
// them, their reconstruction (the engine's), and transposes into the conv layouts.
import { reconstruct } from '../factor/compressLayer.ts';
import type { FactorResult, LayerResult } from '../factor/types.ts';
import { concatFloat32 } from '../util/arrays.ts';
import { RewriteError } from './types.ts';

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
  if (f.columnScales && f.columnScales.length === f.cols) {
    const s = Float32Array.from(f.columnScales);
    for (let i = 0; i < out.length; i++) out[i] = f.codes[i] * s[i % f.cols];
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
  if (result.groups) {
    return concatFloat32(result.groups.map(reconstructWeight));
  }
  if (result.factors.length < 1 || result.factors.length > 3) {
    throw new RewriteError(
      `layer ${result.name}: ${result.factors.length} factors are not supported`,
    );
  }
  return reconstruct({
    ...result,
    factors: result.factors.map((f) => ({ ...f, values: dequantFactor(f) })),
  });
}
