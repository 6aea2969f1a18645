// The validator refuses broken graphs and weights before any work, one sentence naming the node.
import { describe, expect, it } from 'vitest';
import { makeAttribute } from '../../src/core/onnx/builders.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import type { OnnxModel } from '../../src/core/onnx/types.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { InvalidModelError, validateModel } from '../../src/core/pipeline/validate.ts';
import { tinyClassifierBytes } from '../support/generated.ts';

function tiny(): OnnxModel {
  return readModel(tinyClassifierBytes());
}

function conv2(model: OnnxModel) {
  return model.graph.node!.find((n) => n.name === 'conv2')!;
}

function weight(model: OnnxModel, name: string) {
  return model.graph.initializer!.find((t) => t.name === name)!;
}

describe('validateModel', () => {
  it('passes a sound model', () => {
    expect(validateModel(tiny())).toEqual({ errors: [], warnings: [] });
  });

  it('finds cycles, self-loops and tensors nothing defines', () => {
    const m = tiny();
    conv2(m).input![0] = 'r2'; // conv2 reads relu2's output: a cycle
    expect(validateModel(m).errors.join()).toMatch(
      /"conv2" \(Conv\).*reads "r2" before it is computed/,
    );
    const self = tiny();
    self.graph.node![1].input![0] = 'r1'; // relu1 reads itself
    expect(validateModel(self).errors.join()).toMatch(/"relu1".*before it is computed/);
    const missing = tiny();
    conv2(missing).input![0] = 'nowhere';
    expect(validateModel(missing).errors.join()).toMatch(/reads "nowhere", which nothing defines/);
  });

  it('checks subgraphs with the outer scope visible', () => {
    const m = tiny();
    const branch = {
      name: 'then',
      node: [{ opType: 'Identity', input: ['r1'], output: ['t'] }],
      output: [{ name: 't' }],
    };
    const bad = { ...branch, node: [{ opType: 'Identity', input: ['ghost'], output: ['t'] }] };
    m.graph.node!.push({
      opType: 'If',
      input: ['cond'],
      output: ['t'],
      name: 'choose',
      attribute: [
        { name: 'then_branch', type: 5, g: branch },
        { name: 'else_branch', type: 5, g: bad },
      ],
    });
    m.graph.input!.push({ name: 'cond' });
    const errors = validateModel(m).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/else_branch of node "choose" \(If\).*"ghost"/);
  });

  it('checks conv attributes against the weight', () => {
    const m = tiny();
    conv2(m).attribute!.push(makeAttribute('strides', [0, 1]));
    conv2(m).attribute!.push(makeAttribute('kernel_shape', [5, 5]));
    const errors = validateModel(m).errors.join('\n');
    expect(errors).toMatch(/"conv2".*stride below 1/);
    expect(errors).toMatch(/kernel_shape \[5, 5\] contradicts its weight \[16, 16, 3, 3\]/);
    const grouped = tiny();
    conv2(grouped).attribute!.push(makeAttribute('group', 3));
    expect(validateModel(grouped).errors.join()).toMatch(/group 3 does not divide its 16/);
  });

  it('refuses NaN/Inf weights naming layer and tensor, flags outliers, notes integer weights', () => {
    const m = tiny();
    const w = weight(m, 'w2');
    const values = new Float32Array(w.rawData!.slice().buffer);
    values[7] = Number.NaN;
    w.rawData = new Uint8Array(values.buffer);
    expect(validateModel(m).errors.join()).toMatch(
      /"conv2" \(Conv\): weight "w2" holds NaN \(element 7\)/,
    );
    values[7] = 1e16;
    w.rawData = new Uint8Array(values.buffer);
    expect(validateModel(m).warnings.join()).toMatch(/"conv2".*extreme outlier/);
  });

  it('bounds element counts by the bytes present and refuses duplicates and negative dims', () => {
    const m = tiny();
    weight(m, 'w2').dims = [16, 16, 3, 3000];
    expect(validateModel(m).errors.join()).toMatch(
      /"w2" declares 2304000 elements but holds 9216 bytes/,
    );
    const dup = tiny();
    dup.graph.initializer!.push({ ...weight(dup, 'b2') });
    expect(validateModel(dup).errors.join()).toMatch(/two initializers named "b2"/);
    const neg = tiny();
    neg.graph.input![0].type!.tensorType!.shape!.dim![2] = { dimValue: -8 };
    expect(validateModel(neg).errors.join()).toMatch(/input "x" has a negative dimension/);
  });

  it('shortens hostile names in messages', () => {
    const m = tiny();
    conv2(m).input![0] = 'n'.repeat(1_000_000);
    const [error] = validateModel(m).errors;
    expect(error.length).toBeLessThan(300);
  });

  it('prepareModel refuses an invalid model before any work', async () => {
    const m = tiny();
    conv2(m).input![0] = 'nowhere';
    const { writeModel } = await import('../../src/core/onnx/reader.ts');
    await expect(prepareModel(writeModel(m))).rejects.toThrow(/"nowhere"/);
    const nan = tiny();
    const w = weight(nan, 'w2');
    const values = new Float32Array(w.rawData!.slice().buffer);
    values[0] = Number.POSITIVE_INFINITY;
    w.rawData = new Uint8Array(values.buffer);
    await expect(prepareModel(writeModel(nan))).rejects.toThrow(InvalidModelError);
  });
});
