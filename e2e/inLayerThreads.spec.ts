// Issue #14, "inside the layer": on a 2-core page (cross-origin isolated, so SharedArrayBuffer
// exists), a model with one 128-channel conv runs that layer alone; the other compression worker
// joins its kernel team and computes shares of its big kernel calls. The codes are those a Node
// compression of the same layer on one thread gives. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { compressLayer } from '../src/core/factor/compressLayer.ts';
import { modelLayerJobs } from '../src/core/factor/modelJobs.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../src/core/onnx/reader.ts';
import { DataType } from '../src/core/onnx/types.ts';
import { normalSampler } from '../src/core/util/prng.ts';
import { choose } from './arrayFixtures.ts';

const C = 128;

function oneConvModel(): Buffer {
  const next = normalSampler(14);
  const w = Float32Array.from({ length: C * C * 9 }, () => 0.05 * next());
  const graph = makeGraph({
    nodes: [makeNode('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'wide' })],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, C, 8, 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, C, 8, 8])],
    initializers: [makeTensor('w', DataType.FLOAT, [C, C, 3, 3], w)],
  });
  return Buffer.from(writeModel(makeModel(graph, { opset: 13 })));
}

test('a lone wide layer is helped by the idle worker and gives the codes Node gives', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript(() =>
    Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 2 }),
  );
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  const model = oneConvModel();
  await choose(page, 'Open model', 'wide_conv.onnx', model);
  await expect(page.getByRole('heading', { name: 'wide_conv.onnx' })).toBeVisible({
    timeout: 20_000,
  });
  await page.getByRole('button', { name: 'Paper (weight error)' }).click();
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 120_000 });

  const helps = await page.evaluate(
    () => (globalThis as { __qafCompressHelps?: () => number }).__qafCompressHelps?.() ?? -1,
  );
  expect(helps).toBeGreaterThan(0);
  const browser = await page.evaluate(
    () =>
      (globalThis as { __qafLayerCodes?: { name: string; codes: number[][] }[] }).__qafLayerCodes,
  );
  const [job] = modelLayerJobs(readModel(new Uint8Array(model)), {
    method: 'admm',
    rate: 2,
    bits: 4,
    preset: 'default',
    seed: 0,
    perChannel: false,
  });
  const node = compressLayer(await loadKernels(), job);
  expect(browser?.find((l) => l.name === job.name)?.codes).toEqual(
    node.factors.map((f) => Array.from(f.codes ?? [])),
  );
  expect(pageErrors).toEqual([]);
});
