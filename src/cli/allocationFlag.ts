// `qaf compress --allocation FILE`: the per-layer settings `qaf allocate` wrote, read and checked
// against the model before any compression work (a layer the model lacks, or an option a layer
// cannot take, fails here with the layer's name).
import { AllocationError, parseAllocation, validateAllocation } from '../core/allocate/index.ts';
import type { Allocation } from '../core/factor/modelJobs.ts';
import type { PreparedModel } from '../core/pipeline/prepare.ts';
import { readInputFile, UsageError } from './util.ts';

export const allocationCliOption = { allocation: { type: 'string' } } as const;

export const allocationCliUsage = `  --allocation FILE  per-layer method, rate or rank and bits from \`qaf allocate\` (instead of
                     --method, --rate, --rank, --bits, --layers, --per-channel)`;

/** Flags an allocation file replaces; giving both is a contradiction. */
const REPLACED = ['method', 'rate', 'rank', 'bits', 'layers', 'per-channel', 'preset', 'seed'];

/** The allocation file as an Allocation checked against the model. */
export function readAllocationFile(path: string, prepared: PreparedModel): Allocation {
  const text = new TextDecoder().decode(readInputFile(path, 'allocation file'));
  try {
    const allocation = parseAllocation(text);
    validateAllocation(prepared.layers, allocation);
    return allocation;
  } catch (err) {
    if (err instanceof AllocationError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

/** The --allocation flag's allocation, or null without the flag; a replaced flag is an error. */
export function allocationFromArgs(
  values: Record<string, unknown>,
  prepared: PreparedModel,
): Allocation | null {
  const path = values.allocation;
  if (path === undefined) return null;
  const clash = REPLACED.find((k) => values[k] !== undefined);
  if (clash)
    throw new UsageError(`compress: --allocation replaces --${clash}; give one or the other`);
  return readAllocationFile(String(path), prepared);
}
