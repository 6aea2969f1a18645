import { ErrorBanner } from './components/ErrorBanner.tsx';
import { FileDropTarget } from './components/FileDropTarget.tsx';
import { Header } from './components/Header.tsx';
import { LayerTable } from './components/LayerTable.tsx';
import { LoadingBar } from './components/LoadingBar.tsx';
import { ModelSummary } from './components/ModelSummary.tsx';
import { Welcome } from './components/Welcome.tsx';
import { useAppStore } from './store.ts';

/** Lays out the panels; each panel reads what it needs from the store. */
export function App() {
  const model = useAppStore((s) => s.model);
  return (
    <div className="app">
      <Header />
      <main className="workspace">
        <div className="notices">
          <ErrorBanner />
          <LoadingBar />
        </div>
        {model ? (
          <div className="model-area">
            <ModelSummary model={model} />
            <LayerTable model={model} />
          </div>
        ) : (
          <Welcome />
        )}
      </main>
      <FileDropTarget />
    </div>
  );
}
