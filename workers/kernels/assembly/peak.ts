// The machine's ceiling for this build's multiply-add, measured by the benchmark in the same run
// as the kernels: 12 independent chains of x = x * m + c on f32x4 (enough to cover the latency
// of a fused multiply-add, or of a multiply then an add, on two FP ports), in registers only:
// 12 chains + m + c (+ the plain build's temporary) fit V8's 15 allocatable SIMD registers.
// Two rounds per loop step, so the loop's own instructions take fewer FP-port slots.

import { madd } from './simd';

/** Runs `iters` steps (192 flops each) and returns a value that depends on all of them. */
export function peakGflopsProbe(iters: i32): f32 {
  const m = f32x4.splat(0.999);
  const c = f32x4.splat(0.001);
  let x0 = f32x4.splat(1.0), x1 = f32x4.splat(1.01), x2 = f32x4.splat(1.02);
  let x3 = f32x4.splat(1.03), x4 = f32x4.splat(1.04), x5 = f32x4.splat(1.05);
  let x6 = f32x4.splat(1.06), x7 = f32x4.splat(1.07), x8 = f32x4.splat(1.08);
  let x9 = f32x4.splat(1.09), x10 = f32x4.splat(1.1), x11 = f32x4.splat(1.11);
  for (let i = 0; i < iters; i++) {
    x0 = madd(x0, m, c);
    x1 = madd(x1, m, c);
    x2 = madd(x2, m, c);
    x3 = madd(x3, m, c);
    x4 = madd(x4, m, c);
    x5 = madd(x5, m, c);
    x6 = madd(x6, m, c);
    x7 = madd(x7, m, c);
    x8 = madd(x8, m, c);
    x9 = madd(x9, m, c);
    x10 = madd(x10, m, c);
    x11 = madd(x11, m, c);
    x0 = madd(x0, m, c);
    x1 = madd(x1, m, c);
    x2 = madd(x2, m, c);
    x3 = madd(x3, m, c);
    x4 = madd(x4, m, c);
    x5 = madd(x5, m, c);
    x6 = madd(x6, m, c);
    x7 = madd(x7, m, c);
    x8 = madd(x8, m, c);
    x9 = madd(x9, m, c);
    x10 = madd(x10, m, c);
    x11 = madd(x11, m, c);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(x4, x5)),
    f32x4.add(f32x4.add(f32x4.add(x6, x7), f32x4.add(x8, x9)), f32x4.add(x10, x11)),
  );
  return f32x4.extract_lane(s, 0);
}
