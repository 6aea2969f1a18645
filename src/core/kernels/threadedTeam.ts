// The shared-memory protocol between a thread that runs a layer (the owner) and the helper
// threads that compute shares of its big kernel calls (threaded.ts). Core code: no platform
// imports; the shells spawn the threads and hand them the team's two SharedArrayBuffers.
//
// A call is cut into chunks (threadedShares.ts) that the owner and its helpers take one at a
// time from a shared counter, so a helper that wakes late, or not at all (a busy machine),
// only leaves more chunks to the owner instead of making it wait. Each helper holds one slot.
// A slot's state word moves
//   EMPTY -> IDLE (a helper joined) -> CLAIMED (the owner took it for a call)
//   -> ASSIGNED (the call is written; rung) -> RUNNING (the helper started taking chunks)
//   -> DONE | FAILED -> IDLE (the owner collected)
//   ASSIGNED -> IDLE (the call ended before the helper started: revoked)
//   IDLE -> EMPTY (the helper left after its leave flag was set)
// and DEAD when the shell saw the helper's thread stop. Every transition an owner and a
// helper (or the shell) could race on is a compare-exchange, so the owner waits only for a
// helper that is RUNNING (computing its last chunk), and a DEAD slot that was RUNNING fails
// the call with the reason. A helper sleeps on its slot's bell, a counter rung after every
// change it must see, so no wake-up is lost between its check and its wait.
import type { Kernels } from './types.ts';

export const EMPTY = 0;
export const IDLE = 1;
export const CLAIMED = 2;
export const ASSIGNED = 3;
export const DONE = 4;
export const FAILED = 5;
export const DEAD = 6;
export const RUNNING = 7;

const WORDS = 4; // per slot: state, leave, bell, (spare)
const CALL_WORDS = 4; // the call: next chunk, op, chunk count, (spare)
/** Most chunks a call is cut into. */
export const MAX_CHUNKS = 64;
const PARAMS = 32; // float64 parameters of the call
const ERROR_BYTES = 512;

/** A team's shared memory: control words, parameters, error text; and the operand buffer. */
export interface KernelTeam {
  readonly slots: number;
  readonly control: SharedArrayBuffer;
  /** Operands and results; growable where the engine can, else fixed (big calls then run alone). */
  readonly data: SharedArrayBuffer;
}

/** A team with room for `slots` helpers and up to `maxDataBytes` of operands per call. */
export function createTeam(slots: number, maxDataBytes = 2 ** 31): KernelTeam {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`team: slots ${slots} < 1`);
  const control = new SharedArrayBuffer(controlBytes(slots));
  let data: SharedArrayBuffer;
  try {
    // Growable (ES2024): Node 20+, Chrome 111+, Firefox 119+, Safari 16.4+.
    const Growable = SharedArrayBuffer as unknown as new (
      bytes: number,
      options: { maxByteLength: number },
    ) => SharedArrayBuffer;
    data = new Growable(1 << 20, { maxByteLength: maxDataBytes });
  } catch {
    data = new SharedArrayBuffer(64 << 20);
  }
  return { slots, control, data };
}

function controlBytes(slots: number): number {
  return (slots * WORDS + CALL_WORDS + MAX_CHUNKS) * 4 + PARAMS * 8 + slots * ERROR_BYTES;
}

/** Typed views of a team's control block. */
export class TeamControl {
  readonly words: Int32Array;
  private readonly params: Float64Array;
  private readonly errors: Uint8Array;

  private readonly call: Int32Array;
  private readonly chunks: Int32Array;

  constructor(readonly team: KernelTeam) {
    const n = team.slots;
    this.words = new Int32Array(team.control, 0, n * WORDS);
    this.call = new Int32Array(team.control, n * WORDS * 4, CALL_WORDS);
    this.chunks = new Int32Array(team.control, (n * WORDS + CALL_WORDS) * 4, MAX_CHUNKS);
    const paramsAt = (n * WORDS + CALL_WORDS + MAX_CHUNKS) * 4;
    this.params = new Float64Array(team.control, paramsAt, PARAMS);
    this.errors = new Uint8Array(team.control, paramsAt + PARAMS * 8, n * ERROR_BYTES);
  }

  state(slot: number): number {
    return Atomics.load(this.words, slot * WORDS);
  }

  /**
   * Compare-exchange of the slot's state; true when it was `from`. Only an owner waits on the
   * state word (for a RUNNING helper), so only moves out of RUNNING notify.
   */
  move(slot: number, from: number, to: number): boolean {
    const ok = Atomics.compareExchange(this.words, slot * WORDS, from, to) === from;
    if (ok && from === RUNNING) Atomics.notify(this.words, slot * WORDS);
    return ok;
  }

  /**
   * Back to IDLE from `from` (the owner is done with the slot). A helper asked to leave while
   * the slot was not IDLE sleeps until rung, so only then is it rung.
   */
  release(slot: number, from: number): boolean {
    const ok = this.move(slot, from, IDLE);
    if (ok && this.leaving(slot)) this.ring(slot);
    return ok;
  }

  /** Waits while the slot's state is `value` (returns at once if it is not). */
  waitState(slot: number, value: number): void {
    Atomics.wait(this.words, slot * WORDS, value);
  }

  leaving(slot: number): boolean {
    return Atomics.load(this.words, slot * WORDS + 1) !== 0;
  }

