// Running totals over batches: counts, not fractions, so batching never changes the result.
import {
  argmaxRows,
  countAgreement,
  countTopK,
  klDivergenceSum,
  toProbabilities,
} from './metrics.ts';

export interface BatchScores {
  scores: Float32Array;
  classes: number;
}

export interface ScoreTotals {
  /** Top-1 accuracy as a fraction; null without labels. */
  accuracy: number | null;
  /** Top-5 accuracy; null without labels or with 5 classes or fewer. */
  top5: number | null;
  /** Fraction of images where model and reference agree on the top-1 class; null without one. */
  agreement: number | null;
  /** Mean KL(reference || model) of the softmax outputs, in nats; null without a reference. */
  klDiv: number | null;
  images: number;
  classes: number;
  /** Top-1 class per evaluated image, in evaluation order. */
  predictions: Int32Array;
  /** The reference model's top-1 class per image; null without a reference. */
  referencePredictions: Int32Array | null;
}

export class ScoreAccumulator {
  private classes = 0;
  private seen = 0;
  private top1Hits = 0;
  private top5Hits = 0;
  private agreed = 0;
  private klSum = 0;
  private hasReference = false;
  private readonly predictions: Int32Array;
  private readonly referencePredictions: Int32Array;

  constructor(
    capacity: number,
    private readonly labels: Int32Array | null,
    private readonly classNames: string[] | null,
  ) {
    this.predictions = new Int32Array(capacity);
    this.referencePredictions = new Int32Array(capacity);
  }

  /** `imageIndices` are dataset indices of the first rows of `out` (extra rows are padding). */
  add(imageIndices: readonly number[], out: BatchScores, ref: BatchScores | null): void {
    const n = imageIndices.length;
    this.checkClasses(out.classes, ref);
    const scores = out.scores.subarray(0, n * out.classes);
    this.predictions.set(argmaxRows(scores, n, out.classes), this.seen);
    if (this.labels) {
      const labels = imageIndices.map((i) => this.labels![i]);
      this.top1Hits += countTopK(scores, labels, out.classes, 1);
      if (out.classes > 5) this.top5Hits += countTopK(scores, labels, out.classes, 5);
    }
    if (ref) {
      const refScores = ref.scores.subarray(0, n * ref.classes);
      this.hasReference = true;
      this.referencePredictions.set(argmaxRows(refScores, n, ref.classes), this.seen);
      this.agreed += countAgreement(scores, refScores, n, out.classes);
      const p = toProbabilities(refScores, n, out.classes);
      const q = toProbabilities(scores, n, out.classes);
      this.klSum += klDivergenceSum(p, q, n, out.classes);
    }
    this.seen += n;
  }

  private checkClasses(classes: number, ref: BatchScores | null): void {
    if (!Number.isInteger(classes) || classes < 1) {
      throw new Error('the model output is not one row of scores per image');
    }
    if (this.classes === 0) this.classes = classes;
    if (ref && ref.classes !== classes) {
      throw new Error(`the model has ${classes} outputs but the reference has ${ref.classes}`);
    }
    const datasetClasses = this.classNames?.length ?? 0;
    if (this.labels && datasetClasses > classes) {
      throw new Error(
        `the dataset has ${datasetClasses} classes but the model outputs only ${classes} scores`,
      );
    }
  }

  result(): ScoreTotals {
    const n = this.seen;
    const labelled = this.labels !== null && n > 0;
    return {
      accuracy: labelled ? this.top1Hits / n : null,
      top5: labelled && this.classes > 5 ? this.top5Hits / n : null,
      agreement: this.hasReference ? this.agreed / n : null,
      klDiv: this.hasReference ? this.klSum / n : null,
      images: n,
      classes: this.classes,
      predictions: this.predictions.subarray(0, n),
      referencePredictions: this.hasReference ? this.referencePredictions.subarray(0, n) : null,
    };
  }
}
