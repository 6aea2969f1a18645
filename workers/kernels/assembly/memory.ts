// Helpers the TypeScript side uses to lay data out in linear memory.

/** Start of the memory the host may use: everything above the static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Copies `blocks` runs of `len` f32 from src (contiguous) to dst with row stride `stride`, zero-filling each row's tail. */
export function copyPadded(src: usize, blocks: i32, len: i32, dst: usize, stride: i32): void {
  const lenBytes = <usize>len << 2;
  const tailBytes = <usize>(stride - len) << 2;
  for (let r = 0; r < blocks; r++) {
    memory.copy(dst, src, lenBytes);
    if (tailBytes > 0) memory.fill(dst + lenBytes, 0, tailBytes);
    src += lenBytes;
    dst += <usize>stride << 2;
  }
}

/** Inverse of copyPadded: gathers `blocks` runs of `len` f32 with stride `stride` into dst. */
export function copyUnpadded(src: usize, blocks: i32, len: i32, stride: i32, dst: usize): void {
  const lenBytes = <usize>len << 2;
  for (let r = 0; r < blocks; r++) {
    memory.copy(dst, src, lenBytes);
    src += <usize>stride << 2;
    dst += lenBytes;
  }
}

/** 1 in the relaxed-SIMD build (kernels-relaxed.wasm), 0 in kernels.wasm. */
export function relaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
