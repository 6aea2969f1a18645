// Kernels that split one layer's big calls across the helper threads of a team (issue #14,
// "inside the layer"). The owner thread copies a call's operands into the team's shared
// buffer, wakes its idle helpers (threadedTeam.ts), and then it and they take the call's
// chunks one at a time: the owner computes its chunks with `base` straight from its arrays,
// a helper on views of the shared buffer; the owner copies the helpers' chunks back. A helper
// that wakes late only leaves more chunks to the owner. Chunks are output rows or columns
// (sgemm), rows of the upper triangle (gram) and channels (per-channel projection), so every
// output element is computed by the same wasm code over the same terms in the same order as
// one call to `base` would: with the wasm kernels the results are bitwise those of `base` for
// any number of helpers (test/kernels/threaded.test.ts).
// Calls below the thresholds, and every other kernel, go to `base`. The owner blocks in
// Atomics.wait: Node's main thread and Workers may, a browser page's main thread may not.
import { defaultCandidates } from './gridProjection.ts';
import {
  evenBounds,
  GRAM,
  gramChunk,
  PROJECT,
  type ProjectTargets,
  projectChunk,
  SGEMM,
  type SgemmCall,
  sgemmChunk,
  sgemmParams,
  triangleBounds,
} from './threadedShares.ts';
import {
  ASSIGNED,
  CLAIMED,
  DEAD,
  FAILED,
  IDLE,
  type KernelTeam,
  MAX_CHUNKS,
  RUNNING,
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
  /** Calls that were split, and chunks helpers computed (for tests and benches). */
  readonly stats: { splitCalls: number; helperShares: number };
}

const ALIGN = 16;
const f32 = (data: SharedArrayBuffer, off: number, len: number) => new Float32Array(data, off, len);

/** Byte offsets of consecutive regions of these sizes, each aligned; and the total. */
function layout(...bytes: number[]): { offsets: number[]; total: number } {
  let at = 0;
  const offsets = bytes.map((b) => {
    const off = at;
    at = Math.ceil((at + b) / ALIGN) * ALIGN;
    return off;
  });
  return { offsets, total: at };
}

/** A call cut into chunks: how to fill the shared buffer, compute a chunk here, collect one. */
interface Split {
  op: number;
  params: number[];
  chunks: number;
  bytes: number;
  fill(data: SharedArrayBuffer): void;
  own(i: number): void;
  collect(i: number, data: SharedArrayBuffer): void;
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

  /** Slots of idle helpers this call may use (claimed). */
  function claim(): number[] {
    const slots: number[] = [];
    for (let s = 0; s < team.slots; s++) {
      if (control.state(s) === IDLE && !control.leaving(s) && control.move(s, IDLE, CLAIMED)) {
        slots.push(s);
      }
    }
    return slots;
  }

  /** Chunks for `parts` threads over `len` items: two each, so a late helper costs little. */
  const chunksFor = (parts: number, len: number, per: number) =>
    Math.max(1, Math.min(MAX_CHUNKS, 2 * parts, Math.floor(len / per)));

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
   * Runs the split's chunks here and on the claimed helpers. Helpers that have not started
   * when the chunks run out are revoked; running ones are waited for (even when a chunk here
   * throws), so the shared buffer is free again when this returns.
   */
  function run(slots: readonly number[], split: Split): void {
    if (!room(split.bytes)) {
      for (const s of slots) control.release(s, CLAIMED);
      for (let i = 0; i < split.chunks; i++) split.own(i);
      return;
    }
    stats.splitCalls++;
    split.fill(team.data);
    control.setCall(split.op, split.params, split.chunks);
    const assigned: number[] = [];
    for (const s of slots) {
      if (!control.move(s, CLAIMED, ASSIGNED)) continue; // DEAD meanwhile
      control.ring(s);
      assigned.push(s);
    }
    const failures: string[] = [];
    try {
      for (let i = control.takeChunk(false); i >= 0; i = control.takeChunk(false)) split.own(i);
    } finally {
      for (const s of assigned) {
        if (control.release(s, ASSIGNED)) continue; // never started: revoked
        while (control.state(s) === RUNNING) control.waitState(s, RUNNING);
        const state = control.state(s);
        if (state === FAILED) failures.push(control.error(s));
        else if (state === DEAD) failures.push('the thread stopped');
        // A DEAD slot stays DEAD: nobody serves it any more.
        if (state !== DEAD) control.release(s, state);
      }
    }
    if (failures.length) throw new Error(`a kernel helper thread failed: ${failures[0]}`);
    for (let i = 0; i < split.chunks; i++) {
      if (!control.helperChunk(i)) continue;
      split.collect(i, team.data);
      stats.helperShares++;
    }
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
    const slots = m * n * k >= minMacs && len >= 32 ? claim() : [];
    if (slots.length === 0) {
      base.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const chunks = chunksFor(slots.length + 1, len, 16);
    const call: SgemmCall = { ta, tb, m, n, k, alpha, lda, ldb, beta, ldc, byRows, chunks };
    // Operands go in whole, in their own layout, so a chunk is the same call on either side.
    const lenA = ta ? extent(k, m, lda) : extent(m, k, lda);
    const lenB = tb ? extent(n, k, ldb) : extent(k, n, ldb);
    const lenC = extent(m, n, ldc);
    if (a.length < lenA || b.length < lenB || c.length < lenC) {
      for (const s of slots) control.release(s, CLAIMED);
      base.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); // throws the reason
      return;
    }
    const { offsets, total } = layout(lenA * 4, lenB * 4, lenC * 4);
    const [offA, offB, offC] = offsets;
    const bounds = evenBounds(len, chunks);
    run(slots, {
      op: SGEMM,
      params: [...sgemmParams(call), offA, lenA, offB, lenB, offC, lenC],
      chunks,
      bytes: total,
      fill(data) {
        f32(data, offA, lenA).set(a.subarray(0, lenA));
        f32(data, offB, lenB).set(b.subarray(0, lenB));
        if (beta !== 0) f32(data, offC, lenC).set(c.subarray(0, lenC));
      },
      own: (i) => sgemmChunk(base, call, a, b, c, i),
      collect(i, data) {
        const from = f32(data, offC, lenC);
        const [lo, hi] = [bounds[i], bounds[i + 1]];
        if (byRows) {
          for (let r = lo; r < hi; r++) c.set(from.subarray(r * ldc, r * ldc + n), r * ldc);
        } else {
          for (let r = 0; r < m; r++)
            c.set(from.subarray(r * ldc + lo, r * ldc + hi), r * ldc + lo);
        }
      },
    });
  }

