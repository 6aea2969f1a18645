import { useEffect } from 'react';
import { compressPool } from '../bridge/compressPool.ts';
import { useAppStore } from '../store.ts';
import { useSession } from '../workbench/store.ts';

/** Asks the compression worker which kernels it runs, once per page. */
function useKernelsName(): string | null {
  const name = useSession((s) => s.kernelsName);
  useEffect(() => {
    if (name) return;
    compressPool()
      .kernelsName()
      .then(
        (kernels) => useSession.setState({ kernelsName: kernels }),
        () => useSession.setState({ kernelsName: 'unavailable' }),
      );
  }, [name]);
  return name;
}

/** The line researchers check first: which kernels, how many runtime threads, isolation. */
export function StatusFooter() {
  const kernels = useKernelsName();
  const runtime = useAppStore((s) => s.runtime);
  const threads = runtime.status === 'ready' ? String(runtime.threads) : '—';
  const isolated = globalThis.crossOriginIsolated === true;
  return (
    <footer className="status-footer" data-testid="status-footer">
      <span data-testid="kernels-name">kernels: {kernels ?? 'loading…'}</span>
      <span>·</span>
      <span>ort threads: {threads}</span>
      <span>·</span>
      <span>{isolated ? 'crossOriginIsolated' : 'not crossOriginIsolated'}</span>
      <span>·</span>
      <span>compression workers: {compressPool().size}</span>
    </footer>
  );
}
