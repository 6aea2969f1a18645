// "Download this model" for a clicked chart point. A point of a run downloads that run's model
// (kept in memory or in the browser's store, else rebuilt). A sweep point is built from its
// settings; its layers come from this session's layer cache when they were computed before
// (a run of the same settings), so nothing is factorized again: the run panel says how many
// layers came from the cache. It is built as the sweep measured it: QAF's objective and the
// number of calibration images are the sweep's.

import { SWEEP_CALIBRATION_IMAGES } from '../../core/calibrate/defaults.ts';
import { useAppStore } from '../store.ts';
import { isAbort } from './abortable.ts';
import type { ChartPoint } from './chartData.ts';
import { ensureDatasetsLoaded, errorMessage } from './datasetActions.ts';
import { downloadModel, saveBlob } from './download.ts';
import {
  buildModel,
  type CalibrationSource,
  calibrationSource,
  factorizeLayers,
  modelKey,
  objectiveStatement,
  originalBytes,
} from './pipeline.ts';
import { type CompressSettings, compressedFileName, DEFAULT_SETTINGS } from './settings.ts';
import { IDLE_RUN, isBusy, patchRun, useSession, useWorkbench } from './store.ts';

/** Built models of sweep points this session, by model and settings. */
const built = new Map<string, Uint8Array>();
let controller: AbortController | null = null;

export function cancelPointBuild(): void {
  controller?.abort();
}

/** "all 18 layers from the cache, none factorized" or "12 of 18 layers from the cache". */
export function reuseText(total: number, factorized: number): string {
  if (factorized === 0) return `all ${total} layers from the cache, none factorized`;
  if (factorized === total) return `${total} layers factorized (none cached)`;
  return `${total - factorized} of ${total} layers from the cache, ${factorized} factorized`;
}

/**
 * A sweep point's calibration: as many images of the separate set as its sweep took
 * (SWEEP_CALIBRATION_IMAGES, not a run's APP_CALIBRATION_IMAGES), so the download is the point
 * that was charted, statistics of data-aware QAF included.
 */
export function pointSource(
  p: Pick<ChartPoint, 'calibrationImages'>,
  source: CalibrationSource,
): CalibrationSource {
  if (source?.kind !== 'separate') return source;
  return { ...source, images: p.calibrationImages ?? SWEEP_CALIBRATION_IMAGES };
}

async function buildPoint(
  settings: CompressSettings,
  point: Pick<ChartPoint, 'calibrationImages'>,
): Promise<Uint8Array> {
  const model = useAppStore.getState().model;
  if (!model) throw new Error('open the model again to build this point');
  if (controller || isBusy(useSession.getState().run))
    throw new Error('wait for the running step to finish');
  controller = new AbortController();
  const { signal } = controller;
  useSession.setState({
    run: { ...IDLE_RUN, phase: 'compressing', detail: 'building', startedAt: performance.now() },
  });
  try {
    await ensureDatasetsLoaded();
    const factorized = new Set<string>();
    const source = pointSource(point, calibrationSource(settings, useSession.getState().datasets));
    const { evalSettings } = useWorkbench.getState();
    const { results, moments } = await factorizeLayers(
      model,
      settings,
      signal,
      (p) => {
        // Layers from the cache report 'done' at once; anything else is being computed.
        if (p.status !== 'done') factorized.add(p.layer);
        useSession.setState((s) => ({
          run: {
            ...s.run,
            layers: { ...s.run.layers, [p.layer]: p },
            layerOrder: s.run.layerOrder.includes(p.layer)
              ? s.run.layerOrder
              : [...s.run.layerOrder, p.layer],
            detail: `${p.layer}: ${p.status}`,
            events: s.run.events + 1,
          },
        }));
      },
      {
        source,
        evalSettings,
        // Data-aware QAF: the layers' input statistics first (kept from a run alike).
        onProgress: (p) =>
          patchRun({ detail: p.status, events: useSession.getState().run.events + 1 }),
      },
    );
    const reuse = reuseText(results.length, factorized.size);
    patchRun({
      objective: objectiveStatement(moments, results),
      phase: 'rewriting',
      detail: `writing the compressed model (${reuse})`,
      progress: 0.6,
    });
    const result = await buildModel(
      await originalBytes(model),
      results,
      settings,
      source,
      evalSettings,
      signal,
      (p) =>
        patchRun({
          detail: `${p.status} (${reuse})`,
          events: useSession.getState().run.events + 1,
        }),
      model.inputShapes,
    );
    // The written model's check (run next to the original) travels with the download.
    const check = result.checkSummary;
    patchRun({
      phase: 'done',
      progress: 1,
      detail: `built for download: ${reuse}`,
      check,
      message: check && !check.ok ? `The written model failed its check: ${check.text}` : null,
    });
    return result.bytes;
  } catch (err) {
    patchRun(
      isAbort(err)
        ? { phase: 'cancelled', detail: 'cancelled' }
        : { phase: 'failed', message: errorMessage(err) },
    );
    throw err;
  } finally {
    controller = null;
  }
}

export async function downloadPointModel(p: ChartPoint): Promise<void> {
  const row = p.resultId ? useWorkbench.getState().results.find((r) => r.id === p.resultId) : null;
  if (row) return downloadModel(row);
  const model = useAppStore.getState().model;
  if (!model) throw new Error('open the model again to build this point');
  const settings: CompressSettings = {
    ...DEFAULT_SETTINGS,
    ...p.settings,
    calibrate: p.calibrated,
  };
  const key = JSON.stringify([modelKey(model), settings, p.calibrationImages]);
  let bytes = built.get(key);
  if (!bytes) {
    bytes = await buildPoint(settings, p);
    built.set(key, bytes);
  }
  saveBlob(
    compressedFileName(model.fileName, settings, p.calibrated),
    new Blob([bytes as BlobPart], { type: 'application/octet-stream' }),
  );
}
