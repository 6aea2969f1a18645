import { describe, expect, it } from 'vitest';
import { createStepGate } from '../../../src/app/workbench/stepGate.ts';

describe('createStepGate', () => {
  it('forwards the open step, drops a previous step and anything after close', () => {
    const seen: string[] = [];
    const gate = createStepGate();
    const first = gate.open((s: string) => seen.push(`first ${s}`));
    first('a');
    const second = gate.open((s: string) => seen.push(`second ${s}`));
    first('late'); // the first step's last event, arriving after the second began
    second('b');
    gate.close();
    second('done'); // arrives after the call's answer: the run is over
    expect(seen).toEqual(['first a', 'second b']);
  });
});
