import { describe, expect, it } from 'vitest';
import type { ArraysAgreement } from '../../../src/app/bridge/evalTypes.ts';
import {
  agreementFigure,
  arraysSentence,
  describeAgreement,
  outputChange,
} from '../../../src/app/workbench/arraysText.ts';

const base = { relativeL2: 0.0123, sqnrDb: 38.21, constant: false };
const agreement: ArraysAgreement = {
  source: 'x.npz',
  samples: 44,
  which: 'the 44 samples not used for calibration',
  outputs: [
    { ...base, name: 'mask', kind: 'map', agreement: 0.981 },
    { ...base, name: 'logits', kind: 'classes', agreement: 0.975 },
    { ...base, name: 'feat', kind: 'values', agreement: null },
    { ...base, name: 'zero', kind: 'values', agreement: null, sqnrDb: null, constant: true },
  ],
};

describe('a run on arrays in words', () => {
  it('says agreement with the original, never accuracy, with every output', () => {
    expect(arraysSentence(agreement)).toBe(
      'Agreement with the original model, not accuracy (your arrays have no labels), on x.npz (the 44 samples not used for calibration): ' +
        'mask: pixel agreement 98.1 % (rel. L2 0.012); logits: top-1 agreement 97.5 % (rel. L2 0.012); ' +
        'feat: rel. L2 0.012, SQNR 38.2 dB; zero: the same constant in both models on these samples (not judged)',
    );
    expect(agreementFigure(agreement)).toBe(0.981);
    expect(outputChange(agreement)).toBe('rel. L2 0.012');
  });

  it('has no agreement figure for outputs that are not classes or maps', () => {
    const values = { ...agreement, outputs: [agreement.outputs[2], agreement.outputs[3]] };
    expect(agreementFigure(values)).toBeNull();
    expect(
      describeAgreement({ ...base, name: 'y', kind: 'values', agreement: null, sqnrDb: null }),
    ).toBe('y: rel. L2 0.012, SQNR infinite or undefined');
    expect(outputChange({ ...agreement, outputs: [agreement.outputs[3]] })).toBe('—');
  });
});
