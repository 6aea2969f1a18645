// The cost preview and the engine must agree on every layer's rank (issue #11): the rank the
// app's preview costs (costChoices, by the cost model's factorDims) is the rank the run
// factorizes at (the jobs of allocationJobs, resolved by the engine's rule and, for some
// layers, the rank of a real compressLayer result), for every rate the UI offers and every
// factorizing method; a rate or rank the engine rejects is rejected by the preview with the same
// message.
import { describe, expect, it } from 'vitest';
import {
  type CompressSettings,
  costChoices,
  DEFAULT_SETTINGS,
  jobSettings,
  PUBLISHED_RATES,
  type UiMethod,
} from '../../src/app/workbench/settings.ts';
import { SWEEP_RATE_OPTIONS } from '../../src/app/workbench/sweepGrid.ts';
import { rankForRate } from '../../src/core/cost/costModel.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import { METHOD_CHOICES, METHODS } from '../../src/core/factor/methods/index.ts';
import { allocationJobs, selectLayers } from '../../src/core/factor/modelJobs.ts';
import type { CompressJob } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import type { LayerInfo } from '../../src/core/onnx/index.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { groupCpDims, resolveRank } from '../../src/core/util/rank.ts';
import { centeredLcg } from '../support/random.ts';
import { describeShared, readShared, sharedSkipReason } from '../support/shared.ts';

const kernels = await loadKernels();

/** Every rate a user can pick: the compress panel's and the sweep grid's. */
const UI_RATES = [...new Set([...PUBLISHED_RATES, ...SWEEP_RATE_OPTIONS])].sort((a, b) => a - b);

/** The method choices whose rank follows from a rate (QAF, FTQ, float CP). */
const FACTORIZING: UiMethod[] = METHOD_CHOICES.filter((c) => METHODS[c.method].factorizes).map(
  (c) => c.id,
);

/** A layer's rank, or the RankError message that stands for it. */
type RankOutcome = number | string;

/** The preview's view: rank per chosen layer, or the reason it has none. */
function previewRanks(layers: readonly LayerInfo[], s: CompressSettings) {
  const { choices, rankErrors } = costChoices(layers, s);
  const out = new Map<string, RankOutcome>();
  for (const [name, c] of choices) out.set(name, c.rank ?? Number.NaN);
  for (const e of rankErrors) {
    expect(out.has(e.layer), `${e.layer} both costed and rejected`).toBe(false);
    out.set(e.layer, e.reason);
  }
  return out;
}

/** The engine's rule applied to a job, as compressLayer applies it. */
function engineRank(job: Pick<CompressJob, 'shape' | 'rank' | 'rate' | 'groups'>): RankOutcome {
  try {
    return resolveRank(groupCpDims(job.shape, job.groups), job.rank, job.rate);
  } catch (e) {
    return (e as Error).message;
  }
}

/** What a real compression reports: its rank, or the message it throws. */
function compressedRank(job: CompressJob): RankOutcome {
  try {
    return compressLayer(kernels, job).rank;
  } catch (e) {
    return (e as Error).message;
  }
}

const atRate = (method: UiMethod, rate: number): CompressSettings => ({
  ...DEFAULT_SETTINGS,
  method,
  sizeBy: 'rate',
  rate,
});

const atRank = (method: UiMethod, rank: number): CompressSettings => ({
  ...DEFAULT_SETTINGS,
  method,
  sizeBy: 'rank',
  rank,
});