  function gram(a: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array {
    const big = (rows * cols * cols) / 2 >= minMacs && cols >= 64 && a.length >= rows * cols;
    const slots = big ? claim() : [];
    if (slots.length === 0) return base.gram(a, rows, cols, out);
    const res = out ?? new Float32Array(cols * cols);
    const chunks = chunksFor(slots.length + 1, cols, 16);
    const bounds = triangleBounds(cols, chunks);
    const { offsets, total } = layout(rows * cols * 4, cols * cols * 4);
    const [offA, offC] = offsets;
    run(slots, {
      op: GRAM,
      params: [rows, cols, chunks, offA, offC],
      chunks,
      bytes: total,
      fill: (data) => f32(data, offA, rows * cols).set(a.subarray(0, rows * cols)),
      own: (i) => gramChunk(base, rows, cols, chunks, a, res, i),
      collect(i, data) {
        const from = f32(data, offC, cols * cols);
        for (let r = bounds[i]; r < bounds[i + 1]; r++) {
          res.set(from.subarray(r * cols + bounds[i], (r + 1) * cols), r * cols + bounds[i]);
        }
      },
    });
    // The lower triangle mirrors the upper one, as wasmGram does: exactly symmetric.
    for (let i = 1; i < cols; i++) {
      const row = i * cols;
      for (let j = 0; j < i; j++) res[row + j] = res[j * cols + i];
    }
    return res;
  }

  function projectToGrid(x: Float32Array, bits: number, opts?: ProjectOptions): GridProjection {
    const channels = opts?.channels ?? 1;
    const ok = channels >= 2 && x.length >= minProject && x.length % channels === 0;
    const slots = ok ? claim() : [];
    if (slots.length === 0) return base.projectToGrid(x, bits, opts);
    const len = x.length;
    const rowLen = len / channels;
    const candidates = opts?.candidates ?? defaultCandidates;
    const chunks = chunksFor(slots.length + 1, channels, 1);
    const bounds = evenBounds(channels, chunks, 1);
    const out: ProjectTargets = {
      codes: new Int8Array(len),
      scales: new Float32Array(channels),
      values: new Float32Array(len),
    };
    const { offsets, total } = layout(len * 4, len, channels * 4, len * 4);
    const [offX, offCodes, offScales, offValues] = offsets;
    run(slots, {
      op: PROJECT,
      params: [len, channels, chunks, bits, candidates, offX, offCodes, offScales, offValues],
      chunks,
      bytes: total,
      fill: (data) => f32(data, offX, len).set(x),
      own: (i) => projectChunk(base, x, channels, chunks, bits, candidates, out, i),
      collect(i, data) {
        const [lo, hi] = [bounds[i], bounds[i + 1]];
        out.codes.set(new Int8Array(data, offCodes + lo * rowLen, (hi - lo) * rowLen), lo * rowLen);
        out.scales.set(f32(data, offScales + lo * 4, hi - lo), lo);
        out.values.set(f32(data, offValues + lo * rowLen * 4, (hi - lo) * rowLen), lo * rowLen);
      },
    });
    return out;
  }

  // Every other kernel (and any a later build adds) is base's own.
  return { ...base, stats, sgemm, gram, projectToGrid };
}
