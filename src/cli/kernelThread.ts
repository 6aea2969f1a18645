// One kernel helper thread (kernelThreads.ts): loads the kernels the owner uses, then, for each
// team it is sent to, computes the shares of big kernel calls the owner hands it (threaded.ts)
// until it is asked to leave.
import { parentPort, workerData } from 'node:worker_threads';
import { loadKernels } from '../core/kernels/index.ts';
import { runShare } from '../core/kernels/threaded.ts';
import { type KernelTeam, serveTeam } from '../core/kernels/threadedTeam.ts';

export interface HelperRequest {
  team: KernelTeam;
  slot: number;
}

export type HelperReply =
  | { kind: 'ready'; kernels: string }
  | { kind: 'left'; slot: number; outcome: 'left' | 'taken' };

const port = parentPort;
if (port) {
  const { relaxedSimd } = (workerData ?? {}) as { relaxedSimd?: boolean };
  const kernels = await loadKernels({ relaxedSimd: relaxedSimd ?? false });
  port.on('message', ({ team, slot }: HelperRequest) => {
    const outcome = serveTeam(kernels, team, slot, runShare);
    port.postMessage({ kind: 'left', slot, outcome } satisfies HelperReply);
  });
  port.postMessage({ kind: 'ready', kernels: kernels.name } satisfies HelperReply);
}
