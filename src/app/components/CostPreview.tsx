import { useMemo } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatBytes, formatCount, formatScaled } from '../format.ts';
import { TERMS } from '../workbench/pointText.ts';
import { previewCosts, type QuantizedOnlyCost } from '../workbench/previewCosts.ts';
import { chosenLayers } from '../workbench/settings.ts';
import { useWorkbench } from '../workbench/store.ts';

function percent(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} %` : '—';
}

/** The weights outside the layer list, in one sentence (they are in the size above). */
function quantizedQuote(q: QuantizedOnlyCost): string {
  const n = q.layers.length;
  const what = `${n} more layer${n === 1 ? '' : 's'} (ConvTranspose, LSTM/GRU/RNN or inside If/Loop/Scan bodies, listed under the layer table)`;
  if (q.bits >= 32)
    return `${what} stay float: ${formatCount(q.params)} weights, ${formatBytes(q.floatWeightBytes)}; other layers at fewer bits would quantize them. Their multiply-adds are not counted.`;
  return `Includes ${what}, quantized only at ${q.bits} bits per channel: ${formatCount(q.params)} weights, ${formatBytes(q.idealWeightBytes)} instead of ${formatBytes(q.floatWeightBytes)}. Their multiply-adds are not counted.`;
}

/** The "what if": costs of the current settings, recomputed on every slider move (cost model). */
export function CostPreview({ model }: { model: ModelOverview }) {
  const settings = useWorkbench((s) => s.settings);
  const preview = useMemo(() => previewCosts(model, settings), [model, settings]);
  const { costs, rankErrors, quantizedOnly } = preview;
  const t = costs.totals;
  const layers = chosenLayers(model.layers, settings).length;
  const biasBytes = (model.summary.params - t.floatParams) * 4;
  return (
    <>
      <dl className="facts cost-preview" data-testid="cost-preview" aria-live="polite">
        <div className="fact">
          <dt title={TERMS.compute}>Compute (BOPs)</dt>
          <dd data-testid="preview-bop">{percent(t.bopPercent)}</dd>
        </div>
        <div className="fact">
          <dt title="Weight values (parameters) kept, of the original model's">Weights</dt>
          <dd>
            {formatCount(t.params)}{' '}
            <span className="muted small">of {formatCount(t.floatParams)}</span>
          </dd>
        </div>
        <div className="fact">
          {/* The weights as stored (codes in INT4/INT8 containers: 3 bits take 4, 5-7 take 8)
            plus float biases, so per-layer bits are predicted as well as uniform ones; the written
            file adds the graph, names and scales, and the result row shows that real size. */}
          <dt title="Weights as the file stores them (3-bit codes take 4 bits, 5-7-bit codes 8) plus float biases; the written file adds the graph and scales">
            Model size (weights)
          </dt>
          <dd>
            <span data-testid="preview-size">
              {formatBytes(preview.storedWeightBytes + biasBytes)}
            </span>{' '}
            <span className="muted small">
              of {formatBytes(preview.floatWeightBytes + biasBytes)}
            </span>
          </dd>
        </div>
        <div className="fact">
          <dt title="MACs: multiply-accumulate operations per image, whatever their bit width">
            Multiply-adds
          </dt>
          <dd>
            {formatScaled(t.macs)}{' '}
            <span className="muted small">of {formatScaled(t.floatMacs)}</span>
          </dd>
        </div>
        <div className="fact">
          <dt>Layers compressed</dt>
          <dd>{layers}</dd>
        </div>

        {rankErrors.length > 0 && (
          <p className="warning small" role="alert" data-testid="rank-errors">
            {rankErrors.length === 1 ? 'Layer' : `${rankErrors.length} layers, e.g.`}{' '}
            {rankErrors[0].layer}: {rankErrors[0].reason}. A run with these settings would stop
            there; choose a smaller rate or rank, or leave the layer out.
          </p>
        )}
      </dl>
      {quantizedOnly.layers.length > 0 && (
        <p className="muted small" data-testid="preview-quantized-only">
          {quantizedQuote(quantizedOnly)}
        </p>
      )}
    </>
  );
}
