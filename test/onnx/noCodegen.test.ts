// The app's CSP has no 'unsafe-eval' (deploy/securityHeaders.ts): reading and writing a model
// must not generate code. protobufjs compiles codecs through util.codegen -> Function(); here
// both are made to throw while a model is written, read, and written again.
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { richModel } from './codecFixture.ts';

const RealFunction = globalThis.Function;

afterEach(() => {
  vi.restoreAllMocks();
  globalThis.Function = RealFunction;
});

function refuse(what: string) {
  return () => {
    throw new EvalError(`${what} is forbidden by the CSP`);
  };
}

describe('ONNX codec without code generation', () => {
  it('parses the schema, writes and reads a model while util.codegen and Function() throw', async () => {
    const codegen = vi.spyOn(protobuf.util, 'codegen').mockImplementation(refuse('util.codegen'));
    // Property reads (Function.prototype) still work; only calling or constructing throws.
    globalThis.Function = new Proxy(RealFunction, {
      apply: refuse('Function()'),
      construct: refuse('new Function()'),
    });
    // A fresh codec module: the schema is parsed and resolved under the guard too.
    vi.resetModules();
    const { readModel, writeModel } = await import('../../src/core/onnx/index.ts');
    const model = richModel();
    // readModel refuses external data; the rest of the fixture is a valid model.
    model.graph!.initializer = model.graph!.initializer!.filter((t) => t.name !== 'ext');
    const bytes = writeModel(model);
    const back = readModel(bytes);
    expect(Buffer.from(writeModel(back)).equals(Buffer.from(bytes))).toBe(true);
    expect(back.graph.node?.[0].attribute).toHaveLength(13);
    expect(codegen).not.toHaveBeenCalled();
  });

  it('the guard works: protobufjs own codec does call util.codegen', () => {
    const codegen = vi.spyOn(protobuf.util, 'codegen').mockImplementation(refuse('util.codegen'));
    const type = protobuf.parse('syntax = "proto2"; message M { optional int32 a = 1; }').root;
    expect(() => type.lookupType('M').encode({ a: 1 })).toThrow(EvalError);
    expect(codegen).toHaveBeenCalled();
  });
});
