// Issue #12 item 2: ConvTranspose and LSTM/GRU weights are quantized only (per output channel,
// per gate row) with the layers that are not factorized; the written model loads and runs in
// onnxruntime and stays close to the original.
import * as ort from 'onnxruntime-web/wasm';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/core/eval/session.ts';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { quantizeFixedWeights } from '../../src/core/rewrite/fixedWeights.ts';
import { upAndRecurrent } from '../support/upAndRecurrent.ts';
import { randomArray, runModel } from './helpers.ts';

const F = DataType.FLOAT;
const H = 8;

function relativeL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

describe('ConvTranspose, LSTM and GRU weights', () => {
  it('are quantized only, per output channel and per gate row, and the model still runs', async () => {
    const original = upAndRecurrent();
    const prepared = await prepareModel(original);
    expect(prepared.layers.map((l) => l.name)).toEqual(['conv']);
    expect(prepared.skipped.map((s) => [s.name, s.reason.split(' (')[0]])).toEqual([
      ['up', 'ConvTranspose: not factorized'],
      ['lstm', 'LSTM: not factorized'],
      ['gru', 'GRU: not factorized'],
    ]);
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'ptq', bits: 8, perChannel: true } },
    });
    expect(out.check).not.toBeNull();
    expect(out.report.notes.join('\n')).toMatch(
      /3 layers quantized only, 8-bit per channel, not factorized \(.*; 1632 weights, 2\.1 KiB instead of 6\.4 KiB, not in the layer totals\): up \(main graph\), lstm \(main graph\), gru \(main graph\)$/m,
    );
    const written = readModel(out.bytes);
    const nodes = written.graph.node ?? [];
    const dqAxis = (name: string) => {
      const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === name);
      return dq?.attribute?.find((a) => a.name === 'axis')?.i;
    };
    // ConvTranspose [Cin, Cout, k, k]: per output channel; W and R [dirs, gates*H, .]: per row.
    for (const w of ['wt', 'lw', 'lr', 'gw', 'gr']) expect([w, Number(dqAxis(w))]).toEqual([w, 1]);
    const floats = (written.graph.initializer ?? []).filter((t) => t.dataType === F);
    expect(floats.map((t) => t.name).sort()).toEqual(expect.arrayContaining(['bt', 'lb']));
    expect(floats.some((t) => ['wt', 'lw', 'lr', 'gw', 'gr'].includes(t.name ?? ''))).toBe(false);
    const x = randomArray(576, 9);
    const [a, b] = await Promise.all(
      [original, out.bytes].map((m) => runModel(m, x, [1, 16, 6, 6])),
    );
    expect(relativeL2(b, a)).toBeGreaterThan(0);
    expect(relativeL2(b, a)).toBeLessThan(0.03);
  }, 20_000);
});

/**
 * A Loop body holding a Constant weight and an If whose branches read it (outer scope, from the
 * body) and a main-graph initializer (two scopes up): x -> Loop x2 (If c: Conv cw, else Conv w).
 */
function nestedBodies(): OnnxModel {
  const hw = [1, 4, 5, 5];
  const branch = (name: string, w: string, out: string) =>
    makeGraph({
      name,
      nodes: [
        makeNode('Conv', ['v', w], [out], { kernel_shape: [1, 1] }, { name: `conv_${name}` }),
      ],
      inputs: [],
      outputs: [makeValueInfo(out, F, hw)],
    });
  const cw = makeTensor('cw_value', F, [4, 4, 1, 1], randomArray(16, 11, 0.5));
  const body = makeGraph({
    name: 'body',
    nodes: [
      makeNode('Constant', [], ['cw'], { value: cw }, { name: 'cw_const' }),
      makeNode(
        'If',
        ['c'],
        ['vo'],
        { then_branch: branch('then', 'cw', 'a'), else_branch: branch('else', 'w', 'b') },
        { name: 'if' },
      ),
      makeNode('Identity', ['ci'], ['co']),
    ],
    inputs: [
      makeValueInfo('i', DataType.INT64, []),
      makeValueInfo('ci', DataType.BOOL, []),
      makeValueInfo('v', F, hw),
    ],
    outputs: [makeValueInfo('co', DataType.BOOL, []), makeValueInfo('vo', F, hw)],
  });
  return makeModel(
    makeGraph({
      nodes: [makeNode('Loop', ['trips', 'go', 'x'], ['y'], { body }, { name: 'loop' })],
      inputs: [makeValueInfo('x', F, hw), makeValueInfo('c', DataType.BOOL, [])],
      outputs: [makeValueInfo('y', F, hw)],
      initializers: [
        makeTensor('w', F, [4, 4, 1, 1], randomArray(16, 12, 0.5)),
        makeTensor('trips', DataType.INT64, [], [2]),
        makeTensor('go', DataType.BOOL, [], [1]),
      ],
    }),
    { opset: 13 },
  );
}