describeShared(`preview and engine ranks on the shared ResNets${sharedSkipReason}`, () => {
  // Factorizable layers: the 3x3 block convs (the stem and the classifier are too small).
  const models = [
    { file: 'resnet20_cifar10.onnx', factorizable: 18 },
    { file: 'resnet56_cifar10.onnx', factorizable: 54 },
  ];
  const prepared = new Map<string, Promise<PreparedModel>>();
  const model = (file: string) => {
    if (!prepared.has(file)) prepared.set(file, prepareModel(readShared(`models/${file}`)));
    return prepared.get(file)!;
  };

  it.each(models)(
    '$file: every layer, every UI rate, every factorizing method',
    async ({ file, factorizable }) => {
      const p = await model(file);
      let compared = 0;
      for (const method of FACTORIZING) {
        for (const rate of UI_RATES) {
          const s = atRate(method, rate);
          const preview = previewRanks(p.layers, s);
          const jobs = allocationJobs(p.model, p.layers, { settings: jobSettings(s) });
          expect(jobs).toHaveLength(factorizable);
          // The same layers, and for each the same rank (or the same refusal).
          expect([...preview.keys()].sort()).toEqual(jobs.map((j) => j.name).sort());
          for (const job of jobs) {
            expect(job.rate).toBe(rate);
            expect(preview.get(job.name), `${file} ${method} rate ${rate} ${job.name}`).toBe(
              engineRank(job),
            );
            compared++;
          }
          // The cost model's own rate rule, the one the CLI's report uses, is the same too.
          for (const layer of p.layers.filter((l) => preview.has(l.name))) {
            expect(rankForRate(layer, rate)).toBe(preview.get(layer.name));
          }
        }
      }
      expect(compared).toBe(FACTORIZING.length * UI_RATES.length * factorizable);
    },
  );

  it.each(models)('$file: explicit ranks, including ones a layer cannot take', async ({ file }) => {
    const p = await model(file);
    for (const rank of [1, 16, 100, 1000]) {
      const s = atRank('admm', rank);
      const preview = previewRanks(p.layers, s);
      const jobs = allocationJobs(p.model, p.layers, { settings: jobSettings(s) });
      expect([...preview.keys()].sort()).toEqual(jobs.map((j) => j.name).sort());
      for (const job of jobs) expect(preview.get(job.name)).toBe(engineRank(job));
      const refused = [...preview.values()].filter((v) => typeof v === 'string').length;
      // Rank 1000 is above every layer's maximum (64x64x9 allows 269); rank 1 fits all.
      if (rank === 1000) expect(refused).toBe(jobs.length);
      if (rank === 1) expect(refused).toBe(0);
    }
  });

  it('ResNet-20: real float CP results have the previewed rank (a few layers)', async () => {
    const p = await model('resnet20_cifar10.onnx');
    // One conv per stage (16x16, 32x32 and 64x64 3x3), each at a different rate.
    const picks: [number, number][] = [
      [0, 1.2],
      [7, 3],
      [13, 4],
    ];
    for (const [index, rate] of picks) {
      const s = atRate('cp', rate);
      const preview = previewRanks(p.layers, s);
      const job = allocationJobs(p.model, p.layers, { settings: jobSettings(s) })[index];
      const result = compressLayer(kernels, job);
      expect(result.rank).toBe(preview.get(job.name));
      expect(result.factors.every((f) => f.cols === result.rank)).toBe(true);
    }
  });
});

// Odd layers the ResNets lack, as layer discovery would describe them. `factorizable` is set by
// hand: the rank rule is under test here, not discovery's size threshold (the 1-D conv has only
// 160 weights).
function layer(
  name: string,
  op: LayerInfo['op'],
  weightShape: number[],
  extra: Partial<LayerInfo> = {},
): LayerInfo {
  const kernel = op === 'Conv' ? weightShape.slice(2) : [];
  return {
    name,
    nodeIndex: 0,
    op,
    weightName: `${name}.weight`,
    weightShape,
    params: weightShape.reduce((a, b) => a * b, 1),
    macs: null,
    group: 1,
    kernel,
    strides: kernel.map(() => 1),
    pads: [...kernel, ...kernel].map(() => 0),
    dilations: kernel.map(() => 1),
    factorizable: true,
    reason: '',
    ...extra,
  };
}

const ODD_LAYERS: LayerInfo[] = [
  layer('conv1d', 'Conv', [8, 4, 5]), // 3-way 8x4x5
  layer('conv3d', 'Conv', [4, 2, 3, 3, 3]), // 3-way 4x2x27
  layer('conv1x1', 'Conv', [16, 8, 1, 1]), // 2-way 16x8
  layer('conv1d_k1', 'Conv', [6, 5, 1]), // 2-way 6x5: rank 0 from rate 3 on
  layer('gemm', 'Gemm', [10, 24]), // 2-way
  layer('gemm_thin', 'Gemm', [3, 40]), // 2-way 3x40: rank 0 from rate 3 on
  layer('matmul', 'MatMul', [24, 7]), // 2-way
  layer('grouped', 'Conv', [16, 4, 3, 3], { group: 4, factorizable: false }),
  // Factorized per group: each group's 8x8x9 view sets the rank (src/core/util/rank.ts).
  layer('grouped_big', 'Conv', [32, 8, 3, 3], { group: 4 }),
];

