// The cut plan of sequential calibration: every data-flow node runs in exactly one step, a step
// is fed what earlier steps left at the cut (two tensors across a skip connection), cached
// tensors are freed after their last reader, constants (weight dequantization) go with every step
// that needs them, and graphs the analysis does not cover are refused (null).
import { describe, expect, it } from 'vitest';
import { planCutSteps, truncatedPasses } from '../../src/core/calibrate/cutPlan.ts';
import { makeGraph, makeNode, makeValueInfo } from '../../src/core/onnx/builders.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { AttributeType, DataType, type GraphProto } from '../../src/core/onnx/types.ts';
import { LAYER_OUTPUTS, residualCompressed } from './residualFixture.ts';

const opOf = (graph: GraphProto, i: number) => graph.node![i].opType;

describe('planCutSteps', () => {
  const graph = readModel(residualCompressed()).graph;
  const plan = planCutSteps(graph, LAYER_OUTPUTS)!;

  it('runs every data-flow node once, in one step per layer', () => {
    expect(plan.graphInputs).toEqual(['x']);
    expect(plan.steps.map((s) => s.layer)).toEqual(LAYER_OUTPUTS);
    const ran = plan.steps.flatMap((s) => s.nodes);
    expect(new Set(ran).size).toBe(ran.length);
    const dataFlow = graph.node!.filter((n) => n.opType !== 'DequantizeLinear').length;
    expect(ran).toHaveLength(dataFlow);
    expect(plan.steps.map((s) => s.nodes.map((i) => opOf(graph, i)))).toEqual([
      ['Conv'],
      ['Relu', 'Conv'],
      ['Relu', 'Conv'],
      ['Add', 'Relu', 'Conv'],
      ['Relu', 'GlobalAveragePool', 'Flatten', 'Gemm'],
    ]);
  });

  it('feeds each step what earlier steps cached, across the skip connection too', () => {
    expect(plan.steps.map((s) => s.inputs)).toEqual([['x'], ['y0'], ['y1'], ['y2', 'r0'], ['y3']]);
    expect(plan.steps.map((s) => [...s.keep].sort())).toEqual([
      ['y0'],
      ['r0', 'y1'],
      ['y2'],
      ['y3'],
      [],
    ]);
    // r0 lives from step 1 to step 3 (the Add); each tensor is freed after its last reader.
    expect(plan.steps.map((s) => [...s.release].sort())).toEqual([
      [],
      ['y0'],
      ['y1'],
      ['r0', 'y2'],
      ['y3'],
    ]);
  });

  it("takes each step's weight dequantization with it (constants are not cut)", () => {
    for (const [k, step] of plan.steps.entries()) {
      expect(step.constants.map((i) => graph.node![i].output![0])).toEqual([
        `${['conv0', 'conv1', 'conv2', 'conv3', 'fc'][k]}_wdq`,
      ]);
    }
  });

  it('counts re-running from the input as one truncated pass per layer', () => {
    const perLayer = LAYER_OUTPUTS.map((name) => [name]);
    // 1 + 3 + 5 + 8 + 12 data-flow nodes over the 12 the last layer needs.
    expect(truncatedPasses(graph, perLayer)).toBeCloseTo(29 / 12, 12);
  });

  it('refuses layers out of graph order, missing outputs and nested graphs', () => {
    expect(planCutSteps(graph, ['y1', 'y0'])).toBeNull();
    expect(planCutSteps(graph, ['nothing'])).toBeNull();
    const nested: GraphProto = makeGraph({
      nodes: [
        makeNode('Relu', ['x'], ['y']),
        {
          opType: 'If',
          input: ['c'],
          output: ['z'],
          attribute: [
            {
              name: 'then_branch',
              type: AttributeType.GRAPH,
              g: makeGraph({ nodes: [], inputs: [], outputs: [] }),
            },
          ],
        },
      ],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
      outputs: [makeValueInfo('z', DataType.FLOAT, [1])],
    });
    expect(planCutSteps(nested, ['y'])).toBeNull();
  });
});
