// `qaf inspect MODEL.onnx [--input-shape N,C,H,W] [--json]`
import {
  analyzeModel,
  type Dim,
  formatShape,
  graphInputs,
  type InferredShapes,
  type LayerInfo,
  type ModelSummary,
  noLayerMessage,
  type OnnxModel,
  readModel,
  type SkippedLayer,
  skipReasons,
} from '../core/onnx/index.ts';
import {
  formatBytes,
  formatCount,
  formatTable,
  maxInputBytesOption,
  parseByteSize,
  parseCommandArgs,
  parseInputShapes,
  readInputFile,
} from './util.ts';

export const inspectUsage = `usage: qaf inspect MODEL.onnx [--input-shape SHAPE] [--json] [--max-input-bytes N]

  --input-shape SHAPE  concrete input shape, e.g. 1,3,224,224 (or NAME=1,3,224,224 for a
                       model with several inputs; repeatable); needed for MACs when H/W are symbolic
  --json               print one JSON object instead of the table`;

export interface InspectReport {
  model: ModelSummary & { sizeBytes: number };
  layers: LayerInfo[];
  /** Weight nodes that are not compressed, each with its reason. */
  skipped: SkippedLayer[];
  shapes: InferredShapes;
  /** True when onnxruntime had to run the model to find some shapes. */
  usedRuntime: boolean;
  /** Why that run failed, if it did (those shapes and MACs stay unknown). */
  runtimeError?: string;
}

function graphInputNames(model: OnnxModel): string[] {
  return graphInputs(model).map((v) => v.name ?? '');
}

/** Static inference first; onnxruntime runs only if some op had no static rule. */
export async function inspectParsed(
  model: OnnxModel,
  sizeBytes: number,
  inputShapes: Record<string, Dim[]> = {},
): Promise<InspectReport> {
  const { shapes, layers, skipped, summary, usedRuntime, runtimeError } = await analyzeModel(
    model,
    { inputShapes },
  );
  return { model: { ...summary, sizeBytes }, layers, skipped, shapes, usedRuntime, runtimeError };
}

export function inspectModel(
  bytes: Uint8Array,
  inputShapes: Record<string, Dim[]> = {},
): Promise<InspectReport> {
  return inspectParsed(readModel(bytes), bytes.length, inputShapes);
}

export function inspectJson(report: InspectReport): string {
  const { model, layers } = report;
  return JSON.stringify({
    model: {
      params: model.params,
      macs: model.macs,
      sizeBytes: model.sizeBytes,
      opset: model.opset,
      irVersion: model.irVersion,
      producer: model.producer,
      inputs: model.inputs,
      outputs: model.outputs,
      normalization: model.normalization,
    },
    layers: layers.map((l) => ({
      name: l.name,
      op: l.op,
      weightShape: l.weightShape,
      params: l.params,
      macs: l.macs,
      inputShape: l.inputShape ?? null,
      outputShape: l.outputShape ?? null,
      group: l.group,
      kernel: l.kernel,
      strides: l.strides,
      factorizable: l.factorizable,
      reason: l.reason,
    })),
    notCompressed: report.skipped,
  });
}

function skippedTable(skipped: readonly SkippedLayer[]): string {
  const rows = skipped.map((s, i) => [
    String(i + 1),
    s.name,
    s.op,
    s.weightShape ? s.weightShape.join('x') : '-',
    formatCount(s.params),
    s.reason,
  ]);
  return formatTable(
    ['#', 'other weight node', 'op', 'weight', 'params', 'why'],
    rows,
    new Set([0, 4]),
  );
}

export function inspectTable(path: string, report: InspectReport): string {
  const { model, layers } = report;
  const io = (list: ModelSummary['inputs']) =>
    list.map((v) => `${v.name} ${formatShape(v.shape)}`).join(', ');
  const header = [
    `${path}: ${formatBytes(model.sizeBytes)}, ONNX IR ${model.irVersion}, opset ${model.opset}` +
      (model.producer ? `, from ${model.producer}` : ''),
    `inputs: ${io(model.inputs)}    outputs: ${io(model.outputs)}`,
  ];
  const rows = layers.map((l, i) => [
    String(i + 1),
    l.name,
    l.op,
    l.weightShape.join('x'),
    formatCount(l.params),
    formatCount(l.macs),
    formatShape(l.outputShape),
    l.factorizable ? 'yes' : 'no',
    l.reason,
  ]);
  const table = formatTable(
    ['#', 'layer', 'op', 'weight', 'params', 'MACs', 'output', 'factorize', 'reason'],
    rows,
    new Set([0, 4, 5]),
  );
  const macsNote =
    model.macs === null ? ' (some layers have symbolic sizes: pass --input-shape)' : ' per example';
  const footer = [
    `${layers.length} weight layers (${model.factorizableCount} factorizable), ` +
      `${formatCount(model.params)} parameters, ${formatCount(model.macs)} MACs${macsNote}`,
  ];
  if (report.skipped.length) {
    footer.push(
      `${report.skipped.length} more weight nodes, not compressed or quantized only: ${skipReasons(report.skipped)}`,
    );
  }
  if (layers.length === 0) footer.push(noLayerMessage(report.skipped));
  if (model.normalization.length) {
    footer.push(`read after normalising the graph: ${model.normalization.join('; ')}`);
  }
  if (report.runtimeError) {
    footer.push(
      `some shapes stay unknown: onnxruntime-web could not run the model on generated inputs ` +
        `(${report.runtimeError.slice(0, 160)}); pass --input-shape, or ignore if the MACs are not needed`,
    );
  } else if (report.usedRuntime) {
    footer.push('some shapes were measured by running the model in onnxruntime-web');
  }
  const parts = [...header, '', table];
  if (report.skipped.length) parts.push('', skippedTable(report.skipped));
  return [...parts, '', ...footer].join('\n');
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('inspect', argv, {
    'input-shape': { type: 'string', multiple: true },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...maxInputBytesOption,
  });
  if (values.help) {
    console.log(inspectUsage);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new Error(
      `inspect: expected one MODEL.onnx, got ${positionals.length} (see qaf inspect --help)`,
    );
  }
  const path = positionals[0];
  const maxBytes = parseByteSize('max-input-bytes', values['max-input-bytes']);
  const bytes = readInputFile(path, 'model file', maxBytes);
  const model = readModel(bytes);
  const inputShapes = parseInputShapes(values['input-shape'] ?? [], graphInputNames(model));
  const report = await inspectParsed(model, bytes.length, inputShapes);
  console.log(values.json ? inspectJson(report) : inspectTable(path, report));
  return 0;
}