describe('quantizeFixedWeights in nested bodies', () => {
  it('quantizes a body Constant and a main initializer read two scopes down; both branches run', async () => {
    const codes = nestedBodies();
    const q = quantizeFixedWeights(codes, 8, jsKernels, 'codes');
    expect(q.layers).toEqual([
      'conv_then (inside Loop body > inside If branch then_branch)',
      'conv_else (inside Loop body > inside If branch else_branch)',
    ]);
    expect(q.weights).toBe(2);
    const values = nestedBodies();
    quantizeFixedWeights(values, 8, jsKernels, 'values');
    const x = randomArray(100, 13);
    for (const c of [true, false]) {
      const [a, b, r] = await Promise.all(
        [writeModel(nestedBodies()), writeModel(codes), writeModel(values)].map((m) =>
          runTwoInputs(m, x, c),
        ),
      );
      expect(relativeL2(b, r)).toBeLessThan(1e-6);
      expect(relativeL2(b, a)).toBeGreaterThan(0);
      expect(relativeL2(b, a)).toBeLessThan(0.03);
    }
  });
});

async function runTwoInputs(bytes: Uint8Array, x: Float32Array, c: boolean) {
  const s = await createSession(bytes);
  try {
    const out = await s.run({
      x: new ort.Tensor('float32', x, [1, 4, 5, 5]),
      c: new ort.Tensor('bool', Uint8Array.from([c ? 1 : 0]), []),
    });
    return Float32Array.from(out.y.data as Float32Array);
  } finally {
    await s.release();
  }
}

/**
 * seq [T, 1, I] -> LSTM whose W is Unsqueeze(Concat(Slice(w_ih, 2H..4H), Slice(w_ih, 0..2H)))
 * (gates reordered, as Silero VAD v5 builds it) and whose R is Unsqueeze(w_hh): both traced back.
 */
function rearrangedLstm(): Uint8Array {
  const I = 6;
  const i64 = (name: string, v: number[]) => makeTensor(name, DataType.INT64, [v.length], v);
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          makeNode('Slice', ['w_ih', 'half', 'all', 'rows'], ['hi']),
          makeNode('Slice', ['w_ih', 'zero', 'half', 'rows'], ['lo']),
          makeNode('Concat', ['hi', 'lo'], ['wc'], { axis: 0 }),
          makeNode('Unsqueeze', ['wc', 'rows'], ['w']),
          makeNode('Unsqueeze', ['w_hh', 'rows'], ['r']),
          makeNode('LSTM', ['seq', 'w', 'r'], ['y'], { hidden_size: H }, { name: 'lstm' }),
        ],
        inputs: [makeValueInfo('seq', F, [5, 1, I])],
        outputs: [makeValueInfo('y', F, [5, 1, 1, H])],
        initializers: [
          makeTensor('w_ih', F, [4 * H, I], randomArray(4 * H * I, 21, 0.5)),
          makeTensor('w_hh', F, [4 * H, H], randomArray(4 * H * H, 22, 0.5)),
          i64('zero', [0]),
          i64('half', [2 * H]),
          i64('all', [4 * H]),
          i64('rows', [0]),
        ],
      }),
      { opset: 13 },
    ),
  );
}

describe('an LSTM whose weights are rearranged from constants', () => {
  it('quantizes the sources per row; the only layer, so the run is quantize-only', async () => {
    const original = rearrangedLstm();
    const prepared = await prepareModel(original);
    expect(prepared.layers).toEqual([]);
    expect(prepared.skipped.map((s) => s.reason)).toEqual([
      'LSTM: not factorized (weights W and R quantized only, per gate row, with the layers that are not factorized)',
    ]);
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'ptq', bits: 8, perChannel: true } },
    });
    const written = readModel(out.bytes);
    const floats = (written.graph.initializer ?? []).filter((t) => t.dataType === F);
    expect(floats.map((t) => t.name)).not.toContain('w_ih');
    const dq = (written.graph.node ?? []).filter((n) => n.opType === 'DequantizeLinear');
    expect(dq.map((n) => n.output?.[0]).sort()).toEqual(['w_hh', 'w_ih']);
    const x = randomArray(30, 23);
    const [a, b] = await Promise.all([original, out.bytes].map((m) => runModel(m, x, [5, 1, 6])));
    let d = 0;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) ** 2;
      n += a[i] ** 2;
    }
    expect(Math.sqrt(d / n)).toBeGreaterThan(0);
    expect(Math.sqrt(d / n)).toBeLessThan(0.03);
  }, 20_000);
});
