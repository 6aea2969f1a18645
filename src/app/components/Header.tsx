import { OpenModelButton } from './OpenModelButton.tsx';

export function Header() {
  // Without isolation onnxruntime-web silently runs on one thread: say so.
  const isolated = globalThis.crossOriginIsolated === true;
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          Q
        </span>
        <div>
          <h1>QAF Workbench</h1>
          <p className="tagline">Quantization-aware factorization, in your browser</p>
        </div>
      </div>
      <div className="header-actions">
        <span
          className={isolated ? 'badge badge-ok' : 'badge badge-warn'}
          title={
            isolated
              ? 'Cross-origin isolated: the runtime can use several threads'
              : 'Not cross-origin isolated: the runtime is limited to one thread'
          }
        >
          {isolated ? 'Cross-origin isolated' : 'Not isolated · 1 thread'}
        </span>
        <span className="badge" title="Models and data never leave this machine">
          Local only
        </span>
        <OpenModelButton primary />
      </div>
    </header>
  );
}
