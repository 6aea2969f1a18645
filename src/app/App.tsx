import { CompressPanel } from './components/CompressPanel.tsx';
import { DataPanel } from './components/DataPanel.tsx';
import { ErrorBanner } from './components/ErrorBanner.tsx';
import { FileDropTarget } from './components/FileDropTarget.tsx';
import { Header } from './components/Header.tsx';
import { LayerTable } from './components/LayerTable.tsx';
import { LoadingBar } from './components/LoadingBar.tsx';
import { ModelSummary } from './components/ModelSummary.tsx';
import { PredictionsPanel } from './components/PredictionsPanel.tsx';
import { ResultsTable } from './components/ResultsTable.tsx';
import { RunProgress } from './components/RunProgress.tsx';
import { SettingsShare } from './components/SettingsShare.tsx';
import { StatusFooter } from './components/StatusFooter.tsx';
import { StorageNotice } from './components/StorageNotice.tsx';
import { TradeoffCharts } from './components/TradeoffCharts.tsx';
import { Welcome } from './components/Welcome.tsx';
import { useAppStore } from './store.ts';
import { watchModelSwitches } from './workbench/modelHistory.ts';
import { loadSettingsFromLocation } from './workbench/settingsLink.ts';

// Opening another model puts the previous one's runs away (modelHistory.ts).
watchModelSwitches();
// A link made by "Copy settings" opens with its configuration.
loadSettingsFromLocation();
globalThis.addEventListener?.('hashchange', loadSettingsFromLocation);

/** Lays out the panels; each panel reads what it needs from the store. */
export function App() {
  const model = useAppStore((s) => s.model);
  return (
    <div className="app">
      <Header />
      <main className="workspace">
        <div className="notices">
          <ErrorBanner />
          <StorageNotice />
          <LoadingBar />
        </div>
        {model ? (
          <div className="model-area">
            <ModelSummary model={model} />
            <div className="workbench-grid">
              <DataPanel model={model} />
              <CompressPanel model={model} />
            </div>
            <SettingsShare />
            <RunProgress />
            <ResultsTable />
            <PredictionsPanel />
            <TradeoffCharts model={model} />
            <LayerTable model={model} />
          </div>
        ) : (
          <div className="model-area">
            <Welcome />
            <ResultsTable />
          </div>
        )}
      </main>
      <StatusFooter />
      <FileDropTarget />
    </div>
  );
}
