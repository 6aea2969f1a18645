// Kernels that split one layer's big calls across the helper threads of a team (issue #14,
// "inside the layer"). The owner thread copies a helper's operands into the team's shared
// buffer, wakes it (threadedTeam.ts), computes its own share with `base` straight from its
// arrays, then waits and copies the helpers' results back. Splits are by output rows or
// columns (sgemm), by rows of the upper triangle (gram) and by channels (per-channel
// projection), so every output element is computed by the same wasm code over the same terms
// in the same order as one call to `base` would: with the wasm kernels the results are
// bitwise those of `base` for any number of helpers (test/kernels/threaded.test.ts).
// Calls below the thresholds, and every other kernel, go to `base`. The owner blocks in
// Atomics.wait: Node's main thread and Workers may, a browser page's main thread may not.
import { defaultCandidates } from './gridProjection.ts';
import {
  evenBounds,
  f32,
  PROJECT,
  pack,
  reserve,
  SGEMM,
  type Share,
  triangleBounds,
  unpack,
} from './threadedShares.ts';
import {
  ASSIGNED,
  CLAIMED,
  DEAD,
  DONE,
  FAILED,
  IDLE,
  type KernelTeam,
  TeamControl,
} from './threadedTeam.ts';
import type { GridProjection, Kernels, ProjectOptions } from './types.ts';
import { extent } from './wasmBlas.ts';

export { evenBounds, runShare, triangleBounds } from './threadedShares.ts';

export interface ThreadedOptions {
  /** Smallest sgemm / gram (multiply-adds) worth splitting; default 2^22. */
  minMacs?: number;
  /** Smallest per-channel projection (values) worth splitting; default 2^16. */
  minProjectValues?: number;
  /** A line for the user, said once, when a call is too big for the shared buffer. */
  note?: (line: string) => void;
}

export interface ThreadedKernels extends Kernels {
  /** Calls that were split, and shares helpers computed (for tests and benches). */
  readonly stats: { splitCalls: number; helperShares: number };
}

