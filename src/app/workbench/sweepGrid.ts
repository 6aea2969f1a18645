// The baseline sweep's grid as the user edits it (methods × rates × bits), the core grid spec it
// becomes, how many points that is, and a rough time so nobody starts an hour by accident.

import { METHOD_IDS, METHODS, type MethodId } from '../../core/factor/methods/index.ts';
import { expandGrid, SWEEP_CALIBRATION_IMAGES } from '../../core/sweep/grid.ts';
import type { SweepGridSpec } from '../../core/sweep/types.ts';

export type SweepChoiceMethod = MethodId;

export interface SweepChoice {
  methods: SweepChoiceMethod[];
  rates: number[];
  bits: number[];
}

export const SWEEP_METHOD_LABELS = Object.fromEntries(
  METHOD_IDS.map((id) => [id, METHODS[id].shortLabel]),
) as Record<SweepChoiceMethod, string>;

export const SWEEP_RATE_OPTIONS = [1.2, 1.5, 2, 2.5, 3, 4];
export const SWEEP_BIT_OPTIONS = [2, 3, 4, 5, 6, 8];

export const DEFAULT_SWEEP_CHOICE: SweepChoice = {
  methods: ['admm', 'ftq', 'ptq'],
  rates: [1.5, 2, 3],
  bits: [4, 8],
};

/** The core grid: PTQ only when chosen; calibrated twins only with a calibration set. */
export function sweepGridSpec(choice: SweepChoice, hasCalibration: boolean): SweepGridSpec {
  return {
    methods: [...choice.methods],
    rates: [...choice.rates].sort((a, b) => a - b),
    bits: [...choice.bits].sort((a, b) => a - b),
    calibration: hasCalibration,
    quantizationOnly: choice.methods.includes('ptq'),
    includeFloat: true,
  };
}

/** Points the sweep will measure (the float model included); 0 when nothing is chosen. */
export function sweepPointCount(choice: SweepChoice, hasCalibration: boolean): number {
  if (choice.methods.length === 0) return 0;
  const needsRates = choice.methods.some((m) => METHODS[m].factorizes);
  if ((needsRates && choice.rates.length === 0) || choice.bits.length === 0) return 0;
  return expandGrid(sweepGridSpec(choice, hasCalibration)).length;
}

export interface SweepCostModel {
  params: number;
  /** Per image; null when unknown (ResNet-20's is assumed). */
  macs: number | null;
  images: number;
  /** Layers a sweep compresses (calibration runs the network once per layer); default 18. */
  layers?: number;
}

// Seconds for a ResNet-20-sized model (0.27 M parameters, 41 M MACs) on one core, from the demo's
// default sweep (29 points, 14 of them calibrated, 1,000 images) measured at 960 s in Node on the
// development VM (npm run demo:sweep, 2026-11-28): evaluation about 9-12 ms per image, and
// calibration, which runs the network truncated after each compressed layer in turn (on average
// half of it, plus one full pass for the reference), about 70 s for 512 images. Other models
// scale by parameters (factorization) and MACs (evaluation, calibration).
const REF_PARAMS = 269_034;
const REF_MACS = 40_551_424;
const EVAL_S_PER_IMAGE = 0.012;

/** A rough upper estimate of a sweep without cached points, in seconds. */
export function estimateSweepSeconds(
  choice: SweepChoice,
  hasCalibration: boolean,
  model: SweepCostModel,
): number {
  if (sweepPointCount(choice, hasCalibration) === 0) return 0;
  const paramScale = model.params / REF_PARAMS;
  const macScale = (model.macs ?? REF_MACS) / REF_MACS;
  const evalS = EVAL_S_PER_IMAGE * model.images * macScale;
  const passes = (model.layers ?? 18) / 2 + 1;
  const calibrateS = EVAL_S_PER_IMAGE * SWEEP_CALIBRATION_IMAGES * passes * macScale;
  return expandGrid(sweepGridSpec(choice, hasCalibration)).reduce((total, p) => {
    // A calibrated point reuses its twin's factors: calibration and evaluation only.
    const factorizeS = p.method === 'float' ? 0 : METHODS[p.method].estimateSeconds;
    const build = p.calibrated ? calibrateS : factorizeS * paramScale;
    return total + build + evalS;
  }, 0);
}

/** "about 40 s", "about 6 min", "about 1.5 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** Adds or removes one value of a chosen list. */
export function toggled<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}
