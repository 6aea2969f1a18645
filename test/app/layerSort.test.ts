import { describe, expect, it } from 'vitest';
import { sortLayers } from '../../src/app/layerSort.ts';
import type { LayerInfo } from '../../src/core/onnx/index.ts';

function layer(name: string, params: number, macs: number | null, factorizable = true): LayerInfo {
  return {
    name,
    nodeIndex: 0,
    op: 'Conv',
    weightName: `${name}.weight`,
    weightShape: [1],
    params,
    macs,
    group: 1,
    kernel: [1, 1],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    factorizable,
    reason: factorizable ? '' : 'depthwise',
  };
}

const layers = [layer('b', 10, 300), layer('a', 30, null), layer('c', 20, 100, false)];

describe('sortLayers', () => {
  it('keeps graph order by default', () => {
    expect(
      sortLayers(layers, { key: 'index', descending: false }).map((r) => r.layer.name),
    ).toEqual(['b', 'a', 'c']);
  });

  it('sorts numbers both ways', () => {
    const desc = sortLayers(layers, { key: 'params', descending: true });
    expect(desc.map((r) => r.layer.params)).toEqual([30, 20, 10]);
    const asc = sortLayers(layers, { key: 'params', descending: false });
    expect(asc.map((r) => r.layer.params)).toEqual([10, 20, 30]);
  });

  it('puts unknown MACs last in either direction', () => {
    expect(sortLayers(layers, { key: 'macs', descending: true }).map((r) => r.layer.name)).toEqual([
      'b',
      'c',
      'a',
    ]);
    expect(sortLayers(layers, { key: 'macs', descending: false }).map((r) => r.layer.name)).toEqual(
      ['c', 'b', 'a'],
    );
  });

  it('remembers each row position in the graph', () => {
    const rows = sortLayers(layers, { key: 'name', descending: false });
    expect(rows.map((r) => [r.layer.name, r.index])).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 2],
    ]);
  });
});
