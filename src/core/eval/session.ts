// onnxruntime-web sessions, the same package in Node (CLI, tests) and in the browser worker.
// The CPU-only entry: the default 'onnxruntime-web' entry in a browser fetches the WebGPU (jsep)
// wasm, which the app does not serve (public/ort holds only ort-wasm-simd-threaded.*).
// It runs unchanged under Node too, on the same .wasm.
import * as ort from 'onnxruntime-web/wasm';
import { float16ToNumber, numberToFloat16 } from '../onnx/float16.ts';

export interface RuntimeOptions {
  /** URL prefix of the ort-wasm-*.wasm/.mjs files (the app serves them at '/ort/'); never a CDN. */
  wasmPaths?: string;
  /** Requested wasm threads; in Node 1 unless given (with `wasmPaths` as a directory path). */
  numThreads?: number;
}

export interface CreateSessionOptions extends RuntimeOptions {
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface InputInfo {
  name: string;
  /** Numbers for fixed dims, strings for symbolic ones (e.g. "batch"). */
  shape: readonly (number | string)[];
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** The runtime string reported with every measurement. */
export const runtimeName = `onnxruntime-web ${ort.env.versions.web ?? 'unknown'} wasm`;

/**
 * Applies runtime settings. ort reads them when it first initialises its wasm backend, so
 * changes after the first session are silently ignored: call before creating sessions.
 */
export function configureOrt(options: RuntimeOptions = {}): void {
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (isNode) {
    // One thread unless asked (the CLI's --threads); more need `wasmPaths` as a file path, since
    // the pthread workers load the .wasm by URL and Node's fetch cannot read file: URLs.
    const set = ort.env.wasm.numThreads;
    ort.env.wasm.numThreads = options.numThreads ?? (set !== undefined && set >= 1 ? set : 1);
  } else if (options.numThreads !== undefined) {
    ort.env.wasm.numThreads = options.numThreads;
  }
}

/** Threads the wasm backend uses: more than 1 only when the page is cross-origin isolated. */
export function activeThreads(): number {
  // ort sets numThreads back to 1 where it cannot start threads.
  if (isNode) return Math.max(1, ort.env.wasm.numThreads ?? 1);
  const requested = ort.env.wasm.numThreads ?? 0;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) return 1;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  // 0 means "let ort choose": it uses half the cores, at most 4 (ort-web's backend default).
  return requested > 0 ? requested : Math.max(1, Math.min(4, Math.ceil(cores / 2)));
}

export async function createSession(
  modelBytes: Uint8Array,
  options: CreateSessionOptions = {},
): Promise<ort.InferenceSession> {
  configureOrt(options);
  return ort.InferenceSession.create(modelBytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  });
}

/** The first (image) input of a session. */
export function describeInput(session: ort.InferenceSession): InputInfo {
  const meta = session.inputMetadata[0];
  if (!meta) throw new Error('the model has no inputs');
  return { name: meta.name, shape: meta.isTensor ? meta.shape : [] };
}

/** The first input as the model takes it: float32, or rounded to float16 for a float16 model. */
function scoresFeed(session: ort.InferenceSession, input: Float32Array, dims: readonly number[]) {
  const meta = session.inputMetadata[0];
  if (meta?.isTensor && meta.type === 'float16') {
    return new ort.Tensor('float16', Uint16Array.from(input, numberToFloat16), dims);
  }
  return new ort.Tensor('float32', input, dims);
}

/**
 * Runs one float32 batch and returns the first output flattened to [batch x classes]. A float16
 * model (inputs and outputs in float16) is fed the batch rounded to float16 and its scores are
 * read back as float32.
 */
export async function runScores(
  session: ort.InferenceSession,
  input: Float32Array,
  dims: readonly number[],
): Promise<{ scores: Float32Array; classes: number }> {
  const results = await session.run({ [session.inputNames[0]]: scoresFeed(session, input, dims) });
  const output = results[session.outputNames[0]];
  try {
    let scores: Float32Array;
    if (output.type === 'float32') scores = output.data as Float32Array;
    else if (output.type === 'float16') {
      // Raw float16 bits (Uint16Array), or numbers where the runtime has a Float16Array.
      const data = output.data as ArrayLike<number>;
      scores =
        data instanceof Uint16Array
          ? Float32Array.from(data, float16ToNumber)
          : Float32Array.from(data);
    } else {
      throw new Error(`the model's first output is ${output.type}, expected float scores`);
    }
    return { scores, classes: scores.length / dims[0] };
  } finally {
    for (const tensor of Object.values(results)) tensor.dispose();
  }
}
