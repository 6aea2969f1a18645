// Issue #12: a model whose every weight layer sits inside If branches (as Silero VAD) has no
// main-graph layer to factorize. A quantizing run writes its body weights quantized per channel
// and says that nothing was factorized and why (src/core/pipeline/quantizeOnly.ts); the file
// runs both branches next to the original. A run that would quantize nothing still refuses.
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { PreflightError, preflight } from '../../src/core/pipeline/preflight.ts';
import { randomArray, runModel } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;
const HW = [1, 8, 5, 5];

/** x -> If (sum(x) > 0: 3x3 conv; else 1x1 conv) -> y, both weights main-graph initializers. */
function branchesOnly(opts: { runtimeWeight?: boolean } = {}): Uint8Array {
  const branch = (name: string, w: string, k: number) =>
    makeGraph({
      name,
      nodes: [
        makeNode(
          'Conv',
          ['x', w],
          [`h_${name}`],
          { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] },
          { name: `conv_${name}` },
        ),
      ],
      inputs: [],
      outputs: [makeValueInfo(`h_${name}`, F, HW)],
    });
  const weights = opts.runtimeWeight
    ? [makeNode('Relu', ['w3_raw'], ['w3']), makeNode('Relu', ['w1_raw'], ['w1'])]
    : [];
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          ...weights,
          makeNode('ReduceSum', ['x'], ['s'], { keepdims: 0 }),
          makeNode('Greater', ['s', 'zero'], ['cond']),
          makeNode('If', ['cond'], ['y'], {
            then_branch: branch('then', 'w3', 3),
            else_branch: branch('else', 'w1', 1),
          }),
        ],
        inputs: [makeValueInfo('x', F, HW)],
        outputs: [makeValueInfo('y', F, HW)],
        initializers: [
          makeTensor(opts.runtimeWeight ? 'w3_raw' : 'w3', F, [8, 8, 3, 3], randomArray(576, 1)),
          makeTensor(opts.runtimeWeight ? 'w1_raw' : 'w1', F, [8, 8, 1, 1], randomArray(64, 2)),
          makeTensor('zero', F, [], [0]),
        ],
      }),
      { opset: 13 },
    ),
  );
}

function relativeL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

const qaf = { settings: { method: 'admm' as const, rate: 2, bits: 4, preset: 'default' as const } };

describe('a model whose weight layers are all inside If branches', () => {
  it('QAF quantizes the branch weights, says nothing was factorized, and the file runs', async () => {
    const original = branchesOnly();
    const prepared = await prepareModel(original);
    expect(prepared.layers).toEqual([]);
    const checked = await preflight(prepared, qaf);
    expect(checked.notes[0]).toMatch(
      /^QAF \(ADMM\): no layer of the main graph to compress \(of the model's 2 weight nodes, 2 inside If\/Loop\/Scan bodies.*nothing was factorized; the 2 with float32 constant weights are quantized only, 8-bit per channel/,
    );
    const out = await compressModel({ prepared, kernels: jsKernels, allocation: qaf });
    expect(out.results).toEqual([]);
    expect(out.calibrated).toBe(false);
    const notes = out.report.notes.join('\n');
    expect(notes).toMatch(/nothing was factorized/);
    expect(notes).toMatch(/2 layers quantized only, 8-bit per channel/);
    // The check ran the file; the written model is itself the 8-bit PTQ, so it has no peer.
    expect(out.check?.peer).toBeNull();
    const written = readModel(out.bytes);
    expect(written.graph.initializer?.some((t) => t.name === 'w3')).toBe(false);
    const x = Float32Array.from(randomArray(200, 9), (v) => v + 0.05);
    for (const input of [x, x.map((v) => -v)]) {
      const [a, b] = await Promise.all([original, out.bytes].map((m) => runModel(m, input, HW)));
      expect(relativeL2(b, a)).toBeGreaterThan(0);
      expect(relativeL2(b, a)).toBeLessThan(0.03);
    }
  }, 20_000);

  it('PTQ at 4 other-weights bits is judged against an 8-bit peer', async () => {
    const prepared = await prepareModel(branchesOnly());
    const ptq = { settings: { method: 'ptq' as const, bits: 8, perChannel: true } };
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: ptq,
      output: { otherWeightBits: 4 },
    });
    expect(out.report.notes.join('\n')).toMatch(/quantized only, 4-bit per channel/);
    expect(out.check?.peer).not.toBeNull();
  }, 20_000);

  it('refuses with the reasons when nothing would be quantized', async () => {
    const prepared = await prepareModel(branchesOnly());
    // Float weights kept float: no compression at all.
    await expect(preflight(prepared, qaf, { otherWeightBits: 32 })).rejects.toThrow(
      /no layer to compress: none of the model's 2 weight nodes/,
    );
    // Weights computed at run time: nothing to quantize.
    const runtime = await prepareModel(branchesOnly({ runtimeWeight: true }));
    const run = preflight(runtime, qaf);
    await expect(run).rejects.toThrow(PreflightError);
    await expect(preflight(runtime, qaf)).rejects.toThrow(/not compressed/);
  }, 20_000);
});
