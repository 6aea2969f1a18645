// Classification metrics over row-major [rows x classes] score matrices (logits or probabilities).

/** Index of the largest score in each row (first one on ties). */
export function argmaxRows(scores: Float32Array, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (scores[r * classes + c] > scores[r * classes + best]) best = c;
    }
    out[r] = best;
  }
  return out;
}

/** Fraction of rows whose top-1 class equals the label. */
export function top1(scores: Float32Array, labels: ArrayLike<number>, classes: number): number {
  return topK(scores, labels, classes, 1);
}

/**
 * Fraction of rows whose label is among the k highest scores. A label ties into the top k only
 * if fewer than k classes score strictly higher (the optimistic convention of torch.topk).
 */
export function topK(
  scores: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  k: number,
): number {
  return countTopK(scores, labels, classes, k) / labels.length;
}

/** Number of rows (not the fraction) whose label is in the top k: sums across batches exactly. */
export function countTopK(
  scores: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  k: number,
): number {
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    const target = scores[r * classes + labels[r]];
    let higher = 0;
    for (let c = 0; c < classes && higher < k; c++) {
      if (scores[r * classes + c] > target) higher++;
    }
    if (higher < k) hits++;
  }
  return hits;
}

/** Row-wise softmax, max-subtracted so large logits do not overflow. */
export function softmax(logits: Float32Array, rows: number, classes: number): Float64Array {
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[base + c] = Math.exp(logits[base + c] - max);
    for (let c = 0; c < classes; c++) out[base + c] /= sum;
  }
  return out;
}

/** True when every row is already a probability distribution (a model that ends in Softmax). */
export function isProbabilityRows(scores: Float32Array, rows: number, classes: number): boolean {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = scores[r * classes + c];
      if (v < 0 || v > 1) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

/** Softmax of logits, or the rows themselves when they already are probabilities. */
export function toProbabilities(scores: Float32Array, rows: number, classes: number): Float64Array {
  return isProbabilityRows(scores, rows, classes)
    ? Float64Array.from(scores.subarray(0, rows * classes))
    : softmax(scores, rows, classes);
}

/**
 * Sum over rows of KL(p || q) = sum_c p log(p / q), in nats; divide by rows for the mean.
 * q is floored at 1e-12 so a class the model rules out entirely gives a large, finite penalty.
 */
export function klDivergenceSum(
  p: Float64Array,
  q: Float64Array,
  rows: number,
  classes: number,
): number {
  let total = 0;
  for (let i = 0; i < rows * classes; i++) {
    if (p[i] > 0) total += p[i] * Math.log(p[i] / Math.max(q[i], 1e-12));
  }
  return Math.max(0, total);
}

/** Mean KL(p || q) per row; p is the reference distribution. */
export function klDivergence(
  p: Float64Array,
  q: Float64Array,
  rows: number,
  classes: number,
): number {
  return rows === 0 ? 0 : klDivergenceSum(p, q, rows, classes) / rows;
}

/** Number of rows where both score matrices have the same top-1 class. */
export function countAgreement(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  classes: number,
): number {
  const pa = argmaxRows(a, rows, classes);
  const pb = argmaxRows(b, rows, classes);
  let same = 0;
  for (let r = 0; r < rows; r++) if (pa[r] === pb[r]) same++;
  return same;
}

/** Linear-interpolated percentile (numpy's default), q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
