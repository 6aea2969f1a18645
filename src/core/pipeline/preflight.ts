// Checks, before any solving, that what the allocation asks for can be written as a file that
// loads: some layer is selected, and the opset the output needs (13 for INT8 per-axis
// DequantizeLinear, 21 for INT4) is reachable from the model's. Reaching it is proven, not
// assumed: the original model is raised to that opset (every changed op converted, subgraphs
// included) and run next to itself in onnxruntime. A refusal is one sentence with a suggestion.
import * as ort from 'onnxruntime-web/wasm';
import { FLOAT_BITS, isQuantizing } from '../cost/costModel.ts';
import { createSession } from '../eval/session.ts';
import { methodSpec } from '../factor/methods/index.ts';
import { type Allocation, selectLayers } from '../factor/modelJobs.ts';
import { graphInputs } from '../onnx/graphInputs.ts';
import { noLayerMessage } from '../onnx/layerCensus.ts';
import { raiseOpset } from '../onnx/opsetConvert.ts';
import { writeModel } from '../onnx/reader.ts';
import { defaultOpset } from '../onnx/shapes/inferShapes.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { int8ContainersInstead, neededOpset, opsetAdvice } from '../rewrite/opset.ts';
import { normalSampler } from '../util/prng.ts';
import { largestActivationBytes, MAX_RUN_ACTIVATION_BYTES, type PreparedModel } from './prepare.ts';
import { quantizeOnlyRun } from './quantizeOnly.ts';
import type { OutputSettings } from './write.ts';

/** The compression cannot produce a loadable file as asked; the message says why and what to do. */
export class PreflightError extends Error {
  override name = 'PreflightError';
}

export interface PreflightReport {
  /** Default-domain opset of the file that will be written. */
  targetOpset: number;
  /** What was checked and how, one line each (e.g. the opset raise and its proof run). */
  notes: string[];
}

/** Output differences above this mean a conversion changed what the model computes. */
const RAISE_TOLERANCE = 1e-3;

/** The opset the rewrite will need for this allocation (the rule: rewrite/opset.ts neededOpset). */
export function targetOpset(
  prepared: PreparedModel,
  allocation: Allocation,
  output: OutputSettings = {},
): number {
  const { settings, overrides = {} } = allocation;
  const picked = selectLayers(prepared.layers, settings.method, allocation.selection).filter(
    (l) => overrides[l.name] !== 'keep',
  );
  const choices = picked.map((l) => {
    const o = overrides[l.name];
    return { ...settings, ...(o && o !== 'keep' ? o : {}) };
  });
  const actBits = output.actBits ?? FLOAT_BITS;
  const quantOn = actBits < FLOAT_BITS || choices.some((c) => isQuantizing(c.method));
  const otherBits = output.otherWeightBits ?? (quantOn ? 8 : FLOAT_BITS);
  return neededOpset(choices, actBits, otherBits, prepared.layers.length > choices.length);
}

export async function preflight(
  prepared: PreparedModel,
  allocation: Allocation,
  output: OutputSettings = {},
): Promise<PreflightReport> {
  const picked = selectLayers(prepared.layers, allocation.settings.method, allocation.selection);
  if (prepared.layers.length === 0) {
    const only = quantizeOnlyRun(prepared, allocation.settings.method, output);
    if (!only) throw new PreflightError(noLayerMessage(prepared.skipped));
    return checkReachable(prepared, { ...output, otherWeightBits: only.bits }, allocation, [
      only.note,
    ]);
  }
  if (picked.every((l) => allocation.overrides?.[l.name] === 'keep')) {
    const method = methodSpec(allocation.settings.method).label;
    throw new PreflightError(
      `no layer to compress: none of the model's ${prepared.layers.length} weight layers is ` +
        `selected for ${method}; select some layers or another method`,
    );
  }
  return checkReachable(prepared, output, allocation, []);
}

