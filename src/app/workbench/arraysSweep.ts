// "Run baseline sweep" on the user's arrays (no labelled images, issue #12): the chosen grid run
// point by point through the app's own run (factorize with the layer cache, write, calibrate on
// the arrays, compare with the original on them), each point a result row marked `sweep`: the
// table and the charts show its agreement with the original, never an accuracy. The core's
// sweep (runModelSweep) evaluates labelled images only.
import { METHODS } from '../../core/factor/methods/index.ts';
import { expandGrid, pointId } from '../../core/sweep/grid.ts';
import type { SweepPoint } from '../../core/sweep/types.ts';
import { compressAndEvaluate } from './runActions.ts';
import type { CompressSettings, UiMethod } from './settings.ts';
import { patchSweep, useSession } from './store.ts';
import { type SweepChoice, sweepGridSpec } from './sweepGrid.ts';

/** The grid's points (no float point: the original is the reference, 100 % agreement). */
export function arraysSweepPoints(choice: SweepChoice): SweepPoint[] {
  // Calibrated twins too: the arrays calibrate as calibration images do.
  return expandGrid(sweepGridSpec(choice, true)).filter((p) => p.method !== 'float');
}

/** A point's run settings, as a sweep point's click loads them (chartData sweepSettings). */
export function arraysPointSettings(base: CompressSettings, p: SweepPoint): CompressSettings {
  if (p.method === 'float') throw new Error('the float model is not a sweep run');
  const choice: UiMethod = p.method === 'ptq' ? 'ptq-tensor' : p.method;
  const spec = METHODS[p.method];
  return {
    ...base,
    method: choice,
    sizeBy: 'rate',
    rate: spec.factorizes && p.rate !== null ? p.rate : base.rate,
    bits: spec.quantizes ? p.bits : base.bits,
    actBits: p.actBits ?? 32,
    otherBits: 8,
    preset: 'default',
    calibrate: p.calibrated,
    layerMode: 'all',
    overrides: undefined,
  };
}

/**
 * Runs every point; a point that fails is named at the end and the others still run. Stops when
 * `signal` aborts (the running point is cancelled by the caller).
 */
export async function runArraysSweep(
  base: CompressSettings,
  choice: SweepChoice,
  signal: AbortSignal,
): Promise<void> {
  const points = arraysSweepPoints(choice);
  const failed: string[] = [];
  for (const [i, p] of points.entries()) {
    signal.throwIfAborted();
    patchSweep({
      detail: `point ${i + 1} of ${points.length} on your arrays: ${pointId(p)}`,
      progress: i / points.length,
    });
    await compressAndEvaluate(arraysPointSettings(base, p), { sweep: true });
    signal.throwIfAborted();
    const run = useSession.getState().run;
    if (run.phase === 'cancelled') throw new DOMException('cancelled', 'AbortError');
    if (run.phase === 'failed') failed.push(`${pointId(p)}: ${run.message ?? 'failed'}`);
  }
  if (failed.length) {
    throw new Error(
      `${failed.length} of ${points.length} points failed (the others are in the results): ${failed.join('; ')}`,
    );
  }
}
