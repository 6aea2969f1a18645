// "What changed", in pictures: evaluated images with their label, the original model's top-1
// and the compressed model's, the images where the two disagree first.
import { useCallback } from 'react';
import type { PredictionSample, PredictionSampleItem } from '../bridge/evalTypes.ts';
import { useAppStore } from '../store.ts';
import { isOpenModelRow, useOpenModelHash } from '../workbench/modelHistory.ts';
import { className, sampleOf, usePredictionRows } from '../workbench/predictions.ts';
import { useSession, useWorkbench } from '../workbench/store.ts';

function Thumbnail({ sample, position }: { sample: PredictionSample; position: number }) {
  const { thumbWidth: w, thumbHeight: h } = sample;
  const draw = useCallback(
    (canvas: HTMLCanvasElement | null) => {
      const context = canvas?.getContext('2d');
      if (!context) return;
      const image = context.createImageData(w, h);
      const rgb = sample.thumbnails.subarray(position * w * h * 3, (position + 1) * w * h * 3);
      for (let i = 0; i < w * h; i++) {
        image.data[i * 4] = rgb[i * 3];
        image.data[i * 4 + 1] = rgb[i * 3 + 1];
        image.data[i * 4 + 2] = rgb[i * 3 + 2];
        image.data[i * 4 + 3] = 255;
      }
      context.putImageData(image, 0, 0);
    },
    [sample, position, w, h],
  );
  return <canvas ref={draw} width={w} height={h} className="prediction-image" />;
}

function Card({
  sample,
  item,
  position,
}: {
  sample: PredictionSample;
  item: PredictionSampleItem;
  position: number;
}) {
  const agree = item.original === item.compressed;
  const name = (cls: number | null) => className(sample, cls);
  return (
    <li
      className={`prediction-card${agree ? '' : ' prediction-differs'}`}
      data-testid="prediction-card"
      data-agree={agree}
      title={`image ${item.index} of the evaluation file`}
    >
      <Thumbnail sample={sample} position={position} />
      <dl className="small">
        {item.label !== null && (
          <div>
            <dt>label</dt>
            <dd>{name(item.label)}</dd>
          </div>
        )}
        <div>
          <dt>original</dt>
          <dd className={item.original === item.label ? 'right' : 'wrong'}>
            {name(item.original)}
          </dd>
        </div>
        <div>
          <dt>compressed</dt>
          <dd className={item.compressed === item.label ? 'right' : 'wrong'}>
            {name(item.compressed)}
          </dd>
        </div>
      </dl>
    </li>
  );
}

/** The sample of the selected result row, else of the latest run; nothing without images. */
export function PredictionsPanel() {
  const latest = usePredictionRows((s) => s.latest);
  usePredictionRows((s) => s.rows);
  const selected = useSession((s) => s.chartSelection.resultId);
  const rowId = sampleOf(selected) ? selected : latest;
  const row = useWorkbench((s) => s.results.find((r) => r.id === rowId));
  const model = useAppStore((s) => s.model);
  const sha256 = useOpenModelHash((s) => s.sha256);
  const sample = sampleOf(rowId);
  // Another model's run is put away with its rows (modelHistory.ts).
  if (!sample || !row || !model || !isOpenModelRow(row, model, sha256)) return null;
  const differ = sample.disagreements;
  return (
    <section className="panel" aria-labelledby="predictions-title" data-testid="predictions-panel">
      <div className="panel-head">
        <h2 id="predictions-title">Sample predictions</h2>
        <span className="muted small" data-testid="predictions-summary">
          {differ === 0
            ? `the compressed model agrees with the original on all ${sample.evaluated.toLocaleString('en-US')} images`
            : `${differ.toLocaleString('en-US')} of ${sample.evaluated.toLocaleString('en-US')} images get another answer than from the original model; those first`}
        </span>
      </div>
      <ol className="prediction-grid">
        {sample.items.map((item, i) => (
          <Card key={item.index} sample={sample} item={item} position={i} />
        ))}
      </ol>
    </section>
  );
}
