// Parsing the input-shape field ("1,3,224,224") for models whose inputs have symbolic dims.
import type { Dim } from '../core/onnx/index.ts';

export interface ShapedInput {
  name: string;
  shape?: readonly Dim[];
}

/**
 * The inputs that need a user-given shape: a symbolic dim anywhere but the first (batch) one.
 * A symbolic batch alone is fine: costs are reported per sample.
 */
export function inputsNeedingShapes<T extends ShapedInput>(
  inputs: readonly T[],
): (T & { shape: readonly Dim[] })[] {
  return inputs.filter((input): input is T & { shape: readonly Dim[] } =>
    (input.shape ?? []).slice(1).some((dim) => typeof dim !== 'number'),
  );
}

/** The field's starting text: known dims as they are, batch as 1, other symbols left blank. */
export function shapeTemplate(shape: readonly Dim[]): string {
  return shape
    .map((dim, i) => (typeof dim === 'number' ? String(dim) : i === 0 ? '1' : ''))
    .join(',');
}

/** The field texts by input name -> shapes; the error names the input at fault. */
export function parseInputShapes(
  inputs: readonly { name: string; shape: readonly Dim[] }[],
  texts: Readonly<Record<string, string>>,
): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const input of inputs) {
    try {
      shapes[input.name] = parseShapeText(texts[input.name] ?? '', input.shape.length);
    } catch (err) {
      throw new Error(`${input.name}: ${(err as Error).message}`);
    }
  }
  return shapes;
}

/** "1, 3, 224, 224" -> [1, 3, 224, 224]; throws a message fit for the user. */
export function parseShapeText(text: string, rank: number): number[] {
  const parts = text.split(/[\s,x×]+/).filter((part) => part !== '');
  if (parts.length !== rank) {
    throw new Error(`expected ${rank} dimensions separated by commas, got ${parts.length}`);
  }
  return parts.map((part) => {
    const dim = Number(part);
    if (!Number.isInteger(dim) || dim < 1) {
      throw new Error(`"${part}" is not a positive whole number`);
    }
    return dim;
  });
}
