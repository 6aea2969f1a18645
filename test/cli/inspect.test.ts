import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectModel } from '../../src/cli/inspect.ts';
import { parseInputShapes } from '../../src/cli/util.ts';
import {
  DataType,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  writeModel,
} from '../../src/core/onnx/index.ts';
import { describeShared, readShared, repoRoot, sharedPath } from '../support/shared.ts';

const qaf = join(repoRoot, 'bin/qaf');

/** Runs bin/qaf from a directory outside the repo, as a user would. */
function run(args: string[]) {
  const r = spawnSync(process.execPath, [qaf, ...args], {
    cwd: tmpdir(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and parses `--json` output; a failure shows the command's stderr. */
function runJson(args: string[]) {
  const r = run(args);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describeShared('qaf inspect on the shared ResNets', () => {
  it('inspectModel: ResNet-20 has 20 layers, 269,034 params, 40,551,040 MACs', async () => {
    const report = await inspectModel(readShared('models/resnet20_cifar10.onnx'));
    expect(report.layers).toHaveLength(20);
    expect(report.model.params).toBe(269_034);
    expect(report.model.macs).toBe(40_551_040);
    expect(report.usedRuntime).toBe(false);
  });

  it('inspectModel: ResNet-56 has 850,986 params, 125,485,696 MACs', async () => {
    const report = await inspectModel(readShared('models/resnet56_cifar10.onnx'));
    expect(report.model.params).toBe(850_986);
    expect(report.model.macs).toBe(125_485_696);
  });

  it('`qaf inspect --json` prints exactly one JSON object', () => {
    const json = runJson(['inspect', sharedPath('models/resnet20_cifar10.onnx'), '--json']);
    expect(json.model).toMatchObject({
      params: 269_034,
      macs: 40_551_040,
      sizeBytes: 1_093_637,
      opset: 13,
    });
    expect(json.layers).toHaveLength(20);
    expect(json.layers.filter((l: { op: string }) => l.op === 'Conv')).toHaveLength(19);
    expect(json.layers[19]).toMatchObject({
      op: 'Gemm',
      weightShape: [10, 64],
      params: 650,
      macs: 640,
      factorizable: false,
    });
    expect(json.layers[1]).toMatchObject({
      outputShape: ['batch', 16, 32, 32],
      factorizable: true,
    });
  });

  it('`qaf inspect` prints an aligned table with the totals', () => {
    const r = run([
      'inspect',
      sharedPath('models/resnet20_cifar10.onnx'),
      '--input-shape',
      '4,3,32,32',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('269,034 parameters, 40,551,040 MACs');
    expect(r.stdout).toContain('[4, 16, 32, 32]');
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+\//.test(l));
    expect(rows).toHaveLength(20);
    // Aligned: the MACs column ends at the same position in every row.
    const ends = rows.map((row) => row.indexOf(' [4,'));
    expect(new Set(ends).size).toBe(1);
  });
});

describe('qaf command line', () => {
  it('--help lists the commands', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/commands:\n\s+inspect\s+/);
  });

  it('bad input exits non-zero with one line on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qaf-cli-'));
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n');
    expectOneLineError(
      run(['inspect', join(dir, 'missing.onnx')]),
      /cannot read model file .*no such file/,
    );
    expectOneLineError(run(['inspect', text]), /not a valid ONNX model/);
    expectOneLineError(run(['inspect', text, '--frobnicate']), /Unknown option '--frobnicate'/);
    expectOneLineError(run(['inspect']), /expected one MODEL.onnx/);
    expectOneLineError(run(['nonsense']), /unknown command "nonsense"/);
  });

  it('symbolic H/W: MACs unknown until --input-shape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qaf-cli-'));
    const path = join(dir, 'dyn.onnx');
    const graph = makeGraph({
      nodes: [makeNode('Conv', ['x', 'w'], ['y'], { kernel_shape: [3, 3] }, { name: 'conv' })],
      inputs: [makeValueInfo('x', DataType.FLOAT, ['N', 8, 'H', 'W'])],
      outputs: [makeValueInfo('y', DataType.FLOAT)],
      initializers: [makeTensor('w', DataType.FLOAT, [16, 8, 3, 3], new Float32Array(1152))],
    });
    writeFileSync(path, writeModel(makeModel(graph)));
    const open = runJson(['inspect', path, '--json']);
    expect(open.layers[0].macs).toBeNull();
    expect(open.model.macs).toBeNull();
    const fixed = runJson(['inspect', path, '--json', '--input-shape', 'x=1,8,10,12']);
    expect(fixed.layers[0].macs).toBe(16 * 8 * 9 * 8 * 10);
    expect(fixed.layers[0].outputShape).toEqual([1, 16, 8, 10]);
  });

  it('keeps static results when onnxruntime cannot run the model either', async () => {
    const graph = makeGraph({
      nodes: [
        makeNode('Mystery', ['x'], ['m'], {}, { domain: 'com.example' }),
        makeNode('Conv', ['m', 'w'], ['y'], { kernel_shape: [1, 1] }, { name: 'conv' }),
      ],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1, 8, 4, 4])],
      outputs: [makeValueInfo('y', DataType.FLOAT)],
      initializers: [makeTensor('w', DataType.FLOAT, [16, 8, 1, 1], new Float32Array(128))],
    });
    const model = makeModel(graph);
    model.opsetImport?.push({ domain: 'com.example', version: 1 });
    const report = await inspectModel(writeModel(model));
    expect(report.usedRuntime).toBe(true);
    expect(report.runtimeError).toMatch(/Mystery/);
    expect(report.layers).toHaveLength(1);
    expect(report.layers[0].macs).toBeNull();
  });

  it('parses --input-shape forms', () => {
    expect(parseInputShapes(['1,3,224,224'], ['input'])).toEqual({ input: [1, 3, 224, 224] });
    expect(parseInputShapes(['a=N,3', 'b=2x5'], ['a', 'b'])).toEqual({ a: ['N', 3], b: [2, 5] });
    expect(() => parseInputShapes(['1,2'], ['a', 'b'])).toThrow(/2 inputs/);
  });
});
