// The solver client under fast slider moves: one solve in flight, only the latest waiting budget
// sent next (the ones it replaced answer null), the table sent once per table and again to a
// restarted worker.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Budget, SensitivityTable } from '../../../src/core/allocate/index.ts';

const calls: string[] = [];
const answers: ((v: unknown) => void)[] = [];
let generation = 0;

vi.mock('../../../src/app/bridge/workerClient.ts', () => ({
  WorkerClient: class {
    get generation() {
      return generation;
    }
    api = {
      setTable: async () => {
        calls.push('table');
      },
      solve: (budget: { percent: number }) => {
        calls.push(`solve ${budget.percent}`);
        return new Promise((resolve) => answers.push(resolve));
      },
    };
  },
}));

const { solveBudget } = await import('../../../src/app/bridge/solverClient.ts');
const budget = (percent: number): Budget => ({ kind: 'bops', percent });
const answer = (n: number) => ({ ok: true, solved: { n } });
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  calls.length = 0;
  answers.length = 0;
});

describe('solveBudget', () => {
  it('coalesces moves made while a solve runs: the latest is solved next, the others get null', async () => {
    const table = {} as SensitivityTable;
    const first = solveBudget(table, budget(1));
    await flush();
    const second = solveBudget(table, budget(2));
    const third = solveBudget(table, budget(3));
    expect(await second).toBeNull();
    answers.shift()!(answer(1));
    expect(await first).toEqual(answer(1));
    await flush();
    answers.shift()!(answer(3));
    expect(await third).toEqual(answer(3));
    expect(calls).toEqual(['table', 'solve 1', 'solve 3']);
  });

  it('sends a new table once, and again to a restarted worker', async () => {
    const table = {} as SensitivityTable;
    const one = solveBudget(table, budget(4));
    await flush();
    answers.shift()!(answer(4));
    await one;
    const two = solveBudget(table, budget(5));
    await flush();
    answers.shift()!(answer(5));
    await two;
    generation++;
    const three = solveBudget(table, budget(6));
    await flush();
    answers.shift()!(answer(6));
    await three;
    expect(calls).toEqual(['table', 'solve 4', 'solve 5', 'table', 'solve 6']);
  });
});
