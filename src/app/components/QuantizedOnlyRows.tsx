import type { SkippedLayer } from '../../core/onnx/index.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatCount, formatShape } from '../format.ts';

/**
 * The layers a run quantizes only, outside the factorizable list (ConvTranspose, LSTM/GRU/RNN,
 * layers inside If/Loop/Scan bodies), as rows at the end of the layer table with their reason:
 * the cost preview counts their bytes, so the table shows where they come from.
 */
export function quantizedOnlyLayers(model: ModelOverview): SkippedLayer[] {
  const labels = new Set(model.quantizedOnly?.layers ?? []);
  return (model.summary.notCompressed ?? []).filter((s) => labels.has(`${s.name} (${s.where})`));
}

export function QuantizedOnlyRows(props: {
  layers: readonly SkippedLayer[];
  /** Empty cells before the '#' column (the "Use" column when picking layers). */
  lead: number;
  /** Cells after the 'Factorizable' column. */
  tail: number;
  otherBits: number;
}) {
  const bits =
    props.otherBits < 32 ? `${props.otherBits}-bit per channel` : 'float (other layers float)';
  return props.layers.map((s) => (
    <tr key={`fixed:${s.where}:${s.name}`} className="layer-fixed" data-testid="quantized-only-row">
      {props.lead > 0 && <td colSpan={props.lead} />}
      <td className="num muted">—</td>
      <td className="layer-name" title={`${s.name} (${s.where})`}>
        {s.name}
      </td>
      <td>
        <span className="op">{s.op}</span>
      </td>
      <td className="shape">{s.weightShape ? formatShape(s.weightShape) : '—'}</td>
      <td className="num">{formatCount(s.params)}</td>
      <td className="num muted" title="Multiply-adds of layers quantized only are not modelled">
        —
      </td>
      <td />
      <td title={s.reason}>
        <span className="muted small">
          quantize only ({bits}): {s.reason}
        </span>
      </td>
      {props.tail > 0 && <td colSpan={props.tail} />}
    </tr>
  ));
}
