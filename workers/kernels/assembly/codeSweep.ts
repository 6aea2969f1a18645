// One exact coordinate sweep over the integer codes of a grid factor (the polish of
// src/core/factor/polish.ts; reference: src/core/kernels/codeSweep.ts). Every operation mirrors
// the reference in float64 with the same rounding (a multiply and an add, never fused; JS's
// Math.round by ceil and a half step), so both give the same codes bit for bit. The gradient
// update, rank terms per moved code, runs two lanes at a time.

// @ts-ignore: decorator
@inline
function f64At(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

// @ts-ignore: decorator
@inline
function f32At(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Math.round of JavaScript: the nearest integer, halves towards +Infinity. */
// @ts-ignore: decorator
@inline
function roundHalfUp(x: f64): f64 {
  const c = Math.ceil(x);
  return c - 0.5 > x ? c - 1 : c;
}

/**
 * Sweeps rows i = 0..rows-1 and in each the codes r = 0..rank-1; see codeSweep() in
 * src/core/kernels/codeSweep.ts for the contract. `grad` is rank float64 of scratch. Returns
 * the number of codes moved.
 */
export function codeSweep(
  codes: usize, base: usize, mult: f64, f: usize, g: usize, s: usize, rows: i32, rank: i32,
  qMin: i32, qMax: i32, skipNonPositive: i32, writeBack: i32, grad: usize,
): i32 {
  const lo = <f64>qMin;
  const hi = <f64>qMax;
  let moved = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * rank;
    for (let c = 0; c < rank; c++) {
      store<f64>(
        f64At(grad, c),
        mult * <f64>load<f32>(f32At(base, o + c)) - <f64>load<f32>(f32At(f, o + c)),
      );
    }
    let rowMoved = false;
    for (let r = 0; r < rank; r++) {
      const gr = g + (<usize>(r * rank) << 3);
      const curvature = load<f64>(f64At(gr, r));
      if (!(curvature > 0)) continue;
      const sr = load<f64>(f64At(s, r));
      if (skipNonPositive != 0 && !(sr > 0)) continue;
      const q = <f64>load<i8>(codes + <usize>(o + r));
      const next = min(hi, max(lo, roundHalfUp(q - load<f64>(f64At(grad, r)) / (curvature * sr))));
      if (next == q) continue;
      const delta = sr * (next - q);
      const dv = f64x2.splat(delta);
      let c = 0;
      for (; c + 2 <= rank; c += 2) {
        const p = f64At(grad, c);
        v128.store(p, f64x2.add(v128.load(p), f64x2.mul(dv, v128.load(f64At(gr, c)))));
      }
      for (; c < rank; c++) {
        const p = f64At(grad, c);
        store<f64>(p, load<f64>(p) + delta * load<f64>(f64At(gr, c)));
      }
      // A NaN step (no finite scale) stores 0, as a JavaScript Int8Array does.
      store<i8>(codes + <usize>(o + r), isNaN(next) ? 0 : <i8><i32>next);
      moved++;
      rowMoved = true;
    }
    if (writeBack != 0 && rowMoved) {
      for (let c = 0; c < rank; c++) {
        store<f32>(
          f32At(base, o + c),
          <f32>((load<f64>(f64At(grad, c)) + <f64>load<f32>(f32At(f, o + c))) / mult),
        );
      }
    }
  }
  return moved;
}
