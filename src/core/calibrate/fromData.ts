// Where calibration images come from when the user has no separate calibration set: a
// class-balanced part of the evaluation data, kept apart from the images evaluated (the app and
// `qaf sweep` say so in the same words), and the checks every calibration set passes before any
// work: its images must fit the model's input, and a handful of images earns a warning.
import { type CalibrationSplit, calibrationSplit } from '../data/subset.ts';
import type { Dataset } from '../data/types.ts';
import { MIN_CALIBRATION_IMAGES } from './defaults.ts';

export interface EvaluationCalibration extends CalibrationSplit {
  /** e.g. "calibrated on 256 of your images, evaluated on the other 744". */
  statement: string;
  /** Set when there are too few calibration images for stable statistics (or none at all). */
  warning: string | null;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Calibration images out of the evaluation data, disjoint from `evaluation` (subset.ts). */
export function calibrationFromEvaluation(
  dataset: Pick<Dataset, 'count' | 'labels'>,
  evaluation: Int32Array,
  images: number,
): EvaluationCalibration {
  const split = calibrationSplit(dataset, evaluation, images);
  const used = split.calibration.length;
  const statement =
    used === 0
      ? `not calibrated: too few images to set some aside (${count(split.evaluation.length)} evaluated)`
      : split.fromEvaluated
        ? `calibrated on ${count(used)} of your images, evaluated on the other ${count(split.evaluation.length)}`
        : `calibrated on ${count(used)} of your images, none of them among the ${count(split.evaluation.length)} evaluated`;
  return { ...split, statement, warning: calibrationCountWarning(used) };
}

/** A warning when `images` is too few for per-channel statistics to be trusted. */
export function calibrationCountWarning(images: number): string | null {
  if (images >= MIN_CALIBRATION_IMAGES) return null;
  if (images === 0) return 'no image left for calibration: the model is not calibrated';
  return (
    `only ${images} calibration image${images === 1 ? '' : 's'}: statistics from so few are ` +
    `noisy and may cost accuracy; use ${MIN_CALIBRATION_IMAGES} or more (256 recommended)`
  );
}

/** What a dataset's images look like, as far as the check needs. */
export type ImageGeometry = Pick<Dataset, 'width' | 'height' | 'channels' | 'pixelType'>;

/**
 * Why calibration data cannot feed this model input, or null when it can. Pixel images are
 * preprocessed like evaluation images (resized, laid out, grey and colour converted), so only a
 * channel count no conversion covers is refused; ready-made float inputs are used as they are, so
 * they must have the model's channels and size.
 */
export function calibrationDataProblem(
  inputShape: readonly (number | string)[],
  data: ImageGeometry,
): string | null {
  if (inputShape.length !== 4) return null;
  const dim = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : null);
  const channelsLast = dim(inputShape[1]) !== 1 && dim(inputShape[1]) !== 3;
  const [c, h, w] = (
    channelsLast ? [inputShape[3], inputShape[1], inputShape[2]] : inputShape.slice(1)
  ).map(dim);
  const model = `[${inputShape.join(', ')}] (${channelsLast ? 'NHWC' : 'NCHW'})`;
  const geometry = `${data.width}x${data.height}x${data.channels}`;
  if (data.pixelType === 'float32') {
    const differs =
      (c !== null && data.channels !== c) ||
      (h !== null && data.height !== h) ||
      (w !== null && data.width !== w);
    return differs
      ? `calibration inputs are ${geometry} float values, used as they are, but the model input is ${model}`
      : null;
  }
  if (c !== null && c !== 1 && data.channels !== 1 && data.channels !== c) {
    return `calibration images are ${geometry} but the model input is ${model}: ${data.channels} channels against ${c}`;
  }
  return null;
}
