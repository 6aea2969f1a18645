// The method registry: the one list of compression methods the engine, the cost model, the
// rewrite, the sweep, the CLI and the UI read. Adding a method: a file beside this one with its
// MethodSpec, and one entry below (TypeScript then points at every place that must know it).
import { floatCpMethod } from './floatCp.ts';
import { ftqMethod } from './ftq.ts';
import { ptqMethod } from './ptq.ts';
import { qafMethod } from './qaf.ts';
import type { MethodSpec } from './types.ts';

export const METHODS = {
  admm: qafMethod,
  ftq: ftqMethod,
  ptq: ptqMethod,
  cp: floatCpMethod,
} as const satisfies Record<string, MethodSpec>;

export type MethodId = keyof typeof METHODS;

/** Registry order: QAF first, then its baselines. */
export const METHOD_IDS = Object.keys(METHODS) as MethodId[];

export function isMethodId(id: string): id is MethodId {
  return Object.hasOwn(METHODS, id);
}

/** The method's entry; an unknown id is an error that lists the known ones. */
export function methodSpec(id: string): MethodSpec<MethodId> {
  if (!isMethodId(id)) {
    throw new RangeError(`unknown method '${id}' (known: ${METHOD_IDS.join(', ')})`);
  }
  return METHODS[id];
}

/**
 * The choices a user picks from: a method with fixed options. PTQ per tensor and per channel
 * are one method with two option sets; file names use the slug.
 */
export const METHOD_CHOICES = [
  { id: 'admm', method: 'admm', label: 'QAF (ADMM)', slug: 'qaf-admm', perChannel: false },
  { id: 'ftq', method: 'ftq', label: 'FTQ (CP, then round)', slug: 'ftq', perChannel: false },
  { id: 'ptq-tensor', method: 'ptq', label: 'PTQ per-tensor', slug: 'ptq', perChannel: false },
  { id: 'ptq-channel', method: 'ptq', label: 'PTQ per-channel', slug: 'ptq-pc', perChannel: true },
  { id: 'cp', method: 'cp', label: 'Float CP', slug: 'cp-float', perChannel: false },
] as const satisfies readonly {
  id: string;
  method: MethodId;
  label: string;
  slug: string;
  perChannel: boolean;
}[];

export type MethodChoiceId = (typeof METHOD_CHOICES)[number]['id'];
export type MethodChoice = (typeof METHOD_CHOICES)[number];

export function methodChoice(id: MethodChoiceId): MethodChoice {
  return METHOD_CHOICES.find((c) => c.id === id)!;
}

export type { LayerTraits, MethodSpec } from './types.ts';