describe('preview and engine ranks on odd layers (1-D, 3-D, 1x1 conv, Gemm, MatMul, grouped)', () => {
  const rand = centeredLcg(7);
  const weights = new Map(
    ODD_LAYERS.map((l) => [l.name, Float32Array.from({ length: l.params }, () => rand())]),
  );

  // The engine's side: its own layer selection, the job the run would build, and a real
  // compression of it (the layers are tiny).
  function engineOutcomes(s: CompressSettings) {
    const settings = jobSettings(s);
    const out = new Map<string, RankOutcome>();
    for (const l of selectLayers(ODD_LAYERS, settings.method)) {
      const job = {
        ...settings,
        name: l.name,
        weight: weights.get(l.name)!,
        shape: l.weightShape,
        ...(l.group > 1 && { groups: l.group }),
      };
      const outcome = compressedRank(job);
      expect(outcome).toBe(engineRank(job));
      out.set(l.name, outcome);
    }
    return out;
  }

  it.each(FACTORIZING)('%s at every UI rate: same ranks, same refusals', (method) => {
    let refusals = 0;
    for (const rate of UI_RATES) {
      const preview = previewRanks(ODD_LAYERS, atRate(method, rate));
      const engine = engineOutcomes(atRate(method, rate));
      expect(preview).toEqual(engine);
      // A grouped conv is quantize-only: neither side factorizes it.
      expect(preview.has('grouped')).toBe(false);
      for (const [name, outcome] of preview) {
        if (typeof outcome === 'string') {
          refusals++;
          expect(outcome, name).toMatch(/^rate \d+(\.\d+)? leaves rank 0 < 1 for a /);
        } else {
          expect(rankForRate(ODD_LAYERS.find((l) => l.name === name)!, rate)).toBe(outcome);
        }
      }
    }
    // gemm_thin and conv1d_k1 at rates 3 and 4.
    expect(refusals).toBe(4);
  });

  it('the rank-0 refusal carries the engine message word for word', () => {
    const s = atRate('admm', 3);
    const preview = previewRanks(ODD_LAYERS, s);
    const job = {
      ...jobSettings(s),
      name: 'gemm_thin',
      weight: weights.get('gemm_thin')!,
      shape: [3, 40],
    };
    expect(() => compressLayer(kernels, job)).toThrow(
      'rate 3 leaves rank 0 < 1 for a 3x40 weight; use a smaller rate',
    );
    expect(preview.get('gemm_thin')).toBe(
      'rate 3 leaves rank 0 < 1 for a 3x40 weight; use a smaller rate',
    );
    expect(() => rankForRate(ODD_LAYERS.find((l) => l.name === 'gemm_thin')!, 3)).toThrow(
      'rate 3 leaves rank 0 < 1 for a 3x40 weight; use a smaller rate',
    );
  });

  it('explicit ranks: same ranks, same refusals above a layer maximum', () => {
    for (const rank of [1, 2, 5, 16]) {
      const preview = previewRanks(ODD_LAYERS, atRank('cp', rank));
      expect(preview).toEqual(engineOutcomes(atRank('cp', rank)));
    }
    expect(previewRanks(ODD_LAYERS, atRank('cp', 16)).get('gemm')).toMatch(
      /^rank 16 is above the 7 a 10x24 weight allows/,
    );
  });

  it('PTQ takes every layer, the grouped conv included, on both sides', () => {
    for (const method of ['ptq-tensor', 'ptq-channel'] as const) {
      const s = atRate(method, 2);
      const { choices, rankErrors } = costChoices(ODD_LAYERS, s);
      expect(rankErrors).toEqual([]);
      const engine = selectLayers(ODD_LAYERS, jobSettings(s).method).map((l) => l.name);
      expect([...choices.keys()]).toEqual(engine);
      expect(engine).toContain('grouped');
    }
  });
});
