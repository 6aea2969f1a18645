// "Take it away": each chart as PNG or SVG, all measured points as CSV or JSON. Nothing to
// export gives a message beside the button, never an empty file.
import { useState } from 'react';
import { name, version } from '../../../package.json';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import type { ChartModel, ChartPoint } from '../workbench/chartData.ts';
import { chartSvgDocument, type LegendFacts, svgToPng } from '../workbench/chartImage.ts';
import type { ChartSpec } from '../workbench/chartSpecs.ts';
import { errorMessage } from '../workbench/datasetActions.ts';
import { saveBlob } from '../workbench/download.ts';
import { modelHash } from '../workbench/modelHistory.ts';
import {
  assertExportable,
  type ExportMeta,
  pointsCsv,
  pointsJson,
} from '../workbench/pointsExport.ts';

export function fileBase(fileName: string): string {
  return fileName.replace(/\.onnx$/i, '');
}

export function legendFacts(points: readonly ChartPoint[]): LegendFacts {
  return {
    methods: [...new Set(points.map((p) => p.method))],
    bits: [...new Set(points.map((p) => p.bits))].sort((a, b) => a - b),
    calibrated: [true, false].filter((c) => points.some((p) => p.calibrated === c)),
  };
}

function useMessage() {
  const [message, setMessage] = useState<string | null>(null);
  const run = (step: () => Promise<void>) => () => {
    setMessage(null);
    step().catch((e) => setMessage(errorMessage(e)));
  };
  return { message, run };
}

function Message({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <span className="export-message" role="status" data-testid="export-message">
      {text}
    </span>
  );
}

export function ChartExports(props: {
  spec: ChartSpec;
  svg(): SVGSVGElement | null;
  setLabel: string;
  points: readonly ChartPoint[];
  base: string;
}) {
  const { message, run } = useMessage();
  const save = (kind: 'png' | 'svg') =>
    run(async () => {
      const svg = props.svg();
      if (!svg) throw new Error('Nothing to export: this chart shows no points on these images.');
      // The note on points below the zoomed axis travels with the picture.
      const note = svg.parentElement?.querySelector('.plot-note')?.textContent;
      const subtitle = note ? `${props.setLabel} · ${note}` : props.setLabel;
      const doc = chartSvgDocument(svg, props.spec.title, subtitle, legendFacts(props.points));
      const file = `${props.base}_${props.spec.id}.${kind}`;
      saveBlob(
        file,
        kind === 'svg' ? new Blob([doc], { type: 'image/svg+xml' }) : await svgToPng(doc),
      );
    });
  return (
    <span className="chart-exports">
      <Message text={message} />
      <button
        type="button"
        className="button-link"
        aria-label={`Export “${props.spec.title}” as PNG`}
        onClick={save('png')}
      >
        PNG
      </button>
      <button
        type="button"
        className="button-link"
        aria-label={`Export “${props.spec.title}” as SVG`}
        onClick={save('svg')}
      >
        SVG
      </button>
    </span>
  );
}

export function PointExports({ model, data }: { model: ModelOverview; data: ChartModel }) {
  const { message, run } = useMessage();
  const save = (kind: 'csv' | 'json') =>
    run(async () => {
      // Say "nothing to export" before asking the worker for the model's bytes.
      assertExportable(data);
      const sha256 = await modelHash(model);
      const text = kind === 'csv' ? pointsCsv(meta(sha256), data) : pointsJson(meta(sha256), data);
      const type = kind === 'csv' ? 'text/csv' : 'application/json';
      saveBlob(`${fileBase(model.fileName)}_points.${kind}`, new Blob([text], { type }));
    });
  const meta = (sha256: string): ExportMeta => ({
    app: { name, version },
    model: { fileName: model.fileName, sizeBytes: model.sizeBytes, sha256 },
    exportedAt: new Date().toISOString(),
  });
  return (
    <span className="point-exports">
      <Message text={message} />
      <span className="field-label">All points</span>
      <button type="button" className="button-link" onClick={save('csv')}>
        CSV
      </button>
      <button type="button" className="button-link" onClick={save('json')}>
        JSON
      </button>
    </span>
  );
}