/** The opset the output needs, proven reachable by raising the original and running it. */
async function checkReachable(
  prepared: PreparedModel,
  output: OutputSettings,
  allocation: Allocation,
  first: string[],
): Promise<PreflightReport> {
  let to = targetOpset(prepared, allocation, output);
  const from = defaultOpset(prepared.model);
  // INT4 out of reach, INT8 not: 4-bit codes go to INT8 containers (the rewrite decides alike).
  const int8For4 = to === 21 ? int8ContainersInstead(prepared.model) : null;
  const containers = [
    ...first,
    ...(int8For4
      ? [`4-bit codes will be stored in INT8 containers (8 bits a code): ${int8For4}`]
      : []),
  ];
  if (int8For4) to = 13;
  if (to <= from) return { targetOpset: Math.max(to, from), notes: containers };
  const advice = opsetAdvice(prepared.model, from, to);
  let raised: OnnxModel;
  try {
    raised = raiseOpset(prepared.model, to);
  } catch (err) {
    throw new PreflightError(`${(err as Error).message}; ${advice}`);
  }
  if (largestActivationBytes(prepared) > MAX_RUN_ACTIVATION_BYTES) {
    // Running a model declared at e.g. 3x4000x4000 would take gigabytes (issue #17).
    return {
      targetOpset: to,
      notes: [
        ...containers,
        `opset ${from} -> ${to}: converted; not run (the declared input is too large)`,
      ],
    };
  }
  const proof = await compareRuns(prepared, writeModel(raised));
  if (proof.error) {
    throw new PreflightError(
      `cannot raise the model from opset ${from} to ${to}: ${proof.error}; ${advice}`,
    );
  }
  return {
    targetOpset: to,
    notes: [...containers, `opset ${from} -> ${to}: the converted model ${proof.note}`],
  };
}

type Feeds = Record<string, ort.Tensor>;

/** Symbolic dims other than the batch are tried at these sizes until the original runs. */
const TRIAL_SIZES = [64, 1024, 16000];

function feedsAt(model: OnnxModel, size: number): Feeds | null {
  const next = normalSampler(7);
  const feeds: Feeds = {};
  for (const input of graphInputs(model)) {
    const t = input.type?.tensorType;
    const dims = (t?.shape?.dim ?? []).map((d, i) => Number(d.dimValue ?? 0) || (i ? size : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    const name = input.name ?? '';
    if (t?.elemType === 1) {
      feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: count }, next), dims);
    } else if (t?.elemType === 7) {
      feeds[name] = new ort.Tensor('int64', new BigInt64Array(count), dims);
    } else {
      return null;
    }
  }
  return feeds;
}

function relativeL2(a: ort.Tensor, b: ort.Tensor | undefined): number {
  if (!b || a.data.length !== b.data.length) return Number.POSITIVE_INFINITY;
  const x = a.data as ArrayLike<number>;
  const y = b.data as ArrayLike<number>;
  let dd = 0;
  let xx = 0;
  for (let i = 0; i < x.length; i++) {
    dd += (Number(y[i]) - Number(x[i])) ** 2;
    xx += Number(x[i]) ** 2;
  }
  return xx > 0 ? Math.sqrt(dd / xx) : Math.sqrt(dd);
}

/** Loads the raised model and runs it next to the original; an error, or what was proven. */
async function compareRuns(
  prepared: PreparedModel,
  raisedBytes: Uint8Array,
): Promise<{ error?: string; note: string }> {
  let raised: ort.InferenceSession;
  try {
    raised = await createSession(raisedBytes);
  } catch (err) {
    return {
      error: `the converted model does not load in onnxruntime (${firstLine(err)})`,
      note: '',
    };
  }
  const original = await createSession(prepared.bytes);
  try {
    for (const size of TRIAL_SIZES) {
      const feeds = feedsAt(prepared.model, size);
      if (!feeds) break;
      let a: ort.InferenceSession.OnnxValueMapType;
      try {
        a = await original.run(feeds);
      } catch {
        continue; // the original itself wants other inputs: try another size
      }
      let b: ort.InferenceSession.OnnxValueMapType;
      try {
        b = await raised.run(feeds);
      } catch (err) {
        return { error: `the converted model fails to run (${firstLine(err)})`, note: '' };
      }
      for (const name of original.outputNames) {
        const d = relativeL2(a[name], b[name]);
        if (!(d <= RAISE_TOLERANCE)) {
          return {
            error: `the converted model computes something else (output "${name}": relative L2 ${d.toPrecision(3)} on generated inputs)`,
            note: '',
          };
        }
      }
      return { note: 'loads and matches the original on generated inputs' };
    }
    return {
      note: 'loads (the original did not run on generated inputs, so outputs were not compared)',
    };
  } finally {
    await raised.release();
    await original.release();
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