/** `base` with its big calls split across the helpers that have joined `team`. */
export function threadedKernels(
  base: Kernels,
  team: KernelTeam,
  options: ThreadedOptions = {},
): ThreadedKernels {
  const minMacs = options.minMacs ?? 2 ** 22;
  const minProject = options.minProjectValues ?? 2 ** 16;
  const control = new TeamControl(team);
  const stats = { splitCalls: 0, helperShares: 0 };
  let noted = false;

  /** Slots of idle helpers this call may use (claimed), at most `max`. */
  function claim(max: number): number[] {
    const slots: number[] = [];
    for (let s = 0; s < team.slots && slots.length < max; s++) {
      if (control.state(s) === IDLE && !control.leaving(s) && control.move(s, IDLE, CLAIMED)) {
        slots.push(s);
      }
    }
    return slots;
  }

  function unclaim(slots: readonly number[]) {
    for (const s of slots) control.release(s, CLAIMED);
  }

  /** Makes room for `bytes` in the shared buffer; false when it cannot grow that far. */
  function room(bytes: number): boolean {
    const data = team.data as SharedArrayBuffer & { growable?: boolean; maxByteLength?: number };
    if (data.byteLength >= bytes) return true;
    if (data.growable && (data.maxByteLength ?? 0) >= bytes) {
      (data as unknown as { grow(n: number): void }).grow(Math.ceil(bytes / 65536) * 65536);
      return true;
    }
    if (!noted) {
      noted = true;
      options.note?.(
        `in-layer threads: a kernel call needs ${(bytes / 2 ** 20).toFixed(0)} MiB of shared memory, more than the ${(data.byteLength / 2 ** 20).toFixed(0)} MiB this engine can give; such calls run on one thread`,
      );
    }
    return false;
  }

  /**
   * Hands shares[i] to slots[i], runs `own` here, then collects. A share whose helper left
   * before the hand-over runs here too. Helpers are waited for even when `own` throws.
   */
  function run(slots: readonly number[], shares: Share[], bytes: number, own: () => void) {
    if (!room(bytes)) {
      unclaim(slots);
      for (const share of shares) share.local();
      own();
      return;
    }
    stats.splitCalls++;
    const assigned: number[] = [];
    for (let i = 0; i < slots.length; i++) {
      shares[i].fill(team.data);
      control.setOp(slots[i], shares[i].op, shares[i].params);
      if (control.move(slots[i], CLAIMED, ASSIGNED)) {
        control.ring(slots[i]);
        assigned.push(i);
      }
    }
    const failures: string[] = [];
    try {
      own();
      for (let i = 0; i < slots.length; i++) if (!assigned.includes(i)) shares[i].local();
    } finally {
      for (const i of assigned) {
        const s = slots[i];
        while (control.state(s) === ASSIGNED) control.waitState(s, ASSIGNED);
        const state = control.state(s);
        if (state === DONE) {
          shares[i].collect(team.data);
          stats.helperShares++;
        } else if (state === FAILED) failures.push(control.error(s));
        else if (state === DEAD) failures.push('the thread stopped');
        // A DEAD slot stays DEAD: nobody serves it any more.
        if (state !== DEAD) control.release(s, state);
      }
    }
    if (failures.length) throw new Error(`a kernel helper thread failed: ${failures[0]}`);
  }

  function sgemm(
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void {
    const byRows = m >= n;
    const len = byRows ? m : n;
    const slots = m * n * k >= minMacs && len >= 32 ? claim(Math.floor(len / 16) - 1) : [];
    if (slots.length === 0) {
      base.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const bounds = evenBounds(len, slots.length + 1);
    const at = { bytes: 0 };
    const shares: Share[] = [];
    // The shared operand (B when splitting rows, A when splitting columns) goes in once.
    const whole = byRows ? b : a;
    const wholeLen = byRows
      ? tb
        ? extent(n, k, ldb)
        : extent(k, n, ldb)
      : ta
        ? extent(k, m, lda)
        : extent(m, k, lda);
    const offWhole = reserve(at, wholeLen * 4);
    for (let i = 0; i < slots.length; i++) {
      const [lo, hi] = [bounds[i + 1], bounds[i + 2]];
      const w = hi - lo;
      // The split operand's part, packed: A's rows lo..hi (op(A)), or B's columns lo..hi (op(B)).
      const partRows = byRows ? (ta ? k : w) : tb ? w : k;
      const partCols = byRows ? (ta ? w : k) : tb ? k : w;
      const offPart = reserve(at, partRows * partCols * 4);
      const cRows = byRows ? w : m;
      const cCols = byRows ? n : w;
      const offC = reserve(at, cRows * cCols * 4);
      const src = byRows ? a : b;
      const ld = byRows ? lda : ldb;
      const partAt = byRows ? (ta ? lo : lo * lda) : tb ? lo * ldb : lo;
      const cAt = byRows ? lo * ldc : lo;
      const [offA, lenA, ldA] = byRows
        ? [offPart, partRows * partCols, partCols]
        : [offWhole, wholeLen, lda];
      const [offB, lenB, ldB] = byRows
        ? [offWhole, wholeLen, ldb]
        : [offPart, partRows * partCols, partCols];
      shares.push({
        op: SGEMM,
        params: [
          +ta,
          +tb,
          byRows ? w : m,
          byRows ? n : w,
          k,
          alpha,
          offA,
          lenA,
          ldA,
          offB,
          lenB,
        ].concat([ldB, beta, offC, cRows * cCols, cCols]),
        fill(data) {
          pack(f32(data, offPart, partRows * partCols), src, partAt, partRows, partCols, ld);
          if (beta !== 0) pack(f32(data, offC, cRows * cCols), c, cAt, cRows, cCols, ldc);
        },
        collect: (data) => unpack(c, cAt, ldc, f32(data, offC, cRows * cCols), cRows, cCols),
        local: () =>
          byRows
            ? base.sgemm(
                ta,
                tb,
                w,
                n,
                k,
                alpha,
                a.subarray(partAt),
                lda,
                b,
                ldb,
                beta,
                c.subarray(cAt),
                ldc,
              )
            : base.sgemm(
                ta,
                tb,
                m,
                w,
                k,
                alpha,
                a,
                lda,
                b.subarray(partAt),
                ldb,
                beta,
                c.subarray(cAt),
                ldc,
              ),
      });
    }
    if (shares.length) {
      const fill0 = shares[0].fill;
      shares[0].fill = (data) => {
        f32(data, offWhole, wholeLen).set(whole.subarray(0, wholeLen));
        fill0(data);
      };
    }
    const w0 = bounds[1];
    run(slots, shares, at.bytes, () =>
      byRows
        ? base.sgemm(ta, tb, w0, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        : base.sgemm(ta, tb, m, w0, k, alpha, a, lda, b, ldb, beta, c, ldc),
    );
  }

  function gram(a: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array {
    const slots =
      (rows * cols * cols) / 2 >= minMacs && cols >= 64 ? claim(Math.floor(cols / 32) - 1) : [];
    if (slots.length === 0) return base.gram(a, rows, cols, out);
    if (a.length < rows * cols)
      throw new RangeError(`gram: A has ${a.length} < ${rows * cols} elements`);
    const res = out ?? new Float32Array(cols * cols);
    // Each part is rows lo..hi of the upper triangle, columns lo..cols: one sgemm of A[:, lo:]ᵀ
    // A[lo:, ...], every entry the float32 sum wasmGram's blocks compute; then mirrored.
    const bounds = triangleBounds(cols, slots.length + 1);
    const at = { bytes: 0 };
    const shares: Share[] = [];
    const part = (lo: number, hi: number) => (c: Float32Array, cAt: number, ldc: number) =>
      base.sgemm(
        true,
        false,
        hi - lo,
        cols - lo,
        rows,
        1,
        a.subarray(lo),
        cols,
        a.subarray(lo),
        cols,
        0,
        c.subarray(cAt),
        ldc,
      );
    for (let i = 0; i < slots.length; i++) {
      // The owner takes part 0 (the widest rows, no copies); helpers the narrower ones.
      const [lo, hi] = [bounds[i + 1], bounds[i + 2]];
      const w = cols - lo;
      const offA = reserve(at, rows * w * 4);
      const offC = reserve(at, (hi - lo) * w * 4);
      shares.push({
        op: SGEMM,
        params: [
          1,
          0,
          hi - lo,
          w,
          rows,
          1,
          offA,
          rows * w,
          w,
          offA,
          rows * w,
          w,
          0,
          offC,
          (hi - lo) * w,
          w,
        ],
        fill: (data) => pack(f32(data, offA, rows * w), a, lo, rows, w, cols),
        collect: (data) =>
          unpack(res, lo * cols + lo, cols, f32(data, offC, (hi - lo) * w), hi - lo, w),
        local: () => part(lo, hi)(res, lo * cols + lo, cols),
      });
    }
    run(slots, shares, at.bytes, () => part(0, bounds[1])(res, 0, cols));
    for (let i = 1; i < cols; i++) {
      const row = i * cols;
      for (let j = 0; j < i; j++) res[row + j] = res[j * cols + i];
    }
    return res;
  }

  function projectToGrid(x: Float32Array, bits: number, opts?: ProjectOptions): GridProjection {
    const channels = opts?.channels ?? 1;
    const ok = channels >= 2 && x.length >= minProject && x.length % channels === 0;
    const slots = ok ? claim(Math.min(team.slots, channels - 1)) : [];
    if (slots.length === 0) return base.projectToGrid(x, bits, opts);
    const rowLen = x.length / channels;
    const bounds = evenBounds(channels, slots.length + 1, 1);
    const codes = new Int8Array(x.length);
    const scales = new Float32Array(channels);
    const values = new Float32Array(x.length);
    const put = (r: GridProjection, lo: number) => {
      codes.set(r.codes, lo * rowLen);
      scales.set(r.scales, lo);
      values.set(r.values, lo * rowLen);
    };
    const rowsOf = (lo: number, hi: number) => x.subarray(lo * rowLen, hi * rowLen);
    const project = (lo: number, hi: number) =>
      put(base.projectToGrid(rowsOf(lo, hi), bits, { ...opts, channels: hi - lo }), lo);
    const at = { bytes: 0 };
    const shares: Share[] = [];
    for (let i = 0; i < slots.length; i++) {
      const [lo, hi] = [bounds[i + 1], bounds[i + 2]];
      const len = (hi - lo) * rowLen;
      const [offX, offCodes, offScales, offValues] = [len * 4, len, (hi - lo) * 4, len * 4].map(
        (bytes) => reserve(at, bytes),
      );
      const candidates = opts?.candidates ?? defaultCandidates;
      shares.push({
        op: PROJECT,
        params: [offX, len, hi - lo, bits, candidates, offCodes, offScales, offValues],
        fill: (data) => f32(data, offX, len).set(rowsOf(lo, hi)),
        collect: (data) =>
          put(
            {
              codes: new Int8Array(data, offCodes, len),
              scales: f32(data, offScales, hi - lo),
              values: f32(data, offValues, len),
            },
            lo,
          ),
        local: () => project(lo, hi),
      });
    }
    run(slots, shares, at.bytes, () => project(0, bounds[1]));
    return { codes, scales, values };
  }

  // Every other kernel (and any a later build adds) is base's own.
  return { ...base, stats, sgemm, gram, projectToGrid };
}
