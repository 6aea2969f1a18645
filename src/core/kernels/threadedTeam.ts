// The shared-memory protocol between a thread that runs a layer (the owner) and the helper
// threads that compute shares of its big kernel calls (threaded.ts). Core code: no platform
// imports; the shells spawn the threads and hand them the team's two SharedArrayBuffers.
//
// Each helper holds one slot. A slot's state word moves
//   EMPTY -> IDLE (a helper joined) -> CLAIMED (the owner took it for a call)
//   -> ASSIGNED (its share is written) -> DONE | FAILED -> IDLE (the owner read the result)
//   IDLE -> EMPTY (the helper left after its leave flag was set)
// and DEAD when the shell saw the helper's thread stop. Every transition an owner and a
// helper (or the shell) could race on is a compare-exchange, so a helper that leaves or dies
// is never waited for: a claim that fails leaves that share to the owner, and a DEAD slot
// that was ASSIGNED fails the call with the reason. A helper sleeps on its slot's bell, a
// counter rung after every change it must see, so no wake-up is lost between its check and
// its wait.
import type { Kernels } from './types.ts';

export const EMPTY = 0;
export const IDLE = 1;
export const CLAIMED = 2;
export const ASSIGNED = 3;
export const DONE = 4;
export const FAILED = 5;
export const DEAD = 6;

const WORDS = 4; // state, leave, bell, op
const PARAMS = 24; // float64 parameters of a share
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
  const control = new SharedArrayBuffer(slots * (WORDS * 4 + PARAMS * 8 + ERROR_BYTES));
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

/** Typed views of a team's control block. */
export class TeamControl {
  readonly words: Int32Array;
  private readonly params: Float64Array;
  private readonly errors: Uint8Array;

  constructor(readonly team: KernelTeam) {
    const n = team.slots;
    this.words = new Int32Array(team.control, 0, n * WORDS);
    this.params = new Float64Array(team.control, n * WORDS * 4, n * PARAMS);
    this.errors = new Uint8Array(team.control, n * (WORDS * 4 + PARAMS * 8), n * ERROR_BYTES);
  }

  state(slot: number): number {
    return Atomics.load(this.words, slot * WORDS);
  }

  /**
   * Compare-exchange of the slot's state; true when it was `from`. Only an owner waits on the
   * state word (for an ASSIGNED share), so only moves out of ASSIGNED notify: a notify costs
   * about as much as a small kernel call on a busy machine.
   */
  move(slot: number, from: number, to: number): boolean {
    const ok = Atomics.compareExchange(this.words, slot * WORDS, from, to) === from;
    if (ok && from === ASSIGNED) Atomics.notify(this.words, slot * WORDS);
    return ok;
  }

  /**
   * Back to IDLE from `from` (the owner is done with the slot). A helper asked to leave while
   * the slot was not IDLE sleeps until rung, so only then is it rung.
   */
  release(slot: number, from: number): void {
    if (this.move(slot, from, IDLE) && this.leaving(slot)) this.ring(slot);
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

  op(slot: number): number {
    return Atomics.load(this.words, slot * WORDS + 3);
  }

  setOp(slot: number, op: number, params: readonly number[]): void {
    Atomics.store(this.words, slot * WORDS + 3, op);
    this.params.set(params, slot * PARAMS);
  }

  param(slot: number, i: number): number {
    return this.params[slot * PARAMS + i];
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
    return this.team.slots * (WORDS * 4 + PARAMS * 8) + slot * ERROR_BYTES;
  }
}

/** Runs one assigned share: reads the slot's op and parameters, computes, writes results. */
export type ShareRunner = (base: Kernels, control: TeamControl, slot: number) => void;

/**
 * The helper's loop (blocks the calling thread): joins `slot` of the team, computes the shares
 * the owner assigns with `base` until the slot's leave flag is set, then leaves. Returns
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
      try {
        run(base, control, slot);
        control.move(slot, ASSIGNED, DONE);
      } catch (err) {
        control.setError(slot, err instanceof Error ? err.message : String(err));
        control.move(slot, ASSIGNED, FAILED);
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
