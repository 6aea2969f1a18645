// `--budget latency=8ms` (or =90%): the layers of the sensitivity table timed alone in
// onnxruntime-web at the model's shapes (core/eval/layerLatency.ts), then the budget solver
// spends milliseconds instead of BOPs. One thread is timed by the process's CPU time, which a
// busy machine does not inflate; more threads (--threads) by wall-clock time. A table measured
// with 8-bit activations is timed so (core/eval/layerLatency.ts actBits).
import type { SensitivityTable } from '../core/allocate/index.ts';
import { type LatencyTable, latencyForms } from '../core/cost/latencyTable.ts';
import { measureLatencyTable } from '../core/eval/layerLatency.ts';
import { activeThreads } from '../core/eval/session.ts';
import type { PreparedModel } from '../core/pipeline/prepare.ts';
import type { WeightForm } from '../core/rewrite/weightForm.ts';
import { sha256Hex } from '../core/sweep/configKey.ts';
import { UsageError } from './util.ts';

const cpuClockMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function measureBudgetLatency(
  prepared: PreparedModel,
  table: SensitivityTable,
  options: { weightForm?: WeightForm; command: string; log?: ((line: string) => void) | null },
): Promise<LatencyTable> {
  const shapes = Object.values(prepared.inputShapes);
  if (shapes.length !== 1) {
    throw new UsageError(
      `${options.command}: a latency budget needs a one-input model (this one has ${shapes.length} inputs); use bops= or size=`,
    );
  }
  const byName = new Map(prepared.layers.map((l) => [l.name, l]));
  const requests = table.layers.map((l) => {
    const layer = byName.get(l.name);
    if (!layer)
      throw new UsageError(
        `${options.command}: the table names layer ${l.name}, which the model lacks`,
      );
    return { layer, ...latencyForms(l.options) };
  });
  const oneThread = activeThreads() === 1;
  const started = performance.now();
  const table_ = await measureLatencyTable(prepared.bytes, shapes[0], requests, {
    weightForm: options.weightForm ?? 'load',
    otherWeightBits: table.otherWeightBits,
    // 8-bit activations run other kernels (QuantizeLinear before every layer, integer convs).
    actBits: table.actBits,
    modelSha256: await sha256Hex(prepared.sourceBytes),
    ...(oneThread && { clock: cpuClockMs, clockName: 'cpu' }),
    onLayer: (done, total) => {
      const s = (performance.now() - started) / 1000;
      const left = (s / done) * (total - done);
      options.log?.(
        `latency: ${done}/${total} layers timed alone${done < total ? `, about ${Math.ceil(left)} s left` : ''}`,
      );
    },
  });
  options.log?.(
    `latency (${table_.runtime}, ${table_.threads} thread${table_.threads === 1 ? '' : 's'}, ${oneThread ? 'CPU' : 'wall'} ms` +
      `${table_.actBits === 8 ? ', 8-bit activations' : ''}): ` +
      `original model ${table_.modelMs.toFixed(2)} ms, of which ${table_.restMs.toFixed(2)} ms outside the layers`,
  );
  return table_;
}
