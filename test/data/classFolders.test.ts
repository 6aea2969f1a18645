import { describe, expect, it } from 'vitest';
import { assignClassLabels } from '../../src/core/data/classFolders.ts';

const labelsOf = (folders: string[]) => Object.fromEntries(assignClassLabels(folders).labels);

describe('assignClassLabels', () => {
  it('keeps CIFAR-10 indices when some classes are missing', () => {
    const a = assignClassLabels(['dog', 'airplane', 'truck', 'dog']);
    expect(Object.fromEntries(a.labels)).toEqual({ airplane: 0, dog: 5, truck: 9 });
    expect(a.classNames).toHaveLength(10);
  });

  it('takes numbers from numbered folders, naming gaps by number', () => {
    const a = assignClassLabels(['2_bird', '0-plane', '3']);
    expect(Object.fromEntries(a.labels)).toEqual({ '0-plane': 0, '2_bird': 2, '3': 3 });
    expect(a.classNames).toEqual(['plane', '1', 'bird', '3']);
    expect(labelsOf(['10', '9'])).toEqual({ '9': 9, '10': 10 });
    expect(() => assignClassLabels(['1_a', '01_b'])).toThrow(/numbered 1/);
  });

  it('falls back to sorted order like ImageFolder', () => {
    expect(labelsOf(['zebra', 'ant', 'cat'])).toEqual({ ant: 0, cat: 1, zebra: 2 });
    expect(labelsOf(['1_a', 'b'])).toEqual({ '1_a': 0, b: 1 });
  });
});
