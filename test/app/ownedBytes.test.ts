// The app's "detached ArrayBuffer" bug (session 5): the eval worker transferred the written
// model's buffer, but a small model's bytes were a view into protobufjs' shared allocation pool
// (Node: the Buffer pool; the browser: protobufjs' own 8 KB slab), so the transfer detached the
// pool and the next writeModel in that worker failed with "Cannot perform Construct on a
// detached ArrayBuffer". Since session 7 writeModel gives every model its own buffer
// (test/onnx/roundTrip.test.ts); ownedBytes stays as the worker's guard for any other view.
// e2e/arraysSweep.spec.ts runs the failing sequence in Chromium.
import { describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { ownedBytes } from '../../workers/compressedBuild.ts';

function tiny(): Uint8Array {
  const graph = makeGraph({
    nodes: [makeNode('Relu', ['x'], ['y'])],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1])],
    initializers: [],
  });
  return writeModel(makeModel(graph));
}

/** `bytes` as a view into a larger shared buffer, as a pooled allocation is. */
function pooled(bytes: Uint8Array): Uint8Array {
  const pool = new Uint8Array(8192);
  const view = pool.subarray(100, 100 + bytes.length);
  view.set(bytes);
  return view;
}

describe('written bytes sent from a worker', () => {
  it('a written small model owns its buffer: transferring it takes nothing else along', () => {
    const bytes = tiny();
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
  });

  it('ownedBytes copies a view, so its transfer leaves the pool and the model intact', () => {
    const bytes = pooled(tiny());
    const owned = ownedBytes(bytes);
    expect(owned.buffer).not.toBe(bytes.buffer);
    expect(owned.byteLength).toBe(owned.buffer.byteLength);
    const sent = structuredClone(owned, { transfer: [owned.buffer as ArrayBuffer] });
    expect(owned.byteLength).toBe(0);
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(readModel(sent).graph.node?.[0]?.opType).toBe('Relu');
    // A buffer the bytes own is sent as it is (no copy of a large model).
    const whole = new Uint8Array(bytes);
    expect(ownedBytes(whole)).toBe(whole);
  });
});
