// Raising a model's opset converts every op whose form or meaning changed on the way, subgraphs
// included: each converted model loads in onnxruntime-web and computes what the original does.
import * as ort from 'onnxruntime-web/wasm';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/core/eval/session.ts';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { opsetUpgradeProblem, raiseOpset } from '../../src/core/onnx/opsetConvert.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import {
  AttributeType,
  DataType,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
} from '../../src/core/onnx/types.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

function model(opset: number, nodes: NodeProto[], xDims: number[], inits: TensorProto[] = []) {
  return makeModel(
    makeGraph({
      nodes,
      inputs: [makeValueInfo('x', F, xDims)],
      outputs: [makeValueInfo('y', F)],
      initializers: inits,
    }),
    { opset, irVersion: opset >= 11 ? 6 : 4 },
  );
}

async function run(m: OnnxModel, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await createSession(writeModel(m));
  try {
    const out = await s.run({ x: new ort.Tensor('float32', x, dims) });
    return Float32Array.from(out[s.outputNames[0]].data as Float32Array);
  } finally {
    await s.release();
  }
}

/** Raises `m` to `to`, runs both, and returns the raised model and the largest difference. */
async function raiseAndCompare(m: OnnxModel, dims: number[], to = 21) {
  const raised = raiseOpset(m, to);
  const x = randomArray(
    dims.reduce((a, b) => a * b, 1),
    5,
    3,
  );
  const [a, b] = await Promise.all([run(m, x, dims), run(raised, x, dims)]);
  expect(b).toHaveLength(a.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return { raised, diff };
}

const ops = (m: OnnxModel) => (m.graph.node ?? []).map((n) => n.opType);

describe('raiseOpset', () => {
  it('Clip-6 min/max, Pad-2, Slice-1 and TopK-1 attributes become inputs', async () => {
    const m = model(
      9,
      [
        makeNode('Clip', ['x'], ['c'], { min: -0.5, max: 1.25 }),
        makeNode('Pad', ['c'], ['p'], { pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 0.75 }),
        makeNode('Slice', ['p'], ['s'], { starts: [1, 0], ends: [4, 1000], axes: [2, 3] }),
        makeNode('TopK', ['s'], ['y', 'i'], { k: 3, axis: 3 }),
      ],
      [1, 2, 4, 5],
    );
    const { raised, diff } = await raiseAndCompare(m, [1, 2, 4, 5]);
    expect(diff).toBe(0);
    expect(raised.opsetImport?.[0]).toEqual({ domain: '', version: 21 });
    expect(raised.irVersion).toBe(10);
    expect(
      (raised.graph.node ?? []).every((n) =>
        (n.attribute ?? []).every(
          (a) => a.name !== 'min' && a.name !== 'pads' && a.name !== 'starts' && a.name !== 'k',
        ),
      ),
    ).toBe(true);
  });

  it('Upsample (7 and 9) and Resize-10 become Resize with the same sampling', async () => {
    for (const mode of ['nearest', 'linear']) {
      const m9 = model(
        9,
        [makeNode('Upsample', ['x', 'sc'], ['y'], { mode })],
        [1, 2, 3, 4],
        [makeTensor('sc', F, [4], [1, 1, 2, 3])],
      );
      const a = await raiseAndCompare(m9, [1, 2, 3, 4]);
      expect(ops(a.raised)).toEqual(['Resize']);
      expect(a.diff).toBeLessThan(1e-6);
      const m7 = model(
        7,
        [
          makeNode(
            'Upsample',
            ['x'],
            ['y'],
            [
              makeAttribute('mode', mode),
              makeAttribute('scales', [1, 1, 2, 2], AttributeType.FLOATS),
            ],
          ),
        ],
        [1, 2, 3, 4],
      );
      expect((await raiseAndCompare(m7, [1, 2, 3, 4], 13)).diff).toBeLessThan(1e-6);
      const m10 = model(
        10,
        [makeNode('Resize', ['x', 'sc'], ['y'], { mode })],
        [1, 2, 3, 4],
        [makeTensor('sc', F, [4], [1, 1, 2, 2])],
      );
      expect((await raiseAndCompare(m10, [1, 2, 3, 4])).diff).toBeLessThan(1e-6);
    }
  });

  it("Softmax before 13 keeps its 2-D meaning; Dropout, BatchNorm's spatial and Split convert", async () => {
    const bn = ['g', 'b', 'mu', 'v'].map((n, i) =>
      makeTensor(n, F, [3], i === 3 ? [1, 2, 0.5] : randomArray(3, i + 1)),
    );
    const m = model(
      7,
      [
        makeNode('BatchNormalization', ['x', 'g', 'b', 'mu', 'v'], ['n'], { spatial: 1 }),
        makeNode('Dropout', ['n'], ['d'], { ratio: 0.3 }),
        makeNode('Split', ['d'], ['s1', 's2'], { axis: 2, split: [1, 3] }),
        makeNode('Concat', ['s2', 's1'], ['c'], { axis: 2 }),
        makeNode('Softmax', ['c'], ['y'], { axis: 1 }),
      ],
      [2, 3, 4, 2],
      bn,
    );
    const { raised, diff } = await raiseAndCompare(m, [2, 3, 4, 2]);
    expect(diff).toBeLessThan(1e-6);
    expect(ops(raised)).toContain('Flatten');
    expect(ops(raised)).not.toContain('Dropout');
  });

  it('converts ops inside If branches (ReduceMean axes in a subgraph)', async () => {
    const branch = (name: string, axes: number[]) =>
      makeGraph({
        name,
        nodes: [makeNode('ReduceMean', ['x'], [`${name}_y`], { axes, keepdims: 1 })],
        inputs: [],
        outputs: [makeValueInfo(`${name}_y`, F)],
      });
    const m = model(
      13,
      [
        makeNode('ReduceSum', ['x'], ['total'], { keepdims: 0 }),
        makeNode('Greater', ['total', 'zero'], ['cond']),
        makeNode('If', ['cond'], ['y'], {
          then_branch: branch('then', [1]),
          else_branch: branch('else', [2]),
        }),
      ],
      [1, 3, 4],
      [makeTensor('zero', F, [], [0])],
    );
    const { raised, diff } = await raiseAndCompare(m, [1, 3, 4]);
    expect(diff).toBeLessThan(1e-6);
    const inner = raised.graph.node?.[2].attribute?.[0].g?.node?.[0];
    expect(inner?.input).toHaveLength(2);
  });

  it('refuses, naming the op and where it is, what it does not convert', () => {
    const body = makeGraph({
      name: 'body',
      nodes: [makeNode('GroupNormalization', ['x', 's', 'b'], ['z'], { num_groups: 2 })],
      inputs: [],
      outputs: [makeValueInfo('z', F)],
    });
    const m = model(
      18,
      [makeNode('If', ['c'], ['y'], { then_branch: body, else_branch: body })],
      [1, 4, 2],
    );
    expect(opsetUpgradeProblem(m.graph, 18, 21)).toMatch(
      /GroupNormalization.*inside If then_branch.*per channel/,
    );
    expect(opsetUpgradeProblem(m.graph, 18, 20)).toBeNull();
  });
});
