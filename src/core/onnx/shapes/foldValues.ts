// Index arithmetic for folding small N-d constants through Slice and Transpose (PyTorch's
// F.pad export reverses a [-1, 2] reshaped pads tensor with exactly these two ops).
import type { ConstValue, Dim } from './dims.ts';

function rowMajorStrides(dims: readonly number[]): number[] {
  const strides = new Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

/** Values at the cartesian product of per-axis indices, row-major. */
export function pickValues(value: ConstValue, perAxis: readonly number[][]): Dim[] {
  const strides = rowMajorStrides(value.dims);
  let offsets = [0];
  perAxis.forEach((indices, axis) => {
    offsets = offsets.flatMap((o) => indices.map((i) => o + i * strides[axis]));
  });
  return offsets.map((o) => value.values[o]);
}

export function transposeValues(value: ConstValue, perm: readonly number[]): ConstValue {
  const dims = perm.map((p) => value.dims[p]);
  const inStrides = rowMajorStrides(value.dims);
  const outStrides = rowMajorStrides(dims);
  const count = value.values.length;
  const values = new Array<Dim>(count);
  for (let flat = 0; flat < count; flat++) {
    let src = 0;
    for (let a = 0; a < dims.length; a++) {
      const idx = Math.floor(flat / outStrides[a]) % dims[a];
      src += idx * inStrides[perm[a]];
    }
    values[flat] = value.values[src];
  }
  return { dims, values };
}
