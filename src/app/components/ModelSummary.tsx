import type { ReactNode } from 'react';
import {
  type IoInfo,
  noLayerMessage,
  type SkippedLayer,
  skipReasons,
} from '../../core/onnx/index.ts';
import { dataTypeName } from '../../core/onnx/tensor.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatBytes, formatCount, formatMacs, formatShape } from '../format.ts';
import { type RuntimeState, useAppStore } from '../store.ts';
import { InputShapeForm } from './InputShapeForm.tsx';

function Fact({
  label,
  children,
  detail,
}: {
  label: string;
  children: ReactNode;
  detail?: string;
}) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>
        <span className="fact-value">{children}</span>
        {detail && <span className="fact-detail">{detail}</span>}
      </dd>
    </div>
  );
}

function TensorList({ title, tensors }: { title: string; tensors: readonly IoInfo[] }) {
  return (
    <div className="tensor-list">
      <h3>{title}</h3>
      <ul>
        {tensors.map((t) => (
          <li key={t.name}>
            <code>{t.name}</code>
            {t.elemType !== undefined && (
              <span className="muted small">{dataTypeName(t.elemType).toLowerCase()}</span>
            )}
            <span className="shape">{formatShape(t.shape)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function runtimeText(runtime: RuntimeState): string {
  switch (runtime.status) {
    case 'idle':
      return '—';
    case 'checking':
      return 'Creating session…';
    case 'ready':
      return `Session ready · ${runtime.runtime} · ${runtime.threads} thread${runtime.threads === 1 ? '' : 's'}`;
    case 'failed':
      return `Does not run: ${runtime.message}`;
  }
}

const warningStyle = {
  background: 'var(--warn-soft)',
  color: 'var(--warn)',
  padding: '10px 12px',
  borderRadius: 6,
  margin: '12px 0 0',
};

/**
 * What was not taken and why: a warning when nothing can be compressed (never a silent 0),
 * else a line with the reasons and the list behind a disclosure.
 */
function NotCompressed({ skipped, layerCount }: { skipped: SkippedLayer[]; layerCount: number }) {
  if (layerCount === 0) {
    return (
      <p style={warningStyle} role="alert" data-testid="no-layers-warning">
        {noLayerMessage(skipped)}
      </p>
    );
  }
  if (skipped.length === 0) return null;
  return (
    <details className="small" data-testid="not-compressed">
      <summary>
        {formatCount(skipped.length)} more weight {skipped.length === 1 ? 'node is' : 'nodes are'}{' '}
        not compressed: {skipReasons(skipped, 2)}
      </summary>
      <ul>
        {skipped.map((s) => (
          <li key={`${s.where} ${s.name}`}>
            <code>{s.name}</code> {s.op}
            {s.weightShape && ` ${s.weightShape.join('x')}`}: {s.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** File, inputs/outputs, opset, totals and whether onnxruntime-web can run the model. */
export function ModelSummary({ model }: { model: ModelOverview }) {
  const runtime = useAppStore((s) => s.runtime);
  const { summary } = model;
  const skipped = summary.notCompressed ?? [];
  const normalization = summary.normalization ?? [];
  return (
    <section className="panel" aria-labelledby="summary-title">
      <div className="panel-head">
        <h2 id="summary-title">{model.fileName}</h2>
        <span className="muted">
          ONNX · opset {summary.opset}
          {summary.producer && ` · ${summary.producer}`}
        </span>
      </div>
      <dl className="facts">
        <Fact label="Parameters">{formatCount(summary.params)}</Fact>
        <Fact
          label="MACs per sample"
          detail={
            summary.macs === null ? 'give input shapes below' : `${formatCount(summary.macs)} MACs`
          }
        >
          {formatMacs(summary.macs)}
        </Fact>
        <Fact label="File size" detail={`${formatCount(model.sizeBytes)} bytes`}>
          {formatBytes(model.sizeBytes)}
        </Fact>
        <Fact
          label="Layers"
          detail={
            `${summary.factorizableCount} factorizable` +
            (skipped.length ? `, ${skipped.length} not compressed` : '')
          }
        >
          {formatCount(summary.layerCount)}
        </Fact>
      </dl>
      <NotCompressed skipped={skipped} layerCount={summary.layerCount} />
      {normalization.length > 0 && (
        <p className="muted small" data-testid="normalization">
          Read after normalising the graph: {normalization.join('; ')}.
        </p>
      )}
      <div className="tensors">
        <TensorList title="Inputs" tensors={summary.inputs} />
        <TensorList title="Outputs" tensors={summary.outputs} />
      </div>
      <InputShapeForm key={model.modelId} model={model} />
      <p className={`runtime runtime-${runtime.status}`} data-testid="runtime-status">
        <span className="runtime-label">Runtime</span> {runtimeText(runtime)}
      </p>
    </section>
  );
}
