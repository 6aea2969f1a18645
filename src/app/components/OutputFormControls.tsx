import type { WeightForm } from '../../core/rewrite/weightForm.ts';
import { type CompressSettings, outputForm } from '../workbench/settings.ts';
import { updateSettings } from '../workbench/store.ts';
import { Choice } from './Choice.tsx';

/** What each weight form trades, in one sentence (src/core/rewrite/weightForm.ts). */
const FORM_TRADES: Record<WeightForm, string> = {
  dequantize:
    'Smallest file; onnxruntime dequantizes every weight again on each run, which costs time on a CPU.',
  load: 'Same file size; onnxruntime dequantizes the weights once when it loads the model, so runs are faster and the loaded model takes float memory.',
  float:
    'Float32 weights in the file: as fast as "At load" with no folding step, but quantization saves no bytes (factorization still does).',
};

const GUARD_TRADE =
  'Times each factorized conv against the original conv in this browser and writes the slower ones back as one conv computed from their factors at load: no layer slower than the original, same file size, a few seconds more per run.';

/** How the written file holds its weights, and the latency guard (issue #14 item 4). */
export function OutputFormControls({ settings }: { settings: CompressSettings }) {
  const { weightForm, latencyGuard } = outputForm(settings);
  const chosen = settings.weightForm ?? 'dequantize';
  return (
    <>
      <Choice
        label="Weights in the file"
        value={chosen}
        options={[
          ['dequantize', 'Dequantize at run'],
          ['load', 'At load'],
          ['float', 'Float'],
        ]}
        onChange={(form) => updateSettings({ weightForm: form })}
      />
      <p className="muted small" data-testid="weight-form-trade">
        {FORM_TRADES[weightForm]}
        {latencyGuard &&
          chosen === 'dequantize' &&
          settings.actBits >= 32 &&
          ' (The latency guard needs weights folded at load: "At load" is used.)'}
        {settings.actBits < 32 &&
          ' With 8-bit activations the file keeps its DequantizeLinear nodes: onnxruntime can fuse 8-bit weights into integer convs.'}
      </p>
      <label className="field-row check">
        <input
          type="checkbox"
          checked={latencyGuard}
          onChange={(e) => updateSettings({ latencyGuard: e.target.checked })}
        />
        Latency guard
      </label>
      <p className="muted small" data-testid="latency-guard-trade">
        {GUARD_TRADE}
        {settings.actBits < 32 &&
          ' With 8-bit activations both are timed reading quantized inputs, as the file runs them.'}
      </p>
    </>
  );
}
