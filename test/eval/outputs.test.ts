import { describe, expect, it } from 'vitest';
import { modelInputSpecs, tensorSetFromArrays } from '../../src/core/data/tensors.ts';
import { compareModels } from '../../src/core/eval/compareModels.ts';
import type { OutputMetrics } from '../../src/core/eval/outputs.ts';
import {
  describeOutput,
  OutputAccumulator,
  REALISTIC_INPUTS_HINT,
} from '../../src/core/eval/outputs.ts';
import { judgeOutputs } from '../../src/core/eval/verdict.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';

describe('OutputAccumulator', () => {
  it('sums relative L2, cosine, max |diff| and SQNR over batches as over one pass', () => {
    const ref = Float32Array.from({ length: 42 }, (_, i) => Math.sin(i) * 3);
    const out = Float32Array.from(ref, (v, i) => v + 0.01 * Math.cos(7 * i));
    const whole = new OutputAccumulator();
    whole.add('y', { data: ref, dims: [6, 7] }, { data: out, dims: [6, 7] }, 6, 6);
    const parts = new OutputAccumulator();
    for (const [a, b] of [
      [0, 1],
      [1, 6],
    ]) {
      const dims = [b - a, 7];
      const s = (x: Float32Array) => x.subarray(a * 7, b * 7);
      parts.add('y', { data: s(ref), dims }, { data: s(out), dims }, b - a, b - a);
    }
    let dd = 0;
    let xx = 0;
    let xy = 0;
    let yy = 0;
    let max = 0;
    for (let i = 0; i < ref.length; i++) {
      dd += (out[i] - ref[i]) ** 2;
      xx += ref[i] ** 2;
      yy += out[i] ** 2;
      xy += ref[i] * out[i];
      max = Math.max(max, Math.abs(out[i] - ref[i]));
    }
    const [m] = whole.result();
    expect(m.kind).toBe('classes');
    expect(m.samples).toBe(6);
    expect(m.relativeL2).toBeCloseTo(Math.sqrt(dd / xx), 12);
    expect(m.cosine).toBeCloseTo(xy / Math.sqrt(xx * yy), 12);
    expect(m.maxAbsDiff).toBeCloseTo(max, 12);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(xx / dd), 9);
    expect(m.top1Agreement).toBe(1);
    // Same sums in the same order: equal to the bit (dims are the first batch's).
    expect({ ...parts.result()[0], dims: m.dims }).toEqual(m);
    expect(describeOutput(m)).toMatch(/^y: top-1 agreement 100.0 %, rel. L2/);
  });

  it('ignores rows that only pad a fixed batch, and tells class scores, maps and values apart', () => {
    const acc = new OutputAccumulator(0.3);
    // 2 real samples of a [4, 3] class output; rows 2-3 pad and disagree.
    const ref = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0]);
    const out = Float32Array.from([0.9, 0, 0, 0, 0.8, 0, 0, 0, 9, 0, 0, 9]);
    acc.add('scores', { data: ref, dims: [4, 3] }, { data: out, dims: [4, 3] }, 2, 4);
    // A [1, 1, 2, 2] probability map: one pixel crosses 0.3.
    const map = Float32Array.from([0.1, 0.5, 0.9, 0.2]);
    const moved = Float32Array.from([0.1, 0.2, 0.9, 0.2]);
    acc.add('map', { data: map, dims: [1, 1, 2, 2] }, { data: moved, dims: [1, 1, 2, 2] }, 1, 1);
    acc.add(
      'feat',
      { data: Float32Array.from([-2, 3]), dims: [1, 1, 2] },
      { data: Float32Array.from([-2, 3]), dims: [1, 1, 2] },
      1,
      1,
    );
    const [scores, m, feat] = acc.result();
    expect(scores.top1Agreement).toBe(1);
    expect(scores.samples).toBe(2);
    expect(m.kind).toBe('map');
    expect(m.pixelAgreement).toBe(0.75);
    expect(m.threshold).toBe(0.3);
    expect(feat.kind).toBe('values');
    expect(feat.relativeL2).toBe(0);
    expect(feat.sqnrDb).toBe(Infinity);
    expect(feat.top1Agreement).toBeNull();
    expect(feat.pixelAgreement).toBeNull();
  });
});

