// From model bytes to what a sweep needs: the layers to compress (with their weights and output
// names) and a ModelBuilder over the rewrite. Layer shapes are inferred at batch 1 so the cost
// model gets static numbers.
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import {
  discoverLayers,
  graphInputs,
  inferShapesWithRuntime,
  type LayerInfo,
  modelInputShape,
  type OnnxModel,
  readModel,
} from '../onnx/index.ts';
import { buildCompressedModel } from '../rewrite/index.ts';
import { readFloat32 } from '../rewrite/tensors.ts';
import type { ActCalibration, RewriteLayer } from '../rewrite/types.ts';
import type { BuildRequest, BuiltModel, ModelBuilder, SweepLayer } from './evaluator.ts';

/**
 * 'spatial': factorizable convolutions with a k x k kernel, k > 1 (on the CIFAR ResNets, the 18
 * or 54 block 3x3 convs: the stem is too small to factorize). 'factorizable': every layer the
 * discovery marks factorizable. Or explicit layer names.
 */
export type LayerSelection = 'spatial' | 'factorizable' | readonly string[];

export interface PreparedModel {
  model: OnnxModel;
  allLayers: LayerInfo[];
  selected: LayerInfo[];
  sweepLayers: SweepLayer[];
  build: ModelBuilder;
}

/** Images used to choose activation-quantization scales (at most). */
const ACT_CALIBRATION_IMAGES = 256;

export async function prepareSweepModel(
  modelBytes: Uint8Array,
  selection: LayerSelection = 'spatial',
): Promise<PreparedModel> {
  const model = readModel(modelBytes);
  const allLayers = await discoverAtBatchOne(model);
  const selected = selectLayers(allLayers, selection);
  if (selected.length === 0) throw new Error('sweep: no layer to compress in this model');
  const inits = new Map((model.graph.initializer ?? []).map((t) => [t.name, t]));
  const sweepLayers = selected.map((l) => ({
    name: l.name,
    weight: readFloat32(inits.get(l.weightName)!),
    weightShape: l.weightShape,
    outputName: model.graph.node![l.nodeIndex].output![0],
  }));
  const rewriteLayers = allLayers.map(toRewriteLayer);
  const build = async (request: BuildRequest): Promise<BuiltModel> => {
    // A fresh parse each time: the rewrite must never see a model another build touched.
    const built = await buildCompressedModel(
      readModel(modelBytes),
      rewriteLayers,
      request.results,
      {
        actBits: request.actBits ?? 32,
        actCalibration: request.actBatches ? actCalibration(request.actBatches) : undefined,
        floatSizeBytes: modelBytes.length,
      },
    );
    return {
      bytes: built.bytes,
      bopPercent: built.report.totals.bopPercent,
      sizeBytes: built.bytes.length,
    };
  };
  return { model, allLayers, selected, sweepLayers, build };
}

function batchOneShape(model: OnnxModel): number[] {
  return modelInputShape(model).map((d, i) => (i === 0 || typeof d !== 'number' ? 1 : d));
}

/** Layers with static shapes at batch 1; onnxruntime fills what static inference cannot. */
async function discoverAtBatchOne(model: OnnxModel): Promise<LayerInfo[]> {
  const input = graphInputs(model)[0];
  const inputShapes = input?.name ? { [input.name]: batchOneShape(model) } : {};
  return discoverLayers(model, await inferShapesWithRuntime(model, inputShapes));
}

export function selectLayers(layers: LayerInfo[], selection: LayerSelection): LayerInfo[] {
  if (selection === 'factorizable') return layers.filter((l) => l.factorizable);
  if (selection === 'spatial') {
    return layers.filter(
      (l) => l.factorizable && l.op === 'Conv' && l.kernel.reduce((a, b) => a * b, 1) > 1,
    );
  }
  const wanted = new Set(selection);
  const found = layers.filter((l) => wanted.has(l.name));
  const missing = [...wanted].filter((n) => !found.some((l) => l.name === n));
  if (missing.length) throw new Error(`sweep: no layer named ${missing.join(', ')}`);
  return found;
}

function staticShape(shape: readonly (number | string)[] | undefined, what: string): number[] {
  if (!shape || shape.some((d) => typeof d !== 'number')) {
    throw new Error(`sweep: the ${what} shape [${shape?.join(', ') ?? '?'}] is not static`);
  }
  return shape as number[];
}

function toRewriteLayer(l: LayerInfo): RewriteLayer {
  return {
    name: l.name,
    nodeIndex: l.nodeIndex,
    op: l.op,
    weightName: l.weightName,
    biasName: l.biasName ?? null,
    weightShape: l.weightShape,
    inputShape: staticShape(l.inputShape, `${l.name} input`),
    outputShape: staticShape(l.outputShape, `${l.name} output`),
    macs: l.macs ?? 0,
    group: l.group,
  };
}

/** The first full-size calibration batches, concatenated, as the rewrite's activation inputs. */
function actCalibration(batches: readonly CalibrationBatch[]): ActCalibration {
  const dims = batches[0].dims;
  const perImage = batches[0].data.length / dims[0];
  const usable = batches.filter((b) => b.dims[0] === dims[0]);
  const count = Math.min(usable.length, Math.max(1, Math.floor(ACT_CALIBRATION_IMAGES / dims[0])));
  const inputs = new Float32Array(count * dims[0] * perImage);
  for (let i = 0; i < count; i++) inputs.set(usable[i].data, i * usable[i].data.length);
  return { inputs, batchDims: dims };
}
