// Owns the linear memory of kernels.wasm. Each call lays its inputs, outputs and scratch out
// above the module's static data, growing memory first; views are created only after the
// last grow of the call (a grow detaches the old ArrayBuffer), and the whole region is free
// again when the next call resets, so nothing leaks across calls.

const align = 16;
const pageBytes = 65536;

export class WasmArena {
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly base: number,
  ) {
    this.top = base;
  }

  /** Frees everything and reserves one block per requested size; returns their offsets. */
  layout(...sizesBytes: number[]): number[] {
    this.top = this.base;
    const offsets = sizesBytes.map((bytes) => {
      const at = this.top;
      this.top = Math.ceil((at + bytes) / align) * align;
      return at;
    });
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / pageBytes));
    return offsets;
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, offset, length);
  }

  i8(offset: number, length: number): Int8Array {
    return new Int8Array(this.memory.buffer, offset, length);
  }

  /** Bytes currently reserved for the host (for tests checking that calls do not leak). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }
}