function metrics(over: Partial<OutputMetrics>): OutputMetrics {
  return {
    name: 'y',
    kind: 'values',
    dims: [1, 4],
    samples: 8,
    relativeL2: 0.01,
    cosine: 1,
    maxAbsDiff: 0.1,
    sqnrDb: 40,
    top1Agreement: null,
    pixelAgreement: null,
    threshold: null,
    constantValue: null,
    ...over,
  };
}

describe('judgeOutputs', () => {
  it('fails a collapsed probability map next to a sound 8-bit PTQ, with both sets of numbers', () => {
    // PP-OCR det at rate 2, 8 bits, uncalibrated, on 8 rendered text pages (measured 2026-12-02).
    const map = { kind: 'map' as const, dims: [8, 1, 160, 320], threshold: 0.5 };
    const written = metrics({ ...map, name: 'sigmoid', pixelAgreement: 0.815, relativeL2: 1 });
    const peer = metrics({ ...map, name: 'sigmoid', pixelAgreement: 0.997, relativeL2: 0.087 });
    const v = judgeOutputs([written], [peer]);
    expect(v.ok).toBe(false);
    expect(v.summary).toContain('probability map agrees on 81.5 % of pixels');
    expect(v.summary).toContain('8-bit PTQ: 99.7 %');
  });

  it('passes a compressed classifier that is worse than 8-bit PTQ but not far worse', () => {
    // ResNet-20 QAF rate 2, 4 bits, calibrated, on 32 calibration images (measured 2026-12-02).
    const cls = { kind: 'classes' as const, dims: [32, 10], samples: 32 };
    const written = metrics({ ...cls, top1Agreement: 0.906, relativeL2: 0.33 });
    const peer = metrics({ ...cls, top1Agreement: 1, relativeL2: 0.013 });
    expect(judgeOutputs([written], [peer]).ok).toBe(true);
    // The same uncalibrated, 84.4 % and 0.53, is a lossy trade-off its accuracy shows, not a
    // collapse: class scores are judged by their answers alone.
    const worse = metrics({ ...cls, top1Agreement: 0.844, relativeL2: 0.53 });
    expect(judgeOutputs([worse], [peer]).ok).toBe(true);
    // A third of the way down to chance, it has collapsed: 10 classes 70 %, 2 classes 83.3 %
    // (PP-OCR cls, an orientation classifier, at 75 % is not far above a coin toss).
    expect(judgeOutputs([metrics({ ...cls, top1Agreement: 0.65 })], [peer]).ok).toBe(false);
    const two = { kind: 'classes' as const, dims: [32, 2], samples: 32 };
    const twoPeer = metrics({ ...two, top1Agreement: 1 });
    expect(judgeOutputs([metrics({ ...two, top1Agreement: 0.75 })], [twoPeer]).ok).toBe(false);
    expect(judgeOutputs([metrics({ ...two, top1Agreement: 0.9 })], [twoPeer]).ok).toBe(true);
    // Agreement on a handful of samples is too coarse to fail on; the error still counts.
    const few = metrics({ ...cls, samples: 4, top1Agreement: 0.5, relativeL2: 0.3 });
    expect(judgeOutputs([few], [{ ...peer, samples: 4 }]).ok).toBe(true);
    // No peer: figures only.
    expect(judgeOutputs([worse], null).ok).toBe(true);
  });
});

/** y = x * w + bias_input: two inputs, one float weight. */
function twoInputModel(w: number): Uint8Array {
  const graph = makeGraph({
    nodes: [makeNode('Mul', ['x', 'w'], ['t']), makeNode('Add', ['t', 'b'], ['y'])],
    inputs: [
      makeValueInfo('x', DataType.FLOAT, ['N', 2, 5]),
      makeValueInfo('b', DataType.FLOAT, ['N', 2, 5]),
    ],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 2, 5])],
    initializers: [makeTensor('w', DataType.FLOAT, [1], [w])],
  });
  return writeModel(makeModel(graph));
}

