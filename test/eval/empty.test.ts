// An evaluation of zero images is an error, not a report of nulls (issue #17, honest reports).
import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../src/cli/eval.ts';
import { evaluateModel } from '../../src/core/eval/evaluate.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

describe('empty evaluations', () => {
  it('evaluateModel refuses zero images with a sentence', async () => {
    const { dataset } = generatedImages(4, { patternSeed: 1, noiseSeed: 2 });
    await expect(
      evaluateModel({ modelBytes: tinyClassifierBytes(), dataset, indices: new Int32Array(0) }),
    ).rejects.toThrow(/nothing to evaluate/);
  });

  it('qaf eval --limit 0 is a usage error', () => {
    expect(() => parseEvalArgs(['m.onnx', '--data', 'd.bin', '--limit', '0'])).toThrow(
      /--limit 0 would evaluate no image/,
    );
  });
});
