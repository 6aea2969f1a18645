// The compression jobs of a run with per-layer overrides, from the model worker: one call per
// distinct per-layer setting, after the pipeline's preflight.
import type { JobSettings } from '../../core/factor/modelJobs.ts';
import type { CompressJob } from '../../core/factor/types.ts';
import type { OutputSettings } from '../../core/pipeline/write.ts';
import { modelWorker } from '../bridge/modelClient.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { abortable } from './abortable.ts';
import { runAllocation } from './allocation.ts';
import { type CompressSettings, chosenLayers, layerJobSettings } from './settings.ts';

/**
 * The run's compression jobs in graph order: one worker call per distinct per-layer setting.
 * The preflight runs first, so a file onnxruntime could not load is refused before any solving.
 */
export async function allocatedJobs(
  model: ModelOverview,
  s: CompressSettings,
  output: OutputSettings,
  signal: AbortSignal,
): Promise<CompressJob[]> {
  const chosen = chosenLayers(model.layers, s).map((l) => l.name);
  if (chosen.length === 0 && model.layers.length === 0 && model.quantizedOnly?.layers.length) {
    // Every weight sits in If/Loop/Scan bodies (Silero VAD): the pipeline writes them quantized
    // only, if the preflight finds the run quantizes anything; nothing is factorized.
    await abortable(
      modelWorker().preflight(model.modelId, runAllocation(model.layers, s), output),
      signal,
    );
    return [];
  }
  if (chosen.length === 0) throw new Error('no layer selected for this method');
  const groups = new Map<string, { settings: JobSettings; names: string[] }>();
  for (const name of chosen) {
    const job = layerJobSettings(s, name);
    if (!job) continue;
    const key = JSON.stringify([job.method, job.rate, job.rank, job.bits]);
    const group = groups.get(key) ?? { settings: job, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  if (groups.size === 0) {
    throw new Error('every chosen layer is set to "keep": nothing to compress (reset some layers)');
  }
  const allocation = runAllocation(model.layers, s);
  await abortable(modelWorker().preflight(model.modelId, allocation, output), signal);
  const parts = await Promise.all(
    [...groups.values()].map((g) =>
      abortable(modelWorker().jobs(model.modelId, g.settings, g.names), signal),
    ),
  );
  const order = new Map(chosen.map((name, i) => [name, i]));
  return parts.flat().sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}
