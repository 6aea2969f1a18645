// readModel / writeModel. protobufjs decodes many random byte strings into *something*, so a
// decoded model is validated before anyone sees it; any failure becomes an OnnxFormatError
// with a message a user can act on.
import { decodeModelMessage, encodeModelMessage, modelType, toPlain } from './codec.ts';
import { checkTensor } from './tensor.ts';
import { type GraphProto, type ModelProto, OnnxFormatError, type OnnxModel } from './types.ts';

// IR versions in use today are 3..11; leave headroom for future ones.
const MAX_IR_VERSION = 64;

function invalid(reason: string): OnnxFormatError {
  return new OnnxFormatError(`not a valid ONNX model: ${reason}`);
}

function decode(bytes: Uint8Array): ModelProto {
  try {
    return toPlain(modelType, decodeModelMessage(bytes)) as ModelProto;
  } catch (err) {
    // RangeError "index out of range" is protobufjs' truncation signal.
    const detail = err instanceof Error ? err.message : String(err);
    const hint =
      err instanceof RangeError ? 'the file is truncated or corrupt' : 'not protobuf data';
    throw invalid(`${hint} (${detail})`);
  }
}

function checkHeader(model: ModelProto): void {
  const ir = model.irVersion;
  if (ir === undefined) throw invalid('ir_version is missing');
  if (!Number.isInteger(ir) || ir < 1 || ir > MAX_IR_VERSION) {
    throw invalid(`ir_version ${ir} is out of range`);
  }
  const opsets = model.opsetImport ?? [];
  if (ir >= 3 && opsets.length === 0) throw invalid('no opset_import');
  for (const o of opsets) {
    const v = o.version ?? 0;
    if (!Number.isInteger(v) || v < 1 || v > 10_000)
      throw invalid(`opset version ${v} is out of range`);
  }
  if (!model.graph) throw invalid('the model has no graph');
}

/** Every node has an op type, every value it reads exists, every graph output is produced. */
function checkGraph(graph: GraphProto): void {
  const defined = new Set<string>(['']);
  for (const v of graph.input ?? []) defined.add(v.name ?? '');
  for (const t of graph.initializer ?? []) defined.add(t.name ?? '');
  for (const s of graph.sparseInitializer ?? []) defined.add(s.values?.name ?? '');
  const nodes = graph.node ?? [];
  for (const node of nodes) for (const o of node.output ?? []) defined.add(o);
  nodes.forEach((node, i) => {
    if (!node.opType) throw invalid(`node ${i} has no op_type`);
    for (const name of node.input ?? []) {
      if (!defined.has(name))
        throw invalid(`node ${i} (${node.opType}) reads undefined value "${name}"`);
    }
    for (const a of node.attribute ?? []) if (a.t) checkTensor(a.t);
  });
  for (const out of graph.output ?? []) {
    if (!defined.has(out.name ?? '')) throw invalid(`graph output "${out.name}" is never produced`);
  }
  for (const t of graph.initializer ?? []) checkTensor(t);
}

/**
 * Parses and validates an .onnx file. Throws OnnxFormatError (not ONNX, truncated, corrupt)
 * or its subclass OnnxExternalDataError (weights in a separate file).
 */
export function readModel(bytes: Uint8Array): OnnxModel {
  if (bytes.length === 0) throw invalid('the file is empty');
  const model = decode(bytes);
  checkHeader(model);
  const validated = model as OnnxModel;
  try {
    checkGraph(validated.graph);
  } catch (err) {
    if (err instanceof OnnxFormatError) throw err;
    throw invalid(err instanceof Error ? err.message : String(err));
  }
  return validated;
}

/** Serializes a model (types.ts plain objects) to .onnx bytes. */
export function writeModel(model: ModelProto): Uint8Array {
  const bytes = encodeModelMessage(model as Record<string, unknown>);
  // protobufjs hands out small messages (< 4 KiB) as views into a shared 8 KiB slab (Node's
  // Buffer pool, or its own in a browser): a caller that transfers or keeps `.buffer` would take
  // other messages' bytes with it. A model is always its own buffer (a copy: Buffer's slice is
  // a view).
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}
