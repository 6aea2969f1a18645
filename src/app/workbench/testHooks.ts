// A window for the e2e tests, opened only with ?testHooks in the URL: the integer codes of the
// last run's layers, so a test can compare them with a Node-side compression of the same layer,
// and `__qafKillWorkers(label)`, which ends the live workers of one kind ('evaluation', 'model',
// 'compression') without any error event, as a browser does to a worker it kills, and
// `__qafCompressHelps()`, how often an idle compression worker joined a busy one's layer.
import type { LayerResult } from '../../core/factor/types.ts';
import { compressPool } from '../bridge/compressPool.ts';
import { killWorkersSilently } from '../bridge/workerClient.ts';

export interface LayerCodes {
  name: string;
  rank: number;
  codes: number[][];
}

const enabled =
  typeof location !== 'undefined' && new URLSearchParams(location.search).has('testHooks');

if (enabled) {
  (globalThis as { __qafKillWorkers?: (label: string) => number }).__qafKillWorkers =
    killWorkersSilently;
  (globalThis as { __qafCompressHelps?: () => number }).__qafCompressHelps = () =>
    compressPool().helpsSent;
}

export function exposeLayerResults(results: readonly LayerResult[]): void {
  if (!enabled) return;
  const codes: LayerCodes[] = results.map((r) => ({
    name: r.name,
    rank: r.rank,
    codes: r.factors.map((f) => Array.from(f.codes ?? [])),
  }));
  (globalThis as { __qafLayerCodes?: LayerCodes[] }).__qafLayerCodes = codes;
}
