// Realistic inputs for the corpus models, made here (no data files): rendered text for the OCR
// models, a synthetic voice-like signal for the audio front end, and for the models further down
// an audio chain (embedding, wake-word head) the features their real upstream model computes
// from that signal. Random noise would make every output agree trivially (a text detector sees
// no text in it), so it is never used to judge a model.
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../../src/core/eval/session.ts';
import { lcg } from '../support/random.ts';
import { paddleInput, renderTextPage } from './textImage.ts';

export interface Batch {
  data: Float32Array;
  dims: number[];
}

/**
 * `n` pages or lines of text as the PaddleOCR models expect them, NCHW. 'lines-both-ways' turns
 * every other line upside down, so the direction classifier sees both of its classes.
 */
export function textBatch(
  dims: number[],
  kind: 'page' | 'line' | 'lines-both-ways',
  seed: number,
): Batch {
  const [n, , h, w] = dims;
  const per = 3 * h * w;
  const data = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const lines = kind === 'page' ? Math.max(2, Math.floor(h / 40)) : 1;
    const page = renderTextPage(w, h, seed + i, lines);
    // Recognition and direction models normalise to [-1, 1]; the detector uses ImageNet statistics.
    const x =
      kind === 'page' ? paddleInput(page) : paddleInput(page, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    const flip = kind === 'lines-both-ways' && i % 2 === 1;
    data.set(flip ? rotated(x) : x, i * per);
  }
  return { data, dims };
}

/** The CHW image turned by 180 degrees (each channel plane reversed, channel order kept). */
function rotated(x: Float32Array): Float32Array {
  const plane = x.length / 3;
  const out = new Float32Array(x.length);
  for (let c = 0; c < 3; c++) out.set(x.slice(c * plane, (c + 1) * plane).reverse(), c * plane);
  return out;
}

/**
 * A voice-like signal at 16 kHz in int16 units (openWakeWord feeds raw int16 samples): a
 * gliding fundamental with decaying harmonics, syllable-rate amplitude, a little noise.
 */
export function voice(samples: number, seed: number): Float32Array {
  const rand = lcg(seed);
  const out = new Float32Array(samples);
  let phase = 0;
  for (let t = 0; t < samples; t++) {
    const s = t / 16000;
    const f0 = 140 + 40 * Math.sin(2 * Math.PI * 1.3 * s + seed);
    phase += (2 * Math.PI * f0) / 16000;
    let v = 0;
    for (let k = 1; k <= 8; k++) v += Math.sin(k * phase) / k;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * s);
    out[t] = 6000 * envelope * v + 300 * (rand() - 0.5);
  }
  return out;
}

async function runOnce(modelPath: string, bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await createSession(bytes);
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0]];
  } catch (err) {
    throw new Error(`${modelPath}: ${(err as Error).message}`);
  } finally {
    await session.release();
  }
}

/** openWakeWord's mel features of `voice`: [frames, 32], scaled as the library does (x/10 + 2). */
export async function melFeatures(melBytes: Uint8Array, samples: number, seed: number) {
  const audio = voice(samples, seed);
  const mel = await runOnce('melspectrogram', melBytes, {
    input: new ort.Tensor('float32', audio, [1, samples]),
  });
  return Float32Array.from(mel.data as Float32Array, (v) => v / 10 + 2);
}

/** `n` windows of 76 mel frames (stride 8) as the embedding model takes them: [n, 76, 32, 1]. */
export async function melWindows(melBytes: Uint8Array, n: number, seed: number): Promise<Batch> {
  const frames = 76 + 8 * (n - 1);
  const samples = 160 * frames + 480;
  const mel = await melFeatures(melBytes, samples, seed);
  const data = new Float32Array(n * 76 * 32);
  for (let i = 0; i < n; i++) data.set(mel.subarray(i * 8 * 32, (i * 8 + 76) * 32), i * 76 * 32);
  return { data, dims: [n, 76, 32, 1] };
}

/** 16 consecutive embeddings from the real embedding model: the wake-word heads' [1, 16, 96]. */
export async function wakeEmbeddings(melBytes: Uint8Array, embBytes: Uint8Array, seed: number) {
  const windows = await melWindows(melBytes, 16, seed);
  const emb = await runOnce('embedding_model', embBytes, {
    input_1: new ort.Tensor('float32', windows.data, windows.dims),
  });
  return { data: Float32Array.from(emb.data as Float32Array), dims: [1, 16, 96] };
}
