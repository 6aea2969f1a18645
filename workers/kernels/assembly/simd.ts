// a * b + c on f32x4. In the relaxed-SIMD build (kernels-relaxed.wasm, --enable relaxed-simd)
// this is one fused multiply-add, which doubles the peak on CPUs with two FMA ports; elsewhere a
// multiply and an add. A relaxed madd may round once or twice depending on the CPU, so only
// sgemm and mttkrp3 use it; the projection never does (its codes must be reproducible).

// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// Lane l of v in all four lanes: a register shuffle (vpshufd, port 5, which FMAs do not use).
// The micro-kernels splat A this way instead of with broadcast loads because V8 issues all of
// a loop body's loads first: each broadcast load would hold a register across the whole body.
// @ts-ignore: decorator
@inline
export function lane(v: v128, l: u8): v128 {
  if (l == 0) return i32x4.shuffle(v, v, 0, 0, 0, 0);
  if (l == 1) return i32x4.shuffle(v, v, 1, 1, 1, 1);
  if (l == 2) return i32x4.shuffle(v, v, 2, 2, 2, 2);
  return i32x4.shuffle(v, v, 3, 3, 3, 3);
}