  setLeave(slot: number, leave: boolean): void {
    Atomics.store(this.words, slot * WORDS + 1, leave ? 1 : 0);
    this.ring(slot);
  }

  ring(slot: number): void {
    Atomics.add(this.words, slot * WORDS + 2, 1);
    Atomics.notify(this.words, slot * WORDS + 2);
  }

  bell(slot: number): number {
    return Atomics.load(this.words, slot * WORDS + 2);
  }

  waitBell(slot: number, seen: number): void {
    Atomics.wait(this.words, slot * WORDS + 2, seen);
  }

  /** Writes a call of `chunks` chunks (before any helper is ASSIGNED it). */
  setCall(op: number, params: readonly number[], chunks: number): void {
    if (chunks > MAX_CHUNKS) throw new RangeError(`team: ${chunks} chunks > ${MAX_CHUNKS}`);
    this.params.set(params);
    this.chunks.fill(0, 0, chunks);
    Atomics.store(this.call, 1, op);
    Atomics.store(this.call, 2, chunks);
    Atomics.store(this.call, 0, 0);
  }

  op(): number {
    return Atomics.load(this.call, 1);
  }

  param(i: number): number {
    return this.params[i];
  }

  /** The next chunk of the call to compute, or -1 when all are taken; `byHelper` marks it. */
  takeChunk(byHelper: boolean): number {
    const i = Atomics.add(this.call, 0, 1);
    if (i >= Atomics.load(this.call, 2)) return -1;
    if (byHelper) Atomics.store(this.chunks, i, 1);
    return i;
  }

  /** Whether a helper computed chunk i (read after every helper is out of the call). */
  helperChunk(i: number): boolean {
    return Atomics.load(this.chunks, i) === 1;
  }

  setError(slot: number, message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES - 4);
    new DataView(this.team.control).setInt32(this.errorAt(slot), bytes.length, true);
    this.errors.set(bytes, slot * ERROR_BYTES + 4);
  }

  error(slot: number): string {
    const len = new DataView(this.team.control).getInt32(this.errorAt(slot), true);
    const at = slot * ERROR_BYTES + 4;
    // TextDecoder refuses views of shared memory: copy the bytes out first.
    return new TextDecoder().decode(this.errors.slice(at, at + len));
  }

  private errorAt(slot: number): number {
    return controlBytes(this.team.slots) - (this.team.slots - slot) * ERROR_BYTES;
  }
}

/** The helper's side of a call: takes chunks (control.takeChunk(true)) until none is left. */
export type ShareRunner = (base: Kernels, control: TeamControl) => void;

/**
 * The helper's loop (blocks the calling thread): joins `slot` of the team, computes chunks of
 * the calls the owner hands out with `base` until the slot's leave flag is set, then leaves. Returns
 * 'left', or 'taken' when the slot was not free.
 */
export function serveTeam(
  base: Kernels,
  team: KernelTeam,
  slot: number,
  run: ShareRunner,
): 'left' | 'taken' {
  const control = new TeamControl(team);
  if (!control.move(slot, EMPTY, IDLE)) return 'taken';
  for (;;) {
    const bell = control.bell(slot);
    const state = control.state(slot);
    if (state === ASSIGNED) {
      // The owner may have revoked the call meanwhile: start only if it is still ours.
      if (!control.move(slot, ASSIGNED, RUNNING)) continue;
      try {
        run(base, control);
        control.move(slot, RUNNING, DONE);
      } catch (err) {
        control.setError(slot, err instanceof Error ? err.message : String(err));
        control.move(slot, RUNNING, FAILED);
      }
      continue;
    }
    if (state === DEAD || state === EMPTY) return 'left';
    if (state === IDLE && control.leaving(slot)) {
      if (control.move(slot, IDLE, EMPTY)) return 'left';
      continue;
    }
    control.waitBell(slot, bell);
  }
}

/**
 * Asks the helper in `slot` to leave (after the share it may be computing). A shell calls it
 * when the owner's layer is done or the helper is wanted elsewhere.
 */
export function requestLeave(team: KernelTeam, slot: number): void {
  new TeamControl(team).setLeave(slot, true);
}

/** Clears the leave flag before a helper is sent to `slot` (a shell's step before joining). */
export function clearLeave(team: KernelTeam, slot: number): void {
  new TeamControl(team).setLeave(slot, false);
}

/**
 * The shell saw the helper of `slot` stop: its slot becomes DEAD, so an owner waiting for its
 * share fails with the reason instead of waiting forever; freeSlot makes it usable again.
 * Also how a shell dismisses a helper whose owner stopped (the helper leaves on DEAD).
 */
export function markDead(team: KernelTeam, slot: number): void {
  const control = new TeamControl(team);
  for (;;) {
    const s = control.state(slot);
    if (s === EMPTY || s === DEAD) return;
    if (Atomics.compareExchange(control.words, slot * WORDS, s, DEAD) === s) {
      Atomics.notify(control.words, slot * WORDS);
      control.ring(slot);
      return;
    }
  }
}

/** Makes a DEAD slot EMPTY again (no owner call is waiting on it any more). */
export function freeSlot(team: KernelTeam, slot: number): void {
  new TeamControl(team).move(slot, DEAD, EMPTY);
}
