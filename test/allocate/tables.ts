// Sensitivity tables made by hand for solver and budget tests: the header every table needs, with
// the layers and the whole-model numbers a test gives.
import {
  type LayerSensitivity,
  type OptionSensitivity,
  SENSITIVITY_FORMAT,
  SENSITIVITY_VERSION,
  type SensitivityTable,
} from '../../src/core/allocate/table.ts';

/** A 16x16 3x3 conv layer of the table with these options. */
export function tableLayer(name: string, options: OptionSensitivity[]): LayerSensitivity {
  return { name, op: 'Conv', weightShape: [16, 16, 3, 3], macs: 1, skipped: [], options };
}

/** A table of `layers`; float 10,000 BOPs and 1,000 bytes, nothing outside it, unless given. */
export function syntheticTable(
  layers: LayerSensitivity[],
  extra: Partial<SensitivityTable> = {},
): SensitivityTable {
  return {
    format: SENSITIVITY_FORMAT,
    version: SENSITIVITY_VERSION,
    modelSha256: '',
    dataSha256: '',
    images: 1,
    calibrated: true,
    preset: 'default',
    seed: 0,
    otherWeightBits: 8,
    actBits: 32,
    floatBops: 10000,
    floatWeightBytes: 1000,
    fixed: { bops: 0, weightBytes: 0 },
    layers,
    seconds: 0,
    measured: 0,
    cached: 0,
    ...extra,
  };
}
