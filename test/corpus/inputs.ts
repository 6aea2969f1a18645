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

/**
 * Voice-like audio in [-1, 1] at 16 kHz with pauses (a voice activity detector must see both):
 * `voice` scaled to int16 full range, in 0.6-1.2 s stretches separated by 0.3-0.6 s of faint noise.
 */
export function speechWithPauses(samples: number, seed: number): Float32Array {
  const rand = lcg(seed + 7);
  const speech = voice(samples, seed);
  const out = new Float32Array(samples);
  let t = Math.floor(16000 * (0.2 + 0.2 * rand()));
  for (let i = 0; i < t; i++) out[i] = 0.003 * (rand() - 0.5);
  while (t < samples) {
    const talk = Math.floor(16000 * (0.6 + 0.6 * rand()));
    for (let i = t; i < Math.min(samples, t + talk); i++) out[i] = speech[i] / 32768;
    t += talk;
    const pause = Math.floor(16000 * (0.3 + 0.3 * rand()));
    for (let i = t; i < Math.min(samples, t + pause); i++) out[i] = 0.003 * (rand() - 0.5);
    t += pause;
  }
  return out;
}

/** Silero VAD as @ricky0123/vad-web streams it: legacy 1536-sample frames with h and c;
 * v5 512-sample frames after 64 samples of context, with one state. */
export const SILERO = {
  legacy: { frame: 1536, context: 0, states: { h: [2, 1, 64], c: [2, 1, 64] } },
  v5: { frame: 512, context: 64, states: { state: [2, 1, 128] } },
} as const;

export type SileroKind = keyof typeof SILERO;

/** One frame's feeds: the audio (with context), the sample rate and the state. */
export interface VadFrame {
  audio: Float32Array;
  states: Record<string, Float32Array>;
}

/**
 * Runs a Silero model over `audio` frame by frame, carrying its state as the library does:
 * the speech probability of every frame, and the feeds of every frame (to replay one).
 */
export async function sileroStream(
  bytes: Uint8Array,
  kind: SileroKind,
  audio: Float32Array,
): Promise<{ probs: Float32Array; frames: VadFrame[] }> {
  const spec = SILERO[kind];
  const session = await createSession(bytes);
  const count = Math.floor(audio.length / spec.frame);
  const probs = new Float32Array(count);
  const frames: VadFrame[] = [];
  let states: Record<string, Float32Array> = Object.fromEntries(
    Object.entries(spec.states).map(([name, dims]) => [
      name,
      new Float32Array((dims as readonly number[]).reduce((a, b) => a * b, 1)),
    ]),
  );
  try {
    for (let f = 0; f < count; f++) {
      const start = f * spec.frame - spec.context;
      const chunk = new Float32Array(spec.context + spec.frame);
      chunk.set(audio.subarray(Math.max(0, start), (f + 1) * spec.frame), start < 0 ? -start : 0);
      frames.push({ audio: chunk, states });
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', chunk, [1, chunk.length]),
        sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
      };
      for (const [name, dims] of Object.entries(spec.states)) {
        feeds[name] = new ort.Tensor('float32', states[name], [...dims]);
      }
      const out = await session.run(feeds);
      probs[f] = (out.output.data as Float32Array)[0];
      const next = kind === 'legacy' ? { h: out.hn, c: out.cn } : { state: out.stateN };
      states = Object.fromEntries(
        Object.entries(next).map(([name, t]) => [name, Float32Array.from(t.data as Float32Array)]),
      );
    }
  } finally {
    await session.release();
  }
  return { probs, frames };
}
