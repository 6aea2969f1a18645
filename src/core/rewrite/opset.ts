// Raising the default-domain opset so the new nodes are legal: per-axis DequantizeLinear needs
// opset 13 (IR 7), INT4 tensors need opset 21 (IR 10). Every op of the graph, subgraphs
// included, whose form or meaning changed on the way is converted (src/core/onnx/opsetConvert.ts);
// an op we cannot convert is refused before anything is written, naming it.
import { FLOAT_BITS, isQuantizing } from '../cost/costModel.ts';
import type { MethodId } from '../factor/methods/index.ts';
import { makeTensor } from '../onnx/builders.ts';
import {
  convertNode,
  convertSubgraphs,
  irVersionFor,
  opsetUpgradeProblem,
  uniqueAcross,
} from '../onnx/opsetConvert.ts';
import { defaultOpset, inferShapes } from '../onnx/shapes/inferShapes.ts';
import { DataType, type NodeProto, type OnnxModel } from '../onnx/types.ts';
import type { GraphEditor } from './graphEdit.ts';
import { RewriteError } from './types.ts';

export { irVersionFor };

/**
 * The default-domain opset a written model needs (0: none beyond the model's own): 21 when any
 * weight is stored as INT4 (a quantized layer at 4 bits or fewer, or the layers left uncompressed
 * at `otherWeightBits` <= 4), 13 for per-axis DequantizeLinear (any quantization), else 0. The one
 * rule shared by the rewrite and the preflight check.
 */
export function neededOpset(
  choices: readonly { method: MethodId; bits: number }[],
  actBits: number,
  otherWeightBits: number,
  othersPresent: boolean,
): number {
  const quantized = choices.filter((c) => isQuantizing(c.method));
  const usesInt4 = quantized.some((c) => c.bits <= 4) || (otherWeightBits <= 4 && othersPresent);
  const usesDq = actBits < FLOAT_BITS || otherWeightBits < FLOAT_BITS || quantized.length > 0;
  return usesInt4 ? 21 : usesDq ? 13 : 0;
}

/**
 * Why opset 21 (INT4) is out of reach for `model` while opset 13 (INT8 DequantizeLinear) is not,
 * or null. Then 4-bit codes are written in INT8 containers at opset 13 instead of refusing
 * (issue #12): the same values, twice the bytes, said in the report. A static decision, the same
 * in the preflight and the rewrite.
 */
export function int8ContainersInstead(model: OnnxModel): string | null {
  const from = defaultOpset(model);
  if (from >= 21) return null;
  const problem = opsetUpgradeProblem(model.graph, from, 21);
  if (!problem) return null;
  return from >= 13 || opsetUpgradeProblem(model.graph, from, 13) === null ? problem : null;
}

/** Throws RewriteError for the first op (subgraphs included) that cannot move from `from` to `to`. */
export function checkOpsetUpgrade(model: OnnxModel, from: number, to: number): void {
  const problem = opsetUpgradeProblem(model.graph, from, to);
  if (problem) throw new RewriteError(`${problem}; ${opsetAdvice(model, from, to)}`);
}

/** What to do instead, in one clause. */
export function opsetAdvice(model: OnnxModel, from: number, to: number): string {
  if (to > 13 && from < 13 && opsetUpgradeProblem(model.graph, from, 13) === null) {
    return (
      'use 5-8 bit codes with the other layers at 8 or 32 bits (--bits 8 --other-bits 8): ' +
      `INT8 containers need opset 13 only, which this model reaches`
    );
  }
  return `re-export the model at opset ${to} (or at least the opset the op changed in)`;
}

/**
 * Raises the default-domain opset of the edited model to `to` (never lowers it), converting the
 * ops that changed on the way, and the IR version to what the opset needs.
 */
export function upgradeOpset(ed: GraphEditor, to: number): void {
  const model = ed.model;
  const from = defaultOpset(model);
  // A model at a high enough opset may still carry an IR version below what that opset needs.
  if (to > 0) model.irVersion = Math.max(model.irVersion ?? 0, irVersionFor(Math.max(from, to)));
  if (from >= to) return;
  checkOpsetUpgrade(model, from, to);
  const shapes = inferShapes(model);
  const unique = uniqueAcross(model.graph, (base) => ed.unique(base));
  const ctx = {
    unique,
    constant: (base: string, dataType: number, dims: number[], values: ArrayLike<number>) =>
      ed.addInitializer(makeTensor(unique(base), dataType, dims, values)),
    rankOf: (v: string) => shapes.shapes.get(v)?.length,
    elemTypeOf: (v: string) => shapes.elemTypes.get(v),
  };
  ed.nodes.forEach((n, i) => {
    convertSubgraphs(n, from, to, unique);
    let out: NodeProto[];
    try {
      out = convertNode(n, from, to, ctx);
    } catch (err) {
      throw new RewriteError(
        `cannot raise ${n.opType} (node "${n.name ?? ''}") to opset ${to}: ${(err as Error).message}`,
      );
    }
    if (out.length === 1) {
      // In place: the node may also be a layer whose rewrite is pending under this index.
      Object.assign(n, out[0]);
    } else {
      ed.replaceNode(i, out);
    }
  });
  model.opsetImport = (model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx');
  model.opsetImport.unshift({ domain: '', version: to });
  model.irVersion = Math.max(model.irVersion ?? 0, irVersionFor(to));
}

/** Every INT4 initializer of `model` rewritten as INT8 with the same values (in place). */
export function widenInt4Codes(model: OnnxModel): void {
  for (const t of model.graph.initializer ?? []) {
    if (t.dataType !== DataType.INT4) continue;
    const count = (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
    const raw = t.rawData ?? new Uint8Array(0);
    const values = new Int8Array(count);
    for (let i = 0; i < count; i++) {
      const nibble = (raw[i >> 1] >> ((i & 1) * 4)) & 0xf;
      values[i] = nibble >= 8 ? nibble - 16 : nibble;
    }
    t.dataType = DataType.INT8;
    t.rawData = new Uint8Array(values.buffer);
  }
}
