// Which compressed layers to keep when the written model fails its check (issue #12: "or the app
// says which layers to keep"). The rewrite keeps every layer's input and output tensor names, so
// the original and the written model can both be asked for them on the check's own inputs: a
// layer's share of the damage is how much the relative L2 of its output exceeds that of its
// input, counted for layers that at least double it. The layers adding the most are named, with
// both figures.
import type * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../eval/session.ts';
import { makeValueInfo } from '../onnx/builders.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import { DataType } from '../onnx/types.ts';
import type { PreparedModel } from './prepare.ts';

export interface LayerTensors {
  name: string;
  /** The layer's data input and its output, as named in the original graph. */
  input: string;
  output: string;
}

export interface LayerBlame {
  name: string;
  /** Relative L2 of the layer's input and output, written model vs original. */
  inputError: number;
  outputError: number;
}

/** At most this many layers are named. */
const NAMED = 3;
/** A layer adding less relative L2 than this is not named. */
const MIN_ADDED = 0.05;

/** The input and output tensors of the named layers, in graph order. */
export function layerTensors(prepared: PreparedModel, names: Iterable<string>): LayerTensors[] {
  const wanted = new Set(names);
  const nodes = prepared.model.graph.node ?? [];
  return prepared.layers
    .filter((l) => wanted.has(l.name))
    .map((l) => ({
      name: l.name,
      input: nodes[l.nodeIndex]?.input?.[0] ?? '',
      output: nodes[l.nodeIndex]?.output?.[0] ?? '',
    }));
}

/** The model with `names` (those some node produces) as extra graph outputs. */
function exposing(bytes: Uint8Array, names: readonly string[]) {
  const model = readModel(bytes);
  const g = model.graph;
  const produced = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const present = [...new Set(names)].filter((n) => n && produced.has(n));
  g.output = [
    ...(g.output ?? []),
    ...present.filter((n) => !outputs.has(n)).map((n) => makeValueInfo(n, DataType.FLOAT)),
  ];
  return { bytes: writeModel(model), present };
}

async function fetch(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  names: readonly string[],
): Promise<Map<string, Float32Array>> {
  const session = await createSession(bytes);
  try {
    const out = await session.run(feeds, [...names]);
    return new Map(names.map((n) => [n, out[n].data as Float32Array]));
  } finally {
    await session.release();
  }
}

function relativeL2(a: Float32Array | undefined, ref: Float32Array | undefined): number {
  if (!a || !ref || a.length !== ref.length) return 0;
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - ref[i]) ** 2;
    n += ref[i] ** 2;
  }
  return n > 0 ? Math.sqrt(d / n) : d > 0 ? 1 : 0;
}

/** The layers adding the most relative L2, most first; empty when none adds much. */
export async function blameLayers(
  originalBytes: Uint8Array,
  writtenBytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  layers: readonly LayerTensors[],
): Promise<LayerBlame[]> {
  const names = layers.flatMap((l) => [l.input, l.output]);
  const original = exposing(originalBytes, names);
  const written = exposing(writtenBytes, names);
  const both = original.present.filter((n) => written.present.includes(n));
  const [a, b] = await Promise.all([
    fetch(original.bytes, feeds, both),
    fetch(written.bytes, feeds, both),
  ]);
  return (
    layers
      .filter((l) => both.includes(l.output))
      .map((l) => ({
        name: l.name,
        inputError: relativeL2(b.get(l.input), a.get(l.input)),
        outputError: relativeL2(b.get(l.output), a.get(l.output)),
      }))
      // A layer that only passes its input's error on can change it some (rel. L2 is not kept by
      // a conv); one that at least doubles it is where the error comes from.
      .filter((l) => l.outputError - l.inputError >= MIN_ADDED && l.outputError >= 2 * l.inputError)
      .sort((x, y) => y.outputError - y.inputError - (x.outputError - x.inputError))
      .slice(0, NAMED)
  );
}

/** "layers adding the most error (keep them as they are, or calibrate): "a" (rel. L2 0.01 -> 0.62), ..." */
export function describeBlame(blame: readonly LayerBlame[]): string {
  const list = blame
    .map(
      (l) =>
        `"${l.name}" (rel. L2 ${l.inputError.toFixed(2)} in -> ${l.outputError.toFixed(2)} out)`,
    )
    .join(', ');
  return `the layers adding the most error, to keep as they are (or calibrate): ${list}`;
}
