// How close a compressed model's outputs are to the original's, by kind of output: top-1
// agreement for class scores (per frame for sequence models), pixel agreement at the model's
// threshold for probability maps, relative L2 and cosine for everything else.

export type MetricKind = 'top1' | 'pixels' | 'relL2';

export interface Comparison {
  /** The figure the manifest judges: agreement in [0, 1], or relative L2. */
  value: number;
  relativeL2: number;
  cosine: number;
}

function argmax(v: ArrayLike<number>, start: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (v[start + j] > v[start + best]) best = j;
  return best;
}

/** Share of rows (the last axis holds the classes) whose argmax agrees. */
export function top1Agreement(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const rows = a.length / classes;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(a, r * classes, classes) === argmax(b, r * classes, classes)) same++;
  }
  return same / rows;
}

/** Share of pixels on the same side of `threshold`. */
export function pixelAgreement(a: ArrayLike<number>, b: ArrayLike<number>, threshold: number) {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > threshold === b[i] > threshold) same++;
  return same / a.length;
}

export function compare(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  kind: MetricKind,
  options: { classes?: number; threshold?: number } = {},
): Comparison {
  let dd = 0;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < a.length; i++) {
    dd += (b[i] - a[i]) ** 2;
    xx += a[i] * a[i];
    yy += b[i] * b[i];
    xy += a[i] * b[i];
  }
  const relativeL2 = xx > 0 ? Math.sqrt(dd / xx) : Math.sqrt(dd);
  const cosine = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : Number.NaN;
  const value =
    kind === 'top1'
      ? top1Agreement(a, b, options.classes ?? 1)
      : kind === 'pixels'
        ? pixelAgreement(a, b, options.threshold ?? 0.5)
        : relativeL2;
  return { value, relativeL2, cosine };
}
