// Raising the default-domain opset so the new nodes are legal: per-axis DequantizeLinear needs
// opset 13 (IR 7), INT4 tensors need opset 21 (IR 10). Most CNN ops mean the same from 13 to 21;
// the ones whose inputs or meaning changed are converted where that is mechanical (an `axes` or
// `split` attribute that became an input) and refused otherwise, naming the op.

import { makeAttribute } from '../onnx/builders.ts';
import { defaultOpset } from '../onnx/shapes/inferShapes.ts';
import type { NodeProto, OnnxModel } from '../onnx/types.ts';
import type { GraphEditor } from './graphEdit.ts';
import { int64Tensor } from './tensors.ts';
import { RewriteError } from './types.ts';

/** Minimum IR version for an opset (onnx/helper.py VERSION_TABLE). */
export function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 13) return 7;
  if (opset >= 12) return 7;
  if (opset >= 11) return 6;
  if (opset >= 10) return 5;
  return 3;
}

// Op -> the opset where its signature changed incompatibly. An op listed here, present in a
// model whose opset is below the version, cannot be relabelled to a later opset as it is.
const BREAKING: Record<string, number> = {
  Upsample: 10,
  Slice: 10,
  TopK: 10,
  Pad: 11,
  Clip: 11,
  Resize: 11,
  Scatter: 11,
  Dropout: 12,
  Softmax: 13,
  LogSoftmax: 13,
  Hardmax: 13,
  Squeeze: 13,
  Unsqueeze: 13,
  ReduceSum: 13,
  Split: 13,
  BatchNormalization: 9,
  ReduceMean: 18,
  ReduceMax: 18,
  ReduceMin: 18,
  ReduceProd: 18,
  ReduceL1: 18,
  ReduceL2: 18,
  ReduceLogSum: 18,
  ReduceLogSumExp: 18,
  ReduceSumSquare: 18,
};

// Ops whose only change is an int64 list attribute becoming an optional input of the same name.
const ATTR_TO_INPUT: Record<string, { attr: string; slot: number }> = {
  Squeeze: { attr: 'axes', slot: 1 },
  Unsqueeze: { attr: 'axes', slot: 1 },
  ReduceSum: { attr: 'axes', slot: 1 },
  ReduceMean: { attr: 'axes', slot: 1 },
  ReduceMax: { attr: 'axes', slot: 1 },
  ReduceMin: { attr: 'axes', slot: 1 },
  ReduceProd: { attr: 'axes', slot: 1 },
  ReduceL1: { attr: 'axes', slot: 1 },
  ReduceL2: { attr: 'axes', slot: 1 },
  ReduceLogSum: { attr: 'axes', slot: 1 },
  ReduceLogSumExp: { attr: 'axes', slot: 1 },
  ReduceSumSquare: { attr: 'axes', slot: 1 },
  Split: { attr: 'split', slot: 1 },
};

function isDefaultDomain(n: NodeProto): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

/** Throws RewriteError for the first op that cannot move from `from` to `to`. */
export function checkOpsetUpgrade(model: OnnxModel, from: number, to: number): void {
  for (const n of model.graph.node ?? []) {
    if (!isDefaultDomain(n)) continue;
    const op = n.opType ?? '';
    const changedAt = BREAKING[op];
    if (changedAt === undefined || from >= changedAt || to < changedAt) continue;
    if (ATTR_TO_INPUT[op]) continue;
    throw new RewriteError(
      `cannot raise the model from opset ${from} to ${to}: ${op} (node "${n.name ?? ''}") ` +
        `changed meaning in opset ${changedAt} and is not converted; export the model at opset ` +
        `>= ${changedAt}`,
    );
  }
}

/**
 * Raises the default-domain opset of the edited model to `to` (never lowers it), converting
 * attribute-to-input ops, and the IR version to what the opset needs.
 */
export function upgradeOpset(ed: GraphEditor, to: number): void {
  const model = ed.model;
  const from = defaultOpset(model);
  // A model at a high enough opset may still carry an IR version below what that opset needs.
  if (to > 0) model.irVersion = Math.max(model.irVersion ?? 0, irVersionFor(Math.max(from, to)));
  if (from >= to) return;
  checkOpsetUpgrade(model, from, to);
  for (const n of model.graph.node ?? []) {
    const conv = ATTR_TO_INPUT[n.opType ?? ''];
    if (!conv || !isDefaultDomain(n) || from >= BREAKING[n.opType ?? '']) continue;
    if (to < BREAKING[n.opType ?? '']) continue;
    moveAttrToInput(ed, n, conv.attr, conv.slot);
  }
  if (to >= 18) for (const n of model.graph.node ?? []) addSplitOutputs(n);
  model.opsetImport = (model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx');
  model.opsetImport.unshift({ domain: '', version: to });
  model.irVersion = Math.max(model.irVersion ?? 0, irVersionFor(to));
}

function moveAttrToInput(ed: GraphEditor, n: NodeProto, attr: string, slot: number): void {
  const a = n.attribute?.find((x) => x.name === attr);
  n.attribute = (n.attribute ?? []).filter((x) => x.name !== attr);
  if (!a?.ints?.length) return;
  const name = ed.addInitializer(
    int64Tensor(ed.unique(`${n.name || n.opType}_${attr}`), [a.ints.length], a.ints),
  );
  const input = [...(n.input ?? [])];
  while (input.length < slot) input.push('');
  input.splice(slot, 0, name);
  n.input = input;
}

/** Opset 18 Split wants `num_outputs` when no `split` input gives the sizes. */
function addSplitOutputs(n: NodeProto): void {
  if (n.opType !== 'Split' || !isDefaultDomain(n) || n.input?.[1]) return;
  if (n.attribute?.some((a) => a.name === 'num_outputs')) return;
  n.attribute = [...(n.attribute ?? []), makeAttribute('num_outputs', n.output?.length ?? 1)];
}
