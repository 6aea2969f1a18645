// How many calibration images each use takes, in one place (app, CLI, sweeps, activations).

/** Images for activation-quantization ranges (the first of the calibration batches). */
export const ACT_CALIBRATION_IMAGES = 256;
/** Images the app calibrates a run on. */
export const APP_CALIBRATION_IMAGES = 256;
/** Images the app calibrates each sweep point on. */
export const SWEEP_CALIBRATION_IMAGES = 512;
/** Images the CLI calibrates on unless told otherwise (--calibration-images). */
export const DEFAULT_CALIBRATION_IMAGES = 1024;
/** Fewer calibration images than this get a warning (per-channel statistics too noisy). */
export const MIN_CALIBRATION_IMAGES = 32;