describe('compareModels', () => {
  it('feeds every input by name and compares every output', async () => {
    const reference = twoInputModel(1);
    const spec = modelInputSpecs(readModel(reference));
    const x = Float32Array.from({ length: 3 * 10 }, (_, i) => (i % 7) - 3);
    const b = new Float32Array(3 * 10).fill(1);
    const arrays = new Map([
      ['x', { dtype: 'float32' as const, shape: [3, 2, 5], data: x }],
      ['b', { dtype: 'float32' as const, shape: [3, 2, 5], data: b }],
    ]);
    const data = tensorSetFromArrays(arrays, spec);
    const events: number[] = [];
    const report = await compareModels({
      modelBytes: twoInputModel(1.1),
      referenceBytes: reference,
      data,
      batchSize: 2,
      onProgress: (e) => events.push(e.progress),
    });
    expect(report.samples).toBe(3);
    const [y] = report.outputs;
    expect(y.name).toBe('y');
    expect(y.kind).toBe('values');
    // ||0.1 x|| / ||x + 1||
    let xx = 0;
    let rr = 0;
    for (let i = 0; i < x.length; i++) {
      xx += (0.1 * x[i]) ** 2;
      rr += (x[i] + 1) ** 2;
    }
    expect(y.relativeL2).toBeCloseTo(Math.sqrt(xx / rr), 5);
    expect(y.maxAbsDiff).toBeCloseTo(0.3, 5);
    expect(events.at(-1)).toBe(1);
  });
});

describe('an output both models hold at one value', () => {
  it('is said in words, never as cosine NaN or SQNR -Infinity, and is not judged', () => {
    const acc = new OutputAccumulator();
    const zeros = new Float32Array(8);
    acc.add('map', { data: zeros, dims: [2, 1, 2, 2] }, { data: zeros, dims: [2, 1, 2, 2] }, 2, 2);
    const half = new Float32Array(6).fill(0.5);
    acc.add('p', { data: half, dims: [2, 3] }, { data: half, dims: [2, 3] }, 2, 2);
    const [map, p] = acc.result();
    expect(map.constantValue).toBe(0);
    expect(p.constantValue).toBe(0.5);
    expect(describeOutput(map)).toBe(
      `map: both outputs are all zero on these inputs: the check cannot judge this output; ${REALISTIC_INPUTS_HINT}`,
    );
    expect(describeOutput(p)).toMatch(/^p: both outputs are constant \(0\.5000\) on these inputs/);
    const v = judgeOutputs([map, p], [map, p]);
    expect(v.ok).toBe(true);
    expect(v.unjudged).toEqual(['map', 'p']);
    expect(v.summary).toMatch(/^not judged: "map": both outputs are all zero on these inputs/);
    expect(v.summary).not.toMatch(/NaN|Infinity|not far from/);
  });

  it('still judges the other outputs, and names a one-sided zero for what it is', () => {
    const acc = new OutputAccumulator();
    const ref = Float32Array.from([0, 0, 0, 0]);
    const out = Float32Array.from([0, 0.1, 0, 0]);
    acc.add('y', { data: ref, dims: [1, 1, 4] }, { data: out, dims: [1, 1, 4] }, 1, 1);
    acc.add('z', { data: out, dims: [1, 1, 4] }, { data: ref, dims: [1, 1, 4] }, 1, 1);
    const [y, z] = acc.result();
    expect(y.constantValue).toBeNull();
    expect(describeOutput(y)).toContain('cosine undefined (one output is all zero)');
    expect(describeOutput(y)).toContain('SQNR undefined (the original output is all zero)');
    expect(describeOutput(z)).toContain('SQNR 0.0 dB');
    expect(describeOutput(y)).not.toMatch(/NaN|Infinity/);
    const flat = metrics({ name: 'flat', constantValue: 0, cosine: Number.NaN, relativeL2: 0 });
    const bad = metrics({ name: 'y', relativeL2: 1, cosine: 0.1 });
    const v = judgeOutputs([bad, flat], [metrics({ name: 'y' }), flat]);
    expect(v.ok).toBe(false);
    expect(v.unjudged).toEqual(['flat']);
    expect(v.summary).toMatch(/far more than an 8-bit PTQ.*"y".*not judged: "flat": both outputs/);
    const good = judgeOutputs([metrics({ name: 'y' }), flat], [metrics({ name: 'y' }), flat]);
    expect(good.ok).toBe(true);
    expect(good.summary).toMatch(/^not judged: "flat".*; the other outputs are not far from/);
  });
});
