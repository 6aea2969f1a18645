import { describe, expect, it } from 'vitest';
import {
  inputsNeedingShapes,
  parseInputShapes,
  parseShapeText,
  shapeTemplate,
} from '../../src/app/inputShapes.ts';

describe('input shapes', () => {
  it('asks only for inputs with symbolic dims beyond the batch', () => {
    const inputs = [
      { name: 'a', shape: ['batch', 3, 32, 32] },
      { name: 'b', shape: ['N', 3, 'H', 'W'] },
      { name: 'c', shape: [1, 3, 8, 8] },
    ];
    expect(inputsNeedingShapes(inputs).map((input) => input.name)).toEqual(['b']);
  });

  it('starts from the known dims', () => {
    expect(shapeTemplate(['N', 3, 'H', 'W'])).toBe('1,3,,');
  });

  it('parses commas, spaces and x', () => {
    expect(parseShapeText('1, 3, 224, 224', 4)).toEqual([1, 3, 224, 224]);
    expect(parseShapeText('1x3x224x224', 4)).toEqual([1, 3, 224, 224]);
  });

  it('rejects a wrong rank or a bad dim with a readable message', () => {
    expect(() => parseShapeText('1,3,224', 4)).toThrow('expected 4 dimensions');
    expect(() => parseShapeText('1,3,0,224', 4)).toThrow('"0" is not a positive whole number');
    expect(() => parseShapeText('1,3,2.5,224', 4)).toThrow('not a positive whole number');
  });

  it('names the input whose field is wrong', () => {
    const inputs = [
      { name: 'image', shape: ['N', 3, 'H', 'W'] },
      { name: 'mask', shape: ['N', 'H', 'W'] },
    ];
    expect(parseInputShapes(inputs, { image: '1,3,8,8', mask: '1,8,8' })).toEqual({
      image: [1, 3, 8, 8],
      mask: [1, 8, 8],
    });
    expect(() => parseInputShapes(inputs, { image: '1,3,8,8', mask: '1,8' })).toThrow(
      'mask: expected 3 dimensions',
    );
  });
});
