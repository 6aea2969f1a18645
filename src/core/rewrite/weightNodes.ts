// Emits one weight of the rewritten graph: a float32 initializer, or integer codes feeding
// DequantizeLinear(codes, scale) with a symmetric grid (zero point omitted: it defaults to 0,
// which onnxruntime-web accepts for INT8 and for opset-21 INT4 alike).
import type { FactorResult } from '../factor/types.ts';
import { makeAttribute } from '../onnx/builders.ts';
import type { NodeProto } from '../onnx/types.ts';
import type { GraphEditor } from './graphEdit.ts';
import { codesTensor, floatTensor } from './tensors.ts';
import { RewriteError } from './types.ts';
import { transpose } from './weights.ts';

export interface WeightSpec {
  dims: number[];
  values: Float32Array;
  codes?: Int8Array;
  bits?: number;
  /** Per-tensor scale. */
  scale?: number;
  /** Per-axis scales along `axis`. */
  scales?: Float32Array;
  axis?: number;
}

export interface EmittedWeight {
  /** The tensor a consumer reads: the float initializer or the DequantizeLinear output. */
  input: string;
  /** Scale initializer (null for float weights). */
  scaleName: string | null;
  /** Nodes to run before the consumer (the DequantizeLinear, if any). */
  nodes: NodeProto[];
  /** Initializer names this weight uses. */
  initializers: string[];
}

export function emitWeight(ed: GraphEditor, base: string, spec: WeightSpec): EmittedWeight {
  if (!spec.codes) {
    const name = ed.addInitializer(floatTensor(ed.unique(base), spec.dims, spec.values));
    return { input: name, scaleName: null, nodes: [], initializers: [name] };
  }
  if (spec.bits === undefined) throw new RewriteError(`weight ${base}: codes without bits`);
  const codesName = ed.addInitializer(
    codesTensor(ed.unique(`${base}_codes`), spec.dims, spec.codes, spec.bits),
  );
  const perAxis = spec.scales !== undefined;
  const scaleValues = perAxis ? spec.scales! : new Float32Array([spec.scale ?? Number.NaN]);
  if (!scaleValues.every((s) => s >= 0 && Number.isFinite(s))) {
    throw new RewriteError(`weight ${base}: scales must be finite and not negative`);
  }
  const scaleDims = perAxis ? [scaleValues.length] : [];
  const scaleName = ed.addInitializer(
    floatTensor(ed.unique(`${base}_scale`), scaleDims, scaleValues),
  );
  const output = ed.unique(`${base}_dq`);
  const dq: NodeProto = {
    name: ed.unique(`${base}_DequantizeLinear`),
    opType: 'DequantizeLinear',
    input: [codesName, scaleName],
    output: [output],
    attribute: perAxis ? [makeAttribute('axis', spec.axis ?? 0)] : [],
  };
  return { input: output, scaleName, nodes: [dq], initializers: [codesName, scaleName] };
}

/**
 * A factor matrix (rows x cols, row-major) as a weight of `dims`, optionally transposed first.
 * Per-row scales (calibrated last factor, per-channel PTQ) follow the rows: axis 0, or axis 1
 * after a transpose; per-column scales (per-component QAF) follow the columns: axis 1, or 0.
 */
export function factorSpec(
  f: FactorResult,
  bits: number,
  dims: number[],
  transposed = false,
): WeightSpec {
  const t = <T extends Float32Array | Int8Array>(a: T): T =>
    transposed ? transpose(a, f.rows, f.cols) : a;
  const spec: WeightSpec = { dims, values: t(f.values) };
  if (!f.codes) return spec;
  spec.codes = t(f.codes);
  spec.bits = bits;
  if (f.columnScales) {
    if (f.columnScales.length !== f.cols) {
      throw new RewriteError(`a factor has ${f.columnScales.length} scales for ${f.cols} columns`);
    }
    spec.scales = f.columnScales;
    spec.axis = transposed ? 0 : 1;
  } else if (f.scales && f.scales.length > 1) {
    if (f.scales.length !== f.rows) {
      throw new RewriteError(`a factor has ${f.scales.length} scales for ${f.rows} rows`);
    }
    spec.scales = f.scales;
    spec.axis = transposed ? 1 : 0;
  } else {
    spec.scale = f.scale ?? f.scales?.[0];
  }
  return spec;
}

/**
 * Per-component scales as written: a rank-1 term only sees the product of its columns' scales,
 * so the product goes to factor `into` (one per-axis DequantizeLinear, along the rank) and the
 * other factors keep their codes with the per-tensor scale 1. `into` must not be the layer's
 * last weight, whose per-output-channel scales calibration owns. Factors without column scales
 * come back unchanged.
 */
export function mergeColumnScales(factors: readonly FactorResult[], into: number): FactorResult[] {
  if (!factors.some((f) => f.columnScales)) return [...factors];
  const cols = factors[into].cols;
  const product = new Float64Array(cols).fill(1);
  for (const f of factors) {
    if (!f.codes || f.cols !== cols) {
      throw new RewriteError('per-component scales need grid factors of one rank');
    }
    for (let r = 0; r < cols; r++)
      product[r] *= f.columnScales ? f.columnScales[r] : (f.scale ?? Number.NaN);
  }
  return factors.map((f, n) => {
    const { columnScales: _, scale: __, ...rest } = f;
    return n === into
      ? { ...rest, columnScales: Float32Array.from(product) }
      : { ...rest, scale: 1 };
  });
}
