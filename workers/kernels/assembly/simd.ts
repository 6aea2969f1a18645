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
